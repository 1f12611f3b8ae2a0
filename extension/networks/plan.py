"""The launch plan: every idempotent step of a launch, in order, with its key, Nextcloud instance and cost.

The plan is computed from the database and the template only (no request is made), so the same network
always gives the same keys: the journal (LaunchStep) matches a relaunch's steps to the earlier run's.
Order matters only within one instance (a folder before its documents and shares, a calendar before its
shares and meetings); instances are independent, which is what lets the engine run them in parallel.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from flask import Flask
from sqlalchemy import func, select

from connectors.ical import TODO_STATUSES
from connectors.ocs import PERMISSION_ALL, PERMISSION_CREATE, PERMISSION_DELETE, PERMISSION_READ, \
    PERMISSION_UPDATE, SHARE_FEDERATED, SHARE_USER
from extension.extensions import db
from extension.network_templates import Template, render_document
from extension.networks import naming
from extension.networks.documents import document_context
from extension.networks.models import TASK_PENDING, TASK_WRITTEN, Membership, Network, as_utc
from extension.networks.service import participating
from extension.organisations.models import Organisation

# Members may read, change, add and remove documents, but not reshare outside the network; the kartrekker
# gets every right, resharing included (reference §4.1 permission bits).
MEMBER_PERMISSIONS = PERMISSION_READ | PERMISSION_UPDATE | PERMISSION_CREATE | PERMISSION_DELETE
KARTREKKER_PERMISSIONS = PERMISSION_ALL

CALENDAR_COLOR = "#0082C9"
CALENDAR_QUOTA = 30  # calendars and subscriptions per account, Nextcloud's default (reference §6.2)
TASKLIST_COLOR = "#2E7D32"

# Requests a step makes on a first run, when nothing exists yet (token refreshes not counted). A step
# that finds its resource already there (after a crash) may make a read or two more.
REQUESTS: dict[str, int] = {
    "organiser": 1,       # GET cloud/user: the e-mail ORGANIZER must carry (reference §6.8)
    "folder": 1,          # MKCOL
    "document": 1,        # PUT If-None-Match: *
    "share": 2,           # GET shares + POST (reference §4.3)
    "calendar": 1,        # MKCALENDAR
    "calendar-share": 3,  # PROPFIND + POST + PROPFIND to verify (reference §6.6)
    "meeting": 1,         # PUT If-None-Match: *
    "tasklist": 1,
    "tasklist-share": 3,
    "task": 1,
}


class LaunchError(Exception):
    """The network cannot be launched as it stands; the message (Dutch) says what to fix."""


@dataclass(frozen=True)
class Step:
    """One idempotent step: run by `organisation_id`'s connection on the Nextcloud at `instance`."""

    key: str
    kind: str
    organisation_id: int
    instance: str
    label: str
    phase_key: str | None = None
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def requests(self) -> int:
        return REQUESTS[self.kind]


@dataclass
class Plan:
    network_id: int
    steps: list[Step]
    notes: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(step.requests for step in self.steps)

    @property
    def verify_requests(self) -> int:
        """Reads a relaunch makes when every step is done (extension.networks.steps): one listing per folder,
        one share listing per path, one sharee read per calendar, one sync (REPORT + multiget) per calendar."""
        reads = set()
        for step in self.steps:
            p, org = step.params, step.organisation_id
            if step.kind in ("folder", "document"):
                reads.add((org, "files", p["path"].rpartition("/")[0]))
            elif step.kind == "share":
                reads.add((org, "shares", p["path"]))
            elif step.kind in ("calendar", "tasklist", "calendar-share", "tasklist-share"):
                reads.add((org, "sharees", p["uri"]))
            elif step.kind in ("meeting", "task"):
                reads |= {(org, "sync", p["uri"]), (org, "multiget", p["uri"])}
            else:
                reads.add((org, step.kind))
        return len(reads)

    def by_instance(self) -> dict[str, list[Step]]:
        """The steps of each instance, in plan order."""
        groups: dict[str, list[Step]] = {}
        for step in self.steps:
            groups.setdefault(step.instance, []).append(step)
        return groups


def connection_of(organisation: Organisation):
    """The organisation connection account when it can be used now, else None."""
    account = organisation.connection_account
    if not organisation.has_nextcloud or account is None or account.needs_reconnect:
        return None
    return account


def build_plan(app: Flask, network: Network, template: Template) -> Plan:
    """The steps that make `network` exist in every organisation's Nextcloud (see DESIGN "Launch")."""
    host = network.host_organisation
    account = connection_of(host)
    if account is None:
        raise LaunchError(f"De gastorganisatie {host.name} heeft geen werkende verbinding met Nextcloud; "
                          f"laat {host.connection_user} eerst (opnieuw) verbinden.")
    plan = Plan(network.id, [])
    builder = _Builder(plan, host)
    root = naming.network_folder(network.folder_name)

    if not account.email:
        builder.add("organiser", "organisator", "E-mailadres van het organisatieaccount opvragen")
    folders = [naming.NETWORKS_FOLDER, root] + [f"{root}/{p.folder}" for p in network.phases]
    documents = template.seeded_documents()
    for document in documents:
        parents = document.path.split("/")[:-1]
        folders += [f"{root}/{'/'.join(parents[:depth])}" for depth in range(1, len(parents) + 1)]
    phase_folders = {f"{root}/{p.folder}": p.key for p in network.phases}
    for path in dict.fromkeys(folders):
        builder.add("folder", path, f"Map '{path}' aanmaken", phase_key=phase_folders.get(path), path=path)
    for document in documents:
        context = document_context(app, network, template, document.phase, document.meeting)
        text = render_document(template, document.source, context)
        builder.add("document", document.path, f"Document '{document.path}' plaatsen", phase_key=document.phase,
                    path=f"{root}/{document.path}", content=text.encode("utf-8"))

    sharees, calendar_sharees = _folder_sharees(network, account, plan.notes)
    for share_with, share_type, permissions, name in sharees:
        builder.add("share", share_with, f"Map delen met {name}", path=f"/{root}", share_type=share_type,
                    share_with=share_with, permissions=permissions)

    builder.add("calendar", "agenda", f"Agenda '{network.name}' aanmaken", uri=network.calendar_uri,
                display_name=network.name, color=CALENDAR_COLOR, components=["VEVENT"])
    for read_write, group in ((True, "schrijven"), (False, "lezen")):
        users = [uid for uid, rw in calendar_sharees if rw == read_write]
        if users:
            builder.add("calendar-share", group, f"Agenda delen ({group}) met {', '.join(users)}",
                        uri=network.calendar_uri, sharees=users, read_write=read_write, summary=network.name)
    _add_meetings(builder, network, host)
    _add_task_lists(builder, network, plan.notes)
    plan.notes += _calendar_quota_notes(network)
    return plan


class _Builder:
    def __init__(self, plan: Plan, host: Organisation):
        self.plan = plan
        self.host = host

    def add(self, kind: str, ident: str, label: str, organisation: Organisation | None = None,
            phase_key: str | None = None, **params) -> None:
        organisation = organisation or self.host
        self.plan.steps.append(Step(
            key=f"{organisation.slug}/{kind}/{ident}", kind=kind, organisation_id=organisation.id,
            instance=organisation.nextcloud_url, label=label[:600], phase_key=phase_key, params=params))


def _folder_sharees(network: Network, account, notes: list[str]):
    """Folder shares (same instance: user share; other instance: federated `uid@host`, reference §7) and
    the same-instance users the calendar is shared with (kartrekker read-write, others read-only)."""
    host = network.host_organisation
    shares, calendar = [], []
    for member in network.memberships:
        organisation = member.organisation
        if not organisation.has_nextcloud:
            notes.append(f"{member.name} ({organisation.name}, geen Nextcloud) krijgt de uitnodigingen per e-mail.")
            continue
        if not member.user_id:
            notes.append(f"{member.name} ({organisation.name}): geen Nextcloud-gebruiker opgegeven; alleen "
                         "uitnodigingen per e-mail, geen gedeelde map.")
            continue
        is_lead = member.role == "kartrekker"
        permissions = KARTREKKER_PERMISSIONS if is_lead else MEMBER_PERMISSIONS
        if organisation.nextcloud_url == host.nextcloud_url:
            if member.user_id == account.user_id:
                continue
            shares.append((member.user_id, SHARE_USER, permissions, member.name))
            calendar.append((member.user_id, is_lead))
        else:
            shares.append((f"{member.user_id}@{organisation.host}", SHARE_FEDERATED, permissions, member.name))
    return shares, calendar


def _add_meetings(builder: _Builder, network: Network, host: Organisation) -> None:
    """The first year of meetings, every member an attendee by e-mail; ORGANIZER is the calendar owner's
    address, else Nextcloud sends no invitations (reference §6.8). The agenda is named by its place in the
    shared folder, which members on every instance see under the same name."""
    year_end = network.starts_on + timedelta(days=365)
    attendees = [(m.email, m.name) for m in network.memberships]
    for meeting in network.meetings:
        if meeting.start.date() >= year_end:
            continue
        phase = meeting.phase
        lines = [f"Bijeenkomst van het lerend netwerk \"{network.name}\" (fase {phase.name})."]
        if meeting.agenda_path:
            lines.append(f"Agenda: {network.folder_name}/{meeting.agenda_path} in de gedeelde map.")
        lines.append(f"Alle documenten staan in de gedeelde map \"{network.folder_name}\".")
        url = (f"{host.nextcloud_url}/index.php/apps/files/?dir="
               + quote(f"/{network.folder_name}/{phase.folder}", safe="/"))
        builder.add("meeting", meeting.key, f"Bijeenkomst '{meeting.title}' op {meeting.start:%Y-%m-%d}",
                    phase_key=phase.key, uri=network.calendar_uri, uid=meeting.ical_uid,
                    summary=f"{meeting.title} – {network.name}", start=meeting.start.isoformat(),
                    end=meeting.end.isoformat(), attendees=attendees, description="\n".join(lines),
                    location=meeting.location or None, url=url, dtstamp=as_utc(network.created_at).isoformat(),
                    # A meeting written again (its calendar was deleted) keeps the replies the app knows.
                    replies=dict(meeting.replies or {}))


def _add_task_lists(builder: _Builder, network: Network, notes: list[str]) -> None:
    """A task list per member organisation with a connection, shared with its members and its manager,
    holding the tasks of its people; the tasks of other organisations wait (`pending`) or stay in the app."""
    managers = {c.organisation_id: c.manager_user_id for c in network.commitments}
    for organisation in participating(network):
        tasks = [t for t in network.tasks if t.organisation_id == organisation.id]
        account = connection_of(organisation)
        if account is None:
            if organisation.has_nextcloud and tasks:
                notes.append(f"{organisation.name} is nog niet verbonden: {len(tasks)} ta(a)k(en) worden geschreven "
                             "zodra de organisatie verbonden is en het netwerk opnieuw gestart wordt.")
            elif tasks:
                notes.append(f"{organisation.name} heeft geen Nextcloud: {len(tasks)} ta(a)k(en) worden in de app "
                             "bijgehouden.")
            continue
        builder.add("tasklist", "takenlijst", f"Takenlijst in {organisation.name} aanmaken", organisation,
                    uri=network.tasklist_uri, display_name=f"{network.name} – taken", color=TASKLIST_COLOR,
                    components=["VTODO"])
        users = [m.user_id for m in network.memberships if m.organisation_id == organisation.id and m.user_id]
        if managers.get(organisation.id):
            users.append(managers[organisation.id])
        users = [u for u in dict.fromkeys(users) if u != account.user_id]
        if users:
            builder.add("tasklist-share", "takenlijst", f"Takenlijst delen met {', '.join(users)}", organisation,
                        uri=network.tasklist_uri, sharees=users, read_write=True, summary=network.name)
        for task in tasks:
            if task.sync_state not in (TASK_PENDING, TASK_WRITTEN):
                continue
            description = f"{task.description}\n\nLerend netwerk: {network.name}"
            builder.add("task", task.ical_uid, f"Taak '{task.title}' voor {task.assignee_name}", organisation,
                        phase_key=task.phase.key, uri=network.tasklist_uri, uid=task.ical_uid,
                        summary=f"{task.title} ({task.assignee_name})", description=description,
                        due=task.due_on.isoformat() if task.due_on else None,
                        categories=["Lerend netwerk"], dtstamp=as_utc(network.created_at).isoformat(),
                        # A task written again (its list was deleted) keeps what the app knows of it.
                        status=task.status if task.status in TODO_STATUSES else "NEEDS-ACTION",
                        completed_at=as_utc(task.completed_at).isoformat()
                        if task.completed_at and task.status == "COMPLETED" else None)


def _calendar_quota_notes(network: Network) -> list[str]:
    """Each network costs the host's account a calendar and every member organisation's account a task list;
    Nextcloud allows 30 calendars per account by default (reference §6.2), the personal one included."""
    notes = []
    for organisation in participating(network):
        if connection_of(organisation) is None:
            continue
        hosted = db.session.scalar(select(func.count(Network.id)).where(
            Network.host_organisation_id == organisation.id))
        joined = db.session.scalar(select(func.count(func.distinct(Membership.network_id))).where(
            Membership.organisation_id == organisation.id))
        owned = 1 + hosted + joined
        if owned > CALENDAR_QUOTA - 3:
            notes.append(f"Het account van {organisation.name} heeft met dit netwerk {owned} agenda's en takenlijsten; "
                         f"Nextcloud staat er standaard {CALENDAR_QUOTA} per account toe "
                         "(dav maximumCalendarsSubscriptions).")
    return notes
