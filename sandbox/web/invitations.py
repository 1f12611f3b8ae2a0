"""The answer links in Nextcloud's invitation mails: `/index.php/apps/dav/invitation/accept/<token>`, `decline`
and `moreOptions` (server apps/dav InvitationResponseController), public pages on the organiser's instance.

They are how an attendee on another server, or without Nextcloud, answers: the REPLY is applied to the
organiser's event as if it had been delivered internally. Nextcloud keeps a random token per invitation in a
table; the sandbox signs (attendee, event UID) instead, so a token needs no storage and cannot be guessed.
"""

import base64
import hashlib
import hmac

from werkzeug.exceptions import NotFound

from sandbox.web import replies

_PREFIX = "/index.php/apps/dav/invitation"


def _secret(org):
    return org.pages.invitation_secret


def token(org, attendee, event_uid):
    payload = base64.urlsafe_b64encode(f"{attendee.lower()}\n{event_uid}".encode()).decode().rstrip("=")
    mac = hmac.new(_secret(org), payload.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{payload}.{mac}"


def links(org, attendee, event_uid):
    """{"accept": url, "decline": url, "more": url} for one attendee's invitation mail."""
    value = token(org, attendee, event_uid)
    return {kind: f"{org.base_url}{_PREFIX}/{path}/{value}"
            for kind, path in (("accept", "accept"), ("decline", "decline"), ("more", "moreOptions"))}


def _open(org, value):
    payload, _, mac = value.partition(".")
    expected = hmac.new(_secret(org), payload.encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(mac, expected):
        raise NotFound("Deze link is ongeldig.")
    attendee, _, event_uid = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().partition("\n")
    return attendee, event_uid


def _respond(page, value, partstat):
    attendee, event_uid = _open(page.org, value)
    organizer = next((replies.local_user(page.org, i.organizer) for i in reversed(page.org.outbox)
                      if i.uid == event_uid and i.attendee == attendee), None)
    if organizer is None:
        message = "Deze uitnodiging bestaat niet meer. Neem contact op met de organisator."
    else:
        message = replies.apply_to_organizer(page.org, attendee, organizer, event_uid, partstat)
    return page.render("web/invitation.html", message=message, attendee=attendee)


def accept(page, token):
    return _respond(page, token, "ACCEPTED")


def decline(page, token):
    return _respond(page, token, "DECLINED")


def more_options(page, token):
    attendee, _ = _open(page.org, token)
    if page.request.method == "POST":
        partstat = page.request.form.get("partStat", "").upper()
        if partstat in replies.PARTSTATS:
            return _respond(page, token, partstat)
    return page.render("web/invitation-options.html", attendee=attendee, action=f"{_PREFIX}/moreOptions/{token}")
