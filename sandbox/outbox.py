"""iMIP emulation: the invitations Nextcloud would e-mail when an organizer's event is written
(quirks `imip_owner_organizer_only`, `imip_significant_changes_only`).

Hand-written because the rules that decide whether mail goes out are Nextcloud's, and Radicale sends
nothing. Two steps, as in Nextcloud:

1. the iTIP broker (sabre/vobject lib/ITip/Broker.php `parseEvent`, `parseEventInfo`,
   `parseEventForOrganizer`, with the significant properties of server apps/dav/lib/CalDAV/TipBroker.php)
   makes one message per attendee: a CANCEL for an attendee who is no longer invited (or for everyone when
   the event is deleted or its STATUS is CANCELLED), otherwise a REQUEST that is *significant* only when the
   event is new for that attendee, the instances they are invited to changed, a significant property
   changed, or SCHEDULE-FORCE-SEND=REQUEST asks for it. Attendees with SCHEDULE-AGENT=CLIENT are left out,
   so a change of PARTSTAT alone (the organizer recording a reply) is not significant;
2. the IMip plugin (server apps/dav/lib/CalDAV/Schedule/IMipPlugin.php `schedule`) mails only significant
   messages between mailto: addresses, and nothing for an event that is already over.

Replies (an attendee's own change, METHOD:REPLY) are not emulated.
"""

from dataclasses import dataclass
from datetime import date, datetime, timezone

from icalendar import Calendar, Event

SIGNIFICANT = ("DTSTART", "DTEND", "DURATION", "DUE", "RRULE", "RDATE", "EXDATE", "STATUS", "SUMMARY",
               "DESCRIPTION", "LOCATION")


@dataclass
class Invitation:
    method: str  # "REQUEST" or "CANCEL"
    organizer: str  # e-mail address, without "mailto:"
    attendee: str  # e-mail address, without "mailto:"
    uid: str
    summary: str
    dtstart: object  # date or datetime, as icalendar decodes it
    ics: str


@dataclass
class Message:
    """One iTIP message of the broker; only significant ones become mail."""

    method: str
    recipient: str  # calendar user address as written, e.g. "mailto:eva@regenboog.example"
    significant: bool
    ics: str


def _address(value):
    text = str(value or "")
    return text[7:].lower() if text.lower().startswith("mailto:") else ""


def _normalized(value):
    """CalAddress::getNormalizedValue puts the scheme in lower case; the sandbox also ignores the case of the
    address itself (Nextcloud compares it as written)."""
    text = str(value or "")
    return "mailto:" + text[7:].lower() if text.lower().startswith("mailto:") else text


def _events(text):
    if text is None:
        return None
    try:
        calendar = Calendar.from_ical(text)
    except ValueError:
        return None
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    return events or None


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _recurrence_id(event):
    value = event.get("RECURRENCE-ID")
    return "master" if value is None else value.to_ical().decode()


def _property_text(value):
    return value.to_ical().decode() if hasattr(value, "to_ical") else str(value)


def _info(events):
    """Broker::parseEventInfo: organizer, status, sequence, instances, attendees and the significance hash."""
    info = {"organizer": None, "status": None, "sequence": 0, "instances": {}, "attendees": {}}
    per_event = []
    exdates = sorted(_property_text(v) for e in events for v in _as_list(e.get("EXDATE", [])))
    for event in events:
        if info["organizer"] is None and event.get("ORGANIZER") is not None:
            info["organizer"] = _normalized(event.get("ORGANIZER"))
        if event.get("SEQUENCE") is not None and not info["sequence"]:
            info["sequence"] = int(event.get("SEQUENCE"))
        if event.get("STATUS") is not None:
            info["status"] = str(event.get("STATUS")).upper()
        instance = _recurrence_id(event)
        values = _as_list(event.get("ATTENDEE", []))
        for value in values:
            if str(value.params.get("SCHEDULE-AGENT", "SERVER")).upper() == "CLIENT":
                continue
            href = _normalized(value)
            attendee = info["attendees"].setdefault(href, {
                "instances": set(), "name": value.params.get("CN"),
                "force": str(value.params.get("SCHEDULE-FORCE-SEND", "")).upper() or None})
            attendee["instances"].add(instance)
        if values:
            info["instances"][instance] = event
        text = ""
        for name in SIGNIFICANT:
            if event.get(name) is None:
                continue
            text += name + ":"
            if name == "EXDATE":
                text += ",".join(exdates) + ";"
            elif name == "RRULE":
                parts = [f"{k}={_property_text(v)}" for k, v in event.get(name).items()
                         if not (k == "INTERVAL" and _property_text(v) == "1")]
                text += ",".join(sorted(parts)) + ";"
            else:
                text += "".join(_property_text(v) + ";" for v in _as_list(event.get(name)))
        per_event.append(text)
    info["hash"] = "".join(sorted(per_event))
    return info


def _request(events, instances):
    """The REQUEST body: the instances the attendee is invited to, without scheduling parameters."""
    calendar = _calendar("REQUEST")
    for event in events:
        if _recurrence_id(event) not in instances:
            continue
        copy = Event.from_ical(event.to_ical())
        for value in _as_list(copy.get("ATTENDEE", [])) + [copy.get("ORGANIZER")]:
            if value is not None and hasattr(value, "params"):
                value.params.pop("SCHEDULE-FORCE-SEND", None)
                value.params.pop("SCHEDULE-STATUS", None)
        calendar.add_component(copy)
    return calendar.to_ical().decode()


def _cancel(master, organizer, href, name, sequence):
    """The CANCEL body: UID, SEQUENCE, SUMMARY, DTSTART, DTEND or DURATION, ORGANIZER, this attendee."""
    calendar = _calendar("CANCEL")
    event = Event()
    event.add("UID", str(master.get("UID")))
    event.add("SEQUENCE", sequence)
    event.add("DTSTAMP", datetime.now(timezone.utc))
    for prop in ("SUMMARY", "DTSTART", "DTEND", "DURATION"):
        if master.get(prop) is not None and not (prop == "DURATION" and master.get("DTEND") is not None):
            event.add(prop, master.get(prop))
    event.add("ORGANIZER", organizer, encode=0)
    event.add("ATTENDEE", href, parameters={"CN": name} if name else None)
    event.add("STATUS", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _calendar(method):
    calendar = Calendar()
    calendar.add("PRODID", "-//Lerend Netwerk sandbox//iMIP//EN")
    calendar.add("VERSION", "2.0")
    calendar.add("METHOD", method)
    return calendar


def _broker(old_events, new_events, addresses):
    """Broker::parseEvent and parseEventForOrganizer for the calendar owner's `addresses`."""
    old = _info(old_events) if old_events else {"organizer": None, "hash": "", "attendees": {}, "sequence": 0}
    if new_events is not None:
        new = _info(new_events)
        if not new["attendees"] and not old["attendees"]:
            return []
        if not new["organizer"] and not old["organizer"]:
            return []
        new["organizer"] = new["organizer"] or old["organizer"]
        base = new_events
    elif old_events:
        new = dict(old)
        if new["organizer"] not in addresses:
            return []  # an attendee deleting their copy: a REPLY, not emulated
        new["attendees"], new["sequence"] = {}, old["sequence"] + 1
        base = old_events
    else:
        return []
    if new["organizer"] not in addresses:
        return []  # the owner is (at most) an attendee: a REPLY, not emulated
    master = next((e for e in base if _recurrence_id(e) == "master"), base[0])
    messages = []
    requests = {}  # the REQUEST body depends only on the instances invited to: made once per set
    for href in list(old["attendees"]) + [h for h in new["attendees"] if h not in old["attendees"]]:
        if href == new["organizer"]:
            continue
        before = old["attendees"].get(href, {"instances": set()})
        now = new["attendees"].get(href)
        name = (now or before).get("name")
        if now is None or new.get("status") == "CANCELLED":
            messages.append(Message("CANCEL", href, True,
                                    _cancel(master, new["organizer"], href, name, new["sequence"])))
            continue
        significant = (now["force"] == "REQUEST" or before["instances"] != now["instances"]
                       or old["hash"] != new["hash"])
        instances = frozenset(now["instances"])
        if instances not in requests:
            requests[instances] = _request(base, instances)
        messages.append(Message("REQUEST", href, significant, requests[instances]))
    return messages


def _in_past(event):
    """IMipPlugin::getLastOccurrence before now: nothing is sent. Recurring events are treated as
    still running."""
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


def schedule(org, owner, old_text, new_text):
    """Run the broker for one PUT (new_text) or DELETE (new_text None) in `owner`'s calendar and record the
    mails the IMip plugin would send in `org.outbox`. Returns the broker's messages: when there are any,
    Nextcloud writes SCHEDULE-STATUS into the stored object (so a PUT answer carries no ETag)."""
    user = org.state.users.get(owner)
    if user is None or not user.email:
        return []
    # quirk `imip_owner_organizer_only`: the owner's calendar-user-address-set (the principal URL plus mailto:<e-mail>).
    addresses = {f"mailto:{user.email.lower()}"}
    old_events, new_events = _events(old_text), _events(new_text)
    if (old_text is not None and old_events is None) or (new_text is not None and new_events is None):
        return []  # Broker::parseEvent handles events only (a VTODO never schedules)
    messages = _broker(old_events, new_events, addresses)
    base = new_events or old_events
    master = next((e for e in base if _recurrence_id(e) == "master"), base[0]) if base else None
    organizer = _address(master.get("ORGANIZER")) if master is not None else ""
    invitations = [
        Invitation(m.method, organizer, _address(m.recipient), str(master.get("UID")),
                   str(master.get("SUMMARY", "")),
                   master.get("DTSTART").dt if master.get("DTSTART") is not None else None, m.ics)
        for m in messages
        if m.significant and _address(m.recipient) and organizer and not _in_past(master)]
    org.record_invitations(invitations)
    return messages
