"""The database as the jobs' source of truth: durable job rows and the due times of periodic work.

A queue message (Huey, on SQLite or Redis) only wakes a worker; whether a job still has to run, who runs it
and whether it finished is written here, so a message lost with a killed worker loses nothing, and
periodic work is due once per interval for all workers together, not once per worker's clock.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extension.extensions import db

# A job waits (queued), runs under a worker's lease (running), finished (done) or gave up (failed).
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class Job(db.Model):
    """One queued run of a registered job; `key` (name and arguments) keeps one unfinished row per job."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    args: Mapped[list] = mapped_column(JSON)
    key: Mapped[str] = mapped_column(String(500), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    retry_delay: Mapped[int] = mapped_column(Integer, default=0)
    # Not run before this moment (a retry's back-off); when the last queue message was sent for it.
    run_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The worker (host:pid) running it; its lease is the lock `job:<id>` (extension.locks).
    worker: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class Schedule(db.Model):
    """A periodic piece of work: when it is next due (claimed by one worker), and when it last completed."""

    __tablename__ = "schedules"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Bumped by every claim: on SQLite the claim is a compare-and-set on it.
    version: Mapped[int] = mapped_column(Integer, default=0)
    last_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    runs: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
