"""The schema of network templates (`template.yml`) and network description files, as pydantic models.

A template folder `templates/<id>/` holds `template.yml` and the Markdown documents it names::

    id: doorgaande-lijn            # lowercase letters, digits, hyphens; equals the folder name
    version: 1                     # integer ≥ 1; a network records the id and version it was launched from
    name: Doorgaande lijn peuter–kleuter
    description: ...
    readme: documenten/readme.md   # landing page, rendered to `Readme.md` in the network's root folder
    phases:                        # at least one, in order
      - key: voorbereiden          # unique; referenced by meetings and tasks
        name: Voorbereiden         # Dutch display name
        goal: ...
        duration_weeks: 8          # typical duration, 1..104
        folder: 1. Voorbereiden    # optional; default "<n>. <name>"; one path segment
        working_methods:           # werkvormen
          - name: Fishbowl
            description: ...
        documents:                 # seeded into the phase folder when the network is launched
          - source: documenten/netwerkplan.md   # relative to the template folder
            target: Netwerkplan.md              # relative to the phase folder, no `..`, ends in .md
    meetings:
      per_year: 6                  # the rhythm, 1..52; spaces meetings without an explicit week
      duration_minutes: 150        # default length, 15..480
      start_time: "15:30"          # default start, HH:MM
      items:                       # in phase order
        - key: startbijeenkomst
          phase: starten
          title: Startbijeenkomst
          week: 0                  # optional: weeks after the network start, strictly increasing
          agenda:                  # optional; rendered into the meeting's phase folder
            source: documenten/agenda-start.md
            target: Agenda startbijeenkomst.md
    tasks:                         # knowledge-sharing tasks
      - key: podium-teamoverleg    # unique in the template
        phase: samen-leren
        title: ...
        description: ...
        audience: deelnemer        # deelnemer: every member; kartrekker; manager: each organisation's manager
        due_days: 28               # days after the phase starts, 0..phase duration

A network file (`lerend-netwerk network create --from FILE.yml`) describes one network; its roles are the
closed list `ROLES`: `kartrekker` (sets up and leads the network, exactly one, named by `kartrekker`),
`deelnemer` (takes part), `manager` (a manager who joins the meetings) and `begeleider` (a facilitator or
coach from outside the organisations who supports the meetings). Cross-references inside one file are
checked here; references to organisations and templates the app knows are checked by
`network_file.check_network_references`.

Errors keep pydantic's `loc` (a path such as `phases.2.documents.0.target`); `errors.py` turns it into
file, line and field.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, time
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, PrivateAttr, StringConstraints,
                      model_validator)
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from extension.i18n import Text as Message
from extension.networks import naming

ROLES = ("kartrekker", "deelnemer", "manager", "begeleider")
AUDIENCES = ("deelnemer", "kartrekker", "manager")
MAX_PHASE_WEEKS = 104
MAX_DUE_DAYS = MAX_PHASE_WEEKS * 7
# A network starts at most this many years ahead: a typo such as 9999 would plan meetings past the calendar's end.
MAX_START_YEARS_AHEAD = 5
MAX_MEETING_WEEK = 5 * 52
README_TARGET = "Readme.md"


def _error(kind: str, message: str | Message, **values: Any) -> PydanticCustomError:
    """A validation error whose message is an English msgid (`%(name)s` placeholders filled from `values`),
    or a Message already made, translated when shown (network_templates.errors reads it from `_text`).
    Passed as context, so that braces in a user's text are never read as pydantic's placeholders."""
    text = message if isinstance(message, Message) else Message(message, **values)
    return PydanticCustomError(kind, "{_text}", {"_text": text})


def _one_line(value: str) -> str:
    message = naming.line_problem(value)
    if message:
        raise _error("one_line", message)
    return value


Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=63)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
# A single line: names, titles and places go into folder names, calendar summaries and table cells.
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_one_line)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


def _check_segment(segment: str) -> str:
    """A file or folder name Nextcloud and its Windows clients accept (extension.networks.naming)."""
    message = naming.name_problem(segment)
    if message:
        raise _error("path_segment", message)
    return segment


def _relative_markdown_path(value: str) -> str:
    """A path below a folder: relative, forward slashes, no `..`, ending in `.md` (Nextcloud Text opens it)."""
    if value.startswith("/") or PurePosixPath(value).is_absolute() or (len(value) > 1 and value[1] == ":"):
        raise _error("path_absolute", "'%(path)s' is an absolute path; give a relative path", path=value)
    if "\\" in value:
        raise _error("path_backslash", "'%(path)s' contains a backslash; use /", path=value)
    segments = value.split("/")
    if ".." in segments:
        raise _error("path_parent", "'%(path)s' points outside the folder with '..'", path=value)
    for segment in segments:
        _check_segment(segment)
    if not value.lower().endswith(".md"):
        raise _error("path_markdown", "'%(path)s' is not a Markdown file (.md)", path=value)
    return value


def _folder_name(value: str) -> str:
    return _check_segment(value)


RelativeMarkdownPath = Annotated[str, StringConstraints(min_length=1, max_length=250),
                                 AfterValidator(_relative_markdown_path)]
FolderName = Annotated[str, StringConstraints(min_length=1, max_length=120), AfterValidator(_folder_name)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _raise(problems: list[tuple[tuple[Any, ...], str, str | Message, dict[str, Any]]], title: str) -> None:
    """Raise cross-reference problems as one ValidationError whose locations are absolute paths."""
    if problems:
        raise ValidationError.from_exception_data(title, [
            InitErrorDetails(type=_error(kind, message, **ctx), loc=loc, input=None)
            for loc, kind, message, ctx in problems
        ])


# --- templates ------------------------------------------------------------------------------------------


class WorkingMethod(_Spec):
    """A werkvorm: a way of working together in a meeting or between meetings."""

    name: Line
    description: Text


class DocumentSpec(_Spec):
    """A document to seed: `source` in the template folder, `target` inside the phase folder."""

    source: RelativeMarkdownPath
    target: RelativeMarkdownPath


class PhaseSpec(_Spec):
    key: Key
    name: Line
    goal: Text
    duration_weeks: int = Field(ge=1, le=MAX_PHASE_WEEKS)
    folder: FolderName | None = None
    working_methods: list[WorkingMethod] = []
    documents: list[DocumentSpec] = []


class MeetingSpec(_Spec):
    key: Key
    phase: Key
    title: Line
    week: int | None = Field(default=None, ge=0, le=MAX_MEETING_WEEK)
    agenda: DocumentSpec | None = None


class MeetingRhythm(_Spec):
    per_year: int = Field(ge=1, le=52)
    duration_minutes: int = Field(ge=15, le=480)
    start_time: time
    items: list[MeetingSpec] = Field(min_length=1)


class TaskSpec(_Spec):
    """A knowledge-sharing task, due `due_days` after its phase starts."""

    key: Key
    phase: Key
    title: Line
    description: Text
    audience: Literal["deelnemer", "kartrekker", "manager"]
    due_days: int = Field(ge=0, le=MAX_DUE_DAYS)


class SeededDocument(BaseModel):
    """One document a launch writes: its source, and its path from the network's root folder."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["readme", "phase", "agenda"]
    source: str
    path: str
    phase: str | None = None
    meeting: str | None = None


def _folder_of(n: int, phase: PhaseSpec) -> str:
    return phase.folder or f"{n}. {phase.name}"


class Template(_Spec):
    id: Key
    version: int = Field(ge=1)
    name: Line
    description: Text
    readme: RelativeMarkdownPath
    phases: list[PhaseSpec] = Field(min_length=1)
    meetings: MeetingRhythm
    tasks: list[TaskSpec] = []

    # Set by the loader: the folder it came from, where each field was written, and the text of every
    # document, read and checked at load time.
    _root: Any = PrivateAttr(default=None)
    _source: Any = PrivateAttr(default=None)
    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_references(self) -> Template:
        problems: list = []
        phase_index = {}
        for i, phase in enumerate(self.phases):
            if phase.key in phase_index:
                problems.append((("phases", i, "key"), "duplicate", "phase '%(key)s' occurs twice",
                                 {"key": phase.key}))
            phase_index.setdefault(phase.key, i)
        folder_names = [_folder_of(n, phase) for n, phase in enumerate(self.phases, start=1)]
        folders = Counter(folder_names)
        # The network's root folder holds the readme and the phase folders: no two may be one name there.
        root_twins = naming.path_twins([README_TARGET] + folder_names)
        for i, (phase, folder) in enumerate(zip(self.phases, folder_names)):
            if folders[folder] > 1:
                problems.append((("phases", i, "folder"), "duplicate", "folder '%(folder)s' occurs twice",
                                 {"folder": folder}))
            elif i + 1 in root_twins:
                problems.append((("phases", i, "folder" if phase.folder else "name"), "twin", root_twins[i + 1],
                                 {}))
            elif phase.folder is None:
                try:
                    _check_segment(folder)
                except PydanticCustomError as exc:
                    problems.append((("phases", i, "name"), exc.type, exc.context["_text"], {}))

        # Every document written into one phase folder (its own and its meetings' agendas), by location.
        in_folder: dict[str, list[tuple[tuple, str]]] = {p.key: [] for p in self.phases}
        for i, phase in enumerate(self.phases):
            for j, document in enumerate(phase.documents):
                in_folder[phase.key].append((("phases", i, "documents", j, "target"), document.target))
        for i, meeting in enumerate(self.meetings.items):
            if meeting.agenda and meeting.phase in in_folder:
                in_folder[meeting.phase].append((("meetings", "items", i, "agenda", "target"), meeting.agenda.target))
        for documents in in_folder.values():
            for index, message in naming.path_twins([target for _, target in documents]).items():
                loc, target = documents[index]
                if message.message == naming.TWICE:
                    problems.append((loc, "duplicate", "'%(target)s' occurs twice in the phase folder",
                                     {"target": target}))
                else:
                    problems.append((loc, "twin", message, {}))

        seen_meetings: set[str] = set()
        last_phase, last_week = -1, -1
        for i, meeting in enumerate(self.meetings.items):
            loc = ("meetings", "items", i)
            if meeting.key in seen_meetings:
                problems.append((loc + ("key",), "duplicate", "meeting '%(key)s' occurs twice",
                                 {"key": meeting.key}))
            seen_meetings.add(meeting.key)
            if meeting.phase not in phase_index:
                problems.append((loc + ("phase",), "unknown_phase", "unknown phase '%(phase)s'; choose from %(known)s",
                                 {"phase": meeting.phase, "known": ", ".join(phase_index)}))
            elif phase_index[meeting.phase] < last_phase:
                problems.append((loc + ("phase",), "phase_order",
                                 "the meetings are not in the order of the phases", {}))
            else:
                last_phase = phase_index[meeting.phase]
            if meeting.week is not None:
                if meeting.week <= last_week:
                    problems.append((loc + ("week",), "week_order",
                                     "week %(week)s does not come after the previous meeting (week %(last)s)",
                                     {"week": meeting.week, "last": last_week}))
                last_week = meeting.week

        seen_tasks: set[str] = set()
        for i, task in enumerate(self.tasks):
            if task.key in seen_tasks:
                problems.append((("tasks", i, "key"), "duplicate", "task '%(key)s' occurs twice",
                                 {"key": task.key}))
            seen_tasks.add(task.key)
            if task.phase not in phase_index:
                problems.append((("tasks", i, "phase"), "unknown_phase",
                                 "unknown phase '%(phase)s'; choose from %(known)s",
                                 {"phase": task.phase, "known": ", ".join(phase_index)}))
                continue
            days = self.phases[phase_index[task.phase]].duration_weeks * 7
            if task.due_days > days:
                problems.append((("tasks", i, "due_days"), "due_after_phase",
                                 "%(due)s days falls after the end of phase '%(phase)s' (%(days)s days)",
                                 {"due": task.due_days, "phase": task.phase, "days": days}))
        _raise(problems, "Template")
        return self

    def phase(self, key: str) -> PhaseSpec:
        for phase in self.phases:
            if phase.key == key:
                return phase
        raise KeyError(key)

    def phase_folder(self, key: str) -> str:
        """The phase's folder name below the network folder: explicit, or "<n>. <name>" to keep the order."""
        for n, phase in enumerate(self.phases, start=1):
            if phase.key == key:
                return _folder_of(n, phase)
        raise KeyError(key)

    def tasks_for_phase(self, key: str) -> list[TaskSpec]:
        return [task for task in self.tasks if task.phase == key]

    def meetings_for_phase(self, key: str) -> list[MeetingSpec]:
        return [meeting for meeting in self.meetings.items if meeting.phase == key]

    def meeting_weeks(self) -> dict[str, int]:
        """Weeks after the network start for each meeting: its own `week`, else spaced by the rhythm.

        Without an explicit week, meeting n (counted from 0) falls in week n·52/per_year, or one week after
        the previous meeting if that is later.
        """
        weeks: dict[str, int] = {}
        previous = -1
        for n, meeting in enumerate(self.meetings.items):
            week = meeting.week if meeting.week is not None else max(n * 52 // self.meetings.per_year, previous + 1)
            weeks[meeting.key] = week
            previous = week
        return weeks

    def seeded_documents(self) -> list[SeededDocument]:
        """Every document a launch writes, with its path from the network's root folder, in a stable order."""
        documents = [SeededDocument(kind="readme", source=self.readme, path=README_TARGET)]
        for phase in self.phases:
            folder = self.phase_folder(phase.key)
            documents += [SeededDocument(kind="phase", source=d.source, path=f"{folder}/{d.target}", phase=phase.key)
                          for d in phase.documents]
            documents += [SeededDocument(kind="agenda", source=m.agenda.source, path=f"{folder}/{m.agenda.target}",
                                         phase=phase.key, meeting=m.key)
                          for m in self.meetings_for_phase(phase.key) if m.agenda]
        return documents


# --- network files --------------------------------------------------------------------------------------


def latest_start(today: date) -> date:
    """The last start date allowed on `today` (MAX_START_YEARS_AHEAD years on; 29 February → 28 February)."""
    year = today.year + MAX_START_YEARS_AHEAD
    return today.replace(year=year, day=min(today.day, 28)) if today.month == 2 else today.replace(year=year)


def _not_too_far_ahead(value: date) -> date:
    limit = latest_start(date.today())
    if value > limit:
        raise _error("too_far_ahead", "%(date)s is more than %(years)s years ahead; choose a date up to %(limit)s",
                     date=value.isoformat(), years=MAX_START_YEARS_AHEAD, limit=limit.isoformat())
    return value


class ManagerContact(_Spec):
    """A commitment's manager: a member's e-mail alone, or name and e-mail of someone outside the network."""

    name: Line | None = None
    email: EmailStr


def _manager_reference(value: Any) -> Any:
    return {"email": value} if isinstance(value, str) else value


class MemberSpec(_Spec):
    name: Line
    email: EmailStr
    organisation: Slug
    # Not stripped: Nextcloud refuses a user id with whitespace at either end, and so does `network import`.
    user: Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=64)] | None = None
    role: Literal["kartrekker", "deelnemer", "manager", "begeleider"] = "deelnemer"
    expertise: Annotated[str, StringConstraints(max_length=200), AfterValidator(_one_line)] = ""


class CommitmentSpec(_Spec):
    """An organisation's management commitment: who, how many hours a month, which podium."""

    organisation: Slug
    manager: Annotated[ManagerContact, BeforeValidator(_manager_reference)]
    hours_per_month: float = Field(ge=0, le=160)
    podium: Text


class RhythmChoice(_Spec):
    """The meeting rhythm chosen for one network; the template's rhythm is the default."""

    per_year: int = Field(ge=1, le=52)
    weekday: Literal["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag"]
    start_time: time


class NetworkSpec(_Spec):
    name: Line
    topic: Line
    question: Text
    ambition: Text
    template: Key
    host: Slug
    start: Annotated[date, AfterValidator(_not_too_far_ahead)]
    place: Annotated[str, StringConstraints(max_length=200), AfterValidator(_one_line)] = ""
    kartrekker: EmailStr
    members: list[MemberSpec] = Field(min_length=1)
    commitments: list[CommitmentSpec] = []
    # School-holiday region (no meetings in its school holidays) and the meeting rhythm; both optional.
    region: Literal["noord", "midden", "zuid"] | None = None
    rhythm: RhythmChoice | None = None

    # Set by the loader: where each field was written, so that later checks can name file and line.
    _source: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_references(self) -> NetworkSpec:
        problems: list = []
        emails: dict[str, int] = {}
        users: set[tuple[str, str]] = set()
        for i, member in enumerate(self.members):
            email = member.email.casefold()
            if email in emails:
                problems.append((("members", i, "email"), "duplicate", "%(email)s occurs twice",
                                 {"email": member.email}))
            emails.setdefault(email, i)
            if member.user:
                if (member.organisation, member.user) in users:
                    problems.append((("members", i, "user"), "duplicate",
                                     "Nextcloud user '%(user)s' occurs twice at %(org)s",
                                     {"user": member.user, "org": member.organisation}))
                users.add((member.organisation, member.user))
            if member.role == "kartrekker" and member.email.casefold() != self.kartrekker.casefold():
                problems.append((("members", i, "role"), "second_kartrekker",
                                 "only the kartrekker (%(kartrekker)s) has the role kartrekker",
                                 {"kartrekker": self.kartrekker}))
        lead = emails.get(self.kartrekker.casefold())
        if lead is None:
            problems.append((("kartrekker",), "unknown_member", "%(email)s is not among the members (members)",
                             {"email": self.kartrekker}))
        elif self.members[lead].role != "kartrekker":
            problems.append((("members", lead, "role"), "kartrekker_role",
                             "the kartrekker has the role 'kartrekker', not '%(role)s'", {"role": self.members[lead].role}))

        organisations = {member.organisation for member in self.members}
        committed: set[str] = set()
        for i, commitment in enumerate(self.commitments):
            if commitment.organisation in committed:
                problems.append((("commitments", i, "organisation"), "duplicate",
                                 "organisation '%(org)s' already has a commitment", {"org": commitment.organisation}))
            committed.add(commitment.organisation)
            if commitment.organisation not in organisations:
                problems.append((("commitments", i, "organisation"), "no_members",
                                 "none of the members works at '%(org)s'", {"org": commitment.organisation}))
            if commitment.manager.name is None and commitment.manager.email.casefold() not in emails:
                problems.append((("commitments", i, "manager"), "unknown_member",
                                 "%(email)s is not among the members; then give name and email of the manager",
                                 {"email": commitment.manager.email}))
        problems += [(loc, "name", message, {})
                     for loc, message in naming.check_network_names(self.names())]
        _raise(problems, "Network")
        return self

    def names(self) -> naming.NetworkNames:
        """What of this network becomes a name in Nextcloud or a single line there, checked the same way as
        an imported network's (extension.networks.importer). No folder: `network create` derives it from the
        name (naming.folder_name, always a valid name) and makes it unique, never the archive folder."""
        lines = [(("name",), self.name), (("topic",), self.topic), (("place",), self.place)]
        for i, member in enumerate(self.members):
            lines += [(("members", i, "name"), member.name), (("members", i, "expertise"), member.expertise)]
        lines += [(("commitments", i, "manager", "name"), c.manager.name)
                  for i, c in enumerate(self.commitments) if c.manager.name]
        return naming.NetworkNames(
            lines=lines,
            users=[(("members", i, "user"), member.user) for i, member in enumerate(self.members) if member.user])

    def member(self, email: str) -> MemberSpec:
        for member in self.members:
            if member.email.casefold() == email.casefold():
                return member
        raise KeyError(email)

    def manager_of(self, commitment: CommitmentSpec) -> ManagerContact:
        """The commitment's manager as name and e-mail, whether given as a member reference or directly."""
        if commitment.manager.name is not None:
            return commitment.manager
        member = self.member(commitment.manager.email)
        return ManagerContact(name=member.name, email=member.email)

    def organisation_slugs(self) -> list[str]:
        """The organisations taking part (the host and every member's), in order of first appearance."""
        return list(dict.fromkeys([self.host] + [member.organisation for member in self.members]))
