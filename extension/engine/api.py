"""The engine's entry points: `run` for every kind of plan, `dry_run` for its plan, `progress` for a bar."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from flask import Flask
from sqlalchemy import select

from extension.accounts.service import nextcloud_client
from extension.engine.errors import LaunchError
from extension.engine.plan import CONVERSATION_IDENT, Plan, Step, build_plan, conversation_token
from extension.engine.runner import ClientFor, Progress, RunResult, execute, locked, network_status_after
from extension.engine.steps import (CalendarUnshareParams, ConversationCloseParams, MoveParams, ReplyParams,
                                    TaskDoneParams, TreeParams)
from extension.extensions import db
from extension.i18n import Text, load_text
from extension.network_templates import get_template, templates_dir
from extension.networks import naming
from extension.locks import network_busy
from extension.networks.models import EngineRun, KnowledgeTask, Network, NetworkStatus, RunState, StepState
from extension.networks.service import get_network, participating
from extension.organisations.models import utcnow

ENDED = (NetworkStatus.COMPLETED, NetworkStatus.ARCHIVED)

# Every kind of plan `run` knows, with the keyword arguments it takes.
RUN_KINDS = {
    "launch": "launch or relaunch: make what is missing, verify what is done (only=keys: just those steps)",
    "resume": "finish whatever an interrupted run of any kind left undone",
    "advance": "to the next phase, with its tasks",
    "add-member": "member=NewMember",
    "remove-member": "email=str",
    "catch-up": "an organisation that connected late gets what it misses",
    "repair": "findings=list[DriftFinding] | None",
    "end": "move_folder=bool",
    "record-reply": "meeting=str (key), email=str, partstat=str",
    "record-task-done": "task=str (iCalendar UID), done=bool",
}


def template_of(app: Flask, network: Network):
    """The network's template, refused when it changed version since the network was made."""
    template = get_template(network.template_id, templates_dir(app))
    if template.version != network.template_version:
        raise LaunchError(Text("The template '%(id)s' now has version %(version)s; the network was made with "
                               "version %(made)s. Put the old version back or make the network again.",
                               id=template.id, version=template.version, made=network.template_version))
    return template


def plan_launch(app: Flask, slug: str) -> Plan:
    """The plan of a network's launch, without any request (for `--dry-run`)."""
    network = get_network(slug)
    return build_plan(app, network, template_of(app, network))


dry_run = plan_launch


def run(app: Flask, kind: str, slug: str, *, progress: Progress | None = None,
        client_for: ClientFor = nextcloud_client, **arguments) -> Any:
    """Run one plan of `kind` (see RUN_KINDS) on network `slug`, under the network's lock; inside an app
    context. Returns the kind's result (a RunResult, or a result object that holds one as `.launch`)."""
    if kind not in RUN_KINDS:
        raise ValueError(f"unknown plan kind {kind!r}")
    with locked(app, slug):
        return _KINDS[kind](app, slug, progress=progress, client_for=client_for, **arguments)


def desired(app: Flask, network: Network, kind: str, *, verify=False, redo=(), progress=None,
            client_for=nextcloud_client, only=None) -> RunResult:
    """Run the network's desired state (its launch plan) against the journal; renames of resources found
    taken (never adopted) are followed by a new plan, up to three times."""
    notes: list[Text | str] = []
    for _attempt in range(3):
        plan = build_plan(app, network, template_of(app, network))
        # The status change rides in the run's last journal commit (no commit of its own).
        result = execute(app, network, plan, kind, verify=verify, redo=redo, only=only, progress=progress,
                         client_for=client_for, finish=lambda done: network_status_after(network, kind, done))
        notes += [n for n in result.notes if n not in notes]
        if not result.renamed:
            break
    result.notes = notes
    network_status_after(network, kind, result)
    db.session.commit()
    return result


def _launch(app, slug, *, progress, client_for, only=None):
    network = get_network(slug)
    if network.status in ENDED:
        # An ended network's shares were removed on purpose (`network end`); launching would bring them back.
        state = Text("completed") if network.status == NetworkStatus.COMPLETED else Text("archived")
        raise LaunchError(Text("The network '%(name)s' has ended (%(state)s); it is not launched again.",
                               name=network.name, state=state))
    if network.status == NetworkStatus.DRAFT:
        network.status = NetworkStatus.LAUNCHING
    if network.launched_at is None:
        network.launched_at = utcnow()
    # Committed with the run's write-ahead journal, before its first request (no commit of its own).
    return desired(app, network, "launch", verify=True, progress=progress, client_for=client_for, only=only)


def _resume(app, slug, *, progress, client_for):
    network = get_network(slug)
    if network.status in ENDED:
        # The ending to finish is the last one asked for, not the latest run: a resume queued to finish it (the
        # web's Opnieuw proberen) is a run of its own.
        ending = db.session.scalar(select(EngineRun.kind).where(
            EngineRun.network_id == network.id, EngineRun.kind.in_(("end", "end-move-folder")))
            .order_by(EngineRun.id.desc()).limit(1))
        return _end(app, slug, move_folder=ending == "end-move-folder", progress=progress, client_for=client_for)
    kind = "launch" if network.status != NetworkStatus.ACTIVE else "resume"
    return desired(app, network, kind, verify=kind == "launch", progress=progress, client_for=client_for)


def _advance(app, slug, *, progress, client_for):
    from extension.networks.phases import next_phase
    network = get_network(slug)
    result = next_phase(app, network, template_of(app, network))
    result.launch = desired(app, network, "advance", progress=progress, client_for=client_for)
    return result


def _add_member(app, slug, *, member, progress, client_for):
    from extension.networks.members import join
    network = get_network(slug)
    result = join(app, network, member, template_of(app, network))
    if network.status == NetworkStatus.ACTIVE:
        result.launch = desired(app, network, "add-member", progress=progress, client_for=client_for)
        result.meetings = sum(1 for key, value in result.launch.outcomes.items()
                              if "/meeting/" in key and value.get("attendees"))
    return result


def _remove_member(app, slug, *, email, progress, client_for):
    from extension.networks.members import leave
    network = get_network(slug)
    result = leave(network, email)
    if network.launch_steps:
        run_result = desired(app, network, "remove-member", progress=progress, client_for=client_for)
        result.launch = run_result
        names = {o.slug: o.name for o in participating(network)} | {
            m.organisation.slug: m.organisation.name for m in network.memberships}
        names[network.host_organisation.slug] = network.host_organisation.name
        order = ("share", "calendar-share", "tasklist-share", "task", "conversation")
        for key, value in sorted(run_result.outcomes.items(),
                                 key=lambda item: order.index(k) if (k := item[0].split("/")[1]) in order else 9):
            slug, kind = key.split("/")[:2]
            if kind == "task" and value.get("deleted") is False:
                # Completed in Nextcloud meanwhile: kept and counted.
                result.tasks_removed, result.tasks_kept = result.tasks_removed - 1, result.tasks_kept + 1
                continue
            organisation = names.get(slug, slug)
            word = {"share": Text("shared folder '%(folder)s'", folder=network.folder_name),
                    "calendar-share": Text("calendar '%(name)s'", name=network.name),
                    "tasklist-share": Text("task list at %(organisation)s", organisation=organisation),
                    "task": Text("open tasks in the task list at %(organisation)s", organisation=organisation),
                    "conversation": Text("conversation '%(name)s' in Nextcloud Talk", name=network.name)}.get(kind)
            if kind == "conversation" and not value.get("removed"):
                continue
            if word and (kind.endswith("-share") or value.get("removed") or value.get("deleted")) \
                    and word not in result.removed:
                result.removed.append(word)
        result.meetings = sum(1 for key, value in run_result.outcomes.items()
                              if "/meeting/" in key and "attendees" in value)
    return result


def _catch_up(app, slug, *, progress, client_for):
    from extension.networks.phases import started_phases
    from extension.networks.service import add_phase_tasks
    network = get_network(slug)
    if network.status != NetworkStatus.ACTIVE:
        return None
    template = template_of(app, network)
    for phase in started_phases(network):
        add_phase_tasks(network, template, phase)
    db.session.commit()
    return desired(app, network, "catch-up", progress=progress, client_for=client_for)


def _repair(app, slug, *, progress, client_for, findings=None):
    from extension.engine.drift import detect
    from extension.engine.repair import RepairResult, steps_to_repair
    network = get_network(slug)
    if findings is None:
        findings = detect(app, slug, client_for)
    result = RepairResult(slug, findings)
    broken = {f.step_key for f in findings if f.repairable}
    if not broken:
        return result
    plan = build_plan(app, network, template_of(app, network))
    result.steps = steps_to_repair(plan, broken)
    result.launch = desired(app, network, "repair", verify=set(result.steps) - broken, redo=broken,
                            only=result.steps, progress=progress, client_for=client_for)
    return result


@dataclass
class EndResult:
    network: str
    archived: bool = False
    moved_to: str | None = None
    folder_shares_removed: list[str] = field(default_factory=list)
    # Words for people (Text, shown in the reader's language).
    calendar_sharees_removed: list[Text] = field(default_factory=list)
    notes: list[Text | str] = field(default_factory=list)
    failed: list[Text] = field(default_factory=list)
    launch: RunResult | None = None

    @property
    def changed_nextcloud(self) -> bool:
        return bool(self.moved_to or self.folder_shares_removed or self.calendar_sharees_removed)

    @property
    def ok(self) -> bool:
        return not self.failed


def _end(app, slug, *, move_folder=False, progress, client_for):
    """Status archived; with `move_folder` also every share of the folder, the calendar and the task lists
    removed, then the folder moved into the archive (nothing is deleted)."""
    network = get_network(slug)
    result = EndResult(network.slug)
    host = network.host_organisation
    if move_folder and host.connection is None:
        raise LaunchError(Text("The host organisation %(name)s has no working connection with Nextcloud; let "
                               "%(user)s connect (again) first, or end without --move-folder.", name=host.name,
                               user=host.connection_user))
    if network.status != NetworkStatus.ARCHIVED:
        network.status = NetworkStatus.ARCHIVED
        db.session.commit()
        result.archived = True
    if not move_folder:
        return result
    plan = end_plan(network, result)
    run_result = execute(app, network, plan, "end-move-folder", removals=False, progress=progress,
                         client_for=client_for)
    db.session.commit()
    result.launch = run_result
    names = {o.slug: o.name for o in participating(network)}
    for step in plan.steps:
        value = run_result.outcomes.get(step.key) or {}
        organisation = names.get(step.key.split("/")[0], "")
        if step.kind == "unshare-tree":
            result.folder_shares_removed += value.get("removed", [])
        elif step.kind == "unshare-calendar" and value.get("removed"):
            words = "calendar of %(organisation)s: %(names)s" if step.key.endswith("/agenda") else \
                "task list of %(organisation)s: %(names)s"
            result.calendar_sharees_removed.append(Text(words, organisation=organisation,
                                                        names=", ".join(value["removed"])))
        elif step.kind == "move-folder" and value.get("moved"):
            result.moved_to = value["target"]
        elif step.kind == "close-conversation" and value.get("closed"):
            result.notes.append(Text("The conversation in Nextcloud Talk is now called '%(name)s' and can only be "
                                     "read; the participants keep the history.", name=value["name"]))
    for key, error in run_result.failed:
        kind, organisation = key.split("/")[1], names.get(key.split("/")[0], "")
        words = "Folder: %(error)s" if kind in ("unshare-tree", "move-folder") else \
            "Conversation: %(error)s" if kind == "close-conversation" else \
            "Calendar: %(error)s" if key.endswith("/agenda") else "Task list of %(organisation)s: %(error)s"
        result.failed.append(Text(words, organisation=organisation, error=error))
    result.notes += run_result.notes
    return result


def end_plan(network: Network, result: EndResult) -> Plan:
    """Unshare the folder tree, the calendar and each task list; then move the folder into the archive."""
    host = network.host_organisation
    plan = Plan(network.id, [])
    archived = is_archived_folder(network.folder_name)
    name = network.folder_name.split("/", 1)[1] if archived else network.folder_name
    archive = naming.network_folder(naming.ARCHIVE_FOLDER)
    if network.folder_name == naming.ARCHIVE_FOLDER or _claimed(network, naming.ARCHIVE_FOLDER):
        # The archive would be a network's shared folder: what is archived there would be shared again.
        result.failed.append(Text("Folder: '%(archive)s' is the folder of a network; rename that folder and the "
                                  "network first. Nothing was moved.", archive=archive))
    else:
        tree = _step(host, "unshare-tree", "map",
                     Text("Remove the shares of the folder '%(folder)s'", folder=network.folder_name),
                     TreeParams(naming.network_folder(network.folder_name)))
        plan.steps.append(tree)
        if not archived:
            plan.steps.append(_step(host, "move-folder", "map",
                                    Text("Move the folder '%(name)s' into the archive", name=name),
                                    MoveParams(naming.network_folder(name), f"{archive}/{name}", archive,
                                               f"{naming.ARCHIVE_FOLDER}/{name}"), after=(tree.key,)))
    plan.steps.append(_step(host, "unshare-calendar", "agenda",
                            Text("Stop sharing the calendar '%(name)s'", name=network.name),
                            CalendarUnshareParams(network.calendar_uri)))
    token = conversation_token(network)
    if token:
        # The conversation stays with its history and participants, but closed for new messages.
        plan.steps.append(_step(host, "close-conversation", CONVERSATION_IDENT,
                                Text("Close the conversation '%(name)s'", name=network.name),
                                ConversationCloseParams(token, network.name)))
    for organisation in participating(network):
        if not organisation.has_nextcloud:
            continue
        if organisation.connection is None:
            if any(s.kind == "tasklist-share" and s.organisation_id == organisation.id
                   and s.status == StepState.DONE for s in network.launch_steps):
                result.failed.append(Text("Task list of %(organisation)s: the organisation is not connected; the task "
                                          "list stays shared until it is connected and this is run again.",
                                          organisation=organisation.name))
            continue
        plan.steps.append(_step(organisation, "unshare-calendar", "takenlijst",
                                Text("Stop sharing the task list at %(organisation)s", organisation=organisation.name),
                                CalendarUnshareParams(network.tasklist_uri)))
    return plan


def is_archived_folder(folder_name: str) -> bool:
    return folder_name.startswith(f"{naming.ARCHIVE_FOLDER}/")


def _claimed(network: Network, folder_name: str) -> bool:
    """True when another network of the same host has its folder there."""
    return db.session.query(Network.id).filter(
        Network.host_organisation_id == network.host_organisation_id, Network.folder_name == folder_name,
        Network.id != network.id).first() is not None


def _step(organisation, kind: str, ident: str, label: Text, params, after=()) -> Step:
    return Step(key=f"{organisation.slug}/{kind}/{ident}", kind=kind, organisation_id=organisation.id,
                instance=organisation.instance, label=label, params=params, after=tuple(after))


def _record_reply(app, slug, *, meeting: str, email: str, partstat: str, progress, client_for):
    """The attendee's reply kept in the app and written as PARTSTAT into the host's event (no invitation)."""
    network = get_network(slug)
    found = next((m for m in network.meetings if m.key == meeting), None)
    if found is None:
        raise LaunchError(Text("The network '%(name)s' has no meeting '%(meeting)s'.", name=network.name,
                               meeting=meeting))
    email = email.strip().casefold()
    found.replies = {**(found.replies or {}), email: partstat.upper()}
    db.session.commit()
    host = network.host_organisation
    written = any(r.key == f"{host.slug}/meeting/{found.key}" and r.status == StepState.DONE
                  for r in network.launch_steps)
    if not written or host.connection is None:
        return RunResult(network.slug, "record-reply",
                         notes=[Text("The reply is kept; it goes into the calendar as soon as the calendar can be "
                                     "reached.")])
    step = _step(host, "reply", f"{found.key}/{email}",
                 Text("Reply of %(email)s to '%(title)s'", email=email, title=found.title),
                 ReplyParams(network.calendar_uri, found.ical_uid, email, partstat.upper()))
    return execute(app, network, Plan(network.id, [step]), "record-reply", removals=False, redo={step.key},
                   progress=progress, client_for=client_for)


def _record_task_done(app, slug, *, task: str, done: bool, progress, client_for):
    """The task's state kept in the app and written into the VTODO in the task list it lives in."""
    network = get_network(slug)
    found: KnowledgeTask | None = next((t for t in network.tasks if t.ical_uid == task), None)
    if found is None:
        raise LaunchError(Text("The network '%(name)s' has no task '%(task)s'.", name=network.name, task=task))
    now = datetime.now(timezone.utc)
    found.status = "COMPLETED" if done else "NEEDS-ACTION"
    found.completed_at = now if done else None
    found.percent_complete = 100 if done else 0
    db.session.commit()
    organisation = found.organisation
    if found.sync_state != "written" or not found.remote_href or organisation.connection is None:
        return RunResult(network.slug, "record-task-done", notes=[Text("The task was updated in the app.")])
    step = _step(organisation, "task-done", found.ical_uid,
                 Text("Task '%(title)s' of %(assignee)s", title=found.title, assignee=found.assignee_name),
                 TaskDoneParams(network.tasklist_uri, found.ical_uid, found.remote_href, done, now.isoformat()))
    return execute(app, network, Plan(network.id, [step]), "record-task-done", removals=False, redo={step.key},
                   progress=progress, client_for=client_for)


_KINDS: dict[str, Callable[..., Any]] = {
    "launch": _launch, "resume": _resume, "advance": _advance, "add-member": _add_member,
    "remove-member": _remove_member, "catch-up": _catch_up, "repair": _repair, "end": _end,
    "record-reply": _record_reply, "record-task-done": _record_task_done,
}


@dataclass(frozen=True)
class RunProgress:
    """What a progress bar shows of a network's latest run (read from the database only)."""

    run_id: int
    kind: str
    status: str
    done: int
    total: int
    failed: int
    failed_label: Text | str | None  # Text: shown in the reader's language
    failed_error: str | None
    notes: tuple[Text | str, ...]
    message: Any = None  # a Text (translated when shown) or plain text
    params: dict | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", INTERRUPTED)

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return min(100, int(100 * self.done / self.total)) if self.total else 0


# A run recorded as running whose network lease nobody holds: its process was killed (a worker stopped, a
# command interrupted). Running it again finishes it (the journal keeps what was done).
INTERRUPTED = "interrupted"


def progress(network_id: int, run_id: int | None = None) -> RunProgress | None:
    """The latest run of the network (or its run `run_id`), or None when there is none: one indexed query,
    and for a running run one more to see that its process still holds the network's lease."""
    query = select(EngineRun, Network.slug).join(Network, Network.id == EngineRun.network_id).where(
        EngineRun.network_id == network_id)
    if run_id is not None:
        query = query.where(EngineRun.id == run_id)
    found = db.session.execute(query.order_by(EngineRun.id.desc()).limit(1)).first()
    if found is None:
        return None
    run_row, slug = found
    status = run_row.status
    if status == RunState.RUNNING and not network_busy(slug):
        status = INTERRUPTED
    return RunProgress(run_row.id, run_row.kind, status, run_row.done, run_row.total, run_row.failed,
                       load_text(run_row.failed_label), run_row.failed_error,
                       tuple(load_text(note) for note in run_row.notes or ()),
                       load_text(run_row.message),
                       dict(run_row.params) if run_row.params is not None else None)


def unfinished(network: Network, plan: Plan) -> list[str]:
    """Keys of the plan's steps the journal does not have as done."""
    done = {row.key for row in network.launch_steps if row.status == StepState.DONE}
    return [step.key for step in plan.steps if step.key not in done]


__all__ = ["INTERRUPTED", "RUN_KINDS", "EndResult", "RunProgress", "RunResult", "dry_run", "plan_launch", "progress",
           "run", "template_of", "unfinished"]
