"""Admin commands: `check [ORG]…`, `rotate-keys`, `generate-key` and `appinfo check`."""
from __future__ import annotations

import json
from pathlib import Path

import click
from cryptography.fernet import Fernet
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from extension import appinfo
from extension.admin import checks, keys
from extension.extensions import db

STATUS_LABELS = {checks.OK: "ok", checks.WARN: "WARN", checks.FAIL: "FAIL", checks.SKIP: "skip"}


def add_admin_commands(cli: AppGroup) -> None:
    for command in (check_command, rotate_keys_command, generate_key_command, appinfo_group):
        cli.add_command(command)


@click.command("check")
@click.argument("organisations", nargs=-1, metavar="[ORG]...")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (as /readyz shows them).")
@with_appcontext
def check_command(organisations: tuple[str, ...], as_json: bool) -> None:
    """Check the app and each organisation's Nextcloud; exit 1 when any check fails."""
    from extension.organisations.service import list_organisations

    known = {o.slug for o in list_organisations()}
    unknown = [slug for slug in organisations if slug not in known]
    if unknown:
        raise click.BadParameter(f"unknown organisation {unknown[0]!r} (known: {', '.join(sorted(known)) or 'none'})",
                                 param_hint="'ORG'")
    report = checks.run(current_app._get_current_object(), list(organisations) or None)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_report(report)
    if not report.ok:
        raise SystemExit(1)


def _print_report(report: checks.Report) -> None:
    scope_width = max((len(r.scope) for r in report.results), default=0)
    name_width = max((len(r.name) for r in report.results), default=0)
    for result in report.results:
        line = (f"{STATUS_LABELS[result.status]:<4}  {result.scope:<{scope_width}}  "
                f"{result.name:<{name_width}}  {result.message}")
        if result.hint and result.status in (checks.FAIL, checks.WARN):
            line += f"  → fix: {result.hint}"
        click.echo(line)
    click.echo("All checks passed." if report.ok else f"{report.failures} check(s) failed.")


@click.command("rotate-keys")
@with_appcontext
def rotate_keys_command() -> None:
    """Re-encrypt every stored secret with the newest key of ENCRYPTION_KEYS."""
    configured = current_app.config["ENCRYPTION_KEYS"]
    reports = keys.rotate(db.engine, db.metadata, configured)
    for report in reports:
        line = f"{report.name}: {report.rotated} re-encrypted with the newest key, {report.current} already current"
        if report.unreadable:
            line += f", {len(report.unreadable)} unreadable with every configured key (id {', '.join(report.unreadable)})"
        if report.busy:
            line += f", {len(report.busy)} changing while rotated (id {', '.join(report.busy)})"
        click.echo(line)
    if any(r.unreadable for r in reports):
        raise click.ClickException("some values cannot be decrypted: add the key they were written with to "
                                   "ENCRYPTION_KEYS (after the newest) and run rotate-keys again")
    if any(r.busy for r in reports):
        raise click.ClickException("some values changed during the rotation: run rotate-keys again")
    if len(configured) == 1:
        click.echo("ENCRYPTION_KEYS holds one key: to rotate, put a new key first (lerend-netwerk generate-key), "
                   "restart the app, then run rotate-keys.")
    else:
        click.echo("Every secret is now encrypted with the newest key; the older keys can be removed from "
                   "ENCRYPTION_KEYS once every process runs with the new list.")


@click.command("generate-key")
def generate_key_command() -> None:
    """Print a new encryption key to put first in ENCRYPTION_KEYS."""
    click.echo(Fernet.generate_key().decode())


appinfo_group = AppGroup("appinfo", help="The app manifest (appinfo.yml).")


@appinfo_group.command("check", with_appcontext=False)
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def appinfo_check_command(path: Path | None) -> None:
    """Validate appinfo.yml (the app's own, or the file at PATH) against its schema."""
    path = path or appinfo.appinfo_path()
    try:
        info = appinfo.read(path)
    except appinfo.AppInfoError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1)
    click.echo(f"{path}: valid — {info.id} {info.version}, Nextcloud {info.supported_range}, "
               f"{len(info.apps)} Nextcloud apps, {len(info.settings)} settings")
