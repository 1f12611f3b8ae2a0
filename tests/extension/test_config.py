"""Configuration layers: defaults → instance file → LN_* environment → the caller's dict."""
from extension import create_app
from extension.config import normalise_database_url
from tests.fixtures.app import TEST_KEY


def test_layers_apply_in_order(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "lerend-netwerk.cfg").write_text('APP_URL = "https://from-file"\nLOG_LEVEL = "DEBUG"\nHTTP_RETRIES = 7\n')
    monkeypatch.setenv("LN_APP_URL", "https://from-env")
    monkeypatch.setenv("LN_HTTP_RETRIES", "5")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    app = create_app({"HTTP_RETRIES": 2, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    assert app.config["LOG_LEVEL"] == "DEBUG"          # instance file over defaults
    assert app.config["APP_URL"] == "https://from-env"  # environment over instance file
    assert app.config["HTTP_RETRIES"] == 2              # caller's dict over environment


def test_embedded_default_is_sqlite_in_the_instance_folder_with_generated_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "inst"))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'lerend-netwerk.sqlite'}"
    assert (tmp_path / "inst" / "encryption.key").stat().st_mode & 0o077 == 0
    again = create_app()
    assert again.config["ENCRYPTION_KEYS"] == app.config["ENCRYPTION_KEYS"]
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_database_url_from_the_environment_gets_the_psycopg_driver(tmp_path, monkeypatch):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/ln")
    # With the keys set, nothing needs the (unreachable) database at start-up.
    monkeypatch.setenv("LN_SECRET_KEY", "s")
    monkeypatch.setenv("LN_ENCRYPTION_KEYS", TEST_KEY)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/ln"


def test_sqlite_urls_are_left_alone():
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
