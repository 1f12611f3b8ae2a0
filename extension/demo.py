"""`lerend-netwerk demo`: the app on its embedded defaults next to a sandbox with two organisations.

Everything runs in one process: the sandbox's Nextcloud stand-ins and the web app in threads, the job
worker in the foreground (Huey's consumer wants the main thread), a fresh SQLite database and job store in
the instance folder. A demo network is created and its launch queued, so the worker launches it into both
sandbox organisations and then keeps syncing. Stop it with Ctrl-C.
"""
from __future__ import annotations

import tempfile
import threading
from datetime import date, timedelta
from pathlib import Path

import click
import flask_migrate
from flask import current_app
from werkzeug.serving import make_server

from connectors.oauth import Token
from extension import create_app
from extension.accounts import service as accounts
from extension.extensions import db
from extension.jobs import job_queue
from extension.network_templates import get_template, load_network_file
from extension.networks.service import create_network
from extension.organisations import service as organisations
from extension.organisations.service import redirect_uri


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the demo keeps its database and job store (default: the instance folder).")
def demo_command(host: str, port: int, data_dir: Path | None) -> None:
    """Run the app with a local Nextcloud sandbox of two organisations and demo users."""
    from sandbox import Sandbox
    from sandbox.demo import DEMO_ORGS, add_demo_orgs

    instance = data_dir or Path(current_app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    database, jobs = instance / "demo.sqlite", instance / "demo-jobs.sqlite"
    database.unlink(missing_ok=True)
    jobs.unlink(missing_ok=True)
    app_url = f"http://{host}:{port}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "APP_URL": app_url,
                      "JOBS_SQLITE": str(jobs), "JOBS_IMMEDIATE": False, "SYNC_INTERVAL_MINUTES": 1})

    with tempfile.TemporaryDirectory(prefix="ln-sandbox-") as root:
        sandbox = Sandbox(root=Path(root))
        add_demo_orgs(sandbox)
        demo_orgs = DEMO_ORGS
        sandbox.start()
        try:
            with app.app_context():
                flask_migrate.upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
                _register(app, sandbox, demo_orgs, redirect_uri(app_url))
                network = _create_demo_network(app, instance)
                job_queue().enqueue("launch_network", network)
            server = make_server(host, port, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            _print_banner(app_url, sandbox, demo_orgs, network)
            try:
                app.extensions["ln_jobs"].run_worker(workers=2)
            finally:
                server.shutdown()
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


DEMO_NETWORK = """\
name: Doorgaande lijn Taal
topic: Mondelinge taal van peuter tot kleuter
question: Hoe sluit de taalaanpak op de opvang aan op die in groep 1 en 2?
ambition: Elk kind start in groep 1 met een taalaanpak die het al kent.
template: doorgaande-lijn
host: kinderopvang-de-zonnebloem
start: {start}
place: Kinderopvang De Zonnebloem
kartrekker: anna@zonnebloem.example
members:
  - {{name: Anna de Vries, email: anna@zonnebloem.example, organisation: kinderopvang-de-zonnebloem, user: anna, role: kartrekker, expertise: pedagogisch coach}}
  - {{name: Bram Jansen, email: bram@zonnebloem.example, organisation: kinderopvang-de-zonnebloem, user: bram, role: deelnemer, expertise: pedagogisch medewerker}}
  - {{name: Chantal Bakker, email: chantal@zonnebloem.example, organisation: kinderopvang-de-zonnebloem, user: chantal, role: deelnemer, expertise: pedagogisch medewerker peuters}}
  - {{name: Daan Visser, email: daan@zonnebloem.example, organisation: kinderopvang-de-zonnebloem, user: daan, role: manager, expertise: leidinggevende}}
  - {{name: Eva Smit, email: eva@regenboog.example, organisation: basisschool-de-regenboog, user: eva, role: deelnemer, expertise: leerkracht groep 1-2}}
  - {{name: Femke de Jong, email: femke@regenboog.example, organisation: basisschool-de-regenboog, user: femke, role: deelnemer, expertise: intern begeleider}}
  - {{name: Hanna Bos, email: hanna@regenboog.example, organisation: basisschool-de-regenboog, user: hanna, role: manager, expertise: directeur}}
commitments:
  - {{organisation: kinderopvang-de-zonnebloem, manager: daan@zonnebloem.example, hours_per_month: 4, podium: teamoverleg}}
  - {{organisation: basisschool-de-regenboog, manager: hanna@regenboog.example, hours_per_month: 3, podium: bouwvergadering}}
"""


def _create_demo_network(app, instance: Path) -> str:
    """A Doorgaande Lijn network of both demo organisations, starting next week; returns its slug."""
    path = instance / "demo-netwerk.yml"
    path.write_text(DEMO_NETWORK.format(start=(date.today() + timedelta(days=7)).isoformat()), encoding="utf-8")
    spec = load_network_file(path, organisations=[o.slug for o in organisations.list_organisations()],
                             templates=["doorgaande-lijn"])
    return create_network(app, spec, get_template(spec.template)).network.slug


def _print_banner(app_url: str, sandbox, demo_orgs, network: str) -> None:
    lines = ["", f"Lerend Netwerk demo: open {app_url}", "",
             "Nextcloud sandbox (a local stand-in, not Nextcloud):"]
    for demo in demo_orgs:
        org = sandbox.org(demo.key)
        lines.append(f"  {demo.name}: {org.base_url}")
        for user in demo.users:
            lines.append(f"    login {user.uid} / password {user.password}  ({user.display_name})")
    lines += ["", f"The demo network '{network}' is being launched by the worker below; sign in as anna,",
              "bram, eva, femke, daan or hanna to see it under 'Mijn netwerken'. Stop with Ctrl-C.", ""]
    click.echo("\n".join(lines))
