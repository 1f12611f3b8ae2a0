"""The app's job queue: one Huey instance per app, with jobs registered by the feature packages.

Jobs are plain functions taking ids; the queue wraps each so that it runs inside an app context, in the web
process (immediate mode, for tests) or in `lerend-netwerk worker`. The web process and the worker build
the same registry from `create_app`, so a job enqueued by one is known to the other.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab

log = logging.getLogger(__name__)


class JobQueue:
    def __init__(self, app: Flask):
        self.app = app
        self.huey = _make_huey(app)
        self._tasks: dict[str, Any] = {}

    def register(self, name: str, func: Callable[..., Any], retries: int = 0, retry_delay: int = 30) -> None:
        """Make `func(*args)` runnable as job `name`; `retries` only for jobs safe to run twice."""
        app = self.app

        def run_in_app(*args):
            with app.app_context():
                return func(*args)

        run_in_app.__name__ = name
        self._tasks[name] = self.huey.task(name=name, retries=retries, retry_delay=retry_delay)(run_in_app)

    def register_periodic(self, name: str, func: Callable[[], Any], minutes: int) -> None:
        app = self.app

        def run_in_app():
            with app.app_context():
                return func()

        run_in_app.__name__ = name
        self._tasks[name] = self.huey.periodic_task(crontab(minute=f"*/{minutes}"), name=name)(run_in_app)

    def enqueue(self, name: str, *args):
        """Queue job `name`; returns Huey's result handle (in immediate mode the job has run already)."""
        if name not in self._tasks:
            raise KeyError(f"unknown job {name!r}; known: {', '.join(sorted(self._tasks))}")
        log.info("job %s queued", name)
        return self._tasks[name](*args)

    @property
    def names(self) -> list[str]:
        return sorted(self._tasks)

    def pending(self) -> int:
        """Jobs waiting; also the readiness probe of the queue's store (raises when it is unreachable)."""
        return self.huey.pending_count()

    def run_worker(self, workers: int = 2) -> None:
        """Run the consumer until interrupted; Huey needs this on the main thread (signal handling)."""
        # flush_locks: a worker killed while holding a job lock (e.g. the sync's) must not block that job forever.
        self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True, flush_locks=True).run()


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
