"""`lerend-netwerk network list | create | launch | status`: thin surfaces over the network services."""
from __future__ import annotations

from pathlib import Path

import click

from extension.cli import Refused, command
from extension.i18n import _

STATUS_WORDS = {"draft": "draft", "launching": "launching", "active": "active", "completed": "completed",
                "archived": "archived"}


@command("list", pages=False)
def list_command() -> None:
    """List the networks with their status and current phase."""
    from extension.networks.overview import list_networks

    networks = list_networks()
    if not networks:
        click.echo(_("No networks yet. Create one with: lerend-netwerk network create --from FILE.yml"))
        return
    rows = [(n.slug, n.name, _(STATUS_WORDS.get(n.status, n.status)),
             n.current_phase.name if n.current_phase else "-") for n in networks]
    _print_table((_("slug"), _("name"), _("status"), _("phase")), rows)


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


@command("create")
@click.option("--from", "path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The network file (YAML) describing the network.")
@click.option("--allow-duplicate-name", is_flag=True, help="Create it even when a network already has this name.")
def create_command(path: Path, allow_duplicate_name: bool) -> None:
    """Create a network from a network file (nothing is put into Nextcloud yet)."""
    from flask import current_app
    from sqlalchemy import select

    from extension.extensions import db
    from extension.network_templates import get_template, list_templates, load_network_file, templates_dir
    from extension.networks.overview import networks_named
    from extension.networks.service import create_network
    from extension.organisations.models import Organisation

    app = current_app._get_current_object()
    extra = templates_dir(app)
    spec = load_network_file(path, organisations=db.session.scalars(select(Organisation.slug)),
                             templates=[t.id for t in list_templates(extra)])
    same = networks_named(spec.name)
    if same and not allow_duplicate_name:
        raise Refused(_(
            "A network named '%(name)s' already exists (%(slugs)s). Choose another name, or add "
            "--allow-duplicate-name if a second network with this name is what you want.",
            name=spec.name, slugs=", ".join(n.slug for n in same)))
    created = create_network(app, spec, get_template(spec.template, extra))
    network = created.network
    click.echo(_("Network '%(name)s' created: %(slug)s", name=network.name, slug=network.slug))
    click.echo(_("Current phase: %(phase)s. Launch it with: lerend-netwerk network launch %(slug)s",
                 phase=network.current_phase.name, slug=network.slug))
    for warning in created.warnings:
        click.secho(_("Note: %(warning)s", warning=warning), fg="yellow", err=True)


@command("launch")
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Only show the plan and the number of requests per step.")
@click.option("--background", is_flag=True,
              help="Queue the launch for `lerend-netwerk worker` instead of waiting for it.")
def launch_command(slug: str, dry_run: bool, background: bool) -> None:
    """Put the network into Nextcloud (folder, documents, shares, calendar, meetings, tasks); resumes or
    verifies an earlier launch."""
    from flask import current_app

    from extension import engine
    from extension.networks.service import get_network

    app = current_app._get_current_object()
    if dry_run and background:
        raise click.UsageError(_("--dry-run and --background do not go together."))
    if background:
        from extension.jobs import job_queue

        get_network(slug)
        job_queue().enqueue("launch_network", slug)
        click.echo(_("Launch of %(slug)s queued; `lerend-netwerk worker` runs it. Follow it with: "
                     "lerend-netwerk network status %(slug)s", slug=slug))
        return
    plan = engine.plan_launch(app, slug)
    if dry_run:
        print_plan(plan)
        return
    with click.progressbar(length=len(plan.steps), label=_("Launching the network"), show_pos=True,
                           item_show_func=lambda step: str(step.label)[:60] if step else "") as bar:
        def progress(step, status):
            if status == engine.RUNNING:
                bar.current_item = step
                bar.render_progress()
            else:
                bar.update(1, step)
        result = engine.run(app, "launch", slug, progress=progress)
    for note in result.notes:
        click.echo(f"- {note}")
    report_launch(result, _("The network is not completely launched yet; fix the error and launch again "
                            "(what is done stays in place)."))


def report_launch(result, unfinished: str) -> None:
    """The launch engine's outcome; a failure ends the command with exit code 1."""
    if result is None:
        return
    click.echo(_("%(done)s steps done, %(verified)s verified, %(failed)s failed, %(not_run)s not run.",
                 done=result.done, verified=result.verified, failed=len(result.failed), not_run=result.not_run))
    for key, error in result.failed:
        click.secho(_("Failed: %(step)s: %(error)s", step=key, error=error), fg="red", err=True)
    if not result.ok:
        raise Refused(unfinished)


def print_plan(plan) -> None:
    for instance, steps in plan.by_instance().items():
        click.echo(_("%(instance)s (%(steps)s steps, %(requests)s requests):", instance=instance, steps=len(steps),
                     requests=sum(s.requests for s in steps)))
        for step in steps:
            click.echo(f"  {step.requests:>2}  {step.label}    [{step.key}]")
    click.echo(_("Total: %(steps)s steps, %(requests)s requests (the first time; a relaunch verifies with about "
                 "%(verify)s reads).", steps=len(plan.steps), requests=plan.requests, verify=plan.verify_reads()))
    for note in plan.notes:
        click.echo(f"- {note}")


@command("status", pages=False)
@click.argument("slug")
def status_command(slug: str) -> None:
    """Show per phase what exists of the network (from the database, without asking Nextcloud)."""
    from extension.networks import status as network_status

    click.echo(network_status.describe(slug))
