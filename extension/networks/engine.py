"""The launch engine: runs a plan through the organisation connections, journaling every step.

Every step is idempotent (extension.networks.steps), so a launch killed at any point is finished by running
it again. A step the journal has as done is only verified with reads, and redone if its resource
disappeared; a relaunch of a complete network therefore writes nothing.

Steps of different Nextcloud instances run in parallel, one thread per instance; the worker threads only
talk HTTP. The calling thread owns the database: it writes the journal and reports progress as the
workers' events arrive, so SQLite never sees concurrent writers and a progress bar is only touched from
one thread.
"""
from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Collection
from urllib.parse import urlsplit

from flask import Flask

from connectors.errors import NextcloudError
from extension.accounts.models import Account
from extension.accounts.service import nextcloud_client
from extension.extensions import db
from extension.network_templates import get_template, templates_dir
from extension.networks.models import (STEP_DONE, STEP_FAILED, STEP_PENDING, STEP_RUNNING, TASK_WRITTEN,
                                       KnowledgeTask, LaunchStep, Network)
from extension.networks.plan import LaunchError, Plan, Step, build_plan, connection_of
from extension.networks.service import get_network
from extension.networks.steps import EXECUTORS, StepContext
from extension.organisations.models import Organisation, utcnow
from extension.sync.service import forget_token

log = logging.getLogger(__name__)

# Progress statuses: a step started, made what was missing, found everything in place, or failed.
RUNNING, DONE, VERIFIED, FAILED = "running", "done", "verified", "failed"

Progress = Callable[[Step, str], None]


@dataclass
class LaunchResult:
    network: str
    steps: int
    done: int = 0
    verified: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def not_run(self) -> int:
        return self.steps - self.done - self.verified - len(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed and self.not_run == 0


def plan_launch(app: Flask, slug: str) -> Plan:
    """The plan of a network's launch, without any request (for `--dry-run`)."""
    network = get_network(slug)
    return build_plan(app, network, template_of(app, network))


def unfinished(network: Network, plan: Plan) -> list[str]:
    """Keys of the plan's steps the journal does not have as done: new, failed, interrupted or drifted ones."""
    done = {row.key for row in network.launch_steps if row.status == STEP_DONE}
    return [step.key for step in plan.steps if step.key not in done]


def launch(app: Flask, slug: str, progress: Progress | None = None,
           client_for: Callable[[Flask, Account], Any] = nextcloud_client,
           only: Collection[str] | None = None) -> LaunchResult:
    """Launch (or resume, or verify) the network `slug`; call inside an app context.

    `progress(step, status)` is called from this thread for every step: RUNNING, then DONE, VERIFIED or
    FAILED. A failed step stops the later steps of its instance (they may depend on it); the other
    instances go on. The network becomes `active` once every step of the plan is done.
    With `only`, just the steps with those keys run (a phase advance, a new member, a repair); the others
    are not run, and those new to the journal wait there as pending.
    """
    network = get_network(slug)
    if network.status in ("completed", "archived"):
        # An ended network's shares were removed on purpose (`network end`); launching would bring them back.
        raise LaunchError(f"Het netwerk '{network.slug}' is beëindigd ({network.status}); het wordt niet opnieuw "
                          "gestart.")
    plan = build_plan(app, network, template_of(app, network))
    journal = _journal(network, plan)
    if only is not None:
        chosen = set(only)
        plan = Plan(plan.network_id, [step for step in plan.steps if step.key in chosen], plan.notes)
    if network.status == "draft":
        network.status = "launching"
    if network.launched_at is None:
        network.launched_at = utcnow()
    db.session.commit()

    organisations = {o.id: o for o in db.session.query(Organisation).filter(
        Organisation.id.in_({s.organisation_id for s in plan.steps}))}
    clients = {oid: client_for(app, connection_of(o)) for oid, o in organisations.items()}
    verify = {step.key: journal[step.key].status == STEP_DONE for step in plan.steps}
    host_account = connection_of(network.host_organisation)
    facts = {"organiser_email": host_account.email, "organiser_name": host_account.display_name}

    result = LaunchResult(network.slug, len(plan.steps), notes=list(plan.notes))
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    workers = [threading.Thread(target=_work, name=f"launch-{urlsplit(instance).netloc}",
                                args=(steps, clients, verify, dict(facts), events, stop), daemon=True)
               for instance, steps in plan.by_instance().items()]
    for worker in workers:
        worker.start()
    running = len(workers)
    try:
        while running:
            event = events.get()
            if event is None:
                running -= 1
                continue
            status, step, payload = event
            _record(journal[step.key], status, payload, network)
            if status in (DONE, VERIFIED):
                setattr(result, status, getattr(result, status) + 1)
            elif status == FAILED:
                result.failed.append((step.key, payload))
            if progress is not None:
                progress(step, status)
    finally:
        # Also when journaling or the progress callback failed: no worker goes on without a journal.
        stop.set()
        for worker in workers:
            worker.join()

    if result.ok and only is None and network.status in ("draft", "launching"):
        network.status = "active"
    db.session.commit()
    log.info("launch of %s: %d done, %d verified, %d failed, %d not run", network.slug, result.done,
             result.verified, len(result.failed), result.not_run)
    return result


def template_of(app: Flask, network: Network):
    """The network's template, refused when it changed version since the network was made."""
    template = get_template(network.template_id, templates_dir(app))
    if template.version != network.template_version:
        raise LaunchError(f"Het sjabloon '{template.id}' heeft nu versie {template.version}; het netwerk is gemaakt "
                          f"met versie {network.template_version}. Zet de oude versie terug of maak het netwerk "
                          "opnieuw.")
    return template


def _journal(network: Network, plan: Plan) -> dict[str, LaunchStep]:
    """The LaunchStep row of every planned step, created as pending the first time a key is planned."""
    rows = {row.key: row for row in network.launch_steps}
    for position, step in enumerate(plan.steps):
        row = rows.get(step.key)
        if row is None:
            row = rows[step.key] = LaunchStep(network=network, key=step.key, status=STEP_PENDING, attempts=0)
            db.session.add(row)
        row.kind, row.organisation_id, row.phase_key, row.position = (step.kind, step.organisation_id,
                                                                      step.phase_key, position)
        row.label, row.planned_requests = step.label, step.requests
    return rows


def _record(row: LaunchStep, status: str, payload: Any, network: Network) -> None:
    """Journal one event and apply what the step learned to the domain rows; one commit per event."""
    if status == RUNNING:
        # Attempts count the runs that had to make something; verifying a finished step is not one.
        if row.status != STEP_DONE:
            row.attempts += 1
        row.status = STEP_RUNNING
    elif status == FAILED:
        row.status, row.last_error = STEP_FAILED, payload
    else:
        row.status, row.last_error, row.result, row.finished_at = STEP_DONE, None, payload, utcnow()
        if status == DONE:  # made now, not found in place: a (re)created collection's old token is void
            forget_token(network.id, row.organisation_id, row.kind)
        if row.kind == "organiser":
            account = connection_of(network.host_organisation)
            account.email, account.display_name = payload["email"], payload["display_name"]
        elif row.kind == "task":
            task = db.session.query(KnowledgeTask).filter_by(network_id=network.id, ical_uid=payload["uid"]).one()
            task.sync_state, task.remote_href = TASK_WRITTEN, payload["href"]
    db.session.commit()


def _work(steps: list[Step], clients: dict, verify: dict[str, bool], facts: dict, events: queue.Queue,
          stop: threading.Event) -> None:
    """One instance's steps, in order; stops at the first failure (later steps may depend on it)."""
    context = StepContext(facts)
    try:
        for step in steps:
            if stop.is_set():
                return
            events.put((RUNNING, step, None))
            try:
                outcome = EXECUTORS[step.kind](clients[step.organisation_id], step.params, verify[step.key], context)
            except (NextcloudError, LaunchError, ValueError) as exc:
                log.warning("launch step %s failed: %s", step.key, exc)
                events.put((FAILED, step, str(exc)))
                return
            except Exception as exc:  # reported as the step's error: the launch must end with a journal entry
                log.exception("launch step %s failed unexpectedly", step.key)
                events.put((FAILED, step, f"{exc.__class__.__name__}: {exc}"))
                return
            events.put((VERIFIED if outcome.pop("verified", False) else DONE, step, outcome))
    finally:
        events.put(None)
