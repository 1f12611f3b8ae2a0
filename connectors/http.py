"""The HTTP transport shared by every Nextcloud client: one cookie-less, retrying requests.Session per instance."""

from __future__ import annotations

import http.cookiejar
import logging
import os
import threading
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError, ResponseError, TimeoutError as Urllib3Timeout
from urllib3.util.retry import Retry

from connectors.errors import Unreachable, parse_retry_after, raise_for_response

log = logging.getLogger(__name__)
wire_log = logging.getLogger("connectors.wire")

DEFAULT_TIMEOUT = (5, 30)

# Methods that may be sent twice with the same effect. PUT counts: our PUTs carry the whole body, and
# create-only PUTs carry If-None-Match: * (quirk `put_if_none_match`). POST never does (sharing is not
# idempotent, quirk `share_twice_403`; token refresh rotates the grant, quirk `single_use_refresh_token`).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PROPFIND", "REPORT", "PUT", "DELETE",
                                "MKCOL", "MKCALENDAR", "PROPPATCH"})
RETRY_STATUSES = frozenset({429, 503})

_REDACTED_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})


class RejectAllCookies(http.cookiejar.DefaultCookiePolicy):
    """A cookie policy that neither stores nor returns cookies (quirk `no_cookie_jar`)."""

    def set_ok(self, cookie, request):
        return False

    def return_ok(self, cookie, request):
        return False

    def domain_return_ok(self, domain, request):
        return False

    def path_return_ok(self, path, request):
        return False


class NextcloudRetry(Retry):
    """urllib3 Retry that refuses to wait for a Retry-After longer than `max_retry_after` (quirk `maintenance_503`).

    The final response is then handed back (raise_on_status=False) and becomes RateLimited or
    ServiceUnavailable with its `retry_after`, so a caller or job queue can decide when to come back
    instead of a web request sleeping for two minutes of maintenance (quirk `maintenance_503`).
    """

    def __init__(self, *args, max_retry_after: float = 30, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_retry_after = max_retry_after

    def new(self, **kwargs):
        kwargs.setdefault("max_retry_after", self.max_retry_after)
        return super().new(**kwargs)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):
        if response is not None and response.status in RETRY_STATUSES:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            # A 429 on MKCALENDAR is the hourly calendar-creation quota (quirk
            # `calendar_creation_limits`): seconds of back-off cannot help, the caller must come back later.
            hourly_quota = method == "MKCALENDAR" and response.status == 429
            if hourly_quota or (wait is not None and wait > self.max_retry_after):
                log.info("Not retrying %s %s after %s (Retry-After: %s)", method, url, response.status,
                         "none" if wait is None else f"{wait:.0f} s")
                reason = ResponseError(ResponseError.SPECIFIC_ERROR.format(status_code=response.status))
                raise MaxRetryError(_pool, url, reason)
        return super().increment(method=method, url=url, response=response, error=error,
                                 _pool=_pool, _stacktrace=_stacktrace)


class NextcloudAdapter(HTTPAdapter):
    """HTTPAdapter that applies a default timeout and never sends a Cookie header.

    Stripping here also covers cookies that requests would carry across a redirect outside the jar.
    """

    def __init__(self, timeout=DEFAULT_TIMEOUT, **kwargs):
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        request.headers.pop("Cookie", None)
        return super().send(request, stream=stream, timeout=self.timeout if timeout is None else timeout,
                            verify=verify, cert=cert, proxies=proxies)


def redact_headers(headers) -> dict[str, str]:
    """A copy of `headers` fit for a log: credentials and cookies replaced by "<redacted>"."""
    return {k: ("<redacted>" if k.lower() in _REDACTED_HEADERS else v) for k, v in headers.items()}


def wire_debug_enabled() -> bool:
    """True when LN_WIRE_DEBUG=1: every request and response is dumped (headers only, redacted)."""
    return os.environ.get("LN_WIRE_DEBUG", "") in ("1", "true", "yes")


def _log_response(response, *args, **kwargs):
    """Session response hook: log failures with X-Request-Id (quirk `request_id_header`), dump the wire on demand."""
    request = response.request
    if wire_debug_enabled():
        # INFO, not DEBUG: whoever sets the switch wants to see the traffic without reconfiguring logging
        wire_log.info("> %s %s %s", request.method, request.url, redact_headers(request.headers))
        wire_log.info("< %s %s %s", response.status_code, response.reason, redact_headers(response.headers))
    if response.status_code >= 400:
        level = logging.WARNING if response.status_code >= 500 or response.status_code == 429 else logging.INFO
        log.log(level, "Nextcloud %s %s -> %s (X-Request-Id %s)", request.method, request.url,
                response.status_code, response.headers.get("X-Request-Id", "-"))
    return response


# Connections kept open per instance: above any MAX_PARALLEL_REQUESTS a deployment sets (a pool smaller than
# the requests in flight closes a connection after each surplus request and opens a new one for the next).
POOL_MAXSIZE = 32


def make_session(timeout=DEFAULT_TIMEOUT, retries: int = 3, max_retry_after: float = 30,
                 backoff_factor: float = 0.5, pool_maxsize: int = POOL_MAXSIZE) -> requests.Session:
    """A requests.Session for one Nextcloud instance: keep-alive pool, no cookies, default timeout, retries.

    Retries on 429/503 apply to IDEMPOTENT_METHODS only and honour Retry-After up to `max_retry_after`
    seconds; when retries are exhausted the last response is returned for `raise_for_response`.
    Connection failures are retried for every method because nothing reached the server.
    """
    session = requests.Session()
    session.cookies.set_policy(RejectAllCookies())
    retry = NextcloudRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=5,
        allowed_methods=IDEMPOTENT_METHODS,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        respect_retry_after_header=True,
        raise_on_status=False,
        max_retry_after=max_retry_after,
    )
    adapter = NextcloudAdapter(timeout=timeout, max_retries=retry, pool_connections=4,
                               pool_maxsize=pool_maxsize)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.hooks["response"].append(_log_response)
    return session


def share_transport(source: requests.Session, target: requests.Session) -> requests.Session:
    """Make `target` (e.g. Authlib's OAuth2Session) use the adapters, cookie policy and hooks of `source`."""
    for prefix, adapter in source.adapters.items():
        target.mount(prefix, adapter)
    target.cookies = source.cookies
    target.hooks = {event: list(hooks) for event, hooks in source.hooks.items()}
    return target


_sessions: dict[str, requests.Session] = {}
_sessions_lock = threading.Lock()


def instance_key(base_url: str) -> str:
    """Normalised base URL used as the cache key of an instance ("https://cloud.example.org/sub")."""
    parts = urlsplit(base_url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def session_for(base_url: str, **options) -> requests.Session:
    """The shared session of one Nextcloud instance, created with `make_session(**options)` on first use."""
    key = instance_key(base_url)
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = settle_environment(make_session(**options), key)
        return session


def settle_environment(session: requests.Session, base_url: str) -> requests.Session:
    """Read the proxy and CA-bundle environment once for the session's one instance, not per request.

    With `trust_env` on, requests scans the whole process environment on every request (proxies, no_proxy,
    REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) and looks in ~/.netrc for credentials; for a session that only
    ever talks to `base_url` the answers never change. Credentials always come from the connection, never
    from a .netrc file.
    """
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False
    return session


def close_sessions() -> None:
    """Close and forget every cached session (tests, shutdown)."""
    with _sessions_lock:
        for session in _sessions.values():
            session.close()
        _sessions.clear()


def is_timeout(exc: Exception) -> bool:
    """True for a requests exception caused by a timeout.

    requests reports a read timeout whose retries are exhausted as ConnectionError wrapping MaxRetryError.
    """
    if isinstance(exc, requests.ConnectTimeout):
        # requests raises ConnectTimeout for a refused connection too (urllib3's NewConnectionError
        # subclasses its ConnectTimeoutError); only a real timeout has no NewConnectionError underneath.
        reason = getattr(exc.args[0] if exc.args else None, "reason", None)
        return not isinstance(reason, NewConnectionError)
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, Urllib3Timeout) and not isinstance(reason, NewConnectionError)


def unreachable(exc: Exception, what: str, url: str | None) -> Unreachable:
    """The Unreachable error for a transport failure of `what`."""
    if is_timeout(exc):
        return Unreachable(f"{what} timed out", url=url, timeout=True)
    return Unreachable(f"{what}: cannot connect ({exc.__class__.__name__})", url=url)


def call(session: requests.Session, method: str, url: str, *, auth=None, accept=(), **kwargs):
    """Send one request and return the response; typed NextcloudError for failures.

    Statuses in `accept` are returned instead of raised (e.g. 405 for MKCOL, 412 for a create-only PUT).
    Transport failures become `Unreachable`; they are not resent here (urllib3 already retried what is safe).
    """
    try:
        response = session.request(method, url, auth=auth, **kwargs)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise unreachable(exc, f"{method} {url}", url) from exc
    if response.status_code not in accept:
        raise_for_response(response)
    return response
