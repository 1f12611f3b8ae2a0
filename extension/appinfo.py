"""appinfo.yml, the app manifest: found, parsed, validated against its JSON Schema, and read as typed values.

Validation is jsonschema's; what is hand-written is keeping PyYAML's node tree beside the data, so that
every problem names its file, line and field, and the few rules a schema cannot state (min ≤ max, unique
app ids, defaults of the declared type).
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMA_PATH = PACKAGE_DIR / "appinfo.schema.yml"
FILE_NAME = "appinfo.yml"

_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "integer": int, "number": (int, float), "boolean": bool, "array": (list, tuple),
    "object": dict, "null": type(None),
}


def appinfo_path() -> Path:
    """The manifest this app runs with: the repository's root file in a checkout, else the copy the
    package build placed inside the package (setup.py)."""
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / FILE_NAME).is_file():
        return checkout / FILE_NAME
    return PACKAGE_DIR / FILE_NAME


@dataclass(frozen=True)
class Problem:
    source: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.field}: {self.message}"


class AppInfoError(ValueError):
    """appinfo.yml is unreadable or invalid; `problems` lists each with file, line and field."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class NextcloudApp:
    id: str
    need: str  # required | cross-organisation | recommended
    why: str
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Setting:
    name: str
    types: tuple[str, ...]
    default: Any
    meaning: str
    env: str | None = None

    def accepts(self, value: Any) -> bool:
        """True when `value` has one of the declared JSON types (a tuple counts as an array)."""
        for name in self.types:
            if name in ("integer", "number") and isinstance(value, bool):
                continue
            if isinstance(value, _PYTHON_TYPES[name]):
                return True
        return False


@dataclass(frozen=True)
class AppInfo:
    source: str
    data: dict

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def version(self) -> str:
        return self.data["version"]

    @property
    def name(self) -> dict[str, str]:
        return self.data["name"]

    @property
    def min_version(self) -> int:
        return self.data["nextcloud"]["versions"]["min"]

    @property
    def max_version(self) -> int:
        return self.data["nextcloud"]["versions"]["max"]

    def supports(self, major: int) -> bool:
        return self.min_version <= major <= self.max_version

    @property
    def supported_range(self) -> str:
        return f"{self.min_version}–{self.max_version}"

    @property
    def apps(self) -> tuple[NextcloudApp, ...]:
        return tuple(NextcloudApp(a["id"], a["need"], a["why"], tuple(a.get("capabilities") or ()))
                     for a in self.data["nextcloud"]["apps"])

    @property
    def redirect_path(self) -> str:
        return self.data["oauth"]["redirect_path"]

    @property
    def settings(self) -> dict[str, Setting]:
        return {name: _setting(name, spec) for name, spec in self.data["settings"].items()}

    def setting_defaults(self) -> dict[str, Any]:
        """Every setting's default, as fresh copies (callers may change lists in app.config)."""
        return {name: copy.deepcopy(spec["default"]) for name, spec in self.data["settings"].items()}


def _setting(name: str, spec: dict) -> Setting:
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    return Setting(name, tuple(types), spec["default"], spec["meaning"], spec.get("env"))


@functools.cache
def _validator() -> Draft202012Validator:
    schema = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def parse(text: str, source: str = FILE_NAME) -> AppInfo:
    """Validate a manifest's text; AppInfoError lists every problem found."""
    node, data = _compose(text, source)
    problems = _duplicate_keys(node, source, ())
    if not problems:
        problems = [_schema_problem(error, node, source) for error in
                    sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])]
    if not problems:
        problems = _rule_problems(data, node, source)
    if problems:
        raise AppInfoError(problems)
    return AppInfo(source, data)


def read(path: Path) -> AppInfo:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AppInfoError([Problem(str(path), None, "(file)", f"cannot be read: {exc.strerror}")]) from None
    return parse(text, str(path))


@functools.cache
def _load(path: Path) -> AppInfo:
    return read(path)


def load() -> AppInfo:
    """The app's own manifest, read and validated once per process."""
    return _load(appinfo_path())


def _compose(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise AppInfoError([Problem(source, mark.line + 1 if mark else None, "(file)",
                                    f"not valid YAML: {exc.problem or exc}")]) from None
    finally:
        loader.dispose()
    return node, data


def _field(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _node_at(node: yaml.Node | None, path) -> yaml.Node | None:
    """The YAML node at a path of keys and indexes, or the deepest one that exists."""
    for part in path:
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        else:
            child = None
        if child is None:
            break
        node = child
    return node


def _key_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((k for k, _ in node.value if k.value == key), None)
    return None


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _schema_problem(error, root, source: str) -> Problem:
    path = list(error.absolute_path)
    node = _node_at(root, path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [key for key in error.instance if key not in allowed]
        if extra:
            return Problem(source, _line(_key_node(node, extra[0])) or _line(node), _field(path + [extra[0]]),
                           "is not a known field here")
    return Problem(source, _line(node), _field(path), error.message)


def _duplicate_keys(node, source: str, path: tuple) -> list[Problem]:
    """PyYAML keeps the last of two equal keys silently; a manifest must not say one thing twice."""
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                problems.append(Problem(source, _line(key), _field(path + (key.value,)), "appears twice"))
            seen.add(key.value)
            problems += _duplicate_keys(value, source, path + (key.value,))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(item, source, path + (index,))
    return problems


def _rule_problems(data: dict, root, source: str) -> list[Problem]:
    problems = []
    versions = data["nextcloud"]["versions"]
    if versions["min"] > versions["max"]:
        path = ["nextcloud", "versions", "min"]
        problems.append(Problem(source, _line(_node_at(root, path)), _field(path),
                                f"{versions['min']} is above max {versions['max']}"))
    seen: set[str] = set()
    for index, app in enumerate(data["nextcloud"]["apps"]):
        if app["id"] in seen:
            path = ["nextcloud", "apps", index, "id"]
            problems.append(Problem(source, _line(_node_at(root, path)), _field(path),
                                    f"{app['id']!r} is listed twice"))
        seen.add(app["id"])
    for name, spec in data["settings"].items():
        setting = _setting(name, spec)
        if not setting.accepts(setting.default):
            path = ["settings", name, "default"]
            problems.append(Problem(source, _line(_node_at(root, path)), _field(path),
                                    f"{setting.default!r} is not of the declared type {' or '.join(setting.types)}"))
    return problems
