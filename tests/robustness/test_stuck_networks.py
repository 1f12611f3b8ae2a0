"""A run of a plan cut short with its process (no job row to queue again) is resumed by a worker's reaper.

In-process tests of the reaper's choices, then the real thing: `lerend-netwerk network launch` killed with
SIGKILL at a write request, and a `lerend-netwerk worker` started afterwards that finishes the launch to the
state of an uninterrupted one.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from extension import engine
from extension.dashboard import actions
from extension.extensions import db
from extension.jobs import job_queue
from extension.jobs.models import Job
from extension.networks.models import EngineRun, LaunchStep, Network
from extension.locks import holder
from extension.networks.naming import ARCHIVE_FOLDER
from extension.organisations.models import Organisation
from extension.sync.jobs import INTERRUPTED
from tests.fixtures.app import TEST_KEY, running_app
from tests.fixtures.locks import network_held_elsewhere
from tests.networks.conftest import HOST, build_world, network_yaml
from tests.networks.snapshot import WRITE_METHODS, differences, snapshot
from tests.networks.test_crash import uninterrupted  # noqa: F401  (the module-scoped fixture)
from tests.robustness.conftest import FAST, queue_name, scalar, wait_for

SCRIPT = os.path.join(os.path.dirname(sys.executable), "lerend-netwerk")
KILL_AT = 18  # the launch's n-th write request: among the documents, before shares, calendar and tasks


@pytest.fixture
def sqlite_world(sqlite_app, sandbox, tmp_path):
    return build_world(sqlite_app, sandbox, tmp_path)


def _cut_short(world, slug: str) -> None:
    """A launch whose caller went away mid-run (its progress display raised): the run stays "running"."""
    seen = []

    def progress(step, status):
        seen.append(status)
        if len(seen) == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        world.launch(slug, progress)
    with world.app.app_context():
        assert db.session.query(EngineRun).one().status == "running"


def _jobs(app) -> list[tuple[str, list, str]]:
    with app.app_context():
        return [(job.name, job.args, job.state) for job in db.session.query(Job).order_by(Job.id)]


def _reap(app) -> None:
    with app.app_context():
        job_queue().reap()


def test_the_reaper_resumes_a_run_cut_short_in_a_process_without_a_job(sqlite_world):
    world = sqlite_world
    slug = world.create()
    _cut_short(world, slug)

    _reap(world.app)  # immediate mode: the queued resume has run when reap returns

    assert _jobs(world.app) == [("resume_network", [slug], "done")]
    with world.app.app_context():
        assert db.session.query(Network).one().status == "active"
        first, resumed = db.session.query(EngineRun).order_by(EngineRun.id).all()
        assert (first.status, first.failed_error) == ("failed", INTERRUPTED)
        assert resumed.status == "done"
        assert {s.status for s in db.session.query(LaunchStep)} == {"done"}
    _reap(world.app)
    assert len(_jobs(world.app)) == 1  # a run is resumed once


def test_the_reaper_resumes_a_network_left_launching_before_its_first_journal_commit(sqlite_world):
    world = sqlite_world
    slug = world.create()
    with world.app.app_context():  # as a launch killed right after it said "launching", before its plan ran
        db.session.query(Network).one().status = "launching"
        db.session.commit()

    _reap(world.app)

    assert _jobs(world.app) == [("resume_network", [slug], "done")]
    with world.app.app_context():
        assert db.session.query(Network).one().status == "active"
    _reap(world.app)
    assert len(_jobs(world.app)) == 1


def test_the_reaper_leaves_a_run_whose_lock_is_held_alone(sqlite_world):
    world = sqlite_world
    slug = world.create()
    _cut_short(world, slug)
    with network_held_elsewhere(world.app, slug):
        _reap(world.app)
    assert _jobs(world.app) == []
    with world.app.app_context():
        assert db.session.query(EngineRun).one().status == "running"


def test_the_reaper_leaves_a_network_to_the_job_that_will_run_it(sqlite_world):
    world = sqlite_world
    slug = world.create()
    _cut_short(world, slug)
    queue = world.app.extensions["ln_jobs"]
    queue.huey.immediate = False  # the launch job waits for a worker
    with world.app.app_context():
        queue.enqueue("launch_network", slug)

    _reap(world.app)

    assert _jobs(world.app) == [("launch_network", [slug], "queued")]


def test_a_web_action_queued_on_another_network_does_not_stop_the_reaper(sqlite_world, tmp_path):
    world = sqlite_world
    slug = world.create()
    other_file = tmp_path / "tweede.yml"
    other_file.write_text(network_yaml("Tweede netwerk"), encoding="utf-8")
    other = world.create(other_file)
    _cut_short(world, slug)
    queue = world.app.extensions["ln_jobs"]
    queue.huey.immediate = False  # the kartrekker's action on the other network waits for a worker
    with world.app.app_context():
        run_id = actions.start(db.session.query(Network).filter_by(slug=other).one(), "resume", account_id=None).id

    _reap(world.app)

    assert _jobs(world.app) == [(actions.JOB, [run_id], "queued"), ("resume_network", [slug], "queued")]


def test_a_resume_queued_to_finish_an_interrupted_end_moves_the_folder_as_that_end_asked(sqlite_world):
    """`network end --move-folder` killed right after archiving; "Opnieuw proberen" then queues a resume, a run
    of its own: the resume still finishes the ending that was asked for, folder move included."""
    world = sqlite_world
    slug = world.create()
    assert world.launch(slug).ok
    with world.app.app_context():
        network = db.session.query(Network).one()
        network.status = "archived"
        db.session.add(EngineRun(network_id=network.id, kind="end-move-folder", status="failed", total=4, done=0,
                                 failed=0, failed_error=INTERRUPTED))
        db.session.add(EngineRun(network_id=network.id, kind="resume", status="queued", total=0, done=0, failed=0,
                                 params={}))
        db.session.commit()
        result = engine.run(world.app, "resume", slug)
        assert result.ok, result.failed
        assert db.session.query(Network).one().folder_name.startswith(f"{ARCHIVE_FOLDER}/")


def test_a_launch_refused_inside_the_lock_says_why_at_once_and_leaves_the_network_as_it_was(sqlite_world):
    """The refusal (no working connection at the host) comes after the launch marked the network "launching"
    in its session: the lock gives the write back, so the lease is freed at once and the refusal is what the
    caller sees (on SQLite the pending write used to block the lease's release for 30 s, then hide it)."""
    world = sqlite_world
    slug = world.create()
    with world.app.app_context():
        db.session.query(Organisation).filter_by(slug=HOST).one().connection_account_id = None
        db.session.commit()
        with pytest.raises(engine.LaunchError):
            engine.run(world.app, "launch", slug)
        assert holder(f"network:{slug}") is None
        assert db.session.query(Network).one().status == "draft"


def test_a_finished_launch_with_failed_steps_is_not_resumed_by_the_reaper(sqlite_world):
    world = sqlite_world
    slug = world.create()
    world.sandbox.org("a").calendar_limit = 0  # "Calendar limit reached": A's calendar cannot be made for now
    assert not world.launch(slug).ok  # failed: the kartrekker fixes the cause and launches again
    with world.app.app_context():
        assert db.session.query(Network).one().status == "launching"

    _reap(world.app)

    assert _jobs(world.app) == []


def _kill_at_nth_write(sandbox, n: int, process: list) -> None:
    lock, seen = threading.Lock(), [0]

    def hook(method, path):
        if method not in WRITE_METHODS:
            return
        with lock:
            seen[0] += 1
            if seen[0] == n and process and process[0].poll() is None:
                os.kill(process[0].pid, signal.SIGKILL)

    for org in sandbox.orgs.values():
        org.faults.on_request = hook


def _foreground_launch_killed(world, slug: str, env: dict, tmp_path) -> None:
    process: list[subprocess.Popen] = []
    _kill_at_nth_write(world.sandbox, KILL_AT, process)
    process.append(subprocess.Popen([SCRIPT, "network", "launch", slug], env=env, cwd=tmp_path,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    try:
        _, stderr = process[0].communicate(timeout=120)
    finally:
        for org in world.sandbox.orgs.values():
            org.faults.on_request = None
    assert process[0].returncode == -signal.SIGKILL, stderr.decode(errors="replace")[-2000:]


def _finished(database_url: str):
    return (scalar(database_url, "SELECT status FROM networks") == "active"
            and scalar(database_url, "SELECT state FROM jobs WHERE name = 'resume_network'") == "done")


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgresql-redis", marks=pytest.mark.postgres)])
def test_a_foreground_launch_killed_mid_run_is_finished_by_a_worker(store, request, sandbox, tmp_path, workers,
                                                                   uninterrupted):
    if store == "sqlite":
        database_url, settings = f"sqlite:///{tmp_path / 'test.sqlite'}", {"LN_JOBS_SQLITE": str(tmp_path / "jobs")}
    else:
        database_url = request.getfixturevalue("pg")
        settings = {"REDIS_URL": request.getfixturevalue("redis_url"), "LN_JOBS_NAME": queue_name()}
    with running_app(database_url, tmp_path, JOBS_IMMEDIATE=False) as app:
        world = build_world(app, sandbox, tmp_path)
        slug = world.create()
        env = {**os.environ, "DATABASE_URL": database_url, "LN_ENCRYPTION_KEYS": TEST_KEY, "LN_SECRET_KEY": "x",
               **FAST, **settings, "LN_NETWORK_LOCK_TTL": "2"}
        _foreground_launch_killed(world, slug, env, tmp_path)
        # Cut short: the network is "launching", a run and its steps "running", and no job knows of it.
        assert scalar(database_url, "SELECT status FROM networks") == "launching"
        assert scalar(database_url, "SELECT count(*) FROM launch_steps WHERE status = 'running'") > 0
        assert scalar(database_url, "SELECT count(*) FROM jobs") == 0
        assert snapshot(sandbox) != uninterrupted

        worker = workers(database_url, **settings)
        worker.start()
        wait_for(lambda: _finished(database_url), 120, "the launch finished by the worker", worker.logs)
        worker.stop()
    found = snapshot(sandbox)
    assert found == uninterrupted, differences(found, uninterrupted)
    assert scalar(database_url, "SELECT count(*) FROM launch_steps WHERE status <> 'done'") == 0
    assert scalar(database_url, "SELECT count(*) FROM engine_runs WHERE status = 'running'") == 0
