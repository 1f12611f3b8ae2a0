"""YAML a user wrote, read with the line of every value, refusing duplicate keys and anything but UTF-8.

Shared by network templates, network description files and appinfo.yml, so that each names file, line and
field the same way (in Dutch, the product's language).

Built on PyYAML's composer (already a dependency): `yaml.compose` yields the node graph with a start mark
per node, from which we build plain Python values and a map from field path to line. Loading through
`yaml.safe_load` would lose the marks and silently keep the last of two duplicate keys; ruamel.yaml keeps
marks too but would be one more dependency for the same result. Scalars are resolved by a small YAML 1.2
core-schema resolver instead of PyYAML's YAML 1.1 one, so that `15:30` stays a time text (not the
sexagesimal integer 930), `no` stays text, and an impossible date such as 2025-02-30 reaches the schema
(which names the field) instead of crashing the constructor.

Hostile input is refused fast and small, naming file and line: a file larger than `MAX_YAML_BYTES`, nesting
deeper than `MAX_DEPTH` (checked while composing, before Python's recursion limit could be reached), and
aliases whose expansion would exceed `MAX_VALUES` values (an "alias bomb": a few hundred bytes that expand to
hundreds of millions of values). The expanded size is computed on the composed node graph, where an alias is
the same node object as its anchor, so the refusal costs time and memory in proportion to the file, not to
its expansion. An alias that refers to itself is refused too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from extension.i18n import Text
from extension.problems import Problem, SourceError, field_path

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
# Templates and network files are a few kilobytes (the largest shipped template.yml is 16 KB); PyYAML's
# pure-Python composer reads roughly 100 KB a second, so this bounds a check to a few seconds.
MAX_YAML_BYTES = 256 * 1024
MAX_DEPTH = 50
# Values after expanding aliases: a network of 500 members has about 8,000.
MAX_VALUES = 100_000
# Longer digit strings stay text: int() refuses more than 4,300 digits anyway, and no field needs them.
_MAX_DIGITS = 100


@dataclass
class SourceMap:
    """Where each value of one YAML file was written: field path → 1-based line."""

    file: str
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def line_of(self, loc: tuple[Any, ...], missing: bool = False) -> int | None:
        """The line of `loc`, else of its nearest written parent (a missing field: the mapping that lacks it)."""
        loc = tuple(loc)
        if missing:
            loc = loc[:-1]
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)


@dataclass
class YamlDocument:
    data: Any
    source: SourceMap


def _kilobytes(size: int) -> str:
    return f"{size / 1024:.0f} kB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def read_text(path: Path, display: str, error: type[SourceError], max_bytes: int = MAX_YAML_BYTES) -> str:
    """A file's text as UTF-8, refused above `max_bytes` before it is read; anything but UTF-8 is an error
    naming the line of the first bad byte."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error([Problem(display, None, "", Text("is too large (%(size)s); at most %(limit)s is allowed",
                                                         size=_kilobytes(size), limit=_kilobytes(max_bytes)))])
        with path.open("rb") as handle:
            # Read one byte more than allowed: a file that grew after stat() is still refused.
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise error([Problem(display, None, "", Text("cannot be read (%(error)s)",
                                                         error=exc.strerror or str(exc)))]) from None
    if len(raw) > max_bytes:
        raise error([Problem(display, None, "", Text("is too large; at most %(limit)s is allowed",
                                                     limit=_kilobytes(max_bytes)))])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error([Problem(display, line, "", Text(
            "is not UTF-8 (byte 0x%(byte)s); save the file as UTF-8", byte=f"{raw[exc.start]:02x}"))]) from None
    return text.removeprefix("\ufeff")


def load_yaml(path: Path, display: str, error: type[SourceError]) -> YamlDocument:
    """Parse one YAML document from `path`; problems are raised as `error` naming `display` and the line."""
    return parse_yaml(read_text(path, display, error), display, error)


def parse_yaml(text: str, display: str, error: type[SourceError]) -> YamlDocument:
    """Parse one YAML document from `text` already in memory, as `load_yaml` does from a file."""
    if len(text) > MAX_YAML_BYTES:
        raise error([Problem(display, None, "", Text("is too large; at most %(limit)s is allowed",
                                                     limit=_kilobytes(MAX_YAML_BYTES)))])
    try:
        nodes = list(yaml.compose_all(text, Loader=_BudgetedLoader))
    except _TooDeep as exc:
        raise error([Problem(display, exc.line, "", Text("nested too deeply (more than %(levels)s levels)",
                                                           levels=MAX_DEPTH))]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or Text("unreadable")
        if exc.context and exc.context_mark and exc.problem:
            # Where the unfinished construct began (an opening quote or bracket) is usually the line to fix.
            what = Text("%(problem)s (%(context)s, begun on line %(line)s)", problem=exc.problem,
                        context=exc.context, line=exc.context_mark.line + 1)
        raise error([Problem(display, line, "", Text("YAML error: %(what)s", what=what))]) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise error([Problem(display, line, "", Text("YAML error: character %(character)s is not allowed in a YAML "
                                                     "file", character=f"{ord(char):#06x}"))]) from None
    except yaml.YAMLError as exc:
        raise error([Problem(display, None, "", Text("YAML error: %(what)s", what=str(exc)))]) from None
    if len(nodes) != 1:
        line = nodes[1].start_mark.line + 1 if len(nodes) > 1 else None
        raise error([Problem(display, line, "", Text("the file must contain exactly one YAML document"))])
    refused = _expansion_problem(nodes[0], display)
    if refused:
        raise error([refused])
    builder = _Builder(SourceMap(display))
    data = builder.build(nodes[0], ())
    if builder.problems:
        raise error(builder.problems)
    return YamlDocument(data, builder.source)


class _TooDeep(Exception):
    def __init__(self, line: int):
        self.line = line


class _BudgetedLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, composing no deeper than MAX_DEPTH (its composer recurses per level)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expansion_problem(root: yaml.Node, display: str) -> Problem | None:
    """Count the values the document has once its aliases are expanded, without expanding them: each
    distinct node is visited once (an alias is its anchor's node), its size the sum of its children's."""
    sizes: dict[int, int] = {}
    path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_VALUES:
                return Problem(display, node.start_mark.line + 1, "",
                               Text("too many values once the references (*) are filled in: more than %(limit)s",
                                    limit=f"{MAX_VALUES:,}".replace(",", ".")))
            continue
        if key in sizes:
            continue
        if key in path:
            return Problem(display, node.start_mark.line + 1, "", Text("a reference (*) to itself"))
        path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return None


class _Builder:
    def __init__(self, source: SourceMap):
        self.source = source
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, loc: tuple[Any, ...]) -> Any:
        self.source.lines[loc] = node.start_mark.line + 1
        if len(loc) > MAX_DEPTH:
            self.problems.append(Problem(self.source.file, node.start_mark.line + 1, field_path(loc),
                                         Text("nested too deeply (or a reference to itself)")))
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, loc + (i,)) for i, item in enumerate(node.value)]
        return _scalar(node)

    def _mapping(self, node: yaml.MappingNode, loc: tuple[Any, ...]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(Problem(self.source.file, line, field_path(loc),
                                             Text("a field name must be text")))
                continue
            key = key_node.value
            if key in result:
                first = self.source.lines.get(loc + (key,))
                self.problems.append(Problem(self.source.file, line, field_path(loc + (key,)),
                                             Text("duplicate key '%(key)s' (also on line %(line)s)", key=key,
                                                  line=first)))
                continue
            result[key] = self.build(value_node, loc + (key,))
            # A field is named where its key is written: for a nested block that is the line before its values.
            self.source.lines[loc + (key,)] = line
        return result


def _scalar(node: yaml.ScalarNode) -> Any:
    value = node.value
    if node.style is not None or node.tag == "tag:yaml.org,2002:str":
        return value
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if len(value) > _MAX_DIGITS:
        return value
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    return value
