"""Rendering a template's Markdown documents with Jinja2, sandboxed and strict, plus the load-time checks.

Documents see these names (`context_names`): `network` (name, topic, question, ambition, start, place),
`kartrekker` (name, email, organisation), `members` (name, email, organisation, role, expertise),
`organisations` (name, kind, manager, hours_per_month, podium), `phases` (key, name, goal, duration_weeks,
folder, working_methods with name and description), `meetings` (key, phase, title, start, end, place);
phase documents and agendas also `phase`, agendas also `meeting`. Filters: `datum` ("maandag 1 september
2025"), `tijd` ("15:30") and `getal` (4,5). Dutch day and month names are spelled out here rather than taken from Babel's
locale data so that a rendered document stays byte-identical across library upgrades.
"""
from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping

from jinja2 import StrictUndefined, TemplateError as JinjaError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from extension.network_templates.errors import Problem, TemplateError
from extension.network_templates.schema import Template, WorkingMethod

BASE_NAMES = frozenset({"network", "kartrekker", "members", "organisations", "phases", "meetings"})
_NAMES_BY_KIND = {
    "readme": BASE_NAMES,
    "phase": BASE_NAMES | {"phase"},
    "agenda": BASE_NAMES | {"phase", "meeting"},
}
_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december")


def context_names(kind: str) -> frozenset[str]:
    """The names a document of this kind ("readme", "phase", "agenda") may use."""
    return _NAMES_BY_KIND[kind]


@dataclass(frozen=True)
class NetworkInfo:
    name: str
    topic: str
    question: str
    ambition: str
    start: date
    place: str = ""


@dataclass(frozen=True)
class PersonInfo:
    name: str
    email: str
    organisation: str


@dataclass(frozen=True)
class MemberInfo:
    name: str
    organisation: str
    role: str
    expertise: str = ""
    email: str = ""


@dataclass(frozen=True)
class OrganisationInfo:
    name: str
    kind: str
    manager: str = ""
    hours_per_month: float | None = None
    podium: str = ""


@dataclass(frozen=True)
class PhaseInfo:
    key: str
    name: str
    goal: str
    duration_weeks: int
    folder: str
    working_methods: tuple[WorkingMethod, ...] = ()

    @classmethod
    def from_template(cls, template: Template, key: str) -> PhaseInfo:
        spec = template.phase(key)
        return cls(spec.key, spec.name, spec.goal, spec.duration_weeks, template.phase_folder(key),
                   tuple(spec.working_methods))


@dataclass(frozen=True)
class MeetingInfo:
    key: str
    phase: str
    title: str
    start: datetime
    end: datetime
    place: str = ""


@dataclass(frozen=True)
class DocumentContext:
    network: NetworkInfo
    kartrekker: PersonInfo
    members: tuple[MemberInfo, ...]
    organisations: tuple[OrganisationInfo, ...]
    phases: tuple[PhaseInfo, ...]
    meetings: tuple[MeetingInfo, ...] = ()
    phase: PhaseInfo | None = None
    meeting: MeetingInfo | None = None

    def as_mapping(self) -> dict[str, Any]:
        names = {"network": self.network, "kartrekker": self.kartrekker, "members": self.members,
                 "organisations": self.organisations, "phases": self.phases, "meetings": self.meetings}
        if self.phase is not None:
            names["phase"] = self.phase
        if self.meeting is not None:
            names["meeting"] = self.meeting
        return names


_INFO_TYPES = {
    "NetworkInfo": ("network", NetworkInfo), "PersonInfo": ("kartrekker", PersonInfo),
    "MemberInfo": ("member", MemberInfo), "OrganisationInfo": ("organisation", OrganisationInfo),
    "PhaseInfo": ("phase", PhaseInfo), "MeetingInfo": ("meeting", MeetingInfo),
}


def _datum(value: date | datetime) -> str:
    return f"{_DAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"


def _tijd(value: datetime | time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def _getal(value: float | int) -> str:
    """A number the Dutch way: 4 stays 4, 4.5 becomes 4,5."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}".replace(".", ",")


# Characters that make Markdown (Nextcloud Text) or HTML out of plain text: links, emphasis, code, tags, tables.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _as_text(value: Any) -> Any:
    """Every value a document shows stays text in Markdown: a name like `[klik](https://…)` is no link."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value) if isinstance(value, str) else value


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
                               trim_blocks=True, lstrip_blocks=True, auto_reload=False, finalize=_as_text)
    env.filters["datum"] = _datum
    env.filters["tijd"] = _tijd
    env.filters["getal"] = _getal
    return env


_ENV = _environment()


def render_text(text: str, filename: str, names: Mapping[str, Any]) -> str:
    """Render one document's text; a failure is a TemplateError naming the file and the line."""
    try:
        return _compile(text, filename).render(**names)
    except TemplateSyntaxError as exc:
        raise TemplateError([Problem(filename, exc.lineno, "", f"Jinja-fout: {exc.message}")]) from None
    except JinjaError as exc:
        field, message = _explain(exc)
        raise TemplateError([Problem(filename, _line_in(exc, filename), field, message)]) from None


_NO_ATTRIBUTE = re.compile(r"'(?:[\w.]+\.)?(\w+) object' has no attribute '([^']+)'")


def _explain(exc: JinjaError) -> tuple[str, str]:
    """A field and a Dutch message for a render error; a misspelt attribute names what does exist."""
    match = _NO_ATTRIBUTE.search(str(exc))
    info = _INFO_TYPES.get(match.group(1)) if match else None
    if info is None:
        return "", f"Jinja-fout: {exc}"
    label, cls = info
    known = ", ".join(f.name for f in fields(cls))
    return f"{label}.{match.group(2)}", f"onbekende eigenschap '{match.group(2)}'; bekend zijn: {known}"


def _compile(text: str, filename: str):
    code = _ENV.compile(text, name=filename, filename=filename)
    return _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None))


def _line_in(exc: BaseException, filename: str) -> int | None:
    """The template line Jinja was at: its traceback frames carry the template's file name and line."""
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == filename]
    return lines[-1] if lines else None


def render_document(template: Template, source: str, context: DocumentContext | Mapping[str, Any]) -> str:
    """Render the document `source` (a path in the template folder) with `context`; same input, same text."""
    try:
        text = template._sources[source]
    except KeyError:
        raise TemplateError([Problem(template.id, None, "", f"document '{source}' hoort niet bij dit sjabloon")]) from None
    names = context.as_mapping() if isinstance(context, DocumentContext) else dict(context)
    return render_text(text, _display(template, source), names)


def _display(template: Template, source: str) -> str:
    root = template._root
    return str(root / source) if root is not None else f"{template.id}/{source}"


def check_document(text: str, filename: str, kind: str) -> list[Problem]:
    """Load-time check of one document: Jinja syntax, and no name outside the documented context."""
    try:
        tree = _ENV.parse(text, name=filename, filename=filename)
    except TemplateSyntaxError as exc:
        return [Problem(filename, exc.lineno, "", f"Jinja-fout: {exc.message}")]
    allowed = context_names(kind)
    unknown = meta.find_undeclared_variables(tree) - allowed
    problems = []
    for name in sorted(unknown):
        line = min(node.lineno for node in tree.find_all(nodes.Name) if node.name == name)
        problems.append(Problem(filename, line, name,
                                f"onbekende plaatshouder '{name}'; bekend zijn: {', '.join(sorted(allowed))}"))
    return problems


def sample_context(template: Template) -> DocumentContext:
    """A filled-in example context: `templates check` renders every document with it to catch typos."""
    start = date(2025, 9, 1)
    phases = tuple(PhaseInfo.from_template(template, p.key) for p in template.phases)
    rhythm = template.meetings
    meetings = []
    for spec in rhythm.items:
        begin = datetime.combine(start + timedelta(weeks=template.meeting_weeks()[spec.key]), rhythm.start_time)
        meetings.append(MeetingInfo(spec.key, spec.phase, spec.title, begin,
                                    begin + timedelta(minutes=rhythm.duration_minutes), "Voorbeeldlocatie"))
    return DocumentContext(
        network=NetworkInfo("Voorbeeldnetwerk", "Voorbeeldonderwerp", "Hoe doen we dit samen?",
                            "Alle kinderen een goede start.", start, "Voorbeeldlocatie"),
        kartrekker=PersonInfo("Kim Kartrekker", "kim@example.org", "Organisatie A"),
        members=(MemberInfo("Kim Kartrekker", "Organisatie A", "kartrekker", "pedagogisch coach", "kim@example.org"),
                 MemberInfo("Sam Deelnemer", "Organisatie B", "deelnemer", "leerkracht groep 1-2", "sam@example.org")),
        organisations=(OrganisationInfo("Organisatie A", "kinderopvang", "Mo Manager", 4, "teamoverleg"),
                       OrganisationInfo("Organisatie B", "basisschool", "Lou Leider", 4, "bouwvergadering")),
        phases=phases,
        meetings=tuple(meetings),
    )


def sample_context_for(template: Template, kind: str, phase: str | None, meeting: str | None) -> DocumentContext:
    context = sample_context(template)
    phase_info = next((p for p in context.phases if p.key == phase), None) if kind != "readme" else None
    meeting_info = next((m for m in context.meetings if m.key == meeting), None) if kind == "agenda" else None
    return DocumentContext(context.network, context.kartrekker, context.members, context.organisations,
                           context.phases, context.meetings, phase_info, meeting_info)
