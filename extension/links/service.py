"""Issuing, checking and revoking personal links.

The token is signed with the app's SECRET_KEY (itsdangerous) and names only the link row and its version;
expiry and revocation live in the database, so an admin or kartrekker can stop a link at once, and a new
link (a higher version) revokes every older token of the same person and network.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from extension.extensions import db
from extension.links.models import PersonalLink
from extension.networks.models import as_utc
from extension.organisations.models import utcnow

VALID, EXPIRED, REVOKED, INVALID = "valid", "expired", "revoked", "invalid"
SALT = "personal-link"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(link: PersonalLink) -> str:
    return _serializer().dumps({"l": link.id, "v": link.version})


def link_url(link: PersonalLink) -> str:
    return current_app.config["APP_URL"].rstrip("/") + "/l/" + token_for(link)


def issue(network_id: int, email: str, name: str, now: datetime | None = None) -> PersonalLink:
    """The person's link, new or renewed: a renewed link gets the next version, so older tokens stop working."""
    now = now or utcnow()
    email = email.strip().casefold()
    link = db.session.scalar(select(PersonalLink).where(PersonalLink.network_id == network_id,
                                                        PersonalLink.email == email))
    if link is None:
        link = PersonalLink(network_id=network_id, email=email, name=name, version=1)
        db.session.add(link)
    else:
        link.version += 1
        link.name = name
    link.issued_at, link.revoked_at, link.sent_at = now, None, None
    link.expires_at = now + timedelta(days=current_app.config["LINK_MAX_AGE_DAYS"])
    db.session.flush()
    return link


def revoke(link: PersonalLink, now: datetime | None = None) -> None:
    link.revoked_at = now or utcnow()


def link_state(link: PersonalLink, version: int | None = None, now: datetime | None = None) -> str:
    if (version is not None and version != link.version) or link.revoked_at is not None:
        return REVOKED
    if as_utc(link.expires_at) <= (now or utcnow()):
        return EXPIRED
    return VALID


def resolve(token: str) -> tuple[PersonalLink | None, str]:
    """The link a token names and its state; (None, INVALID) for a forged or mangled token."""
    try:
        data = _serializer().loads(token)
        link_id, version = int(data["l"]), int(data["v"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None, INVALID
    link = db.session.get(PersonalLink, link_id)
    if link is None:
        return None, INVALID
    return link, link_state(link, version)
