"""Small helpers for the sandbox's own tests: a bearer header for a demo user and raw DAV requests."""

import socket
from urllib.parse import urlsplit

import requests

CALENDAR_XML = ('<?xml version="1.0" encoding="utf-8"?>'
                '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop>'
                '<d:displayname>{name}</d:displayname>{components}</d:prop></d:set></c:mkcalendar>')


def bearer(org, uid):
    client_id, _ = org.register_client("Lerend Netwerk", "http://127.0.0.1:5000/oauth/callback")
    return {"Authorization": "Bearer " + org.issue_token(uid, client_id)["access_token"]}


def dav(org, method, path, uid="anna", body=None, headers=None, auth=None):
    all_headers = dict(auth if auth is not None else bearer(org, uid))
    all_headers.update(headers or {})
    return requests.request(method, org.base_url + path, data=body, headers=all_headers, timeout=10)


def send_cut_short(org, method, path, declared, sent, uid="anna"):
    """Send `method path` announcing a body of `declared` bytes, send only `sent`, then go away (as a client
    killed between its writes does); returns the start of the answer."""
    parts = urlsplit(org.base_url)
    authorization = bearer(org, uid)["Authorization"]
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall((f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: {authorization}\r\n"
                      f"Content-Length: {declared}\r\n\r\n").encode() + sent)
        conn.shutdown(socket.SHUT_WR)
        return conn.recv(200)


def mkcalendar(org, uid, uri, components=None, name="Kalender"):
    comps = ""
    if components:
        comps = ("<c:supported-calendar-component-set>"
                 + "".join(f'<c:comp name="{c}"/>' for c in components) + "</c:supported-calendar-component-set>")
    return dav(org, "MKCALENDAR", f"/remote.php/dav/calendars/{uid}/{uri}/", uid,
               CALENDAR_XML.format(name=name, components=comps))


def ical(kind="VEVENT", uid="ev-1", extra="", start="20300115T090000Z", end="20300115T100000Z"):
    dates = f"DTSTART:{start}\r\nDTEND:{end}\r\n" if kind == "VEVENT" else ""
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"BEGIN:{kind}\r\nUID:{uid}\r\nDTSTAMP:20300101T000000Z\r\n{dates}SUMMARY:Overleg\r\n{extra}"
            f"END:{kind}\r\nEND:VCALENDAR\r\n").encode()


def put_object(org, uid, calendar, name, body, **headers):
    return dav(org, "PUT", f"/remote.php/dav/calendars/{uid}/{calendar}/{name}", uid, body,
               {"Content-Type": "text/calendar; charset=utf-8", **headers})
