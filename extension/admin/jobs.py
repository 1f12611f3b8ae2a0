"""What the admins' jobs page shows: every job's last known state, recorded from the queue's signals.

Huey keeps queued jobs in its store but forgets a job once a worker takes it; these rows remember, across
processes and hosts (they live in the shared database), which jobs run now and which failed and why, so
an admin can retry a failed one.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import JSON, DateTime, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from extension.extensions import db
from extension.logs import redact
from extension.organisations.models import utcnow

log = logging.getLogger(__name__)

QUEUED, RUNNING, FAILED, DONE = "queued", "running", "failed", "done"
SHOWN = 100


class JobRun(db.Model):
    __tablename__ = "job_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # The jobs page lists the newest rows of each state.
    __table_args__ = (Index("ix_job_runs_state", "state", "updated_at"),)


def init_app(app: Flask) -> None:
    # Imported here: the models import this module, and commands without jobs never import Huey.
    from huey.api import PeriodicTask
    from huey.signals import SIGNAL_COMPLETE, SIGNAL_ENQUEUED, SIGNAL_ERROR, SIGNAL_EXECUTING, SIGNAL_RETRYING

    states = {SIGNAL_ENQUEUED: QUEUED, SIGNAL_RETRYING: QUEUED, SIGNAL_EXECUTING: RUNNING, SIGNAL_ERROR: FAILED,
              SIGNAL_COMPLETE: DONE}
    huey = app.extensions["ln_jobs"].huey

    @huey.signal(SIGNAL_ENQUEUED, SIGNAL_RETRYING, SIGNAL_EXECUTING, SIGNAL_ERROR, SIGNAL_COMPLETE)
    def remember(signal, task, exc=None):
        if isinstance(task, PeriodicTask) and signal != SIGNAL_ERROR:
            return  # periodic jobs run every few minutes; only their failures are worth a row
        try:
            with app.app_context():
                _record(task, states[signal], exc)
        except Exception as error:  # bookkeeping must never fail the job itself
            log.warning("could not record job %s (%s): %s", task.name, signal, type(error).__name__)


def _record(task, state: str, exc: BaseException | None) -> None:
    row = db.session.get(JobRun, task.id)
    if row is None:
        row = JobRun(id=task.id, name=task.name, args=[_plain(a) for a in (task.args or ())])
        db.session.add(row)
    row.state, row.updated_at = state, utcnow()
    if state == FAILED and exc is not None:
        row.error = redact(f"{type(exc).__name__}: {exc}")[:2000]
    elif state in (QUEUED, RUNNING, DONE):
        row.error = None if state == DONE else row.error
    db.session.commit()


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def recent(state: str) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).where(JobRun.state == state)
                                   .order_by(JobRun.updated_at.desc()).limit(SHOWN)))
