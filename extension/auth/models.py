"""Server-side sessions: a cookie only names one, so signing out ends it for every copy of the cookie."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extension.extensions import db
from extension.organisations.models import utcnow


class WebSession(db.Model):
    """One signed-in browser: a Nextcloud account, or the holder of a personal link.

    `id` is the SHA-256 of the random session id in the cookie, so a read of this table gives no usable cookie.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("personal_links.id", ondelete="CASCADE"))
    # The link's version when the session began: a newer link (sent because the old one leaked) ends it.
    link_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    account = relationship("Account")
    link = relationship("PersonalLink")
