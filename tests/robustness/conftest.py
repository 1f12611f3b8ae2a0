"""Real `lerend-netwerk worker` processes against the sandbox, on PostgreSQL and Redis or on SQLite alone.

Redis is required with CI=true and skipped elsewhere when missing (like PostgreSQL, tests/fixtures/app.py).
Each test gets its own queue name on the shared Redis server, so parallel runs never share a queue.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis as redis_client
from sqlalchemy import create_engine, text

from tests.fixtures.app import TEST_KEY

SCRIPT = os.path.join(os.path.dirname(sys.executable), "lerend-netwerk")
REDIS_URL = os.environ.get("LN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Short leases and a fast reaper: a killed worker's job is adopted within seconds.
FAST = {"LN_JOBS_LEASE_SECONDS": "2", "LN_JOBS_REAP_SECONDS": "1", "LN_JOBS_REQUEUE_SECONDS": "30",
        "LN_READYZ_CACHE_SECONDS": "3600"}


@pytest.fixture
def redis_url():
    try:
        redis_client.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis_client.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is not usable ({exc}); CI=true requires it")
        pytest.skip(f"Redis at {REDIS_URL} is not usable: {exc}")
    return REDIS_URL


@dataclass
class Workers:
    """Worker processes sharing one database and one queue, started and stopped by the test."""

    database_url: str
    folder: Path
    settings: dict
    processes: list = field(default_factory=list)

    def start(self) -> subprocess.Popen:
        env = {**os.environ, "DATABASE_URL": self.database_url, "LN_ENCRYPTION_KEYS": TEST_KEY,
               "LN_SECRET_KEY": "x", **FAST, **self.settings}
        log = (self.folder / f"worker-{len(self.processes)}.log").open("w")
        process = subprocess.Popen([SCRIPT, "worker"], env=env, cwd=self.folder, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-3000:] for path in sorted(self.folder.glob("worker-*.log")))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def workers(tmp_path):
    made = []

    def make(database_url: str, **settings) -> Workers:
        folder = tmp_path / f"workers-{len(made)}"
        folder.mkdir()
        made.append(Workers(database_url, folder, {k: str(v) for k, v in settings.items()}))
        return made[-1]

    yield make
    for group in made:
        group.stop()


def queue_name() -> str:
    return f"ln-test-{uuid.uuid4().hex}"


def wait_for(condition, timeout: float, what: str, logs=lambda: ""):
    """Poll `condition()` until it returns something true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s\n{logs()}")
        time.sleep(0.3)


def scalar(database_url: str, sql: str, **params):
    """One value read with a connection of its own (the test's app session is not involved)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


@pytest.fixture
def pg(postgres_url):
    """This run's PostgreSQL database, emptied for the test."""
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return postgres_url
