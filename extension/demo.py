"""`lerend-netwerk demo`: the app on its embedded defaults next to a sandbox with two organisations, as one
piece with the command line of the same checkout.

Everything runs in one process: the sandbox's Nextcloud stand-ins and the web app in threads, the job
worker in the foreground (Huey's consumer wants the main thread), a fresh SQLite database and job store in
the instance folder. A demo network is created and its launch queued, so the worker launches it into both
sandbox organisations and then keeps syncing. Stop it with Ctrl-C.

While it runs the demo holds an exclusive lock on `demo.lock` in the instance folder and describes itself
in `demo.json` there. The lock is the kernel's (flock): it is released when the process ends, however it
ends, so a killed demo never blocks the next one and never misleads the command line. A second demo in the
same instance folder sees the lock and refuses before it touches any file; the command line reads
`demo.json` only while the lock is held and then uses the demo's database and job store.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import click

from extension.cli import Refused, command
from extension.demo_state import LOCK_FILE, LOG_FILE, STATE_FILE, running_demo
from extension.i18n import _


@contextmanager
def _demo_lock(instance: Path) -> Iterator[None]:
    """Hold the instance folder's demo lock, or refuse (nothing else touched) when another demo holds it."""
    handle = os.open(instance / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            other = running_demo(instance) or {}
            raise Refused(_("A demo is running in this folder already (process %(pid)s, %(url)s); nothing was "
                            "changed. Use that one, or stop it with Ctrl-C first.",
                            pid=other.get("pid", "?"), url=other.get("settings", {}).get("APP_URL", "?"))) from None
        try:
            yield
        finally:
            (instance / STATE_FILE).unlink(missing_ok=True)
    finally:
        os.close(handle)


def _check_port(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise Refused(_("Port %(port)s is in use; nothing was changed. Choose another one, e.g. "
                            "make demo PORT=%(other)s", port=port, other=port + 1)) from None


def _require_sandbox() -> None:
    """Refuse (one line saying how to install it) when the sandbox's servers are not installed: they come
    with the extra `lerend-netwerk[sandbox]`, which a production install leaves out."""
    try:
        import sandbox  # imports every server the demo starts, and so their dependencies
    except ModuleNotFoundError as exc:
        raise Refused(_("The demo needs the sandbox, which is not installed here (%(module)s is missing); "
                        "install it with: pip install 'lerend-netwerk[sandbox]'", module=exc.name)) from None


def _instance_path() -> Path:
    from flask import Flask

    from extension import instance_path

    return Path(Flask("extension", instance_path=instance_path()).instance_path)


@command("demo", app=False, database=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the web app listens on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port of the web app.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the demo keeps its database and job store (default: the instance folder).")
def demo_command(host: str, port: int, data_dir: Path | None) -> None:
    """Run the app with a local Nextcloud sandbox of two organisations and demo users."""
    _require_sandbox()
    instance = _instance_path()
    instance.mkdir(parents=True, exist_ok=True)
    with _demo_lock(instance):
        _check_port(host, port)
        _run(instance, (data_dir or instance).resolve(), host, port)


def _run(instance: Path, data: Path, host: str, port: int) -> None:
    import tempfile
    import threading

    import flask_migrate
    from werkzeug.serving import make_server

    from extension import create_app, logs
    from extension.jobs import job_queue
    from sandbox import Sandbox
    from sandbox.demo import DEMO_ORGS, add_demo_orgs

    data.mkdir(parents=True, exist_ok=True)
    database, jobs = data / "demo.sqlite", data / "demo-jobs.sqlite"
    database.unlink(missing_ok=True)
    jobs.unlink(missing_ok=True)
    app_url = f"http://{host}:{port}"
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "APP_URL": app_url, "JOBS_SQLITE": str(jobs)}
    app = create_app({**settings, "JOBS_IMMEDIATE": False, "SYNC_INTERVAL_MINUTES": 1})
    log_file = instance / LOG_FILE
    logs.log_to_file(log_file)

    with tempfile.TemporaryDirectory(prefix="ln-sandbox-") as root:
        sandbox = Sandbox(root=Path(root))
        add_demo_orgs(sandbox)
        sandbox.start()
        try:
            with app.app_context():
                flask_migrate.upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
                _register(app, sandbox, DEMO_ORGS)
                network = _create_demo_network(app, data)
                job_queue().enqueue("launch_network", network)
            server = make_server(host, port, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            _write_state(instance, settings, sandbox)
            click.echo(banner(app_url, sandbox, DEMO_ORGS, network, log_file))
            try:
                app.extensions["ln_jobs"].run_worker(workers=2)
            finally:
                server.shutdown()
        finally:
            sandbox.stop()


def _write_state(instance: Path, settings: dict, sandbox) -> None:
    state = {"pid": os.getpid(), "settings": settings,
             "sandbox": {key: org.base_url for key, org in sandbox.orgs.items()}}
    temporary = instance / f".{STATE_FILE}.tmp"
    temporary.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(temporary, instance / STATE_FILE)


def _register(app, sandbox, demo_orgs) -> None:
    """Each sandbox organisation becomes an organisation of the app, with its organisation connection."""
    from connectors.oauth import Token
    from extension.accounts import service as accounts
    from extension.extensions import db
    from extension.organisations import service as organisations

    callback = organisations.redirect_uri(app.config["APP_URL"])
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


def _create_demo_network(app, data: Path) -> str:
    """A Doorgaande Lijn network of both demo organisations, starting next week; returns its slug."""
    import yaml

    from extension.network_templates import get_template, load_network_file
    from extension.networks.service import create_network
    from extension.organisations import service as organisations
    from sandbox.demo import demo_network

    path = data / "demo-netwerk.yml"
    content = demo_network(date.today() + timedelta(days=7))
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    spec = load_network_file(path, organisations=[o.slug for o in organisations.list_organisations()],
                             templates=[content["template"]])
    return create_network(app, spec, get_template(spec.template)).network.slug


def banner(app_url: str, sandbox, demo_orgs, network: str, log_file: Path) -> str:
    """What a newcomer needs on one screen: where to go, who to sign in as, and how the pieces fit."""
    from sandbox.demo import FUNCTIONAL_ACCOUNT

    rows = [(_("user"), _("name"), _("organisation"), _("role in the demo network"))]
    for demo in demo_orgs:
        for user in demo.users:
            if user.uid == FUNCTIONAL_ACCOUNT:
                role = _("organisation account (the app's connection)")
            else:
                role = _(user.role) if user.role else _("not a member")
            rows.append((user.uid, user.display_name, demo.name, role))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    table = ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3]
             for row in rows]
    lines = ["", _("Lerend Netwerk demo: open %(url)s", url=app_url), "",
             _("Sign in with one of these (password = user name):"), *table, "",
             _("Nextcloud sandbox (a local stand-in, not Nextcloud):")]
    for demo in demo_orgs:
        lines.append(f"  {demo.name}: {sandbox.org(demo.key).base_url}")
    lines.append("  " + _("Pages (Files, Calendar, Tasks, Mail): <address>/index.php/apps/sandbox/; "
                          "mail server: SMTP %(host)s:%(port)s", host=sandbox.smtp.host, port=sandbox.smtp.port))
    lines += ["",
              _("The worker is launching the demo network '%(slug)s' now; it shows under 'Mijn netwerken'.",
                slug=network),
              _("The command line in this folder uses this demo by itself, e.g.: lerend-netwerk network list"),
              _("Log of the worker and the requests: %(path)s", path=log_file),
              _("Stop with Ctrl-C."), ""]
    return "\n".join(lines)
