"""The Flask application: `create_app` assembles it from small configure steps."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults → instance file → a running demo's settings → LN_* environment → `config` (tests)."""
    # Imported here, not at the top: the command line imports this package for commands that need no app.
    from flask import Flask

    from extension.config import load_config
    from extension.security import configure_csrf, configure_security

    app = Flask(__name__, instance_path=instance_path(), instance_relative_config=True)
    load_config(app, config)
    configure_logging(app)
    configure_extensions(app)
    configure_security(app)
    if app.config["WEB_PAGES"]:
        configure_csrf(app)
        configure_translations(app)
        configure_blueprints(app)
        configure_errors(app)
    configure_cli(app)
    return app


def instance_path() -> str | None:
    """LN_INSTANCE_PATH when set (one installation's generated keys, SQLite default and demo state), else
    Flask's default (None): `<venv>/var/extension-instance`, or `instance/` in a checkout."""
    path = os.environ.get("LN_INSTANCE_PATH")
    return os.path.abspath(path) if path else None


class DeferredExtensions(dict):
    """`app.extensions`, where some are built on first lookup: a command that never uses the job queue or
    the migrations never imports Huey, the launch engine or Alembic."""

    def __init__(self, existing: dict, builders: dict[str, Callable[[], None]]):
        super().__init__(existing)
        self._builders = builders

    def __missing__(self, key: str):
        build = self._builders.pop(key, None)
        if build is None:
            raise KeyError(key)
        build()
        return self[key]


def configure_logging(app: Flask) -> None:
    from extension.logs import setup_logging

    setup_logging(json_format=app.config["LOG_JSON"], level=app.config["LOG_LEVEL"])
    app.logger.handlers.clear()
    app.logger.propagate = True


def configure_extensions(app: Flask) -> None:
    from extension import crypto, models  # noqa: F401  (models: the metadata must know every table)
    from extension.extensions import db

    db.init_app(app)
    crypto.init_app(app)
    app.extensions = DeferredExtensions(app.extensions, {
        "migrate": lambda: _configure_migrations(app),
        "ln_jobs": lambda: _configure_jobs(app),
    })
    _check_sync_interval(app)


def _configure_migrations(app: Flask) -> None:
    from flask_migrate import Migrate

    from extension.extensions import db

    Migrate(app, db, directory=str(app.config["MIGRATIONS_DIR"]))


def _configure_jobs(app: Flask) -> None:
    from extension import jobs
    from extension.admin import checks
    from extension.admin import jobs as admin_jobs
    from extension.dashboard import actions as dashboard_actions
    from extension.participants import jobs as participant_jobs
    from extension.sync import jobs as sync_jobs

    jobs.init_app(app)
    sync_jobs.init_app(app)
    checks.init_app(app)
    dashboard_actions.init_app(app)
    participant_jobs.init_app(app)
    admin_jobs.init_app(app)


def _check_sync_interval(app: Flask) -> None:
    """Checked at start-up, although the jobs are registered on first use: a wrong value must stop the app."""
    from extension.config import ConfigError
    from extension.i18n import Text

    minutes = app.config["SYNC_INTERVAL_MINUTES"]
    if not 1 <= minutes <= 60:
        raise ConfigError(Text("setting %(name)s: %(value)s must be between 1 and 60 (see appinfo.yml)",
                               name="SYNC_INTERVAL_MINUTES", value=minutes))


def configure_translations(app: Flask) -> None:
    from extension import i18n

    i18n.init_app(app)


def configure_blueprints(app: Flask) -> None:
    from extension import routing
    from extension.admin.views import bp as admin_bp
    from extension.auth.views import bp as auth_bp
    from extension.dashboard.views import bp as dashboard_bp
    from extension.health.views import bp as health_bp
    from extension.home.views import bp as home_bp
    from extension.links.views import bp as links_bp
    from extension.organisations.views import bp as organisations_bp
    from extension.participants.views import bp as participants_bp
    from extension.wizard.views import bp as wizard_bp

    routing.init_app(app)
    for bp in (health_bp, auth_bp, home_bp, links_bp, participants_bp, organisations_bp, admin_bp, wizard_bp,
               dashboard_bp):
        app.register_blueprint(bp)


def configure_errors(app: Flask) -> None:
    from extension.errors import init_app

    init_app(app)


def configure_cli(app: Flask) -> None:
    """`app.cli` is the command line's own root group (the table in extension/cli.py, loaded lazily)."""
    from extension import cli

    app.cli = cli.build()


