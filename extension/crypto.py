"""Encryption at rest for OAuth client secrets and tokens (Fernet, several keys, newest first)."""
from __future__ import annotations

from cryptography.fernet import InvalidToken, MultiFernet, Fernet
from flask import Flask, current_app
from sqlalchemy import Text
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
    app.extensions["ln_vault"] = Vault(app.config["ENCRYPTION_KEYS"])


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
