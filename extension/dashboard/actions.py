"""The one place where the web app calls the engine: every action of a kartrekker runs here, as a background job.

A view stores an ActionRun (queued) and enqueues `run_action(run_id)`; the job runs the engine entry point of
its kind, keeps `done`/`total` of the run up to date from the engine's progress reports (so the progress
page can poll it), and ends the run as done or failed with a Dutch message saying what to do next.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app

from extension import engine
from extension.dashboard.models import RUN_DONE, RUN_FAILED, RUN_QUEUED, RUN_RUNNING, ActionRun
from extension.extensions import db
from extension.jobs import job_queue
from extension.networks import members, phases
from extension.networks.models import Network
from extension.organisations.models import utcnow

log = logging.getLogger(__name__)

JOB = "network_action"


def init_app(app: Flask) -> None:
    """Register the job on the app's queue; it is not retried by the queue: the kartrekker retries it."""
    app.extensions["ln_jobs"].register(JOB, run_action, networks=_network_of)


def start(network: Network, kind: str, account_id: int | None, **params: Any) -> ActionRun:
    """Store a queued run of `kind` on `network` and hand it to the job queue."""
    run = ActionRun(network_id=network.id, account_id=account_id, kind=kind, params=params, status=RUN_QUEUED)
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    job_queue().enqueue(JOB, run_id)
    return db.session.get(ActionRun, run_id)


def _network_of(run_id: int) -> list[str]:
    """The network an action job runs its plan on (the queue's reaper leaves that network to the job)."""
    run = db.session.get(ActionRun, run_id)
    return [run.network.slug] if run is not None else []


def run_action(run_id: int) -> None:
    """The job: run the action of `run_id` through the engine and record how it ended."""
    run = db.session.get(ActionRun, run_id)
    if run is None or run.finished:
        return
    app = current_app._get_current_object()
    slug = run.network.slug
    run.status, run.done, run.total, run.message = RUN_RUNNING, 0, 0, None
    db.session.commit()
    try:
        message = RUNNERS[run.kind](app, slug, run, _Progress(run))
    except (engine.LaunchError, phases.PhaseError, members.MemberError, EndFailed) as exc:
        _finish(run, RUN_FAILED, str(exc))
        return
    except Exception as exc:  # the run must end with a message, whatever went wrong
        log.exception("action %s on %s failed", run.kind, slug)
        db.session.rollback()
        _finish(run, RUN_FAILED, f"Er ging iets onverwachts mis ({exc.__class__.__name__}). Probeer het opnieuw; "
                                 "blijft het misgaan, vraag dan je beheerder om de logboeken te bekijken.")
        return
    # No message: the engine ran, but some journaled step failed; the progress page names it from the journal.
    _finish(run, RUN_FAILED if message is None else RUN_DONE, message)


def _finish(run: ActionRun, status: str, message: str | None) -> None:
    run = db.session.get(ActionRun, run.id)
    run.status, run.message, run.finished_at = status, message, utcnow()
    if status == RUN_DONE:
        run.done = run.total
    db.session.commit()
    log.info("action %s on network %s: %s", run.kind, run.network_id, status)


class EndFailed(Exception):
    """Ending ran, but part of it did not reach Nextcloud; the message says what, in Dutch."""


class _Progress:
    """The engine's progress reports (`start(total)`, then one call per step) written into the run row."""

    def __init__(self, run: ActionRun):
        self.run_id = run.id

    def start(self, total: int) -> None:
        row = db.session.get(ActionRun, self.run_id)
        row.total, row.done = total, 0
        db.session.commit()

    def __call__(self, step, status: str) -> None:
        row = db.session.get(ActionRun, self.run_id)
        if status == engine.RUNNING:
            row.current = step.label[:600]
        else:
            row.done = min(row.done + 1, row.total) if row.total else row.done + 1
        db.session.commit()


def _ok(result) -> bool:
    """Every step of the engine's run finished (a result without a run changed nothing in Nextcloud)."""
    run = getattr(result, "launch", result)
    return run is None or run.ok


def _launch(app, slug, run, progress):
    result = engine.run(app, "launch", slug, progress=progress)
    return "Het netwerk staat klaar in Nextcloud." if _ok(result) else None


def _advance(app, slug, run, progress):
    result = engine.run(app, "advance", slug, progress=progress)
    if not _ok(result):
        return None
    tasks = sum(result.tasks.values())
    return f"Het netwerk is nu in de fase {result.phase}; {tasks} nieuwe ta(a)k(en) staan klaar."


def _add_member(app, slug, run, progress):
    params = run.params
    new = members.NewMember(name=params["name"], email=params["email"], organisation=params["organisation"],
                            user=params.get("user") or None, role=params.get("role", "deelnemer"),
                            expertise=params.get("expertise", ""))
    result = engine.run(app, "add-member", slug, member=new, progress=progress)
    if not _ok(result):
        return None
    notes = " ".join(result.notes)
    return f"{result.member} is toegevoegd ({result.tasks} ta(a)k(en), {result.meetings} uitnodiging(en)). {notes}".strip()


def _remove_member(app, slug, run, progress):
    result = engine.run(app, "remove-member", slug, email=run.params["email"], progress=progress)
    if not _ok(result):
        return None
    return (f"{result.member} is uit het netwerk gehaald: {result.tasks_removed} open ta(a)k(en) verwijderd, "
            f"{result.tasks_kept} bewaard. " + " ".join(result.notes)).strip()


def _sync(app, slug, run, progress):
    from extension.sync import service

    progress.start(1)
    report = service.sync_network(app, slug)
    return f"Bijgewerkt uit Nextcloud: {report.updated} wijziging(en) gelezen."


def _repair(app, slug, run, progress):
    result = engine.run(app, "repair", slug, progress=progress)
    if not _ok(result):
        return None
    if result.unchecked:
        return "Niet alles kon gecontroleerd worden: " + "; ".join(f.message for f in result.unchecked)
    if not result.findings:
        return "Alles stond nog goed in Nextcloud; er hoefde niets hersteld te worden."
    return f"{len(result.steps)} stap(pen) opnieuw uitgevoerd; alles staat weer goed in Nextcloud."


def _end(app, slug, run, progress):
    result = engine.run(app, "end", slug, move_folder=bool(run.params.get("move_folder")), progress=progress)
    if not result.ok:
        raise EndFailed("Het netwerk is beëindigd, maar niet alles in Nextcloud is gelukt: "
                        + "; ".join(result.failed) + " Probeer het opnieuw.")
    moved = f" De map staat nu in {result.moved_to}." if result.moved_to else ""
    return "Het netwerk is beëindigd en gearchiveerd." + moved


RUNNERS = {"launch": _launch, "advance": _advance, "add_member": _add_member, "remove_member": _remove_member,
           "sync": _sync, "repair": _repair, "end": _end}
