"""Periodic work is due once per interval for all workers together: the due time is a row in the database.

Each worker's scheduler asks `claim` every few seconds; the first to find the row due moves its due time one
interval on and runs (or queues) the work, every other worker finds it not due. On PostgreSQL the row is
claimed with SELECT … FOR UPDATE SKIP LOCKED, on SQLite with a compare-and-set on its version.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from extension.extensions import db
from extension.jobs.models import Schedule
from extension.networks.models import as_utc
from extension.organisations.models import utcnow


def claim(name: str, seconds: float, now: datetime | None = None) -> bool:
    """True when `name` was due and this caller claimed it (its next due time is now one interval on)."""
    now = now or utcnow()
    try:
        if db.engine.dialect.name == "postgresql":
            return _claim_locked(name, seconds, now)
        return _claim_compare_and_set(name, seconds, now)
    finally:
        db.session.rollback()


def _claim_locked(name: str, seconds: float, now: datetime) -> bool:
    row = db.session.scalar(select(Schedule).where(Schedule.name == name).with_for_update(skip_locked=True))
    if row is None:
        db.session.rollback()
        # Absent, or being claimed by another worker right now (then it is not ours anyway).
        return _create(name, now) and _claim_locked(name, seconds, now)
    if as_utc(row.next_due_at) > now:
        return False
    row.next_due_at, row.last_claimed_at, row.version = now + timedelta(seconds=seconds), now, row.version + 1
    db.session.commit()
    return True


def _claim_compare_and_set(name: str, seconds: float, now: datetime) -> bool:
    row = db.session.execute(select(Schedule.next_due_at, Schedule.version).where(Schedule.name == name)).first()
    if row is None:
        return _create(name, now) and _claim_compare_and_set(name, seconds, now)
    if as_utc(row.next_due_at) > now:
        return False
    claimed = db.session.execute(update(Schedule).where(Schedule.name == name, Schedule.version == row.version)
                                 .values(next_due_at=now + timedelta(seconds=seconds), last_claimed_at=now,
                                         version=row.version + 1)).rowcount
    db.session.commit()
    return claimed == 1


def _create(name: str, now: datetime) -> bool:
    """Make the row, due now; False when another worker made it first (it is claimed by then)."""
    db.session.add(Schedule(name=name, next_due_at=now, version=0, runs=0, created_at=now))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def completed(name: str, now: datetime | None = None) -> None:
    """Record that a run of `name` completed (the readiness check of the sync reads it); commits."""
    now = now or utcnow()
    done = db.session.execute(update(Schedule).where(Schedule.name == name)
                              .values(last_completed_at=now, runs=Schedule.runs + 1)).rowcount
    if not done:
        db.session.add(Schedule(name=name, next_due_at=now, version=0, runs=1, created_at=now,
                                last_completed_at=now))
    try:
        db.session.commit()
    except IntegrityError:  # a worker made the row meanwhile: count on it
        db.session.rollback()
        completed(name, now)


def last_completed(name: str) -> datetime | None:
    return as_utc(db.session.scalar(select(Schedule.last_completed_at).where(Schedule.name == name)))
