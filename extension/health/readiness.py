"""Readiness checks: a registry of the app's own dependencies (database, schema, job queue) that /readyz and
`lerend-netwerk check` run, and that any module can add a dependency to with `register`.

A check is a function of the app that returns a dict of details (or None) when the dependency answers and
raises when it does not. A critical check that fails makes the app not ready (HTTP 503); a non-critical one
is only reported.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask
from sqlalchemy import text

from extension.extensions import db
from extension.i18n import translate

CheckFunction = Callable[[Flask], "dict[str, Any] | None"]


@dataclass(frozen=True)
class ReadinessCheck:
    name: str
    run: CheckFunction
    critical: bool = True
    hint: str | None = None  # an English msgid, translated when the check is run
    # Not critical, yet a failure: `check` fails and /readyz says "failing", but keeps answering 200 (the
    # pages still work from the database, so the app stays in its load balancer).
    fails: bool = False


class CheckFailed(Exception):
    """A check's own finding: an English msgid with `%(name)s` values, naming no secret; shown translated."""

    def __init__(self, message: str, **values):
        super().__init__(message % values if values else message)
        self.message, self.values = message, values

    def translated(self) -> str:
        return translate(self.message, **self.values)


class SchemaBehind(CheckFailed):
    """The database schema is not at the revision this version of the app needs."""


def register(app: Flask, name: str, run: CheckFunction, critical: bool = True, hint: str | None = None,
             fails: bool = False) -> None:
    """Add (or replace) the readiness check `name`; `hint` (an English msgid in the catalogue) tells an admin
    what to do when it fails."""
    registry(app)[name] = ReadinessCheck(name, run, critical, hint, fails)


def registry(app: Flask) -> dict[str, ReadinessCheck]:
    if "ln_readiness" not in app.extensions:
        app.extensions["ln_readiness"] = {check.name: check for check in _builtin_checks()}
    return app.extensions["ln_readiness"]


def run_checks(app: Flask) -> dict[str, dict[str, Any]]:
    """{name: {"ok": True, …details} or {"ok": False, "error": …, "critical": …}} for every check; error and
    hint in the current language (the person's in a request, the command line's elsewhere)."""
    results = {}
    # The job queue is built on first use and registers checks of its own (the sync's): build it first.
    app.extensions["ln_jobs"]
    for check in list(registry(app).values()):
        try:
            results[check.name] = {"ok": True, **(check.run(app) or {})}
        except Exception as exc:  # whatever a dependency raises means "not ready"; the message says why
            db.session.rollback()
            results[check.name] = {"ok": False, "error": _describe(exc), "critical": check.critical}
            if check.fails:
                results[check.name]["fails"] = True
            if check.hint:
                results[check.name]["hint"] = translate(check.hint)
    return results


def hint_for(app: Flask, name: str) -> str | None:
    check = registry(app).get(name)
    return check.hint if check else None


def _describe(exc: Exception) -> str:
    # Driver messages can carry connection strings with passwords; the type and our own messages cannot.
    if isinstance(exc, CheckFailed):
        return exc.translated()
    return type(exc).__name__


def check_database(app: Flask) -> None:
    db.session.execute(text("SELECT 1"))


def check_schema(app: Flask) -> dict[str, Any]:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    needed = _migration_heads(str(app.config["MIGRATIONS_DIR"]))
    if current != needed:
        if current:
            raise SchemaBehind("the schema is at %(current)s, this version needs %(needed)s",
                               current=", ".join(sorted(current)), needed=", ".join(sorted(needed)))
        raise SchemaBehind("the schema has no revision yet, this version needs %(needed)s",
                           needed=", ".join(sorted(needed)))
    return {"revision": ", ".join(sorted(current))}


@functools.cache
def _migration_heads(directory: str) -> frozenset[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def check_job_queue(app: Flask) -> dict[str, Any]:
    return {"pending": app.extensions["ln_jobs"].pending()}


def _builtin_checks() -> list[ReadinessCheck]:
    return [
        ReadinessCheck("database", check_database,
                       hint="check DATABASE_URL and that the database server runs"),
        ReadinessCheck("schema", check_schema, hint="run `lerend-netwerk db upgrade`"),
        ReadinessCheck("job_queue", check_job_queue,
                       hint="check REDIS_URL and that Redis runs (or that JOBS_SQLITE is writable)"),
    ]
