"""The launch plan: deterministic keys, the right instance per step, request counts that match the wire,
progress events in dependency order, parallel instances, and verified calendar shares."""
from __future__ import annotations

import threading

import pytest

from connectors.errors import ShareNotApplied
from extension.accounts.models import Account
from extension.accounts.service import nextcloud_client
from extension.extensions import db
from extension.engine import plan_launch
from extension.engine.steps import KINDS, CalendarShareParams, StepContext
from extension.organisations.models import Organisation
from tests.networks.conftest import HOST, SCHOOL, SLUG


def test_plan_keys_are_unique_and_the_same_every_time(sqlite_world):
    slug = sqlite_world.create()
    with sqlite_world.app.app_context():
        first, second = plan_launch(sqlite_world.app, slug), plan_launch(sqlite_world.app, slug)
    keys = [step.key for step in first.steps]
    assert keys == [step.key for step in second.steps]
    assert len(set(keys)) == len(keys)
    assert keys[:3] == [f"{HOST}/organiser/organisator", f"{HOST}/folder/Lerende netwerken",
                        f"{HOST}/folder/Lerende netwerken/Doorgaande lijn Taal Zuilen"]
    assert [s.params.content for s in first.steps if s.kind == "document"] == \
        [s.params.content for s in second.steps if s.kind == "document"]


def test_each_step_runs_on_its_organisations_instance_and_the_counts_match_the_wire(sqlite_world):
    slug = sqlite_world.create()
    sandbox = sqlite_world.sandbox
    with sqlite_world.app.app_context():
        plan = plan_launch(sqlite_world.app, slug)
    by_instance = plan.by_instance()
    assert set(by_instance) == {sandbox.org("a").base_url, sandbox.org("b").base_url}
    assert {s.key.split("/")[0] for s in by_instance[sandbox.org("b").base_url]} == {SCHOOL}
    for org in sandbox.orgs.values():
        org.clear_log()
    events = []
    assert sqlite_world.launch(slug, progress=lambda step, status: events.append((step.key, status))).ok
    for key in ("a", "b"):
        org = sandbox.org(key)
        assert len(org.request_log) == sum(s.requests for s in by_instance[org.base_url]), key
    assert sorted(events) == sorted([(s.key, "running") for s in plan.steps] + [(s.key, "done") for s in plan.steps])
    finished = [key for key, status in events if status == "done"]
    started = [key for key, status in events if status == "running"]
    for step in plan.steps:
        # A step starts only after every step it needs has finished.
        assert all(finished.index(need) < len(finished) and
                   events.index((need, "done")) < events.index((step.key, "running")) for need in step.after), step.key
    assert set(started) == set(finished)


def test_the_plan_is_a_graph_whose_longest_chain_is_four_requests(sqlite_world):
    slug = sqlite_world.create()
    with sqlite_world.app.app_context():
        plan = plan_launch(sqlite_world.app, slug)
    keys = {s.key for s in plan.steps}
    assert all(need in keys for s in plan.steps for need in s.after)
    assert plan.critical_path() == 4


def test_instances_are_launched_side_by_side(sqlite_world):
    """Organisation A's first request waits until B has reached its last task: only parallel runs get there."""
    slug = sqlite_world.create()
    b_at_last_task, a_saw = threading.Event(), []
    task_puts = []

    def on_b(method, path):
        if method == "PUT" and f"/ln-{SLUG}-taken/" in path:
            task_puts.append(path)
            if len(task_puts) == 2:
                b_at_last_task.set()

    first = threading.Lock()

    def on_a(method, path):
        with first:
            if not a_saw:
                a_saw.append(b_at_last_task.wait(timeout=20))

    sqlite_world.sandbox.org("a").faults.on_request = on_a
    sqlite_world.sandbox.org("b").faults.on_request = on_b
    assert sqlite_world.launch(slug).ok
    assert a_saw == [True]


def test_a_calendar_share_nextcloud_skipped_silently_fails_the_step(sqlite_world):
    sqlite_world.create()
    app = sqlite_world.app
    with app.app_context():
        organisation = db.session.query(Organisation).filter_by(slug=HOST).one()
        client = nextcloud_client(app, db.session.get(Account, organisation.connection_account_id))
        client.calendars.ensure_calendar("ln-proef", "Proef")
        params = CalendarShareParams("ln-proef", {"anna": False, "niemand": False}, "Proef")
        with pytest.raises(ShareNotApplied) as raised:
            KINDS["calendar-share"].execute(client, params, StepContext())
    assert "principal:principals/users/niemand" in str(raised.value)


def test_plan_warns_when_an_account_nears_its_calendar_quota(sqlite_world, monkeypatch):
    from extension.engine import plan

    slug = sqlite_world.create()
    monkeypatch.setattr(plan, "CALENDAR_QUOTA", 5)
    with sqlite_world.app.app_context():
        notes = plan_launch(sqlite_world.app, slug).notes
    assert [n for n in notes if "agenda's en takenlijsten" in n] == [
        "Het account van Kinderopvang De Zonnebloem heeft met dit netwerk 3 agenda's en takenlijsten; Nextcloud "
        "staat er standaard 5 per account toe (dav maximumCalendarsSubscriptions)."]
