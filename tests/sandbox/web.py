"""Helpers for the tests of the sandbox's browsable pages: a signed-in browser session, forms, seeded data."""

import re
from html import unescape

import requests

from tests.sandbox import util

SHARES = "/ocs/v2.php/apps/files_sharing/api/v1"


def signed_in(org, uid):
    """A requests session signed in to `org`'s pages as `uid` (demo password = uid)."""
    session = requests.Session()
    answer = session.post(org.base_url + "/index.php/apps/sandbox/login", data={"user": uid, "password": uid},
                          timeout=10)
    assert answer.status_code == 200, answer.text
    return session


def csrf(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def post_form(session, org, page, target, **fields):
    """Submit a form the way the browser does: the CSRF token read from `page` first."""
    token = csrf(session.get(org.base_url + page, timeout=10).text)
    return session.post(org.base_url + target, data={"csrf": token, **fields}, timeout=10)


def links(html):
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


def ocs(org, uid, method, endpoint, **data):
    headers = {**util.bearer(org, uid), "OCS-APIRequest": "true"}
    return requests.request(method, org.base_url + endpoint, params={"format": "json"}, headers=headers,
                            data=data, timeout=10)


def write_file(org, uid, path, text):
    """Write a file through WebDAV as its owner; returns its numeric file id (from OC-FileId)."""
    parts = [p for p in path.strip("/").split("/")]
    for depth in range(1, len(parts)):
        util.dav(org, "MKCOL", f"/remote.php/dav/files/{uid}/" + "/".join(parts[:depth]), uid)
    answer = util.dav(org, "PUT", f"/remote.php/dav/files/{uid}/{path.strip('/')}", uid, text.encode())
    assert answer.status_code in (201, 204), answer.text
    return int(answer.headers["OC-FileId"][:8])


def sync_token(org, uid, calendar):
    body = ('<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:sync-token/></d:prop></d:propfind>')
    answer = util.dav(org, "PROPFIND", f"/remote.php/dav/calendars/{uid}/{calendar}/", uid, body, {"Depth": "0"})
    return re.search(r"<d:sync-token>([^<]+)</d:sync-token>", answer.text).group(1)


def stored(org, uid, calendar, name):
    answer = util.dav(org, "GET", f"/remote.php/dav/calendars/{uid}/{calendar}/{name}", uid)
    assert answer.status_code == 200, answer.text
    return answer.text.replace("\r\n ", "")
