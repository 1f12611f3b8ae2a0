"""The Mail page: an inbox per address with what the sandbox's SMTP server received and the iMIP mails
Nextcloud would have sent for the outbox's invitations (Nextcloud:
apps/dav/lib/CalDAV/Schedule/IMipPlugin.php), links clickable, one message per page.

A signed-in user reads the mailbox of their own address, and the mailboxes of addresses that belong to no
sandbox account (members without Nextcloud), so the demo and the tests can open mail sent to them. Someone
without an account signs in with her address alone (home.mailbox_login) and reads that one mailbox only.
"""

import hashlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote

from icalendar import Calendar
from werkzeug.exceptions import Forbidden, NotFound

from sandbox.web import invitations
from sandbox.web.base import dutch_date, dutch_span

MAIL_URL = "/index.php/apps/mail/"
_LINK = re.compile(r"https?://[^\s<>\"'()]+")
_SUBJECTS = {"REQUEST": "Uitnodiging", "CANCEL": "Geannuleerd"}


@dataclass
class MailView:
    id: str
    sender: str
    to: str
    subject: str
    date: object
    text: str
    attachments: list
    actions: tuple = ()  # [(label, url)] shown as buttons under the text, as in Nextcloud's invitation mails

    @property
    def url(self):
        return MAIL_URL + "message/" + quote(self.id, safe="")

    def segments(self):
        """The body as [(text, is_link)], so the template can make links clickable without raw HTML."""
        found, position = [], 0
        for match in _LINK.finditer(self.text):
            link = match.group(0).rstrip(".,;:!?)]")
            found.append((self.text[position:match.start()], False))
            found.append((link, True))
            position = match.start() + len(link)
        found.append((self.text[position:], False))
        return found


class _HtmlText(HTMLParser):
    """Text of an HTML-only mail, each link's target written after its text."""

    def __init__(self):
        super().__init__()
        self.parts, self._href, self._hidden = [], None, 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self._hidden += 1
        elif tag == "a":
            self._href = dict(attrs).get("href")
        elif tag in ("br", "p", "div", "li", "tr", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self._hidden = max(0, self._hidden - 1)
        elif tag == "a" and self._href:
            self.parts.append(f" ({self._href})")
            self._href = None

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def _stored_view(stored):
    message = stored.message
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    if body is not None and body.get_content_type() == "text/html":
        parser = _HtmlText()
        parser.feed(text)
        text = re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()
    attachments = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
    return MailView(stored.id, str(message.get("From", stored.sender)), ", ".join(stored.recipients),
                    str(message.get("Subject", "(geen onderwerp)")), stored.received_at, text, attachments)


def _invitation_view(org, invitation):
    digest = hashlib.sha1(f"{org.key}\0{invitation.attendee}\0{invitation.ics}".encode()).hexdigest()[:16]
    event = next(iter(Calendar.from_ical(invitation.ics).walk("VEVENT")), None)
    organizer = next((u for u in org.state.users.values()
                      if u.email and u.email.lower() == invitation.organizer), None)
    name = organizer.display_name if organizer else invitation.organizer
    domain = invitation.organizer.rsplit("@", 1)[-1]
    lines = [f"{name} heeft je uitgenodigd voor \"{invitation.summary}\"." if invitation.method == "REQUEST"
             else f"{name} heeft \"{invitation.summary}\" geannuleerd.", ""]
    if event is not None and event.get("DTSTART") is not None:
        end = event.get("DTEND").dt if event.get("DTEND") is not None else None
        lines.append(f"Wanneer: {dutch_span(event.get('DTSTART').dt, end)}")
    for label, prop in (("Waar", "LOCATION"), ("Link", "URL")):
        if event is not None and event.get(prop):
            lines.append(f"{label}: {event.get(prop)}")
    if event is not None and event.get("DESCRIPTION"):
        lines += ["", str(event.get("DESCRIPTION"))]
    actions = ()
    if invitation.method == "REQUEST":
        answer = invitations.links(org, invitation.attendee, invitation.uid)
        actions = (("Accepteren", answer["accept"]), ("Afwijzen", answer["decline"]), ("Meer opties", answer["more"]))
    subject = f"{_SUBJECTS.get(invitation.method, invitation.method)}: {invitation.summary}"
    if invitation.dtstart is not None and invitation.method == "REQUEST":
        subject += f" @ {dutch_date(invitation.dtstart)}"
    return MailView("i" + digest, f"{name} via {org.name} <invitations-noreply@{domain}>", invitation.attendee,
                    subject, None, "\n".join(lines), ["invite.ics"], actions)


def all_mail(sandbox):
    """[(recipient addresses, MailView)] of every message in the sandbox, newest last."""
    found = [(set(m.recipients), _stored_view(m)) for m in sandbox.mail.messages]
    for org in sandbox.orgs.values():
        found.extend(({i.attendee}, _invitation_view(org, i)) for i in list(org.outbox))
    return found


def account_addresses(sandbox):
    return {u.email.lower() for org in sandbox.orgs.values() for u in org.state.users.values() if u.email}


def readable_addresses(page, mail):
    """Addresses whose mail this user may read: their own, and those of no account at all; a mailbox-only
    session reads its own address only."""
    if page.mailbox:
        return {page.mailbox}
    mine = {page.user.email.lower()} if page.user and page.user.email else set()
    accounts = account_addresses(page.org.sandbox)
    return mine | {a for recipients, _ in mail for a in recipients if a not in accounts}


def inbox(page, address=None):
    mail = all_mail(page.org.sandbox)
    readable = readable_addresses(page, mail)
    own = page.mailbox or (page.user.email.lower() if page.user and page.user.email else None)
    address = (address or own or "").lower()
    if address and address not in readable:
        raise Forbidden("Dit postvak hoort bij een ander account. Log in als die gebruiker om het te lezen.")
    messages = [view for recipients, view in reversed(mail) if address in recipients]
    others = sorted(a for a in readable if a != own)
    return page.render("web/mail.html", address=address, own=own, messages=messages, others=others)


def message(page, message_id):
    mail = all_mail(page.org.sandbox)
    readable = readable_addresses(page, mail)
    for recipients, view in mail:
        if view.id == message_id:
            if not recipients & readable:
                raise Forbidden("Dit bericht is niet aan jou gericht.")
            box = sorted(recipients & readable)[0]
            return page.render("web/message.html", mail=view, box=box)
    raise NotFound("Dit bericht bestaat niet (meer).")
