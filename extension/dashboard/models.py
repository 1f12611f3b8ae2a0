"""What the web app keeps of its own: the runs of the kartrekker's actions (progress per job) and wizard drafts."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extension.extensions import db
from extension.organisations.models import utcnow

RUN_QUEUED, RUN_RUNNING, RUN_DONE, RUN_FAILED = "queued", "running", "done", "failed"
RUN_KINDS = ("launch", "advance", "add_member", "remove_member", "sync", "repair", "end")


class ActionRun(db.Model):
    """One background run of an action on a network: how far it is (done of total steps) and how it ended."""

    __tablename__ = "action_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=RUN_QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    current: Mapped[str | None] = mapped_column(String(600))
    # The outcome in Dutch for the kartrekker: what was done, or what failed, where, and what to do.
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    network = relationship("Network")

    @property
    def finished(self) -> bool:
        return self.status in (RUN_DONE, RUN_FAILED)

    @property
    def percent(self) -> int:
        if self.status == RUN_DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


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
