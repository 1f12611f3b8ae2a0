"""Moving a launched network to its next phase: that phase's knowledge tasks for every member organisation.

The tasks are stored first (rows, like at creation: `pending` for an organisation with Nextcloud, in the
app for one without); then the launch engine writes every step the journal does not have as done, which
are the new tasks in each connected organisation's task list, plus whatever an organisation that
connected since needs. An organisation that connects later gets them from its next launch or catch-up.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask

from extension.accounts.models import Account
from extension.accounts.service import nextcloud_client
from extension.extensions import db
from extension.networks.engine import LaunchResult, Progress, launch, template_of, unfinished
from extension.networks.models import STEP_FAILED, STEP_RUNNING, Network, Phase
from extension.networks.plan import build_plan
from extension.networks.service import add_phase_tasks, get_network


class PhaseError(Exception):
    """The network cannot move to another phase now; the message (Dutch) says why and what to do."""


@dataclass
class AdvanceResult:
    network: str
    phase: str
    # New tasks per organisation name.
    tasks: dict[str, int] = field(default_factory=dict)
    launch: LaunchResult | None = None

    @property
    def ok(self) -> bool:
        return self.launch is None or self.launch.ok


def started_phases(network: Network) -> list[Phase]:
    """The phases up to and including the current one."""
    current = network.current_phase
    return [p for p in network.phases if current is not None and p.position <= current.position]


def advance(app: Flask, slug: str, progress: Progress | None = None, on_start: Callable[[int], None] | None = None,
            client_for: Callable[[Flask, Account], Any] = nextcloud_client) -> AdvanceResult:
    """Make the phase after the current one current and write its tasks; call inside an app context.

    Refused (PhaseError) before the launch has finished, after a launch step failed, and at the last
    phase. `on_start(n)` learns how many steps will run, `progress` follows them (extension.networks.engine).
    """
    network = get_network(slug)
    _check_launched(network)
    current = network.current_phase
    following = next((p for p in network.phases if p.position == current.position + 1), None)
    if following is None:
        raise PhaseError(f"Het netwerk '{network.name}' is al in de laatste fase ({current.name}); er is geen "
                         "volgende fase.")
    template = template_of(app, network)
    network.current_phase_key = following.key
    created = add_phase_tasks(network, template, following)
    db.session.commit()

    result = AdvanceResult(network.slug, following.name, dict(Counter(t.organisation.name for t in created)))
    keys = unfinished(network, build_plan(app, network, template))
    if on_start is not None:
        on_start(len(keys))
    result.launch = launch(app, slug, progress, client_for, only=keys)
    return result


def _check_launched(network: Network) -> None:
    command = f"lerend-netwerk network launch {network.slug}"
    if network.status == "draft":
        raise PhaseError(f"Het netwerk '{network.name}' is nog niet gestart; start het eerst met: {command}")
    if network.status in ("completed", "archived"):
        word = "afgerond" if network.status == "completed" else "gearchiveerd"
        raise PhaseError(f"Het netwerk '{network.name}' is {word}; het gaat niet meer naar een volgende fase.")
    stuck = [row for row in network.launch_steps if row.status in (STEP_FAILED, STEP_RUNNING)]
    if network.status != "active" or stuck:
        detail = f" ({len(stuck)} stap(pen) mislukt of onderbroken)" if stuck else ""
        raise PhaseError(f"De start van het netwerk '{network.name}' is nog niet af{detail}; maak die eerst af "
                         f"met: {command}")
