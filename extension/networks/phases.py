"""Moving a launched network to its next phase: that phase's knowledge tasks for every member organisation.

The tasks are stored first (rows, like at creation: `pending` for an organisation with Nextcloud, in the
app for one without); then the engine (plan kind `advance`) writes every step the journal does not have as
done, which are the new tasks in each connected organisation's task list, plus whatever an organisation
that connected since needs. An organisation that connects later gets them from its next catch-up.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask import Flask

from extension.extensions import db
from extension.i18n import Text
from extension.network_templates import Template
from extension.networks.models import STEP_FAILED, STEP_RUNNING, Network, Phase
from extension.networks.service import add_phase_tasks


class PhaseError(Exception):
    """The network cannot move to another phase now; the message (Dutch) says why and what to do."""


@dataclass
class AdvanceResult:
    network: str
    phase: str
    # New tasks per organisation name.
    tasks: dict[str, int] = field(default_factory=dict)
    launch: object | None = None  # the engine's RunResult

    @property
    def ok(self) -> bool:
        return self.launch is None or self.launch.ok


def started_phases(network: Network) -> list[Phase]:
    """The phases up to and including the current one."""
    current = network.current_phase
    return [p for p in network.phases if current is not None and p.position <= current.position]


def next_phase(app: Flask, network: Network, template: Template) -> AdvanceResult:
    """Make the phase after the current one current and store its tasks (the engine writes them).

    Refused (PhaseError) before the launch has finished, after a launch step failed, and at the last phase.
    """
    _check_launched(network)
    current = network.current_phase
    following = next((p for p in network.phases if p.position == current.position + 1), None)
    if following is None:
        raise PhaseError(Text("The network '%(name)s' is in its last phase (%(phase)s) already; there is no "
                              "next phase.", name=network.name, phase=current.name))
    network.current_phase_key = following.key
    created = add_phase_tasks(network, template, following)
    db.session.commit()
    return AdvanceResult(network.slug, following.name, dict(Counter(t.organisation.name for t in created)))


def _check_launched(network: Network) -> None:
    command = f"lerend-netwerk network launch {network.slug}"
    if network.status == "draft":
        raise PhaseError(Text("The network '%(name)s' has not been launched yet; launch it first with: %(command)s",
                              name=network.name, command=command))
    if network.status in ("completed", "archived"):
        word = Text("completed") if network.status == "completed" else Text("archived")
        raise PhaseError(Text("The network '%(name)s' is %(state)s; it does not move to a next phase any more.",
                              name=network.name, state=word))
    stuck = [row for row in network.launch_steps if row.status in (STEP_FAILED, STEP_RUNNING)]
    if network.status != "active" or stuck:
        detail = Text(" (%(count)s step(s) failed or interrupted)", count=len(stuck)) if stuck else ""
        raise PhaseError(Text("The launch of the network '%(name)s' has not finished yet%(detail)s; finish it first "
                              "with: %(command)s", name=network.name, detail=detail, command=command))
