"""Rendering a template's Markdown documents with Jinja2, sandboxed and strict, plus the load-time checks.

Documents see these names (`context_names`): `network` (name, topic, question, ambition, start, place),
`kartrekker` (name, email, organisation), `members` (name, email, organisation, role, expertise),
`organisations` (name, kind, manager, hours_per_month, podium), `phases` (key, name, goal, duration_weeks,
folder, working_methods with name and description), `meetings` (key, phase, title, start, end, place);
phase documents and agendas also `phase`, agendas also `meeting`. Filters: `datum` ("maandag 1 september
2025"), `tijd` ("15:30") and `getal` (4,5). Dutch day and month names are spelled out here rather than taken from Babel's
locale data so that a rendered document stays byte-identical across library upgrades.

Every value a document prints (`{{ … }}`) is Markdown-escaped (`markdown_text`): a name such as
`[x](http://evil)` or `<script>` stays text in Nextcloud Text instead of becoming a link or HTML.

A template comes from an admin's folder, so rendering is budgeted as well as sandboxed (Jinja's immutable
sandbox: no private attributes, no changing lists or dicts): only the filters in `_FILTERS` and the global
`range` (at most `MAX_RANGE` items), no `{% include %}`, `{% import %}`, `{% extends %}` or `{% block %}` (a
document stands alone), no macro that calls itself; every call, filter and loop step counts against
`MAX_STEPS`; operators that could build a huge value (`*`, `**`, `+`, `%`, `~`) and every call's result are
size-checked; the output stops at the document size limit (the `DOCUMENT_MAX_BYTES` setting, also the
largest document a template folder may hold). Whatever goes wrong is a TemplateError naming file and line.
"""
from __future__ import annotations

import contextvars
import functools
import re
import time as clock
import traceback
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping

from jinja2 import StrictUndefined, TemplateError as JinjaError, TemplateSyntaxError, meta, nodes
from jinja2.compiler import CodeGenerator
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from extension.i18n import Text
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


# The default of the DOCUMENT_MAX_BYTES setting (appinfo.yml), used outside an app (e.g. `templates check`
# run on a folder without configuration).
DEFAULT_DOCUMENT_MAX_BYTES = 1024 * 1024
MAX_STEPS = 200_000
# Placeholders and tags per document (`{{`, `{%`, `{#`): parsing and compiling cost grows with them, about a
# second per thousand on a busy machine; the shipped documents have at most 40.
MAX_TAGS = 2000
MAX_RANGE = 10_000
# Wall-clock safety net for what the step count does not see (a slow regular expression in a filter).
MAX_RENDER_SECONDS = 10.0
# Largest integer an operator may build, in bits (about 30,000 digits).
_MAX_INT_BITS = 100_000
# Largest width, count or length argument of a filter (`center`, `indent`, `wordwrap`, `batch`, …).
_MAX_FILTER_ARGUMENT = 1000


def document_max_bytes() -> int:
    """The DOCUMENT_MAX_BYTES setting of the running app, else its default."""
    try:
        from flask import current_app

        return int(current_app.config["DOCUMENT_MAX_BYTES"])
    except (RuntimeError, KeyError, TypeError, ValueError):
        return DEFAULT_DOCUMENT_MAX_BYTES


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


_INLINE_MARKDOWN = re.compile(r"[\\`*_\[\]<>|~]|&(?=#?\w+;)")
_LINE_START_MARKDOWN = re.compile(r"^([ \t]*)(?:([#+=-])|(\d{1,9})([.)]))", re.MULTILINE)


def markdown_text(value: str) -> str:
    """`value` escaped so that Markdown shows it as written: no link, image, HTML, emphasis, code, table
    cell border, heading or list item comes out of it (CommonMark backslash escapes)."""
    value = _INLINE_MARKDOWN.sub(lambda m: "\\" + m.group(0), value)
    return _LINE_START_MARKDOWN.sub(
        lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4)), value)


def _finalize(value: Any) -> Any:
    value = _checked(value)
    return markdown_text(value) if isinstance(value, str) else value


class _Refused(Exception):
    """A template went over one of the render budgets; the message (an i18n.Text) says which."""


def _too_large(limit: int) -> _Refused:
    return _Refused(Text("a value grows larger than the document limit (%(limit)s characters)",
                         limit=f"{limit:,}".replace(",", ".")))


def _weight(value: Any, limit: int) -> int:
    """About the length of `str(value)`, counted without building it; stops counting just past `limit`.

    A list can hold the same long text many times over, so its length says little about its text.
    """
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 1 + len(item)
            stack.extend(item)
        elif isinstance(item, dict):
            total += 1 + len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 1
    return total


@dataclass
class _Budget:
    max_chars: int
    deadline: float
    steps: int = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Refused(Text("too much computing (more than %(limit)s steps); simplify the loops and macros",
                                limit=f"{MAX_STEPS:,}".replace(",", ".")))
        if self.steps % 1024 == 0 and clock.monotonic() > self.deadline:
            raise _Refused(Text("the document is not finished after %(seconds)s seconds",
                                seconds=f"{MAX_RENDER_SECONDS:g}"))

    def check(self, value: Any) -> Any:
        if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
            raise _Refused(Text("a number grows too large"))
        if _weight(value, self.max_chars) > self.max_chars:
            raise _too_large(self.max_chars)
        return value


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("template_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def _checked(value: Any) -> Any:
    budget = _BUDGET.get()
    return budget.check(value) if budget is not None else value


def _limit() -> int:
    budget = _BUDGET.get()
    return budget.max_chars if budget is not None else DEFAULT_DOCUMENT_MAX_BYTES


def _loop_budget(iterable: Any):
    """Wraps every `{% for %}`'s iterable (see `_budgeted_tree`): each step of a loop counts."""
    for item in iterable:
        _tick()
        yield item


def _range(*args: int) -> range:
    items = range(*args)
    if len(items) > MAX_RANGE:
        raise _Refused(f"range() met {len(items):,} getallen; hoogstens {MAX_RANGE:,}".replace(",", "."))
    return items


def _guarded_filter(name: str, function):
    """A Jinja filter that counts as a step, refuses huge size arguments and size-checks its input and result."""

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        _tick()
        values = list(args) + list(kwargs.values())
        for value in values:
            _checked(value)
            if name in _SIZED_FILTERS and isinstance(value, int) and not isinstance(value, bool) \
                    and abs(value) > _MAX_FILTER_ARGUMENT:
                raise _Refused(f"filter '{name}' met {value}; hoogstens {_MAX_FILTER_ARGUMENT}")
        if name == "replace":
            _check_replacement(args)
        if name == "sum" and not all(isinstance(v, (int, float)) for v in (args[0] if args else ())):
            raise _Refused("filter 'sum' telt alleen getallen op")
        return _checked(function(*args, **kwargs))

    return guarded


def _check_replacement(args: tuple) -> None:
    """(eval_ctx, text, old, new[, count]): refused before building a result larger than the limit."""
    if len(args) >= 4 and all(isinstance(a, str) for a in args[1:4]):
        text, old, new = args[1], args[2], args[3]
        growth = (text.count(old) if old else len(text) + 1) * max(len(new) - len(old), 0)
        if len(text) + growth > _limit():
            raise _too_large(_limit())


# Jinja's filters that a document may use; those taking a size (`_SIZED_FILTERS`) get it bounded. Left out:
# format, pprint, random, tojson, urlize, xmlattr, filesizeformat, safe, escape/e, forceescape, attr.
_SAFE_JINJA_FILTERS = (
    "abs", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "first", "float", "groupby",
    "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject",
    "rejectattr", "replace", "reverse", "round", "select", "selectattr", "slice", "sort", "string", "striptags",
    "sum", "title", "trim", "truncate", "unique", "upper", "wordcount", "wordwrap",
)
_SIZED_FILTERS = frozenset({"batch", "center", "indent", "slice", "truncate", "wordwrap"})
_FILTERS = {name: JINJA_FILTERS[name] for name in _SAFE_JINJA_FILTERS} | {
    "datum": _datum, "tijd": _tijd, "getal": _getal}

# Methods a document may call on the values it sees; everything else callable is refused (our own info
# objects expose data only). None of these takes a size or builds a value larger than its input.
_SAFE_METHODS: tuple[tuple[Any, frozenset[str]], ...] = (
    (str, frozenset({"capitalize", "endswith", "isdigit", "lower", "lstrip", "rstrip", "startswith", "strip",
                     "title", "upper"})),
    (dict, frozenset({"get", "items", "keys", "values"})),
    ((date, time), frozenset({"isoformat", "isoweekday", "weekday"})),
    (LoopContext, frozenset({"cycle", "changed"})),
)


def _sized_binop(operation: str, left: Any, right: Any) -> None:
    """Refuse, before computing it, a `*`, `**`, `+` or `%` whose result would exceed the budgets."""
    limit = _limit()
    _checked(left)
    _checked(right)
    numbers = all(isinstance(v, int) and not isinstance(v, bool) for v in (left, right))
    if operation == "**" and numbers:
        if right > 0 and max(abs(left).bit_length(), 1) * right > _MAX_INT_BITS:
            raise _Refused(Text("a number grows too large"))
    elif operation == "*":
        if numbers and abs(left).bit_length() + abs(right).bit_length() > _MAX_INT_BITS:
            raise _Refused(Text("a number grows too large"))
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, (str, list, tuple)) and isinstance(times, int) \
                    and _weight(sequence, limit) * times > limit:
                raise _too_large(limit)
    elif operation == "+":
        if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)) \
                and _weight(left, limit) + _weight(right, limit) > limit:
            raise _too_large(limit)
    elif operation == "%" and isinstance(left, str) and re.search(r"%[^a-zA-Z%]*\d{4,}", left):
        raise _Refused(Text("a format width in '%' is too large"))


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the budgets of the module docstring."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def wrap_str_format(self, value: Any) -> None:
        """No `str.format`: it is refused like every other method outside `_SAFE_METHODS` (a width in the
        format could build a huge text)."""
        return None

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if not callable(value) or isinstance(value, Macro):
            return True
        return any(isinstance(obj, kinds) and attr in names for kinds, names in _SAFE_METHODS)

    def call_binop(self, context, operation: str, left: Any, right: Any) -> Any:
        _tick()
        _sized_binop(operation, left, right)
        return _checked(super().call_binop(context, operation, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        _tick()
        return _checked(super().call(__context, __obj, *args, **kwargs))

    def concat(self, parts: tuple) -> str:
        """`~`: refused before joining when the joined text would exceed the limit."""
        _tick()
        limit = _limit()
        if _weight(parts, limit) > limit:
            raise _too_large(limit)
        return "".join(str(part) for part in parts)


class _CodeGenerator(CodeGenerator):
    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        self.write("environment.concat((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")


def _environment() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True, trim_blocks=True,
                   lstrip_blocks=True, auto_reload=False, finalize=_finalize)
    env.code_generator_class = _CodeGenerator
    env.filters = {name: _guarded_filter(name, function) for name, function in _FILTERS.items()}
    env.filters[_LOOP_FILTER] = _loop_budget
    env.globals = {"range": _range}
    return env


_LOOP_FILTER = "ln-loop-budget"
_ENV = _environment()


def render_text(text: str, filename: str, names: Mapping[str, Any], max_bytes: int | None = None) -> str:
    """Render one document's text within the budgets; any failure is a TemplateError naming file and line."""
    limit = max_bytes if max_bytes is not None else document_max_bytes()
    token = _BUDGET.set(_Budget(limit, clock.monotonic() + MAX_RENDER_SECONDS))
    try:
        template = _compile(text, filename)
        chunks, size = [], 0
        output = template.generate(**names)
        for chunk in output:
            size += len(chunk)
            if size > limit:
                line = _line_running(output, template)
                output.close()
                raise TemplateError([Problem(filename, line, "", Text("the document grows larger than %(limit)s",
                                                                      limit=_size(limit)))])
            chunks.append(chunk)
        text = "".join(chunks)
        if len(text.encode("utf-8")) > limit:
            raise TemplateError([Problem(filename, None, "", Text("the document grows larger than %(limit)s",
                                                                  limit=_size(limit)))])
        return text
    except TemplateError:
        raise
    except TemplateSyntaxError as exc:
        raise TemplateError([Problem(filename, exc.lineno, "", Text("Jinja error: %(error)s", error=exc.message))]) \
            from None
    except _Refused as exc:
        raise TemplateError([Problem(filename, _line_in(exc, filename), "", exc.args[0])]) from None
    except JinjaError as exc:
        field, message = _explain(exc)
        raise TemplateError([Problem(filename, _line_in(exc, filename), field, message)]) from None
    except RecursionError as exc:
        raise TemplateError([Problem(filename, _line_in(exc, filename), "",
                                     Text("nested too deeply (a macro that calls itself?)"))]) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, MemoryError) as exc:
        raise TemplateError([Problem(filename, _line_in(exc, filename), "",
                                     Text("error in the document: %(type)s: %(error)s", type=type(exc).__name__,
                                          error=str(exc)))]) from None
    finally:
        _BUDGET.reset(token)


def _line_running(output, template) -> int | None:
    """The document line a suspended render is at: the innermost generator's frame, mapped by Jinja."""
    generator = output
    while getattr(generator, "gi_yieldfrom", None) is not None:
        generator = generator.gi_yieldfrom
    frame = getattr(generator, "gi_frame", None)
    return template.get_corresponding_lineno(frame.f_lineno) if frame is not None else None


def _size(limit: int) -> str:
    return f"{limit / 1024:.0f} kB" if limit < 1024 * 1024 else f"{limit / 1024 / 1024:g} MB"


_NO_ATTRIBUTE = re.compile(r"'(?:[\w.]+\.)?(\w+) object' has no attribute '([^']+)'")


def _explain(exc: JinjaError) -> tuple[str, Text]:
    """A field and a message for a render error; a misspelt attribute names what does exist."""
    match = _NO_ATTRIBUTE.search(str(exc))
    info = _INFO_TYPES.get(match.group(1)) if match else None
    if info is None:
        return "", Text("Jinja error: %(error)s", error=str(exc))
    label, cls = info
    known = ", ".join(f.name for f in fields(cls))
    return f"{label}.{match.group(2)}", Text("unknown property '%(name)s'; known are: %(known)s", name=match.group(2),
                                             known=known)


def _tag_problem(text: str, filename: str) -> Problem | None:
    tags = text.count("{{") + text.count("{%") + text.count("{#")
    if tags > MAX_TAGS:
        return Problem(filename, None, "", Text("too many placeholders and statements (%(count)s); at most %(limit)s "
                                                "per document", count=f"{tags:,}".replace(",", "."),
                                                limit=f"{MAX_TAGS:,}".replace(",", ".")))
    return None


@functools.lru_cache(maxsize=512)
def _compile(text: str, filename: str):
    """The compiled template of `text` (compiling costs far more than rendering; a template loaded once, or a
    launch rendering the same documents for many phases, compiles each text once per process)."""
    too_many = _tag_problem(text, filename)
    if too_many:
        raise TemplateError([too_many])
    tree = _budgeted_tree(_ENV.parse(text, name=filename, filename=filename))
    code = _ENV.compile(tree, name=filename, filename=filename)
    return _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None))


def _budgeted_tree(tree: nodes.Template) -> nodes.Template:
    """Every loop's iterable wrapped in the loop budget, so that each iteration counts as a step."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.lineno)
    return tree


def _line_in(exc: BaseException, filename: str) -> int | None:
    """The template line Jinja was at: its traceback frames carry the template's file name and line."""
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == filename]
    return lines[-1] if lines else None


def render_document(template: Template, source: str, context: DocumentContext | Mapping[str, Any]) -> str:
    """Render the document `source` (a path in the template folder) with `context`; same input, same text."""
    try:
        text = template._sources[source]
    except KeyError:
        raise TemplateError([Problem(template.id, None, "", Text("document '%(source)s' does not belong to this "
                                                                 "template", source=source))]) from None
    names = context.as_mapping() if isinstance(context, DocumentContext) else dict(context)
    return render_text(text, _display(template, source), names)


def _display(template: Template, source: str) -> str:
    root = template._root
    return str(root / source) if root is not None else f"{template.id}/{source}"


_STANDALONE = {nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "from … import",
               nodes.Extends: "extends", nodes.Block: "block"}


def check_document(text: str, filename: str, kind: str) -> list[Problem]:
    """Load-time check of one document: Jinja syntax, no include/import/extends/block, no recursive macro,
    and no name outside the documented context."""
    too_many = _tag_problem(text, filename)
    if too_many:
        return [too_many]
    try:
        tree = _ENV.parse(text, name=filename, filename=filename)
        undeclared = meta.find_undeclared_variables(tree)
    except TemplateSyntaxError as exc:
        return [Problem(filename, exc.lineno, "", Text("Jinja error: %(error)s", error=exc.message))]
    except (RecursionError, MemoryError, ValueError, OverflowError) as exc:
        return [Problem(filename, None, "", Text("Jinja error: the document cannot be read (%(error)s)",
                                                 error=type(exc).__name__))]
    problems = []
    for node_type, tag in _STANDALONE.items():
        for node in tree.find_all(node_type):
            problems.append(Problem(filename, node.lineno, "", Text(
                "{%% %(tag)s %%} cannot be used in a template document: each document stands on its own; put the "
                "text in the document itself", tag=tag)))
    problems += _recursive_macros(tree, filename)
    allowed = context_names(kind)
    unknown = undeclared - allowed
    for name in sorted(unknown):
        line = min(node.lineno for node in tree.find_all(nodes.Name) if node.name == name)
        problems.append(Problem(filename, line, name, Text("unknown placeholder '%(name)s'; known are: %(known)s",
                                                           name=name, known=", ".join(sorted(allowed)))))
    return sorted(problems, key=lambda p: (p.line or 0, p.field))


def _recursive_macros(tree: nodes.Template, filename: str) -> list[Problem]:
    """Macros that call themselves, directly or through other macros (a call cycle): refused at load, since
    such a document either never ends or grows exponentially."""
    macros = {macro.name: macro for macro in tree.find_all(nodes.Macro)}
    calls = {name: {call.node.name for call in macro.find_all(nodes.Call)
                    if isinstance(call.node, nodes.Name) and call.node.name in macros}
             for name, macro in macros.items()}
    problems = []
    for name, macro in macros.items():
        seen, todo = set(), list(calls[name])
        while todo:
            callee = todo.pop()
            if callee == name:
                problems.append(Problem(filename, macro.lineno, "", Text(
                    "macro '%(name)s' calls itself (directly or through another macro); that cannot be in a template",
                    name=name)))
                break
            if callee not in seen:
                seen.add(callee)
                todo.extend(calls[callee])
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
