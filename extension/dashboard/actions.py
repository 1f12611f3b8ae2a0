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
from extension.engine.runner import locked
from extension.extensions import db
from extension.i18n import Text, dump_text
from extension.jobs import job_queue
from extension.networks import members, phases
from extension.networks.models import EngineRun, Network, RunState, StepState
from extension.networks.service import get_network
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
    app.extensions["ln_jobs"].register(JOB, run_action, networks=_network_of)


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


def _network_of(run_id: int) -> list[str]:
    """The network an action job runs its plan on (the queue's reaper leaves that network to the job)."""
    run = db.session.get(EngineRun, run_id)
    network = db.session.get(Network, run.network_id) if run is not None else None
    return [network.slug] if network is not None else []


def run_action(run_id: int) -> None:
    """The job: run the queued engine run `run_id` and end it with what happened, in Dutch (or English).

    The whole action holds the network's lock (the engine's own runs take it again, re-entrantly), so a run
    recorded as running without the lock held was interrupted (`engine.progress` says so)."""
    run = db.session.get(EngineRun, run_id)
    if run is None or run.status != RunState.QUEUED:
        return
    app = current_app._get_current_object()
    slug, action = db.session.get(Network, run.network_id).slug, ACTION_OF[run.kind]
    try:
        with locked(app, slug):
            _run_locked(app, run, slug, action)
    except engine.Busy as exc:
        db.session.rollback()
        _finish(run_id, RunState.FAILED, str(exc))
    except Exception as exc:
        # Taking the lock (or its database) failed: the run ends as failed rather than stay queued for ever,
        # which would keep the network page waiting and without actions.
        log.exception("action %s on %s could not start", action, slug)
        db.session.rollback()
        _finish(run_id, RunState.FAILED, _unexpected(exc))


def _run_locked(app, run: EngineRun, slug: str, action: str) -> None:
    run_id = run.id
    run.status, run.started_at = RunState.RUNNING, utcnow()
    db.session.commit()
    try:
        message = RUNNERS[action](app, slug, run.params or {}, _Recorder(run_id))
    except EndFailed as exc:
        db.session.rollback()
        _finish(run_id, RunState.FAILED, exc.args[0])
        return
    except (engine.LaunchError, phases.PhaseError, members.MemberError) as exc:
        db.session.rollback()
        _finish(run_id, RunState.FAILED, str(exc))
        return
    except Exception as exc:  # the run must end with a message, whatever went wrong
        log.exception("action %s on %s failed", action, slug)
        db.session.rollback()
        _finish(run_id, RunState.FAILED, _unexpected(exc))
        return
    # No message: the engine ran, but some journaled step failed; the progress page names it from the journal.
    _finish(run_id, RunState.FAILED if message is None else RunState.DONE, message)


def _unexpected(exc: Exception) -> Text:
    return Text("Something unexpected went wrong (%(error)s). Try again; if it keeps going wrong, ask your "
                "administrator to look at the logs.", error=exc.__class__.__name__)


def _finish(run_id: int, status: str, message: Text | str | None) -> None:
    run = db.session.get(EngineRun, run_id)
    run.status, run.message, run.finished_at = status, dump_text(message), utcnow()
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
    return Text("The network is ready in Nextcloud.") if _ok(result) else None


def _resume(app, slug, params, progress):
    result = engine.run(app, "resume", slug, progress=progress)
    return Text("What was still open has been finished.") if _ok(result) else None


UNFINISHED = (StepState.PENDING, StepState.RUNNING, StepState.FAILED)


def already_in(network: Network) -> Text:
    """The answer to a second "next phase" for the phase a network has left already."""
    current = network.current_phase
    return Text("The network is already in the phase %(phase)s; nothing has been changed.",
                phase=current.name if current is not None else "-")


def _advance(app, slug, params, progress):
    left = params.get("phase")
    if left is not None:
        network = get_network(slug)
        if network.current_phase_key != left:
            if any(row.status in UNFINISHED for row in network.launch_steps):
                # Trying a failed advance again: its phase has moved already; finish what it left undone.
                return _resume(app, slug, params, progress)
            # A second click, queued before the first one ran: the network moves one phase only.
            return already_in(network)
    result = engine.run(app, "advance", slug, progress=progress)
    if not _ok(result):
        return None
    tasks = sum(result.tasks.values())
    return Text("The network is now in the phase %(phase)s; %(tasks)s new task(s) are ready.", phase=str(result.phase),
                tasks=tasks)


def _add_member(app, slug, params, progress):
    new = members.NewMember(name=params["name"], email=params["email"], organisation=params["organisation"],
                            user=params.get("user") or None, role=params.get("role", "deelnemer"),
                            expertise=params.get("expertise", ""))
    result = engine.run(app, "add-member", slug, member=new, progress=progress)
    if not _ok(result):
        return None
    return Text("%(member)s has been added (%(tasks)s task(s), %(meetings)s invitation(s)). %(notes)s",
                member=str(result.member), tasks=result.tasks, meetings=result.meetings,
                notes=" ".join(str(note) for note in result.notes))


def _remove_member(app, slug, params, progress):
    result = engine.run(app, "remove-member", slug, email=params["email"], progress=progress)
    if not _ok(result):
        return None
    return Text("%(member)s has left the network: %(removed)s open task(s) removed, %(kept)s kept. %(notes)s",
                member=str(result.member), removed=result.tasks_removed, kept=result.tasks_kept,
                notes=" ".join(str(note) for note in result.notes))


def _sync(app, slug, params, progress):
    from extension.sync import service

    report = service.sync_network(app, slug)
    return Text("Updated from Nextcloud: %(count)s change(s) read.", count=report.updated)


def _repair(app, slug, params, progress):
    result = engine.run(app, "repair", slug, progress=progress)
    if not _ok(result):
        return None
    if result.unchecked:
        return Text("Not everything could be checked: %(what)s",
                    what="; ".join(str(f.message) for f in result.unchecked))
    if not result.findings:
        return Text("Everything was still in place in Nextcloud; nothing needed repairing.")
    return Text("%(count)s step(s) done again; everything is in place in Nextcloud again.", count=len(result.steps))


def _end(app, slug, params, progress):
    result = engine.run(app, "end", slug, move_folder=bool(params.get("move_folder")), progress=progress)
    if not result.ok:
        raise EndFailed(Text("The network has been ended, but not everything in Nextcloud worked: %(failed)s Try "
                             "again.", failed="; ".join(map(str, result.failed))))
    if result.moved_to:
        return Text("The network has been ended and archived. The folder is now in %(folder)s.",
                    folder=result.moved_to)
    return Text("The network has been ended and archived.")


RUNNERS = {"launch": _launch, "advance": _advance, "add_member": _add_member, "remove_member": _remove_member,
           "sync": _sync, "repair": _repair, "end": _end, "resume": _resume}
