"""CalDAV for one Nextcloud account: calendars and task lists, their shares and objects, incremental sync."""

from __future__ import annotations

import logging
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit

from caldav import Calendar as DAVCalendar
from caldav.davclient import DAVClient
from caldav.elements import dav
from caldav.lib.python_utilities import to_wire
from caldav.response import DAVResponse

from connectors.errors import (
    AlreadyExists,
    BadRequest,
    Forbidden,
    InvalidSyncToken,
    NextcloudError,
    NotFound,
    ParentMissing,
    PreconditionFailed,
    RateLimited,
    ShareNotApplied,
)
from connectors.http import DEFAULT_TIMEOUT, call, make_session
from connectors.ical import validate_uid

log = logging.getLogger(__name__)
_SABRE_TOKEN = re.compile(r"http://sabre\.io/ns/sync/(\d+)")

NS_DAV = "DAV:"
NS_CALDAV = "urn:ietf:params:xml:ns:caldav"
NS_APPLE = "http://apple.com/ns/ical/"
NS_OC = "http://owncloud.org/ns"
NS_SABRE = "http://sabredav.org/ns"

COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL")

# Quirk `calendar_uri_rules`: "inbox", "outbox" and "notifications" exist in every calendar home, "trashbin" and
# "app-generated*" are reserved; "contact_birthdays" cannot be produced by the slug pattern below.
RESERVED_CALENDAR_URIS = frozenset({"inbox", "outbox", "notifications", "trashbin"})
_CALENDAR_URI_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?$")

# A full resync fetches data in calendar-multiget batches of this many hrefs, to keep each REPORT bounded.
MULTIGET_BATCH = 200

for _prefix, _uri in (("d", NS_DAV), ("c", NS_CALDAV), ("a", NS_APPLE), ("oc", NS_OC)):
    ET.register_namespace(_prefix, _uri)


class CalendarLimitReached(Forbidden):
    """403 "Calendar limit reached": the account owns the maximum number of calendars
    (quirk `calendar_creation_limits`)."""


class CalendarMismatch(NextcloudError):
    """A collection already exists at the calendar URI but cannot serve as the calendar asked for."""


@dataclass(frozen=True)
class CalendarInfo:
    """A calendar as ensured: where it is and what it holds; `created` is True when this call made it."""

    uri: str
    url: str
    display_name: str
    color: str | None
    components: tuple[str, ...]
    created: bool


@dataclass(frozen=True)
class CalendarSharee:
    """One entry of a calendar's `oc:invite` property (Nextcloud: apps/dav/lib/DAV/Sharing/Xml/Invite.php)."""

    href: str
    read_write: bool
    common_name: str | None = None
    summary: str | None = None

    @property
    def principal(self) -> str:
        """The principal path, e.g. "principals/users/anna"."""
        return self.href[len("principal:"):] if self.href.startswith("principal:") else self.href


@dataclass(frozen=True)
class CalendarObject:
    """One stored calendar object: its href (URL path), ETag and iCalendar data."""

    href: str
    etag: str | None
    data: bytes


@dataclass(frozen=True)
class SyncResult:
    """What changed since a sync token.

    With `full_resync` True, `changed` is the whole calendar and `deleted` is empty: every object the caller
    knew that is not in `changed` is gone.
    """

    changed: list[CalendarObject]
    deleted: list[str]
    token: str | None
    full_resync: bool


def calendar_uri(*parts: str) -> str:
    """A calendar URI made of `parts`: lower case, [a-z0-9-], at most 255 characters (quirk `calendar_uri_rules`)."""
    text = "-".join(parts).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:255].rstrip("-")
    return validate_calendar_uri(slug)


def validate_calendar_uri(uri: str) -> str:
    """Return `uri` if Nextcloud accepts it as a new calendar's URI, else raise ValueError
    (quirk `calendar_uri_rules`)."""
    if not isinstance(uri, str) or not _CALENDAR_URI_RE.match(uri) or len(uri) > 255:
        raise ValueError(f"calendar uri {uri!r} must be 1-255 characters of a-z, 0-9 and inner '-'")
    if uri in RESERVED_CALENDAR_URIS or uri.startswith("app-generated"):
        raise ValueError(f"calendar uri {uri!r} is reserved by Nextcloud")
    return uri


def sharee_href(sharee: str) -> str:
    """The `oc:share` href for a sharee: a bare user id, "group:<gid>", a principal path or a full href."""
    if sharee.startswith("principal:"):
        return sharee
    if sharee.startswith("principals/"):
        return "principal:" + sharee
    if sharee.startswith("group:"):
        # Nextcloud url-encodes group ids in principal hrefs (they may contain spaces, "!" or ":").
        return "principal:principals/groups/" + quote(sharee[len("group:"):], safe="")
    if not sharee or "/" in sharee:
        raise ValueError(f"sharee {sharee!r} is neither a user id nor a principal")
    return "principal:principals/users/" + sharee


class _SessionDAVClient(DAVClient):
    """caldav's DAVClient sending through our shared requests session instead of its own niquests one.

    That gives caldav's requests the retry policy, timeout, bearer refresh and typed errors of every other
    Nextcloud call (connectors.http). The session belongs to the caller and is never closed here.
    """

    def __init__(self, url: str, session, auth, timeout):
        super().__init__(url=url, timeout=timeout, features="nextcloud")
        # caldav made a niquests session of its own; it is never used.
        super().close()
        self.session = session
        self.auth = auth

    def close(self) -> None:
        """The session is shared with the other clients of this instance; closing is the owner's job."""

    def request(self, url, method="GET", body="", headers=None, rate_limit_time_slept=0) -> DAVResponse:
        url_obj, combined_headers = self._prepare_request(url, method, body, headers)
        response = call(self.session, method, str(url_obj), auth=self.auth, data=to_wire(body),
                        headers=dict(combined_headers), timeout=self.timeout)
        return DAVResponse(response, self)


class CalendarClient:
    """CalDAV operations in one account's calendar home `/remote.php/dav/calendars/<uid>/` (quirk `uid_in_dav_paths`).

    `auth` is a requests auth object (normally `connectors.oauth.BearerAuth`, which refreshes the token before
    it expires and once more on a 401). `session` is the instance's shared session; without one, a session
    is made with the retry policy of `connectors.http.make_session`. Every request carries `timeout`.

    The `caldav` library does the sync-collection and calendar-multiget REPORTs. MKCALENDAR (caldav's
    make_calendar cannot set a colour and follows up with a PROPPATCH), the `oc:share` POST and the
    conditional PUTs (whose 412/400 we must tell apart) are written here, on the same session.
    """

    def __init__(self, base_url: str, user_id: str, auth, timeout=DEFAULT_TIMEOUT, session=None):
        if not user_id or "/" in user_id:
            raise ValueError(f"user_id {user_id!r} is not a Nextcloud user id")
        self.base_url = base_url.rstrip("/")
        self.user_id = user_id
        self.auth = auth
        self.timeout = timeout
        self.session = session if session is not None else make_session(timeout=timeout)
        self.home_url = f"{self.base_url}/remote.php/dav/calendars/{quote(user_id, safe='@')}/"
        self._dav = _SessionDAVClient(self.home_url, self.session, auth, timeout)
        self._calendars: dict[str, DAVCalendar] = {}
        self._lock = threading.Lock()

    # -- calendars ---------------------------------------------------------------------------------------

    def calendar_url(self, uri: str) -> str:
        return f"{self.home_url}{uri}/"

    def ensure_calendar(self, uri: str, display_name: str, color: str | None = None,
                        components: Sequence[str] = ("VEVENT",), verify_existing: bool = True) -> CalendarInfo:
        """Create the calendar `uri` unless it exists; an existing one is verified and its name/colour fixed.

        A task list is `components=("VTODO",)`. Requests: one MKCALENDAR for a new calendar; for an existing
        one MKCALENDAR (405) + PROPFIND, + PROPPATCH only when the display name or colour differ.
        Raises CalendarMismatch when the existing collection lacks a requested component (the set cannot
        change after creation, quirk `calendar_default_components`), RateLimited for "Too many calendars created" and
        CalendarLimitReached for "Calendar limit reached" (quirk `calendar_creation_limits`).
        """
        validate_calendar_uri(uri)
        components = _normalise_components(components)
        if not display_name or not display_name.strip():
            raise ValueError("display_name must be a non-empty text")
        if color is not None and not _COLOR_RE.match(color):
            raise ValueError(f"color {color!r} must look like #RRGGBB")
        url = self.calendar_url(uri)

        mkcalendar = ET.Element(f"{{{NS_CALDAV}}}mkcalendar")
        prop = ET.SubElement(ET.SubElement(mkcalendar, f"{{{NS_DAV}}}set"), f"{{{NS_DAV}}}prop")
        ET.SubElement(prop, f"{{{NS_DAV}}}displayname").text = display_name
        if color:
            ET.SubElement(prop, f"{{{NS_APPLE}}}calendar-color").text = color
        component_set = ET.SubElement(prop, f"{{{NS_CALDAV}}}supported-calendar-component-set")
        for name in components:
            ET.SubElement(component_set, f"{{{NS_CALDAV}}}comp", name=name)
        try:
            self._send("MKCALENDAR", url, body=_xml(mkcalendar))
        except AlreadyExists:
            if not verify_existing:  # the caller decides what an existing calendar means; nothing is changed
                return CalendarInfo(uri, url, display_name, color, components, created=False)
            return self._verify_calendar(uri, display_name, color, components)
        except RateLimited as exc:
            raise RateLimited(
                f"Nextcloud refused to create calendar {uri!r} for {self.user_id}: too many calendars created "
                f"in the last hour (dav rateLimitCalendarCreation, quirk calendar_creation_limits)",
                retry_after=exc.retry_after, status=exc.status, request_id=exc.request_id, url=exc.url,
            ) from exc
        except Forbidden as exc:
            if "calendar limit" in exc.message.lower():
                raise CalendarLimitReached(
                    f"Nextcloud refused to create calendar {uri!r}: {self.user_id} owns the maximum number of "
                    f"calendars (dav maximumCalendarsSubscriptions, quirk calendar_creation_limits)",
                    status=exc.status, request_id=exc.request_id, url=exc.url,
                ) from exc
            raise
        log.info("Created calendar %s of %s (%s)", uri, self.user_id, ",".join(components))
        return CalendarInfo(uri, url, display_name, color, components, created=True)

    def _verify_calendar(self, uri, display_name, color, components) -> CalendarInfo:
        url = self.calendar_url(uri)
        props = self._propfind(url, [
            f"{{{NS_DAV}}}resourcetype",
            f"{{{NS_DAV}}}displayname",
            f"{{{NS_APPLE}}}calendar-color",
            f"{{{NS_CALDAV}}}supported-calendar-component-set",
        ])
        resourcetype = props.get(f"{{{NS_DAV}}}resourcetype")
        if resourcetype is None or resourcetype.find(f"{{{NS_CALDAV}}}calendar") is None:
            raise CalendarMismatch(f"{url} exists but is not a calendar", url=url)
        component_set = props.get(f"{{{NS_CALDAV}}}supported-calendar-component-set")
        # Without the property the server's default applies, VEVENT and VTODO in Nextcloud
        # (quirk `calendar_default_components`).
        existing = ("VEVENT", "VTODO") if component_set is None else tuple(
            (comp.get("name") or "").upper() for comp in component_set.findall(f"{{{NS_CALDAV}}}comp"))
        missing = [c for c in components if c not in existing]
        if missing:
            raise CalendarMismatch(
                f"calendar {uri!r} of {self.user_id} exists but does not accept {', '.join(missing)} "
                f"(it holds {', '.join(existing) or 'nothing'}); a component set cannot be changed", url=url)

        current_name = _text(props.get(f"{{{NS_DAV}}}displayname"))
        current_color = _text(props.get(f"{{{NS_APPLE}}}calendar-color"))
        updates = {}
        if current_name != display_name:
            updates[f"{{{NS_DAV}}}displayname"] = display_name
        if color and _normalise_color(current_color) != _normalise_color(color):
            updates[f"{{{NS_APPLE}}}calendar-color"] = color
        if updates:
            self._proppatch(url, updates)
            log.info("Updated %s of calendar %s of %s", ", ".join(_local(k) for k in updates), uri, self.user_id)
        return CalendarInfo(uri, url, display_name, color or current_color,
                            tuple(c for c in COMPONENTS if c in existing), created=False)

    def remove_calendar(self, uri: str) -> bool:
        """Delete the calendar `uri` for good, past the calendar trash bin (quirk `calendar_trashbin`); one
        DELETE. False when it was gone already."""
        try:
            self._send("DELETE", self.calendar_url(uri), headers={"X-NC-CalDAV-No-Trashbin": "1"})
        except NotFound:
            return False
        log.info("Removed calendar %s of %s", uri, self.user_id)
        return True

    # -- sharing -----------------------------------------------------------------------------------------

    def sharees(self, uri: str) -> list[CalendarSharee]:
        """The calendar's current sharees, from a PROPFIND of `oc:invite`. One request.

        Nextcloud: apps/dav/lib/DAV/Sharing/Xml/Invite.php.
        """
        url = self.calendar_url(uri)
        invite = self._propfind(url, [f"{{{NS_OC}}}invite"]).get(f"{{{NS_OC}}}invite")
        return [] if invite is None else parse_invite(invite)

    def apply_shares(self, uri: str, access: dict[str, bool], remove: Iterable[str] = (),
                     summary: str | None = None) -> list[CalendarSharee]:
        """Set every sharee of `access` ({sharee: read-write?}) and drop those in `remove`, in one POST
        (several `oc:set` and `oc:remove`, Nextcloud: apps/dav/lib/DAV/Sharing/Xml/ShareRequest.php), then
        read the sharees back once.

        Setting a sharee that is already there at that level changes nothing, so the POST can be repeated.
        Nextcloud skips unknown users and the owner silently (quirk `calendar_share_silent_skip`), so the
        read-back decides: ShareNotApplied names those missing. Requests: POST + PROPFIND.
        """
        wanted = {sharee_href(s): rw for s, rw in access.items()}
        dropped = [h for h in dict.fromkeys(sharee_href(s) for s in remove) if h not in wanted]
        if not wanted and not dropped:
            return self.sharees(uri)
        share = ET.Element(f"{{{NS_OC}}}share")
        for href, read_write in wanted.items():
            entry = ET.SubElement(share, f"{{{NS_OC}}}set")
            ET.SubElement(entry, f"{{{NS_DAV}}}href").text = href
            if summary:
                ET.SubElement(entry, f"{{{NS_OC}}}summary").text = summary
            if read_write:
                ET.SubElement(entry, f"{{{NS_OC}}}read-write")
        for href in dropped:
            ET.SubElement(ET.SubElement(share, f"{{{NS_OC}}}remove"), f"{{{NS_DAV}}}href").text = href
        self._post_share(uri, share)
        after = {s.href: s for s in self.sharees(uri)}
        skipped = [unquote(h) for h, rw in wanted.items()
                   if unquote(h) not in after or after[unquote(h)].read_write != rw]
        if skipped:
            raise ShareNotApplied(
                f"Nextcloud did not share calendar {uri!r} of {self.user_id} with {', '.join(skipped)} "
                f"(unknown user or group, or the owner, quirk calendar_share_silent_skip)",
                sharees=skipped, url=self.calendar_url(uri))
        return list(after.values())

    def inventory(self, uri: str) -> tuple[list[CalendarSharee], dict[str, str | None]] | None:
        """The calendar's sharees and its objects ({name: ETag}) from one Depth-1 PROPFIND asking for
        `oc:invite` and `getetag` (no object is downloaded); None when the calendar does not exist."""
        url = self.calendar_url(uri)
        propfind = ET.Element(f"{{{NS_DAV}}}propfind")
        prop = ET.SubElement(propfind, f"{{{NS_DAV}}}prop")
        ET.SubElement(prop, f"{{{NS_OC}}}invite")
        ET.SubElement(prop, f"{{{NS_DAV}}}getetag")
        try:
            response = self._send("PROPFIND", url, body=_xml(propfind), headers={
                "Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
        except NotFound:
            return None
        sharees: list[CalendarSharee] = []
        objects: dict[str, str | None] = {}
        own = _path(url).rstrip("/")
        for element in ET.fromstring(response.content).findall(f"{{{NS_DAV}}}response"):
            href = unquote(element.findtext(f"{{{NS_DAV}}}href") or "").rstrip("/")
            found = {}
            for propstat in element.findall(f"{{{NS_DAV}}}propstat"):
                if " 200 " in f"{propstat.findtext(f'{{{NS_DAV}}}status') or ''} ":
                    found.update({e.tag: e for e in _children(propstat.find(f"{{{NS_DAV}}}prop"))})
            if href == unquote(own):
                invite = found.get(f"{{{NS_OC}}}invite")
                sharees = [] if invite is None else parse_invite(invite)
            else:
                objects[href.rsplit("/", 1)[-1]] = _text(found.get(f"{{{NS_DAV}}}getetag"))
        return sharees, objects

    def _post_share(self, uri: str, share: ET.Element) -> None:
        # Quirk `calendar_share_xml_only`: the POST is only handled as a share request with an XML content type.
        self._send("POST", self.calendar_url(uri), body=_xml(share),
                   headers={"Content-Type": "application/xml; charset=utf-8"})

    # -- objects -----------------------------------------------------------------------------------------

    def object_url(self, uri: str, href: str) -> str:
        """Absolute URL of an object given as a name ("<uid>.ics") or as an href path."""
        return urljoin(self.calendar_url(uri), href)

    def create_if_absent(self, uri: str, uid: str, ical: bytes) -> bool:
        """Store `ical` as `<uid>.ics` unless an object with that name or UID exists; True when created.

        One PUT with If-None-Match: * (quirk `put_if_none_match`): 201/204 → True; 412 → False (the existing object
        is kept, whatever people changed in it). A 400 "uid already exists" (or the newer 409
        no-uid-conflict) means the UID lives under another name (quirk `uid_unique_per_calendar`): also
        present, so False, and logged.
        """
        validate_uid(uid)
        found = _uids(ical)
        if found != {uid}:
            raise ValueError(f"ical must hold exactly the UID {uid!r}, found {sorted(found)}")
        url = self.object_url(uri, f"{uid}.ics")
        response = self._send("PUT", url, body=ical, accept=(400, 409, 412), headers={
            "Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
        if response.status_code == 412:
            return False
        if response.status_code in (400, 409):
            if _is_uid_conflict(response):
                log.info("Object with UID %s already exists in calendar %s of %s under another name; kept it",
                         uid, uri, self.user_id)
                return False
            error = BadRequest if response.status_code == 400 else ParentMissing
            raise error(_error_message(response) or f"PUT {url} refused", status=response.status_code,
                        request_id=response.headers.get("X-Request-Id"), url=url)
        return True

    def get(self, uri: str, uid: str) -> CalendarObject | None:
        """The object `<uid>.ics` with its ETag, or None when there is none. One GET."""
        return self.get_href(uri, f"{validate_uid(uid)}.ics")

    def get_href(self, uri: str, href: str) -> CalendarObject | None:
        """The object at `href` with its ETag, or None when there is none. One GET."""
        url = self.object_url(uri, href)
        try:
            response = self._send("GET", url, headers={"Accept": "text/calendar"})
        except NotFound:
            return None
        return CalendarObject(urlsplit(url).path, response.headers.get("ETag"), response.content)

    def update(self, uri: str, href: str, ical: bytes, etag: str) -> str | None:
        """Replace the object if it still has `etag`; PreconditionFailed when someone changed it since.

        Returns the new ETag, or None when the server did not send one because it rewrote the object
        (quirk `scheduling_rewrites_object`); read it again before the next conditional write. One PUT.
        """
        if not etag:
            raise ValueError("update needs the ETag the object was read with")
        response = self._send("PUT", self.object_url(uri, href), body=ical, headers={
            "Content-Type": "text/calendar; charset=utf-8", "If-Match": etag})
        return response.headers.get("ETag")

    def delete(self, uri: str, href: str, etag: str | None = None) -> bool:
        """Delete the object (only if it still has `etag`, when given); False when it was already gone."""
        headers = {"If-Match": etag} if etag else {}
        try:
            self._send("DELETE", self.object_url(uri, href), headers=headers)
        except NotFound:
            return False
        return True

    # -- sync --------------------------------------------------------------------------------------------

    def sync(self, uri: str, token: str | None = None) -> SyncResult:
        """Objects changed and deleted in calendar `uri` since `token` (None: everything), with the new token.

        Uses the sync-collection REPORT (RFC 6578) and never caldav's silent full-fetch
        fallback. An unknown or pruned token (Nextcloud/Radicale 403 DAV:valid-sync-token, Xandikos 412) is
        logged as a warning and answered with an explicit full resync, `full_resync=True` (quirk `sync_token_403`).
        So is an accepted token that comes back numerically lower than the one sent: Nextcloud never checks
        a number against the calendar it came from, so that answer belongs to a calendar deleted and
        re-created under the same URI (quirk `sync_token_number_unchecked`).

        Requests per call (the calendar object is built from its URL, no discovery):
        - nothing changed: exactly 1 REPORT (sync-collection);
        - k objects changed or added (k ≥ 1): 1 REPORT + 1 REPORT calendar-multiget fetching those k objects
          (deleted objects cost nothing more);
        - initial sync or full resync of n objects: 1 REPORT + ceil(n / 200) calendar-multiget REPORTs,
          plus the refused REPORT before a resync.
        A reply the server truncated (RFC 6578 section 3.6) is followed by one more REPORT per page.
        """
        calendar = self._calendar(uri)
        try:
            collection = calendar.get_objects_by_sync_token(
                sync_token=token, load_objects=False, disable_fallback=True)
            full_resync = False
        except (InvalidSyncToken, PreconditionFailed) as exc:
            if token is None:
                raise
            log.warning("Sync token of calendar %s of %s was refused (%s); doing a full resync",
                        uri, self.user_id, exc)
            collection = calendar.get_objects_by_sync_token(
                sync_token=None, load_objects=False, disable_fallback=True)
            full_resync = True
        sent, returned = _token_number(token), _token_number(collection.sync_token)
        if not full_resync and sent is not None and returned is not None and returned < sent:
            log.warning("Calendar %s of %s answered sync token %s with the lower %s: it was re-created; "
                        "doing a full resync", uri, self.user_id, token, collection.sync_token)
            collection = calendar.get_objects_by_sync_token(
                sync_token=None, load_objects=False, disable_fallback=True)
            full_resync = True

        deleted_urls = {str(u) for u in collection.deleted_urls}
        deleted = sorted(_path(u) for u in deleted_urls)
        changed_urls = [o.url for o in collection.objects if o.url.canonical() not in collection.deleted_urls]
        sync_etags = {_path(o.url): o.props.get(dav.GetEtag.tag) for o in collection.objects}

        changed: list[CalendarObject] = []
        fetched: set[str] = set()
        for start in range(0, len(changed_urls), MULTIGET_BATCH):
            for obj in calendar.multiget(changed_urls[start:start + MULTIGET_BATCH]):
                href = _path(obj.url)
                fetched.add(href)
                etag = obj.props.get(dav.GetEtag.tag) or sync_etags.get(href)
                changed.append(CalendarObject(href, etag, to_wire(obj.data)))
        # An object listed as changed but gone by the time of the multiget was deleted in between.
        vanished = [_path(u) for u in changed_urls if _path(u) not in fetched]
        if vanished and not full_resync:
            deleted = sorted(set(deleted) | set(vanished))
        changed.sort(key=lambda o: o.href)
        return SyncResult(changed=changed, deleted=[] if full_resync else deleted,
                          token=_token(collection.sync_token), full_resync=full_resync)

    def _calendar(self, uri: str) -> DAVCalendar:
        # Existing calendars may have URIs we would not create (e.g. "<uri>_shared_by_<owner>",
        # quirk `shared_calendar_uri`).
        if not uri or "/" in uri:
            raise ValueError(f"calendar uri {uri!r} is not a single path segment")
        with self._lock:
            calendar = self._calendars.get(uri)
            if calendar is None:
                calendar = self._calendars[uri] = DAVCalendar(client=self._dav, url=self.calendar_url(uri))
            return calendar

    # -- transport ---------------------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, body=None, headers=None, accept=()):
        return call(self.session, method, url, auth=self.auth, data=body, headers=headers or {},
                    timeout=self.timeout, accept=accept)

    def _propfind(self, url: str, names: Sequence[str]) -> dict[str, ET.Element]:
        """Depth-0 PROPFIND of `names`; returns the found properties by Clark name (404 props omitted)."""
        propfind = ET.Element(f"{{{NS_DAV}}}propfind")
        prop = ET.SubElement(propfind, f"{{{NS_DAV}}}prop")
        for name in names:
            ET.SubElement(prop, name)
        response = self._send("PROPFIND", url, body=_xml(propfind), headers={
            "Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
        found: dict[str, ET.Element] = {}
        root = ET.fromstring(response.content)
        for propstat in root.iter(f"{{{NS_DAV}}}propstat"):
            status = propstat.findtext(f"{{{NS_DAV}}}status") or ""
            if " 200 " not in f"{status} ":
                continue
            for element in _children(propstat.find(f"{{{NS_DAV}}}prop")):
                found[element.tag] = element
        return found

    def _proppatch(self, url: str, values: dict[str, str]) -> None:
        update = ET.Element(f"{{{NS_DAV}}}propertyupdate")
        prop = ET.SubElement(ET.SubElement(update, f"{{{NS_DAV}}}set"), f"{{{NS_DAV}}}prop")
        for name, value in values.items():
            ET.SubElement(prop, name).text = value
        response = self._send("PROPPATCH", url, body=_xml(update), headers={
            "Content-Type": "application/xml; charset=utf-8"})
        # PROPPATCH answers 207 even when a property was refused; the per-property status tells.
        root = ET.fromstring(response.content) if response.content else None
        if root is not None:
            for propstat in root.iter(f"{{{NS_DAV}}}propstat"):
                status = propstat.findtext(f"{{{NS_DAV}}}status") or ""
                if " 200 " not in f"{status} ":
                    refused = [_local(e.tag) for e in _children(propstat.find(f"{{{NS_DAV}}}prop"))]
                    raise NextcloudError(f"PROPPATCH {url} refused {', '.join(refused)}: {status}", url=url)


def parse_invite(invite: ET.Element) -> list[CalendarSharee]:
    """Read an `oc:invite` element (Nextcloud apps/dav/lib/DAV/Sharing/Xml/Invite.php) into sharees."""
    sharees = []
    for user in invite.findall(f"{{{NS_OC}}}user"):
        href = (user.findtext(f"{{{NS_DAV}}}href") or "").strip()
        if not href:
            continue
        access = user.find(f"{{{NS_OC}}}access")
        read_write = access is not None and access.find(f"{{{NS_OC}}}read-write") is not None
        sharees.append(CalendarSharee(
            href=unquote(href),
            read_write=read_write,
            common_name=(user.findtext(f"{{{NS_OC}}}common-name") or None),
            summary=(user.findtext(f"{{{NS_OC}}}summary") or None),
        ))
    return sharees


def _normalise_components(components: Sequence[str]) -> tuple[str, ...]:
    if isinstance(components, str):
        components = (components,)
    wanted = {c.upper() for c in components}
    unknown = wanted - set(COMPONENTS)
    if not wanted or unknown:
        raise ValueError(f"components must be a non-empty subset of {', '.join(COMPONENTS)}")
    return tuple(c for c in COMPONENTS if c in wanted)


def _normalise_color(color: str | None) -> str | None:
    # Nextcloud's web UI stores #RRGGBBAA; an opaque alpha is the same colour as #RRGGBB.
    if not color:
        return None
    color = color.upper()
    return color[:7] if len(color) == 9 and color.endswith("FF") else color


def _uids(ical: bytes | str) -> set[str]:
    """The UIDs of the calendar's components (not of components nested in them, such as a VALARM), read from
    the unfolded content lines (RFC 5545 section 3.1) instead of parsing the whole object: this runs before every
    object PUT, and parsing would cost as much as rendering the object did."""
    text = ical.decode("utf-8", "replace") if isinstance(ical, bytes) else ical
    depth, found = 0, set()
    for line in _FOLD.sub("", text).splitlines():
        name, _, value = line.partition(":")
        name = name.split(";", 1)[0].strip().upper()
        if name == "BEGIN":
            depth += 1
        elif name == "END":
            depth -= 1
        elif name == "UID" and depth == 2:
            found.add(value.strip())
    return found


_FOLD = re.compile(r"\r?\n[ \t]")


def _is_uid_conflict(response) -> bool:
    text = (response.content or b"").decode("utf-8", "replace").lower()
    return "no-uid-conflict" in text or ("uid" in text and "already exists" in text)


def _error_message(response) -> str | None:
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError:
        return None
    message = root.findtext(f"{{{NS_SABRE}}}message")
    return message.strip() if message else None


def _xml(element: ET.Element) -> bytes:
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def _children(element: ET.Element | None) -> list[ET.Element]:
    return [] if element is None else list(element)


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _local(tag: str) -> str:
    return tag.split("}", 1)[-1]


def _path(url) -> str:
    return urlsplit(str(url)).path


def _token(token) -> str | None:
    return None if token is None else str(token)


def _token_number(token) -> int | None:
    """The counter in a Nextcloud (Sabre) sync token `http://sabre.io/ns/sync/<n>`; None for other forms."""
    found = _SABRE_TOKEN.fullmatch(str(token or ""))
    return int(found.group(1)) if found else None
