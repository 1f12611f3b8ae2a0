"""CalDAV requests from the web pages into the organisation's own DAV layer, as the signed-in user.

The pages read and write calendars exactly as a client would (PROPFIND, REPORT, GET, PUT through the same
`CalendarDav.handle` the HTTP route calls), so every rule, sync token and ETag the app sees moves the way a
change made in Nextcloud's own web apps would move it.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote, unquote

from werkzeug.test import EnvironBuilder

from sandbox.dav import CALDAV, CALENDARS_PREFIX, DAV, SHARED_MARK

APPLE = "http://apple.com/ns/ical/"

_HOME_PROPFIND = (f'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="{DAV}" xmlns:c="{CALDAV}" '
                  f'xmlns:a="{APPLE}"><d:prop><d:resourcetype/><d:displayname/><a:calendar-color/>'
                  '<c:supported-calendar-component-set/><d:sync-token/></d:prop></d:propfind>')
_ALL_OBJECTS = (f'<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="{DAV}" xmlns:c="{CALDAV}">'
                '<d:prop><d:getetag/><c:calendar-data/></d:prop>'
                '<c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>')


@dataclass(frozen=True)
class DavAnswer:
    status: int
    headers: dict
    body: bytes


@dataclass(frozen=True)
class CalendarRef:
    """A calendar as the viewer sees it in their home: `name` is the URI segment (`<uri>_shared_by_<owner>`
    for one shared with them)."""

    name: str
    displayname: str
    components: tuple
    color: str
    owner: str
    sync_token: str

    @property
    def shared(self):
        return SHARED_MARK in self.name


@dataclass(frozen=True)
class CalendarObject:
    href: str  # the object's name inside its calendar
    etag: str
    text: str


def request(org, uid, method, path, body=b"", headers=None):
    """Run one CalDAV request for `uid` through the organisation's CalendarDav; `path` is relative to the
    calendars root ("/anna/personal/x.ics")."""
    full = CALENDARS_PREFIX + path
    builder = EnvironBuilder(path=quote(full), method=method, data=body, headers=headers or {},
                             base_url=org.base_url if org.port else "http://127.0.0.1")
    environ = builder.get_environ()
    environ["SCRIPT_NAME"] = CALENDARS_PREFIX
    environ["PATH_INFO"] = path
    environ["REMOTE_USER"] = uid
    response = org.calendars.handle(environ)
    return DavAnswer(response.status, {k.lower(): v for k, v in response.headers}, response.body)


def calendars(org, uid):
    """The viewer's calendars (own and shared with them), in the order the home listing gives them."""
    answer = request(org, uid, "PROPFIND", f"/{uid}/", _HOME_PROPFIND.encode(), {"Depth": "1"})
    if answer.status != 207:
        return []
    found = []
    for response in ET.fromstring(answer.body).findall(f"{{{DAV}}}response"):
        name = unquote(response.findtext(f"{{{DAV}}}href", "")).rstrip("/").rsplit("/", 1)[-1]
        props = _ok_props(response)
        resourcetype = props.get(f"{{{DAV}}}resourcetype")
        if resourcetype is None or resourcetype.find(f"{{{CALDAV}}}calendar") is None:
            continue
        component_set = props.get(f"{{{CALDAV}}}supported-calendar-component-set")
        components = tuple(c.get("name") for c in component_set) if component_set is not None else ()
        owner = name.rpartition(SHARED_MARK)[2] if SHARED_MARK in name else uid
        found.append(CalendarRef(name, _text(props, f"{{{DAV}}}displayname") or name, components,
                                 _text(props, f"{{{APPLE}}}calendar-color"), owner,
                                 _text(props, f"{{{DAV}}}sync-token")))
    return found


def objects(org, uid, calendar_name):
    """Every object of one of the viewer's calendars."""
    answer = request(org, uid, "REPORT", f"/{uid}/{calendar_name}/", _ALL_OBJECTS.encode(), {"Depth": "1"})
    if answer.status != 207:
        return []
    found = []
    for response in ET.fromstring(answer.body).findall(f"{{{DAV}}}response"):
        props = _ok_props(response)
        text = _text(props, f"{{{CALDAV}}}calendar-data")
        if not text:
            continue
        href = unquote(response.findtext(f"{{{DAV}}}href", "")).rsplit("/", 1)[-1]
        found.append(CalendarObject(href, _text(props, f"{{{DAV}}}getetag"), text))
    return found


def get(org, uid, calendar_name, href):
    answer = request(org, uid, "GET", f"/{uid}/{calendar_name}/{href}")
    if answer.status != 200:
        return None
    return CalendarObject(href, answer.headers.get("etag", ""), answer.body.decode("utf-8"))


def put(org, uid, calendar_name, href, text, etag=None, schedule=True):
    """PUT an object as `uid`; `etag` makes it conditional (412 when it changed meanwhile); schedule=False
    sends `Schedule-Reply: F` as a server-side update that must not send mail."""
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    if etag:
        headers["If-Match"] = etag
    if not schedule:
        headers["Schedule-Reply"] = "F"
    return request(org, uid, "PUT", f"/{uid}/{calendar_name}/{href}", text.encode("utf-8"), headers).status


def _ok_props(response):
    props = {}
    for propstat in response.findall(f"{{{DAV}}}propstat"):
        if "200" not in propstat.findtext(f"{{{DAV}}}status", ""):
            continue
        prop = propstat.find(f"{{{DAV}}}prop")
        for element in prop if prop is not None else ():
            props[element.tag] = element
    return props


def _text(props, name):
    element = props.get(name)
    return (element.text or "").strip() if element is not None else ""
