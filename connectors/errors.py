"""Typed exceptions for Nextcloud outcomes and the one function that maps an HTTP response to them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

DAV_NS = "DAV:"
SABRE_NS = "http://sabredav.org/ns"

# Methods whose 405 means "the collection is already there"
# (quirks `mkcol_405_exists_409_parent`, `calendar_uri_rules`).
_CREATE_COLLECTION_METHODS = frozenset({"MKCOL", "MKCALENDAR"})


class NextcloudError(Exception):
    """Any failed call to a Nextcloud; `status` is the HTTP status when there was a response."""

    def __init__(self, message: str, status: int | None = None, request_id: str | None = None,
                 url: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.url = url

    def __str__(self) -> str:
        details = [f"HTTP {self.status}" if self.status else None,
                   f"request id {self.request_id}" if self.request_id else None]
        details = [d for d in details if d]
        return f"{self.message} ({', '.join(details)})" if details else self.message


class Unreachable(NextcloudError):
    """No HTTP answer: connection refused, DNS failure, TLS error or timeout."""

    def __init__(self, message: str, url: str | None = None, timeout: bool = False):
        super().__init__(message, url=url)
        self.timeout = timeout


class BadRequest(NextcloudError):
    """400: the server refused the request as malformed."""


class Unauthorized(NextcloudError):
    """401: the access token was refused (after the one refresh-and-resend, quirk `dav_401_basic_challenge`)."""


class ReconnectNeeded(NextcloudError):
    """The OAuth grant is gone (refresh answered 400, or no token stored): the user must authorise again."""

    def __init__(self, message: str, reason: str | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.reason = reason or message


class Forbidden(NextcloudError):
    """403: not allowed (or a limit such as the 30-calendar cap, quirk `calendar_creation_limits`)."""


class NotFound(NextcloudError):
    """404: the resource, sharee or share does not exist."""


class AlreadyExists(NextcloudError):
    """405 on MKCOL/MKCALENDAR, or 403 "already shared" from the sharing API (quirk `share_twice_403`)."""


class ParentMissing(NextcloudError):
    """409 (404 on a PUT): the parent collection does not exist (quirk put_404_parent_missing)."""


class PreconditionFailed(NextcloudError):
    """412: an If-None-Match / If-Match precondition failed."""


class Locked(NextcloudError):
    """423: the file is locked."""


class RateLimited(NextcloudError):
    """429: too many requests; `retry_after` in seconds when the server said so."""

    def __init__(self, message: str, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServiceUnavailable(NextcloudError):
    """503: the server is down or in maintenance mode (quirk `maintenance_503`)."""

    def __init__(self, message: str, maintenance: bool = False, retry_after: float | None = None,
                 **kwargs):
        super().__init__(message, **kwargs)
        self.maintenance = maintenance
        self.retry_after = retry_after


class InvalidSyncToken(NextcloudError):
    """403 with DAV:valid-sync-token: the sync token is unknown or pruned, a full resync is needed
    (quirk `sync_token_403`)."""


class ShareNotApplied(NextcloudError):
    """A calendar share answered 200 but some sharees were silently skipped (quirk `calendar_share_silent_skip`)."""

    def __init__(self, message: str, sharees=(), **kwargs):
        super().__init__(message, **kwargs)
        self.sharees = list(sharees)


_BY_STATUS: dict[int, type[NextcloudError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: ParentMissing,
    412: PreconditionFailed,
    423: Locked,
}

_ALREADY_SHARED = re.compile(r"already shared", re.IGNORECASE)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _ocs_http_status(statuscode: int) -> int:
    """The HTTP status OCS v2 would use for an OCS statuscode (quirk `ocs_v1_vs_v2`)."""
    if statuscode == 100 or 200 <= statuscode < 300:
        return 200
    if statuscode == 997:
        return 401
    if statuscode == 998:
        return 404
    if statuscode in (996, 999):
        return 500
    if statuscode < 200 or statuscode > 600:
        return 400
    return statuscode


def _read_body(response) -> tuple[str | None, int | None, set[str]]:
    """(message, OCS statuscode, DAV precondition names) found in an error body; never raises."""
    content_type = response.headers.get("Content-Type", "")
    body = response.content or b""
    if not body:
        return None, None, set()
    if "json" in content_type or body[:1] in (b"{", b"["):
        try:
            data = json.loads(body)
        except ValueError:
            return None, None, set()
        if isinstance(data, dict) and isinstance(data.get("ocs"), dict):
            meta = data["ocs"].get("meta") or {}
            code = meta.get("statuscode")
            return meta.get("message") or None, int(code) if str(code).isdigit() else None, set()
        if isinstance(data, dict):
            # token endpoint {"error": ...} (quirk `token_errors_all_400`) and strict-cookie {"error": ...}
            # (quirk `no_cookie_jar`)
            message = data.get("error_description") or data.get("error") or data.get("message")
            return (str(message) if message else None), None, set()
        return None, None, set()
    if "xml" in content_type or body.lstrip()[:1] == b"<":
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return None, None, set()
        if root.tag == f"{{{DAV_NS}}}error":
            message = root.findtext(f"{{{SABRE_NS}}}message")
            preconditions = {child.tag.split("}", 1)[-1] for child in root
                             if child.tag.startswith(f"{{{DAV_NS}}}")}
            return (message.strip() if message else None), None, preconditions
        meta = root.find("meta")
        if root.tag == "ocs" and meta is not None:
            code = meta.findtext("statuscode")
            return meta.findtext("message") or None, int(code) if code and code.isdigit() else None, set()
    return None, None, set()


def raise_for_response(response) -> None:
    """Raise the typed NextcloudError for a failed response; return None for a success.

    A 2xx OCS answer whose envelope reports a failure (OCS v1, quirk `ocs_v1_vs_v2`) is treated as failed.
    """
    status = response.status_code
    if 200 <= status < 300 and "json" not in response.headers.get("Content-Type", ""):
        return
    message, ocs_code, preconditions = _read_body(response)
    if 200 <= status < 300:
        if ocs_code is None or _ocs_http_status(ocs_code) == 200:
            return
        status = _ocs_http_status(ocs_code)

    request = getattr(response, "request", None)
    method = (request.method or "").upper() if request is not None else ""
    request_id = response.headers.get("X-Request-Id")
    url = response.url
    text = message or response.reason or f"HTTP {status}"
    kwargs = dict(status=status, request_id=request_id, url=url)
    if status == 429:
        raise RateLimited(text, retry_after=parse_retry_after(response.headers.get("Retry-After")),
                          **kwargs)
    if status == 503:
        raise ServiceUnavailable(
            text,
            maintenance=(response.headers.get("X-Nextcloud-Maintenance-Mode") == "1"
                         or "maintenance mode" in text.lower()),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            **kwargs)
    if status == 405 and method in _CREATE_COLLECTION_METHODS and "reserved" not in text.lower():
        raise AlreadyExists(text, **kwargs)
    if status == 404 and method == "PUT":  # quirk put_404_parent_missing: the target need not exist
        raise ParentMissing(text, **kwargs)
    if status == 403 and "valid-sync-token" in preconditions:  # quirk sync_token_403
        raise InvalidSyncToken(text, **kwargs)
    if status == 403 and _ALREADY_SHARED.search(text):  # quirk share_twice_403
        raise AlreadyExists(text, **kwargs)
    raise _BY_STATUS.get(status, NextcloudError)(text, **kwargs)
