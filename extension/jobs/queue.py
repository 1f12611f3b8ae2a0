"""The app's job queue: jobs registered by the feature packages, kept in the database, woken through Huey.

A queued job is a row in the `jobs` table (extension.jobs.models); Huey (SQLite in the instance folder, or
Redis with REDIS_URL) only carries the row's id to a worker. A worker runs a job under a lease (the lock
`job:<id>`, extension.locks, renewed while it runs), so the database always says who runs what: a row that
is running while nobody holds its lease belonged to a worker that died, and the reaper, which every live
worker runs on the schedule, queues it again — as it does a queued row whose message was lost (Redis hands
a message out once). A job is finished only when its row says so; every job is safe to run again. Feature
packages add reapers of their own (`add_reaper`): a run of a plan cut short in a process that had no job row
(a foreground command) is found by the sync package's reaper, which asks `networks_in_hand` what the jobs
will do themselves.

Periodic work (the sync cycle, the organisation checks, the reaper) is due once per interval for all
workers together: each worker's scheduler thread claims due rows in the `schedules` table
(extension.jobs.schedule) instead of keeping a clock of its own.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterable

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.exceptions import CancelExecution
from sqlalchemy import delete, or_, select, update

from extension.extensions import db
from extension.jobs import schedule
from extension.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from extension.networks.models import as_utc
from extension.organisations.models import utcnow

log = logging.getLogger(__name__)

# A job that found its network busy (another run holds the network's lock) waits this long, not counted
# as an attempt.
BUSY_DELAY = 10
# Finished rows are kept this long for the admin's eye, then removed by the reaper.
KEEP_FINISHED = timedelta(days=7)
UNKNOWN_AFTER = timedelta(days=1)


class JobIncomplete(Exception):
    """A job did not get all its work done for a reason it states (logged without a traceback, retried while
    attempts remain)."""


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[..., Any]
    retries: int
    retry_delay: int
    # The slugs of the networks a run of the job with these arguments runs plans on (None: no network).
    networks: Callable[..., Iterable[str]] | None = None


@dataclass(frozen=True)
class Periodic:
    """Work due every `seconds`: the job `job` is queued, or `inline` runs in the scheduler thread."""

    name: str
    seconds: float
    job: str | None = None
    inline: Callable[[], Any] | None = None


class JobQueue:
    def __init__(self, app: Flask):
        self.app = app
        self.huey = _make_huey(app)
        self._jobs: dict[str, JobSpec] = {}
        self._tasks: dict[str, Any] = {}
        self.periodic: dict[str, Periodic] = {}
        self._reapers: list[Callable[[], Any]] = []
        self.lease_seconds = float(app.config["JOBS_LEASE_SECONDS"])
        self.requeue_seconds = float(app.config["JOBS_REQUEUE_SECONDS"])
        self.add_periodic(Periodic("reap", float(app.config["JOBS_REAP_SECONDS"]), inline=self.reap))

    # -- registry -----------------------------------------------------------------------------------------

    def register(self, name: str, func: Callable[..., Any], retries: int = 0, retry_delay: int = 30, *,
                 networks: Callable[..., Iterable[str]] | None = None) -> None:
        """Make `func(*args)` runnable as job `name` (it runs in an app context); `retries` are further
        attempts after a failure, `retry_delay` seconds apart; `networks(*args)` names the networks whose
        plans the job runs (see `networks_in_hand`).

        The queue message is a Huey task of that name with the job's arguments (and the row's id), so Huey's
        signals name the job; it completes (SIGNAL_COMPLETE) only when the job finished in that run, and
        is cancelled (SIGNAL_CANCELED) when it failed, was left for later or runs elsewhere."""
        self._jobs[name] = JobSpec(name, func, retries, retry_delay, networks)

        def run_job(*args, job_id: int):
            if self.execute(job_id) != DONE:
                raise CancelExecution(retry=False)

        run_job.__name__ = name
        self._tasks[name] = self.huey.task(name=name)(run_job)

    def register_periodic(self, name: str, func: Callable[[], Any], minutes: float | None = None, *,
                          seconds: float | None = None) -> None:
        """Job `name`, also queued by the workers' scheduler once every `minutes` (or `seconds`), for all
        workers together."""
        self.register(name, func)
        self.add_periodic(Periodic(name, seconds if seconds is not None else minutes * 60, job=name))

    def add_periodic(self, periodic: Periodic) -> None:
        self.periodic[periodic.name] = periodic

    def add_reaper(self, reaper: Callable[[], Any]) -> None:
        """`reaper()` runs (in an app context) with every reaping, after the jobs' own."""
        self._reapers.append(reaper)

    @property
    def names(self) -> list[str]:
        return sorted(self._jobs)

    # -- queueing -----------------------------------------------------------------------------------------

    def enqueue(self, name: str, *args) -> int:
        """Queue job `name`; returns the job's id. A job with the same arguments still waiting is not queued
        twice. Commits the session (the job is durable before a worker hears of it); in immediate mode
        (JOBS_IMMEDIATE, for tests) the job has run when this returns."""
        if name not in self._jobs:
            raise KeyError(f"unknown job {name!r}; known: {', '.join(sorted(self._jobs))}")
        with self.app.app_context():
            job_id = self._store(self._jobs[name], list(args))
        if job_id is None:
            log.info("job %s%s is queued already", name, tuple(args))
            return self._waiting_id(name, list(args))
        log.info("job %s queued (job %d)", name, job_id)
        self._send(job_id, name, list(args))
        return job_id

    def _store(self, spec: JobSpec, args: list) -> int | None:
        key = _key(spec.name, args)
        if db.session.scalar(select(Job.id).where(Job.key == key, Job.state == QUEUED)) is not None:
            return None
        now = utcnow()
        job = Job(name=spec.name, args=args, key=key, state=QUEUED, attempts=0, max_attempts=1 + spec.retries,
                  retry_delay=spec.retry_delay, run_after=now, enqueued_at=now, created_at=now)
        db.session.add(job)
        db.session.commit()
        return job.id

    def _waiting_id(self, name: str, args: list) -> int:
        with self.app.app_context():
            return db.session.scalar(select(Job.id).where(Job.key == _key(name, args), Job.state == QUEUED)) or 0

    def _send(self, job_id: int, name: str, args: list) -> None:
        """The message that wakes a worker (in immediate mode: runs the job now)."""
        self._tasks[name](*args, job_id=job_id)

    def networks_in_hand(self) -> set[str]:
        """Slugs of the networks that a queued or running job will run (or runs) a plan on; call inside an app
        context."""
        slugs: set[str] = set()
        for name, args in db.session.execute(select(Job.name, Job.args).where(Job.state.in_((QUEUED, RUNNING)))):
            spec = self._jobs.get(name)
            if spec is not None and spec.networks is not None:
                slugs.update(spec.networks(*args))
        return slugs

    def ever_queued(self, name: str, *args) -> bool:
        """Whether job `name` with these arguments has a row, in any state (finished rows are kept a week)."""
        return db.session.scalar(select(Job.id).where(Job.key == _key(name, list(args))).limit(1)) is not None

    def pending(self) -> int:
        """Messages waiting in the queue's store; also the readiness probe of the store (raises when it is
        unreachable)."""
        return self.huey.pending_count()

    # -- running ------------------------------------------------------------------------------------------

    def execute(self, job_id: int) -> str | None:
        """Run job `job_id` if it is still queued and due, under its lease; record how it ended. Returns the
        state this run left it in (None when it was not this run's to do)."""
        from extension.locks import LockBusy, hold

        with self.app.app_context():
            job = db.session.get(Job, job_id)
            if job is None or job.state != QUEUED or as_utc(job.run_after) > utcnow():
                db.session.rollback()
                return None
            name, spec, args = job.name, self._jobs.get(job.name), list(job.args)
            db.session.rollback()
            if spec is None:
                self._finish(job_id, FAILED, f"unknown job {name!r}")
                return FAILED
            try:
                with hold(f"job:{job_id}", ttl=self.lease_seconds, wait=0):
                    return self._run_claimed(job_id, spec, args)
            except LockBusy:
                log.info("job %d runs elsewhere already", job_id)
                return None

    def _run_claimed(self, job_id: int, spec: JobSpec, args: list) -> str | None:
        from extension.locks import LockBusy

        claimed = db.session.execute(
            update(Job).where(Job.id == job_id, Job.state == QUEUED)
            .values(state=RUNNING, worker=worker_name(), started_at=utcnow(), attempts=Job.attempts + 1)).rowcount
        db.session.commit()
        if not claimed:
            return None
        log.info("job %s%s started (job %d)", spec.name, tuple(args), job_id)
        try:
            spec.func(*args)
        except LockBusy as exc:
            db.session.rollback()
            log.info("job %d waits: %s is held by %s", job_id, exc.name, exc.owner)
            self._again(job_id, BUSY_DELAY, counted=False)
            return QUEUED
        except Exception as exc:  # the job's own failure: recorded on its row, retried while attempts remain
            db.session.rollback()
            log.warning("job %s%s failed (job %d): %s", spec.name, tuple(args), job_id, exc,
                        exc_info=not isinstance(exc, JobIncomplete))
            job = db.session.get(Job, job_id)
            if job.attempts < job.max_attempts:
                self._again(job_id, job.retry_delay, error=str(exc))
                return QUEUED
            self._finish(job_id, FAILED, str(exc))
            return FAILED
        self._finish(job_id, DONE, None)
        log.info("job %s%s done (job %d)", spec.name, tuple(args), job_id)
        return DONE

    def _finish(self, job_id: int, state: str, error: str | None) -> None:
        db.session.execute(update(Job).where(Job.id == job_id)
                           .values(state=state, finished_at=utcnow(), last_error=error))
        db.session.commit()

    def _again(self, job_id: int, delay: float, counted: bool = True, error: str | None = None) -> None:
        """Back to the queue, due after `delay` seconds; the reaper sends it once it is due."""
        values = dict(state=QUEUED, run_after=utcnow() + timedelta(seconds=delay), enqueued_at=None, worker=None)
        if error is not None:
            values["last_error"] = error
        if not counted:
            values["attempts"] = Job.attempts - 1
        db.session.execute(update(Job).where(Job.id == job_id).values(**values))
        db.session.commit()

    # -- the reaper ---------------------------------------------------------------------------------------

    def reap(self) -> list[int]:
        """Queue again what a dead worker left (running without a live lease) or what no message will bring
        (queued and due, but sent long ago or not at all); call inside an app context. Returns the ids sent."""
        from extension.locks import holder

        now = utcnow()
        sent: list[int] = []
        for job_id, name in db.session.execute(select(Job.id, Job.name).where(
                Job.state == QUEUED, Job.name.notin_(list(self._jobs)), Job.created_at < now - UNKNOWN_AFTER)).all():
            # A job this version does not know (renamed or dropped) and no newer worker took up in a day: no
            # worker will ever run it. (During an upgrade a newer version's jobs are left to its workers.)
            self._finish(job_id, FAILED, f"unknown job {name!r}")
            log.warning("job %d (%s) is unknown to this version; marked failed", job_id, name)
        for job_id, attempts, limit in db.session.execute(
                select(Job.id, Job.attempts, Job.max_attempts).where(Job.state == RUNNING)).all():
            if holder(f"job:{job_id}") is not None:
                continue
            if attempts > limit:
                # Its worker died on every attempt and once more: the job itself takes workers down.
                if db.session.execute(update(Job).where(Job.id == job_id, Job.state == RUNNING).values(
                        state=FAILED, finished_at=now, worker=None,
                        last_error=f"the worker running it stopped {attempts} times")).rowcount:
                    db.session.commit()
                    log.error("job %d stopped its worker %d times; marked failed", job_id, attempts)
                continue
            if db.session.execute(
                    update(Job).where(Job.id == job_id, Job.state == RUNNING)
                    .values(state=QUEUED, worker=None, enqueued_at=now, run_after=now)).rowcount:
                db.session.commit()
                log.warning("job %d was running on a worker that is gone; queued again", job_id)
                sent.append(job_id)
        stale = now - timedelta(seconds=self.requeue_seconds)
        for job_id in db.session.scalars(select(Job.id).where(
                Job.state == QUEUED, Job.run_after <= now,
                or_(Job.enqueued_at.is_(None), Job.enqueued_at < stale))).all():
            if db.session.execute(update(Job).where(Job.id == job_id, Job.state == QUEUED)
                                  .values(enqueued_at=now)).rowcount:
                db.session.commit()
                sent.append(job_id)
        db.session.execute(delete(Job).where(Job.state.in_((DONE, FAILED)), Job.finished_at < now - KEEP_FINISHED))
        messages = db.session.execute(select(Job.id, Job.name, Job.args).where(Job.id.in_(sent))).all()
        db.session.commit()
        for job_id, name, args in messages:
            if name in self._tasks:
                self._send(job_id, name, list(args))
        for reaper in self._reapers:
            try:
                reaper()
            except Exception:  # one reaper's failure (a database hiccup) must not stop the jobs' reaping
                db.session.rollback()
                log.exception("reaper %s failed", getattr(reaper, "__name__", reaper))
        return sent

    # -- the worker ---------------------------------------------------------------------------------------

    def run_worker(self, workers: int = 2) -> None:
        """Run the consumer until interrupted, with the scheduler beside it; Huey needs the main thread
        (signal handling)."""
        stop = threading.Event()
        scheduler = threading.Thread(target=self._schedule_loop, args=(stop,), name="scheduler", daemon=True)
        scheduler.start()
        try:
            self.huey.create_consumer(workers=workers, worker_type="thread", periodic=False).run()
        finally:
            stop.set()
            scheduler.join(timeout=5)

    def tick_seconds(self) -> float:
        shortest = min((p.seconds for p in self.periodic.values()), default=60)
        return max(0.5, min(10.0, shortest / 4))

    def run_due(self) -> list[str]:
        """Claim and start the periodic work that is due; call inside an app context. Returns what ran."""
        started = []
        for periodic in list(self.periodic.values()):
            if not schedule.claim(periodic.name, periodic.seconds):
                continue
            started.append(periodic.name)
            if periodic.inline is not None:
                periodic.inline()
            else:
                self.enqueue(periodic.job)
        return started

    def _schedule_loop(self, stop: threading.Event) -> None:
        first = True
        while not stop.is_set():
            try:
                with self.app.app_context():
                    if first:
                        # A restarted worker adopts at once what a dead one left.
                        self.reap()
                        first = False
                    self.run_due()
            except Exception:  # a database outage must not end the scheduler; the next tick tries again
                log.exception("the scheduler's tick failed")
            stop.wait(self.tick_seconds())


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _key(name: str, args: list) -> str:
    return f"{name}:{json.dumps(args, sort_keys=True, default=str)}"[:500]


def _make_huey(app: Flask) -> Huey:
    immediate = bool(app.config["JOBS_IMMEDIATE"])
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        return RedisHuey(app.config["JOBS_NAME"], url=redis_url, immediate=immediate)
    path = app.config.get("JOBS_SQLITE") or str(Path(app.instance_path) / "jobs.sqlite")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(app.config["JOBS_NAME"], filename=path, immediate=immediate)


def init_app(app: Flask) -> None:
    app.extensions["ln_jobs"] = JobQueue(app)


def job_queue() -> JobQueue:
    return current_app.extensions["ln_jobs"]
