"""appinfo.yml, the app manifest: found, parsed, validated against its JSON Schema, and read as typed values.

Reading is the shared `yaml_source` (line of every field, duplicate keys refused), validation is
jsonschema's; what is hand-written is placing each schema error on its line, and the few rules a schema
cannot state (min ≤ max, unique app ids, defaults of the declared type).
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

from extension.problems import Problem, SourceError, field_path

if TYPE_CHECKING:
    from extension.yaml_source import SourceMap

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


class AppInfoError(SourceError):
    """appinfo.yml is unreadable or invalid; `problems` lists each with file, line and field."""


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
def _validator():
    from jsonschema import Draft202012Validator

    from extension.yaml_source import load_yaml

    schema = load_yaml(SCHEMA_PATH, SCHEMA_PATH.name, AppInfoError).data
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def parse(text: str, source: str = FILE_NAME) -> AppInfo:
    """Validate a manifest's text; AppInfoError lists every problem found."""
    from extension.yaml_source import parse_yaml

    document = parse_yaml(text, source, AppInfoError)
    errors = sorted(_validator().iter_errors(document.data), key=lambda e: [str(p) for p in e.absolute_path])
    problems = [_schema_problem(error, document.source) for error in errors]
    if not problems:
        problems = _rule_problems(document.data, document.source)
    if problems:
        raise AppInfoError(problems)
    return AppInfo(source, document.data)


def read(path: Path) -> AppInfo:
    from extension.yaml_source import read_text

    try:
        text = read_text(path, str(path), AppInfoError)
    except OSError as exc:
        raise AppInfoError([Problem(str(path), None, "", f"cannot be read: {exc.strerror}")]) from None
    return parse(text, str(path))


@functools.cache
def _load(path: Path) -> AppInfo:
    """Validated once per content: the result is kept in the user's cache folder under a hash of the
    manifest, its schema and this module, so a process starts without the YAML reader and jsonschema."""
    try:
        text = path.read_bytes()
        key = hashlib.sha256(text + SCHEMA_PATH.read_bytes() + Path(__file__).read_bytes()).hexdigest()[:32]
    except OSError:
        return read(path)
    cached = _cache_dir() / f"appinfo-{key}.json"
    try:
        return AppInfo(str(path), json.loads(cached.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    info = read(path)
    _store(cached, info.data)
    return info


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lerend-netwerk"


def _store(path: Path, data: dict) -> None:
    """Best effort: without a writable cache folder the manifest is simply validated at every start."""
    text = json.dumps(data, ensure_ascii=False)
    if json.loads(text) != data:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass


def load() -> AppInfo:
    """The app's own manifest, read and validated once (see `_load`)."""
    return _load(appinfo_path())


def version() -> str:
    return load().version


def _schema_problem(error, source: SourceMap) -> Problem:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [key for key in error.instance if key not in allowed]
        if extra:
            return _problem(source, path + (extra[0],), "is not a known field here")
    return _problem(source, path, error.message)


def _problem(source: SourceMap, path: tuple, message: str) -> Problem:
    return Problem(source.file, source.line_of(path), field_path(path), message)


def _rule_problems(data: dict, source: SourceMap) -> list[Problem]:
    problems = []
    versions = data["nextcloud"]["versions"]
    if versions["min"] > versions["max"]:
        problems.append(_problem(source, ("nextcloud", "versions", "min"),
                                 f"{versions['min']} is above max {versions['max']}"))
    seen: set[str] = set()
    for index, app in enumerate(data["nextcloud"]["apps"]):
        if app["id"] in seen:
            problems.append(_problem(source, ("nextcloud", "apps", index, "id"), f"{app['id']!r} is listed twice"))
        seen.add(app["id"])
    for name, spec in data["settings"].items():
        setting = _setting(name, spec)
        if not setting.accepts(setting.default):
            problems.append(_problem(source, ("settings", name, "default"),
                                     f"{setting.default!r} is not of the declared type {' or '.join(setting.types)}"))
    return problems
