"""Reading an export document back into the database (`network import`), all or nothing.

The document is checked in three rounds, each problem named by its field (`tasks[3].phase`): first its
`format` and `version` (a document of another version is refused before anything else is read), then its
shape with pydantic (the same shape extension.networks.export writes), then its references (within the
document, and to this database: the organisations must exist here with the same Nextcloud URL, and the
network's slug, folder and calendars must not belong to a network here already). Names are checked by the
same function as `network create` uses (extension.networks.naming.check_network_names): single-line fields,
Nextcloud user ids, and the folder names. Only a document without problems is written, in one transaction.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints,
                      ValidationError)
from sqlalchemy import or_, select

from connectors.calendars import validate_calendar_uri
from extension.extensions import db
from extension.i18n import Text
from extension.network_templates import AUDIENCES, ROLES
from extension.network_templates.errors import Problem, SourceError, field_path, problems_from_validation
from extension.networks import naming
from extension.networks.export import FORMAT, VERSION
from extension.networks.models import (NETWORK_STATUSES, TASK_APP_ONLY, TASK_PENDING, TASK_WRITTEN, Commitment,
                                       KnowledgeTask, LaunchStep, Meeting, Membership, Network, Phase)
from extension.organisations.models import Organisation
from extension.organisations.service import InvalidOrganisation, normalise_nextcloud_url


class InvalidExport(SourceError):
    """An export document that cannot be imported; `str()` lists every problem, one per line."""


def _text(max_length: int | None = None, min_length: int = 0):
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length)]


def _in_utc(moment: datetime) -> datetime:
    # SQLite keeps no offset: a moment is stored in UTC, as the app itself does (extension.networks.models.as_utc).
    return moment.astimezone(timezone.utc)


Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
Key = _text(63, 1)
Email = _text(320, 1)
UserId = _text(64, 1)


class _Shape(BaseModel):
    # An unknown field is refused, not dropped: a typo in a hand-edited export must not lose a value.
    model_config = ConfigDict(extra="forbid")


class OrganisationRef(_Shape):
    slug: Slug
    name: _text(200)
    nextcloud_url: _text(500) | None = None


class NetworkShape(_Shape):
    slug: Slug
    name: _text(200, 1)
    topic: _text(200)
    question: str
    ambition: str
    place: _text(200) = ""
    host: Slug
    template: Key
    template_version: int = Field(ge=1)
    status: Literal[NETWORK_STATUSES]
    current_phase: Key | None = None
    starts_on: date
    folder_name: _text(200, 1)
    calendar_uri: _text(255, 1)
    tasklist_uri: _text(255, 1)
    created_at: Moment
    launched_at: Moment | None = None


class PhaseShape(_Shape):
    key: Key
    position: int = Field(ge=0)
    name: _text(200, 1)
    goal: str
    duration_weeks: int = Field(ge=0)
    folder: _text(200, 1)
    starts_on: date
    ends_on: date


class MemberShape(_Shape):
    position: int = Field(ge=0)
    name: _text(200, 1)
    email: Email
    organisation: Slug
    user_id: UserId | None = None
    role: Literal[ROLES]
    expertise: _text(200) = ""


class CommitmentShape(_Shape):
    organisation: Slug
    manager_name: _text(200, 1)
    manager_email: Email
    manager_user_id: UserId | None = None
    hours_per_month: float = Field(ge=0)
    podium: str


class MeetingShape(_Shape):
    key: Key
    position: int = Field(ge=0)
    phase: Key
    title: _text(200, 1)
    starts_at: Moment
    ends_at: Moment
    location: _text(200) = ""
    agenda_path: _text(600) | None = None
    ical_uid: _text(200, 1)
    etag: _text(200) | None = None
    replies: dict[Email, _text(40)] = {}
    deleted_at: Moment | None = None


class TaskShape(_Shape):
    key: Key
    phase: Key
    meeting: Key | None = None
    audience: Literal[AUDIENCES]
    organisation: Slug
    member: Email | None = None
    assignee_name: _text(200, 1)
    assignee_email: Email
    assignee_user_id: UserId | None = None
    title: _text(200, 1)
    description: str = ""
    due_on: date | None = None
    ical_uid: _text(200, 1)
    remote_href: _text(1000) | None = None
    etag: _text(200) | None = None
    sync_state: Literal[TASK_WRITTEN, TASK_PENDING, TASK_APP_ONLY]
    status: _text(20, 1)
    percent_complete: int = Field(default=0, ge=0, le=100)
    completed_at: Moment | None = None
    remote_summary: _text(500) | None = None
    remote_modified_at: Moment | None = None
    deleted_at: Moment | None = None


class LaunchStepShape(_Shape):
    key: _text(600, 1)
    position: int = Field(ge=0)
    kind: _text(30, 1)
    organisation: Slug | None = None
    phase: Key | None = None
    label: _text(600)
    planned_requests: int = Field(default=0, ge=0)
    # Open text: the journal's statuses grow with the engine (a drifted step, extension.engine.drift), and a
    # status the engine does not know only means "not done", so such a step is run again.
    status: _text(20, 1)
    attempts: int = Field(default=0, ge=0)
    last_error: str | None = None
    result: dict[str, Any] | None = None
    finished_at: Moment | None = None


class ExportDocument(_Shape):
    """Version 1 of the export document (extension.networks.export writes it)."""

    format: Literal[FORMAT]
    version: Literal[VERSION]
    organisations: list[OrganisationRef]
    network: NetworkShape
    phases: list[PhaseShape] = Field(min_length=1)
    members: list[MemberShape]
    commitments: list[CommitmentShape] = []
    meetings: list[MeetingShape] = []
    tasks: list[TaskShape] = []
    launch_steps: list[LaunchStepShape] = []


class _NoLines:
    """JSON has no line map here: problems name the file and the field."""

    def __init__(self, file: str):
        self.file = file

    def line_of(self, loc, missing: bool = False) -> None:
        return None


def parse(text: str | bytes, source: str = "<export>") -> ExportDocument:
    """The validated document in `text`; InvalidExport naming every problem (file, field, message)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidExport([Problem(source, exc.lineno, "", Text("not valid JSON: %(error)s (column %(column)s)",
                                                                  error=exc.msg, column=exc.colno))]) \
            from None
    except UnicodeDecodeError:
        raise InvalidExport([Problem(source, None, "", Text("not UTF-8 text"))]) from None
    return validate(raw, source)


def validate(raw: Any, source: str = "<export>") -> ExportDocument:
    """Check the format and version first, then the shape, then the references within the document."""
    if not isinstance(raw, dict):
        raise InvalidExport([Problem(source, None, "", Text("must be a JSON object (an export of a network)"))])
    for field in ("format", "version"):
        if field not in raw:
            raise InvalidExport([Problem(source, None, field, Text("is missing"))])
    if raw.get("format") != FORMAT:
        raise InvalidExport([Problem(source, None, "format", Text(
            "%(format)s is not an export of a learning network (expected %(expected)s)",
            format=repr(raw.get("format")), expected=repr(FORMAT)))])
    if type(raw.get("version")) is not int or raw["version"] != VERSION:
        raise InvalidExport([Problem(source, None, "version", Text(
            "version %(version)s is not supported; this app reads version %(supported)s",
            version=repr(raw.get("version")), supported=VERSION))])
    try:
        document = ExportDocument.model_validate(raw)
    except ValidationError as exc:
        raise InvalidExport(problems_from_validation(exc, _NoLines(source))) from None
    problems = [Problem(source, None, field, message) for field, message in _reference_problems(document)]
    problems += [Problem(source, None, field_path(loc), message)
                 for loc, message in naming.check_network_names(_names(document))]
    if problems:
        raise InvalidExport(problems)
    return document


def _names(doc: ExportDocument) -> naming.NetworkNames:
    """The document's names and single lines, for the check `network create` runs too."""
    n = doc.network
    lines = [(("network", "name"), n.name), (("network", "topic"), n.topic), (("network", "place"), n.place)]
    lines += [(("phases", i, "name"), p.name) for i, p in enumerate(doc.phases)]
    for i, m in enumerate(doc.members):
        lines += [(("members", i, "name"), m.name), (("members", i, "expertise"), m.expertise)]
    lines += [(("commitments", i, "manager_name"), c.manager_name) for i, c in enumerate(doc.commitments)]
    for i, m in enumerate(doc.meetings):
        lines += [(("meetings", i, "title"), m.title), (("meetings", i, "location"), m.location)]
    for i, t in enumerate(doc.tasks):
        lines += [(("tasks", i, "title"), t.title), (("tasks", i, "assignee_name"), t.assignee_name)]
    users = [(("members", i, "user_id"), m.user_id) for i, m in enumerate(doc.members) if m.user_id]
    users += [(("commitments", i, "manager_user_id"), c.manager_user_id)
              for i, c in enumerate(doc.commitments) if c.manager_user_id]
    users += [(("tasks", i, "assignee_user_id"), t.assignee_user_id)
              for i, t in enumerate(doc.tasks) if t.assignee_user_id]
    return naming.NetworkNames(lines=lines, users=users, folder=(("network", "folder_name"), n.folder_name),
                               phase_folders=[(("phases", i, "folder"), p.folder) for i, p in enumerate(doc.phases)])


def _reference_problems(doc: ExportDocument) -> list[tuple[str, str]]:
    """Every reference inside the document resolves, and every key is unique where the database needs it."""
    problems = []
    organisations = {o.slug for o in doc.organisations}
    phases = {p.key for p in doc.phases}
    meetings = {m.key for m in doc.meetings}
    members = {m.email for m in doc.members}

    def unique(items, name: str, field: str) -> None:
        counts = Counter(getattr(item, field) for item in items)
        for index, item in enumerate(items):
            if counts[getattr(item, field)] > 1:
                problems.append((f"{name}[{index}].{field}", Text("'%(value)s' occurs more than once",
                                                                        value=getattr(item, field))))

    def known(value, allowed: set, field: str, message: str) -> None:
        if value is not None and value not in allowed:
            problems.append((field, Text(message, value=value)))

    unique(doc.organisations, "organisations", "slug")
    unique(doc.phases, "phases", "key")
    unique(doc.members, "members", "email")
    unique(doc.commitments, "commitments", "organisation")
    unique(doc.meetings, "meetings", "key")
    unique(doc.tasks, "tasks", "ical_uid")
    unique(doc.launch_steps, "launch_steps", "key")

    unknown_organisation = "unknown organisation '%(value)s'"
    network = doc.network
    known(network.host, organisations, "network.host", unknown_organisation)
    known(network.current_phase, phases, "network.current_phase", "unknown phase '%(value)s'")
    for field in ("calendar_uri", "tasklist_uri"):
        try:
            validate_calendar_uri(getattr(network, field))
        except ValueError:
            problems.append((f"network.{field}", Text("'%(uri)s' is not a valid calendar URI (a-z, 0-9 "
                                                      "and '-')", uri=getattr(network, field))))
    for index, member in enumerate(doc.members):
        known(member.organisation, organisations, f"members[{index}].organisation", unknown_organisation)
    for index, commitment in enumerate(doc.commitments):
        known(commitment.organisation, organisations, f"commitments[{index}].organisation", unknown_organisation)
    for index, meeting in enumerate(doc.meetings):
        known(meeting.phase, phases, f"meetings[{index}].phase", "unknown phase '%(value)s'")
        if meeting.ends_at < meeting.starts_at:
            problems.append((f"meetings[{index}].ends_at", Text("lies before starts_at")))
    for index, task in enumerate(doc.tasks):
        known(task.phase, phases, f"tasks[{index}].phase", "unknown phase '%(value)s'")
        known(task.meeting, meetings, f"tasks[{index}].meeting", "unknown meeting '%(value)s'")
        known(task.organisation, organisations, f"tasks[{index}].organisation", unknown_organisation)
        known(task.member, members, f"tasks[{index}].member", "unknown participant (e-mail) '%(value)s'")
    for index, step in enumerate(doc.launch_steps):
        known(step.organisation, organisations, f"launch_steps[{index}].organisation", unknown_organisation)
        known(step.phase, phases, f"launch_steps[{index}].phase", "unknown phase '%(value)s'")
    return problems


def import_network(document: ExportDocument, source: str = "<export>") -> Network:
    """Store the network of a validated document; InvalidExport when it does not fit this database.

    Checked against the database first: every organisation exists here (by slug) with the same Nextcloud
    URL, and no network here has the slug, or the folder (per host) or calendar URIs, the document names —
    two networks tracking one folder or calendar would undo each other's work. Then every row is written in
    one transaction: a failure leaves nothing behind.
    """
    organisations = _organisations(document, source)
    problems = [Problem(source, None, field, message) for field, message in _clashes(document, organisations)]
    if problems:
        raise InvalidExport(problems)
    try:
        network = _build(document, organisations)
        db.session.add(network)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return network


def _organisations(doc: ExportDocument, source: str) -> dict[str, Organisation]:
    found = {o.slug: o for o in db.session.scalars(
        select(Organisation).where(Organisation.slug.in_([o.slug for o in doc.organisations])))}
    problems = []
    for index, ref in enumerate(doc.organisations):
        here = found.get(ref.slug)
        if here is None:
            problems.append(Problem(source, None, f"organisations[{index}].slug",
                                    Text("organisation '%(slug)s' (%(name)s) does not exist in this database; add it "
                                         "first with `lerend-netwerk org add`", slug=ref.slug, name=ref.name)))
        elif _url(ref.nextcloud_url) != _url(here.nextcloud_url):
            problems.append(Problem(source, None, f"organisations[{index}].nextcloud_url",
                                    Text("'%(url)s' differs from the Nextcloud of '%(slug)s' here ('%(here)s'); the "
                                         "network belongs to that Nextcloud", url=ref.nextcloud_url or "-",
                                         slug=ref.slug, here=here.nextcloud_url or "-")))
    if problems:
        raise InvalidExport(problems)
    return found


def _url(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return normalise_nextcloud_url(url)
    except InvalidOrganisation:
        return url


def _clashes(doc: ExportDocument, organisations: dict[str, Organisation]) -> list[tuple[str, str]]:
    network = doc.network
    host = organisations[network.host]
    clashes = []
    if db.session.scalar(select(Network.id).where(Network.slug == network.slug)) is not None:
        clashes.append(("network.slug", Text("there is a network '%(slug)s' here already",
                                                   slug=network.slug)))
    # Folder names that differ only in case or Unicode normalisation are one folder to Nextcloud's users.
    folders = db.session.scalars(select(Network.folder_name).where(Network.host_organisation_id == host.id))
    taken = next((f for f in folders if naming.twin_key(f) == naming.twin_key(network.folder_name)), None)
    if taken is not None:
        clashes.append(("network.folder_name", Text("another network of %(host)s uses the folder "
                                                                "'%(folder)s' already", host=host.name, folder=taken)))
    for field in ("calendar_uri", "tasklist_uri"):
        uri = getattr(network, field)
        if db.session.scalar(select(Network.id).where(
                or_(Network.calendar_uri == uri, Network.tasklist_uri == uri))) is not None:
            clashes.append((f"network.{field}", Text("another network uses the calendar '%(uri)s' already",
                                                                  uri=uri)))
    return clashes


def _build(doc: ExportDocument, organisations: dict[str, Organisation]) -> Network:
    n = doc.network
    network = Network(
        slug=n.slug, name=n.name, topic=n.topic, question=n.question, ambition=n.ambition, place=n.place,
        host_organisation=organisations[n.host], template_id=n.template, template_version=n.template_version,
        status=n.status, current_phase_key=n.current_phase, starts_on=n.starts_on, folder_name=n.folder_name,
        calendar_uri=n.calendar_uri, tasklist_uri=n.tasklist_uri, created_at=n.created_at,
        launched_at=n.launched_at)
    phases = {}
    for p in doc.phases:
        phases[p.key] = Phase(key=p.key, position=p.position, name=p.name, goal=p.goal,
                              duration_weeks=p.duration_weeks, folder=p.folder, starts_on=p.starts_on,
                              ends_on=p.ends_on)
        network.phases.append(phases[p.key])
    members = {}
    for m in doc.members:
        members[m.email] = Membership(position=m.position, organisation=organisations[m.organisation], name=m.name,
                                      email=m.email, user_id=m.user_id, role=m.role, expertise=m.expertise)
        network.memberships.append(members[m.email])
    for c in doc.commitments:
        network.commitments.append(Commitment(
            organisation=organisations[c.organisation], manager_name=c.manager_name, manager_email=c.manager_email,
            manager_user_id=c.manager_user_id, hours_per_month=c.hours_per_month, podium=c.podium))
    meetings = {}
    for m in doc.meetings:
        meetings[m.key] = Meeting(
            phase=phases[m.phase], key=m.key, position=m.position, title=m.title, starts_at=m.starts_at,
            ends_at=m.ends_at, location=m.location, agenda_path=m.agenda_path, ical_uid=m.ical_uid, etag=m.etag,
            replies=dict(m.replies), deleted_at=m.deleted_at)
        network.meetings.append(meetings[m.key])
    db.session.add(network)
    # Tasks refer to meetings by id (there is no relationship), so the meetings get theirs first. Rows are
    # inserted in the order they were added, so a second export lists the tasks in the same order.
    db.session.flush()
    for t in doc.tasks:
        network.tasks.append(KnowledgeTask(
            phase=phases[t.phase], meeting_id=meetings[t.meeting].id if t.meeting else None, key=t.key,
            audience=t.audience, organisation=organisations[t.organisation],
            membership=members[t.member] if t.member else None, assignee_name=t.assignee_name,
            assignee_email=t.assignee_email, assignee_user_id=t.assignee_user_id, title=t.title,
            description=t.description, due_on=t.due_on, ical_uid=t.ical_uid, remote_href=t.remote_href,
            etag=t.etag, sync_state=t.sync_state, status=t.status, percent_complete=t.percent_complete,
            completed_at=t.completed_at, remote_summary=t.remote_summary, remote_modified_at=t.remote_modified_at,
            deleted_at=t.deleted_at))
    for s in doc.launch_steps:
        network.launch_steps.append(LaunchStep(
            key=s.key, position=s.position, kind=s.kind,
            organisation=organisations[s.organisation] if s.organisation else None, phase_key=s.phase, label=s.label,
            planned_requests=s.planned_requests, status=s.status, attempts=s.attempts, last_error=s.last_error,
            result=s.result, finished_at=s.finished_at))
    return network
