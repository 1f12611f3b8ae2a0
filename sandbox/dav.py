"""The DAV side of a sandbox organisation: Radicale for calendars, WsgiDAV for files, each behind a thin
layer that makes them answer like Nextcloud.

Radicale and WsgiDAV do the DAV work. The layers around them are hand-written because no library
emulates Nextcloud's (Sabre's) stricter rules and extensions: component sets, UID uniqueness, reserved
calendar names, 404 for other users' calendars and for a PUT without parent, preconditions before the
body, an ETag per write, numbered sync tokens, `oc:fileid`/`OC-FileId`, the `oc:share` POST and
scheduling. Each rule names the quirk (connectors/quirks.py) or the Nextcloud or Sabre source it follows.
"""

import io
import logging
import os
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import quote, unquote

import radicale
import radicale.config
from icalendar import Calendar
from wsgidav.fs_dav_provider import FileResource, FilesystemProvider, FolderResource
from wsgidav.wsgidav_app import WsgiDAVApp

from sandbox import calendar_sharing, outbox, synclog
from sandbox.faults import sabre_error
from sandbox.ocs import TYPE_REMOTE, split_cloud_id

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CALSERVER = "http://calendarserver.org/ns/"
OC = "http://owncloud.org/ns"
NC = "http://nextcloud.org/ns"
CALENDARS_PREFIX = "/remote.php/dav/calendars"
FILES_PREFIX = "/remote.php/dav/files"
PRINCIPALS_PREFIX = "/remote.php/dav/principals/users"
XML_TYPE = "application/xml; charset=utf-8"

# quirk `calendar_uri_rules`: names Nextcloud refuses for MKCALENDAR ("reserved name"), and children that always exist.
RESERVED_CALENDAR_URIS = ("contact_birthdays", "trashbin")
RESERVED_CALENDAR_PREFIX = "app-generated"
BUILTIN_CALENDAR_CHILDREN = ("inbox", "outbox", "notifications")
DEFAULT_COMPONENTS = ("VEVENT", "VTODO")  # quirk `calendar_default_components`
OBJECT_COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL")
SHARED_MARK = "_shared_by_"  # quirk `shared_calendar_uri`
READ_METHODS = ("GET", "HEAD", "OPTIONS", "PROPFIND", "REPORT")
# Nextcloud creates a "personal" event calendar at a user's first login
# (Nextcloud: apps/dav/lib/HookManager.php, firstLogin);
# here it is made when the user's calendar home is first used.
PERSONAL_CALENDAR = ("personal", {"tag": "VCALENDAR", "D:displayname": "Personal",
                                  "C:supported-calendar-component-set": "VEVENT"})

# ElementTree prefixes are process-wide and Radicale serialises with ElementTree too: registering Sabre's
# prefixes once makes every answer (Radicale's and ours) use Nextcloud's d:/cal:/cs:/oc:/nc: spelling.
for _prefix, _uri in (("d", DAV), ("cal", CALDAV), ("cs", "http://calendarserver.org/ns/"), ("oc", OC), ("nc", NC)):
    ET.register_namespace(_prefix, _uri)

# Both libraries log expected client errors (bad sync tokens, failed preconditions) with tracebacks.
for _name in ("radicale", "wsgidav"):
    logging.getLogger(_name).setLevel(logging.ERROR)


@dataclass
class Response:
    status: int
    headers: list
    body: bytes

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def read_body(environ):
    """Read the request body once and put it back, so both the layer and the library can see it."""
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    if length:
        body = stream.read(int(length))
    elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def call(app, environ):
    """Run a WSGI app to completion and return its response."""
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, list(headers)

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return Response(int(captured["status"].split()[0]), captured["headers"], body)


def respond(start_response, response):
    phrase = HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
    headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(response.body))))
    start_response(f"{response.status} {phrase}", headers)
    return [response.body]


def dav_error(status, exception, message, extra=""):
    return Response(status, [("Content-Type", XML_TYPE)], sabre_error(exception, message, extra))


def not_found(message="Node not found"):
    return dav_error(404, "Sabre\\DAV\\Exception\\NotFound", message)


def _etags(header):
    return [item.strip(" ") for item in header.split(",")]


def check_preconditions(environ, etag):
    """sabre/dav lib/DAV/Server.php `checkPreconditions`, which runs before the method itself, so a failed
    If-Match / If-None-Match is 412 before anything looks at the body (quirk `put_if_none_match`).
    `etag` is the quoted ETag of the resource, or None when it does not exist. Returns a 412 or None."""
    if_match = environ.get("HTTP_IF_MATCH")
    if if_match:
        if etag is None:
            return _precondition_failed("An If-Match header was specified and the resource did not exist",
                                        "If-Match")
        # The backslash is Sabre's workaround for Evolution, which sometimes escapes the quotes.
        if if_match.strip() != "*" and etag not in [t.replace('\\"', '"') for t in _etags(if_match)]:
            return _precondition_failed("An If-Match header was specified, but none of the specified ETags "
                                        "matched.", "If-Match", etag)
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match and etag is not None:
        if if_none_match.strip() == "*" or etag in _etags(if_none_match):
            return _precondition_failed("An If-None-Match header was specified, but the ETag matched (or * "
                                        "was specified).", "If-None-Match", etag)
    return None


def _precondition_failed(message, header, etag=None):
    answer = dav_error(412, "Sabre\\DAV\\Exception\\PreconditionFailed", message,
                       extra=f"<s:header>{header}</s:header>\n  ")
    if etag:
        answer.headers.append(("ETag", etag))
    return answer


def multistatus(responses):
    """A DAV multistatus from [(href, {clark name: Element|str|None})]; None values go in a 404 propstat."""
    root = ET.Element(f"{{{DAV}}}multistatus")
    for href, props in responses:
        response = ET.SubElement(root, f"{{{DAV}}}response")
        ET.SubElement(response, f"{{{DAV}}}href").text = href
        for found in (True, False):
            selected = {k: v for k, v in props.items() if (v is not None) == found}
            if not selected:
                continue
            propstat = ET.SubElement(response, f"{{{DAV}}}propstat")
            prop = ET.SubElement(propstat, f"{{{DAV}}}prop")
            for name, value in selected.items():
                element = ET.SubElement(prop, name)
                if isinstance(value, str):
                    element.text = value
                elif isinstance(value, list):
                    element.extend(value)
            status = "HTTP/1.1 200 OK" if found else "HTTP/1.1 404 Not Found"
            ET.SubElement(propstat, f"{{{DAV}}}status").text = status
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root)
    return Response(207, [("Content-Type", XML_TYPE)], body)


def requested_props(body):
    """Clark names asked for in a PROPFIND body; an empty list means allprop."""
    if not body.strip():
        return []
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    prop = root.find(f"{{{DAV}}}prop")
    return [child.tag for child in prop] if prop is not None else []


def href_element(href):
    element = ET.Element(f"{{{DAV}}}href")
    element.text = href
    return element


def segments_of(path):
    return [unquote(s) for s in path.split("/") if s]


# --- calendars ---------------------------------------------------------------------------------------


def make_radicale(folder):
    """Radicale trusting REMOTE_USER (set by the sandbox's Bearer middleware), storing under `folder`."""
    os.makedirs(os.path.join(folder, "collection-root"), exist_ok=True)
    configuration = radicale.config.load()
    configuration.update({
        "auth": {"type": "remote_user", "delay": "0"},
        "rights": {"type": "owner_only"},
        "storage": {"filesystem_folder": os.fspath(folder), "_filesystem_fsync": "False"},
        "web": {"type": "none"},
        "server": {"delay_on_error": "0"},
        "logging": {"level": "error"},
    }, "sandbox", privileged=True)
    return radicale.Application(configuration)


class CalendarDav:
    """WSGI app for `/remote.php/dav/calendars`: Radicale plus Nextcloud's rules (apps/dav/lib/CalDAV)."""

    def __init__(self, org, folder):
        self.org = org
        self.radicale = make_radicale(folder)
        # The storage is read directly to check rules before Radicale writes; the Application exposes
        # it only as this attribute.
        self.storage = self.radicale._storage
        self._creations = {}
        self._creations_lock = threading.Lock()
        self._homes = set()
        self.sync_log = synclog.SyncLog()
        # Writes and sync-collection answers are serialised, so a token always matches the objects reported.
        self._write_lock = threading.RLock()

    def _ensure_home(self, user):
        """Create the user's calendar home and personal calendar before the first rule reads them."""
        if not user or user in self._homes:
            return
        uri, props = PERSONAL_CALENDAR
        with self.storage.acquire_lock("w", user, actor=user):
            if next(iter(self.storage.discover(f"/{user}/", depth="0")), None) is None:
                self.storage.create_collection(f"/{user}/")
                self.storage.create_collection(f"/{user}/{uri}/", props=dict(props))
        self._homes.add(user)

    def __call__(self, environ, start_response):
        return respond(start_response, self.handle(environ))

    def handle(self, environ):
        # Answers are rewritten below (sync tokens, oc:invite), so Radicale must not gzip them.
        environ.pop("HTTP_ACCEPT_ENCODING", None)
        response = self._handle(environ)
        if environ["REQUEST_METHOD"].upper() == "PROPFIND" and response.status == 207:
            response = self._sabre_tokens(response)
        return response

    def _handle(self, environ):
        user = environ.get("REMOTE_USER", "")
        method = environ["REQUEST_METHOD"].upper()
        path = environ.get("PATH_INFO", "") or "/"
        parts = segments_of(path)
        self._ensure_home(user)
        # Another user's calendar home or calendar is 404 in Nextcloud, not 403
        # (Nextcloud: apps/dav/lib/Connector/Sabre/DavAclPlugin.php).
        if parts and parts[0] != user:
            return not_found(f"Node with name '{parts[0]}' could not be found")
        if len(parts) >= 2 and SHARED_MARK in parts[1]:
            return self._shared(environ, user, method, parts, path.endswith("/"))
        if len(parts) == 1 and method == "PROPFIND" and environ.get("HTTP_DEPTH", "1") != "0":
            return self._propfind_home(environ, user)
        if len(parts) == 2 and method in ("MKCALENDAR", "MKCOL"):
            refused = self._refuse_calendar_creation(user, parts[1])
            if refused is not None:
                return refused
            self._default_calendar_properties(environ, parts[1])
            with self._write_lock:
                response = call(self.radicale, environ)
                if response.status == 201:
                    self._count_creation(user)
                    self.sync_log.created(user, parts[1])
            return response
        if len(parts) == 2 and method == "POST" and _is_xml(environ):
            if self._collection(user, parts[1]) is None:
                return not_found()
            return calendar_sharing.handle_post(self.org, user, parts[1], read_body(environ))
        if len(parts) == 3 and method == "PUT":
            return self._put(environ, user, parts[1], parts[2])
        if len(parts) == 3 and method == "DELETE":
            with self._write_lock:
                old = self._item_text(user, parts[1], parts[2])
                response = _no_content(call(self.radicale, environ))
                if response.status < 300:
                    self.sync_log.record(user, parts[1], parts[2], synclog.DELETED)
            if response.status < 300 and old is not None and _scheduling_enabled(environ):
                outbox.schedule(self.org, user, old, None)
            return response
        if len(parts) == 2 and method == "DELETE":
            # Deleted for good, as Nextcloud does with X-NC-CalDAV-No-Trashbin: 1 (quirk `calendar_trashbin`),
            # the only calendar DELETE this installation sends; the sandbox keeps no calendar trash bin.
            with self._write_lock:
                response = _no_content(call(self.radicale, environ))
                if response.status < 300:
                    self.sync_log.deleted(user, parts[1])
            if response.status < 300:
                self.org.forget_calendar_shares(user, parts[1])
            return response
        if method == "REPORT" and len(parts) == 2:
            return self._report(environ, user, parts[1])
        if method == "PROPFIND" and len(parts) == 2:
            return self._propfind_calendar(environ, user, parts[1])
        return call(self.radicale, environ)

    def _shared(self, environ, user, method, parts, trailing_slash):
        """A calendar shared with `user`, seen as `<uri>_shared_by_<owner>` in their home (quirk `shared_calendar_uri`):
        served from the owner's calendar with hrefs rewritten; writes need read-write access."""
        uri, _, owner = parts[1].rpartition(SHARED_MARK)
        read_write = self.org.calendar_access(user, owner, uri)
        if read_write is None or self._collection(owner, uri) is None:
            return not_found(f"Node with name '{parts[1]}' could not be found")
        if method not in READ_METHODS and (not read_write or len(parts) == 2):
            return dav_error(403, "Sabre\\DAV\\Exception\\Forbidden", "Access denied")
        mine = f"{CALENDARS_PREFIX}/{user}/{parts[1]}/".encode()
        theirs = f"{CALENDARS_PREFIX}/{owner}/{uri}/".encode()
        body = read_body(environ).replace(mine, theirs)
        environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "REMOTE_USER": owner,
                        "PATH_INFO": "/" + "/".join([owner, uri, *parts[2:]]) + ("/" if trailing_slash else "")})
        environ.pop("HTTP_ACCEPT_ENCODING", None)
        response = self.handle(environ)
        response.body = response.body.replace(theirs, mine)
        return response

    def _propfind_home(self, environ, user):
        """The home listing plus the calendars shared with the user (quirk `shared_calendar_uri`)."""
        body = read_body(environ)
        environ.pop("HTTP_ACCEPT_ENCODING", None)
        response = call(self.radicale, environ)
        shared = self.org.calendars_shared_with(user)
        if response.status != 207 or not shared:
            return response
        root = ET.fromstring(response.body)
        for owner, uri in shared:
            inner = dict(environ, REQUEST_METHOD="PROPFIND", HTTP_DEPTH="0", REMOTE_USER=user,
                         **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
            name = f"{uri}{SHARED_MARK}{owner}"
            answer = self._shared(inner, user, "PROPFIND", [user, name], True)
            if answer.status == 207:
                root.extend(ET.fromstring(answer.body).findall(f"{{{DAV}}}response"))
        new_body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root)
        return Response(207, response.headers, new_body)

    # quirks `calendar_uri_rules`, `calendar_creation_limits`, `calendar_default_components`
    def _refuse_calendar_creation(self, user, uri):
        if uri in RESERVED_CALENDAR_URIS or uri.startswith(RESERVED_CALENDAR_PREFIX) or len(uri) > 255:
            return dav_error(405, "Sabre\\DAV\\Exception\\MethodNotAllowed",
                             "The resource you tried to create has a reserved name")
        if uri in BUILTIN_CALENDAR_CHILDREN or self._collection(user, uri) is not None:
            return dav_error(405, "Sabre\\DAV\\Exception\\MethodNotAllowed",
                             "The resource you tried to create already exists")
        with self._creations_lock:
            recent = [t for t in self._creations.get(user, []) if t > time.monotonic() - 3600]
            self._creations[user] = recent
        if len(recent) >= self.org.calendar_creation_limit:
            return dav_error(429, "Sabre\\DAV\\Exception\\TooManyRequests", "Too many calendars created")
        if self.org.calendar_limit >= 0 and len(self._own_calendars(user)) >= self.org.calendar_limit:
            return dav_error(403, "Sabre\\DAV\\Exception\\Forbidden", "Calendar limit reached")
        return None

    def _count_creation(self, user):
        with self._creations_lock:
            self._creations.setdefault(user, []).append(time.monotonic())

    def _default_calendar_properties(self, environ, uri):
        """Without a component set Nextcloud stores VEVENT,VTODO; displayname defaults to the URI (quirk
        `calendar_default_components`), also when the body never arrived (quirk `mkcalendar_without_body`).
        Radicale would allow every component, so the body is completed before it sees it."""
        body = read_body(environ)
        try:
            root = ET.fromstring(body) if body.strip() else None
        except ET.ParseError:
            return
        if root is None:
            root = ET.Element(f"{{{CALDAV}}}mkcalendar")
        if root.tag not in (f"{{{CALDAV}}}mkcalendar", f"{{{DAV}}}mkcol"):
            return
        set_element = root.find(f"{{{DAV}}}set")
        if set_element is None:
            set_element = ET.SubElement(root, f"{{{DAV}}}set")
        prop = set_element.find(f"{{{DAV}}}prop")
        if prop is None:
            prop = ET.SubElement(set_element, f"{{{DAV}}}prop")
        if root.tag == f"{{{DAV}}}mkcol" and prop.find(f"{{{DAV}}}resourcetype") is None:
            return
        if prop.find(f"{{{CALDAV}}}supported-calendar-component-set") is None:
            components = ET.SubElement(prop, f"{{{CALDAV}}}supported-calendar-component-set")
            for name in DEFAULT_COMPONENTS:
                ET.SubElement(components, f"{{{CALDAV}}}comp", name=name)
        if prop.find(f"{{{DAV}}}displayname") is None:
            ET.SubElement(prop, f"{{{DAV}}}displayname").text = uri
        new_body = ET.tostring(root)
        environ["wsgi.input"] = io.BytesIO(new_body)
        environ["CONTENT_LENGTH"] = str(len(new_body))

    def _collection(self, user, uri):
        with self.storage.acquire_lock("r", user):
            found = next(iter(self.storage.discover(f"/{user}/{uri}/", depth="0")), None)
        return found if found is not None and hasattr(found, "get_meta") else None

    def _own_calendars(self, user):
        with self.storage.acquire_lock("r", user):
            return [c for c in self.storage.discover(f"/{user}/", depth="1")
                    if hasattr(c, "get_meta") and c.path.strip("/") != user]

    def _item_text(self, user, uri, href):
        collection = self._collection(user, uri)
        if collection is None:
            return None
        with self.storage.acquire_lock("r", user):
            item = dict(collection.get_multi([href])).get(href)
            return item.serialize() if item is not None else None

    def _put(self, environ, user, uri, href):
        """One component type, one UID, a component the calendar supports (sabre/dav lib/CalDAV/Plugin.php,
        validateICalendar), UID unique in the calendar (quirk `uid_unique_per_calendar`); then scheduling
        (sandbox.outbox)."""
        body = read_body(environ)
        collection = self._collection(user, uri)
        if collection is None:
            # Sabre's Tree::getNodeForPath fails on the parent before anything else: 404
            # (quirk `put_404_parent_missing`).
            return not_found(f"Node with name '{uri}' could not be found")
        with self.storage.acquire_lock("r", user):
            existing = dict(collection.get_multi([href])).get(href)
            old_text = existing.serialize() if existing is not None else None
            old_etag = existing.etag if existing is not None else None
        refused = check_preconditions(environ, old_etag)
        if refused is not None:
            return refused
        try:
            calendar = Calendar.from_ical(body)
        except ValueError as error:
            return dav_error(415, "Sabre\\DAV\\Exception\\UnsupportedMediaType",
                             f"This resource only supports valid iCalendar 2.0 data. Parse error: {error}")
        components = [c for c in calendar.subcomponents if c.name in OBJECT_COMPONENTS]
        kinds = {c.name for c in components}
        uids = {str(c.get("UID")) for c in components if c.get("UID") is not None}
        if not components:
            return dav_error(400, "Sabre\\DAV\\Exception\\BadRequest",
                             "We expected at least one VTODO, VJOURNAL, VFREEBUSY or VEVENT component")
        if len(kinds) > 1:
            return dav_error(400, "Sabre\\DAV\\Exception\\BadRequest",
                             "Calendar object must only contain 1 component. We found a "
                             + " and a ".join(sorted(kinds)))
        if len(uids) != 1 or any(c.get("UID") is None for c in components):
            return dav_error(400, "Sabre\\DAV\\Exception\\BadRequest",
                             "Every object must have exactly one UID" if uids else
                             "Every object must have a UID")
        kind, uid = kinds.pop(), uids.pop()
        supported = collection.get_meta("C:supported-calendar-component-set")
        if supported and kind not in supported.split(","):
            return dav_error(
                403, "Sabre\\CalDAV\\Exception\\InvalidComponentType",
                f"This calendar only supports {', '.join(supported.split(','))}. We found a {kind}",
                extra="<cal:supported-calendar-component/>\n  ")
        with self.storage.acquire_lock("r", user):
            taken = (existing is None or existing.uid != uid) and collection.has_uid(uid)
        if taken:
            return dav_error(400, "Sabre\\DAV\\Exception\\BadRequest",
                             "Calendar object with uid already exists in this calendar collection.")
        with self._write_lock:
            response = call(self.radicale, environ)
            if response.status in (201, 204):
                self.sync_log.record(user, uri, href, synclog.ADDED if response.status == 201 else synclog.MODIFIED)
        if response.status in (201, 204) and kind == "VEVENT" and _scheduling_enabled(environ):
            if outbox.schedule(self.org, user, old_text, body.decode("utf-8", "replace")):
                # quirk `scheduling_rewrites_object`: the stored object differs, so the answer has no ETag.
                response.headers = [h for h in response.headers if h[0].lower() != "etag"]
        return response

    def _report(self, environ, user, uri):
        """Sync-collection with Nextcloud's numbered tokens (sandbox.synclog); a token not of the form
        `http://sabre.io/ns/sync/<n>` is 403 with {DAV:}valid-sync-token (quirks `sync_token_403`,
        `sync_token_number_unchecked`)."""
        body = read_body(environ)
        try:
            root = ET.fromstring(body) if body.strip() else None
        except ET.ParseError:
            root = None
        if root is None or root.tag != f"{{{DAV}}}sync-collection":
            return call(self.radicale, environ)
        token_element = root.find(f"{{{DAV}}}sync-token")
        try:
            since = synclog.parse(token_element.text if token_element is not None else None)
        except synclog.InvalidToken:
            return dav_error(403, "Sabre\\DAV\\Exception\\InvalidSyncToken", "Invalid or unknown sync token",
                             extra="<d:valid-sync-token/>\n  ")
        if token_element is not None:
            token_element.text = None  # Radicale lists every object with the props asked for; filtered below
        inner = ET.tostring(root)
        environ.update({"wsgi.input": io.BytesIO(inner), "CONTENT_LENGTH": str(len(inner))})
        with self._write_lock:
            changes = self.sync_log.changes(user, uri, since)
            response = call(self.radicale, environ)
        if response.status != 207:
            return response
        answer = ET.fromstring(response.body)
        base = f"{CALENDARS_PREFIX}/{user}/{uri}/"
        reported = set(changes.added) | set(changes.modified)
        for element in answer.findall(f"{{{DAV}}}response"):
            name = unquote(element.findtext(f"{{{DAV}}}href", "")).rsplit("/", 1)[-1]
            if not changes.initial and name not in reported:
                answer.remove(element)
        for name in changes.deleted:
            gone = ET.SubElement(answer, f"{{{DAV}}}response")
            ET.SubElement(gone, f"{{{DAV}}}href").text = base + quote(name)
            ET.SubElement(gone, f"{{{DAV}}}status").text = "HTTP/1.1 404 Not Found"
        for old in answer.findall(f"{{{DAV}}}sync-token"):
            answer.remove(old)
        ET.SubElement(answer, f"{{{DAV}}}sync-token").text = synclog.PREFIX + str(changes.token)
        new_body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(answer)
        return Response(207, [h for h in response.headers if h[0].lower() != "etag"], new_body)

    def _sabre_tokens(self, response):
        """Nextcloud's `{DAV:}sync-token` and `cs:getctag` (both `http://sabre.io/ns/sync/<n>`, server
        apps/dav/lib/CalDAV/CalDavBackend.php getCalendarsForUser) in place of Radicale's hashes."""
        names = (f"{{{DAV}}}sync-token", f"{{{CALSERVER}}}getctag")
        if not any(name.split("}")[1].encode() in response.body for name in names):
            return response
        root = ET.fromstring(response.body)
        for element in root.findall(f"{{{DAV}}}response"):
            parts = segments_of(unquote(element.findtext(f"{{{DAV}}}href", "")).split(CALENDARS_PREFIX, 1)[-1])
            if len(parts) != 2 or SHARED_MARK in parts[1]:
                continue  # the home, an object, or a shared calendar already answered with its owner's token
            for name in names:
                for found in element.iter(name):
                    if found.text:
                        found.text = self.sync_log.token(parts[0], parts[1])
        new_body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root)
        return Response(response.status, response.headers, new_body)

    def _propfind_calendar(self, environ, user, uri):
        """Adds `oc:invite` (Nextcloud: apps/dav/lib/DAV/Sharing/Xml/Invite.php) to Radicale's answer, which
        lists it as not found."""
        body = read_body(environ)
        wanted = requested_props(body)
        invite_tag = f"{{{OC}}}invite"
        if invite_tag in wanted:
            environ.pop("HTTP_ACCEPT_ENCODING", None)  # the answer is rewritten, so it must not be gzipped
        response = call(self.radicale, environ)
        if invite_tag not in wanted or response.status != 207:
            return response
        root = ET.fromstring(response.body)
        for element in root.findall(f"{{{DAV}}}response"):
            href = unquote(element.findtext(f"{{{DAV}}}href", "")).rstrip("/")
            if href != f"{CALENDARS_PREFIX}/{user}/{uri}":
                continue
            for propstat in element.findall(f"{{{DAV}}}propstat"):
                prop = propstat.find(f"{{{DAV}}}prop")
                found = prop.find(invite_tag) if prop is not None else None
                if found is not None:
                    prop.remove(found)
                    if len(prop) == 0:
                        element.remove(propstat)
            propstat = ET.Element(f"{{{DAV}}}propstat")
            prop = ET.SubElement(propstat, f"{{{DAV}}}prop")
            prop.append(calendar_sharing.invite_element(self.org, user, uri))
            ET.SubElement(propstat, f"{{{DAV}}}status").text = "HTTP/1.1 200 OK"
            element.insert(1, propstat)
        new_body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root)
        return Response(207, [h for h in response.headers if h[0].lower() != "content-encoding"], new_body)


def _no_content(response):
    """Sabre answers a successful DELETE with 204 and no body; Radicale with a 200 multistatus."""
    if response.status == 200:
        return Response(204, [h for h in response.headers if h[0].lower() != "content-type"], b"")
    return response


def _is_xml(environ):
    # quirk `calendar_share_xml_only`
    content_type = environ.get("CONTENT_TYPE", "")
    return "application/xml" in content_type or "text/xml" in content_type


def _scheduling_enabled(environ):
    # sabre/dav lib/CalDAV/Schedule/Plugin.php: no scheduling when the request has Schedule-Reply: F.
    return environ.get("HTTP_SCHEDULE_REPLY", "T").upper() != "F"


# --- principals and the DAV root -----------------------------------------------------------------------


class PrincipalDav:
    """WSGI app for the rest of `/remote.php/dav`: the root and `principals/users/<uid>/`, answering the
    PROPFINDs a CalDAV client uses for discovery (Nextcloud: apps/dav/lib/RootCollection.php). Hand-written
    because Radicale's principal is the calendar home, while Nextcloud keeps principals under their own URL."""

    def __init__(self, org):
        self.org = org

    def __call__(self, environ, start_response):
        return respond(start_response, self.handle(environ))

    def handle(self, environ):
        user = environ.get("REMOTE_USER", "")
        method = environ["REQUEST_METHOD"].upper()
        path = environ.get("PATH_INFO", "") or "/"
        parts = segments_of(path)
        if method == "OPTIONS":
            return Response(200, [("DAV", "1, 3, extended-mkcol, access-control, calendar-access"),
                                  ("Allow", "OPTIONS, GET, HEAD, PROPFIND, REPORT")], b"")
        if method != "PROPFIND":
            return dav_error(405, "Sabre\\DAV\\Exception\\MethodNotAllowed", "Method not allowed")
        wanted = requested_props(read_body(environ)) or [f"{{{DAV}}}resourcetype"]
        if not parts:
            return multistatus([("/remote.php/dav/", self._props(wanted, user, None))])
        if parts[:2] == ["principals", "users"] and len(parts) == 3:
            principal = self.org.state.users.get(parts[2])
            if principal is None:
                return not_found(f"Principal with name {parts[2]} not found")
            return multistatus([(f"{PRINCIPALS_PREFIX}/{quote(parts[2])}/", self._props(wanted, user, principal))])
        return not_found()

    def _props(self, wanted, user, principal):
        me = f"{PRINCIPALS_PREFIX}/{quote(user)}/"
        values = {}
        for name in wanted:
            value = None
            if name == f"{{{DAV}}}current-user-principal":
                value = [href_element(me)]
            elif name == f"{{{DAV}}}resourcetype":
                kind = "principal" if principal is not None else "collection"
                value = [ET.Element(f"{{{DAV}}}{kind}")]
            elif principal is not None:
                home = f"{CALENDARS_PREFIX}/{quote(principal.uid)}/"
                value = {
                    f"{{{DAV}}}principal-URL": [href_element(f"{PRINCIPALS_PREFIX}/{quote(principal.uid)}/")],
                    f"{{{DAV}}}displayname": principal.display_name,
                    f"{{{CALDAV}}}calendar-home-set": [href_element(home)],
                    f"{{{CALDAV}}}calendar-user-address-set": [
                        href_element(f"mailto:{principal.email}"),
                        href_element(f"{PRINCIPALS_PREFIX}/{quote(principal.uid)}/")],
                    f"{{{CALDAV}}}schedule-inbox-URL": [href_element(home + "inbox/")],
                    f"{{{CALDAV}}}schedule-outbox-URL": [href_element(home + "outbox/")],
                }.get(name)
            values[name] = value
        return values


# --- files ---------------------------------------------------------------------------------------------


class FileIds:
    """Numeric file ids per path, shared with the OCS side through `OrgState.file_id` so that a share's
    `file_source` equals the node's `oc:fileid` (quirk `fileid_stable`)."""

    def __init__(self, state, instance_id):
        self.state = state
        self.instance_id = instance_id

    @staticmethod
    def _split(path):
        owner, _, rest = path.strip("/").partition("/")
        return owner, "/" + rest.strip("/")

    def get(self, path):
        return self.state.file_id(*self._split(path))

    def oc_id(self, path):
        """`<padded id><instance id>`, the form of `oc:id` and the `OC-FileId` header
        (Nextcloud: apps/dav/lib/Connector/Sabre/Node.php, getFileId)."""
        return f"{self.get(path):08d}{self.instance_id}"

    def move(self, source, destination):
        (owner, old), (_, new) = self._split(source), self._split(destination)
        # OrgState keeps the map private; moving keys (never deleting them) keeps its id counter unique.
        with self.state.lock:
            ids = self.state._file_ids
            for (key_owner, path) in list(ids):
                if key_owner == owner and (path == old or path.startswith(old.rstrip("/") + "/")):
                    ids[(owner, new + path[len(old):])] = ids.pop((key_owner, path))


class ETags:
    """An ETag per node that changes on every write, and on a folder whenever something below it changes.

    Nextcloud stores a fresh `uniqid()` as the etag of a written node and propagates new etags up to the
    root (server lib/private/Files/Cache/Updater.php, Propagator.php). WsgiDAV's ETag is inode, mtime in
    whole seconds and size, so two writes of the same size within one second kept the ETag — and an
    If-Match with the old one still matched.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._tags = {}  # "/owner/path" (no trailing slash) -> etag without quotes

    @staticmethod
    def _key(path):
        return "/" + path.strip("/")

    @staticmethod
    def _fresh():
        return secrets.token_hex(7)[:13]  # the shape of PHP's uniqid()

    def get(self, path):
        with self._lock:
            return self._tags.setdefault(self._key(path), self._fresh())

    def changed(self, path):
        """A write to `path`: it and every folder above it get a new etag."""
        key = self._key(path)
        with self._lock:
            while True:
                self._tags[key] = self._fresh()
                if key.count("/") <= 1:
                    return
                key = key.rsplit("/", 1)[0]

    def moved(self, source, destination):
        """A MOVE keeps the node's etags (Nextcloud moves its cache rows); both parent folders changed."""
        old, new = self._key(source), self._key(destination)
        with self._lock:
            for known in [k for k in self._tags if k == old or k.startswith(old + "/")]:
                self._tags[new + known[len(old):]] = self._tags.pop(known)
        self.changed(old.rsplit("/", 1)[0] or "/")
        self.changed(new.rsplit("/", 1)[0] or "/")

    def removed(self, path):
        """`path` and everything below it are gone; the folders above changed."""
        key = self._key(path)
        with self._lock:
            for known in [k for k in self._tags if k == key or k.startswith(key + "/")]:
                del self._tags[known]
        self.changed(key.rsplit("/", 1)[0] or "/")


class _NextcloudProps:
    """Adds Nextcloud's file properties (Nextcloud: apps/dav/lib/Connector/Sabre/FilesPlugin.php) and ETags
    (`ETags`) to WsgiDAV's filesystem resources."""

    def get_etag(self):
        return self.environ["sandbox.etags"].get(self.path)

    def support_etag(self):
        return True

    def _nextcloud_props(self):
        file_ids = self.environ["sandbox.file_ids"]
        permissions = "RGDNVCK" if self.is_collection else "RGDNVW"
        return {f"{{{OC}}}fileid": str(file_ids.get(self.path)), f"{{{OC}}}id": file_ids.oc_id(self.path),
                f"{{{OC}}}permissions": permissions}

    def get_property_names(self, *, is_allprop):
        names = super().get_property_names(is_allprop=is_allprop)
        return names if is_allprop else names + list(self._nextcloud_props())

    def get_property_value(self, name):
        if name == f"{{{DAV}}}getetag":
            return f'"{self.get_etag()}"'  # Nextcloud's getetag carries the quotes, as the ETag header does
        if name.startswith(f"{{{OC}}}") and name in self._nextcloud_props():
            return self._nextcloud_props()[name]
        return super().get_property_value(name)


class _File(_NextcloudProps, FileResource):
    def end_write(self, *, with_errors):
        super().end_write(with_errors=with_errors)
        if not with_errors:  # before WsgiDAV reads the ETag for the PUT answer
            self.environ["sandbox.etags"].changed(self.path)


class _Folder(_NextcloudProps, FolderResource):
    def get_member(self, name):
        resource = super().get_member(name)
        if isinstance(resource, FolderResource):
            return _Folder(resource.path, resource.environ, resource._file_path)
        return _File(resource.path, resource.environ, resource._file_path)


class _Provider(FilesystemProvider):
    def get_resource_inst(self, path, environ):
        resource = super().get_resource_inst(path, environ)
        if isinstance(resource, FolderResource):
            return _Folder(resource.path, environ, resource._file_path)
        if isinstance(resource, FileResource):
            return _File(resource.path, environ, resource._file_path)
        return resource


def _wsgi_text(path):
    """PATH_INFO as text: WSGI servers hand it over as the request's bytes read as latin-1 (PEP 3333)."""
    try:
        return path.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return path


def make_wsgidav(folder):
    return WsgiDAVApp({
        "mount_path": FILES_PREFIX,
        "provider_mapping": {"/": _Provider(os.fspath(folder))},
        "http_authenticator": {"trusted_auth_header": "REMOTE_USER", "accept_basic": False,
                               "accept_digest": False, "default_to_digest": False},
        "simple_dc": {"user_mapping": {"*": True}},
        "dir_browser": {"enable": False},
        "lock_storage": True,
        "property_manager": True,
        "verbose": 1,
        "logging": {"enable": False},
    })


class FilesDav:
    """WSGI app for `/remote.php/dav/files`: WsgiDAV, the user's own home only, plus file ids."""

    def __init__(self, org, folder):
        self.org = org
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.file_ids = FileIds(org.state, org.instance_id)
        self.etags = ETags()
        self.wsgidav = make_wsgidav(folder)

    def ensure_home(self, uid):
        os.makedirs(os.path.join(self.folder, uid), exist_ok=True)

    def __call__(self, environ, start_response):
        return respond(start_response, self.handle(environ))

    def handle(self, environ):
        user = environ.get("REMOTE_USER", "")
        method = environ["REQUEST_METHOD"].upper()
        parts = segments_of(_wsgi_text(environ.get("PATH_INFO", "")))
        if not parts or parts[0] != user:
            return self._foreign(method, parts)
        self.ensure_home(user)
        environ["sandbox.file_ids"] = self.file_ids
        environ["sandbox.etags"] = self.etags
        path = "/" + "/".join(parts)
        if method == "PUT":
            refused = self._before_put(environ, path)
            if refused is not None:
                return refused
        response = call(self.wsgidav, environ)
        if response.status in (201, 204) and method == "MKCOL":
            self.etags.changed(path)
        elif response.status in (201, 204) and method == "MOVE":
            self.etags.moved(path, self._destination(environ) or path)
        elif response.status in (201, 204) and method == "COPY":
            self.etags.changed(self._destination(environ) or path)
        elif response.status in (200, 204) and method == "DELETE":
            self.etags.removed(path)
            self._drop_shares(user, "/" + "/".join(parts[1:]))
        if method == "PUT" and response.status in (201, 204):
            # PUT answers carry OC-FileId (and OC-ETag next to ETag): apps/dav/lib/Connector/Sabre/FilesPlugin.php.
            response.headers.append(("OC-FileId", self.file_ids.oc_id(path)))
            etag = response.header("ETag")
            if etag:
                response.headers.append(("OC-ETag", etag))
        elif method == "MOVE" and response.status in (201, 204):
            self.file_ids.move(path, self._destination(environ))
        return response

    def _drop_shares(self, user, path):
        """The shares of a deleted node go with it (`OrgState.drop_shares`); a federated one
        also disappears at the receiving instance, as when the share itself is deleted (sandbox.ocs)."""
        for share in self.org.state.drop_shares(user, path):
            cloud_id = split_cloud_id(share.share_with or "") if share.share_type == TYPE_REMOTE else None
            target = self.org.sandbox.org_for_host(cloud_id[1]) if cloud_id else None
            if target is None:
                continue
            with target.state.lock:
                for remote in [r for r in target.state.remote_shares.values()
                               if r.remote == self.org.base_url and r.remote_id == str(share.id)]:
                    target.state.remote_shares.pop(remote.id, None)

    @staticmethod
    def _destination(environ):
        return unquote(environ.get("HTTP_DESTINATION", "")).split(FILES_PREFIX, 1)[-1] or None

    def _before_put(self, environ, path):
        """What Nextcloud checks before a PUT writes, in its order: the If-Match / If-None-Match
        preconditions (sabre Server::checkPreconditions, 412), the parent folder (sabre
        Tree::getNodeForPath on it, 404 — WsgiDAV would say 409), then the whole body (400)."""
        local = os.path.join(self.folder, *segments_of(path))
        refused = check_preconditions(environ, f'"{self.etags.get(path)}"' if os.path.isfile(local) else None)
        if refused is not None:
            return refused
        if not os.path.isdir(os.path.dirname(local)):
            parent = path.rstrip("/").rsplit("/", 1)[0].split("/", 2)[-1]
            return not_found(f"File with name {parent} could not be located")
        return self._buffer_upload(environ)

    @staticmethod
    def _buffer_upload(environ):
        """Nextcloud uploads into a `.part` file and keeps it only when the whole body arrived; an upload cut
        short is refused with 400 and leaves nothing (server apps/dav/lib/Connector/Sabre/File.php `put`).
        WsgiDAV would keep the truncated file, so the body is read in full before WsgiDAV sees it."""
        expected = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            body = environ["wsgi.input"].read(expected) if expected else b""
        except (ConnectionError, OSError):
            body = b""
        if len(body) != expected:
            return dav_error(400, "Sabre\\DAV\\Exception\\BadRequest",
                             f"Expected filesize of {expected} bytes but read (from Nextcloud client) and wrote "
                             f"(to Nextcloud storage) {len(body)} bytes. Could be a network problem on the "
                             "sending side or a problem writing to the storage on the server side.")
        environ["wsgi.input"] = io.BytesIO(body)
        return None

    def _foreign(self, method, parts):
        """Nextcloud serves another user's files root as an empty collection: reads below it are 404,
        writes are 403 (Nextcloud: apps/dav/lib/Files/RootCollection.php)."""
        if len(parts) == 1 and self.org.state.users.get(parts[0]) is None:
            return not_found(f"Principal with name {parts[0]} not found")
        if len(parts) == 1 and method == "PROPFIND":
            return multistatus([(f"{FILES_PREFIX}/{quote(parts[0])}/",
                                 {f"{{{DAV}}}resourcetype": [ET.Element(f"{{{DAV}}}collection")]})])
        if len(parts) == 2 and method in ("PUT", "MKCOL"):
            return dav_error(403, "Sabre\\DAV\\Exception\\Forbidden", "Permission denied to create file")
        return not_found()
