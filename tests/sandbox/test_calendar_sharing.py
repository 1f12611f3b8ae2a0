"""Nextcloud's calendar share POST and `oc:invite` PROPFIND round trip in the sandbox
(Nextcloud: apps/dav/lib/DAV/Sharing/Plugin.php, apps/dav/lib/DAV/Sharing/Xml/Invite.php)."""

import caldav

from tests.sandbox.util import bearer, dav, ical, mkcalendar

SHARE = ('<?xml version="1.0" encoding="utf-8"?><o:share xmlns:d="DAV:" xmlns:o="http://owncloud.org/ns">'
         '{}</o:share>')
INVITE = ('<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><d:displayname/><oc:invite/>'
          '</d:prop></d:propfind>')
PATH = "/remote.php/dav/calendars/anna/taal/"


def share(org, body, content_type="application/xml; charset=utf-8"):
    return dav(org, "POST", PATH, body=SHARE.format(body), headers={"Content-Type": content_type})


def test_share_post_answers_200_without_body_and_skips_unknown_malformed_and_owner_silently(sandbox):
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taal")
    answer = share(org, "<o:set><d:href>principal:principals/users/bram</d:href><o:read-write/></o:set>"
                        "<o:set><d:href>principal:principals/users/niemand</d:href></o:set>"
                        "<o:set><d:href>mailto:bram@zonnebloem.example</d:href></o:set>"
                        "<o:set><d:href>principal:principals/users/anna</d:href></o:set>"
                        "<o:set><d:href>principal:principals/groups/taalteam</d:href></o:set>")
    assert answer.status_code == 200
    assert answer.headers["X-Sabre-Status"] == "everything-went-well"
    assert answer.content == b""
    assert org.calendar_sharees("anna", "taal") == [("principal:principals/users/bram", True),
                                                    ("principal:principals/groups/taalteam", False)]


def test_invite_propfind_shows_sharees_in_nextclouds_shape(sandbox):
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taal")
    share(org, "<o:set><d:href>principal:principals/users/bram</d:href><o:summary>Taal</o:summary>"
               "<o:read-write/></o:set><o:set><d:href>principal:principals/users/chantal</d:href></o:set>")
    answer = dav(org, "PROPFIND", PATH, body=INVITE, headers={"Depth": "0", "Accept-Encoding": "gzip"})
    assert answer.status_code == 207
    text = answer.text
    assert "<d:href>principal:principals/users/bram</d:href><oc:common-name>Bram Jansen</oc:common-name>" \
           "<oc:invite-accepted /><oc:access><oc:read-write /></oc:access><oc:summary>Taal</oc:summary>" in text
    assert "<d:href>principal:principals/users/chantal</d:href>" in text and "<oc:read />" in text
    assert text.count("404 Not Found") == 0 or "invite" not in text.split("404 Not Found")[0].rsplit("<d:propstat>", 1)[-1]


def test_share_remove_drops_the_sharee_and_an_empty_invite_remains_valid(sandbox):
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taal")
    share(org, "<o:set><d:href>principal:principals/users/bram</d:href></o:set>")
    share(org, "<o:remove><d:href>principal:principals/users/bram</d:href></o:remove>")
    assert org.calendar_sharees("anna", "taal") == []
    answer = dav(org, "PROPFIND", PATH, body=INVITE, headers={"Depth": "0"})
    assert answer.status_code == 207 and "<oc:invite />" in answer.text


def test_share_post_without_xml_content_type_is_not_a_share(sandbox):
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taal")
    answer = share(org, "<o:set><d:href>principal:principals/users/bram</d:href></o:set>", "text/plain")
    assert "X-Sabre-Status" not in answer.headers
    assert org.calendar_sharees("anna", "taal") == []


def test_share_post_on_a_missing_calendar_is_404(sandbox):
    org = sandbox.org("a")
    answer = share(org, "<o:set><d:href>principal:principals/users/bram</d:href></o:set>")
    assert answer.status_code == 404


def test_sharee_sees_the_calendar_as_uri_shared_by_owner_and_may_write_only_with_read_write(sandbox):
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taal", components=["VTODO"])
    dav(org, "PUT", PATH + "t-1.ics", body=ical("VTODO", uid="t-1"), headers={"Content-Type": "text/calendar"})
    share(org, "<o:set><d:href>principal:principals/users/bram</d:href><o:read-write/></o:set>"
               "<o:set><d:href>principal:principals/users/daan</d:href></o:set>")
    token = bearer(org, "bram")["Authorization"].split()[1]
    principal = caldav.DAVClient(url=org.base_url + "/remote.php/dav/", password=token,
                                 auth_type="bearer").principal()
    shared = next(c for c in principal.calendars() if c.url.path.endswith("/taal_shared_by_anna/"))
    assert shared.url.path == "/remote.php/dav/calendars/bram/taal_shared_by_anna/"
    assert [o.icalendar_component["UID"] for o in shared.todos()] == ["t-1"]
    shared.add_todo(summary="Van Bram", uid="t-2")
    assert dav(org, "GET", PATH + "t-2.ics").status_code == 200
    daan_path = "/remote.php/dav/calendars/daan/taal_shared_by_anna/"
    assert dav(org, "PROPFIND", daan_path, "daan", headers={"Depth": "1"}).status_code == 207
    assert dav(org, "PUT", daan_path + "t-3.ics", "daan", ical("VTODO", uid="t-3")).status_code == 403
    assert dav(org, "PROPFIND", "/remote.php/dav/calendars/chantal/taal_shared_by_anna/", "chantal").status_code == 404
