"""`lerend-netwerk network …`: create a network from a YAML file, launch it (or show the plan), show its state."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from extension.extensions import db
from extension.network_templates import (SourceError, UnknownTemplate, get_template, list_templates,
                                         load_network_file, templates_dir)
from extension.networks import engine, status as network_status
from extension.networks.plan import LaunchError
from extension.networks.service import NetworkNotFound, create_network
from extension.organisations.models import Organisation

network_group = click.Group("network", help="Lerende netwerken aanmaken, starten en volgen.")


@network_group.command("create")
@click.option("--from", "path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="YAML-bestand dat het netwerk beschrijft.")
@with_appcontext
def create(path: Path) -> None:
    """Maak een netwerk aan uit een netwerkbestand (nog zonder iets in Nextcloud te zetten)."""
    app = current_app._get_current_object()
    extra = templates_dir(app)
    try:
        spec = load_network_file(path, organisations=db.session.scalars(select(Organisation.slug)),
                                 templates=[t.id for t in list_templates(extra)])
        created = create_network(app, spec, get_template(spec.template, extra))
    except (SourceError, UnknownTemplate) as exc:
        raise click.ClickException(str(exc)) from None
    network = created.network
    click.echo(f"Netwerk '{network.name}' aangemaakt: {network.slug}")
    click.echo(f"Huidige fase: {network.current_phase.name}. Start met: lerend-netwerk network launch {network.slug}")
    for warning in created.warnings:
        click.secho(f"Let op: {warning}", fg="yellow", err=True)


@network_group.command("launch")
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Toon alleen het plan en het aantal verzoeken per stap.")
@with_appcontext
def launch(slug: str, dry_run: bool) -> None:
    """Zet het netwerk in Nextcloud (map, documenten, delen, agenda, bijeenkomsten, taken); hervat of controleert
    een eerdere start."""
    app = current_app._get_current_object()
    try:
        if dry_run:
            _print_plan(engine.plan_launch(app, slug))
            return
        plan = engine.plan_launch(app, slug)
        with click.progressbar(length=len(plan.steps), label="Netwerk starten", show_pos=True,
                               item_show_func=lambda step: step.label[:60] if step else "") as bar:
            def progress(step, status):
                if status == engine.RUNNING:
                    bar.current_item = step
                    bar.render_progress()
                else:
                    bar.update(1, step)
            result = engine.launch(app, slug, progress)
    except (NetworkNotFound, LaunchError, SourceError, UnknownTemplate) as exc:
        raise click.ClickException(str(exc)) from None
    for note in result.notes:
        click.echo(f"- {note}")
    click.echo(f"{result.done} stappen uitgevoerd, {result.verified} gecontroleerd, {len(result.failed)} mislukt, "
               f"{result.not_run} niet uitgevoerd.")
    for key, error in result.failed:
        click.secho(f"Mislukt: {key}: {error}", fg="red", err=True)
    if not result.ok:
        raise click.ClickException("Het netwerk is nog niet helemaal gestart; los de fout op en start opnieuw "
                                   "(wat klaar is, blijft staan).")


def _print_plan(plan) -> None:
    for instance, steps in plan.by_instance().items():
        click.echo(f"{instance} ({len(steps)} stappen, {sum(s.requests for s in steps)} verzoeken):")
        for step in steps:
            click.echo(f"  {step.requests:>2}  {step.label}    [{step.key}]")
    click.echo(f"Totaal: {len(plan.steps)} stappen, {plan.requests} verzoeken (eerste keer; een herstart "
               f"controleert met ongeveer {plan.verify_requests} leesverzoeken).")
    for note in plan.notes:
        click.echo(f"- {note}")


@network_group.command("status")
@click.argument("slug")
@with_appcontext
def status(slug: str) -> None:
    """Toon per fase wat er van het netwerk bestaat (uit de database, zonder Nextcloud te vragen)."""
    try:
        click.echo(network_status.describe(slug))
    except NetworkNotFound as exc:
        raise click.ClickException(str(exc)) from None
