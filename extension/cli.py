"""The `lerend-netwerk` console script: the Flask CLI of the app (db, org, demo, run, …)."""
from __future__ import annotations

from flask.cli import FlaskGroup

from extension import create_app


def main() -> None:
    cli = FlaskGroup(create_app=lambda: create_app(), help="Lerend Netwerk for Nextcloud.")
    cli.main(prog_name="lerend-netwerk")
