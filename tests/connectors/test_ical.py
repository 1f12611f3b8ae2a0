"""Unit tests of connectors.ical: rendered VEVENT/VTODO bytes are snapshot-tested, parsing reads what clients write."""

import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.ical import (
    ICalError,
    parse_event_replies,
    parse_todo,
    render_event,
    render_todo,
    stable_uid,
    validate_uid,
)

SNAPSHOTS = Path(__file__).parent / "snapshots"
STAMP = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)
AMSTERDAM_SUMMER = timezone(timedelta(hours=2))


def assert_matches_snapshot(name: str, data: bytes) -> None:
    """Compare with tests/connectors/snapshots/<name>; LN_UPDATE_SNAPSHOTS=1 rewrites the file instead."""
    path = SNAPSHOTS / name
    if os.environ.get("LN_UPDATE_SNAPSHOTS") == "1":
        path.write_bytes(data)
    assert path.exists(), f"snapshot {name} missing; run with LN_UPDATE_SNAPSHOTS=1 to create it"
    assert data == path.read_bytes()


def meeting(**overrides) -> bytes:
    values = dict(
        uid="ln-taal-meeting-1",
        summary="Bijeenkomst 1: Starten",
        start=datetime(2025, 5, 1, 14, 0, tzinfo=AMSTERDAM_SUMMER),
        end=datetime(2025, 5, 1, 16, 30, tzinfo=AMSTERDAM_SUMMER),
        organizer_email="lerend-netwerk@a.example",
        organizer_name="Kinderopvang Zonnebloem",
        attendees=[("anna@a.example", "Anna de Vries"), ("bob@b.example", "Bob Jansen, coach")],
        description="Agenda: kennismaken; vraagstuk scherpstellen.\nDocument: Starten.md",
        location="Zaal 1, Hoofdstraat 3",
        url="https://ln.example/networks/taal",
        dtstamp=STAMP,
    )
    values.update(overrides)
    return render_event(**values)


def test_event_with_attendees_renders_like_the_snapshot():
    assert_matches_snapshot("event_with_attendees.ics", meeting())


def test_event_rendering_is_byte_for_byte_repeatable():
    assert meeting() == meeting()


def test_event_organizer_is_the_given_owner_address_and_attendees_must_reply():
    text = meeting().decode()
    assert "ORGANIZER;CN=\"Kinderopvang Zonnebloem\":mailto:lerend-netwerk@a.example" in text.replace("\r\n ", "")
    unfolded = text.replace("\r\n ", "")
    for line in [l for l in unfolded.split("\r\n") if l.startswith("ATTENDEE")]:
        assert "RSVP=TRUE" in line and "PARTSTAT=NEEDS-ACTION" in line and "ROLE=REQ-PARTICIPANT" in line


def test_event_times_are_written_in_utc():
    text = meeting().decode()
    assert "DTSTART:20250501T120000Z" in text
    assert "DTEND:20250501T143000Z" in text


def test_event_does_not_invite_the_organizer_or_an_attendee_twice():
    replies = parse_event_replies(meeting(attendees=[
        ("Lerend-Netwerk@a.example", "Self"), ("anna@a.example", "Anna"), ("ANNA@a.example", "Anna again")]))
    assert replies == {"anna@a.example": "NEEDS-ACTION"}


def test_all_day_event_uses_dates():
    data = meeting(start=date(2025, 6, 2), end=date(2025, 6, 3), attendees=[])
    assert b"DTSTART;VALUE=DATE:20250602" in data


@pytest.mark.parametrize("field, overrides", [
    ("end", {"end": datetime(2025, 5, 1, 13, 0, tzinfo=AMSTERDAM_SUMMER)}),
    ("start", {"start": datetime(2025, 5, 1, 14, 0)}),
    ("organizer_email", {"organizer_email": "not an address"}),
    ("attendees[0]", {"attendees": [("nobody", None)]}),
    ("uid", {"uid": "with space"}),
    ("summary", {"summary": " "}),
])
def test_event_with_bad_input_names_the_field(field, overrides):
    with pytest.raises(ICalError, match=field.replace("[", r"\[").replace("]", r"\]")):
        meeting(**overrides)


def task(**overrides) -> bytes:
    values = dict(
        uid="ln-taal-task-anna-1",
        summary="Deel de inzichten in het teamoverleg",
        description="Vertel in het teamoverleg wat je in de bijeenkomst hebt geleerd.",
        due=date(2025, 5, 15),
        categories=["Lerend netwerk", "Taal"],
        dtstamp=STAMP,
    )
    values.update(overrides)
    return render_todo(**values)


def test_open_task_renders_like_the_snapshot():
    assert_matches_snapshot("todo_open.ics", task())


def test_completed_subtask_renders_like_the_snapshot():
    data = task(uid="ln-taal-task-anna-1-a", related_to="ln-taal-task-anna-1", status="COMPLETED",
                completed_at=datetime(2025, 5, 10, 8, 0, tzinfo=timezone.utc),
                due=datetime(2025, 5, 15, 17, 0, tzinfo=AMSTERDAM_SUMMER))
    assert_matches_snapshot("todo_completed_subtask.ics", data)


def test_completed_task_writes_status_percent_and_timestamp_together():
    state = parse_todo(task(status="completed"))
    assert (state.status, state.percent, state.completed_at) == ("COMPLETED", 100, STAMP)


def test_completed_at_without_completed_status_is_refused():
    with pytest.raises(ICalError, match="completed_at"):
        task(completed_at=STAMP)


def test_parse_todo_reads_the_rendered_task():
    state = parse_todo(task(status="IN-PROCESS", percent=40))
    assert state.uid == "ln-taal-task-anna-1"
    assert state.summary == "Deel de inzichten in het teamoverleg"
    assert (state.status, state.percent, state.completed_at) == ("IN-PROCESS", 40, None)
    assert state.due == date(2025, 5, 15)
    assert state.last_modified == STAMP
    assert not state.is_completed


def test_parse_todo_counts_a_completed_timestamp_without_status_as_completed():
    # The Tasks app treats COMPLETED alone as done (quirk `tasks_app_completion`); some clients write only that.
    ics = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//\r\nBEGIN:VTODO\r\nUID:t1\r\nSUMMARY:x\r\n"
           b"DTSTAMP:20250301T000000Z\r\nCOMPLETED:20250302T100000Z\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
    state = parse_todo(ics)
    assert (state.status, state.percent, state.is_closed) == ("COMPLETED", 100, True)
    assert state.completed_at == datetime(2025, 3, 2, 10, 0, tzinfo=timezone.utc)


def test_parse_todo_keeps_cancelled_as_closed_but_not_completed():
    state = parse_todo(task(status="CANCELLED"))
    assert state.is_closed and not state.is_completed


def test_parse_event_replies_reads_each_attendees_partstat():
    ics = meeting().replace(b"PARTSTAT=NEEDS-ACTION", b"PARTSTAT=ACCEPTED", 1)
    assert parse_event_replies(ics) == {"anna@a.example": "ACCEPTED", "bob@b.example": "NEEDS-ACTION"}


def test_parse_without_the_component_is_refused():
    with pytest.raises(ICalError, match="VTODO"):
        parse_todo(meeting())


@pytest.mark.parametrize("uid", ["ln-1", "ABC-def-123"])
def test_safe_uids_are_accepted(uid):
    assert validate_uid(uid) == uid


@pytest.mark.parametrize("uid", ["", "a b", "a@b", "a_b", "x.ics", "task-deleted", "x" * 201])
def test_unsafe_uids_are_refused(uid):
    with pytest.raises(ICalError):
        validate_uid(uid)


def test_stable_uid_is_the_same_for_the_same_keys_and_differs_otherwise():
    assert stable_uid("taal", "meeting", "1") == stable_uid("taal", "meeting", "1")
    assert stable_uid("taal", "meeting", "1") != stable_uid("taal", "meeting", "2")
    assert validate_uid(stable_uid("taal", "meeting", "1"))
