"""One run per network at a time, across processes: concurrent runs are refused in Dutch before they journal
anything, and the lock of a killed run holds background work back only until it lapses.

The runs are real `lerend-netwerk` processes against the sandbox living in this test process.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from extension import engine
from extension.extensions import db
from extension.networks.members import NewMember
from extension.networks.models import LaunchStep
from tests.fixtures.app import TEST_KEY, running_app
from tests.fixtures.locks import network_held_elsewhere
from tests.networks.conftest import SCHOOL, build_world
from tests.networks.snapshot import WRITE_METHODS, differences, snapshot
from tests.networks.test_crash import uninterrupted  # noqa: F401  (the module-scoped fixture)
from tests.robustness.conftest import FAST, scalar, wait_for

SCRIPT = os.path.join(os.path.dirname(sys.executable), "lerend-netwerk")
BUSY = "Er loopt al een actie op het netwerk"


def _env(database_url: str, tmp_path, **settings) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "LN_ENCRYPTION_KEYS": TEST_KEY, "LN_SECRET_KEY": "x",
            "LN_JOBS_SQLITE": str(tmp_path / "jobs.sqlite"), **FAST, **settings}


def _database(request, tmp_path, kind: str) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite'}" if kind == "sqlite" else request.getfixturevalue("pg")


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_three_launches_of_one_network_at_once_journal_no_failure_and_end_like_one(kind, request, sandbox, tmp_path,
                                                                                   uninterrupted):
    database_url = _database(request, tmp_path, kind)
    with running_app(database_url, tmp_path) as app:
        slug = build_world(app, sandbox, tmp_path).create()
    processes: list[subprocess.Popen] = []
    first_write = threading.Event()

    def hold_the_first_write(method, path):
        # The launch that got the lock waits at its first write until the other two have ended: the three
        # surely overlap, whatever the machine's speed.
        if method in WRITE_METHODS and not first_write.is_set():
            first_write.set()
            deadline = time.monotonic() + 60
            while sum(p.poll() is not None for p in processes) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)

    for org in sandbox.orgs.values():
        org.faults.on_request = hold_the_first_write
    try:
        for _ in range(3):
            processes.append(subprocess.Popen([SCRIPT, "network", "launch", slug], env=_env(database_url, tmp_path),
                                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                              text=True))
        outputs = [process.communicate(timeout=180)[0] for process in processes]
    finally:
        for org in sandbox.orgs.values():
            org.faults.on_request = None

    codes = [process.returncode for process in processes]
    assert sorted(codes) == [0, 1, 1], [(code, output[-400:]) for code, output in zip(codes, outputs)]
    for code, output in zip(codes, outputs):
        assert (BUSY in output) == (code == 1), output
        assert "Traceback" not in output, output
    assert scalar(database_url, "SELECT status FROM networks") == "active"
    assert scalar(database_url, "SELECT count(*) FROM launch_steps WHERE status <> 'done'") == 0
    assert scalar(database_url, "SELECT count(*) FROM engine_runs") == 1  # the refused ones journaled nothing
    found = snapshot(sandbox)
    assert found == uninterrupted, differences(found, uninterrupted)


def _killed_at_first_write(sandbox, args: list[str], env: dict, cwd) -> None:
    """Run `lerend-netwerk ARGS` and kill it with SIGKILL when its first write request arrives."""
    process: list[subprocess.Popen] = []

    def kill(method, path):
        if method in WRITE_METHODS and process and process[0].poll() is None:
            os.kill(process[0].pid, signal.SIGKILL)

    for org in sandbox.orgs.values():
        org.faults.on_request = kill
    try:
        process.append(subprocess.Popen([SCRIPT, *args], env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE))
        _, stderr = process[0].communicate(timeout=120)
    finally:
        for org in sandbox.orgs.values():
            org.faults.on_request = None
    assert process[0].returncode == -signal.SIGKILL, stderr.decode(errors="replace")[-2000:]


def _job(database_url: str, name: str) -> str | None:
    return scalar(database_url, "SELECT state FROM jobs WHERE name = :name ORDER BY id DESC LIMIT 1", name=name)


# The killed command's lock outlives it this long (it renews it while alive; the default is 30 s): the worker,
# started at once, meets the lock still live and its job waits.
LOCK_TTL = "12"


def test_the_lock_of_a_killed_launch_holds_a_background_launch_back_only_until_it_lapses(sandbox, tmp_path, workers,
                                                                                       uninterrupted):
    database_url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    with running_app(database_url, tmp_path, JOBS_IMMEDIATE=False) as app:
        world = build_world(app, sandbox, tmp_path)
        slug = world.create()
        _killed_at_first_write(sandbox, ["network", "launch", slug],
                               _env(database_url, tmp_path, LN_NETWORK_LOCK_TTL=LOCK_TTL), tmp_path)
        assert scalar(database_url, "SELECT count(*) FROM locks WHERE name = :name", name=f"network:{slug}") == 1

        result = app.test_cli_runner().invoke(args=["network", "launch", slug, "--background"])
        assert result.exit_code == 0, result.output
        worker = workers(database_url, LN_JOBS_SQLITE=str(tmp_path / "jobs.sqlite"))
        worker.start()
        wait_for(lambda: _job(database_url, "launch_network") in ("done", "failed"), 120,
                 "the background launch", worker.logs)
        worker.stop()
    assert _job(database_url, "launch_network") == "done", worker.logs()
    # Waiting for the lock to lapse used no attempt: not failed, not retried as a failure.
    assert scalar(database_url, "SELECT attempts FROM jobs WHERE name = 'launch_network'") == 1
    assert scalar(database_url, "SELECT status FROM networks") == "active"
    found = snapshot(sandbox)
    assert found == uninterrupted, differences(found, uninterrupted)


def test_the_lock_of_a_killed_advance_holds_a_background_catch_up_back_only_until_it_lapses(sandbox, tmp_path,
                                                                                           workers):
    database_url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    with running_app(database_url, tmp_path, JOBS_IMMEDIATE=False) as app:
        world = build_world(app, sandbox, tmp_path)
        slug = world.create()
        assert world.launch(slug).ok
        _killed_at_first_write(sandbox, ["network", "advance", slug, "--yes"],
                               _env(database_url, tmp_path, LN_NETWORK_LOCK_TTL=LOCK_TTL), tmp_path)
        assert scalar(database_url, "SELECT count(*) FROM launch_steps WHERE status = 'running'") > 0
        school = scalar(database_url, "SELECT id FROM organisations WHERE slug = :slug", slug=SCHOOL)

        with app.app_context():
            app.extensions["ln_jobs"].enqueue("catch_up_organisation", school)
        worker = workers(database_url, LN_JOBS_SQLITE=str(tmp_path / "jobs.sqlite"))
        worker.start()
        wait_for(lambda: _job(database_url, "catch_up_organisation") in ("done", "failed"), 120,
                 "the background catch-up", worker.logs)
        worker.stop()
    assert _job(database_url, "catch_up_organisation") == "done", worker.logs()
    assert scalar(database_url, "SELECT attempts FROM jobs WHERE name = 'catch_up_organisation'") == 1
    # The catch-up ran the network's whole desired state: the advance cut short is finished too.
    assert scalar(database_url, "SELECT count(*) FROM launch_steps WHERE status <> 'done'") == 0


RUNS = {
    "launch": {},
    "resume": {},
    "advance": {},
    "add-member": {"member": NewMember(name="Karin Dekker", email="karin@regenboog.example", organisation=SCHOOL,
                                       role="deelnemer", expertise="intern begeleider", user="karin")},
    "remove-member": {"email": "eva@regenboog.example"},
    "catch-up": {},
    "repair": {"findings": []},
    "end": {"move_folder": True},
}


@pytest.mark.parametrize("kind", sorted(RUNS))
def test_every_kind_of_run_is_refused_in_dutch_while_another_holds_the_network(sqlite_app, sandbox, tmp_path, kind):
    world = build_world(sqlite_app, sandbox, tmp_path)
    slug = world.create()
    assert world.launch(slug).ok
    with sqlite_app.app_context():
        steps = {(s.key, s.status, s.attempts) for s in db.session.query(LaunchStep)}
    for org in sandbox.orgs.values():
        org.clear_log()
    with network_held_elsewhere(sqlite_app, slug):
        with sqlite_app.app_context():
            with pytest.raises(engine.Busy) as refused:
                engine.run(sqlite_app, kind, slug, **RUNS[kind])
            assert BUSY in str(refused.value)
            assert {(s.key, s.status, s.attempts) for s in db.session.query(LaunchStep)} == steps
    assert not [r for org in sandbox.orgs.values() for r in org.request_log if r.method in WRITE_METHODS]
