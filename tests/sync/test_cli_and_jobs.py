"""`network sync`, `network launch --background`, the registered jobs, the periodic schedule and the readiness check."""
from __future__ import annotations

import pytest

from extension.config import ConfigError
from extension.extensions import db
from extension.networks.models import Network
from extension.sync.models import SyncCollection
from tests.fixtures.app import make_test_app
from tests.networks.conftest import SLUG, build_world


def test_network_sync_runs_a_cycle_now_and_prints_what_changed(launched_one):
    runner = launched_one.app.test_cli_runner()

    result = runner.invoke(args=["network", "sync", SLUG])

    assert result.exit_code == 0, result.output
    assert "takenlijst 'ln-doorgaande-lijn-taal-zuilen-taken' (Basisschool De Regenboog): 2 gewijzigd" in result.output
    assert "3 agenda's en takenlijsten: 3 gesynchroniseerd, 0 ontbreken, 0 mislukt, 0 overgeslagen" in result.output
    again = runner.invoke(args=["network", "sync", "--all"])
    assert again.exit_code == 0, again.output
    assert "gewijzigd" not in again.output and "3 gesynchroniseerd" in again.output


def test_network_sync_exits_with_an_error_naming_the_connection_to_reconnect(launched_one):
    launched_one.sandbox.org("b").revoke_grants("lerend-netwerk")

    result = launched_one.app.test_cli_runner().invoke(args=["network", "sync", "--all"])

    assert result.exit_code == 1
    assert "de verbinding van Basisschool De Regenboog moet opnieuw gemaakt worden" in result.output
    assert "2 gesynchroniseerd, 0 ontbreken, 1 mislukt" in result.output


@pytest.mark.parametrize("args, message", [
    (["network", "sync"], "Geef één netwerk (SLUG) of --all."),
    (["network", "sync", SLUG, "--all"], "Geef één netwerk (SLUG) of --all."),
    (["network", "sync", "onbekend"], "er is geen netwerk 'onbekend'"),
    (["network", "launch", "onbekend", "--background"], "er is geen netwerk 'onbekend'"),
])
def test_network_sync_and_background_launch_refuse_bad_input(app, args, message):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0 and message in result.output


@pytest.fixture
def queued_world(sandbox, tmp_path):
    """The organisations and the network file on an app whose jobs wait for a worker (not run at once)."""
    app = make_test_app(f"sqlite:///{tmp_path / 'test.sqlite'}", tmp_path, JOBS_IMMEDIATE=False)
    yield build_world(app, sandbox, tmp_path)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_launch_in_the_background_queues_the_launch_for_the_worker(queued_world):
    slug = queued_world.create()
    runner = queued_world.app.test_cli_runner()

    result = runner.invoke(args=["network", "launch", slug, "--background"])

    assert result.exit_code == 0, result.output
    assert f"Start van {slug} in de wachtrij gezet" in result.output
    queue = queued_world.app.extensions["ln_jobs"]
    assert queue.pending() == 1
    with queued_world.app.app_context():
        assert db.session.query(Network).one().status == "draft"
    assert queued_world.sandbox.org("a").request_log == []

    synced = runner.invoke(args=["network", "sync", "--all", "--background"])
    assert synced.exit_code == 0 and queue.pending() == 2


def test_launch_and_sync_jobs_run_through_the_queue(sqlite_world_immediate):
    world = sqlite_world_immediate
    slug = world.create()
    runner = world.app.test_cli_runner()

    launched = runner.invoke(args=["network", "launch", slug, "--background"])
    synced = runner.invoke(args=["network", "sync", slug, "--background"])

    assert launched.exit_code == 0 and synced.exit_code == 0, launched.output + synced.output
    with world.app.app_context():
        assert db.session.query(Network).one().status == "active"
        rows = db.session.query(SyncCollection).all()
        assert len(rows) == 3 and all(r.sync_token for r in rows)
    plan = runner.invoke(args=["network", "launch", slug, "--dry-run"])
    assert plan.exit_code == 0 and "Totaal:" in plan.output


@pytest.fixture
def sqlite_world_immediate(sqlite_app, sandbox, tmp_path):
    return build_world(sqlite_app, sandbox, tmp_path)


def test_the_jobs_are_registered_with_a_periodic_sync_every_interval(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'test.sqlite'}", tmp_path, SYNC_INTERVAL_MINUTES=20)
    queue = app.extensions["ln_jobs"]
    assert {"launch_network", "sync_all", "sync_network"} <= set(queue.names)
    assert queue.periodic["sync_all"].seconds == 20 * 60 and queue.periodic["sync_all"].job == "sync_all"


@pytest.mark.parametrize("minutes", [0, 61])
def test_a_sync_interval_out_of_range_is_refused_naming_the_setting(tmp_path, minutes):
    with pytest.raises(ConfigError, match="SYNC_INTERVAL_MINUTES"):
        make_test_app(f"sqlite:///{tmp_path / 'test.sqlite'}", tmp_path, SYNC_INTERVAL_MINUTES=minutes)


def test_readiness_reports_the_sync_and_warns_without_failing_when_a_collection_is_missing(launched_one):
    launched_one.app.config["READYZ_TOKEN"] = "monitoring"
    client = launched_one.app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer monitoring"
    launched_one.sync()
    ready = client.get("/readyz?organisations=false").get_json()
    assert ready["checks"]["sync"]["ok"] and ready["checks"]["sync"]["collections"] == 3

    with launched_one.app.app_context():
        uri = launched_one.task("eva@regenboog.example").network.tasklist_uri
    owner = launched_one.owner_calendars("b")
    owner._send("DELETE", owner.calendar_url(uri))
    launched_one.sync()

    response = client.get("/readyz?organisations=false")
    assert response.status_code == 200
    check = response.get_json()["checks"]["sync"]
    assert check["ok"] is False and check["critical"] is False and "network status" in check["hint"]
