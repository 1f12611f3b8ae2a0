"""`lerend-netwerk templates check|list`: validating template folders and listing the available templates."""
from __future__ import annotations

from pathlib import Path

import click

from extension.cli import Refused, command
from extension.i18n import _


def _summary(template) -> str:
    return _("%(id)s (version %(version)s): %(phases)s phases, %(meetings)s meetings, %(tasks)s tasks, "
             "%(documents)s documents", id=template.id, version=template.version, phases=len(template.phases),
             meetings=len(template.meetings.items), tasks=len(template.tasks),
             documents=len(template.seeded_documents()))


def _origin(folder: Path) -> str:
    from extension.network_templates.loader import SHIPPED_TEMPLATES_DIR

    return _("shipped") if folder.parent == SHIPPED_TEMPLATES_DIR else str(folder.parent)


@command("check", app=False, database=False)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def check_command(path: Path):
    """Check a template folder (or its template.yml, or a folder of template folders)."""
    from extension.network_templates.errors import TemplateError
    from extension.network_templates.loader import TEMPLATE_FILE, load_template

    if path.is_dir() and not (path / TEMPLATE_FILE).is_file():
        folders = [child for child in sorted(path.iterdir()) if (child / TEMPLATE_FILE).is_file()]
        if not folders:
            raise Refused(_("%(path)s: no %(file)s found, not in its subfolders either", path=path,
                            file=TEMPLATE_FILE))
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
        click.echo(_("In order: %(summary)s", summary=_summary(template)))
    if failed:
        raise Refused(_("%(failed)s of %(total)s templates have errors", failed=failed, total=len(folders)))


@command("list", database=False, pages=False)
def list_command():
    """List the shipped templates and those in TEMPLATES_DIR; a broken one is listed as such, with its reason."""
    from flask import current_app

    from extension.network_templates.loader import scan_templates, templates_dir

    catalogue = scan_templates(templates_dir(current_app))
    for template in sorted(catalogue.templates.values(), key=lambda t: t.id):
        click.echo(f"{template.id}\t{template.version}\t{template.name}\t{_origin(template._root)}")
    for folder, error in catalogue.broken.items():
        reason = _("broken: %(reason)s", reason=error.problems[0].message)
        if len(error.problems) > 1:
            reason += _(" (and %(count)s more problem(s))", count=len(error.problems) - 1)
        click.echo(f"{folder.name}\t-\t{reason}\t{_origin(folder)}")
    for error in catalogue.errors:
        click.echo(str(error), err=True)
    if catalogue.errors:
        raise Refused(_("%(count)s template(s) could not be loaded", count=len(catalogue.errors)))
