"""Admin commands: `check [ORG]…`, `rotate-keys`, `generate-key` and `appinfo check`."""
from __future__ import annotations

import json
from pathlib import Path

import click

from extension.cli import Refused, command
from extension.i18n import _



@command("check")
@click.argument("organisations", nargs=-1, metavar="[ORG]...")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (as /readyz shows them).")
def check_command(organisations: tuple[str, ...], as_json: bool) -> None:
    """Check the app and each organisation's Nextcloud; exit 1 when any check fails."""
    from flask import current_app

    from extension.admin import checks
    from extension.organisations.service import list_organisations

    known = {o.slug for o in list_organisations()}
    unknown = [slug for slug in organisations if slug not in known]
    if unknown:
        raise click.BadParameter(_("unknown organisation %(slug)s (known: %(known)s)", slug=repr(unknown[0]),
                                   known=", ".join(sorted(known)) or "-"), param_hint="'ORG'")
    report = checks.run(current_app._get_current_object(), list(organisations) or None)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_report(report, checks)
    if not report.ok:
        raise SystemExit(1)


def _print_report(report, checks) -> None:
    labels = {checks.OK: "ok", checks.WARN: "WARN", checks.FAIL: "FAIL", checks.SKIP: "skip"}
    scope_width = max((len(r.scope) for r in report.results), default=0)
    name_width = max((len(r.name) for r in report.results), default=0)
    for result in report.results:
        line = (f"{labels[result.status]:<4}  {result.scope:<{scope_width}}  "
                f"{result.name:<{name_width}}  {result.message}")
        if result.hint and result.status in (checks.FAIL, checks.WARN):
            line += "  → " + _("fix: %(hint)s", hint=result.hint)
        click.echo(line)
    click.echo(_("All checks passed.") if report.ok else _("%(count)s check(s) failed.", count=report.failures))


@command("rotate-keys", pages=False)
def rotate_keys_command() -> None:
    """Re-encrypt every stored secret with the newest key of ENCRYPTION_KEYS."""
    from flask import current_app

    from extension.admin import keys
    from extension.extensions import db

    configured = current_app.config["ENCRYPTION_KEYS"]
    reports = keys.rotate(db.engine, db.metadata, configured)
    for report in reports:
        line = _("%(column)s: %(rotated)s re-encrypted with the newest key, %(current)s already current",
                 column=report.name, rotated=report.rotated, current=report.current)
        if report.unreadable:
            line += _(", %(count)s unreadable with every configured key (id %(ids)s)",
                      count=len(report.unreadable), ids=", ".join(report.unreadable))
        if report.busy:
            line += _(", %(count)s changing while rotated (id %(ids)s)", count=len(report.busy),
                      ids=", ".join(report.busy))
        click.echo(line)
    if any(r.unreadable for r in reports):
        raise Refused(_("Some values cannot be decrypted: add the key they were written with to ENCRYPTION_KEYS "
                        "(after the newest) and run rotate-keys again."))
    if any(r.busy for r in reports):
        raise Refused(_("Some values changed during the rotation: run rotate-keys again."))
    if len(configured) == 1:
        click.echo(_("ENCRYPTION_KEYS holds one key: to rotate, put a new key first (lerend-netwerk generate-key), "
                     "restart the app, then run rotate-keys."))
    else:
        click.echo(_("Every secret is now encrypted with the newest key; the older keys can be removed from "
                     "ENCRYPTION_KEYS once every process runs with the new list."))


@command("generate-key", app=False, database=False)
def generate_key_command() -> None:
    """Print a new encryption key to put first in ENCRYPTION_KEYS."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


@command("check", app=False, database=False)
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def appinfo_check_command(path: Path | None) -> None:
    """Validate appinfo.yml (the app's own, or the file at PATH) against its schema."""
    from extension import appinfo

    path = path or appinfo.appinfo_path()
    try:
        info = appinfo.read(path)
    except appinfo.AppInfoError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1)
    click.echo(_("%(path)s: valid — %(id)s %(version)s, Nextcloud %(range)s, %(apps)s Nextcloud apps, "
                 "%(settings)s settings", path=path, id=info.id, version=info.version, range=info.supported_range,
                 apps=len(info.apps), settings=len(info.settings)))
