"""Encryption at rest for OAuth client secrets and tokens (Fernet, several keys, newest first)."""
from __future__ import annotations

from pathlib import Path

from cryptography.fernet import InvalidToken, MultiFernet, Fernet
from flask import Flask, current_app
from sqlalchemy import Text, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator


class Vault:
    """Encrypts with the newest key and decrypts with any configured key, so keys can be rotated."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("ENCRYPTION_KEYS is empty: at least one Fernet key is needed")
        try:
            self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
        except ValueError as exc:
            raise ValueError(f"ENCRYPTION_KEYS holds an invalid key: {exc}") from None

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("a stored secret cannot be decrypted with any configured ENCRYPTION_KEYS") from None

    def rotate(self, ciphertext: str) -> str:
        return self._fernet.rotate(ciphertext.encode()).decode()


def init_app(app: Flask) -> None:
    """The vault of ENCRYPTION_KEYS; keys that are not set are generated into the instance folder only while
    the database holds no secret (call after the database is set up)."""
    from extension.config import PENDING_KEYS, generate_instance_keys

    pending = app.extensions.pop(PENDING_KEYS, {})
    if pending:
        _refuse_when_secrets_are_stored(app, sorted(pending))
        generate_instance_keys(app, pending)
    app.extensions["ln_vault"] = Vault(app.config["ENCRYPTION_KEYS"])


def _refuse_when_secrets_are_stored(app: Flask, missing: list[str]) -> None:
    """Another process made the database's secrets with keys this one lacks: a key of its own would not read
    them, and what it wrote the others could not read (and a session secret of its own signs sessions no
    other process accepts). Raises ConfigError naming the settings."""
    from extension.config import ConfigError
    from extension.i18n import Text

    names = [f"LN_{name}" for name in missing]
    settings = Text("%(first)s and %(last)s", first=", ".join(names[:-1]), last=names[-1]) if len(names) > 1 \
        else names[0]
    try:
        stored = stored_secrets(app)
    except SQLAlchemyError as exc:
        raise ConfigError(Text(
            "%(settings)s not set, and the database cannot be read to find out whether it holds secrets already "
            "(%(error)s). Set %(settings)s to the values every other process and host of this installation uses, "
            "or make the database reachable (a new installation then generates them into the instance folder).",
            settings=settings, error=exc.__class__.__name__)) from None
    if stored:
        raise ConfigError(Text(
            "%(settings)s not set, while the database already holds %(stored)s encrypted secret(s) made with the "
            "installation's keys. Set %(settings)s to the values every other process and host of this "
            "installation uses (see `Encryption keys` in the README); a new key would not read those secrets.",
            settings=settings, stored=stored))


def stored_secrets(app: Flask) -> int:
    """How many values the database holds in encrypted columns (0 before the schema exists)."""
    from extension.admin.keys import encrypted_columns
    from extension.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:") \
                and not Path(engine.url.database).exists():
            return 0  # no database yet (and looking must not create its file)
        tables = set(inspect(engine).get_table_names())
        count = 0
        with engine.connect() as conn:
            for table, column in encrypted_columns(db.metadata):
                if table.name in tables:
                    count += conn.execute(select(func.count()).select_from(table)
                                          .where(column.is_not(None))).scalar()
        return count


def vault() -> Vault:
    return current_app.extensions["ln_vault"]


class EncryptedText(TypeDecorator):
    """A text column stored encrypted; Python code only ever sees the plaintext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else vault().encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else vault().decrypt(value)
