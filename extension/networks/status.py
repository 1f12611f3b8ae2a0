"""A network's status read from the database only (never a live Nextcloud call): its launch per phase, the
progress of the knowledge tasks per organisation, the replies to its meetings, the connections needing
attention and the drift found in Nextcloud.

`network_status` returns it as data (dataclasses) for the CLI and the web pages; `describe` prints it in Dutch.
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
from extension.networks import naming
from extension.networks.models import (STEP_DONE, STEP_FAILED, STEP_PENDING, STEP_RUNNING, TASK_APP_ONLY,
                                       TASK_PENDING, TASK_WRITTEN, KnowledgeTask, LaunchStep, Network, as_utc)
from extension.networks.service import get_network, local_zone, participating
from extension.sync.models import CALENDAR, STATE_ERROR, STATE_MISSING, SyncCollection

STEP_WORDS = {STEP_DONE: "klaar", STEP_RUNNING: "onderbroken", STEP_FAILED: "mislukt", STEP_PENDING: "open"}
TASK_WORDS = {TASK_WRITTEN: "in Nextcloud", TASK_PENDING: "wacht op verbinding", TASK_APP_ONLY: "in de app"}
NETWORK_WORDS = {"draft": "concept", "launching": "wordt gestart", "active": "actief", "completed": "afgerond",
                 "archived": "gearchiveerd"}
TODO_WORDS = {"NEEDS-ACTION": "open", "IN-PROCESS": "bezig", "COMPLETED": "klaar", "CANCELLED": "geannuleerd"}
COLLECTION_WORDS = {CALENDAR: "agenda", "tasklist": "takenlijst"}

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
            found.append(Attention(organisation.name, RECONNECT,
                                   f"De verbinding van {organisation.name} met Nextcloud moet opnieuw gemaakt worden"
                                   f"{reason}: laat {organisation.connection_user} opnieuw inloggen. Tot dan wordt "
                                   "daar niets bijgewerkt."))
        elif organisation.connection is None:
            waiting = sum(1 for t in network.tasks if t.organisation_id == organisation.id
                          and t.sync_state == TASK_PENDING)
            found.append(Attention(organisation.name, NOT_CONNECTED,
                                   f"{organisation.name} is nog niet met de app verbonden"
                                   + (f"; {waiting} ta(a)k(en) wachten daarop." if waiting else ".")))
    for collection in collections:
        what = f"De {COLLECTION_WORDS.get(collection.kind, collection.kind)} '{collection.uri}'"
        name = collection.organisation.name
        if collection.state == STATE_MISSING and (collection.kind, name) not in drifted:
            since = as_utc(collection.missing_since)
            found.append(Attention(name, MISSING,
                                   f"{what} van {name} is niet meer te vinden in Nextcloud"
                                   + (f" (sinds {_moment(since)})" if since else "")
                                   + f"; herstel met: lerend-netwerk network repair {network.slug}"))
        elif collection.state == STATE_ERROR and collection.organisation_id not in reconnect:
            found.append(Attention(name, FAILING,
                                   f"{what} van {name} kon {collection.failures} keer niet gesynchroniseerd "
                                   f"worden: {collection.last_error}"))
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
    """A Dutch overview of the network: its resources, per phase its steps, meetings and tasks, then the
    progress per organisation, the meeting replies, what needs attention and the drift."""
    network = get_network(slug)
    today = today or datetime.now(local_zone(current_app)).date()
    state = network_status(slug, today)
    lines = [f"{network.name} ({network.slug}): {NETWORK_WORDS.get(network.status, network.status)}, "
             f"fase {network.current_phase.name if network.current_phase else '-'}",
             f"Gastorganisatie: {network.host_organisation.name}; map "
             f"'{naming.network_folder(network.folder_name)}'; agenda '{network.calendar_uri}'; "
             f"takenlijst '{network.tasklist_uri}'"]
    steps = network.launch_steps
    if not steps:
        lines.append("Nog niet gestart.")
    general = [s for s in steps if s.phase_key is None]
    if general:
        lines.append("Algemeen:")
        lines += [_step_line(s) for s in general]
    for phase in network.phases:
        current = " (huidige fase)" if phase.key == network.current_phase_key else ""
        lines.append(f"Fase {phase.position + 1}. {phase.name}: {phase.starts_on} t/m {phase.ends_on}{current}")
        lines += [_step_line(s) for s in steps if s.phase_key == phase.key and s.kind != "task"]
        unplanned = [m for m in network.meetings if m.phase_id == phase.id
                     and not any(s.kind == "meeting" and s.key.endswith(f"/meeting/{m.key}") for s in steps)]
        lines += [f"  - bijeenkomst '{m.title}' op {m.start:%Y-%m-%d}: nog niet in de agenda" for m in unplanned]
        tasks = [t for t in network.tasks if t.phase_id == phase.id]
        if tasks:
            counts = Counter(TASK_WORDS.get(t.sync_state, t.sync_state) for t in tasks)
            lines.append(f"  Taken: {', '.join(f'{n} {word}' for word, n in sorted(counts.items()))}")
            lines += [f"    - {_task_line(_task_view(t, today))}" for t in tasks]
    if steps:
        totals = Counter(STEP_WORDS.get(s.status, s.status) for s in steps)
        lines.append("Stappen: " + ", ".join(f"{n} {word}" for word, n in sorted(totals.items())))
    lines += _status_lines(state)
    return "\n".join(lines)


def _task_line(view: TaskView) -> str:
    line = f"{view.title} — {view.assignee} ({view.organisation}): {TASK_WORDS.get(view.where, view.where)}, "
    line += TODO_WORDS.get(view.status, view.status)
    if view.done and view.completed_at:
        line += f" op {_moment(view.completed_at)}"
    elif view.percent and not view.done:
        line += f" ({view.percent}%)"
    if view.due_on and not view.done:
        line += f", uiterlijk {view.due_on}" + (" (te laat)" if view.overdue else "")
    if view.renamed_to:
        line += f"; in Nextcloud hernoemd tot '{view.renamed_to}'"
    if view.deleted_at:
        line += f"; verwijderd in Nextcloud op {_moment(view.deleted_at)}"
    return line


def _status_lines(state: NetworkStatus) -> list[str]:
    lines = []
    if state.organisations:
        lines.append("Kennisdeeltaken per organisatie:")
        for org in state.organisations:
            extra = [f"{org.overdue} te laat" if org.overdue else "",
                     f"{org.cancelled} geannuleerd" if org.cancelled else "",
                     f"{org.deleted} verwijderd in Nextcloud" if org.deleted else ""]
            extra = [e for e in extra if e]
            lines.append(f"  {org.organisation}: {org.done} klaar, {org.open} open"
                         + (f" ({', '.join(extra)})" if extra else ""))
    if state.meetings:
        lines.append("Antwoorden op de bijeenkomsten:")
        for meeting in state.meetings:
            head = f"  {meeting.title} op {_moment(meeting.starts_at)}: "
            if meeting.deleted_at:
                lines.append(head + f"verwijderd uit de agenda op {_moment(meeting.deleted_at)}")
            elif not meeting.read_back:
                lines.append(head + "nog niet uit de agenda gelezen")
            else:
                lines.append(head + f"{len(meeting.accepted)} ja, {len(meeting.declined)} nee, "
                             f"{len(meeting.tentative)} misschien, {len(meeting.no_reply)} geen antwoord")
                for word, names in (("ja", meeting.accepted), ("nee", meeting.declined),
                                    ("misschien", meeting.tentative)):
                    if names:
                        lines.append(f"    {word}: {', '.join(names)}")
    if state.attention:
        lines.append("Aandacht nodig:")
        lines += [f"  - {a.message}" for a in state.attention]
    if state.unreadable:
        lines.append("Niet te lezen in Nextcloud (overgeslagen; de rest is bijgewerkt):")
        lines += [f"  - {COLLECTION_WORDS.get(u.kind, u.kind)} '{u.uri}' van {u.organisation}: '{u.href}': {u.reason}"
                  for u in state.unreadable]
    if state.drift:
        lines.append("Afwijkingen in Nextcloud:")
        lines += [f"  - {d.message}" + (f" (herstel: {d.repair})" if d.repair else "") for d in state.drift]
    lines.append("Laatst gesynchroniseerd: "
                 + (_moment(state.last_synced_at) if state.last_synced_at else "nog niet"))
    return lines


def _step_line(step: LaunchStep) -> str:
    word = STEP_WORDS.get(step.status, step.status)
    attempts = f", {step.attempts} pogingen" if step.attempts > 1 else ""
    error = f": {step.last_error}" if step.status == STEP_FAILED and step.last_error else ""
    return f"  [{word}] {step.label}{attempts}{error}"
