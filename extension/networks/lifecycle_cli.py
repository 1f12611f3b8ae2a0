"""`lerend-netwerk network advance | add-member | remove-member | drift | repair`: a launched network's life."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import click

from extension.cli import Refused, command
from extension.i18n import _
from extension.networks.cli import report_launch


class _StepBar:
    """A progress bar over the launch steps a command runs, opened once their number is known."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def start(self, total: int) -> None:
        if total and self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, show_pos=True,
                                         item_show_func=lambda step: str(step.label)[:60] if step else "")
            self.bar.__enter__()

    def __call__(self, step, status) -> None:
        from extension import engine

        if self.bar is None:
            return
        if status == engine.RUNNING:
            self.bar.current_item = step
            self.bar.render_progress()
        else:
            self.bar.update(1, step)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@dataclass
class _AdvancePreview:
    network: str
    current: str
    following: str
    open_tasks: int
    new_tasks: dict[str, int]
    starts_on: date


def _preview_advance(slug: str) -> _AdvancePreview:
    """What `advance` would do, computed by the same service and rolled back: nothing is stored."""
    from flask import current_app

    from extension.extensions import db
    from extension.networks import phases
    from extension.engine import template_of
    from extension.networks.service import add_phase_tasks, get_network

    network = get_network(slug)
    phases._check_launched(network)
    current = network.current_phase
    following = next((p for p in network.phases if p.position == current.position + 1), None)
    if following is None:
        raise phases.PhaseError(_("The network '%(name)s' is in its last phase (%(phase)s) already; there is no "
                                  "next phase.", name=network.name, phase=current.name))
    open_tasks = sum(1 for t in network.tasks
                     if t.phase_id == current.id and t.status != "COMPLETED" and t.deleted_at is None)
    preview = _AdvancePreview(network.name, current.name, following.name, open_tasks, {}, network.starts_on)
    try:
        created = add_phase_tasks(network, template_of(current_app._get_current_object(), network), following)
        preview.new_tasks = dict(Counter(t.organisation.name for t in created))
    finally:
        db.session.rollback()
    return preview


@command("advance")
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Only show what would happen; change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def advance_command(slug: str, dry_run: bool, yes: bool) -> None:
    """Move the network to its next phase and put that phase's tasks into every organisation."""
    from flask import current_app

    from extension import engine

    preview = _preview_advance(slug)
    click.echo(_("'%(name)s' moves from phase %(current)s to phase %(following)s.", name=preview.network,
                 current=preview.current, following=preview.following))
    if preview.open_tasks:
        click.echo(_("%(count)s task(s) of phase %(phase)s are still open; they stay open.",
                     count=preview.open_tasks, phase=preview.current))
    for organisation, count in sorted(preview.new_tasks.items()):
        click.echo(_("- %(organisation)s: %(count)s new task(s)", organisation=organisation, count=count))
    if preview.starts_on > date.today():
        click.secho(_("Note: the network starts on %(date)s, later than today.", date=preview.starts_on.isoformat()),
                    fg="yellow", err=True)
    if dry_run:
        click.echo(_("Dry run: nothing was changed."))
        return
    if not yes:
        click.confirm(_("Move to the next phase?"), abort=True, err=True)
    bar = _StepBar(_("Writing tasks"))
    try:
        result = engine.run(current_app._get_current_object(), "advance", slug, progress=bar)
    finally:
        bar.close()
    click.echo(_("The network is now in phase %(phase)s.", phase=result.phase))
    report_launch(result.launch, _("Not every task is in Nextcloud yet; finish it with: "
                                   "lerend-netwerk network launch %(slug)s", slug=slug))


@command("add-member")
@click.argument("slug")
@click.option("--name", required=True, help="Name of the new member.")
@click.option("--email", required=True, help="E-mail address (invitations to the meetings).")
@click.option("--organisation", required=True, help="Slug of the organisation the member takes part for.")
@click.option("--user", default=None, help="Nextcloud user name in their own organisation (if they have one).")
@click.option("--role", default="deelnemer", show_default=True,
              help="Role in the network: kartrekker, deelnemer, manager or begeleider.")
@click.option("--expertise", default="", help="Expertise, for a complementary mix.")
def add_member_command(slug: str, name: str, email: str, organisation: str, user: str | None, role: str,
                       expertise: str) -> None:
    """Add a member: shared folder, calendar, task list, the tasks of every started phase and the invitations."""
    from flask import current_app

    from extension import engine
    from extension.networks.members import NewMember

    bar = _StepBar(_("Adding the member"))
    try:
        result = engine.run(current_app._get_current_object(), "add-member", slug, progress=bar,
                            member=NewMember(name, email, organisation, user, role, expertise))
    finally:
        bar.close()
    click.echo(_("%(member)s is a member of %(slug)s: %(tasks)s task(s), invited to %(meetings)s meeting(s).",
                 member=result.member, slug=slug, tasks=result.tasks, meetings=result.meetings))
    for note in result.notes:
        click.echo(f"- {note}")
    report_launch(result.launch, _("Not everything for the new member is in Nextcloud yet; run the same command "
                                   "again to finish it."))


@command("remove-member")
@click.argument("slug")
@click.argument("email")
def remove_member_command(slug: str, email: str) -> None:
    """Take a member out of the network: shares and open tasks go, completed tasks keep counting."""
    from flask import current_app

    from extension import engine

    result = engine.run(current_app._get_current_object(), "remove-member", slug, email=email)
    click.echo(_("%(member)s was taken out of %(slug)s.", member=result.member, slug=slug))
    for what in result.removed:
        click.echo(_("- no access any more: %(what)s", what=what))
    click.echo(_("- %(removed)s open task(s) removed, %(kept)s task(s) keep counting; withdrawn from %(meetings)s "
                 "meeting(s).", removed=result.tasks_removed, kept=result.tasks_kept, meetings=result.meetings))
    for note in result.notes:
        click.echo(f"- {note}")


@command("drift")
@click.argument("slug")
def drift_command(slug: str) -> None:
    """Check (read-only) that everything of the network is still in Nextcloud. Exit code 2 on differences."""
    from flask import current_app

    from extension.engine import drift as network_drift

    findings = network_drift.detect(current_app._get_current_object(), slug)
    if not findings:
        click.echo(_("No differences: everything of the network is still in Nextcloud."))
        return
    _print_findings(findings)
    click.echo(_("Repair with: lerend-netwerk network repair %(slug)s", slug=slug))
    raise SystemExit(2)


@command("repair")
@click.argument("slug")
def repair_command(slug: str) -> None:
    """Restore what of the network disappeared or changed in Nextcloud (only those steps)."""
    from flask import current_app

    from extension.engine import drift as network_drift
    from extension import engine

    app = current_app._get_current_object()
    bar = _StepBar(_("Repairing"))
    try:
        findings = network_drift.detect(app, slug)
        _print_findings(findings)
        result = engine.run(app, "repair", slug, progress=bar, findings=findings)
    finally:
        bar.close()
    if result.launch is None and not findings:
        click.echo(_("No differences: there is nothing to repair."))
    report_launch(result.launch, _("Not everything was repaired; fix the error and run again: "
                                   "lerend-netwerk network repair %(slug)s", slug=slug))
    if result.unchecked:
        raise Refused(_("Part of it could not be checked (see above); try again later."))


PROBLEM_WORDS = {"gone": "gone", "changed": "changed", "unchecked": "not checked"}


def _print_findings(findings) -> None:
    for finding in findings:
        word = _(PROBLEM_WORDS.get(finding.problem, finding.problem))
        click.echo(f"- [{word}] {finding.organisation}: {finding.message}    [{finding.step_key}]")
