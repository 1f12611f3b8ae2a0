"""`lerend-netwerk network sync SLUG|--all`: read back now what changed in Nextcloud."""
from __future__ import annotations

import click

from extension.cli import Refused, command
from extension.i18n import _

KIND_WORDS = {"calendar": "calendar", "tasklist": "task list"}
OUTCOME_WORDS = {"missing": "missing", "failed": "failed", "skipped": "skipped"}


@command("sync")
@click.argument("slug", required=False)
@click.option("--all", "all_networks", is_flag=True, help="All launched networks.")
@click.option("--background", is_flag=True, help="Queue it for `lerend-netwerk worker`.")
def sync_command(slug: str | None, all_networks: bool, background: bool) -> None:
    """Read back now what changed in Nextcloud: ticked tasks, progress, answers to invitations."""
    from flask import current_app

    from extension.jobs import job_queue
    from extension.locks import hold
    from extension.networks.service import get_network
    from extension.sync import service
    from extension.sync.jobs import SYNC_LOCK, lock_seconds

    if bool(slug) == all_networks:
        raise click.UsageError(_("Give one network (SLUG) or --all."))
    app = current_app._get_current_object()
    if slug:
        get_network(slug)
    if background:
        job_queue().enqueue(*(("sync_network", slug) if slug else ("sync_all",)))
        click.echo(_("Sync queued; `lerend-netwerk worker` runs it."))
        return
    # A lease that dies with this process (extension.locks): a killed sync blocks no later one for long.
    with hold(SYNC_LOCK, ttl=lock_seconds(app), wait=0):
        report = service.sync_network(app, slug) if slug else service.sync_all(app)
    _print_report(report, service)
    if any(r.outcome in (service.FAILED, service.MISSING) for r in report.results) or report.failed_objects:
        raise Refused(_("Not everything could be synced; see above. The rest is up to date."))


def _print_report(report, service) -> None:
    for result in report.results:
        where = _("%(kind)s '%(uri)s' (%(organisation)s)", kind=_(KIND_WORDS.get(result.kind, result.kind)),
                  uri=result.uri, organisation=result.organisation)
        if result.outcome == service.SYNCED:
            if result.objects or result.deleted or result.full_resync:
                line = _("%(where)s: %(changed)s changed, %(deleted)s deleted", where=where, changed=result.objects,
                         deleted=result.deleted)
                if result.full_resync:
                    line += _(", read again completely")
                click.echo(f"  {line}")
        else:
            click.secho(f"  {where}: {_(OUTCOME_WORDS.get(result.outcome, result.outcome))}: {result.error}",
                        fg="yellow", err=True)
        for href, reason in result.failed_objects:
            click.secho("  " + _("%(where)s: '%(href)s' could not be read and was skipped (%(reason)s); the rest "
                                 "is up to date. Change or delete it in Nextcloud.", where=where, href=href,
                                 reason=reason), fg="yellow", err=True)
    for name in report.reconnect_needed:
        click.secho(_("Note: the connection of %(name)s must be made again (let the organisation account sign in "
                      "again).", name=name), fg="yellow", err=True)
    click.echo(_("%(total)s calendars and task lists: %(synced)s synced, %(missing)s missing, %(failed)s failed, "
                 "%(skipped)s skipped; %(updated)s tasks and meetings updated (%(seconds)s s).",
                 total=len(report.results), synced=report.count(service.SYNCED),
                 missing=report.count(service.MISSING), failed=report.count(service.FAILED),
                 skipped=report.count(service.SKIPPED), updated=report.updated, seconds=f"{report.seconds:.1f}"))
    if report.failed_objects:
        click.secho(_("%(count)s object(s) could not be read; see above.", count=report.failed_objects),
                    fg="yellow", err=True)
