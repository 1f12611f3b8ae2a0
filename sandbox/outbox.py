"""iMIP emulation: the invitations Nextcloud would e-mail when an organizer's event is written (reference §6.8).

Hand-written because the rule that decides whether mail goes out is Nextcloud's (calendar owner's
address must be the ORGANIZER, VEVENT only, significant changes only); Radicale sends nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime, timezone

from icalendar import Calendar

# sabre/vobject ITip Broker's significant properties, plus SUMMARY and LOCATION (reference §6.8).
SIGNIFICANT = ("DTSTART", "DTEND", "DURATION", "DUE", "RRULE", "RDATE", "EXDATE", "STATUS", "SUMMARY", "LOCATION")


@dataclass
class Invitation:
    method: str  # "REQUEST" or "CANCEL"
    organizer: str  # e-mail address, without "mailto:"
    attendee: str  # e-mail address, without "mailto:"
    uid: str
    summary: str
    dtstart: object  # date or datetime, as icalendar decodes it
    ics: str


def _address(value):
    text = str(value or "")
    return text[7:].lower() if text.lower().startswith("mailto:") else ""


def _events(text):
    if text is None:
        return []
    try:
        calendar = Calendar.from_ical(text)
    except ValueError:
        return []
    return [c for c in calendar.subcomponents if c.name == "VEVENT"]


def _master(events):
    return next((e for e in events if e.get("RECURRENCE-ID") is None), events[0] if events else None)


def _attendees(event, organizer):
    """Attendees that receive mail: mailto: addresses other than the organizer, not SCHEDULE-AGENT=CLIENT."""
    found = {}
    values = event.get("ATTENDEE", [])
    for value in values if isinstance(values, list) else [values]:
        address = _address(value)
        if not address or address == organizer:
            continue
        if str(value.params.get("SCHEDULE-AGENT", "SERVER")).upper() == "CLIENT":
            continue
        found[address] = value
    return found


def _fingerprint(event):
    return tuple(event.get(name).to_ical() if hasattr(event.get(name), "to_ical") else str(event.get(name))
                 for name in SIGNIFICANT)


def _in_past(event):
    """IMipPlugin sends nothing for events whose last occurrence is over (reference §6.8); only
    non-recurring events are judged here."""
    if event.get("RRULE") is not None or event.get("RDATE") is not None:
        return False
    end = event.get("DTEND") or event.get("DTSTART")
    if end is None:
        return False
    moment = end.dt
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment < datetime.now(timezone.utc)
    return isinstance(moment, date) and moment < datetime.now(timezone.utc).date()


def _message(method, events):
    calendar = Calendar()
    calendar.add("PRODID", "-//Lerend Netwerk sandbox//iMIP//EN")
    calendar.add("VERSION", "2.0")
    calendar.add("METHOD", method)
    for event in events:
        if method == "CANCEL":
            event = Calendar.from_ical(event.to_ical())  # a copy, so the stored text is not changed
            if "STATUS" in event:
                del event["STATUS"]
            event.add("STATUS", "CANCELLED")
        calendar.add_component(event)
    return calendar.to_ical().decode()


def schedule(org, owner, old_text, new_text):
    """Record the invitations for one PUT (new_text) or DELETE (new_text None) in `org.outbox`."""
    old_events, new_events = _events(old_text), _events(new_text)
    old, new = _master(old_events), _master(new_events)
    current = new if new is not None else old
    if current is None:
        return []
    user = org.state.users.get(owner)
    organizer = _address(current.get("ORGANIZER"))
    # reference §6.8: only the calendar owner's address as ORGANIZER schedules (REPLY is not emulated).
    if user is None or not user.email or organizer != user.email.lower():
        return []
    if _in_past(current):
        return []
    old_attendees = _attendees(old, organizer) if old is not None else {}
    new_attendees = _attendees(new, organizer) if new is not None else {}
    # reference §6.8: removed attendees (or all, on DELETE) get CANCEL; the others get REQUEST when the
    # event is new or changed significantly, or when SCHEDULE-FORCE-SEND=REQUEST asks for it.
    sent = [("CANCEL", address, old_events) for address in old_attendees if address not in new_attendees]
    if new is not None:
        changed = (old is None or _fingerprint(old) != _fingerprint(new)
                   or set(old_attendees) != set(new_attendees))
        for address, value in new_attendees.items():
            forced = str(value.params.get("SCHEDULE-FORCE-SEND", "")).upper() == "REQUEST"
            if changed or forced:
                sent.append(("REQUEST", address, new_events))
    invitations = [
        Invitation(method, organizer, address, str(current.get("UID")), str(current.get("SUMMARY", "")),
                   current.get("DTSTART").dt if current.get("DTSTART") is not None else None,
                   _message(method, events))
        for method, address, events in sent]
    org.record_invitations(invitations)
    return invitations
