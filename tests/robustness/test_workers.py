"""Several real workers: periodic work once per interval, and no job lost when a worker dies mid-launch.

The workers are `lerend-netwerk worker` processes on the database and queue of the test's app, against the
sandbox living in this test process; the sandbox's request hook kills a worker with SIGKILL when the n-th
write request of a launch arrives (the write is then still served: the worker never learns of it).
"""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from extension.extensions import db
from extension.sync import service
from tests.fixtures.app import running_app
from tests.networks.conftest import build_world
from tests.networks.snapshot import WRITE_METHODS, differences, snapshot
from tests.networks.test_crash import uninterrupted  # noqa: F401  (the module-scoped fixture)
from tests.robustness.conftest import queue_name, scalar, wait_for

pytestmark = pytest.mark.postgres

INTERVAL = 3  # seconds between sync cycles in these tests
KILL_AT = 18  # the launch's n-th write request: among the documents, before shares, calendar and tasks


def _calendar_reports(sandbox, uri: str) -> int:
    """sync-collection REPORTs on the host's network calendar: one per cycle once nothing changes."""
    return sum(1 for r in sandbox.org("a").request_log if r.method == "REPORT" and r.path.rstrip("/").endswith(uri))


def test_two_workers_run_the_periodic_sync_once_per_interval(pg, redis_url, sandbox, tmp_path, workers):
    with running_app(pg, tmp_path) as app:
        world = build_world(app, sandbox, tmp_path)
        slug = world.create()
        assert world.launch(slug).ok
        with app.app_context():
            service.sync_all(app)  # the first, full read; every later cycle is one REPORT per collection
            uri = db.session.execute(db.text("SELECT calendar_uri FROM networks")).scalar()
            db.session.execute(db.text("DELETE FROM schedules"))  # the workers' first claim makes it again
            db.session.commit()
        sandbox.org("a").clear_log()
        pair = workers(pg, REDIS_URL=redis_url, LN_JOBS_NAME=queue_name(), LN_SYNC_INTERVAL_SECONDS=INTERVAL)
        pair.start()
        pair.start()
        runs = "SELECT runs FROM schedules WHERE name = 'sync_all'"
        wait_for(lambda: (scalar(pg, runs) or 0) >= 3, 120, "three sync cycles", pair.logs)
        first_claim = scalar(pg, "SELECT created_at FROM schedules WHERE name = 'sync_all'").timestamp()
        # Three whole intervals after the first cycle began, then both workers are stopped at once.
        time.sleep(max(0.0, first_claim + 3 * INTERVAL + 0.5 - time.time()))
        stopped_at = time.time()
        pair.stop()

    cycles = _calendar_reports(sandbox, uri)
    completed = scalar(pg, runs)
    window = stopped_at - first_claim
    print(f"two workers for {window:.1f} s at an interval of {INTERVAL} s: {cycles} cycles begun, "
          f"{completed} completed")
    assert cycles >= 3
    # Claimed once per interval for both workers together: at most one cycle begun per interval.
    assert cycles <= window // INTERVAL + 1
    assert completed <= cycles <= completed + 1  # a cycle cut short by the stop may have read, not finished


def _kill_the_launching_worker_at(database_url: str, n: int, sandbox, killed: list):
    """A request hook killing, at the n-th write, the worker process that runs the launch job."""
    lock, seen = threading.Lock(), [0]

    def hook(method, path):
        if method not in WRITE_METHODS:
            return
        with lock:
            seen[0] += 1
            if seen[0] != n:
                return
        worker = scalar(database_url, "SELECT worker FROM jobs WHERE name = 'launch_network' AND state = 'running'")
        pid = int(worker.rsplit(":", 1)[1])
        killed.append(pid)
        os.kill(pid, signal.SIGKILL)

    for org in sandbox.orgs.values():
        org.faults.on_request = hook


def _launch_in_the_background(app, slug: str) -> None:
    result = app.test_cli_runner().invoke(args=["network", "launch", slug, "--background"])
    assert result.exit_code == 0, result.output


def _network_state(database_url: str) -> str:
    return scalar(database_url, "SELECT status FROM networks")


def _launch_job(database_url: str) -> tuple[str, str]:
    """The network's status and its launch job's state."""
    return _network_state(database_url), scalar(database_url, "SELECT state FROM jobs WHERE name = 'launch_network'")


def test_a_worker_killed_mid_launch_on_redis_leaves_the_launch_to_the_other(pg, redis_url, sandbox,
                                                                           tmp_path, workers, uninterrupted):
    name = queue_name()
    with running_app(pg, tmp_path, JOBS_IMMEDIATE=False, REDIS_URL=redis_url, JOBS_NAME=name) as app:
        world = build_world(app, sandbox, tmp_path)
        slug = world.create()
        killed: list[int] = []
        _kill_the_launching_worker_at(pg, KILL_AT, sandbox, killed)
        pair = workers(pg, REDIS_URL=redis_url, LN_JOBS_NAME=name)
        first, second = pair.start(), pair.start()

        _launch_in_the_background(app, slug)
        wait_for(lambda: killed, 120, "the kill of the launching worker", pair.logs)
        wait_for(lambda: _launch_job(pg) == ("active", "done"), 120, "the launch finished by the other worker",
                 pair.logs)
        for org in sandbox.orgs.values():
            org.faults.on_request = None

        survivor = second if killed[0] == first.pid else first
        assert killed[0] in (first.pid, second.pid) and survivor.poll() is None
        assert scalar(pg, "SELECT worker FROM jobs WHERE name = 'launch_network'").endswith(
            f":{survivor.pid}")
        pair.stop()
    found = snapshot(sandbox)
    assert found == uninterrupted, differences(found, uninterrupted)


def test_a_worker_killed_during_a_queued_launch_on_sqlite_is_resumed_after_a_restart(sandbox, tmp_path, workers,
                                                                                    uninterrupted):
    database_url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    jobs = str(tmp_path / "jobs.sqlite")
    with running_app(database_url, tmp_path, JOBS_IMMEDIATE=False, JOBS_SQLITE=jobs) as app:
        world = build_world(app, sandbox, tmp_path)
        slug = world.create()
        killed: list[int] = []
        _kill_the_launching_worker_at(database_url, KILL_AT, sandbox, killed)
        single = workers(database_url, LN_JOBS_SQLITE=jobs)
        single.start()

        _launch_in_the_background(app, slug)
        wait_for(lambda: killed, 120, "the kill of the worker", single.logs)
        for org in sandbox.orgs.values():
            org.faults.on_request = None
        assert _network_state(database_url) == "launching"

        single.start()  # the service manager restarts it
        wait_for(lambda: _launch_job(database_url) == ("active", "done"), 120, "the resumed launch", single.logs)
        single.stop()
    found = snapshot(sandbox)
    assert found == uninterrupted, differences(found, uninterrupted)
