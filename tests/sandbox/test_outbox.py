"""The sandbox records the iMIP messages Nextcloud would send for an organizer's events (reference §6.8)."""

from tests.sandbox.util import dav, ical, mkcalendar, put_object

ORGANIZER = "ORGANIZER;CN=Anna:mailto:Anna@Zonnebloem.example\r\n"
ATTENDEES = ("ATTENDEE:mailto:anna@zonnebloem.example\r\n"
             "ATTENDEE;RSVP=TRUE:mailto:eva@regenboog.example\r\n"
             "ATTENDEE:mailto:bram@zonnebloem.example\r\n"
             "ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:extern@example.org\r\n")


def event(extra=ATTENDEES, **kwargs):
    return ical("VEVENT", uid="ev-1", extra=ORGANIZER + extra, **kwargs)


def test_new_event_sends_a_request_to_each_attendee_but_the_organizer_and_client_scheduled(sandbox):
    org = sandbox.org("a")
    answer = put_object(org, "anna", "personal", "ev-1.ics", event())
    assert answer.status_code == 201
    assert "ETag" not in answer.headers  # reference §6.3: the stored object was rewritten
    assert sorted((i.method, i.attendee) for i in org.outbox) == [
        ("REQUEST", "bram@zonnebloem.example"), ("REQUEST", "eva@regenboog.example")]
    invitation = org.outbox[0]
    assert invitation.organizer == "anna@zonnebloem.example" and invitation.uid == "ev-1"
    assert invitation.summary == "Overleg" and invitation.dtstart.year == 2030
    assert "METHOD:REQUEST" in invitation.ics


def test_unchanged_event_sends_nothing_and_a_moved_event_sends_again(sandbox):
    org = sandbox.org("a")
    put_object(org, "anna", "personal", "ev-1.ics", event())
    org.outbox.clear()
    put_object(org, "anna", "personal", "ev-1.ics", event().replace(b"SUMMARY:Overleg\r\n",
                                                                    b"SUMMARY:Overleg\r\nDESCRIPTION:x\r\n"))
    assert org.outbox == []
    put_object(org, "anna", "personal", "ev-1.ics", event(start="20300116T090000Z", end="20300116T100000Z"))
    assert len(org.outbox) == 2 and {i.method for i in org.outbox} == {"REQUEST"}


def test_removed_attendee_gets_cancel_and_deleting_the_event_cancels_everyone(sandbox):
    org = sandbox.org("a")
    put_object(org, "anna", "personal", "ev-1.ics", event())
    org.outbox.clear()
    put_object(org, "anna", "personal", "ev-1.ics", event(ATTENDEES.replace(
        "ATTENDEE:mailto:bram@zonnebloem.example\r\n", "")))
    assert [(i.method, i.attendee) for i in org.outbox] == [("CANCEL", "bram@zonnebloem.example"),
                                                            ("REQUEST", "eva@regenboog.example")]
    org.outbox.clear()
    assert dav(org, "DELETE", "/remote.php/dav/calendars/anna/personal/ev-1.ics").status_code == 204
    assert [(i.method, i.attendee) for i in org.outbox] == [("CANCEL", "eva@regenboog.example")]
    assert "STATUS:CANCELLED" in org.outbox[0].ics


def test_event_whose_organizer_is_not_the_calendar_owner_sends_nothing(sandbox):
    org = sandbox.org("a")
    put_object(org, "bram", "personal", "ev-1.ics", event())
    assert org.outbox == []


def test_past_events_and_vtodos_never_schedule(sandbox):
    org = sandbox.org("a")
    put_object(org, "anna", "personal", "old.ics", event(start="20200101T090000Z", end="20200101T100000Z"))
    mkcalendar(org, "anna", "taken", components=["VTODO"])
    put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1", extra=ORGANIZER + ATTENDEES))
    assert org.outbox == []


def test_schedule_reply_f_suppresses_scheduling(sandbox):
    org = sandbox.org("a")
    put_object(org, "anna", "personal", "ev-1.ics", event(), **{"Schedule-Reply": "F"})
    assert org.outbox == []
