"""The Calendar page: my calendars, upcoming events, and my invitations with Accepteren / Voorlopig / Afwijzen.

Every deep link under `/index.php/apps/calendar/` (views such as `dayGridMonth/now`, `edit/…`) opens the
same page. Invitations are the events where the user is an ATTENDEE: those in their own calendars, and —
because the sandbox does not deliver REQUESTs into the attendee's calendar — those a colleague on the same
instance organises and the outbox shows were sent to them.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from icalendar import Calendar

from sandbox.web import davclient, replies
from sandbox.web.base import ZONE

CALENDAR_URL = "/index.php/apps/calendar/"
PARTSTAT_LABELS = {"ACCEPTED": "Geaccepteerd", "TENTATIVE": "Voorlopig", "DECLINED": "Afgewezen",
                   "NEEDS-ACTION": "Nog niet beantwoord", "DELEGATED": "Gedelegeerd"}
_UPCOMING_LIMIT = 50


@dataclass
class EventView:
    uid: str
    summary: str
    start: object
    end: object
    location: str
    description: str
    url: str
    organizer: str
    calendar: str
    my_partstat: str | None
    attendees: list = field(default_factory=list)  # [(name, address, Dutch status)]

    @property
    def is_invitation(self):
        return self.my_partstat is not None

    @property
    def partstat_label(self):
        return PARTSTAT_LABELS.get(self.my_partstat or "", self.my_partstat or "")


def _moment(value):
    """A comparable aware datetime for a DTSTART/DTEND value (dates at local midnight)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=ZONE)
    if isinstance(value, date):
        return datetime.combine(value, time(), ZONE)
    return None


def _view(event, calendar_label, email):
    start = event.get("DTSTART").dt if event.get("DTSTART") is not None else None
    end = event.get("DTEND").dt if event.get("DTEND") is not None else start
    organizer = event.get("ORGANIZER")
    mine = replies.my_attendee(event, email) if email else None
    organizer_address = replies.address(organizer)
    if mine is not None and organizer_address == email.lower():
        mine = None
    people = [(str(a.params.get("CN", "")) or replies.address(a), replies.address(a),
               PARTSTAT_LABELS.get(str(a.params.get("PARTSTAT", "NEEDS-ACTION")).upper(), ""))
              for a in replies.attendees(event)]
    return EventView(
        str(event.get("UID", "")), str(event.get("SUMMARY", "")) or "(zonder titel)", start, end,
        str(event.get("LOCATION", "")), str(event.get("DESCRIPTION", "")), _web_link(event.get("URL")),
        str(organizer.params.get("CN", "")) or organizer_address if organizer is not None else "",
        calendar_label, str(mine.params.get("PARTSTAT", "NEEDS-ACTION")).upper() if mine is not None else None,
        people)


def _web_link(value):
    """The event's URL when it is a web address (a `javascript:` URL in someone's event is not a link)."""
    text = str(value or "")
    return text if text.startswith(("http://", "https://")) else ""


def _masters(text):
    return [e for e in Calendar.from_ical(text).walk("VEVENT") if e.get("RECURRENCE-ID") is None]


def _upcoming(views, now):
    kept = [v for v in views if _moment(v.end or v.start) is not None and _moment(v.end or v.start) >= now]
    return sorted(kept, key=lambda v: _moment(v.start))[:_UPCOMING_LIMIT]


def _outbox_invitations(page, email, seen):
    """Events organised by colleagues on this instance that the outbox says were sent to the user."""
    latest = {}
    for invitation in page.org.outbox:
        if invitation.attendee == email.lower():
            latest[invitation.uid] = invitation
    found = []
    for event_uid, invitation in latest.items():
        organizer = replies.local_user(page.org, invitation.organizer)
        if invitation.method != "REQUEST" or event_uid in seen or organizer is None:
            continue
        located = replies.find_event(page.org, organizer.uid, event_uid, own_only=True)
        if located is None:
            continue
        for event in _masters(located.item.text):
            found.append(_view(event, "", email))
    return found


def index(page, view=""):
    email = (page.user.email or "") if page.user else ""
    refs = [r for r in davclient.calendars(page.org, page.uid) if "VEVENT" in r.components]
    views = []
    for ref in refs:
        label = ref.displayname + (f" (gedeeld door {ref.owner})" if ref.shared else "")
        for item in davclient.objects(page.org, page.uid, ref.name):
            views.extend(_view(e, label, email) for e in _masters(item.text))
    if email:
        views.extend(_outbox_invitations(page, email, {v.uid for v in views}))
    now = datetime.now(timezone.utc) - timedelta(hours=1)
    upcoming = _upcoming(views, now)
    invitations = [v for v in upcoming if v.is_invitation]
    return page.render("web/calendar.html", calendars=refs, events=upcoming, invitations=invitations,
                       answers=[("ACCEPTED", "Accepteren"), ("TENTATIVE", "Voorlopig"), ("DECLINED", "Afwijzen")])


def reply(page):
    form = page.checked_form()
    partstat = form.get("partstat", "")
    if partstat not in replies.PARTSTATS or not form.get("uid"):
        return page.back(CALENDAR_URL, "Kies Accepteren, Voorlopig of Afwijzen.")
    return page.back(CALENDAR_URL, replies.answer(page.org, page.uid, form["uid"], partstat))
