"""Starting, finding and ending server-side sessions; the cookie holds only a random session id.

Flask's cookie session alone cannot be ended: a copy of the cookie stays valid after signing out. Here the
cookie carries a random id whose hash names a `web_sessions` row; signing out marks the row ended, so every
copy of the cookie stops working at once.
"""
from __future__ import annotations

import hashlib
import secrets

from flask import g, session
from sqlalchemy.orm import joinedload

from extension.accounts.models import Account
from extension.auth.models import WebSession
from extension.links.models import PersonalLink
from extension.extensions import db
from extension.organisations.models import utcnow

SESSION_KEY = "sid"
# Cookie values that survive signing in and out: the chosen language only.
KEPT = ("lang",)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start_session(account=None, link=None) -> WebSession:
    """Sign this browser in as `account` or as the holder of `link`; any earlier session of it ends."""
    end_session()
    kept = {key: session[key] for key in KEPT if key in session}
    session.clear()
    session.update(kept)
    raw = secrets.token_urlsafe(32)
    row = WebSession(id=_digest(raw), account_id=account.id if account else None,
                     link_id=link.id if link else None, link_version=link.version if link else None)
    db.session.add(row)
    db.session.commit()
    session[SESSION_KEY] = raw
    session.permanent = False
    return row


def current_session() -> WebSession | None:
    """The live session this request's cookie names, or None (none, unknown, ended, or its link revoked)."""
    raw = session.get(SESSION_KEY)
    if not raw or not isinstance(raw, str):
        return None
    # One query for the session, its account with the account's organisation, or its link with the link's
    # network: every page needs them.
    row = db.session.get(WebSession, _digest(raw), options=[
        joinedload(WebSession.account).joinedload(Account.organisation),
        joinedload(WebSession.link).joinedload(PersonalLink.network)])
    if row is None or row.ended_at is not None:
        return None
    if row.link_id is not None:
        from extension.links.service import link_state

        if row.link is None or row.link.version != row.link_version or link_state(row.link) != "valid":
            return None
    return row


def end_session() -> None:
    """Sign out: the row is ended (every copy of the cookie stops working) and the cookie is emptied."""
    raw = session.get(SESSION_KEY)
    if raw and isinstance(raw, str):
        row = db.session.get(WebSession, _digest(raw))
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
            db.session.commit()
    kept = {key: session[key] for key in KEPT if key in session}
    session.clear()
    session.update(kept)
    g.pop("web_session", None)
