"""An attendee's answer to an invitation, carried through as Nextcloud's Calendar app and scheduling do.

The Calendar app writes the new PARTSTAT into the attendee's own copy. Nextcloud's scheduling then sends an
iTIP REPLY (sabre/dav lib/CalDAV/Schedule/Plugin.php): to an organiser on the same instance it is delivered
internally and applied to the organiser's event (sabre/vobject ITip Broker `processMessageReply`: PARTSTAT
set, SCHEDULE-STATUS 2.0, RSVP dropped); to an external organiser it goes out as an iMIP e-mail, which here
lands in the sandbox's mail store. The sandbox delivers REQUESTs only to the outbox, so a local attendee may
have no copy of their own: then only the organiser's event is updated, as the internal delivery would have
done it.
"""

from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from icalendar import Calendar, Event

from sandbox.web import davclient

PARTSTATS = ("ACCEPTED", "TENTATIVE", "DECLINED")
_SUBJECTS = {"ACCEPTED": "Geaccepteerd", "TENTATIVE": "Voorlopig geaccepteerd", "DECLINED": "Afgewezen"}
_VERBS = {"ACCEPTED": "geaccepteerd", "TENTATIVE": "voorlopig geaccepteerd", "DECLINED": "afgewezen"}


@dataclass(frozen=True)
class Located:
    calendar: str
    item: davclient.CalendarObject


def address(value):
    text = str(value or "")
    return text[7:].lower() if text.lower().startswith("mailto:") else ""


def attendees(event):
    values = event.get("ATTENDEE", [])
    return values if isinstance(values, list) else [values]


def my_attendee(event, email):
    return next((a for a in attendees(event) if address(a) == email.lower()), None)


def find_event(org, uid, event_uid, own_only=False):
    """The object with `event_uid` in one of `uid`'s calendars (own ones first), or None."""
    refs = [r for r in davclient.calendars(org, uid) if "VEVENT" in r.components]
    for ref in sorted(refs, key=lambda r: r.shared):
        if own_only and ref.shared:
            continue
        for item in davclient.objects(org, uid, ref.name):
            if any(str(e.get("UID")) == event_uid for e in Calendar.from_ical(item.text).walk("VEVENT")):
                return Located(ref.name, item)
    return None


def local_user(org, email):
    return next((u for u in org.state.users.values() if u.email and u.email.lower() == email.lower()), None)


def _set_partstat(calendar, email, partstat, organizer_side):
    """Set the attendee's PARTSTAT in every VEVENT that lists them; returns the previous master PARTSTAT."""
    previous = None
    for event in calendar.walk("VEVENT"):
        attendee = my_attendee(event, email)
        if attendee is None:
            continue
        if event.get("RECURRENCE-ID") is None:
            previous = str(attendee.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
        attendee.params["PARTSTAT"] = partstat
        if organizer_side:
            attendee.params["SCHEDULE-STATUS"] = "2.0"
            attendee.params.pop("RSVP", None)
    return previous


def answer(org, uid, event_uid, partstat):
    """Record `uid`'s answer to the invitation `event_uid`; returns a Dutch sentence saying what happened."""
    if partstat not in PARTSTATS:
        raise ValueError(partstat)
    me = org.state.user(uid)
    own = find_event(org, uid, event_uid, own_only=True)
    if own is not None:
        calendar = Calendar.from_ical(own.item.text)
        master = next(iter(calendar.walk("VEVENT")))
        if my_attendee(master, me.email) is not None and address(master.get("ORGANIZER")) != me.email.lower():
            return _answer_in_copy(org, me, own, calendar, master, partstat)
    # No copy of their own: apply the answer where the internal delivery would have put it.
    organizer = _organizer_by_outbox(org, me.email, event_uid)
    if organizer is None:
        return "Deze uitnodiging bestaat niet meer."
    return apply_to_organizer(org, me.email, organizer, event_uid, partstat)


def _answer_in_copy(org, me, own, calendar, master, partstat):
    previous = _set_partstat(calendar, me.email, partstat, organizer_side=False)
    status = davclient.put(org, me.uid, own.calendar, own.item.href, calendar.to_ical().decode(),
                           etag=own.item.etag)
    if status >= 300:
        return f"Je antwoord is niet opgeslagen (fout {status}). Probeer het opnieuw."
    if previous == partstat:  # the broker sends a REPLY only when the PARTSTAT changed
        return "Je antwoord was al zo opgeslagen."
    organizer = local_user(org, address(master.get("ORGANIZER")))
    if organizer is None:
        _mail_reply(org, me, master, partstat)
        return f"Je hebt de uitnodiging {_VERBS[partstat]}; de organisator krijgt je antwoord per e-mail."
    return apply_to_organizer(org, me.email, organizer, str(master.get("UID")), partstat)


def apply_to_organizer(org, email, organizer, event_uid, partstat):
    """Apply an attendee's REPLY to a local organiser's event, as the internal delivery does."""
    located = find_event(org, organizer.uid, event_uid, own_only=True)
    if located is None:
        return "Deze uitnodiging bestaat niet meer."
    calendar = Calendar.from_ical(located.item.text)
    if not any(my_attendee(event, email) is not None for event in calendar.walk("VEVENT")):
        return "Je staat niet (meer) op de lijst van deelnemers van deze afspraak."
    if _set_partstat(calendar, email, partstat, organizer_side=True) == partstat:
        return "Je antwoord was al zo opgeslagen."
    # A server-side update of the organiser's copy: it must not send new invitations.
    status = davclient.put(org, organizer.uid, located.calendar, located.item.href, calendar.to_ical().decode(),
                           etag=located.item.etag, schedule=False)
    if status >= 300:
        return f"Je antwoord is niet opgeslagen (fout {status}). Probeer het opnieuw."
    return f"Je hebt de uitnodiging {_VERBS[partstat]}."


def _organizer_by_outbox(org, email, event_uid):
    for invitation in reversed(org.outbox):
        if invitation.uid == event_uid and invitation.attendee == email.lower():
            return local_user(org, invitation.organizer)
    return None


def _mail_reply(org, me, event, partstat):
    """The iMIP REPLY Nextcloud mails to an organiser on another server."""
    organizer = address(event.get("ORGANIZER"))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    reply = Calendar()
    reply.add("PRODID", "-//Lerend Netwerk sandbox//iMIP//EN")
    reply.add("VERSION", "2.0")
    reply.add("METHOD", "REPLY")
    vevent = Event()
    for name in ("UID", "SEQUENCE", "DTSTART", "DTEND", "DURATION", "SUMMARY", "ORGANIZER"):
        if event.get(name) is not None:
            vevent.add(name, event.get(name))
    vevent.add("DTSTAMP", now)
    vevent.add("REQUEST-STATUS", "2.0;Success")
    attendee = my_attendee(event, me.email)
    attendee.params["PARTSTAT"] = partstat
    vevent.add("ATTENDEE", attendee)
    reply.add_component(vevent)
    summary = str(event.get("SUMMARY", ""))
    domain = me.email.rsplit("@", 1)[-1]
    message = EmailMessage()
    message["Subject"] = f"{_SUBJECTS[partstat]}: {summary}"
    message["From"] = formataddr((f"{me.display_name} via {org.name}", f"invitations-noreply@{domain}"))
    message["Reply-To"] = formataddr((me.display_name, me.email))
    message["To"] = organizer
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(f"{me.display_name} heeft je uitnodiging voor \"{summary}\" {_VERBS[partstat]}.\n")
    message.add_attachment(reply.to_ical(), maintype="text", subtype="calendar", filename="invite.ics",
                           params={"method": "REPLY"})
    org.sandbox.mail.add(f"invitations-noreply@{domain}", [organizer], message.as_bytes(), source="imip")
