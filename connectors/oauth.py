"""OAuth2 against Nextcloud's oauth2 app (Authlib) and the bearer auth that refreshes single-use tokens safely."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, ContextManager, Protocol, runtime_checkable

import requests
from authlib.integrations.requests_client import OAuth2Session

from connectors.errors import BadRequest, NextcloudError, ReconnectNeeded, raise_for_response
from connectors.http import session_for, share_transport, unreachable

log = logging.getLogger(__name__)

# /index.php/ works with and without pretty URLs; there is no discovery document (quirk no_discovery_or_userinfo)
AUTHORIZE_PATH = "/index.php/apps/oauth2/authorize"
TOKEN_PATH = "/index.php/apps/oauth2/api/v1/token"


@dataclass(frozen=True)
class Token:
    """One access/refresh pair as stored for a connection; the secrets never appear in repr()."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    user_id: str | None = None

    def expired(self, leeway: float = 60, now: float | None = None) -> bool:
        """True when the access token expires within `leeway` seconds."""
        return (time.time() if now is None else now) >= self.expires_at - leeway

    @classmethod
    def from_response(cls, data: dict, now: float | None = None, user_id: str | None = None) -> "Token":
        """Build from a token-endpoint 200 body (access_token, refresh_token, expires_in, user_id;
        Nextcloud: apps/oauth2/lib/Controller/OauthApiController.php).

        expires_in is always 3600 on 28–32 (quirk `fixed_token_lifetime`) but is read, not assumed.
        """
        now = time.time() if now is None else now
        if not data.get("access_token") or not data.get("refresh_token"):
            raise NextcloudError("token endpoint answer lacks access_token or refresh_token")
        return cls(access_token=data["access_token"], refresh_token=data["refresh_token"],
                   expires_at=now + float(data.get("expires_in") or 3600),
                   user_id=data.get("user_id") or user_id)


@runtime_checkable
class TokenStore(Protocol):
    """Where the token pair of one connection lives.

    `refresh_lock()` must serialise refreshes of this connection across threads and processes, and
    `load()` inside it must see what another holder saved (quirk `single_use_refresh_token`).
    After `mark_reconnect_needed()`, `load()` should return None until a new token is saved, so no
    further refresh is attempted with a dead grant (quirk `token_errors_all_400`).
    """

    def load(self) -> Token | None: ...

    def save(self, token: Token) -> None: ...

    def refresh_lock(self) -> ContextManager[None]: ...

    def mark_reconnect_needed(self, reason: str) -> None: ...


class MemoryTokenStore:
    """TokenStore in memory, for tests and the CLI: a thread lock, no cross-process protection."""

    def __init__(self, token: Token | None = None):
        self._token = token
        self._data_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self.reconnect_reason: str | None = None
        self.saves = 0

    @property
    def reconnect_needed(self) -> bool:
        return self.reconnect_reason is not None

    def load(self) -> Token | None:
        with self._data_lock:
            return None if self.reconnect_reason else self._token

    def save(self, token: Token) -> None:
        with self._data_lock:
            self._token = token
            self.reconnect_reason = None
            self.saves += 1

    @contextlib.contextmanager
    def refresh_lock(self):
        with self._refresh_lock:
            yield

    def mark_reconnect_needed(self, reason: str) -> None:
        with self._data_lock:
            self.reconnect_reason = reason or "reconnect needed"


class OAuthClient:
    """Authorization-code flow and refresh against one Nextcloud (confidential client, secret in the body).

    No PKCE (quirk `no_pkce`); the registered redirect URI wins whatever is sent (`redirect_uri_ignored`).
    """

    def __init__(self, base_url: str, client_id: str, client_secret: str, redirect_uri: str | None = None,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.session = session if session is not None else session_for(self.base_url)
        self.authorize_endpoint = self.base_url + AUTHORIZE_PATH
        self.token_endpoint = self.base_url + TOKEN_PATH

    def __repr__(self) -> str:
        return f"OAuthClient({self.base_url!r}, client_id={self.client_id!r})"

    def _oauth_session(self) -> OAuth2Session:
        oauth = OAuth2Session(client_id=self.client_id, client_secret=self._client_secret,
                              token_endpoint_auth_method="client_secret_post",  # quirk client_secret_in_body
                              redirect_uri=self.redirect_uri)
        oauth.register_compliance_hook("access_token_response", _check_token_response)
        oauth.register_compliance_hook("refresh_token_response", _check_token_response)
        return share_transport(self.session, oauth)

    def authorization_url(self, state: str) -> str:
        """URL to send the user's browser to; Nextcloud echoes `state` on the callback
        (Nextcloud: apps/oauth2/lib/Controller/LoginRedirectorController.php).

        redirect_uri is included for standard servers but Nextcloud uses the registered one
        (quirk `redirect_uri_ignored`).
        """
        url, _ = self._oauth_session().create_authorization_url(self.authorize_endpoint, state=state)
        return url

    def exchange_code(self, code: str) -> Token:
        """Trade the callback's code for a token pair; BadRequest if the code is used, expired or unknown."""
        data = self._token_call(lambda oauth: oauth.fetch_token(
            self.token_endpoint, grant_type="authorization_code", code=code))
        return Token.from_response(data)

    def refresh(self, token: Token) -> Token:
        """One refresh call, never repeated here (quirk `single_use_refresh_token`).

        A 400 means the grant is gone (quirk `token_errors_all_400`) → ReconnectNeeded. A timeout raises
        Unreachable: the server may have rotated the pair, so resending the old refresh token is pointless.
        """
        try:
            data = self._token_call(lambda oauth: oauth.refresh_token(
                self.token_endpoint, refresh_token=token.refresh_token))
        except BadRequest as exc:
            raise ReconnectNeeded(f"Nextcloud refused the refresh token: {exc.message}",
                                  reason=exc.message, status=400, request_id=exc.request_id,
                                  url=exc.url) from exc
        return Token.from_response(data, user_id=token.user_id)

    def _token_call(self, do: Callable[[OAuth2Session], dict]) -> dict:
        try:
            return dict(do(self._oauth_session()))
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise unreachable(exc, "token endpoint", self.token_endpoint) from exc


def _check_token_response(response):
    """Authlib compliance hook: any non-200 token answer becomes a typed error before Authlib parses it."""
    if response.status_code != 200:
        raise_for_response(response)
    if "json" not in response.headers.get("Content-Type", ""):
        raise NextcloudError("token endpoint answered without JSON", status=response.status_code,
                             request_id=response.headers.get("X-Request-Id"), url=response.url)
    return response


class _ResendOn401:
    """Response hook of one request: on 401, refresh (once) and resend the same prepared request (once).

    Reacts to the status alone: DAV's challenge names Basic, never Bearer (quirk `dav_401_basic_challenge`).
    """

    def __init__(self, auth: "BearerAuth", used: Token):
        self.auth = auth
        self.used = used

    def __call__(self, response, **kwargs):
        if response.status_code != 401:
            return response
        request = response.request
        if hasattr(request.body, "read"):
            # a streamed body cannot be sent twice
            return response
        token = self.auth.refresh_after_401(self.used)
        retry = request.copy()
        retry.headers["Authorization"] = f"Bearer {token.access_token}"
        retry.hooks = {event: [h for h in hooks if not isinstance(h, _ResendOn401)]
                       for event, hooks in request.hooks.items()}
        response.content  # release the connection back to the pool
        response.close()
        resent = response.connection.send(retry, **kwargs)
        resent.history.append(response)
        resent.request = retry
        return resent


class BearerAuth(requests.auth.AuthBase):
    """requests auth for Nextcloud resource calls: a valid bearer token on every request, refresh-safe.

    Before sending, an access token expiring within `leeway` seconds is refreshed. On a 401 the token is
    refreshed once (unless another worker already replaced it) and the request is resent once.

    A token read from the store is reused for `reuse` seconds (not past its leeway) instead of being read
    again for every request: the engine's workers send dozens of requests a second through one auth, and a
    store read per request is a database round trip that also waits on the journal's commits. A token
    another process rotated meanwhile is answered with 401, which re-reads the store before anything else
    (`refresh_after_401`), so reuse costs at most that one refused request.
    """

    def __init__(self, store: TokenStore, oauth_client: OAuthClient, leeway: float = 60,
                 clock: Callable[[], float] = time.time, reuse: float = 5.0):
        self.store = store
        self.oauth_client = oauth_client
        self.leeway = leeway
        self.clock = clock
        self.reuse = reuse
        # (token, time.monotonic() it was read or made); replaced as a whole, so threads need no lock.
        self._held: tuple[Token, float] | None = None

    def __repr__(self) -> str:
        return f"BearerAuth({self.oauth_client!r})"

    def __call__(self, request):
        token = self.current_token()
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        request.register_hook("response", _ResendOn401(self, token))
        return request

    def current_token(self) -> Token:
        """The stored token (or the one read less than `reuse` seconds ago), refreshed first when it is
        (nearly) expired."""
        held = self._held
        if (held is not None and time.monotonic() - held[1] < self.reuse
                and not held[0].expired(self.leeway, now=self.clock())):
            return held[0]
        token = self.store.load()
        if token is None:
            self._held = None
            raise ReconnectNeeded("no token stored for this connection", reason="no token")
        if token.expired(self.leeway, now=self.clock()):
            token = self._refresh(stale=token, force=False)
        return self._hold(token)

    def refresh_after_401(self, used: Token) -> Token:
        """A token to resend with after `used` was refused: the stored one if it changed, else a refreshed one."""
        self._held = None
        return self._hold(self._refresh(stale=used, force=True))

    def _hold(self, token: Token) -> Token:
        self._held = (token, time.monotonic())
        return token

    def _refresh(self, stale: Token, force: bool) -> Token:
        with self.store.refresh_lock():
            current = self.store.load()
            if current is None:
                self._held = None
                raise ReconnectNeeded("no token stored for this connection", reason="no token")
            if current.access_token != stale.access_token and not current.expired(self.leeway, self.clock()):
                # another thread or process refreshed while we waited for the lock
                return current
            if not force and not current.expired(self.leeway, self.clock()):
                return current
            try:
                fresh = self.oauth_client.refresh(current)
            except ReconnectNeeded as exc:
                self._held = None
                log.warning("Refresh refused for %s (%s): reconnect needed", current.user_id, exc.reason)
                self.store.mark_reconnect_needed(exc.reason)
                raise
            if fresh.user_id is None:
                fresh = replace(fresh, user_id=current.user_id)
            # persisted before first use: the old refresh token is already dead (quirk `single_use_refresh_token`)
            self.store.save(fresh)
            log.info("Refreshed the access token of %s", fresh.user_id)
            return fresh
