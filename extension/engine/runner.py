"""The runner: diffs a plan with the journal and runs the difference, journaled, in parallel by dependency.

A planned step the journal does not have as done is made; a done step whose parameters changed (a member
added to a calendar share, an attendee removed from a meeting) is updated; a journaled step the plan no
longer has becomes its removal (unshare, withdraw a task); a done step is only verified with reads when the
run asks for it (a relaunch, a repair). Every step is idempotent and marked `running` in the journal
before its first request goes out, so a run killed at any point is finished by running it again — and a
first creation that finds its folder or calendar already there while the journal never started it knows
the resource is not this installation's: it takes the next free name instead of adopting it.

The journal is written in batches: the run's first commit marks every step it will make as started (before
any request), then what finished is committed at most every JOURNAL_INTERVAL, while the next requests are
in flight (extension.engine.fanout), and the last commit closes the run. The calling thread owns the
database; the workers only talk HTTP (their tokens come from BearerAuth, which reads the store once every
few seconds, not per request).
"""
from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable, Collection

from flask import Flask

from connectors.errors import NextcloudError
from extension.accounts.models import Account
from extension.accounts.service import nextcloud_client
from extension.engine.errors import Busy, LaunchError
from extension.engine.fanout import Outcome, walk
from extension.engine.plan import Plan, Step
from extension.engine.steps import KINDS, StepContext, Taken, params_json
from extension.extensions import db
from extension.i18n import Text, dump_text, load_text
from extension.locks import LockBusy, network_lock
from extension.networks.models import (TASK_WRITTEN, EngineRun, KnowledgeTask, LaunchStep, Network, NetworkStatus,
                                       RunState, StepState)
from extension.organisations.models import Organisation, utcnow
from extension.sync.service import forget_token

log = logging.getLogger(__name__)

# Progress statuses: a step started, made what was missing, found everything in place, or failed.
RUNNING, DONE, VERIFIED, FAILED = "running", "done", "verified", "failed"

Progress = Callable[[Step, str], None]
ClientFor = Callable[[Flask, Account], Any]

# Test hook: the process kills itself (SIGKILL) right after its n-th journal commit, so the kill tests
# stop a run at every step boundary without timing. `_commits` counts this process's journal commits.
KILL_AFTER_ENV = "LN_ENGINE_KILL_AFTER"
# Seconds between journal commits while steps finish (each commit also moves a progress bar).
JOURNAL_INTERVAL = 0.25
_commits = [0]


# LaunchStep.label and EngineRun.failed_label: a label is kept as its msgid and values (dump_text), fitted.
LABEL_LENGTH = 600

# Kinds that record an action rather than something that must go on existing: forgotten once done.
ONE_OFF = ("reply", "task-done")


class Mode(StrEnum):
    MAKE = "make"
    UPDATE = "update"
    VERIFY = "verify"
    REMOVE = "remove"


@dataclass
class Work:
    step: Step
    mode: Mode
    row: LaunchStep
    attempted: bool = False
    previous: dict | None = None

    @property
    def key(self) -> str:
        return self.step.key

    @property
    def instance(self) -> str:
        return self.step.instance


@dataclass
class RunResult:
    network: str
    kind: str
    steps: int = 0
    done: int = 0
    verified: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[Text | str] = field(default_factory=list)  # each shown in the reader's language
    run_id: int | None = None
    outcomes: dict[str, dict] = field(default_factory=dict)
    renamed: list[Taken] = field(default_factory=list)

    @property
    def not_run(self) -> int:
        return self.steps - self.done - self.verified - len(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed and self.not_run == 0


def locked(app: Flask, slug: str):
    """The network's lock (extension.locks) for one run; a second run at the same time is refused (in
    the language of whoever asked) before it journals anything."""
    from contextlib import contextmanager

    @contextmanager
    def hold():
        try:
            with network_lock(slug, wait=float(app.config.get("NETWORK_LOCK_WAIT", 0)),
                              ttl=float(app.config.get("NETWORK_LOCK_TTL", 30))):
                yield
        except LockBusy:
            raise Busy(Text("An action on the network '%(slug)s' is running already (launching, updating or "
                            "ending). Wait until it has finished and then try again.", slug=slug)) from None
    return hold()


def execute(app: Flask, network: Network, plan: Plan, kind: str, *, verify: bool | Collection[str] = False,
            redo: Collection[str] = (), only: Collection[str] | None = None, removals: bool = True,
            progress: Progress | None = None, client_for: ClientFor = nextcloud_client,
            finish: Callable[[RunResult], None] | None = None) -> RunResult:
    """Run `plan` against the journal of `network` (see the module docstring); call with the network's lock.

    `verify` (True, or keys) makes done steps be checked with reads; `redo` keys are made again; `only`
    limits the run to those keys; `removals` turns journaled steps the plan dropped into their removal;
    `finish(result)` changes what else the run's outcome means (the network's status) in its last commit.
    """
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False  # this run is the network's only writer
    try:
        return _execute(app, network, plan, kind, verify, redo, only, removals, progress, client_for, finish)
    finally:
        session.expire_on_commit = expire


def _execute(app, network, plan, kind, verify, redo, only, removals, progress, client_for, finish) -> RunResult:
    result = RunResult(network.slug, kind, notes=list(plan.notes))
    journal = {row.key: row for row in network.launch_steps}
    planned = plan.by_key()
    for key, row in list(journal.items()):
        # A step planned once and never started (a renamed folder's, a member's removed before the run).
        if key not in planned and row.status == StepState.PENDING:
            network.launch_steps.remove(row)
            del journal[key]
    work = _diff(network, plan, journal, verify, set(redo), only, removals)
    run = _queued_run(network, progress)
    if run is None:
        run = EngineRun(network_id=network.id, kind=kind)
        db.session.add(run)
    run.status, run.total, run.done, run.failed = RunState.RUNNING, len(work), 0, 0
    run.notes = [dump_text(note) for note in result.notes]
    run.failed_label = run.failed_error = None
    db.session.flush()
    result.run_id, result.steps = run.id, len(work)
    prior = {}
    for item in work:
        item.row.run_id = run.id
        if item.mode != Mode.VERIFY:
            # Write-ahead, in the run's first commit: any of these requests may land from now on.
            prior[item.key] = item.row.status
            item.row.attempts += 1
            item.row.status = StepState.RUNNING
    _commit()

    organisations = {o.id: o for o in db.session.query(Organisation).filter(
        Organisation.id.in_({w.step.organisation_id for w in work}))}
    clients = {oid: client_for(app, o.connection) for oid, o in organisations.items()}
    host_account = network.host_organisation.connection
    context = StepContext({"organiser_email": host_account.email if host_account else None,
                           "organiser_name": host_account.display_name if host_account else None})
    renamed: list[Taken] = []
    refused_lists: list[tuple[Work, Taken]] = []

    def run_one(item: Work) -> dict:
        kind_of = KINDS[item.step.kind]
        client = clients[item.step.organisation_id]
        if item.mode == Mode.VERIFY:
            problem = kind_of.verify(client, item.step.params, context)
            if problem is None:
                return {"verified": True}
        return kind_of.execute(client, item.step.params, context, attempted=item.attempted or item.mode != Mode.MAKE,
                               previous=item.previous)

    def started(batch: list[Work]) -> None:
        if progress is not None:
            for item in batch:
                progress(item.step, RUNNING)

    last_commit = [time.monotonic()]
    unjournaled = [False]

    def settle() -> None:
        """Journal what finished, in batches: at most one commit per JOURNAL_INTERVAL (a progress bar's pace),
        also while the walk waits on a slow request, so the journal's transaction never stays open for it (on
        SQLite it holds the database's write lock: every other writer would wait); a step finished but not yet
        journaled is only verified again after a crash."""
        if unjournaled[0] and time.monotonic() - last_commit[0] >= JOURNAL_INTERVAL:
            _commit()
            last_commit[0], unjournaled[0] = time.monotonic(), False

    def finished(item: Work, outcome: Outcome) -> None:
        unjournaled[0] = True
        row = item.row
        if outcome.ok:
            value = dict(outcome.value or {})
            verified = value.pop("verified", False)
            notes = value.get("note") or ()
            for note in map(load_text, [notes] if isinstance(notes, str) else notes):
                if note not in result.notes:
                    result.notes.append(note)  # a step's word for the run's result (no Talk, …), dump_text
            _apply(network, item, value)
            if not verified and item.mode != Mode.REMOVE:
                # Made now, not found in place: a (re)created collection's stored sync token is void.
                forget_token(network.id, row.organisation_id, item.step.kind)
            result.outcomes[item.key] = value
            status = VERIFIED if verified else DONE
            setattr(result, status, getattr(result, status) + 1)
            run.done += 1
        else:
            error = outcome.error
            if isinstance(error, Taken):
                # A first creation that found its name taken stays a first creation (not counted as tried),
                # so that no later run adopts what it found there.
                row.attempts -= 1
            if isinstance(error, Taken) and item.step.kind == "tasklist":
                # One name for the network's task lists in every organisation: settled once the run is over.
                refused_lists.append((item, error))
                row.status, row.last_error = StepState.FAILED, str(error)
                error = None
            if error is None:
                status = FAILED
            elif isinstance(error, Taken):
                renamed.append(error)
                _rename(network, item, error)
                result.notes.append(error.args[0])  # a Text
                row.status, row.last_error = StepState.PENDING, None
                result.steps -= 1
                run.total -= 1
                status = FAILED
            else:
                message = _message(error)
                if not isinstance(error, (NextcloudError, LaunchError, ValueError)):
                    log.error("step %s failed unexpectedly", item.key, exc_info=error)
                else:
                    log.warning("step %s failed: %s", item.key, message)
                row.status, row.last_error = StepState.FAILED, message
                result.failed.append((item.key, message))
                run.failed += 1
                if run.failed_label is None:
                    run.failed_label, run.failed_error = dump_text(item.step.label, LABEL_LENGTH), message
                status = FAILED
        if progress is not None and not isinstance(outcome.error, Taken):
            progress(item.step, status)

    if progress is not None and hasattr(progress, "start"):
        progress.start(len(work))  # a progress display that wants the total first
    limit = int(app.config.get("MAX_PARALLEL_REQUESTS", 4))
    try:
        outcomes = walk(work, run_one, limit=limit, after=lambda item: item.step.after,
                        weight=lambda item: item.step.requests, started=started, finished=finished, settle=settle,
                        settle_every=JOURNAL_INTERVAL)
    except BaseException:
        # The progress display or the database failed: keep what the journal learned, then let it go up.
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
        raise
    for item in work:
        if item.key in prior and item.key not in outcomes and item.row in db.session:
            # Never started: a step it needs failed; it waits as it was.
            item.row.status = prior[item.key]
            item.row.attempts -= 1
    if refused_lists:
        _settle_refused_lists(network, refused_lists, result, run, renamed)
    if _queued_run(network, progress) is None:
        # A run queued by the web app is ended by its job, which adds the outcome in words (and may run again).
        run.status = RunState.DONE if result.ok else RunState.FAILED
        run.finished_at = utcnow()
    run.notes = [dump_text(note) for note in result.notes]
    if finish is not None:
        finish(result)
    _commit()
    result.renamed = renamed
    log.info("%s of %s: %d done, %d verified, %d failed, %d not run", kind, network.slug, result.done,
             result.verified, len(result.failed), result.not_run)
    return result


def _queued_run(network: Network, progress) -> EngineRun | None:
    """The run row a caller queued for this run (`progress.run_id`, extension.dashboard.actions): the engine
    records into it instead of a row of its own, so a progress bar follows the one record it showed first."""
    run_id = getattr(progress, "run_id", None)
    if run_id is None:
        return None
    run = db.session.get(EngineRun, run_id)
    return run if run is not None and run.network_id == network.id else None


def _diff(network: Network, plan: Plan, journal: dict[str, LaunchStep], verify, redo: set[str],
          only: Collection[str] | None, removals: bool) -> list[Work]:
    work: list[Work] = []
    chosen = set(only) if only is not None else None
    for position, step in enumerate(plan.steps):
        if chosen is not None and step.key not in chosen:
            continue
        kind_of = KINDS[step.kind]
        digest = kind_of.digest(step.params)
        row = journal.get(step.key)
        if row is None:
            row = journal[step.key] = LaunchStep(network=network, key=step.key, status=StepState.PENDING, attempts=0)
            db.session.add(row)
        row.kind, row.organisation_id, row.phase_key, row.position = (step.kind, step.organisation_id,
                                                                      step.phase_key, position)
        row.label, row.planned_requests = dump_text(step.label, LABEL_LENGTH), step.requests
        if row.status != StepState.DONE:
            if row.params is None or row.status == StepState.PENDING:
                row.params, row.digest = params_json(step.params), digest
            previous = row.params if row.status in (StepState.RUNNING, StepState.FAILED, StepState.DRIFT) else None
            work.append(Work(step, Mode.MAKE, row, attempted=row.attempts > 0 or row.status == StepState.DRIFT,
                             previous=previous if kind_of.updatable else None))
        elif step.key in redo:
            work.append(Work(step, Mode.MAKE, row, attempted=True, previous=row.params))
        elif kind_of.updatable and step.updatable and row.digest and digest != row.digest:
            work.append(Work(step, Mode.UPDATE, row, attempted=True, previous=row.params))
        elif verify is True or (verify and step.key in verify):
            work.append(Work(step, Mode.VERIFY, row, attempted=True))
    if removals and chosen is None:
        for key, row in journal.items():
            if key in plan.by_key() or row.status == StepState.PENDING or row.kind not in KINDS or not row.params:
                continue
            organisation = row.organisation
            if organisation is None or organisation.connection is None:
                continue  # its steps come back when it reconnects
            removal = KINDS[row.kind].removal(row.params, row.result)
            if removal is None:
                continue
            name, params = removal
            step = Step(key=key, kind=name, organisation_id=organisation.id, instance=organisation.instance,
                        label=Text("Undo: %(label)s", label=load_text(row.label)), params=params)
            work.append(Work(step, Mode.REMOVE, row, attempted=True))
    return work


def _apply(network: Network, item: Work, value: dict) -> None:
    """What a finished step means for the journal and the domain rows (calling thread)."""
    row, step = item.row, item.step
    if item.mode == Mode.REMOVE:
        if step.kind == "withdraw-task" and not value.get("deleted"):
            # Completed in Nextcloud before the sync saw it: kept, and counted as done for the organisation.
            task = _task(network, value["uid"])
            if task is not None:
                task.status, task.sync_state, task.membership = value["status"], TASK_WRITTEN, None
                task.completed_at = _moment(value.get("completed_at"))
            row.status = StepState.DONE
            return
        if step.kind == "withdraw-task":
            task = _task(network, value["uid"])
            if task is not None and task.sync_state == "withdrawn":
                network.tasks.remove(task)
        network.launch_steps.remove(row)
        return
    if step.kind in ONE_OFF:
        network.launch_steps.remove(row)
        return
    row.status, row.last_error, row.finished_at = StepState.DONE, None, utcnow()
    row.params, row.digest = params_json(step.params), KINDS[step.kind].digest(step.params)
    if item.mode != Mode.VERIFY or row.result is None or value:  # value: made again (a conversation's new token)
        row.result = value
    if step.kind == "organiser" and "email" in value:
        account = network.host_organisation.connection
        account.email, account.display_name = value["email"], value["display_name"]
    elif step.kind == "task" and "href" in value:
        task = _task(network, value["uid"])
        if task is not None:
            task.sync_state, task.remote_href = TASK_WRITTEN, value["href"]
    elif step.kind == "move-folder" and value.get("moved"):
        network.folder_name = value["folder_name"]


def _rename(network: Network, item: Work, taken: Taken) -> None:
    """A first creation found a resource this installation did not make: the network takes the free name."""
    step = item.step
    if step.kind == "folder":
        network.folder_name = taken.free
    elif step.kind == "calendar":
        network.calendar_uri = taken.free
    elif step.kind == "tasklist":
        network.tasklist_uri = taken.free


def _settle_refused_lists(network: Network, refused: list[tuple[Work, Taken]], result: RunResult, run: EngineRun,
                          renamed: list[Taken]) -> None:
    """Task lists whose first creation found the name taken by something this installation did not make.

    While no organisation holds a task list this installation made (or may have made) under the current
    name, the network's task list name moves to a free one in every organisation; otherwise one list
    cannot move alone and each refusal says what to do. Either way nothing found is adopted."""
    mine = [row for row in network.launch_steps if row.kind == "tasklist"
            and all(row is not item.row for item, _ in refused)
            and (row.status == StepState.DONE or row.attempts > 0)]
    if not mine:
        taken = max((t for _, t in refused), key=lambda t: _number(t.free))
        network.tasklist_uri = taken.free
        renamed.append(taken)
        result.notes.append(taken.args[0])
        for item, _ in refused:
            item.row.status, item.row.last_error = StepState.PENDING, None
            result.steps -= 1
            run.total -= 1
        return
    for item, taken in refused:
        message = str(Text("The task list '%(name)s' exists already and was not made by this installation; "
                           "rename or delete it in Nextcloud and try again.", name=taken.name))
        log.warning("step %s failed: %s", item.key, message)
        item.row.status, item.row.last_error = StepState.FAILED, message
        result.failed.append((item.key, message))
        run.failed += 1
        if run.failed_label is None:
            run.failed_label, run.failed_error = dump_text(item.step.label, LABEL_LENGTH), message


def _number(uri: str) -> int:
    """The N of a free name `<uri>-N`."""
    tail = uri.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _task(network: Network, uid: str) -> KnowledgeTask | None:
    return next((t for t in network.tasks if t.ical_uid == uid), None)


def _moment(text: str | None):
    from datetime import datetime
    return datetime.fromisoformat(text) if text else None


def _message(error: BaseException) -> str:
    if isinstance(error, (NextcloudError, LaunchError, ValueError)):
        return str(error)
    return f"{error.__class__.__name__}: {error}"


def _commit() -> None:
    db.session.commit()
    _commits[0] += 1
    limit = os.environ.get(KILL_AFTER_ENV)
    if limit and _commits[0] >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)


def network_status_after(network: Network, kind: str, result: RunResult) -> None:
    """A launch that made everything makes a draft or launching network active."""
    if kind == "launch" and result.ok and network.status in (NetworkStatus.DRAFT, NetworkStatus.LAUNCHING):
        network.status = NetworkStatus.ACTIVE
