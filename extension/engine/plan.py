"""The desired state of a network as a plan: a graph of idempotent steps, computed from the database only.

The same network always gives the same step keys, so the journal (LaunchStep) matches a run's steps to an
earlier run's; the runner (extension.engine.runner) diffs the plan with the journal. Each step names the
steps it needs first (`after`): a folder before what goes in it, the network folder before its shares, a
calendar before its shares and objects, the organiser read before the meetings, the conversation before the
Readme that links it. Steps without a path
between them run side by side.
"""
from __future__ import annotations

import dataclasses
import hashlib
import posixpath
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from flask import Flask
from sqlalchemy import func, select

from connectors.ical import TODO_STATUSES
from connectors.ocs import PERMISSION_ALL, PERMISSION_CREATE, PERMISSION_DELETE, PERMISSION_READ, \
    PERMISSION_UPDATE
from extension.engine.errors import LaunchError
from extension.engine.steps import (CONVERSATION_URL, KINDS, LINK_SLOT, CalendarParams, CalendarShareParams,
                                    ConversationParams, DocumentParams, FolderParams, MeetingParams, NoParams,
                                    ShareParams, TaskParams)
from extension.extensions import db
from extension.i18n import Text
from extension.network_templates import Template, render_document
from extension.networks import naming
from extension.networks.documents import document_context
from extension.networks.models import TASK_PENDING, TASK_WRITTEN, Membership, Network, StepState, as_utc
from extension.networks.service import participating
from extension.organisations.models import Organisation, utcnow

__all__ = ["LaunchError", "Plan", "Step", "build_plan", "connection_of"]

# Members may read, change, add and remove documents, but not reshare outside the network; the kartrekker
# gets every right, resharing included (permission bits of lib/public/Constants.php).
MEMBER_PERMISSIONS = PERMISSION_READ | PERMISSION_UPDATE | PERMISSION_CREATE | PERMISSION_DELETE
KARTREKKER_PERMISSIONS = PERMISSION_ALL

CALENDAR_COLOR = "#0082C9"
CALENDAR_QUOTA = 30  # calendars and subscriptions per account: dav maximumCalendarsSubscriptions default
TASKLIST_COLOR = "#2E7D32"


def connection_of(organisation: Organisation):
    """The organisation's usable connection account (Organisation.connection), else None."""
    return organisation.connection


@dataclass(frozen=True)
class Step:
    """One idempotent step, run by `organisation_id`'s connection on the Nextcloud `instance`."""

    key: str
    kind: str
    organisation_id: int
    instance: str
    label: Text | str  # a Text: shown in the reader's language (stored with extension.i18n.dump_text)
    params: Any = field(compare=False, hash=False, repr=False)
    phase_key: str | None = None
    after: tuple[str, ...] = ()
    # False for what is past (a meeting that ended keeps the attendees it had).
    updatable: bool = True

    @property
    def requests(self) -> int:
        return KINDS[self.kind].requests


@dataclass
class Plan:
    network_id: int
    steps: list[Step]
    notes: list[Text | str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(step.requests for step in self.steps)

    def by_key(self) -> dict[str, Step]:
        return {step.key: step for step in self.steps}

    def by_instance(self) -> dict[str, list[Step]]:
        groups: dict[str, list[Step]] = {}
        for step in self.steps:
            groups.setdefault(step.instance, []).append(step)
        return groups

    def critical_path(self) -> int:
        """Requests on the longest chain of dependent steps: the least a run can wait, whatever its parallelism."""
        steps, longest = self.by_key(), {}

        def chain(key: str) -> int:
            if key not in longest:
                step = steps[key]
                longest[key] = step.requests + max((chain(k) for k in step.after if k in steps), default=0)
            return longest[key]
        return max((chain(step.key) for step in self.steps), default=0)

    def verify_reads(self) -> int:
        """Reads a relaunch of a complete network makes: one listing per folder looked into, one share listing
        per shared path, one PROPFIND per calendar or task list, one read of the conversation (or, when it was
        skipped, of the capabilities)."""
        reads = set()
        for step in self.steps:
            p, org = step.params, step.organisation_id
            if step.kind == "folder":
                reads.add((org, "files", p.proof or posixpath.dirname(p.path)))
            elif step.kind == "document":
                reads.add((org, "files", posixpath.dirname(p.path)))
            elif step.kind == "share":
                reads.add((org, "shares", p.path))
            elif step.kind in ("calendar", "tasklist", "calendar-share", "tasklist-share", "meeting", "task"):
                reads.add((org, "calendar", p.uri))
            elif step.kind == "conversation":
                reads.add((org, "talk", p.token or "capabilities"))
        return len(reads)


class _Builder:
    def __init__(self, plan: Plan, host: Organisation):
        self.plan = plan
        self.host = host

    def key(self, kind: str, ident: str, organisation: Organisation | None = None) -> str:
        return f"{(organisation or self.host).slug}/{kind}/{ident}"

    def add(self, kind: str, ident: str, label: Text, params, organisation: Organisation | None = None,
            phase_key: str | None = None, after: tuple[str, ...] = (), updatable: bool = True) -> str:
        organisation = organisation or self.host
        key = self.key(kind, ident, organisation)
        self.plan.steps.append(Step(key=key, kind=kind, organisation_id=organisation.id,
                                    instance=organisation.instance, label=label, params=params,
                                    phase_key=phase_key, after=tuple(a for a in after if a), updatable=updatable))
        return key


def build_plan(app: Flask, network: Network, template: Template) -> Plan:
    """The steps that make `network` exist in every organisation's Nextcloud (see DESIGN "Launch")."""
    host = network.host_organisation
    account = host.connection
    if account is None:
        raise LaunchError(Text("The host organisation %(name)s has no working connection with Nextcloud; let "
                               "%(user)s connect (again) first.", name=host.name, user=host.connection_user))
    plan = Plan(network.id, [])
    builder = _Builder(plan, host)
    root = naming.network_folder(network.folder_name)

    organiser = None
    if not account.email:
        organiser = builder.add("organiser", "organisator", Text("Look up the e-mail address of the organisation account"),
                                NoParams())
    # The conversation is planned last (after the task lists); the Readme, which links it, waits for it.
    _add_folders(app, builder, network, template, root, builder.key("conversation", CONVERSATION_IDENT))
    root_key = builder.key("folder", root)
    for share_with, share_type, permissions, name in _folder_sharees(network):
        builder.add("share", share_with, Text("Share the folder with %(name)s", name=name),
                    ShareParams(f"/{root}", share_type, share_with, permissions), after=(root_key,))

    calendar = builder.add("calendar", "agenda", Text("Create the calendar '%(name)s'", name=network.name),
                           CalendarParams(network.calendar_uri, network.name, CALENDAR_COLOR, ("VEVENT",),
                                          claim=True))
    calendar_sharees = _calendar_sharees(network, account)
    if calendar_sharees:
        builder.add("calendar-share", "agenda",
                    Text("Share the calendar with %(users)s", users=", ".join(calendar_sharees)),
                    CalendarShareParams(network.calendar_uri, calendar_sharees, network.name), after=(calendar,))
    _add_meetings(builder, network, host, (calendar, organiser))
    _add_task_lists(builder, network, plan.notes)
    _add_conversation(builder, network)
    _member_notes(network, plan.notes)
    plan.notes += _calendar_quota_notes(network)
    return plan


def _add_folders(app: Flask, builder: _Builder, network: Network, template: Template, root: str,
                 conversation: str | None = None) -> None:
    """The folders and seeded documents, each after its folder; `proof` picks the fewest listings that show
    every folder and document is there (a listing that works proves its folder and every folder above)."""
    folders = [naming.NETWORKS_FOLDER, root] + [f"{root}/{p.folder}" for p in network.phases]
    documents = template.seeded_documents()
    for document in documents:
        parents = document.path.split("/")[:-1]
        folders += [f"{root}/{'/'.join(parents[:depth])}" for depth in range(1, len(parents) + 1)]
    folders = list(dict.fromkeys(folders))
    listed = {posixpath.dirname(f"{root}/{d.path}") for d in documents}
    for folder in sorted(folders, key=lambda f: -f.count("/")):
        if not any(other.startswith(f"{folder}/") and other in listed for other in folders):
            if folder not in listed:
                listed.add(posixpath.dirname(folder))
    phase_folders = {f"{root}/{p.folder}": p.key for p in network.phases}
    for path in folders:
        below = sorted((f for f in listed if f == path or f.startswith(f"{path}/")), key=lambda f: f.count("/"))
        parent = posixpath.dirname(path)
        builder.add("folder", path, Text("Create the folder '%(path)s'", path=path),
                    FolderParams(path, proof=below[0] if below else parent, claim=path == root),
                    phase_key=phase_folders.get(path),
                    after=(builder.key("folder", parent),) if parent in folders else ())
    common = document_context(app, network, template)  # what every document sees, read once
    for document in documents:
        context = dataclasses.replace(
            common, phase=next((p for p in common.phases if p.key == document.phase), None),
            meeting=next((m for m in common.meetings if m.key == document.meeting), None))
        text = render_document(template, document.source, context)
        path = f"{root}/{document.path}"
        params, after = DocumentParams(path, text.encode("utf-8")), (builder.key("folder", posixpath.dirname(path)),)
        if document.kind == "readme" and conversation is not None:
            # The Readme links the network's conversation, so it is written once the conversation is there.
            url = conversation_url(network)
            params = DocumentParams(path, (text + conversation_section(url)).encode("utf-8")) if url else \
                DocumentParams(path, text.encode("utf-8") + conversation_section("").encode("utf-8") + LINK_SLOT
                               + b">\n", link=CONVERSATION_URL, without=text.encode("utf-8"))
            after += (conversation,)
        builder.add("document", document.path, Text("Place the document '%(path)s'", path=document.path), params,
                    phase_key=document.phase, after=after)


CONVERSATION_IDENT = "gesprek"


def conversation_section(url: str) -> str:
    """What the Readme says about the conversation (appended to the template's Readme, ending in a Markdown
    autolink, which Nextcloud Text shows as a link; an empty `url` leaves the link open for LINK_SLOT)."""
    text = ("\n## Gesprek\n\nPraat tussen de bijeenkomsten verder in het gesprek van het netwerk in Nextcloud "
            "Talk. Werk je in de Nextcloud van een andere organisatie, dan staat het gesprek in Talk van je eigen "
            "Nextcloud zodra je de uitnodiging daar accepteert. Het gesprek: <")
    return text + (f"{url}>\n" if url else "")


def conversation_url(network: Network) -> str | None:
    """The link of the conversation this installation made for `network`, from the journal (None before)."""
    row = _conversation_row(network)
    return (row.result or {}).get("url") if row is not None and row.status == StepState.DONE else None


def conversation_token(network: Network) -> str | None:
    """The token of the conversation this installation made for `network` (journal), else None."""
    row = _conversation_row(network)
    return (row.result or {}).get("token") if row is not None else None


def _conversation_row(network: Network):
    key = f"{network.host_organisation.slug}/conversation/{CONVERSATION_IDENT}"
    return next((r for r in network.launch_steps if r.key == key), None)


def _add_conversation(builder: _Builder, network: Network) -> str:
    """The network's group conversation in the host's Talk (skipped at run time when the host has no Talk):
    members who are users of the host's Nextcloud as participants, members of other Nextclouds as federated
    participants (their cloud id), the host's own account being the owner."""
    host = network.host_organisation
    account = host.connection
    users, federated = [], []
    for member in network.memberships:
        organisation = member.organisation
        if not organisation.has_nextcloud or not member.user_id:
            continue
        share_type, share_with = organisation.recipient(member.user_id, host)
        if organisation.instance == host.instance:
            if share_with != account.user_id:
                users.append(share_with)
        else:
            federated.append(share_with)
    token = conversation_token(network)
    marker = "ref " + hashlib.sha256(f"{network.id}|{network.slug}|{as_utc(network.created_at).isoformat()}"
                                     .encode()).hexdigest()[:16]
    description = f"Gesprek van het lerend netwerk \"{network.name}\" ({marker})."
    return builder.add("conversation", CONVERSATION_IDENT,
                       Text("Conversation '%(name)s' in Nextcloud Talk", name=network.name),
                       ConversationParams(network.name[:255], description, marker, tuple(dict.fromkeys(users)),
                                          tuple(dict.fromkeys(federated)), token))


def _folder_sharees(network: Network):
    """Folder shares of every member with a Nextcloud user (Organisation.recipient decides user or federated)."""
    host = network.host_organisation
    account = host.connection
    shares = []
    for member in network.memberships:
        organisation = member.organisation
        if not organisation.has_nextcloud or not member.user_id:
            continue
        share_type, share_with = organisation.recipient(member.user_id, host)
        if share_with == account.user_id and organisation.instance == host.instance:
            continue
        permissions = KARTREKKER_PERMISSIONS if member.role == "kartrekker" else MEMBER_PERMISSIONS
        shares.append((share_with, share_type, permissions, member.name))
    return shares


def _calendar_sharees(network: Network, account) -> dict[str, bool]:
    """Users on the host's Nextcloud the calendar is shared with: the kartrekker read-write, others read-only."""
    host = network.host_organisation
    return {m.user_id: m.role == "kartrekker" for m in network.memberships
            if m.organisation.has_nextcloud and m.user_id and m.organisation.instance == host.instance
            and m.user_id != account.user_id}


def _member_notes(network: Network, notes: list[Text | str]) -> None:
    for member in network.memberships:
        if not member.organisation.has_nextcloud:
            notes.append(Text("%(name)s (%(organisation)s, no Nextcloud) gets the invitations by e-mail.",
                              name=member.name, organisation=member.organisation.name))
        elif not member.user_id:
            notes.append(Text("%(name)s (%(organisation)s): no Nextcloud user given; invitations by e-mail only, no "
                              "shared folder.", name=member.name, organisation=member.organisation.name))


def _add_meetings(builder: _Builder, network: Network, host: Organisation, after: tuple) -> None:
    """The first year of meetings, every member an attendee by e-mail; ORGANIZER is the calendar owner's
    address, else Nextcloud sends no invitations (quirk imip_owner_organizer_only). The agenda is named by
    its place in the shared folder, which members on every instance see under the same name."""
    year_end = network.starts_on + timedelta(days=365)
    attendees = tuple((m.email, m.name) for m in network.memberships)
    now = utcnow()
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
        builder.add("meeting", meeting.key,
                    Text("Meeting '%(title)s' on %(date)s", title=meeting.title, date=f"{meeting.start:%Y-%m-%d}"),
                    MeetingParams(network.calendar_uri, meeting.ical_uid, f"{meeting.title} – {network.name}",
                                  meeting.start.isoformat(), meeting.end.isoformat(), attendees,
                                  "\n".join(lines), meeting.location or None, url,
                                  as_utc(network.created_at).isoformat(),
                                  # A meeting written again (its calendar was deleted) keeps the replies.
                                  dict(meeting.replies or {})),
                    phase_key=phase.key, after=after, updatable=meeting.end > now)


def _add_task_lists(builder: _Builder, network: Network, notes: list[Text | str]) -> None:
    """A task list per member organisation with a connection, shared with its members and its manager,
    holding the tasks of its people; the tasks of other organisations wait (`pending`) or stay in the app."""
    managers = {c.organisation_id: c.manager_user_id for c in network.commitments}
    for organisation in participating(network):
        tasks = [t for t in network.tasks if t.organisation_id == organisation.id]
        account = organisation.connection
        if account is None:
            if organisation.has_nextcloud and tasks:
                notes.append(Text("%(organisation)s is not connected yet: %(count)s task(s) will be written once the "
                                  "organisation is connected and the network is launched again.",
                                  organisation=organisation.name, count=len(tasks)))
            elif tasks:
                notes.append(Text("%(organisation)s has no Nextcloud: %(count)s task(s) are kept in the app.",
                                  organisation=organisation.name, count=len(tasks)))
            continue
        tasklist = builder.add("tasklist", "takenlijst",
                               Text("Create the task list in %(organisation)s", organisation=organisation.name),
                               CalendarParams(network.tasklist_uri, f"{network.name} – taken", TASKLIST_COLOR,
                                              ("VTODO",), claim=True), organisation=organisation)
        users = [m.user_id for m in network.memberships if m.organisation_id == organisation.id and m.user_id]
        if managers.get(organisation.id):
            users.append(managers[organisation.id])
        users = [u for u in dict.fromkeys(users) if u != account.user_id]
        if users:
            builder.add("tasklist-share", "takenlijst", Text("Share the task list with %(users)s", users=", ".join(users)),
                        CalendarShareParams(network.tasklist_uri, {u: True for u in users}, network.name),
                        organisation=organisation, after=(tasklist,))
        for task in tasks:
            if task.sync_state not in (TASK_PENDING, TASK_WRITTEN):
                continue
            builder.add("task", task.ical_uid,
                        Text("Task '%(title)s' for %(assignee)s", title=task.title, assignee=task.assignee_name),
                        TaskParams(network.tasklist_uri, task.ical_uid, f"{task.title} ({task.assignee_name})",
                                   f"{task.description}\n\nLerend netwerk: {network.name}",
                                   task.due_on.isoformat() if task.due_on else None, ("Lerend netwerk",),
                                   as_utc(network.created_at).isoformat(),
                                   # A task written again (its list was deleted) keeps what the app knows.
                                   task.status if task.status in TODO_STATUSES else "NEEDS-ACTION",
                                   as_utc(task.completed_at).isoformat()
                                   if task.completed_at and task.status == "COMPLETED" else None),
                        organisation=organisation, phase_key=task.phase.key, after=(tasklist,))


def _calendar_quota_notes(network: Network) -> list[Text]:
    """Each network costs the host's account a calendar and every member organisation's account a task list;
    Nextcloud allows 30 calendars per account by default (dav maximumCalendarsSubscriptions)."""
    notes = []
    for organisation in participating(network):
        if organisation.connection is None:
            continue
        hosted = db.session.scalar(select(func.count(Network.id)).where(
            Network.host_organisation_id == organisation.id))
        joined = db.session.scalar(select(func.count(func.distinct(Membership.network_id))).where(
            Membership.organisation_id == organisation.id))
        owned = 1 + hosted + joined
        if owned > CALENDAR_QUOTA - 3:
            notes.append(Text("With this network the account of %(organisation)s has %(owned)s calendars and task "
                              "lists; by default Nextcloud allows %(quota)s per account (dav "
                              "maximumCalendarsSubscriptions).", organisation=organisation.name, owned=owned,
                              quota=CALENDAR_QUOTA))
    return notes
