"""`lerend-netwerk demo`: the app on its embedded defaults next to a sandbox with two organisations.

Everything runs in one process: the sandbox's Nextcloud stand-ins in threads, the app in the foreground,
a fresh SQLite file in the instance folder. Stop it with Ctrl-C.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import click
import flask_migrate
from flask import current_app
from werkzeug.serving import run_simple

from connectors.oauth import Token
from extension import create_app
from extension.accounts import service as accounts
from extension.extensions import db
from extension.organisations import service as organisations
from extension.organisations.service import redirect_uri


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo_command(host: str, port: int) -> None:
    """Run the app with a local Nextcloud sandbox of two organisations and demo users."""
    from sandbox import Sandbox
    from sandbox.demo import DEMO_ORGS, add_demo_orgs

    instance = Path(current_app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    database = instance / "demo.sqlite"
    database.unlink(missing_ok=True)
    app_url = f"http://{host}:{port}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "APP_URL": app_url})

    with tempfile.TemporaryDirectory(prefix="ln-sandbox-") as root:
        sandbox = Sandbox(root=Path(root))
        add_demo_orgs(sandbox)
        demo_orgs = DEMO_ORGS
        sandbox.start()
        try:
            with app.app_context():
                flask_migrate.upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
                _register(app, sandbox, demo_orgs, redirect_uri(app_url))
            _print_banner(app_url, sandbox, demo_orgs)
            run_simple(host, port, app, threaded=True, use_reloader=False)
        finally:
            sandbox.stop()


def _register(app, sandbox, demo_orgs, callback: str) -> None:
    """Each sandbox organisation becomes an organisation of the app, with its organisation connection."""
    for demo in demo_orgs:
        org = sandbox.org(demo.key)
        client_id, client_secret = org.register_client("Lerend Netwerk", redirect_uri=callback)
        organisation = organisations.add_organisation(organisations.OrganisationInput(
            name=demo.name, kind=demo.kind, nextcloud_url=org.base_url, client_id=client_id,
            client_secret=client_secret, connection_user=demo.connection_user))
        token = Token.from_response(org.issue_token(demo.connection_user, client_id))
        account = accounts.store_token(organisation, token)
        me = accounts.nextcloud_client(app, account).ocs.current_user()
        account.display_name, account.email = me.display_name, me.email
        organisation.connection_account_id = account.id
        db.session.commit()


def _print_banner(app_url: str, sandbox, demo_orgs) -> None:
    lines = ["", f"Lerend Netwerk demo: open {app_url}", "",
             "Nextcloud sandbox (a local stand-in, not Nextcloud):"]
    for demo in demo_orgs:
        org = sandbox.org(demo.key)
        lines.append(f"  {demo.name}: {org.base_url}")
        for user in demo.users:
            lines.append(f"    login {user.uid} / password {user.password}  ({user.display_name})")
    lines += ["", "Stop with Ctrl-C.", ""]
    click.echo("\n".join(lines))
