"""Every kind of plan, killed with SIGKILL at every step boundary and resumed, ends exactly like an uninterrupted run.

The plan runs in a process of its own (tests.engine.run_plan) that kills itself right after its n-th journal
commit (`LN_ENGINE_KILL_AFTER`): the journal then holds exactly what that boundary left, steps marked as
started may have sent their requests or not. The resume runs here; the sandbox must then be identical to
one where the same plan ran without interruption — no share, event, task or invitation made twice.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from extension import engine
from extension.engine import runner
from extension.extensions import db
from extension.networks.members import NewMember
from extension.organisations.models import Organisation
from sandbox import Sandbox
from sandbox.demo import add_demo_orgs
from tests.fixtures.app import TEST_KEY, make_test_app
from tests.networks.calls import launch
from tests.networks.conftest import SCHOOL, SLUG, build_world
from tests.networks.snapshot import differences, snapshot

GIJS = NewMember("Gijs de Boer", "gijs@zonnebloem.example", "kinderopvang-de-zonnebloem", "gijs", "deelnemer",
                 "pedagogisch medewerker")
FOLDER = "Lerende netwerken/Doorgaande lijn Taal Zuilen"


def _launched(world):
    slug = world.create()
    with world.app.app_context():
        assert launch(world.app, slug).ok


def _launched_and_gijs_has_an_account(world):
    world.sandbox.org("a").add_user("gijs", password="gijs", display_name="Gijs de Boer", email="gijs@zonnebloem.example")
    _launched(world)


def _school_connects_late(world):
    """Launched while the school was not connected; then it connects."""
    slug = world.create()
    with world.app.app_context():
        school = db.session.query(Organisation).filter_by(slug=SCHOOL).one()
        account_id, school.connection_account_id = school.connection_account_id, None
        db.session.commit()
        assert launch(world.app, slug).ok
        db.session.get(Organisation, school.id).connection_account_id = account_id
        db.session.commit()


def _launched_then_a_phase_folder_deleted(world):
    _launched(world)
    shutil.rmtree(world.sandbox.org("a").node_path("lerend-netwerk", f"{FOLDER}/1. Voorbereiden"))


# kind: (state before the run, the run's arguments, how the resume is asked for)
SCENARIOS = {
    "launch": (lambda world: world.create(), {}, "launch"),
    "advance": (_launched, {}, "resume"),
    "add-member": (_launched_and_gijs_has_an_account, {"member": asdict(GIJS)}, "resume"),
    "remove-member": (_launched, {"email": "eva@regenboog.example"}, "resume"),
    "catch-up": (_school_connects_late, {}, "resume"),
    "repair": (_launched_then_a_phase_folder_deleted, {}, "resume"),
    "end": (_launched, {"move_folder": True}, "resume"),
}
# Journal commits of an uninterrupted run are at most these (batches vary with thread timing); a kill point
# past a run's last commit lets it finish, which the test then checks like any other.
KILL_POINTS = {"launch": 14, "advance": 4, "add-member": 5, "remove-member": 5, "catch-up": 5, "repair": 5, "end": 4}


def _arguments(kind: str, raw: dict) -> dict:
    return {**raw, "member": NewMember(**raw["member"])} if "member" in raw else raw


_REFERENCES: dict[str, tuple[dict, int]] = {}


def reference(kind: str, folder: Path) -> tuple[dict, int]:
    """The sandbox snapshot after the kind's run without interruption, and the run's journal commits
    (computed once per test process)."""
    if kind not in _REFERENCES:
        prepare, raw, _ = SCENARIOS[kind]
        sandbox = Sandbox(root=folder / "sandbox")
        add_demo_orgs(sandbox)
        sandbox.start()
        app = make_test_app(f"sqlite:///{folder / 'test.sqlite'}", folder)
        try:
            world = build_world(app, sandbox, folder)
            prepare(world)
            with app.app_context():
                before = runner._commits[0]
                result = engine.run(app, kind, SLUG, **_arguments(kind, raw))
                assert getattr(result, "launch", result).ok
                _REFERENCES[kind] = (snapshot(sandbox), runner._commits[0] - before)
        finally:
            sandbox.stop()
            with app.app_context():
                db.engine.dispose()
    return _REFERENCES[kind]


def _run_killed(world, kind: str, raw: dict, kill_after: int, folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": world.app.config["SQLALCHEMY_DATABASE_URI"], "LN_ENCRYPTION_KEYS": TEST_KEY,
           "LN_SECRET_KEY": "x", "LN_JOBS_SQLITE": str(folder / "jobs.sqlite"),
           runner.KILL_AFTER_ENV: str(kill_after)}
    return subprocess.run([sys.executable, "-m", "tests.engine.run_plan", kind, SLUG, json.dumps(raw)], env=env,
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, timeout=120)


@pytest.mark.parametrize("kind,kill_after", [(kind, n) for kind, last in KILL_POINTS.items()
                                             for n in range(1, last + 1)])
def test_a_run_killed_at_a_step_boundary_resumes_to_the_state_of_an_uninterrupted_run(
        sqlite_world, kind, kill_after, tmp_path, tmp_path_factory):
    world = sqlite_world
    prepare, raw, resume = SCENARIOS[kind]
    expected, commits = reference(kind, tmp_path_factory.mktemp(f"reference-{kind}"))
    if kill_after >= commits:
        pytest.skip(f"the uninterrupted {kind} run made only {commits} journal commits")
    prepare(world)
    world.app.config["NETWORK_LOCK_WAIT"] = 5  # the killed run's lock lapses after its 1 s lease
    process = _run_killed(world, kind, raw, kill_after, tmp_path)
    assert process.returncode in (-signal.SIGKILL, 0), process.stderr.decode(errors="replace")[-3000:]

    with world.app.app_context():
        result = engine.run(world.app, resume, SLUG)
    assert getattr(result, "launch", result) is None or getattr(result, "launch", result).ok
    found = snapshot(world.sandbox)
    assert found == expected, differences(found, expected)
