"""`lerend-netwerk org …`: adding organisations and showing the redirect URI to register."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from extension.organisations import service
from extension.organisations.models import ORGANISATION_KINDS

org_group = click.Group("org", help="Manage the organisations taking part.")


@org_group.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(ORGANISATION_KINDS), default="anders", show_default=True)
@click.option("--nextcloud", "nextcloud_url", help="Base URL of the organisation's Nextcloud.")
@click.option("--client-id", help="OAuth2 client identifier from Nextcloud (Administration → Security).")
@click.option("--client-secret-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File holding the client secret (else it is asked for; never taken from the command line).")
@click.option("--connection-user", default="lerend-netwerk", show_default=True,
              help="Nextcloud account that authorises the organisation connection.")
@with_appcontext
def add(name, kind, nextcloud_url, client_id, client_secret_file, connection_user):
    """Add an organisation (with or without Nextcloud)."""
    secret = None
    if nextcloud_url:
        secret = (client_secret_file.read_text().strip() if client_secret_file
                  else click.prompt("Client secret", hide_input=True))
    try:
        organisation = service.add_organisation(service.OrganisationInput(
            name=name, kind=kind, nextcloud_url=nextcloud_url, client_id=client_id,
            client_secret=secret, connection_user=connection_user))
    except service.InvalidOrganisation as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{exc.field}'") from None
    click.echo(f"Added {organisation.name} ({organisation.slug}).")
    if organisation.has_nextcloud:
        click.echo(f"Next: sign in as {organisation.connection_user} at "
                   f"{current_app.config['APP_URL'].rstrip('/')}/organisations and choose 'Connect'.")


@org_group.command("list")
@with_appcontext
def list_():
    """List organisations and the state of their connection."""
    for organisation in service.list_organisations():
        connection = organisation.connection_account
        state = ("no Nextcloud" if not organisation.has_nextcloud else
                 "not connected" if connection is None else
                 "reconnect needed" if connection.needs_reconnect else f"connected as {connection.user_id}")
        click.echo(f"{organisation.slug}\t{organisation.name}\t{organisation.nextcloud_url or '-'}\t{state}")


@org_group.command("redirect-uri")
@with_appcontext
def redirect_uri():
    """Print the redirect URI to register as OAuth2 client in each Nextcloud."""
    click.echo(service.redirect_uri(current_app.config["APP_URL"]))
