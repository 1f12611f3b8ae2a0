"""Welcome mails with a personal link, for everyone who cannot follow the network in the host's Nextcloud.

Who gets one: every member who is not a user of the host organisation's Nextcloud (members of other
organisations, members without Nextcloud) and every manager named by name and e-mail only. Sending is
idempotent: a person whose current link was mailed is skipped, so the job may run after every launch, after
a member is added, and periodically to catch up after an SMTP outage.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import func, select

from extension.extensions import db
from extension.links import service as links
from extension.links.models import PersonalLink
from extension.mail import build_message, mail_configured, send
from extension.networks.models import Network
from extension.organisations.models import utcnow

log = logging.getLogger(__name__)

MAILED_STATUSES = ("active", "launching")


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    role: str


def recipients(network: Network) -> list[Recipient]:
    found: dict[str, Recipient] = {}
    for member in network.memberships:
        if member.organisation_id != network.host_organisation_id or not member.user_id:
            found.setdefault(member.email.casefold(), Recipient(member.email.casefold(), member.name, member.role))
    members = {m.email.casefold() for m in network.memberships}
    for commitment in network.commitments:
        email = commitment.manager_email.casefold()
        if email not in members:
            found.setdefault(email, Recipient(email, commitment.manager_name, "manager"))
    return sorted(found.values(), key=lambda r: r.email)


def send_welcome_mails(app: Flask, network_id: int) -> int:
    """Mail every recipient of the network whose link was not mailed yet; returns how many were sent."""
    network = db.session.get(Network, network_id)
    if network is None or network.status not in MAILED_STATUSES:
        return 0
    if not mail_configured(app):
        log.warning("network %s: welcome mails wait, MAIL_HOST is not set", network.slug)
        return 0
    existing = {link.email: link for link in db.session.scalars(
        select(PersonalLink).where(PersonalLink.network_id == network.id))}
    sent = 0
    for recipient in recipients(network):
        link = existing.get(recipient.email)
        if link is not None and link.sent_at is not None and link.revoked_at is None:
            continue
        link = links.issue(network.id, recipient.email, recipient.name)
        _mail(app, network, recipient.email, recipient.name, link, "mail/welcome.txt",
              f"Welkom in het lerend netwerk {network.name}")
        sent += 1
    log.info("network %s: %d welcome mails sent", network.slug, sent)
    return sent


def send_new_link(app: Flask, link_id: int) -> None:
    """A fresh link for someone whose link expired or was revoked, to the address the kartrekker entered."""
    link = db.session.get(PersonalLink, link_id)
    if link is None:
        return
    network = link.network
    link = links.issue(network.id, link.email, link.name)
    _mail(app, network, link.email, link.name, link, "mail/new_link.txt",
          f"Je nieuwe persoonlijke link voor {network.name}")


def _mail(app: Flask, network: Network, email: str, name: str, link: PersonalLink, template: str,
          subject: str) -> None:
    # Straight from the Jinja environment: a job has no request, so no locale or request context processors.
    body = app.jinja_env.get_template(template).render(network=network, name=name, url=links.link_url(link),
                                                       expires=link.expires_at, host=network.host_organisation)
    send(app, build_message(app, email, name, subject, body))
    link.sent_at = utcnow()
    db.session.commit()


def networks_waiting() -> list[int]:
    """Networks with recipients whose link was never mailed (for the periodic catch-up)."""
    networks = db.session.scalars(select(Network).where(Network.status.in_(MAILED_STATUSES))).all()
    mailed = dict(db.session.execute(
        select(PersonalLink.network_id, func.count()).where(PersonalLink.sent_at.is_not(None))
        .group_by(PersonalLink.network_id)).all())
    return [n.id for n in networks if mailed.get(n.id, 0) < len(recipients(n))]
