"""Layered configuration: defaults, then the instance file, then LN_* variables, then the caller's dict."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent

DEFAULTS: dict[str, Any] = {
    # Embedded default: a SQLite file in the instance folder (set at load time).
    "SQLALCHEMY_DATABASE_URI": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "MIGRATIONS_DIR": PACKAGE_DIR / "migrations",
    # Token/secret encryption keys (Fernet, urlsafe base64), newest first. Generated into the instance
    # folder when none is configured, so that the embedded default still keeps secrets out of the database.
    "ENCRYPTION_KEYS": None,
    # Public URL of this app; the OAuth redirect URI registered in each Nextcloud is APP_URL + /oauth/callback.
    "APP_URL": "http://127.0.0.1:5000",
    "HTTP_TIMEOUT": (5.0, 30.0),
    "HTTP_RETRIES": 3,
    "HTTP_MAX_RETRY_AFTER": 30,
    "TOKEN_LEEWAY": 60,
    "LANGUAGES": ["nl", "en"],
    "BABEL_DEFAULT_LOCALE": "nl",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
    # Background jobs: Huey on SQLite in the instance folder, or on Redis when REDIS_URL is set.
    "REDIS_URL": None,
    "JOBS_SQLITE": None,
    "JOBS_IMMEDIATE": False,
    "JOBS_NAME": "lerend-netwerk",
    "LOG_JSON": False,
    "LOG_LEVEL": "INFO",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}

INSTANCE_FILE = "lerend-netwerk.cfg"


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile(INSTANCE_FILE, silent=True)
    app.config.from_prefixed_env("LN")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("REDIS_URL"):
        app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    if overrides:
        app.config.update(overrides)
    _fill_instance_defaults(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Writers wait for each other (the refresh lock is SQLite's write lock) instead of failing at once.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def normalise_database_url(url: str) -> str:
    """Let admins write the usual `postgres://` / `postgresql://` and still get the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _fill_instance_defaults(app: Flask) -> None:
    """Defaults that live in the instance folder: the SQLite file, the session secret, the encryption key."""
    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'lerend-netwerk.sqlite'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key", lambda: secrets.token_urlsafe(48))
    if not app.config["ENCRYPTION_KEYS"]:
        from cryptography.fernet import Fernet

        key = _instance_secret(instance / "encryption.key", lambda: Fernet.generate_key().decode())
        app.config["ENCRYPTION_KEYS"] = [key]
    elif isinstance(app.config["ENCRYPTION_KEYS"], str):
        app.config["ENCRYPTION_KEYS"] = [k.strip() for k in app.config["ENCRYPTION_KEYS"].split(",") if k.strip()]


def _instance_secret(path: Path, make) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
