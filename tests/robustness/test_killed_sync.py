"""A sync killed mid-cycle (a CLI run or a worker) blocks no later cycle, on this host or another."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from extension.extensions import db
from tests.fixtures.app import TEST_KEY, running_app
from tests.networks.conftest import build_world
from tests.robustness.conftest import FAST, queue_name, scalar, wait_for

SCRIPT = os.path.join(os.path.dirname(sys.executable), "lerend-netwerk")


def _kill_at_first_report(sandbox, process: list, how: signal.Signals = signal.SIGKILL) -> None:
    def hook(method, path):
        if method == "REPORT" and process and process[0].poll() is None:
            os.kill(process[0].pid, how)

    for org in sandbox.orgs.values():
        org.faults.on_request = hook


def _launched(app, sandbox, tmp_path) -> str:
    world = build_world(app, sandbox, tmp_path)
    slug = world.create()
    assert world.launch(slug).ok
    return slug


def test_a_sync_killed_from_the_command_line_blocks_no_later_cycle(sandbox, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    jobs = str(tmp_path / "jobs.sqlite")
    with running_app(database_url, tmp_path, JOBS_SQLITE=jobs) as app:
        _launched(app, sandbox, tmp_path)
        env = {**os.environ, "DATABASE_URL": database_url, "LN_ENCRYPTION_KEYS": TEST_KEY, "LN_SECRET_KEY": "x",
               "LN_JOBS_SQLITE": jobs, **FAST}
        process: list[subprocess.Popen] = []
        _kill_at_first_report(sandbox, process)
        process.append(subprocess.Popen([SCRIPT, "network", "sync", "--all"], env=env, cwd=tmp_path,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        _, stderr = process[0].communicate(timeout=120)
        for org in sandbox.orgs.values():
            org.faults.on_request = None
        assert process[0].returncode == -signal.SIGKILL, stderr.decode(errors="replace")[-2000:]

        def next_sync_runs():
            result = app.test_cli_runner().invoke(args=["network", "sync", "--all"])
            assert result.exit_code == 0 or "Er is nu al iets anders mee bezig" in result.output, result.output
            return result.exit_code == 0 and "3 gesynchroniseerd" in result.output

        # Free once the killed holder's lease (2 s here) has run out, never "already running" for good.
        wait_for(next_sync_runs, 60, "a sync after the killed one")
        with app.app_context():
            db.session.remove()


@pytest.mark.postgres
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "stopped"])
def test_a_worker_ended_mid_cycle_leaves_the_sync_to_the_other_worker(pg, redis_url, sandbox, tmp_path, workers,
                                                                      how):
    with running_app(pg, tmp_path) as app:
        _launched(app, sandbox, tmp_path)
    pair = workers(pg, REDIS_URL=redis_url, LN_JOBS_NAME=queue_name(), LN_SYNC_INTERVAL_SECONDS=3)
    first = pair.start()
    _kill_at_first_report(sandbox, [first], how)
    wait_for(lambda: first.poll() is not None, 120, "the kill of the syncing worker", pair.logs)
    for org in sandbox.orgs.values():
        org.faults.on_request = None
    runs = "SELECT coalesce(max(runs), 0) FROM schedules WHERE name = 'sync_all'"
    before = scalar(pg, runs)
    if how == signal.SIGKILL:
        assert before == 0  # the cycle died with its worker

    pair.start()  # another host's worker
    wait_for(lambda: scalar(pg, runs) > before, 120, "a completed cycle on the other worker", pair.logs)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "stopped"])
def test_the_next_cycle_runs_after_the_worker_is_ended_mid_cycle_and_restarted(sandbox, tmp_path, workers, how):
    database_url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    jobs = str(tmp_path / "jobs.sqlite")
    with running_app(database_url, tmp_path, JOBS_SQLITE=jobs) as app:
        _launched(app, sandbox, tmp_path)
        with app.app_context():
            db.session.remove()
    single = workers(database_url, LN_JOBS_SQLITE=jobs, LN_SYNC_INTERVAL_SECONDS=3)
    first = single.start()
    _kill_at_first_report(sandbox, [first], how)
    wait_for(lambda: first.poll() is not None, 120, "the end of the syncing worker", single.logs)
    for org in sandbox.orgs.values():
        org.faults.on_request = None
    runs = "SELECT coalesce(max(runs), 0) FROM schedules WHERE name = 'sync_all'"
    before = scalar(database_url, runs)
    with running_app(database_url, tmp_path, JOBS_SQLITE=jobs, SYNC_INTERVAL_SECONDS=3) as app:
        # Never "all is well" while no cycle completes: `check` fails once three intervals have passed.
        wait_for(lambda: _check_fails_on_the_sync_cycle(app), 60, "`check` failing on the stalled sync")
        with app.app_context():
            db.session.remove()

    single.start()  # the service manager starts it again
    wait_for(lambda: scalar(database_url, runs) > before, 120, "a completed cycle after the restart", single.logs)


def _check_fails_on_the_sync_cycle(app) -> bool:
    result = app.test_cli_runner().invoke(args=["check"])
    return result.exit_code == 1 and any(line.startswith("FAIL") and "sync_cycle" in line
                                         for line in result.output.splitlines())
