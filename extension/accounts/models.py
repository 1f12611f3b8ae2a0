"""A person's (or functional account's) OAuth connection to their organisation's Nextcloud."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extension.crypto import EncryptedText
from extension.extensions import db
from extension.organisations.models import utcnow

CONNECTED = "connected"
RECONNECT_NEEDED = "reconnect_needed"


class Account(db.Model):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    # The Nextcloud UID from the token response: DAV paths use it (quirk `uid_in_dav_paths`).
    user_id: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    access_token: Mapped[str | None] = mapped_column(EncryptedText)
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText)
    expires_at: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(30), default=CONNECTED)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    organisation = relationship("Organisation", foreign_keys=[organisation_id])

    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    @property
    def needs_reconnect(self) -> bool:
        return self.status == RECONNECT_NEEDED
