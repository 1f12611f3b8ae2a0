"""Health endpoints for load balancers and admins."""


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["database"] == {"ok": True}


def test_readyz_fails_when_the_database_is_gone(tmp_path):
    from tests.fixtures.app import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    (tmp_path / "db.sqlite").unlink()
    (tmp_path / "db.sqlite").mkdir()  # a directory where the file was: SQLite cannot open it
    with app.app_context():
        from extension.extensions import db
        db.engine.dispose()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["ok"] is False
