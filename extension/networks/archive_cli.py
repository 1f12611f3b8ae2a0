"""`lerend-netwerk network export | import | end`: a network to and from a JSON file, and ending it."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from extension.networks.archive import EndError, end_network
from extension.networks.cli import network_group
from extension.networks.export import dumps, export_network
from extension.networks.importer import InvalidExport, import_network, parse
from extension.networks.service import NetworkNotFound


@network_group.command("export")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Schrijf naar dit bestand in plaats van naar het scherm.")
@with_appcontext
def export(slug: str, output: Path | None) -> None:
    """Schrijf het netwerk met deelnemers, afspraken, fasen, bijeenkomsten en taken als JSON (in te lezen met
    `network import`)."""
    try:
        text = dumps(export_network(slug))
    except NetworkNotFound as exc:
        raise click.ClickException(str(exc)) from None
    if output is None:
        click.echo(text, nl=False)
        return
    _write_whole(output, text)
    click.echo(f"Netwerk '{slug}' geëxporteerd naar {output}", err=True)


def _write_whole(path: Path, text: str) -> None:
    """Write through a temporary file beside `path`, so an interrupted export never leaves half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@network_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_(path: Path) -> None:
    """Lees een netwerk in uit een export (de organisaties moeten hier al bestaan)."""
    try:
        network = import_network(parse(path.read_bytes(), str(path)), str(path))
    except InvalidExport as exc:
        raise click.ClickException(f"Niet ingelezen; er is niets opgeslagen:\n{exc}") from None
    click.echo(f"Netwerk '{network.name}' ingelezen: {network.slug} ({len(network.memberships)} deelnemers, "
               f"{len(network.meetings)} bijeenkomsten, {len(network.tasks)} taken)")


@network_group.command("end")
@click.argument("slug")
@click.option("--move-folder", is_flag=True,
              help="Verplaats ook de map naar 'Lerende netwerken/Archief' en stop het delen van map, agenda en "
                   "takenlijsten (er wordt niets verwijderd).")
@with_appcontext
def end(slug: str, move_folder: bool) -> None:
    """Beëindig het netwerk: gearchiveerd in de app; opnieuw uitvoeren maakt af wat nog openstaat."""
    try:
        result = end_network(current_app._get_current_object(), slug, move_folder=move_folder)
    except (NetworkNotFound, EndError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Netwerk '{slug}' is gearchiveerd." if result.archived else f"Netwerk '{slug}' was al gearchiveerd.")
    if result.moved_to:
        click.echo(f"Map verplaatst naar '{result.moved_to}'.")
    if result.folder_shares_removed:
        click.echo(f"Map niet meer gedeeld met: {', '.join(result.folder_shares_removed)}")
    for line in result.calendar_sharees_removed:
        click.echo(f"Niet meer gedeeld: {line}")
    for note in result.notes:
        click.echo(f"- {note}")
    if move_folder and result.ok and not result.changed_nextcloud:
        click.echo("In Nextcloud was niets meer te doen.")
    for failure in result.failed:
        click.secho(f"Mislukt: {failure}", fg="red", err=True)
    if not result.ok:
        raise click.ClickException("Het netwerk is nog niet helemaal afgesloten; los de fout op en voer dit opnieuw "
                                   "uit (wat klaar is, blijft staan).")
