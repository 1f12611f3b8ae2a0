"""The sandbox's CalDAV side is as strict as Nextcloud where Radicale alone would be laxer (sources named in
sandbox.dav)."""

import re

import caldav
import pytest

from tests.sandbox.util import CALENDAR_XML, bearer, dav, ical, mkcalendar, put_object, send_cut_short

PROPS = ('<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>'
         '<d:displayname/><c:supported-calendar-component-set/></d:prop></d:propfind>')
SYNC = ('<d:sync-collection xmlns:d="DAV:"><d:sync-token>{}</d:sync-token><d:sync-level>1</d:sync-level>'
        '<d:prop><d:getetag/></d:prop></d:sync-collection>')


def test_a_mkcalendar_whose_body_never_arrives_still_makes_a_calendar_with_the_default_components(sandbox):
    """Quirk mkcalendar_without_body: a client gone between its headers and its body still leaves a calendar,
    one accepting events and tasks and named after its URI."""
    org = sandbox.org("a")
    body = CALENDAR_XML.format(name="Taken", components='<c:supported-calendar-component-set><c:comp name="VTODO"/>'
                                                        '</c:supported-calendar-component-set>').encode()
    send_cut_short(org, "MKCALENDAR", "/remote.php/dav/calendars/anna/taken/", len(body), b"")
    found = dav(org, "PROPFIND", "/remote.php/dav/calendars/anna/taken/", body=PROPS, headers={"Depth": "0"})
    assert found.status_code == 207
    assert re.findall(r'comp name="(\w+)"', found.text) == ["VEVENT", "VTODO"]
    assert "<d:displayname>taken</d:displayname>" in found.text


def test_mkcalendar_creates_then_refuses_an_existing_uri_with_405(sandbox):
    org = sandbox.org("a")
    assert mkcalendar(org, "anna", "taal").status_code == 201
    again = mkcalendar(org, "anna", "taal")
    assert again.status_code == 405
    assert "already exists" in again.text


@pytest.mark.parametrize("uri", ["trashbin", "contact_birthdays", "app-generated--deck--1", "inbox", "outbox"])
def test_mkcalendar_on_a_reserved_or_builtin_uri_is_405(sandbox, uri):
    assert mkcalendar(sandbox.org("a"), "anna", uri).status_code == 405


def test_calendar_created_without_component_set_stores_vevent_and_vtodo_and_uri_as_name(sandbox):
    org = sandbox.org("a")
    assert dav(org, "MKCALENDAR", "/remote.php/dav/calendars/anna/kaal/").status_code == 201
    answer = dav(org, "PROPFIND", "/remote.php/dav/calendars/anna/kaal/", body=PROPS, headers={"Depth": "0"})
    assert answer.status_code == 207
    assert 'name="VEVENT"' in answer.text and 'name="VTODO"' in answer.text
    assert ">kaal</d:displayname>" in answer.text


def test_object_whose_component_the_calendar_does_not_support_is_403(sandbox):
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taken", components=["VTODO"])
    answer = put_object(org, "anna", "taken", "ev-1.ics", ical("VEVENT"))
    assert answer.status_code == 403
    assert "supported-calendar-component" in answer.text
    assert put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1")).status_code == 201


def test_second_object_with_an_existing_uid_under_another_uri_is_400(sandbox):
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taken", components=["VTODO"])
    assert put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1")).status_code == 201
    answer = put_object(org, "anna", "taken", "other.ics", ical("VTODO", uid="t-1"))
    assert answer.status_code == 400
    assert "Calendar object with uid already exists in this calendar collection." in answer.text
    assert put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1")).status_code == 204


def test_object_with_mixed_components_or_without_uid_is_400(sandbox):
    org = sandbox.org("a")
    mkcalendar(org, "anna", "mix")
    mixed = ical("VTODO", uid="x").replace(b"END:VCALENDAR", b"BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20300101T100000Z\r\n"
                                                            b"END:VEVENT\r\nEND:VCALENDAR")
    assert put_object(org, "anna", "mix", "x.ics", mixed).status_code == 400
    no_uid = ical("VTODO", uid="x").replace(b"UID:x\r\n", b"")
    assert put_object(org, "anna", "mix", "y.ics", no_uid).status_code == 400


def test_put_with_if_none_match_star_on_an_existing_object_is_412(sandbox):
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taken", components=["VTODO"])
    body = ical("VTODO", uid="t-1")
    assert put_object(org, "anna", "taken", "t-1.ics", body, **{"If-None-Match": "*"}).status_code == 201
    assert put_object(org, "anna", "taken", "t-1.ics", body, **{"If-None-Match": "*"}).status_code == 412


def test_another_users_calendar_home_and_calendar_are_404_not_403(sandbox):
    org = sandbox.org("a")
    mkcalendar(org, "bram", "prive")
    for path in ("/remote.php/dav/calendars/bram/", "/remote.php/dav/calendars/bram/prive/"):
        assert dav(org, "PROPFIND", path, "anna", headers={"Depth": "0"}).status_code == 404
    assert mkcalendar(org, "anna", "x").status_code == 201
    assert dav(org, "MKCALENDAR", "/remote.php/dav/calendars/bram/y/", "anna").status_code == 404


def sync(org, path, token=""):
    answer = dav(org, "REPORT", path, body=SYNC.format(token), headers={"Depth": "1"})
    assert answer.status_code == 207, answer.text
    hrefs = sorted(h.rsplit("/", 1)[-1] for h in re.findall(r"<d:href>([^<]*)</d:href>", answer.text))
    return hrefs, re.search(r"<d:sync-token>([^<]*)</d:sync-token>", answer.text).group(1)


def test_sync_tokens_are_sabre_counters_per_calendar(sandbox):
    """Quirk `sync_token_403`: `{DAV:}sync-token` and `cs:getctag` are `http://sabre.io/ns/sync/<n>`; a new calendar
    starts at 1 and every object write adds one."""
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taken", components=["VTODO"])
    path = "/remote.php/dav/calendars/anna/taken/"
    props = ('<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><d:sync-token/>'
             '<cs:getctag/></d:prop></d:propfind>')
    answer = dav(org, "PROPFIND", path, body=props, headers={"Depth": "0"})
    assert answer.text.count("http://sabre.io/ns/sync/1<") == 2
    put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1"))
    put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1", extra="PRIORITY:1\r\n"))
    assert sync(org, path) == (["t-1.ics"], "http://sabre.io/ns/sync/3")
    assert sync(org, path, "http://sabre.io/ns/sync/2") == (["t-1.ics"], "http://sabre.io/ns/sync/3")
    assert sync(org, path, "http://sabre.io/ns/sync/3") == ([], "http://sabre.io/ns/sync/3")
    home = dav(org, "PROPFIND", "/remote.php/dav/calendars/anna/", body=props, headers={"Depth": "1"})
    assert "http://sabre.io/ns/sync/3<" in home.text and "radicale" not in home.text


@pytest.mark.parametrize("token", ["bogus", "http://radicale.org/ns/sync/deadbeef", "http://sabre.io/ns/sync/x1"])
def test_a_token_of_another_form_is_403_valid_sync_token(sandbox, token):
    """Quirk `sync_token_403`: sabre's sync plugin refuses a token without its prefix (403 valid-sync-token)."""
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taken", components=["VTODO"])
    answer = dav(org, "REPORT", "/remote.php/dav/calendars/anna/taken/", body=SYNC.format(token),
                 headers={"Depth": "1"})
    assert answer.status_code == 403
    assert "valid-sync-token" in answer.text


def test_a_numeric_token_is_accepted_after_the_calendar_was_recreated_and_can_return_too_little(sandbox):
    """Quirk `sync_token_number_unchecked`: the number is never checked against the calendar it came from. After a
    delete and re-create under the same URI the counter restarts at 1: an old token at or above it gets an empty
    answer and a *lower* token back, so the new calendar's objects are missed."""
    org = sandbox.org("a")
    path = "/remote.php/dav/calendars/anna/taken/"
    mkcalendar(org, "anna", "taken", components=["VTODO"])
    for uid in ("t-1", "t-2", "t-3"):
        put_object(org, "anna", "taken", f"{uid}.ics", ical("VTODO", uid=uid))
    hrefs, old_token = sync(org, path)
    assert old_token == "http://sabre.io/ns/sync/4"
    assert dav(org, "DELETE", path).status_code == 204
    assert mkcalendar(org, "anna", "taken", components=["VTODO"]).status_code == 201
    put_object(org, "anna", "taken", "nieuw.ics", ical("VTODO", uid="nieuw"))
    assert sync(org, path, old_token) == ([], "http://sabre.io/ns/sync/2")
    assert sync(org, path, "http://sabre.io/ns/sync/1") == (["nieuw.ics"], "http://sabre.io/ns/sync/2")
    assert sync(org, path) == (["nieuw.ics"], "http://sabre.io/ns/sync/2")


def test_put_into_a_missing_calendar_is_404(sandbox):
    """Quirk `put_404_parent_missing`: the parent is looked up first (Tree::getNodeForPath): 404, not 409."""
    answer = put_object(sandbox.org("a"), "anna", "bestaat-niet", "t-1.ics", ical("VTODO", uid="t-1"))
    assert answer.status_code == 404


def test_preconditions_are_checked_before_the_object_is_validated(sandbox):
    """Quirk `put_if_none_match`: If-Match / If-None-Match fail with 412 before a bad body gets its 400 or 403."""
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taken", components=["VTODO"])
    put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1"))
    no_uid = ical("VTODO", uid="x").replace(b"UID:x\r\n", b"")
    assert put_object(org, "anna", "taken", "t-1.ics", no_uid, **{"If-None-Match": "*"}).status_code == 412
    assert put_object(org, "anna", "taken", "t-1.ics", ical("VEVENT"), **{"If-Match": '"oud"'}).status_code == 412
    assert put_object(org, "anna", "taken", "t-2.ics", no_uid, **{"If-Match": "*"}).status_code == 412
    assert put_object(org, "anna", "taken", "t-2.ics", no_uid).status_code == 400


def test_an_objects_etag_changes_when_it_is_written_and_the_old_one_no_longer_matches(sandbox):
    """Quirk `put_if_none_match`: an update needs the current ETag (If-Match), 412 on a stale one."""
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taken", components=["VTODO"])
    first = put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1")).headers["ETag"]
    second = put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1", extra="PRIORITY:1\r\n"),
                        **{"If-Match": first}).headers["ETag"]
    assert second != first
    stale = put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1"), **{"If-Match": first})
    assert stale.status_code == 412


def test_deleting_an_object_answers_204_and_a_new_sync_lists_it_as_404(sandbox):
    org = sandbox.org("a")
    mkcalendar(org, "anna", "taken", components=["VTODO"])
    put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1"))
    path = "/remote.php/dav/calendars/anna/taken/"
    first = dav(org, "REPORT", path, body=SYNC.format(""), headers={"Depth": "1"})
    token = first.text.split("sync-token>")[1].split("</")[0]
    assert dav(org, "DELETE", path + "t-1.ics").status_code == 204
    second = dav(org, "REPORT", path, body=SYNC.format(token), headers={"Depth": "1"})
    assert second.status_code == 207
    assert "t-1.ics" in second.text and "404" in second.text


def test_the_eleventh_calendar_in_an_hour_is_429_and_beyond_the_limit_403(sandbox):
    org = sandbox.org("a")
    org.calendar_creation_limit = 2
    assert mkcalendar(org, "anna", "k1").status_code == 201
    assert mkcalendar(org, "anna", "k2").status_code == 201
    assert mkcalendar(org, "anna", "k3").status_code == 429
    org.calendar_creation_limit, org.calendar_limit = 10, 3  # "personal" + k1 + k2
    answer = mkcalendar(org, "anna", "k4")
    assert answer.status_code == 403 and "Calendar limit reached" in answer.text


def test_a_new_user_has_a_personal_event_calendar(sandbox):
    answer = dav(sandbox.org("b"), "PROPFIND", "/remote.php/dav/calendars/eva/personal/", "eva", PROPS,
                 {"Depth": "0"})
    assert answer.status_code == 207 and 'name="VEVENT"' in answer.text and 'name="VTODO"' not in answer.text


@pytest.mark.parametrize("start", ["/remote.php/dav/", "/remote.php/dav/calendars/anna/"])
def test_caldav_library_discovers_creates_adds_a_todo_and_round_trips_a_sync_token(sandbox, start):
    org = sandbox.org("a")
    token = bearer(org, "anna")["Authorization"].split()[1]
    client = caldav.DAVClient(url=org.base_url + start, password=token, auth_type="bearer")
    principal = client.principal()
    assert [c.url.path for c in principal.calendars()] == ["/remote.php/dav/calendars/anna/personal/"]
    calendar = principal.make_calendar(name="Taken", cal_id="ln-taken", supported_calendar_component_set=["VTODO"])
    assert calendar.url.path == "/remote.php/dav/calendars/anna/ln-taken/"
    calendar.add_todo(summary="Lees het artikel", uid="todo-1")
    first = calendar.get_objects_by_sync_token(load_objects=True, disable_fallback=True)
    assert [o.icalendar_component["UID"] for o in first] == ["todo-1"]
    calendar.add_todo(summary="Bespreek het artikel", uid="todo-2")
    second = calendar.get_objects_by_sync_token(sync_token=first.sync_token, load_objects=True,
                                                disable_fallback=True)
    assert [o.icalendar_component["UID"] for o in second] == ["todo-2"]
    with pytest.raises(caldav.lib.error.DAVError):
        calendar.add_event(ical("VEVENT", uid="not-a-task").decode())
