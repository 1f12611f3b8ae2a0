"""`lerend-netwerk network sync SLUG|--all`, and `--background` for `network launch` (added to the network group)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from huey.exceptions import TaskLockedException

from extension.jobs import job_queue
from extension.networks.service import NetworkNotFound, get_network
from extension.sync import service
from extension.sync.jobs import SYNC_LOCK

KIND_WORDS = {"calendar": "agenda", "tasklist": "takenlijst"}
OUTCOME_WORDS = {service.MISSING: "ontbreekt", service.FAILED: "mislukt", service.SKIPPED: "overgeslagen"}


def add_sync_commands(group: click.Group) -> None:
    """Add `sync` to the network group and give its `launch` a `--background` option."""
    group.add_command(sync_command)
    launch = group.commands.get("launch")
    if launch is not None and not any(p.name == "background" for p in launch.params):
        group.add_command(_with_background(launch))


@click.command("sync")
@click.argument("slug", required=False)
@click.option("--all", "all_networks", is_flag=True, help="Alle gestarte netwerken.")
@click.option("--background", is_flag=True, help="Zet het in de wachtrij voor `lerend-netwerk worker`.")
@with_appcontext
def sync_command(slug: str | None, all_networks: bool, background: bool) -> None:
    """Lees nu terug wat er in Nextcloud veranderd is: afgevinkte taken, voortgang, antwoorden op uitnodigingen."""
    if bool(slug) == all_networks:
        raise click.UsageError("Geef één netwerk (SLUG) of --all.")
    app = current_app._get_current_object()
    try:
        if slug:
            get_network(slug)
        if background:
            job_queue().enqueue(*(("sync_network", slug) if slug else ("sync_all",)))
            click.echo("Synchronisatie in de wachtrij gezet; `lerend-netwerk worker` voert hem uit.")
            return
        with job_queue().huey.lock_task(SYNC_LOCK):
            report = service.sync_network(app, slug) if slug else service.sync_all(app)
    except NetworkNotFound as exc:
        raise click.ClickException(str(exc)) from None
    except TaskLockedException:
        raise click.ClickException("Er loopt al een synchronisatie; probeer het zo opnieuw.") from None
    _print_report(report)
    if any(r.outcome in (service.FAILED, service.MISSING) for r in report.results):
        raise click.ClickException("Niet alles kon worden gesynchroniseerd; zie hierboven. De rest is bijgewerkt.")


def _print_report(report: service.SyncReport) -> None:
    for result in report.results:
        where = f"{KIND_WORDS.get(result.kind, result.kind)} '{result.uri}' ({result.organisation})"
        if result.outcome == service.SYNCED:
            if result.objects or result.deleted or result.full_resync:
                resync = ", volledig opnieuw gelezen" if result.full_resync else ""
                click.echo(f"  {where}: {result.objects} gewijzigd, {result.deleted} verwijderd{resync}")
        else:
            click.secho(f"  {where}: {OUTCOME_WORDS[result.outcome]}: {result.error}", fg="yellow", err=True)
    for name in report.reconnect_needed:
        click.secho(f"Let op: de verbinding van {name} moet opnieuw gemaakt worden "
                    "(laat het organisatieaccount opnieuw inloggen).", fg="yellow", err=True)
    click.echo(f"{len(report.results)} agenda's en takenlijsten: {report.count(service.SYNCED)} gesynchroniseerd, "
               f"{report.count(service.MISSING)} ontbreken, {report.count(service.FAILED)} mislukt, "
               f"{report.count(service.SKIPPED)} overgeslagen; {report.updated} taken en bijeenkomsten bijgewerkt "
               f"({report.seconds:.1f} s).")


def _with_background(launch: click.Command) -> click.Command:
    """The launch command with `--background`: queue the launch for the worker instead of running it here."""

    @with_appcontext
    def callback(background: bool, **options):
        if not background:
            return click.get_current_context().invoke(launch, **options)
        if options.get("dry_run"):
            raise click.UsageError("--dry-run en --background gaan niet samen.")
        try:
            get_network(options["slug"])
        except NetworkNotFound as exc:
            raise click.ClickException(str(exc)) from None
        job_queue().enqueue("launch_network", options["slug"])
        click.echo(f"Start van {options['slug']} in de wachtrij gezet; `lerend-netwerk worker` voert hem uit. "
                   f"Volg hem met: lerend-netwerk network status {options['slug']}")

    background = click.Option(["--background"], is_flag=True,
                              help="Zet de start in de wachtrij voor `lerend-netwerk worker` en wacht er niet op.")
    return click.Command(launch.name, params=[*launch.params, background], callback=callback, help=launch.help,
                         short_help=launch.short_help)
