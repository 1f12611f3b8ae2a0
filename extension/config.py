"""Layered configuration: appinfo.yml's defaults, then the instance file, then LN_* variables, then the caller's dict."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from extension import appinfo
from extension.i18n import Text

PACKAGE_DIR = Path(__file__).resolve().parent

# Plumbing that is not an admin's setting (every admin setting, with its meaning, is in appinfo.yml).
# The session cookie's Secure/SameSite/Partitioned flags follow from APP_URL and EMBED_IN_NEXTCLOUD
# (extension/security.py).
INTERNAL_DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "MIGRATIONS_DIR": PACKAGE_DIR / "migrations",
    "SESSION_COOKIE_HTTPONLY": True,
    # False for the command line's quick read-only commands: no blueprints, so no view imports.
    "WEB_PAGES": True,
    # The jobs' timing (extension.jobs): a worker's lease on a running job and on the sync cycle, how often
    # the reaper looks for what dead workers left, and after how long a queued job's message counts as
    # lost. Tests shorten them; SYNC_INTERVAL_SECONDS, when set, replaces SYNC_INTERVAL_MINUTES.
    "JOBS_LEASE_SECONDS": 60,
    "JOBS_REAP_SECONDS": 30,
    "JOBS_REQUEUE_SECONDS": 300,
    "SYNC_INTERVAL_SECONDS": None,
}

INSTANCE_FILE = "lerend-netwerk.cfg"


class ConfigError(ValueError):
    """A setting has a value of the wrong type; the message names the setting."""


def defaults() -> dict[str, Any]:
    return {**appinfo.load().setting_defaults(), **INTERNAL_DEFAULTS}


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.from_mapping(defaults())
    app.config.from_pyfile(INSTANCE_FILE, silent=True)
    _apply_running_demo(app)
    app.config.from_prefixed_env("LN")
    _apply_named_env(app)
    if overrides:
        app.config.update(overrides)
    _fill_instance_defaults(app)
    _check_types(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Writers wait for each other (the refresh lock is SQLite's write lock) instead of failing at once.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _apply_running_demo(app: Flask) -> None:
    """While `lerend-netwerk demo` runs in this instance folder, its database, job store and URL are the
    defaults here too, so the command line next to it needs no variable (environment variables still win)."""
    from extension.demo_state import demo_settings

    app.config.update(demo_settings(Path(app.instance_path)))


def _apply_named_env(app: Flask) -> None:
    """Settings with an `env` name in appinfo.yml (DATABASE_URL) read it, parsed like LN_* values."""
    for setting in appinfo.load().settings.values():
        value = os.environ.get(setting.env) if setting.env else None
        if value:
            try:
                app.config[setting.name] = json.loads(value)
            except ValueError:
                app.config[setting.name] = value


def _check_types(app: Flask) -> None:
    for setting in appinfo.load().settings.values():
        value = app.config.get(setting.name)
        if not setting.accepts(value):
            where = ", ".join([INSTANCE_FILE, f"LN_{setting.name}"] + ([setting.env] if setting.env else []))
            raise ConfigError(Text("setting %(name)s: %(value)s is not of type %(types)s (set in %(where)s; see "
                                   "appinfo.yml)", name=setting.name, value=repr(value),
                                   types=" | ".join(setting.types), where=where))


def normalise_database_url(url: str) -> str:
    """Let admins write the usual `postgres://` / `postgresql://` and still get the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _fill_instance_defaults(app: Flask) -> None:
    """Defaults that live in the instance folder: the SQLite file, the session secret, the encryption key.

    A key file that exists is read. One that does not is only made by extension.crypto.init_app, once the
    database turns out to hold no secrets yet: a process that would make a key of its own next to other
    processes' secrets is refused instead (`pending_instance_keys`)."""
    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'lerend-netwerk.sqlite'}"
    pending = {}
    if not app.config.get("SECRET_KEY"):
        if (instance / "secret_key").exists():
            app.config["SECRET_KEY"] = (instance / "secret_key").read_text().strip()
        else:
            pending["SECRET_KEY"] = instance / "secret_key"
    if not app.config["ENCRYPTION_KEYS"]:
        if (instance / "encryption.key").exists():
            app.config["ENCRYPTION_KEYS"] = [(instance / "encryption.key").read_text().strip()]
        else:
            pending["ENCRYPTION_KEYS"] = instance / "encryption.key"
    elif isinstance(app.config["ENCRYPTION_KEYS"], str):
        app.config["ENCRYPTION_KEYS"] = [k.strip() for k in app.config["ENCRYPTION_KEYS"].split(",") if k.strip()]
    app.extensions[PENDING_KEYS] = pending


# app.extensions entry: {setting: instance file} of the keys that are neither set nor in the instance folder.
PENDING_KEYS = "ln_pending_instance_keys"


def generate_instance_keys(app: Flask, pending: dict[str, Path]) -> None:
    """Make the missing keys into their instance files (readable by the owner only) and use them."""
    if "SECRET_KEY" in pending:
        app.config["SECRET_KEY"] = _instance_secret(pending["SECRET_KEY"], lambda: secrets.token_urlsafe(48))
    if "ENCRYPTION_KEYS" in pending:
        from cryptography.fernet import Fernet

        app.config["ENCRYPTION_KEYS"] = [_instance_secret(pending["ENCRYPTION_KEYS"],
                                                          lambda: Fernet.generate_key().decode())]


def _instance_secret(path: Path, make) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
