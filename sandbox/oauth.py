"""The OAuth2 provider of a sandbox Nextcloud: authorize (with a login and a grant page) and the token endpoint.

Hand-written because Nextcloud's oauth2 app is not a standard OAuth2 server and no library emulates it
(Nextcloud: apps/oauth2/lib/Controller/{LoginRedirectorController,OauthApiController}.php): the redirect URI
sent is ignored, every error is a bare 400 `{"error": …}`, codes and refresh tokens are single-use and rotate
both tokens, and failures are brute-force throttled per source IP.
The login and grant pages stand in for Nextcloud's /login/flow pages; they live under /apps/oauth2/sandbox/
so that the whole browser flow is served by this one app. The flow's state is kept server-side, keyed by a
random id carried in a hidden form field, so it works in a real browser without cookies.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from sandbox.state import TokenError

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]))

NOT_AUTHORIZED = "Your client is not authorized to connect. Please inform the administrator of your client."


class OAuthApp:
    """WSGI app; matches `/index.php/apps/oauth2/…` and `/apps/oauth2/…` alike (apps/oauth2/appinfo/routes.php)."""

    def __init__(self, org):
        self.org = org
        self.state = org.state
        self.url_map = Map([
            Rule("/apps/oauth2/authorize", endpoint="authorize", methods=["GET"]),
            Rule("/apps/oauth2/api/v1/token", endpoint="token", methods=["POST"]),
            Rule("/apps/oauth2/sandbox/login", endpoint="login", methods=["GET", "POST"]),
            Rule("/apps/oauth2/sandbox/grant", endpoint="grant", methods=["GET", "POST"]),
        ])

    def __call__(self, environ, start_response):
        request = Request(environ)
        path = request.script_root + request.path
        prefix = "/index.php" if path.startswith("/index.php/") else ""
        try:
            endpoint, _ = self.url_map.bind_to_environ(environ).match(path[len(prefix):])
            response = getattr(self, endpoint)(request, prefix)
        except HTTPException as error:
            response = error.get_response(environ)
        return response(environ, start_response)

    def page(self, template: str, status: int = 200, **context) -> Response:
        html = TEMPLATES.get_template(template).render(org_name=self.org.name, **context)
        return Response(html, status=status, content_type="text/html; charset=utf-8")

    # browser flow (LoginRedirectorController.php) -----------------------------------------------------------
    def authorize(self, request: Request, prefix: str) -> Response:
        client = self.state.client(request.args.get("client_id"))
        if client is None:
            # An unknown client gets a 200 HTML page, no redirect (LoginRedirectorController.php).
            return self.page("message.html", title="Toegang geweigerd", message=NOT_AUTHORIZED)
        state = request.args.get("state", "")
        if request.args.get("response_type") != "code":
            return redirect(f"{client.redirect_uri}?error=unsupported_response_type&state={quote(state)}", 303)
        # redirect_uri, scope and PKCE parameters are not read (quirks `redirect_uri_ignored`, `no_pkce`).
        flow_id = self.state.start_flow(client.client_id, state)
        return redirect(f"{prefix}/apps/oauth2/sandbox/login?flow={flow_id}", 303)

    def _flow(self, request: Request):
        flow_id = request.values.get("flow", "")
        flow = self.state.flow(flow_id)
        client = self.state.client(flow["client_id"]) if flow else None
        return flow_id, flow, client

    def expired(self) -> Response:
        return self.page("message.html", status=400, title="Aanmelding verlopen",
                         message="Deze aanmelding is verlopen of ongeldig. Begin opnieuw vanuit de app.")

    def login(self, request: Request, prefix: str) -> Response:
        flow_id, flow, client = self._flow(request)
        if client is None:
            return self.expired()
        login, error = "", None
        if request.method == "POST":
            login = request.form.get("user", "")
            uid = self.state.check_password(login, request.form.get("password", ""))
            if uid is not None:
                flow["uid"] = uid
                response = redirect(f"{prefix}/apps/oauth2/sandbox/grant?flow={flow_id}", 303)
                # Nextcloud's login starts a browser session too: the app's links into Files, Calendar and
                # Tasks then open without a second sign-in (sandbox.web).
                self.org.pages.sessions.set_cookie(response, self.org.pages.sessions.start(uid))
                return response
            error = "Wrong login or password."
        return self.page("login.html", flow=flow_id, client_name=client.name, login=login, error=error,
                         action=f"{prefix}/apps/oauth2/sandbox/login")

    def grant(self, request: Request, prefix: str) -> Response:
        flow_id, flow, client = self._flow(request)
        if client is None or flow["uid"] is None:
            return self.expired()
        if request.method == "GET":
            user = self.state.user(flow["uid"])
            return self.page("grant.html", flow=flow_id, client_name=client.name, uid=user.uid,
                             display_name=user.display_name, action=f"{prefix}/apps/oauth2/sandbox/grant")
        code = self.state.create_code(flow["uid"], client.client_id)
        self.state.end_flow(flow_id)
        # Always the registered URI, with `?state=…&code=…` appended as 28–31 do (quirk `redirect_uri_ignored`).
        return redirect(f"{client.redirect_uri}?state={quote(flow['state'])}&code={code}", 303)

    # token endpoint (OauthApiController.php, lib/private/Security/Bruteforce/Throttler.php) -----------------
    def token(self, request: Request, prefix: str) -> Response:
        state = self.state
        state.count_token_call()
        ip = request.remote_addr or ""
        if state.bruteforce_blocked(ip):
            # Non-OCS controllers answer the block with a "too many requests" page
            # (lib/private/AppFramework/Middleware/Security/BruteForceMiddleware.php).
            return self.page("message.html", status=429, title="Too many requests",
                             message="There were too many requests from your network. Retry later or contact "
                                     "your administrator if this is an error.")
        delay_ms = state.bruteforce_delay_ms(ip)
        if delay_ms:
            # Nextcloud sleeps the whole delay; the sandbox only reports it, to keep tests fast.
            time.sleep(min(delay_ms / 1000, state.bruteforce_sleep_cap))
        params = dict(request.args.items())
        params.update(request.form.items())
        if request.is_json and isinstance(request.get_json(silent=True), dict):
            params.update(request.get_json())
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        auth = request.authorization
        if auth is not None and auth.type == "basic":  # Basic wins over the body (quirk `client_secret_in_body`)
            client_id, client_secret = auth.username, auth.password
        grant_type = params.get("grant_type", "")
        secret = params.get("code") if grant_type == "authorization_code" else params.get("refresh_token")
        try:
            body, status = state.redeem(grant_type, secret, client_id, client_secret), 200
        except TokenError as error:
            if error.throttled:
                state.register_attempt(ip)
            body, status = {"error": error.error}, 400
        response = Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")
        if delay_ms:
            response.headers["X-Nextcloud-Bruteforce-Throttled"] = f"{delay_ms}ms"
        return response


def make_oauth_app(org) -> OAuthApp:
    """The OAuth2 WSGI app of one sandbox organisation (see sandbox.server for `org`)."""
    return OAuthApp(org)
