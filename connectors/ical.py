"""Deterministic iCalendar rendering of meetings (VEVENT) and tasks (VTODO), and parsing of what comes back."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

from icalendar import Calendar, Event, Todo, vCalAddress

PRODID = "-//Lerend Netwerk//Lerend Netwerk for Nextcloud//EN"

TODO_STATUSES = ("NEEDS-ACTION", "IN-PROCESS", "COMPLETED", "CANCELLED")

# Quirks `uid_unique_per_calendar` and `trashed_object_uri`: Nextcloud recommends UIDs of [A-Za-z0-9-] used as
# "<UID>.ics", and renames trashed objects to "<name>-deleted.ics", so a UID ending in "-deleted" would collide
# with the trash bin's names.
_UID_RE = re.compile(r"^[A-Za-z0-9-]{1,200}$")

# uuid5 namespace for UIDs derived from our own stable keys (network slug, meeting key, ...).
_UID_NAMESPACE = uuid.UUID("7d3c51a4-1f0e-5b8e-9a53-6c2f0b6e4c11")


class ICalError(ValueError):
    """An object cannot be rendered or parsed; the message names the field."""


@dataclass(frozen=True)
class TodoState:
    """What the Tasks app shows of a task (quirk `tasks_app_completion`), normalised."""

    uid: str
    summary: str
    status: str
    percent: int
    completed_at: datetime | None
    due: date | datetime | None
    last_modified: datetime | None

    @property
    def is_completed(self) -> bool:
        return self.status == "COMPLETED"

    @property
    def is_closed(self) -> bool:
        return self.status in ("COMPLETED", "CANCELLED")


def validate_uid(uid: str) -> str:
    """Return ``uid`` if it is safe as an iCalendar UID and as the ``<uid>.ics`` object name
    (quirk `trashed_object_uri`)."""
    if not isinstance(uid, str) or not _UID_RE.match(uid):
        raise ICalError(f"uid {uid!r} must be 1-200 characters of A-Z, a-z, 0-9 and '-'")
    if uid.lower().endswith("-deleted"):
        raise ICalError(f"uid {uid!r} must not end in '-deleted' (Nextcloud's trash bin naming)")
    return uid


def stable_uid(*parts: str) -> str:
    """A UID derived from stable keys, so a re-run of the same step writes the same object."""
    if not parts or not all(parts):
        raise ICalError("stable_uid needs at least one non-empty part")
    return "ln-" + str(uuid.uuid5(_UID_NAMESPACE, "\x1f".join(parts)))


def render_event(
    uid: str,
    summary: str,
    start: date | datetime,
    end: date | datetime,
    organizer_email: str,
    organizer_name: str | None = None,
    attendees: Iterable[tuple[str, str | None]] = (),
    description: str | None = None,
    location: str | None = None,
    url: str | None = None,
    *,
    dtstamp: datetime,
    sequence: int = 0,
) -> bytes:
    """Render one meeting as a VCALENDAR with a single VEVENT.

    ORGANIZER must be the calendar owner's e-mail address as stored in Nextcloud: only then does Nextcloud
    send invitations to the ATTENDEEs (quirk `imip_owner_organizer_only`). Attendees are asked
    to reply (RSVP=TRUE) and start as NEEDS-ACTION. The organizer is not listed as an attendee. Timed values
    are written in UTC so that the output does not depend on the machine's time-zone database; ``dtstamp`` is
    passed in so the bytes are the same for the same input.
    """
    validate_uid(uid)
    _require_text("summary", summary)
    organizer_email = _require_email("organizer_email", organizer_email)
    start_value = _moment("start", start)
    end_value = _moment("end", end)
    if type(start_value) is not type(end_value):
        raise ICalError("start and end must both be dates or both be datetimes")
    if end_value <= start_value:
        raise ICalError("end must be after start")

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", _utc("dtstamp", dtstamp))
    event.add("sequence", sequence)
    event.add("summary", summary)
    event.add("dtstart", start_value)
    event.add("dtend", end_value)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
    event.add("organizer", _address(organizer_email, organizer_name), encode=0)

    # Addresses compare case-insensitively; each is written as given, since ORGANIZER must match the owner's.
    seen = {organizer_email.lower()}
    for index, (email, name) in enumerate(attendees):
        email = _require_email(f"attendees[{index}]", email)
        if email.lower() in seen:
            continue
        seen.add(email.lower())
        attendee = _address(email, name)
        attendee.params["CUTYPE"] = "INDIVIDUAL"
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        attendee.params["RSVP"] = "TRUE"
        event.add("attendee", attendee, encode=0)
    return _wrap(event)


def render_todo(
    uid: str,
    summary: str,
    description: str | None = None,
    due: date | datetime | None = None,
    categories: Sequence[str] = (),
    related_to: str | None = None,
    *,
    dtstamp: datetime,
    created: datetime | None = None,
    status: str = "NEEDS-ACTION",
    percent: int | None = None,
    completed_at: datetime | None = None,
    url: str | None = None,
) -> bytes:
    """Render one knowledge-sharing task as a VCALENDAR with a single VTODO.

    STATUS, PERCENT-COMPLETE and COMPLETED are written together the way the Tasks app writes them
    (quirk `tasks_app_completion`): COMPLETED implies PERCENT-COMPLETE 100 and a COMPLETED timestamp (``completed_at``,
    else ``dtstamp``); any other status has no COMPLETED. ``related_to`` names the parent task's UID.
    LAST-MODIFIED is ``dtstamp``; CREATED is ``created`` or ``dtstamp``.
    """
    validate_uid(uid)
    _require_text("summary", summary)
    status = status.upper()
    if status not in TODO_STATUSES:
        raise ICalError(f"status {status!r} is not one of {', '.join(TODO_STATUSES)}")
    if status == "COMPLETED":
        percent = 100
        completed_at = completed_at or dtstamp
    elif completed_at is not None:
        raise ICalError(f"completed_at is only allowed with status COMPLETED, not {status}")
    if percent is None:
        percent = 0
    if not 0 <= percent <= 100:
        raise ICalError(f"percent {percent} must be between 0 and 100")
    if related_to is not None:
        validate_uid(related_to)

    stamp = _utc("dtstamp", dtstamp)
    todo = Todo()
    todo.add("uid", uid)
    todo.add("dtstamp", stamp)
    todo.add("created", _utc("created", created) if created else stamp)
    todo.add("last-modified", stamp)
    todo.add("summary", summary)
    if description:
        todo.add("description", description)
    if due is not None:
        todo.add("due", _moment("due", due))
    if categories:
        todo.add("categories", [_require_text("categories", c) for c in categories])
    if related_to:
        todo.add("related-to", related_to, parameters={"RELTYPE": "PARENT"})
    if url:
        todo.add("url", url)
    todo.add("status", status)
    todo.add("percent-complete", percent)
    if completed_at is not None:
        todo.add("completed", _utc("completed_at", completed_at))
    return _wrap(todo)


def parse_todo(ical: bytes | str) -> TodoState:
    """Read the task state the Tasks app shows (quirk `tasks_app_completion`) from a VCALENDAR holding one VTODO.

    A task counts as completed when it has a COMPLETED timestamp or STATUS:COMPLETED, whichever the client
    wrote; its percent is then 100.
    """
    todo = _single_component(ical, "VTODO")
    status = str(todo.get("status", "NEEDS-ACTION")).upper()
    completed_at = _decoded_utc(todo, "completed")
    percent_value = todo.get("percent-complete")
    percent = int(percent_value) if percent_value is not None else 0
    if completed_at is not None or status == "COMPLETED":
        status = "COMPLETED"
        percent = 100
    elif status not in TODO_STATUSES:
        status = "NEEDS-ACTION"
    due = todo.decoded("due") if "due" in todo else None
    return TodoState(
        uid=str(todo.get("uid", "")),
        summary=str(todo.get("summary", "")),
        status=status,
        percent=max(0, min(100, percent)),
        completed_at=completed_at,
        due=due,
        last_modified=_decoded_utc(todo, "last-modified"),
    )


def parse_event_replies(ical: bytes | str) -> dict[str, str]:
    """Map each attendee's e-mail address (lower case) to their PARTSTAT, as the organizer's copy shows it."""
    event = _single_component(ical, "VEVENT")
    attendees = event.get("attendee", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    replies: dict[str, str] = {}
    for attendee in attendees:
        value = str(attendee)
        if not value.lower().startswith("mailto:"):
            continue
        params = getattr(attendee, "params", {})
        partstat = params.get("PARTSTAT", "NEEDS-ACTION")
        replies[value[len("mailto:"):].strip().lower()] = str(partstat).upper()
    return replies


def _wrap(component: Event | Todo) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add_component(component)
    return calendar.to_ical()


def _single_component(ical: bytes | str, name: str):
    try:
        calendar = Calendar.from_ical(ical)
    except ValueError as exc:
        raise ICalError(f"not a valid iCalendar object: {exc}") from exc
    found = [c for c in calendar.walk(name)]
    if not found:
        raise ICalError(f"no {name} in the iCalendar object")
    # A recurring object carries overrides with RECURRENCE-ID; the master (without it) holds the state.
    masters = [c for c in found if "recurrence-id" not in c]
    return (masters or found)[0]


def _address(email: str, name: str | None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    return address


def _require_text(field: str, value: str | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ICalError(f"{field} must be a non-empty text")
    return value


def _require_email(field: str, value: str | None) -> str:
    if not isinstance(value, str) or "@" not in value or any(c.isspace() for c in value.strip()):
        raise ICalError(f"{field} {value!r} is not an e-mail address")
    value = value.strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:"):]
    return value


def _utc(field: str, value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise ICalError(f"{field} must be a datetime")
    if value.tzinfo is None:
        raise ICalError(f"{field} must carry a time zone (naive datetimes are ambiguous)")
    return value.astimezone(timezone.utc).replace(microsecond=0)


def _moment(field: str, value: date | datetime) -> date | datetime:
    if isinstance(value, datetime):
        return _utc(field, value)
    if isinstance(value, date):
        return value
    raise ICalError(f"{field} must be a date or a datetime")


def _decoded_utc(component, name: str) -> datetime | None:
    if name not in component:
        return None
    value = component.decoded(name)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    return None


# -- editing what is stored --------------------------------------------------------------------------------

PARTSTATS = ("NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE")


def _attendees_of(event) -> list:
    values = event.get("ATTENDEE", [])
    return values if isinstance(values, list) else [values]


def _address_of(attendee) -> str:
    return str(attendee).casefold().removeprefix("mailto:").strip()


def with_attendees(ical: bytes, attendees: Sequence[tuple[str, str]]) -> bytes | None:
    """The event with exactly `attendees` ((e-mail, name), as render_event writes them), or None when it
    already has that set. Attendees who stay keep their parameters (their reply); the organiser then
    invites those added and cancels for those removed (quirk `imip_significant_changes_only`)."""
    calendar = Calendar.from_ical(ical)
    wanted = {email.casefold(): (email, name) for email, name in attendees}
    changed = False
    for event in calendar.walk("VEVENT"):
        values = _attendees_of(event)
        kept = [v for v in values if _address_of(v) in wanted]
        present = {_address_of(v) for v in kept}
        added = [key for key in wanted if key not in present]
        if len(kept) == len(values) and not added:
            continue
        if "ATTENDEE" in event:
            del event["ATTENDEE"]
        for value in kept:
            event.add("attendee", value, encode=0)
        for key in added:
            email, name = wanted[key]
            event.add("attendee", _attendee(email, name), encode=0)
        changed = True
    return calendar.to_ical() if changed else None


def with_replies(ical: bytes, replies: dict[str, str]) -> bytes | None:
    """The event with each attendee's PARTSTAT ({e-mail: PARTSTAT}) set, or None when all already are.

    The organiser changing only PARTSTAT is not a significant change (quirk `imip_significant_changes_only`):
    no invitation is sent.
    """
    calendar = Calendar.from_ical(ical)
    wanted = {email.casefold(): partstat.upper() for email, partstat in replies.items()}
    unknown = [p for p in wanted.values() if p not in PARTSTATS]
    if unknown:
        raise ICalError(f"PARTSTAT {unknown[0]!r} is not one of {', '.join(PARTSTATS)}")
    changed = False
    for event in calendar.walk("VEVENT"):
        for attendee in _attendees_of(event):
            partstat = wanted.get(_address_of(attendee))
            if partstat and str(attendee.params.get("PARTSTAT", "")).upper() != partstat:
                attendee.params["PARTSTAT"] = partstat
                changed = True
    return calendar.to_ical() if changed else None


def with_todo_status(ical: bytes, done: bool, at: datetime) -> bytes | None:
    """The task with STATUS, PERCENT-COMPLETE and COMPLETED written together as the Tasks app does
    (quirk `tasks_app_completion`): done is COMPLETED, 100 and the moment `at`; not done is NEEDS-ACTION, 0 and no
    COMPLETED. None when the task already is so."""
    calendar = Calendar.from_ical(ical)
    changed = False
    for todo in calendar.walk("VTODO"):
        status = str(todo.get("status", "NEEDS-ACTION")).upper()
        is_done = status == "COMPLETED" or "COMPLETED" in todo
        if is_done == done:
            continue
        for name in ("STATUS", "PERCENT-COMPLETE", "COMPLETED", "LAST-MODIFIED"):
            while name in todo:
                del todo[name]
        stamp = _utc("at", at)
        todo.add("status", "COMPLETED" if done else "NEEDS-ACTION")
        todo.add("percent-complete", 100 if done else 0)
        if done:
            todo.add("completed", stamp)
        todo.add("last-modified", stamp)
        changed = True
    return calendar.to_ical() if changed else None


def _attendee(email: str, name: str) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params.update({"CN": name, "CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT",
                            "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"})
    return attendee
