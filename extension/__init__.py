"""The Flask application: `create_app` assembles it from small configure steps."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from extension.config import load_config
from extension.security import configure_security


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults → instance file → LN_* environment → `config` (tests)."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    configure_logging(app)
    configure_extensions(app)
    configure_security(app)
    configure_translations(app)
    configure_blueprints(app)
    configure_cli(app)
    return app


def configure_logging(app: Flask) -> None:
    from extension.logs import setup_logging

    setup_logging(json_format=app.config["LOG_JSON"], level=app.config["LOG_LEVEL"])
    app.logger.handlers.clear()
    app.logger.propagate = True


def configure_extensions(app: Flask) -> None:
    from extension import crypto, jobs, models  # noqa: F401  (models: the metadata must know every table)
    from extension.extensions import db, migrate
    from extension.sync import jobs as sync_jobs

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config["MIGRATIONS_DIR"]))
    crypto.init_app(app)
    jobs.init_app(app)
    sync_jobs.init_app(app)


def configure_translations(app: Flask) -> None:
    from extension import i18n

    i18n.init_app(app)


def configure_blueprints(app: Flask) -> None:
    from extension.auth.views import bp as auth_bp
    from extension.health.views import bp as health_bp
    from extension.home.views import bp as home_bp
    from extension.organisations.views import bp as organisations_bp

    for bp in (health_bp, home_bp, auth_bp, organisations_bp):
        app.register_blueprint(bp)


def configure_cli(app: Flask) -> None:
    from extension.admin.cli import add_admin_commands
    from extension.demo import demo_command
    from extension.jobs.cli import worker_command
    from extension.advice.cli import advise_command
    from extension.network_templates.cli import templates_group
    from extension.networks.cli import network_group
    from extension.networks import lifecycle_cli  # noqa: F401  (adds its commands to network_group)
    from extension.networks import archive_cli  # noqa: F401  (adds export, import and end to network_group)
    from extension.organisations.cli import org_group
    from extension.sync.cli import add_sync_commands

    app.cli.add_command(templates_group)
    app.cli.add_command(advise_command)
    app.cli.add_command(network_group)
    add_sync_commands(network_group)
    app.cli.add_command(org_group)
    add_admin_commands(app.cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)


