"""`lerend-netwerk network export | import | end`: a network to and from a JSON file, and ending it."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from extension.cli import Refused, command
from extension.i18n import _


@command("export", pages=False)
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of the screen.")
def export_command(slug: str, output: Path | None) -> None:
    """Write the network with members, commitments, phases, meetings and tasks as JSON (read back with
    `network import`)."""
    from extension.networks.export import dumps, export_network

    text = dumps(export_network(slug))
    if output is None:
        click.echo(text, nl=False)
        return
    _write_whole(output, text)
    click.echo(_("Network '%(slug)s' exported to %(path)s", slug=slug, path=output), err=True)


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


@command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Read a network from an export (its organisations must exist here already)."""
    from extension.networks.importer import InvalidExport, import_network, parse

    try:
        network = import_network(parse(path.read_bytes(), str(path)), str(path))
    except InvalidExport as exc:
        raise Refused(_("Not imported; nothing was stored:") + f"\n{exc}") from None
    click.echo(_("Network '%(name)s' imported: %(slug)s (%(members)s members, %(meetings)s meetings, "
                 "%(tasks)s tasks)", name=network.name, slug=network.slug, members=len(network.memberships),
                 meetings=len(network.meetings), tasks=len(network.tasks)))


@command("end")
@click.argument("slug")
@click.option("--move-folder", is_flag=True,
              help="Also move the folder to 'Lerende netwerken/Archief' and stop sharing folder, calendar and "
                   "task lists (nothing is deleted).")
def end_command(slug: str, move_folder: bool) -> None:
    """End the network: archived in the app; running it again finishes what is still open."""
    from flask import current_app

    from extension import engine

    result = engine.run(current_app._get_current_object(), "end", slug, move_folder=move_folder)
    click.echo(_("Network '%(slug)s' is archived.", slug=slug) if result.archived
               else _("Network '%(slug)s' was archived already.", slug=slug))
    if result.moved_to:
        click.echo(_("Folder moved to '%(path)s'.", path=result.moved_to))
    if result.folder_shares_removed:
        click.echo(_("Folder no longer shared with: %(names)s", names=", ".join(result.folder_shares_removed)))
    for line in result.calendar_sharees_removed:
        click.echo(_("No longer shared: %(what)s", what=line))
    for note in result.notes:
        click.echo(f"- {note}")
    if move_folder and result.ok and not result.changed_nextcloud:
        click.echo(_("Nothing was left to do in Nextcloud."))
    for failure in result.failed:
        click.secho(_("Failed: %(what)s", what=failure), fg="red", err=True)
    if not result.ok:
        raise Refused(_("The network is not completely closed yet; fix the error and run this again (what is "
                        "done stays in place)."))
