"""Ticking a task in the sandbox's Tasks page changes the VTODO as Nextcloud's Tasks app does (quirk
`tasks_app_completion`), through CalDAV, so the calendar's sync token moves and the app's sync sees it."""

import html
import re

from icalendar import Calendar

from tests.sandbox import util
from tests.sandbox.web import csrf, post_form, signed_in, stored, sync_token

TASK = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:taak-1\r\n"
        "DTSTAMP:20300101T000000Z\r\nSUMMARY:Praktijkvoorbeeld delen\r\nDUE;VALUE=DATE:20300201\r\n"
        "STATUS:NEEDS-ACTION\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
SHARE = ('<?xml version="1.0" encoding="utf-8"?><o:share xmlns:d="DAV:" xmlns:o="http://owncloud.org/ns">'
         '<o:set><d:href>principal:principals/users/{who}</d:href>{access}</o:set></o:share>')


def task_list(org, owner="anna"):
    assert util.mkcalendar(org, owner, "taken", ["VTODO"], name="Taken netwerk").status_code == 201
    assert util.put_object(org, owner, "taken", "taak-1.ics", TASK.encode()).status_code == 201


def share_list(org, who, read_write):
    body = SHARE.format(who=who, access="<o:read-write/>" if read_write else "")
    answer = util.dav(org, "POST", "/remote.php/dav/calendars/anna/taken/", "anna", body,
                      {"Content-Type": "application/xml; charset=utf-8"})
    assert answer.status_code == 200


def todo(org):
    return Calendar.from_ical(stored(org, "anna", "taken", "taak-1.ics")).walk("VTODO")[0]


def tick(session, org, calendar, done):
    return post_form(session, org, "/index.php/apps/tasks/", "/index.php/apps/tasks/toggle",
                     calendar=calendar, href="taak-1.ics", done="1" if done else "0")


def test_ticking_sets_status_percent_and_completed_together_and_moves_the_sync_token(sandbox):
    org = sandbox.org("a")
    task_list(org)
    session = signed_in(org, "anna")
    page = session.get(org.base_url + "/index.php/apps/tasks/", timeout=10).text
    assert "Taken netwerk" in page and "Praktijkvoorbeeld delen" in page and "Afvinken" in page
    before = sync_token(org, "anna", "taken")
    answer = tick(session, org, "taken", True)
    assert "is afgevinkt" in answer.text and "✓ Gedaan" in answer.text
    done = todo(org)
    assert str(done["STATUS"]) == "COMPLETED" and int(done["PERCENT-COMPLETE"]) == 100
    assert done.get("COMPLETED") is not None and done.get("LAST-MODIFIED") is not None
    assert done["DTSTAMP"].dt.year != 2030 and done["DTSTAMP"].dt == done["LAST-MODIFIED"].dt  # bumped
    assert sync_token(org, "anna", "taken") != before


def test_unticking_reopens_and_removes_completed(sandbox):
    org = sandbox.org("a")
    task_list(org)
    session = signed_in(org, "anna")
    tick(session, org, "taken", True)
    before = sync_token(org, "anna", "taken")
    assert "staat weer open" in tick(session, org, "taken", False).text
    reopened = todo(org)
    assert str(reopened["STATUS"]) == "NEEDS-ACTION" and int(reopened["PERCENT-COMPLETE"]) == 0
    assert reopened.get("COMPLETED") is None
    assert sync_token(org, "anna", "taken") != before


def test_a_colleague_ticks_a_task_in_a_list_shared_with_them(sandbox):
    org = sandbox.org("a")
    task_list(org)
    share_list(org, "bram", read_write=True)
    session = signed_in(org, "bram")
    page = session.get(org.base_url + "/index.php/apps/tasks/", timeout=10).text
    assert "Taken netwerk" in page and "gedeeld door anna" in page
    tick(session, org, "taken_shared_by_anna", True)
    assert str(todo(org)["STATUS"]) == "COMPLETED"


def test_a_read_only_list_cannot_be_ticked(sandbox):
    org = sandbox.org("a")
    task_list(org)
    share_list(org, "bram", read_write=False)
    answer = tick(signed_in(org, "bram"), org, "taken_shared_by_anna", True)
    assert "alleen bekijken" in answer.text
    assert str(todo(org)["STATUS"]) == "NEEDS-ACTION"


def test_a_task_changed_elsewhere_meanwhile_is_not_overwritten(sandbox):
    org = sandbox.org("a")
    task_list(org)
    session = signed_in(org, "anna")
    page = session.get(org.base_url + "/index.php/apps/tasks/", timeout=10).text
    util.put_object(org, "anna", "taken", "taak-1.ics", TASK.replace("delen", "delen!").encode())
    etag = html.unescape(re.search(r'name="etag" value="([^"]+)"', page).group(1))
    answer = session.post(org.base_url + "/index.php/apps/tasks/toggle", timeout=10, data={
        "csrf": csrf(page), "calendar": "taken", "href": "taak-1.ics", "done": "1", "etag": etag})
    assert "intussen ergens anders gewijzigd" in answer.text
    assert str(todo(org)["STATUS"]) == "NEEDS-ACTION"
