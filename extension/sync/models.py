"""The sync state of one collection (a network's calendar or an organisation's task list) read back by the app."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extension.extensions import db

# What a collection holds: the host's network calendar (meetings) or an organisation's task list.
CALENDAR, TASKLIST = "calendar", "tasklist"

# ok: the last sync succeeded; missing: Nextcloud answered 404 (deleted; the drift check reads this);
# error: the last sync failed (rate limit, outage, reconnect needed); the token is kept for the next cycle.
STATE_OK, STATE_MISSING, STATE_ERROR = "ok", "missing", "error"


class SyncCollection(db.Model):
    """One collection read through one organisation connection for one network, with its sync token."""

    __tablename__ = "sync_collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    # The connection account whose calendar home holds the collection; another account means another
    # collection, so the token is dropped when the organisation's connection account changes.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    uri: Mapped[str] = mapped_column(String(255))
    sync_token: Mapped[str | None] = mapped_column(String(1000))
    state: Mapped[str] = mapped_column(String(20), default=STATE_OK)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Consecutive failed cycles; 0 after a success.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    missing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Objects the sync could not read or apply, {href: reason}, kept until they are read fine or deleted.
    unreadable: Mapped[dict | None] = mapped_column(JSON)

    network = relationship("Network")
    organisation = relationship("Organisation")
    account = relationship("Account")

    __table_args__ = (UniqueConstraint("network_id", "organisation_id", "kind"),)
