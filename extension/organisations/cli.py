"""`lerend-netwerk org add | list | redirect-uri`: adding organisations and showing the redirect URI to register."""
from __future__ import annotations

from pathlib import Path

import click

from extension.cli import command
from extension.i18n import _
from extension.organisations.models import ORGANISATION_KINDS


@command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(ORGANISATION_KINDS), default="anders", show_default=True)
@click.option("--nextcloud", "nextcloud_url", help="Base URL of the organisation's Nextcloud.")
@click.option("--client-id", help="OAuth2 client identifier from Nextcloud (Administration → Security).")
@click.option("--client-secret-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File holding the client secret (else it is asked for; never taken from the command line).")
@click.option("--connection-user", default="lerend-netwerk", show_default=True,
              help="Nextcloud account that authorises the organisation connection.")
def add_command(name, kind, nextcloud_url, client_id, client_secret_file, connection_user):
    """Add an organisation (with or without Nextcloud)."""
    from flask import current_app

    from extension.organisations import service

    secret = None
    if nextcloud_url:
        secret = (client_secret_file.read_text().strip() if client_secret_file
                  else click.prompt(_("Client secret"), hide_input=True))
    try:
        organisation = service.add_organisation(service.OrganisationInput(
            name=name, kind=kind, nextcloud_url=nextcloud_url, client_id=client_id,
            client_secret=secret, connection_user=connection_user))
    except service.InvalidOrganisation as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{exc.field}'") from None
    click.echo(_("Added %(name)s (%(slug)s).", name=organisation.name, slug=organisation.slug))
    if organisation.has_nextcloud:
        click.echo(_("Next: sign in as %(user)s at %(url)s/organisations and choose 'Verbinden als %(user)s'.",
                     user=organisation.connection_user, url=current_app.config["APP_URL"].rstrip("/")))


@command("list", pages=False)
def list_command():
    """List organisations and the state of their connection."""
    from extension.organisations import service

    for organisation in service.list_organisations():
        connection = organisation.connection_account
        state = (_("no Nextcloud") if not organisation.has_nextcloud else
                 _("not connected") if connection is None else
                 _("reconnect needed") if connection.needs_reconnect else
                 _("connected as %(user)s", user=connection.user_id))
        click.echo(f"{organisation.slug}\t{organisation.name}\t{organisation.nextcloud_url or '-'}\t{state}")


@command("redirect-uri", database=False, pages=False)
def redirect_uri_command():
    """Print the redirect URI to register as OAuth2 client in each Nextcloud."""
    from flask import current_app

    from extension.organisations.service import redirect_uri

    click.echo(redirect_uri(current_app.config["APP_URL"]))
