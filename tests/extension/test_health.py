"""Health endpoints for load balancers and admins, and the alarm of a sync that no longer completes."""
from datetime import timedelta

from extension.extensions import db
from extension.jobs.models import Schedule
from extension.organisations.models import utcnow

TOKEN = "monitoring-geheim"


def details(app, path="/readyz"):
    app.config["READYZ_TOKEN"] = TOKEN
    return app.test_client().get(path, headers={"Authorization": f"Bearer {TOKEN}"})


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_the_database(app):
    response = details(app)
    assert response.status_code == 200
    assert response.get_json()["checks"]["database"] == {"ok": True}


def test_readyz_fails_when_the_database_is_gone(tmp_path):
    from tests.fixtures.app import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    (tmp_path / "db.sqlite").unlink()
    (tmp_path / "db.sqlite").mkdir()  # a directory where the file was: SQLite cannot open it
    with app.app_context():
        db.engine.dispose()
    response = details(app)
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["ok"] is False
    assert app.test_client().get("/readyz").get_json() == {"status": "failing"}


def _last_cycle(app, ago: timedelta) -> None:
    with app.app_context():
        now = utcnow()
        db.session.add(Schedule(name="sync_all", next_due_at=now, version=0, runs=1, created_at=now - ago,
                                last_completed_at=now - ago))
        db.session.commit()


def _three_intervals_ago(app) -> timedelta:
    return 3 * timedelta(minutes=app.config["SYNC_INTERVAL_MINUTES"]) + timedelta(minutes=1)


def test_readyz_fails_when_no_sync_cycle_completed_for_three_intervals(app):
    _last_cycle(app, _three_intervals_ago(app))

    response = details(app, "/readyz?organisations=false")

    assert response.status_code == 200  # the pages still work: the app stays in its load balancer
    body = response.get_json()
    assert body["status"] == "failing"
    assert body["checks"]["sync_cycle"]["ok"] is False and "geen synchronisatieronde afgerond sinds" in \
        body["checks"]["sync_cycle"]["error"]
    assert app.test_client().get("/readyz").get_json() == {"status": "failing"}


def test_check_fails_when_no_sync_cycle_completed_for_three_intervals(app):
    _last_cycle(app, _three_intervals_ago(app))

    check = app.test_cli_runner().invoke(args=["check"])

    assert check.exit_code == 1
    line = next(line for line in check.output.splitlines() if "sync_cycle" in line)
    assert line.startswith("FAIL") and "geen synchronisatieronde afgerond sinds" in line
    assert "lerend-netwerk worker" in line


def test_check_and_readyz_fail_when_a_network_launched_three_intervals_ago_never_saw_a_sync_cycle(app, sandbox,
                                                                                                 tmp_path):
    from extension.networks.models import Network
    from tests.networks.conftest import build_world

    slug = build_world(app, sandbox, tmp_path).create()  # made in the app only: nothing goes to Nextcloud
    with app.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        network.status, network.launched_at = "active", utcnow() - _three_intervals_ago(app)
        db.session.commit()

    body = details(app, "/readyz?organisations=false").get_json()
    check = app.test_cli_runner().invoke(args=["check", "kinderopvang-de-zonnebloem"])

    assert body["status"] == "failing" and body["checks"]["sync_cycle"]["ok"] is False
    assert check.exit_code == 1
    assert next(line for line in check.output.splitlines() if "sync_cycle" in line).startswith("FAIL")


def test_a_recent_sync_cycle_keeps_readyz_ok(app):
    _last_cycle(app, timedelta(minutes=app.config["SYNC_INTERVAL_MINUTES"]))
    body = details(app, "/readyz?organisations=false").get_json()
    assert body["status"] == "ok" and body["checks"]["sync_cycle"]["ok"] is True
