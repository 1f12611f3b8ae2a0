"""A process started without the installation's keys, against a database holding its secrets, is refused."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from extension import create_app
from extension.config import ConfigError
from extension.extensions import db
from extension.organisations import service
from extension.organisations.service import OrganisationInput
from tests.fixtures.app import TEST_KEY, running_app

@pytest.fixture
def installation(database_url, tmp_path):
    """A database holding one organisation's encrypted OAuth client secret, made with TEST_KEY."""
    with running_app(database_url, tmp_path) as app:
        with app.app_context():
            service.add_organisation(OrganisationInput(name="De Zonnebloem", nextcloud_url="https://cloud.example",
                                                       client_id="id", client_secret="geheim"))
        yield database_url


def _other_host(monkeypatch, tmp_path, **env):
    """A process of a new host: an empty instance folder and only the settings in `env`."""
    for name in ("LN_SECRET_KEY", "LN_ENCRYPTION_KEYS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "other-host"))


@pytest.mark.parametrize("given", [{}, {"LN_SECRET_KEY": "gedeeld"}, {"LN_ENCRYPTION_KEYS": TEST_KEY}])
def test_a_process_without_the_shared_keys_is_refused_by_a_database_holding_secrets(installation, tmp_path,
                                                                                   monkeypatch, given):
    _other_host(monkeypatch, tmp_path, DATABASE_URL=installation, **given)

    with pytest.raises(ConfigError) as refused:
        create_app()

    missing = [name for name in ("SECRET_KEY", "ENCRYPTION_KEYS") if f"LN_{name}" not in given]
    for name in missing:
        assert f"LN_{name}" in str(refused.value)
    assert "al 1 versleuteld(e) geheim(en) bevat" in str(refused.value)
    assert not (tmp_path / "other-host" / "encryption.key").exists()
    assert not (tmp_path / "other-host" / "secret_key").exists()


def test_a_process_with_the_shared_keys_reads_the_stored_secrets(installation, tmp_path, monkeypatch):
    _other_host(monkeypatch, tmp_path, DATABASE_URL=installation, LN_SECRET_KEY="gedeeld",
                LN_ENCRYPTION_KEYS=TEST_KEY)
    app = create_app()
    with app.app_context():
        assert service.get_by_slug("de-zonnebloem").client_secret == "geheim"
        db.engine.dispose()


def test_a_new_installation_generates_its_keys_into_the_instance_folder(tmp_path, monkeypatch):
    _other_host(monkeypatch, tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite'}")
    app = create_app()
    assert (tmp_path / "other-host" / "encryption.key").read_text().strip() == app.config["ENCRYPTION_KEYS"][0]
    assert app.config["SECRET_KEY"] == (tmp_path / "other-host" / "secret_key").read_text().strip()


# The console script's entry point, with the instance folder of a new host (an installed app keeps it in
# its venv, which other tests share).
ENTRY = ("import os, flask; flask.Flask.auto_find_instance_path = lambda self: os.environ['TEST_INSTANCE']; "
         "from extension.cli import main; main()")


def test_the_worker_command_without_the_keys_exits_with_the_reason(installation, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("LN_SECRET_KEY", "LN_ENCRYPTION_KEYS", "LC_ALL", "LC_MESSAGES")}
    env.update(LANG="C.UTF-8", DATABASE_URL=installation, LN_JOBS_SQLITE=str(tmp_path / "jobs.sqlite"),
               TEST_INSTANCE=str(tmp_path / "other-host"))
    result = subprocess.run([sys.executable, "-c", ENTRY, "worker"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0, result.stderr[-2000:]
    assert ("LN_ENCRYPTION_KEYS en LN_SECRET_KEY niet ingesteld, terwijl de database al 1 versleuteld(e) "
            "geheim(en) bevat" in result.stderr), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "other-host" / "encryption.key").exists()
