"""The one place where the web app calls the engine: every action of a kartrekker runs here, as a background job.

A view queues the action as an engine run (`EngineRun`, status queued, with who asked and the action's
arguments) and enqueues `run_action(run_id)`. The job runs the engine entry point of its kind with a progress
hook that names that row, so the engine records its steps (done of total, the first failure) into it; the job
then ends the run as done or failed with a Dutch message saying what was done or what to do next. The progress
page, a second browser and the command line all read that one record (`engine.progress`).
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app

from extension import engine
from extension.extensions import db
from extension.jobs import job_queue
from extension.networks import members, phases
from extension.networks.models import EngineRun, Network, RunState
from extension.organisations.models import utcnow

log = logging.getLogger(__name__)

JOB = "network_run"

# The browser's actions (URL names) and the engine run kind each is recorded as.
KINDS = {"launch": "launch", "advance": "advance", "add_member": "add-member", "remove_member": "remove-member",
         "sync": "sync", "repair": "repair", "end": "end", "resume": "resume"}
ACTION_OF = {kind: action for action, kind in KINDS.items()} | {"end-move-folder": "end"}


def retry_action(run) -> str:
    """The action that tries `run` again: the same one for a run queued here; for a run from the command line
    (no arguments kept) the engine's resume, which finishes whatever it left undone."""
    return ACTION_OF[run.kind] if run.params is not None and run.kind in ACTION_OF else "resume"


def init_app(app: Flask) -> None:
    """Register the job on the app's queue; it is not retried by the queue: the kartrekker retries it."""
    app.extensions["ln_jobs"].register(JOB, run_action)


def start(network: Network, action: str, account_id: int | None, **params: Any) -> EngineRun:
    """Queue `action` on `network` as an engine run and hand it to the job queue."""
    kind = "end-move-folder" if action == "end" and params.get("move_folder") else KINDS[action]
    run = EngineRun(network_id=network.id, kind=kind, status=RunState.QUEUED, account_id=account_id, params=params,
                    total=0, done=0, failed=0)
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    job_queue().enqueue(JOB, run_id)
    return db.session.get(EngineRun, run_id)


def run_action(run_id: int) -> None:
    """The job: run the queued engine run `run_id` and end it with what happened, in Dutch."""
    run = db.session.get(EngineRun, run_id)
    if run is None or run.status != RunState.QUEUED:
        return
    app = current_app._get_current_object()
    slug, action = db.session.get(Network, run.network_id).slug, ACTION_OF[run.kind]
    run.status, run.started_at = RunState.RUNNING, utcnow()
    db.session.commit()
    try:
        message = RUNNERS[action](app, slug, run.params or {}, _Recorder(run.id))
    except (engine.LaunchError, phases.PhaseError, members.MemberError, EndFailed) as exc:
        db.session.rollback()
        _finish(run_id, RunState.FAILED, str(exc))
        return
    except Exception as exc:  # the run must end with a message, whatever went wrong
        log.exception("action %s on %s failed", action, slug)
        db.session.rollback()
        _finish(run_id, RunState.FAILED, f"Er ging iets onverwachts mis ({exc.__class__.__name__}). Probeer het "
                                         "opnieuw; blijft het misgaan, vraag dan je beheerder om de logboeken te "
                                         "bekijken.")
        return
    # No message: the engine ran, but some journaled step failed; the progress page names it from the journal.
    _finish(run_id, RunState.FAILED if message is None else RunState.DONE, message)


def _finish(run_id: int, status: str, message: str | None) -> None:
    run = db.session.get(EngineRun, run_id)
    run.status, run.message, run.finished_at = status, message, utcnow()
    if status == RunState.DONE:
        # An action without steps of its own (a sync reads, ending without moving the folder) is one step done.
        run.total = run.total or 1
        run.done = run.total - run.failed
    db.session.commit()
    log.info("action %s on network %s: %s", run.kind, run.network_id, status)


class EndFailed(Exception):
    """Ending ran, but part of it did not reach Nextcloud; the message says what, in Dutch."""


class _Recorder:
    """The progress hook handed to the engine: it names the queued run the engine records into (`run_id`);
    the figures themselves are written by the engine, in its journal commits."""

    def __init__(self, run_id: int):
        self.run_id = run_id

    def __call__(self, step, status: str) -> None:
        """Each step's progress is in the journal already; nothing to keep here."""


def _ok(result) -> bool:
    """Every step of the engine's run finished (a result without a run changed nothing in Nextcloud)."""
    run = getattr(result, "launch", result)
    return run is None or run.ok


def _launch(app, slug, params, progress):
    result = engine.run(app, "launch", slug, progress=progress)
    return "Het netwerk staat klaar in Nextcloud." if _ok(result) else None


def _resume(app, slug, params, progress):
    result = engine.run(app, "resume", slug, progress=progress)
    return "Wat nog openstond, is afgemaakt." if _ok(result) else None


def _advance(app, slug, params, progress):
    result = engine.run(app, "advance", slug, progress=progress)
    if not _ok(result):
        return None
    tasks = sum(result.tasks.values())
    return f"Het netwerk is nu in de fase {result.phase}; {tasks} nieuwe ta(a)k(en) staan klaar."


def _add_member(app, slug, params, progress):
    new = members.NewMember(name=params["name"], email=params["email"], organisation=params["organisation"],
                            user=params.get("user") or None, role=params.get("role", "deelnemer"),
                            expertise=params.get("expertise", ""))
    result = engine.run(app, "add-member", slug, member=new, progress=progress)
    if not _ok(result):
        return None
    notes = " ".join(result.notes)
    return f"{result.member} is toegevoegd ({result.tasks} ta(a)k(en), {result.meetings} uitnodiging(en)). {notes}".strip()


def _remove_member(app, slug, params, progress):
    result = engine.run(app, "remove-member", slug, email=params["email"], progress=progress)
    if not _ok(result):
        return None
    return (f"{result.member} is uit het netwerk gehaald: {result.tasks_removed} open ta(a)k(en) verwijderd, "
            f"{result.tasks_kept} bewaard. " + " ".join(result.notes)).strip()


def _sync(app, slug, params, progress):
    from extension.sync import service

    report = service.sync_network(app, slug)
    return f"Bijgewerkt uit Nextcloud: {report.updated} wijziging(en) gelezen."


def _repair(app, slug, params, progress):
    result = engine.run(app, "repair", slug, progress=progress)
    if not _ok(result):
        return None
    if result.unchecked:
        return "Niet alles kon gecontroleerd worden: " + "; ".join(f.message for f in result.unchecked)
    if not result.findings:
        return "Alles stond nog goed in Nextcloud; er hoefde niets hersteld te worden."
    return f"{len(result.steps)} stap(pen) opnieuw uitgevoerd; alles staat weer goed in Nextcloud."


def _end(app, slug, params, progress):
    result = engine.run(app, "end", slug, move_folder=bool(params.get("move_folder")), progress=progress)
    if not result.ok:
        raise EndFailed("Het netwerk is beëindigd, maar niet alles in Nextcloud is gelukt: "
                        + "; ".join(result.failed) + " Probeer het opnieuw.")
    moved = f" De map staat nu in {result.moved_to}." if result.moved_to else ""
    return "Het netwerk is beëindigd en gearchiveerd." + moved


RUNNERS = {"launch": _launch, "advance": _advance, "add_member": _add_member, "remove_member": _remove_member,
           "sync": _sync, "repair": _repair, "end": _end, "resume": _resume}
