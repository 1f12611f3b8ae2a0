"""Drift: what of a launched network has disappeared or changed in Nextcloud, found with reads only.

Every step the journal has as done is checked with the reads a relaunch verifies with (each step kind's
`verify`, extension.engine.steps): one listing per folder looked into, one share listing per shared folder,
one PROPFIND per calendar or task list. The checks go through the engine's one fan-out, in parallel. A step found gone
or changed is journaled as `drift`, so the network's status shows it from the database alone and the next
repair or launch redoes it without reading first. A collection the sync (extension.sync) found missing
counts too, where these reads could not look at it themselves.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask

from connectors.errors import NextcloudError
from extension.accounts.models import Account
from extension.accounts.service import nextcloud_client
from extension.engine.api import template_of
from extension.engine.errors import LaunchError
from extension.engine.fanout import walk
from extension.engine.plan import Plan, Step, build_plan
from extension.engine.steps import CHANGED, GONE, KINDS, StepContext
from extension.extensions import db
from extension.i18n import Text, dump_text, load_text
from extension.networks.models import STEP_DONE, STEP_DRIFT, Network
from extension.networks.service import get_network
from extension.organisations.models import Organisation

log = logging.getLogger(__name__)

# A step that could not be checked (its instance failed to answer); not repaired, only reported.
UNCHECKED = "unchecked"
# Where a finding comes from: the launch plan's reads now, or the sync's last look at a collection.
FROM_LAUNCH, FROM_SYNC = "launch", "sync"

_GONE = {
    "folder": "folder '%(path)s' is missing",
    "document": "document '%(path)s' is missing",
    "share": "the folder is no longer shared with %(detail)s",
    "calendar": "the calendar '%(uri)s' is missing",
    "calendar-share": "the calendar is no longer shared with %(detail)s",
    "meeting": "%(label)s: the meeting is missing from the calendar",
    "tasklist": "the task list '%(uri)s' is missing at %(organisation)s",
    "tasklist-share": "the task list at %(organisation)s is no longer shared with %(detail)s",
    "task": "%(label)s: the task is missing from the task list at %(organisation)s",
    "conversation": "the network's conversation in Nextcloud Talk is missing (%(detail)s)",
}
_CHANGED = {
    "share": "the permissions on the folder for %(share_with)s have changed (%(detail)s)",
    "calendar-share": "the access to the calendar has changed for %(detail)s",
    "tasklist-share": "the access to the task list at %(organisation)s has changed for %(detail)s",
}
_CHANGED_OTHER = "%(label)s: changed (%(detail)s)"
_SYNC_MISSING = {
    ("calendar", False): "the calendar '%(uri)s' at %(organisation)s is missing according to the synchronisation",
    ("calendar", True): "the calendar '%(uri)s' at %(organisation)s is missing according to the synchronisation "
                        "since %(since)s",
    ("tasklist", False): "the task list '%(uri)s' at %(organisation)s is missing according to the synchronisation",
    ("tasklist", True): "the task list '%(uri)s' at %(organisation)s is missing according to the synchronisation "
                        "since %(since)s",
}


@dataclass(frozen=True)
class DriftFinding:
    """One launch step whose resource is gone or changed (or could not be checked), with a message (a Text,
    shown in the reader's language; journaled with dump_text)."""

    step_key: str
    kind: str
    organisation: str
    problem: str  # GONE, CHANGED or UNCHECKED
    message: Text | str
    source: str = FROM_LAUNCH

    @property
    def repairable(self) -> bool:
        return self.problem in (GONE, CHANGED)


def detect(app: Flask, slug: str, client_for: Callable[[Flask, Account], Any] = nextcloud_client) -> list[DriftFinding]:
    """Check every done launch step of network `slug` with reads only; journal and return what drifted.

    Call inside an app context. Raises LaunchError when the network was never launched or its host has
    no working connection.
    """
    network = get_network(slug)
    plan = build_plan(app, network, template_of(app, network))
    journal = {row.key: row for row in network.launch_steps}
    if not journal:
        raise LaunchError(Text("The network '%(name)s' has not been launched yet; launch it with: %(command)s",
                               name=network.name, command=f"lerend-netwerk network launch {network.slug}"))
    steps = [s for s in plan.steps if s.key in journal and journal[s.key].status in (STEP_DONE, STEP_DRIFT)]
    organisations = {o.id: o for o in db.session.query(Organisation).filter(
        Organisation.id.in_({s.organisation_id for s in steps}))}
    clients = {oid: client_for(app, o.connection) for oid, o in organisations.items()}
    outcomes = _check(Plan(network.id, steps), clients, int(app.config.get("MAX_PARALLEL_REQUESTS", 4)))

    findings: list[DriftFinding] = []
    in_place: set[str] = set()
    for step in steps:
        organisation = organisations[step.organisation_id].name
        outcome = outcomes.get(step.key)
        if isinstance(outcome, NextcloudError):
            findings.append(DriftFinding(step.key, step.kind, organisation, UNCHECKED,
                                         Text("could not be checked at %(organisation)s: %(error)s",
                                              organisation=organisation, error=str(outcome))))
        elif outcome is None and step.key in outcomes:
            in_place.add(step.key)
        elif outcome is not None:
            problem, detail = outcome
            findings.append(DriftFinding(step.key, step.kind, organisation, problem,
                                         _message(step, problem, detail, organisation)))
    findings += _sync_findings(network, plan, in_place, {f.step_key for f in findings if f.repairable})
    _journal(journal, findings, in_place)
    db.session.commit()
    log.info("drift check of %s: %d steps checked, %d findings", network.slug, len(steps), len(findings))
    return findings


def stored_findings(network: Network) -> list[DriftFinding]:
    """The drift the last check journaled, from the database only (for status pages)."""
    return [DriftFinding(row.key, row.kind, row.organisation.name if row.organisation else "", GONE,
                         load_text(row.last_error or row.label))
            for row in network.launch_steps if row.status == STEP_DRIFT]


def _check(plan: Plan, clients: dict, limit: int) -> dict[str, Any]:
    """Each step's check outcome by key: None (in place), (problem, detail), or the NextcloudError that
    stopped its check; the checks run through the engine's fan-out, sharing their reads."""
    context = StepContext()
    found = walk(plan.steps, lambda step: KINDS[step.kind].verify(clients[step.organisation_id], step.params,
                                                                   context), limit=limit)
    outcomes: dict[str, Any] = {}
    failing: set[str] = set()
    for step in plan.steps:
        outcome = found.get(step.key)
        if outcome is None:
            continue
        if outcome.ok:
            outcomes[step.key] = outcome.value
        elif isinstance(outcome.error, NextcloudError):
            # One finding per instance that failed to answer: the first, in plan order.
            if step.instance not in failing:
                log.warning("drift check of %s failed: %s", step.key, outcome.error)
                outcomes[step.key] = outcome.error
                failing.add(step.instance)
        else:
            raise outcome.error
    return {key: value for key, value in outcomes.items()
            if isinstance(value, NextcloudError) or plan.by_key()[key].instance not in failing}


def _message(step: Step, problem: str, detail: Text | str, organisation: str) -> Text:
    words = (_GONE if problem == GONE else _CHANGED).get(step.kind, _CHANGED_OTHER)
    p = step.params
    values = {"path": getattr(p, "path", ""), "uri": getattr(p, "uri", ""), "share_with": getattr(p, "share_with", ""),
              "label": step.label, "detail": detail, "organisation": organisation}
    return Text(words, **{name: value for name, value in values.items() if f"%({name})s" in words})


def _sync_findings(network: Network, plan: Plan, in_place: set[str], found: set[str]) -> list[DriftFinding]:
    """Collections the sync found missing (extension.sync, when installed) that this check did not see
    in place itself: a stale mark of a collection now read back is dropped."""
    try:
        from extension.sync.models import CALENDAR, STATE_MISSING, SyncCollection
    except ImportError:
        return []
    missing = db.session.query(SyncCollection).filter_by(network_id=network.id, state=STATE_MISSING).all()
    findings = []
    for collection in missing:
        kind = "calendar" if collection.kind == CALENDAR else "tasklist"
        step = next((s for s in plan.steps if s.kind == kind and s.organisation_id == collection.organisation_id
                     and s.params.uri == collection.uri), None)
        if step is None or step.key in in_place or step.key in found:
            continue
        values = {"uri": collection.uri, "organisation": collection.organisation.name}
        if collection.missing_since:
            values["since"] = f"{collection.missing_since:%Y-%m-%d %H:%M}"
        message = Text(_SYNC_MISSING[kind, "since" in values], **values)
        findings.append(DriftFinding(step.key, kind, collection.organisation.name, GONE, message, FROM_SYNC))
    return findings


def _journal(journal: dict, findings: list[DriftFinding], in_place: set[str]) -> None:
    for finding in findings:
        if finding.repairable:
            row = journal[finding.step_key]
            row.status, row.last_error = STEP_DRIFT, dump_text(finding.message)
    for key in in_place:
        row = journal[key]
        if row.status == STEP_DRIFT:
            row.status, row.last_error = STEP_DONE, None
