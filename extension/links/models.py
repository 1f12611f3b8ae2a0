"""A personal link: how a member without an account on the host's Nextcloud reaches their own page."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extension.extensions import db
from extension.organisations.models import utcnow


class PersonalLink(db.Model):
    """One per person and network. The signed token names the row and its `version`: issuing a new link
    bumps the version (every older token is then revoked), and `revoked_at` stops the current one too."""

    __tablename__ = "personal_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    # The address the kartrekker entered for the member or manager (lower case): not self-editable.
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    network = relationship("Network")

    __table_args__ = (UniqueConstraint("network_id", "email"),)
