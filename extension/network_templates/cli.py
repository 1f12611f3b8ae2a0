"""`lerend-netwerk templates check|list`: validating template folders and listing the available templates."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from extension.network_templates.errors import TemplateError
from extension.network_templates.loader import (
    SHIPPED_TEMPLATES_DIR,
    TEMPLATE_FILE,
    load_template,
    scan_templates,
    templates_dir,
)
from extension.network_templates.schema import Template

templates_group = click.Group("templates", help="Check and list network templates.")


def _summary(template: Template) -> str:
    return (f"{template.id} (versie {template.version}): {len(template.phases)} fasen, "
            f"{len(template.meetings.items)} bijeenkomsten, {len(template.tasks)} taken, "
            f"{len(template.seeded_documents())} documenten")


@templates_group.command("check")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def check(path: Path):
    """Check a template folder (or its template.yml, or a folder of template folders)."""
    if path.is_dir() and not (path / TEMPLATE_FILE).is_file():
        folders = [child for child in sorted(path.iterdir()) if (child / TEMPLATE_FILE).is_file()]
        if not folders:
            raise click.ClickException(f"{path}: geen {TEMPLATE_FILE} gevonden, ook niet in de submappen")
    else:
        folders = [path]
    failed = 0
    for folder in folders:
        try:
            template = load_template(folder)
        except TemplateError as exc:
            failed += 1
            click.echo(str(exc), err=True)
            continue
        click.echo(f"In orde: {_summary(template)}")
    if failed:
        raise click.ClickException(f"{failed} van {len(folders)} sjablonen bevat fouten")


@templates_group.command("list")
@with_appcontext
def list_():
    """List the shipped templates and those in TEMPLATES_DIR."""
    try:
        catalogue = scan_templates(templates_dir(current_app))
    except TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    for template in sorted(catalogue.templates.values(), key=lambda t: t.id):
        origin = "meegeleverd" if template._root.parent == SHIPPED_TEMPLATES_DIR else str(template._root.parent)
        click.echo(f"{template.id}\t{template.version}\t{template.name}\t{origin}")
    for error in catalogue.errors:
        click.echo(str(error), err=True)
    if catalogue.errors:
        raise click.ClickException(f"{len(catalogue.errors)} sjabloon/sjablonen kon(den) niet geladen worden")
