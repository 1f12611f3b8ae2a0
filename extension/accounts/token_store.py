"""The database-backed token store: one connection's tokens, with refreshes serialised across processes.

Nextcloud's refresh tokens are single-use and 28–32 rotate them without a transaction
(quirk `single_use_refresh_token`), so two workers must never spend the same refresh token. The lock is the
database itself: `SELECT … FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` (the database-wide write lock) on
SQLite. Inside the lock the store reads and writes through the locking connection, so a worker that waited
sees the pair the winner saved and does not refresh again.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from flask import Flask
from sqlalchemy import select, update

from connectors.oauth import Token
from extension.accounts.models import CONNECTED, RECONNECT_NEEDED, Account
from extension.extensions import db
from extension.organisations.models import utcnow

_accounts = Account.__table__


class DbTokenStore:
    def __init__(self, app: Flask, account_id: int):
        self._app = app
        self.account_id = account_id
        self._local = threading.local()

    @contextmanager
    def _connection(self):
        """The connection holding the refresh lock, if this thread holds it; else a short transaction."""
        locked = getattr(self._local, "conn", None)
        if locked is not None:
            yield locked
            return
        with self._app.app_context(), db.engine.begin() as conn:
            yield conn

    @contextmanager
    def refresh_lock(self) -> Iterator[None]:
        with self._app.app_context(), db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(select(_accounts.c.id).where(_accounts.c.id == self.account_id).with_for_update())
            self._local.conn = conn
            try:
                yield
            finally:
                # Whatever was written under the lock stands, also when the caller then fails: a saved pair
                # is the only valid one left, and "reconnect needed" must outlive the exception it causes.
                self._local.conn = None
                conn.commit()

    def load(self) -> Token | None:
        with self._connection() as conn:
            row = conn.execute(
                select(_accounts.c.access_token, _accounts.c.refresh_token, _accounts.c.expires_at,
                       _accounts.c.user_id, _accounts.c.status)
                .where(_accounts.c.id == self.account_id)
            ).one_or_none()
        if row is None or row.status != CONNECTED or not row.access_token:
            return None
        return Token(access_token=row.access_token, refresh_token=row.refresh_token,
                     expires_at=row.expires_at or 0.0, user_id=row.user_id)

    def save(self, token: Token) -> None:
        with self._connection() as conn:
            conn.execute(
                update(_accounts).where(_accounts.c.id == self.account_id).values(
                    access_token=token.access_token, refresh_token=token.refresh_token,
                    expires_at=token.expires_at, status=CONNECTED, status_reason=None, updated_at=utcnow(),
                )
            )

    def mark_reconnect_needed(self, reason: str) -> None:
        with self._connection() as conn:
            conn.execute(
                update(_accounts).where(_accounts.c.id == self.account_id).values(
                    access_token=None, refresh_token=None, status=RECONNECT_NEEDED,
                    status_reason=reason[:500], updated_at=utcnow(),
                )
            )
