"""A network's status read from the database only (never a live Nextcloud call): its launch per phase, the
progress of the knowledge tasks per organisation, the replies to its meetings, the connections needing
attention and the drift found in Nextcloud.

`network_status` returns it as data (dataclasses) for the CLI and the web pages; `describe` prints it in the
language of who asks.
What it shows of Nextcloud is what the last sync cycle read back (extension.sync).
"""
from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from extension.extensions import db
from extension.i18n import Text, load_text, translate
from extension.networks import naming
from extension.networks.models import (STEP_DONE, STEP_FAILED, STEP_PENDING, STEP_RUNNING, TASK_APP_ONLY,
                                       TASK_PENDING, TASK_WRITTEN, KnowledgeTask, LaunchStep, Network, as_utc)
from extension.networks.service import get_network, local_zone, participating
from extension.sync.models import CALENDAR, STATE_ERROR, STATE_MISSING, SyncCollection

# The words for each state, as msgids: `describe` shows them in the language of who asks.
STEP_WORDS = {STEP_DONE: "done", STEP_RUNNING: "interrupted", STEP_FAILED: "failed", STEP_PENDING: "open"}
TASK_WORDS = {TASK_WRITTEN: "in Nextcloud", TASK_PENDING: "waiting for a connection", TASK_APP_ONLY: "in the app"}
NETWORK_WORDS = {"draft": "draft", "launching": "launching", "active": "active", "completed": "completed",
                 "archived": "archived"}
TODO_WORDS = {"NEEDS-ACTION": "open", "IN-PROCESS": "in progress", "COMPLETED": "done", "CANCELLED": "cancelled"}
COLLECTION_WORDS = {CALENDAR: "calendar", "tasklist": "task list"}


def _word(words: dict[str, str], key: str) -> str:
    return translate(words[key]) if key in words else key

# Kinds of attention: the grant is gone, the organisation never connected, a collection is gone or failing.
RECONNECT, NOT_CONNECTED, MISSING, FAILING = "reconnect", "not_connected", "missing", "failing"


@dataclass(frozen=True)
class TaskView:
    """One knowledge task as the Tasks app last showed it; `where` is its sync state (TASK_WORDS)."""

    title: str
    assignee: str
    organisation: str
    phase: str
    where: str
    status: str
    percent: int
    due_on: date | None
    completed_at: datetime | None
    # The SUMMARY when someone changed it in Nextcloud; when the task was found deleted there.
    renamed_to: str | None
    deleted_at: datetime | None
    overdue: bool

    @property
    def done(self) -> bool:
        return self.status == "COMPLETED"


@dataclass(frozen=True)
class OrganisationProgress:
    """Knowledge tasks of one organisation: done, open (not done, not cancelled, not deleted), overdue (open
    and past the due date), cancelled and deleted in Nextcloud while open."""

    organisation: str
    done: int
    open: int
    overdue: int
    cancelled: int
    deleted: int
    tasks: tuple[TaskView, ...]


@dataclass(frozen=True)
class MeetingReplies:
    """Who of the attendees accepted, declined, said maybe or did not answer (names, or e-mail addresses)."""

    title: str
    starts_at: datetime
    accepted: tuple[str, ...]
    declined: tuple[str, ...]
    tentative: tuple[str, ...]
    no_reply: tuple[str, ...]
    # False until a sync has read the meeting from the network calendar.
    read_back: bool
    deleted_at: datetime | None


@dataclass(frozen=True)
class Attention:
    organisation: str
    kind: str
    message: str


@dataclass(frozen=True)
class DriftItem:
    """A resource of the network gone or changed in Nextcloud (extension.engine.drift), with the command
    that puts it back when it can be repaired."""

    kind: str
    organisation: str
    message: str
    repair: str | None = None


@dataclass(frozen=True)
class UnreadableObject:
    """An object in a network's calendar or task list that the sync could not read; the rest was applied."""

    organisation: str
    kind: str
    uri: str
    href: str
    reason: str


@dataclass(frozen=True)
class NetworkStatus:
    slug: str
    name: str
    status: str
    phase: str | None
    organisations: tuple[OrganisationProgress, ...]
    meetings: tuple[MeetingReplies, ...]
    attention: tuple[Attention, ...]
    drift: tuple[DriftItem, ...]
    last_synced_at: datetime | None
    unreadable: tuple[UnreadableObject, ...] = ()


def network_status(slug: str, today: date | None = None, network: Network | None = None) -> NetworkStatus:
    """The network's status as the last sync left it; `today` (in the app's time zone) decides what is overdue.
    A page that has the network loaded already (extension.dashboard.service.load_network) passes it."""
    network = network if network is not None else get_network(slug)
    today = today or datetime.now(local_zone(current_app)).date()
    collections = db.session.scalars(select(SyncCollection).where(SyncCollection.network_id == network.id)
                                     .options(joinedload(SyncCollection.organisation))
                                     .order_by(SyncCollection.kind, SyncCollection.organisation_id)).all()
    synced = [as_utc(c.last_synced_at) for c in collections if c.last_synced_at]
    drift = _drift(network)
    return NetworkStatus(
        slug=network.slug, name=network.name, status=network.status,
        phase=network.current_phase.name if network.current_phase else None,
        organisations=tuple(_progress(network, today)), meetings=tuple(_meetings(network)),
        attention=tuple(_attention(network, collections, drift)), drift=tuple(drift),
        last_synced_at=max(synced) if synced else None,
        unreadable=tuple(UnreadableObject(c.organisation.name, c.kind, c.uri, href, reason)
                         for c in collections for href, reason in sorted((c.unreadable or {}).items())))


def _task_view(task: KnowledgeTask, today: date) -> TaskView:
    # The SUMMARY the launch writes (extension.engine.plan); anything else was typed in Nextcloud.
    written = f"{task.title} ({task.assignee_name})"
    open_ = task.status not in ("COMPLETED", "CANCELLED") and task.deleted_at is None
    return TaskView(
        title=task.title, assignee=task.assignee_name, organisation=task.organisation.name, phase=task.phase.name,
        where=task.sync_state, status=task.status, percent=task.percent_complete or 0, due_on=task.due_on,
        completed_at=as_utc(task.completed_at),
        renamed_to=task.remote_summary if task.remote_summary not in (None, written) else None,
        deleted_at=as_utc(task.deleted_at), overdue=open_ and task.due_on is not None and task.due_on < today)


def _progress(network: Network, today: date) -> list[OrganisationProgress]:
    progress = []
    for organisation in participating(network):
        views = [_task_view(t, today) for t in network.tasks if t.organisation_id == organisation.id]
        if not views:
            continue
        progress.append(OrganisationProgress(
            organisation=organisation.name,
            done=sum(v.done for v in views),
            open=sum(v.status not in ("COMPLETED", "CANCELLED") and v.deleted_at is None for v in views),
            overdue=sum(v.overdue for v in views),
            cancelled=sum(v.status == "CANCELLED" for v in views),
            # A task ticked off before it was deleted still counts as done.
            deleted=sum(v.deleted_at is not None and not v.done for v in views),
            tasks=tuple(views)))
    return progress


def _meetings(network: Network) -> list[MeetingReplies]:
    names = {m.email.casefold(): m.name for m in network.memberships}
    organiser = network.host_organisation.connection_account
    organiser_email = (organiser.email or "").casefold() if organiser else ""
    meetings = []
    for meeting in network.meetings:
        replies = {email.casefold(): str(partstat).upper() for email, partstat in (meeting.replies or {}).items()}
        attendees = list(names) + [e for e in replies if e not in names]
        by_answer: dict[str, list[str]] = {"ACCEPTED": [], "DECLINED": [], "TENTATIVE": [], "": []}
        for email in attendees:
            if email == organiser_email:
                continue
            answer = replies.get(email, "")
            by_answer[answer if answer in by_answer else ""].append(names.get(email, email))
        meetings.append(MeetingReplies(
            title=meeting.title, starts_at=meeting.start, accepted=tuple(by_answer["ACCEPTED"]),
            declined=tuple(by_answer["DECLINED"]), tentative=tuple(by_answer["TENTATIVE"]),
            no_reply=tuple(by_answer[""]), read_back=meeting.etag is not None,
            deleted_at=as_utc(meeting.deleted_at)))
    return meetings


def _attention(network: Network, collections: list[SyncCollection], drift: list[DriftItem]) -> list[Attention]:
    found = []
    # A collection the drift list names already is not repeated here.
    drifted = {(d.kind, d.organisation) for d in drift}
    reconnect = set()
    for organisation in participating(network):
        if not organisation.has_nextcloud:
            continue
        account = organisation.connection_account
        if account is not None and account.needs_reconnect:
            reconnect.add(organisation.id)
            reason = f" ({account.status_reason})" if account.status_reason else ""
            found.append(Attention(organisation.name, RECONNECT, Text(
                "The connection of %(name)s with Nextcloud has to be made again%(reason)s: let %(user)s sign in "
                "again. Until then nothing is updated there.", name=organisation.name, reason=reason,
                user=organisation.connection_user)))
        elif organisation.connection is None:
            waiting = sum(1 for t in network.tasks if t.organisation_id == organisation.id
                          and t.sync_state == TASK_PENDING)
            found.append(Attention(organisation.name, NOT_CONNECTED, Text(
                "%(name)s is not connected with the app yet; %(count)s task(s) wait for that.", name=organisation.name,
                count=waiting) if waiting else Text("%(name)s is not connected with the app yet.",
                                                    name=organisation.name)))
    for collection in collections:
        what = Text("The calendar '%(uri)s'", uri=collection.uri) if collection.kind == CALENDAR else \
            Text("The task list '%(uri)s'", uri=collection.uri)
        name = collection.organisation.name
        if collection.state == STATE_MISSING and (collection.kind, name) not in drifted:
            since = as_utc(collection.missing_since)
            found.append(Attention(name, MISSING, Text(
                "%(what)s of %(name)s cannot be found in Nextcloud any more%(since)s; repair with: %(command)s",
                what=what, name=name, since=Text(" (since %(moment)s)", moment=_moment(since)) if since else "",
                command=f"lerend-netwerk network repair {network.slug}")))
        elif collection.state == STATE_ERROR and collection.organisation_id not in reconnect:
            found.append(Attention(name, FAILING, Text(
                "%(what)s of %(name)s could not be synchronised %(count)s time(s): %(error)s", what=what, name=name,
                count=collection.failures, error=collection.last_error)))
    return found


def _drift(network: Network) -> list[DriftItem]:
    """The drift the last check journaled (extension.engine.drift, when installed), from the database only."""
    try:
        drift = importlib.import_module("extension.engine.drift")
    except ModuleNotFoundError as exc:
        if exc.name != "extension.engine.drift":
            raise
        return []
    stored = getattr(drift, "stored_findings", None)
    if stored is None:
        return []
    repair = f"lerend-netwerk network repair {network.slug}"
    return [DriftItem(finding.kind, finding.organisation, finding.message,
                      repair if getattr(finding, "repairable", True) else None) for finding in stored(network)]


def _moment(moment: datetime) -> str:
    return moment.astimezone(local_zone(current_app)).strftime("%Y-%m-%d %H:%M %Z")


def describe(slug: str, today: date | None = None) -> str:
    """An overview of the network in the language of who asks: its resources, per phase its steps, meetings
    and tasks, then the progress per organisation, the meeting replies, what needs attention and the drift."""
    _ = translate
    network = get_network(slug)
    today = today or datetime.now(local_zone(current_app)).date()
    state = network_status(slug, today)
    lines = [_("%(name)s (%(slug)s): %(status)s, phase %(phase)s", name=network.name, slug=network.slug,
               status=_word(NETWORK_WORDS, network.status),
               phase=network.current_phase.name if network.current_phase else "-"),
             _("Host organisation: %(host)s; folder '%(folder)s'; calendar '%(calendar)s'; task list '%(tasklist)s'",
               host=network.host_organisation.name, folder=naming.network_folder(network.folder_name),
               calendar=network.calendar_uri, tasklist=network.tasklist_uri)]
    steps = network.launch_steps
    if not steps:
        lines.append(_("Not launched yet."))
    general = [s for s in steps if s.phase_key is None]
    if general:
        lines.append(_("General:"))
        lines += [_step_line(s) for s in general]
    for phase in network.phases:
        current = _(" (current phase)") if phase.key == network.current_phase_key else ""
        lines.append(_("Phase %(number)s. %(name)s: %(start)s to %(end)s%(current)s", number=phase.position + 1,
                       name=phase.name, start=phase.starts_on, end=phase.ends_on, current=current))
        lines += [_step_line(s) for s in steps if s.phase_key == phase.key and s.kind != "task"]
        unplanned = [m for m in network.meetings if m.phase_id == phase.id
                     and not any(s.kind == "meeting" and s.key.endswith(f"/meeting/{m.key}") for s in steps)]
        lines += [_("  - meeting '%(title)s' on %(day)s: not in the calendar yet", title=m.title,
                    day=f"{m.start:%Y-%m-%d}") for m in unplanned]
        tasks = [t for t in network.tasks if t.phase_id == phase.id]
        if tasks:
            counts = Counter(_word(TASK_WORDS, t.sync_state) for t in tasks)
            lines.append(_("  Tasks: %(counts)s",
                           counts=", ".join(f"{n} {word}" for word, n in sorted(counts.items()))))
            lines += [f"    - {_task_line(_task_view(t, today))}" for t in tasks]
    if steps:
        totals = Counter(_word(STEP_WORDS, s.status) for s in steps)
        lines.append(_("Steps: %(counts)s", counts=", ".join(f"{n} {word}" for word, n in sorted(totals.items()))))
    lines += _status_lines(state)
    return "\n".join(lines)


def _task_line(view: TaskView) -> str:
    _ = translate
    line = f"{view.title} — {view.assignee} ({view.organisation}): {_word(TASK_WORDS, view.where)}, "
    line += _word(TODO_WORDS, view.status)
    if view.done and view.completed_at:
        line += _(" on %(moment)s", moment=_moment(view.completed_at))
    elif view.percent and not view.done:
        line += f" ({view.percent}%)"
    if view.due_on and not view.done:
        line += _(", due %(day)s", day=view.due_on) + (_(" (overdue)") if view.overdue else "")
    if view.renamed_to:
        line += _("; renamed in Nextcloud to '%(title)s'", title=view.renamed_to)
    if view.deleted_at:
        line += _("; deleted in Nextcloud on %(moment)s", moment=_moment(view.deleted_at))
    return line


def _status_lines(state: NetworkStatus) -> list[str]:
    _ = translate
    lines = []
    if state.organisations:
        lines.append(_("Knowledge-sharing tasks per organisation:"))
        for org in state.organisations:
            extra = [_("%(count)s overdue", count=org.overdue) if org.overdue else "",
                     _("%(count)s cancelled", count=org.cancelled) if org.cancelled else "",
                     _("%(count)s deleted in Nextcloud", count=org.deleted) if org.deleted else ""]
            extra = [e for e in extra if e]
            lines.append(_("  %(organisation)s: %(done)s done, %(open)s open", organisation=org.organisation,
                           done=org.done, open=org.open) + (f" ({', '.join(extra)})" if extra else ""))
    if state.meetings:
        lines.append(_("Replies to the meetings:"))
        for meeting in state.meetings:
            head = _("  %(title)s on %(moment)s: ", title=meeting.title, moment=_moment(meeting.starts_at))
            if meeting.deleted_at:
                lines.append(head + _("deleted from the calendar on %(moment)s", moment=_moment(meeting.deleted_at)))
            elif not meeting.read_back:
                lines.append(head + _("not read from the calendar yet"))
            else:
                lines.append(head + _("%(yes)s yes, %(no)s no, %(maybe)s maybe, %(none)s no reply",
                                      yes=len(meeting.accepted), no=len(meeting.declined),
                                      maybe=len(meeting.tentative), none=len(meeting.no_reply)))
                for word, names in ((_("yes"), meeting.accepted), (_("no"), meeting.declined),
                                    (_("maybe"), meeting.tentative)):
                    if names:
                        lines.append(f"    {word}: {', '.join(names)}")
    if state.attention:
        lines.append(_("Needs attention:"))
        lines += [f"  - {a.message}" for a in state.attention]
    if state.unreadable:
        lines.append(_("Not readable in Nextcloud (skipped; the rest was updated):"))
        lines += [_("  - %(kind)s '%(uri)s' of %(organisation)s: '%(href)s': %(reason)s",
                    kind=_word(COLLECTION_WORDS, u.kind), uri=u.uri, organisation=u.organisation, href=u.href,
                    reason=u.reason) for u in state.unreadable]
    if state.drift:
        lines.append(_("Differences in Nextcloud:"))
        lines += [f"  - {d.message}" + (_(" (repair: %(command)s)", command=d.repair) if d.repair else "")
                  for d in state.drift]
    lines.append(_("Last synchronised: %(moment)s",
                   moment=_moment(state.last_synced_at) if state.last_synced_at else _("not yet")))
    return lines


def _step_line(step: LaunchStep) -> str:
    word = _word(STEP_WORDS, step.status)
    attempts = translate(", %(count)s attempts", count=step.attempts) if step.attempts > 1 else ""
    error = f": {load_text(step.last_error)}" if step.status == STEP_FAILED and step.last_error else ""
    return f"  [{word}] {load_text(step.label)}{attempts}{error}"
