"""Named leases in the shared database: a lock that dies with its holder, on one host or on many.

Written by hand because nothing at hand fits: Huey's locks are keys without owner or expiry, so a killed
holder keeps them for good; PostgreSQL advisory locks die with the connection but SQLite has none, and the
app runs on both. A lease is one row (name, owner, expiry) taken by compare-and-set and renewed by a
heartbeat thread while its holder lives; a holder that is killed stops renewing and the lease is free
after its time to live. Every statement runs on a connection of its own, outside the caller's session, so
taking or renewing a lease never commits the caller's work.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterator

from sqlalchemy import DateTime, String, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from extension.extensions import db

log = logging.getLogger(__name__)

DEFAULT_TTL = 30.0
_POLL = 0.2
PROCESS = f"{socket.gethostname()}:{os.getpid()}"


class Lock(db.Model):
    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LockBusy(Exception):
    """The lease is held by another live holder."""

    def __init__(self, name: str, owner: str | None):
        super().__init__(f"{name} is held by {owner or 'another process'}")
        self.name = name
        self.owner = owner


@dataclass
class Lease:
    name: str
    owner: str
    ttl: float
    engine: Engine
    lost: bool = False
    depth: int = 1
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None


_held = threading.local()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _try_take(engine: Engine, name: str, owner: str, ttl: float) -> bool:
    now = _now()
    expires = now + timedelta(seconds=ttl)
    try:
        with engine.begin() as conn:
            conn.execute(insert(Lock).values(name=name, owner=owner, acquired_at=now, expires_at=expires))
        return True
    except IntegrityError:
        pass
    with engine.begin() as conn:
        taken = conn.execute(update(Lock).where(Lock.name == name, Lock.expires_at < now)
                             .values(owner=owner, acquired_at=now, expires_at=expires))
        return taken.rowcount == 1


def _owner_of(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(Lock.owner).where(Lock.name == name, Lock.expires_at >= _now())).scalar()


def _renew(lease: Lease) -> None:
    interval = lease.ttl / 3
    while not lease._stop.wait(interval):
        try:
            with lease.engine.begin() as conn:
                kept = conn.execute(update(Lock).where(Lock.name == lease.name, Lock.owner == lease.owner)
                                    .values(expires_at=_now() + timedelta(seconds=lease.ttl))).rowcount
        except Exception as exc:  # a database hiccup: try again next beat, the lease still has time
            log.warning("could not renew lock %s: %s", lease.name, exc)
            continue
        if not kept:
            lease.lost = True
            log.error("lock %s was lost: it expired and another holder took it", lease.name)
            return


@contextmanager
def hold(name: str, *, ttl: float = DEFAULT_TTL, wait: float = 0.0) -> Iterator[Lease]:
    """Hold the lease `name` for the block; re-entrant within one thread. Needs an app context.

    Raises LockBusy when another live holder has it and `wait` seconds passed without it coming free.
    """
    held: dict[str, Lease] = _held.__dict__.setdefault("leases", {})
    if name in held:
        held[name].depth += 1
        try:
            yield held[name]
        finally:
            held[name].depth -= 1
        return
    engine = db.engine
    owner = f"{PROCESS}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + wait
    while not _try_take(engine, name, owner, ttl):
        if time.monotonic() >= deadline:
            raise LockBusy(name, _owner_of(engine, name))
        time.sleep(_POLL)
    lease = Lease(name=name, owner=owner, ttl=ttl, engine=engine)
    lease._thread = threading.Thread(target=_renew, args=(lease,), name=f"lock-{name}", daemon=True)
    lease._thread.start()
    held[name] = lease
    try:
        yield lease
    except BaseException:
        # What the failed block wrote and did not commit must not outlive the lock; on SQLite it would also
        # keep the database's write lock, and the lease below could not be given back (30 s, then an error
        # that hides the block's own).
        db.session.rollback()
        raise
    finally:
        del held[name]
        lease._stop.set()
        lease._thread.join()
        with engine.begin() as conn:
            conn.execute(delete(Lock).where(Lock.name == name, Lock.owner == owner))


def network_lock(slug: str, *, wait: float = 0.0, ttl: float = DEFAULT_TTL):
    """The one per-network lease every run of a plan takes (launch, actions, catch-up, repair, end); see
    network_busy."""
    return hold(f"network:{slug}", ttl=ttl, wait=wait)


def network_busy(slug: str) -> bool:
    """True while some process holds the network's lease (a run of a plan is under way)."""
    return holder(f"network:{slug}") is not None


def holder(name: str) -> str | None:
    """The owner of a live lease `name`, or None when it is free or its holder stopped renewing it."""
    return _owner_of(db.engine, name)
