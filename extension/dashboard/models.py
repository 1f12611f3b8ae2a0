"""What the web app keeps of its own: wizard drafts (a kartrekker's actions are engine runs, see
extension.dashboard.actions)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extension.extensions import db
from extension.organisations.models import utcnow


class WizardDraft(db.Model):
    """A network being made in the wizard: the network file's fields as entered so far, kept after every step."""

    __tablename__ = "wizard_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    step: Mapped[int] = mapped_column(Integer, default=1)
    # Set once Lanceren made the network; the draft then only points at it.
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    network = relationship("Network")
