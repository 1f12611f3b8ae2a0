"""The sandbox records the iMIP messages Nextcloud would send for an organizer's events
(quirks `imip_owner_organizer_only`, `imip_significant_changes_only`)."""

import pytest

from tests.sandbox.util import dav, ical, mkcalendar, put_object

ORGANIZER = "ORGANIZER;CN=Anna:mailto:Anna@Zonnebloem.example\r\n"
EVA = "ATTENDEE;RSVP=TRUE:mailto:eva@regenboog.example\r\n"
BRAM = "ATTENDEE:mailto:bram@zonnebloem.example\r\n"
ATTENDEES = ("ATTENDEE:mailto:anna@zonnebloem.example\r\n" + EVA + BRAM
             + "ATTENDEE;SCHEDULE-AGENT=CLIENT:mailto:extern@example.org\r\n")
SENT = [("REQUEST", "bram@zonnebloem.example"), ("REQUEST", "eva@regenboog.example")]


def event(extra=ATTENDEES, **kwargs):
    return ical("VEVENT", uid="ev-1", extra=ORGANIZER + extra, **kwargs)


def sent(org):
    return sorted((i.method, i.attendee) for i in org.outbox)


def write_then_clear(org, body):
    put_object(org, "anna", "personal", "ev-1.ics", body)
    org.outbox.clear()


def test_new_event_sends_a_request_to_each_attendee_but_the_organizer_and_client_scheduled(sandbox):
    """sabre/vobject lib/ITip/Broker.php: every ATTENDEE except the organizer and SCHEDULE-AGENT=CLIENT gets a
    REQUEST."""
    org = sandbox.org("a")
    answer = put_object(org, "anna", "personal", "ev-1.ics", event())
    assert answer.status_code == 201
    assert "ETag" not in answer.headers  # quirk `scheduling_rewrites_object`
    assert sent(org) == SENT
    invitation = org.outbox[0]
    assert invitation.organizer == "anna@zonnebloem.example" and invitation.uid == "ev-1"
    assert invitation.summary == "Overleg" and invitation.dtstart.year == 2030
    assert "METHOD:REQUEST" in invitation.ics


def test_an_added_attendee_gets_a_request_and_the_others_get_nothing(sandbox):
    """Quirk `imip_significant_changes_only`: a change of the attendee set alone is significant only
    for the attendee whose instances changed."""
    org = sandbox.org("a")
    write_then_clear(org, event(EVA))
    put_object(org, "anna", "personal", "ev-1.ics", event(EVA + BRAM))
    assert sent(org) == [("REQUEST", "bram@zonnebloem.example")]


def test_a_removed_attendee_gets_a_cancel_and_the_others_get_nothing(sandbox):
    """Quirk `imip_significant_changes_only`: a removed attendee gets a CANCEL; the attendees still invited get
    nothing."""
    org = sandbox.org("a")
    write_then_clear(org, event())
    put_object(org, "anna", "personal", "ev-1.ics", event(ATTENDEES.replace(BRAM, "")))
    assert sent(org) == [("CANCEL", "bram@zonnebloem.example")]
    assert "METHOD:CANCEL" in org.outbox[0].ics and "ATTENDEE:mailto:bram@zonnebloem.example" in org.outbox[0].ics


def test_deleting_the_event_cancels_everyone(sandbox):
    """sabre/vobject lib/ITip/Broker.php: the organizer deleting the event sends a CANCEL to every attendee."""
    org = sandbox.org("a")
    write_then_clear(org, event())
    assert dav(org, "DELETE", "/remote.php/dav/calendars/anna/personal/ev-1.ics").status_code == 204
    assert sent(org) == [("CANCEL", "bram@zonnebloem.example"), ("CANCEL", "eva@regenboog.example")]
    assert all("STATUS:CANCELLED" in i.ics for i in org.outbox)


@pytest.mark.parametrize("change", [
    ("SUMMARY:Overleg\r\n", "SUMMARY:Overleg (verzet)\r\n"),
    ("SUMMARY:Overleg\r\n", "SUMMARY:Overleg\r\nDESCRIPTION:Agenda volgt\r\n"),
    ("SUMMARY:Overleg\r\n", "SUMMARY:Overleg\r\nLOCATION:Lokaal 3\r\n"),
    ("SUMMARY:Overleg\r\n", "SUMMARY:Overleg\r\nSTATUS:TENTATIVE\r\n"),
    ("SUMMARY:Overleg\r\n", "SUMMARY:Overleg\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n"),
    ("DTSTART:20300115T090000Z\r\n", "DTSTART:20300115T083000Z\r\n"),
    ("DTEND:20300115T100000Z\r\n", "DTEND:20300115T110000Z\r\n"),
], ids=["SUMMARY", "DESCRIPTION", "LOCATION", "STATUS", "RRULE", "DTSTART", "DTEND"])
def test_a_significant_change_sends_a_request_to_every_attendee(sandbox, change):
    """Quirk `imip_significant_changes_only`: DTSTART, DTEND, DURATION, DUE, RRULE, RDATE, EXDATE, STATUS (Sabre)
    and SUMMARY, DESCRIPTION, LOCATION (Nextcloud's TipBroker) are significant."""
    org = sandbox.org("a")
    write_then_clear(org, event())
    put_object(org, "anna", "personal", "ev-1.ics", event().replace(change[0].encode(), change[1].encode()))
    assert sent(org) == SENT


@pytest.mark.parametrize("extra", ["CATEGORIES:Taal\r\n", "URL:https://example.org/agenda\r\n",
                                   "CLASS:PRIVATE\r\n", "PRIORITY:1\r\n"])
def test_a_change_of_another_property_sends_nothing(sandbox, extra):
    """Quirk `imip_significant_changes_only`: a message is only mailed when something significant changed."""
    org = sandbox.org("a")
    write_then_clear(org, event())
    put_object(org, "anna", "personal", "ev-1.ics", event(ATTENDEES + extra))
    assert org.outbox == []


def test_a_partstat_only_change_by_the_organizer_sends_nothing_but_is_still_rewritten(sandbox):
    """Quirk `imip_significant_changes_only`: recording a reply (PARTSTAT) in the organizer's copy is not
    significant, so no mail; the broker still produced messages, so the answer carries no ETag (quirk
    `scheduling_rewrites_object`)."""
    org = sandbox.org("a")
    write_then_clear(org, event())
    answer = put_object(org, "anna", "personal", "ev-1.ics",
                        event(ATTENDEES.replace("RSVP=TRUE:", "RSVP=TRUE;PARTSTAT=ACCEPTED:")))
    assert answer.status_code == 204 and "ETag" not in answer.headers
    assert org.outbox == []


def test_schedule_agent_client_attendees_are_left_out_even_when_they_were_invited_before(sandbox):
    """Quirk `imip_significant_changes_only`: the broker skips SCHEDULE-AGENT=CLIENT attendees; one switched to
    CLIENT is no longer in the attendee set, so Nextcloud cancels them."""
    org = sandbox.org("a")
    write_then_clear(org, event(EVA + BRAM))
    put_object(org, "anna", "personal", "ev-1.ics",
               event(EVA + BRAM.replace("ATTENDEE:", "ATTENDEE;SCHEDULE-AGENT=CLIENT:")))
    assert sent(org) == [("CANCEL", "bram@zonnebloem.example")]


def test_schedule_force_send_request_sends_without_a_change(sandbox):
    """Quirk `imip_significant_changes_only`: SCHEDULE-FORCE-SEND=REQUEST on an ATTENDEE forces the message."""
    org = sandbox.org("a")
    write_then_clear(org, event(EVA + BRAM))
    put_object(org, "anna", "personal", "ev-1.ics",
               event(EVA + BRAM.replace("ATTENDEE:", "ATTENDEE;SCHEDULE-FORCE-SEND=REQUEST:")))
    assert sent(org) == [("REQUEST", "bram@zonnebloem.example")]
    assert "SCHEDULE-FORCE-SEND" not in org.outbox[0].ics


def test_cancelling_the_event_sends_a_cancel_to_every_attendee(sandbox):
    """sabre/vobject lib/ITip/Broker.php: STATUS:CANCELLED turns every message into a CANCEL."""
    org = sandbox.org("a")
    write_then_clear(org, event())
    put_object(org, "anna", "personal", "ev-1.ics", event(ATTENDEES + "STATUS:CANCELLED\r\n"))
    assert sent(org) == [("CANCEL", "bram@zonnebloem.example"), ("CANCEL", "eva@regenboog.example")]


def test_event_whose_organizer_is_not_the_calendar_owner_sends_nothing(sandbox):
    """Quirk `imip_owner_organizer_only`: only the calendar owner's address as ORGANIZER schedules."""
    org = sandbox.org("a")
    put_object(org, "bram", "personal", "ev-1.ics", event())
    assert org.outbox == []


def test_past_events_and_vtodos_never_schedule(sandbox):
    """No mail for events that are over (Nextcloud: apps/dav/lib/CalDAV/Schedule/IMipPlugin.php); VTODOs are
    not processed (quirk `imip_owner_organizer_only`)."""
    org = sandbox.org("a")
    put_object(org, "anna", "personal", "old.ics", event(start="20200101T090000Z", end="20200101T100000Z"))
    mkcalendar(org, "anna", "taken", components=["VTODO"])
    put_object(org, "anna", "taken", "t-1.ics", ical("VTODO", uid="t-1", extra=ORGANIZER + ATTENDEES))
    assert org.outbox == []


def test_schedule_reply_f_suppresses_scheduling(sandbox):
    """sabre/dav lib/CalDAV/Schedule/Plugin.php: scheduling runs unless the request has Schedule-Reply: F."""
    org = sandbox.org("a")
    put_object(org, "anna", "personal", "ev-1.ics", event(), **{"Schedule-Reply": "F"})
    assert org.outbox == []
