"""`lerend-netwerk network advance | add-member | remove-member | drift | repair`: a launched network's life."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from extension.network_templates import ROLES, SourceError, UnknownTemplate
from extension.networks import drift as network_drift
from extension.networks import engine
from extension.networks.cli import network_group
from extension.networks.members import MemberError, NewMember, add_member, remove_member
from extension.networks.phases import PhaseError, advance
from extension.networks.plan import LaunchError
from extension.networks.repair import repair
from extension.networks.service import NetworkNotFound

REFUSALS = (NetworkNotFound, LaunchError, PhaseError, MemberError, SourceError, UnknownTemplate)


class _StepBar:
    """A progress bar over the launch steps a command runs, opened once their number is known."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def start(self, total: int) -> None:
        if total:
            self.bar = click.progressbar(length=total, label=self.label, show_pos=True,
                                         item_show_func=lambda step: step.label[:60] if step else "")
            self.bar.__enter__()

    def __call__(self, step, status) -> None:
        if status == engine.RUNNING:
            self.bar.current_item = step
            self.bar.render_progress()
        else:
            self.bar.update(1, step)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _report(result, unfinished: str) -> None:
    """The launch engine's outcome; a failure ends the command with exit code 1."""
    if result is None:
        return
    click.echo(f"{result.done} stappen uitgevoerd, {result.verified} gecontroleerd, {len(result.failed)} mislukt, "
               f"{result.not_run} niet uitgevoerd.")
    for key, error in result.failed:
        click.secho(f"Mislukt: {key}: {error}", fg="red", err=True)
    if not result.ok:
        raise click.ClickException(unfinished)


@network_group.command("advance")
@click.argument("slug")
@with_appcontext
def advance_command(slug: str) -> None:
    """Zet het netwerk in de volgende fase en zet de taken van die fase bij elke organisatie."""
    bar = _StepBar("Taken schrijven")
    try:
        result = advance(current_app._get_current_object(), slug, bar, bar.start)
    except REFUSALS as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        bar.close()
    click.echo(f"Het netwerk is nu in de fase {result.phase}.")
    for organisation, count in sorted(result.tasks.items()):
        click.echo(f"- {organisation}: {count} nieuwe ta(a)k(en)")
    _report(result.launch, f"Niet alle taken staan al in Nextcloud; maak het af met: "
                           f"lerend-netwerk network launch {slug}")


@network_group.command("add-member")
@click.argument("slug")
@click.option("--name", required=True, help="Naam van het nieuwe lid.")
@click.option("--email", required=True, help="E-mailadres (uitnodigingen voor de bijeenkomsten).")
@click.option("--organisation", required=True, help="Slug van de organisatie waarvoor het lid meedoet.")
@click.option("--user", default=None, help="Nextcloud-gebruikersnaam in de eigen organisatie (als die er is).")
@click.option("--role", default="deelnemer", show_default=True, help=f"Rol in het netwerk: {', '.join(ROLES)}.")
@click.option("--expertise", default="", help="Expertise, voor een aanvullende mix.")
@with_appcontext
def add_member_command(slug: str, name: str, email: str, organisation: str, user: str | None, role: str,
                       expertise: str) -> None:
    """Voeg een lid toe: gedeelde map, agenda, takenlijst, de taken van elke begonnen fase en de uitnodigingen."""
    bar = _StepBar("Lid toevoegen")
    try:
        result = add_member(current_app._get_current_object(), slug,
                            NewMember(name, email, organisation, user, role, expertise), bar, bar.start)
    except REFUSALS as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        bar.close()
    click.echo(f"{result.member} is lid van {slug}: {result.tasks} ta(a)k(en), uitgenodigd voor "
               f"{result.meetings} bijeenkomst(en).")
    for note in result.notes:
        click.echo(f"- {note}")
    _report(result.launch, "Nog niet alles voor het nieuwe lid staat in Nextcloud; voer dezelfde opdracht opnieuw "
                           "uit om het af te maken.")


@network_group.command("remove-member")
@click.argument("slug")
@click.argument("email")
@with_appcontext
def remove_member_command(slug: str, email: str) -> None:
    """Haal een lid uit het netwerk: delen en open taken weg, afgeronde taken blijven meetellen."""
    try:
        result = remove_member(current_app._get_current_object(), slug, email)
    except REFUSALS as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{result.member} is uit {slug} gehaald.")
    for what in result.removed:
        click.echo(f"- geen toegang meer: {what}")
    click.echo(f"- {result.tasks_removed} open ta(a)k(en) verwijderd, {result.tasks_kept} ta(a)k(en) blijven "
               f"meetellen; afgemeld voor {result.meetings} bijeenkomst(en).")
    for note in result.notes:
        click.echo(f"- {note}")


@network_group.command("drift")
@click.argument("slug")
@with_appcontext
def drift_command(slug: str) -> None:
    """Controleer (alleen lezend) of alles van het netwerk nog in Nextcloud staat. Afsluitcode 2 bij afwijkingen."""
    try:
        findings = network_drift.detect(current_app._get_current_object(), slug)
    except REFUSALS as exc:
        raise click.ClickException(str(exc)) from None
    if not findings:
        click.echo("Geen afwijkingen: alles van het netwerk staat nog in Nextcloud.")
        return
    _print_findings(findings)
    click.echo(f"Herstel met: lerend-netwerk network repair {slug}")
    raise SystemExit(2)


@network_group.command("repair")
@click.argument("slug")
@with_appcontext
def repair_command(slug: str) -> None:
    """Zet terug wat van het netwerk in Nextcloud verdwenen of veranderd is (alleen die stappen)."""
    app = current_app._get_current_object()
    bar = _StepBar("Herstellen")
    try:
        findings = network_drift.detect(app, slug)
        _print_findings(findings)
        result = repair(app, slug, bar, findings=findings, on_start=bar.start)
    except REFUSALS as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        bar.close()
    if result.launch is None and not findings:
        click.echo("Geen afwijkingen: er is niets te herstellen.")
    _report(result.launch, f"Niet alles is hersteld; los de fout op en voer opnieuw uit: "
                           f"lerend-netwerk network repair {slug}")
    if result.unchecked:
        raise click.ClickException("Een deel kon niet gecontroleerd worden (zie hierboven); probeer het later opnieuw.")


def _print_findings(findings) -> None:
    words = {"gone": "verdwenen", "changed": "gewijzigd", "unchecked": "niet gecontroleerd"}
    for finding in findings:
        click.echo(f"- [{words.get(finding.problem, finding.problem)}] {finding.organisation}: {finding.message}"
                   f"    [{finding.step_key}]")
