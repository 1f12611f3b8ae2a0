"""HTTP security of the app: reverse-proxy headers, session cookie flags, the Content-Security-Policy
(everything from the app itself, no inline script; framing by the organisations' Nextclouds), the
Referrer-Policy, and two defences against forged form posts: an origin check and a CSRF token (Flask-WTF).

The app is shown inside Nextcloud by the External sites app (quirk `external_sites_iframe`): in that iframe the app must
allow the Nextcloud origin as frame ancestor, send no X-Frame-Options, and keep its session cookie
`SameSite=None; Secure`. Such a cookie also travels with cross-site form posts, so the SameSite defence
against cross-site request forgery is replaced by an origin check on every unsafe request, and every form
carries a CSRF token bound to the session (`csrf_token()` in templates).
"""
from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from extension.extensions import db

log = logging.getLogger(__name__)

PROXY_FIX_KEYS = ("x_for", "x_proto", "x_host", "x_port", "x_prefix")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class SecurityConfigError(ValueError):
    """A security setting is unusable; the message names it."""


def configure_security(app: Flask) -> None:
    _apply_proxy_fix(app)
    _set_cookie_flags(app)
    app.extensions["ln_frame_ancestors"] = FrameAncestors(app.config["FRAME_ANCESTORS_CACHE_SECONDS"])
    app.before_request(_refuse_cross_origin_writes)
    app.after_request(_set_security_headers)


def configure_csrf(app: Flask) -> None:
    """A CSRF token on every form (Flask-WTF), checked on every unsafe request next to the origin check."""
    from flask_wtf.csrf import CSRFProtect

    # The token lives as long as the session: a form left open over lunch still posts.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    CSRFProtect(app)


def _apply_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* only as configured: without a proxy in front, clients could forge them."""
    hops = app.config["PROXY_FIX"]
    if not hops:
        return
    unknown = sorted(set(hops) - set(PROXY_FIX_KEYS))
    if unknown:
        raise SecurityConfigError(f"setting PROXY_FIX: unknown key {unknown[0]!r} (use {', '.join(PROXY_FIX_KEYS)})")
    for key, value in hops.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SecurityConfigError(f"setting PROXY_FIX: {key} must be a number of proxies (0 or more), not {value!r}")
    app.wsgi_app = ProxyFix(app.wsgi_app, **{key: hops.get(key, 0) for key in PROXY_FIX_KEYS})


def app_is_https(app: Flask) -> bool:
    return urlsplit(app.config["APP_URL"]).scheme == "https"


def embedding_works(app: Flask) -> bool:
    """Cookies survive a cross-site iframe only as `SameSite=None; Secure`, and Secure needs https."""
    return bool(app.config["EMBED_IN_NEXTCLOUD"]) and app_is_https(app)


def _set_cookie_flags(app: Flask) -> None:
    https = app_is_https(app)
    app.config["SESSION_COOKIE_SECURE"] = https
    if embedding_works(app):
        app.config["SESSION_COOKIE_SAMESITE"] = "None"
        # CHIPS: browsers that block third-party cookies still keep a partitioned one per top-level site.
        app.config["SESSION_COOKIE_PARTITIONED"] = True
    else:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
        app.config["SESSION_COOKIE_PARTITIONED"] = False


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, the form CSP source expressions and Origin headers use."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


class FrameAncestors:
    """The organisations' Nextcloud origins, read from the database and kept for `ttl` seconds.

    Read through a connection of its own, so a request whose session failed still gets its headers.
    """

    def __init__(self, ttl: float, clock=time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._origins: tuple[str, ...] | None = None
        self._read_at = 0.0

    def origins(self) -> tuple[str, ...]:
        with self._lock:
            if self._origins is None or self.clock() - self._read_at >= self.ttl:
                from extension.organisations.models import Organisation

                try:
                    with db.engine.connect() as conn:
                        urls = conn.scalars(select(Organisation.nextcloud_url)
                                            .where(Organisation.nextcloud_url.is_not(None))).all()
                except Exception as exc:  # any driver error: frame with 'self' only until the database answers
                    log.warning("Cannot read the Nextcloud origins for frame-ancestors: %s", type(exc).__name__)
                    return ()
                self._origins = tuple(sorted({o for o in map(origin_of, urls) if o}))
                self._read_at = self.clock()
            return self._origins


def content_security_policy(ancestors: tuple[str, ...]) -> str:
    """Everything from the app itself and no inline script or style; framed by itself and the Nextclouds.

    No form-action: signing in posts to the app, which redirects the form to the organisation's Nextcloud.
    """
    return "; ".join(["default-src 'self'", " ".join(["frame-ancestors", "'self'", *ancestors]), "base-uri 'self'",
                      "object-src 'none'"])


def _set_security_headers(response: Response) -> Response:
    # Only pages can be framed usefully; JSON and static files (and /healthz, which must not touch the
    # database) get 'self' without asking the database.
    if "Content-Security-Policy" not in response.headers:
        ancestors = ()
        if current_app.config["EMBED_IN_NEXTCLOUD"] and response.mimetype == "text/html":
            ancestors = current_app.extensions["ln_frame_ancestors"].origins()
        response.headers["Content-Security-Policy"] = content_security_policy(ancestors)
    # frame-ancestors governs framing; X-Frame-Options DENY/SAMEORIGIN would block Nextcloud
    # (quirk `external_sites_iframe`).
    response.headers.pop("X-Frame-Options", None)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Links into the Nextclouds and personal-link pages must not pass the app's URLs on to other sites.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _refuse_cross_origin_writes():
    """Unsafe requests must come from this app's own pages (Fetch Metadata, else the Origin header).

    Requests with neither header (command-line clients, old browsers) pass: they carry no ambient
    browser cookies of a victim.
    """
    if request.method in SAFE_METHODS:
        return None
    site = request.headers.get("Sec-Fetch-Site")
    if site in ("same-origin", "none"):
        return None
    origin = request.headers.get("Origin")
    if site is None and origin is None:
        return None
    own = {origin_of(request.host_url), origin_of(current_app.config["APP_URL"])}
    if origin is not None and origin.lower() in own:
        return None
    log.info("Refused a cross-origin %s %s (Origin %s, Sec-Fetch-Site %s)", request.method, request.path,
             origin, site)
    abort(403)
