"""A launch killed with SIGKILL at any write request, then relaunched, ends exactly like an uninterrupted one.

The launching process is the real console script (`lerend-netwerk network launch`), run against the sandbox
living in this test process; the sandbox's request hook kills it when the n-th write request arrives. The
request is then still served, so the write lands while the process never learns of it: the hardest case
for a journal.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from extension.extensions import db
from extension.networks.models import LaunchStep
from sandbox import Sandbox
from sandbox.demo import FUNCTIONAL_ACCOUNT, add_demo_orgs
from tests.fixtures.app import TEST_KEY, make_test_app
from tests.networks.conftest import build_world
from tests.sandbox.util import dav, ical, send_cut_short
from tests.networks.snapshot import WRITE_METHODS, calendars, differences, snapshot

# The first launch makes 52 writes: 7 MKCOL, 19 document PUTs, 7 share POSTs, the calendar, its share POST,
# 6 meeting PUTs, and per organisation a task list, its share POST and its task PUTs. These kill points fall
# in the folders, the documents, the shares and calendar, and the meetings and tasks.
KILL_AT = (3, 18, 34, 45)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The snapshot of the same network launched without interruption, into a sandbox of its own."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    sandbox = Sandbox(root=folder / "sandbox")
    add_demo_orgs(sandbox)
    sandbox.start()
    app = make_test_app(f"sqlite:///{folder / 'test.sqlite'}", folder)
    try:
        world = build_world(app, sandbox, folder)
        assert world.launch(world.create()).ok
        yield snapshot(sandbox)
    finally:
        sandbox.stop()
        with app.app_context():
            db.engine.dispose()


def _launch_process(world, slug: str, tmp_path, **settings) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": world.app.config["SQLALCHEMY_DATABASE_URI"], "LN_ENCRYPTION_KEYS": TEST_KEY,
           "LN_SECRET_KEY": "x", "LN_JOBS_SQLITE": str(tmp_path / "jobs.sqlite"),
           # The killed launch's lock lapses a second after its death, so the relaunch here is not refused.
           "LN_NETWORK_LOCK_TTL": "1", **settings}
    script = os.path.join(os.path.dirname(sys.executable), "lerend-netwerk")
    return subprocess.Popen([script, "network", "launch", slug], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize("kill_at", KILL_AT)
def test_launch_killed_at_a_write_resumes_to_the_state_of_an_uninterrupted_launch(sqlite_world, uninterrupted,
                                                                                 kill_at, tmp_path):
    world = sqlite_world
    slug = world.create()
    lock, seen, process = threading.Lock(), [0], []

    def kill_at_nth_write(method, path):
        if method not in WRITE_METHODS:
            return
        with lock:
            seen[0] += 1
            if seen[0] == kill_at:
                os.kill(process[0].pid, signal.SIGKILL)

    for org in world.sandbox.orgs.values():
        org.faults.on_request = kill_at_nth_write
    process.append(_launch_process(world, slug, tmp_path))
    try:
        _, stderr = process[0].communicate(timeout=120)
    finally:
        for org in world.sandbox.orgs.values():
            org.faults.on_request = None
    assert process[0].returncode == -signal.SIGKILL, stderr.decode(errors="replace")[-2000:]
    assert snapshot(world.sandbox) != uninterrupted  # the kill left the launch half-done

    world.app.config["NETWORK_LOCK_WAIT"] = 5
    result = world.launch(slug)
    assert result.ok, result.failed
    found = snapshot(world.sandbox)
    assert found == uninterrupted, differences(found, uninterrupted)


def _task_list_made_without_its_body(world, slug: str, tmp_path) -> tuple[str, str]:
    """A launch killed right after its write-ahead commit (every step journaled as started, no request out),
    then the task list's MKCALENDAR of organisation b arriving without its body, as if the launch had died
    between the two. Returns the calendar's key in `calendars()` and its DAV path."""
    process = _launch_process(world, slug, tmp_path, LN_ENGINE_KILL_AFTER="1")
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL, stderr.decode(errors="replace")[-2000:]
    with world.app.app_context():
        uri = db.session.query(LaunchStep).filter_by(kind="tasklist").first().params["uri"]
    path = f"/remote.php/dav/calendars/{FUNCTIONAL_ACCOUNT}/{uri}/"
    send_cut_short(world.sandbox.org("b"), "MKCALENDAR", path, 400, b"", uid=FUNCTIONAL_ACCOUNT)
    key = f"{FUNCTIONAL_ACCOUNT}/{uri}"
    assert _components(world, key) == "VEVENT,VTODO"
    return key, path


def _components(world, key: str) -> str:
    return calendars(world.sandbox.org("b"))[key]["props"]["C:supported-calendar-component-set"]


def test_a_task_list_whose_mkcalendar_lost_its_body_is_made_again_when_the_launch_resumes(sqlite_world, uninterrupted,
                                                                                         tmp_path):
    """Quirk mkcalendar_without_body: the calendar was made anyway, accepting events and tasks. The resumed
    launch makes it again as a task list (it holds nothing yet): the end state is an uninterrupted launch's."""
    world = sqlite_world
    slug = world.create()
    _task_list_made_without_its_body(world, slug, tmp_path)
    world.app.config["NETWORK_LOCK_WAIT"] = 5
    result = world.launch(slug)
    assert result.ok, result.failed
    found = snapshot(world.sandbox)
    assert found == uninterrupted, differences(found, uninterrupted)


def test_a_task_list_made_without_its_body_that_holds_something_is_kept_as_it_is(sqlite_world, tmp_path):
    """Whatever someone put in it is never removed with it: the resumed launch keeps the calendar."""
    world = sqlite_world
    slug = world.create()
    key, path = _task_list_made_without_its_body(world, slug, tmp_path)
    note = ical(kind="VEVENT", uid="eigen-afspraak")
    assert dav(world.sandbox.org("b"), "PUT", path + "eigen-afspraak.ics", uid=FUNCTIONAL_ACCOUNT, body=note,
               headers={"Content-Type": "text/calendar; charset=utf-8"}).status_code == 201

    world.app.config["NETWORK_LOCK_WAIT"] = 5
    result = world.launch(slug)
    assert result.ok, result.failed
    assert _components(world, key) == "VEVENT,VTODO"
    assert "eigen-afspraak.ics" in calendars(world.sandbox.org("b"))[key]["objects"]
