"""Finding and loading template folders: the shipped ones and those in the admin's `TEMPLATES_DIR`.

A template that cannot be loaded (invalid, too large, unreadable) is reported as broken with its reasons and
never stops the others from being listed or used.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from extension.i18n import Text
from extension.network_templates.errors import (
    Problem,
    TemplateError,
    UnknownTemplate,
    field_path,
    problems_from_validation,
)
from extension.network_templates.render import check_document, document_max_bytes, render_text, sample_context_for
from extension.network_templates.schema import Template
from extension.yaml_source import SourceMap, load_yaml, read_text

TEMPLATE_FILE = "template.yml"


def shipped_templates_dir() -> Path:
    """Where the templates that come with the app are: package data of this package in an installed wheel
    (setup.py copies them into `builtin/`), else the repository's top-level `templates/` folder (a checkout,
    an editable install)."""
    packaged = Path(str(resources.files(__package__).joinpath("builtin")))
    if packaged.is_dir():
        return packaged.resolve()
    return Path(__file__).resolve().parents[2] / "templates"


SHIPPED_TEMPLATES_DIR = shipped_templates_dir()


@dataclass
class Catalogue:
    """Every template found, by id, and the problems of those that could not be loaded."""

    templates: dict[str, Template] = field(default_factory=dict)
    errors: list[TemplateError] = field(default_factory=list)
    # The folder of each template that could not be loaded, with its problems (the same errors as above).
    broken: dict[Path, TemplateError] = field(default_factory=dict)


def templates_dir(app: Any) -> Path | None:
    """The admin's extra template folder (config key `TEMPLATES_DIR`), if one is configured."""
    value = app.config.get("TEMPLATES_DIR")
    return Path(value) if value else None


def load_template(path: str | Path) -> Template:
    """Load and fully check one template: a folder holding template.yml, or the template.yml itself."""
    path = Path(path)
    yml = path / TEMPLATE_FILE if path.is_dir() else path
    if not yml.is_file():
        raise TemplateError([Problem(str(yml), None, "", Text("file does not exist"))])
    return _load_cached(str(yml.resolve()), _signature(yml.parent), document_max_bytes())


def _signature(folder: Path) -> tuple:
    """What a cached template depends on: name, size and modification time of every file in its folder."""
    entries = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            try:
                stat = os.stat(os.path.join(root, name))
            except OSError:
                # A dangling link: reading it reports the problem; here it only has to change the signature.
                entries.append((root, name, None, None))
                continue
            entries.append((root, name, stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


@lru_cache(maxsize=64)
def _load_cached(yml: str, signature: tuple, max_bytes: int) -> Template:
    return _load(Path(yml), max_bytes)


def _load(yml: Path, max_bytes: int) -> Template:
    document = load_yaml(yml, str(yml), TemplateError)
    try:
        template = Template.model_validate(document.data)
    except ValidationError as exc:
        raise TemplateError(problems_from_validation(exc, document.source)) from None
    problems: list[Problem] = []
    sources: dict[str, str] = {}
    for loc, kind, source, phase, meeting in _document_uses(template):
        if source not in sources:
            text = _read_document(yml.parent, source, loc, document.source, problems, max_bytes)
            if text is None:
                continue
            sources[source] = text
        filename = str(yml.parent / source)
        found = check_document(sources[source], filename, kind)
        if not found:
            try:
                render_text(sources[source], filename, sample_context_for(template, kind, phase, meeting).as_mapping(),
                            max_bytes)
            except TemplateError as exc:
                found = exc.problems
        problems += [p for p in found if p not in problems]
    if problems:
        raise TemplateError(problems)
    template._root = yml.parent
    template._source = document.source
    template._sources = sources
    return template


def _document_uses(template: Template):
    """Each place a document is used: (location in template.yml, kind, source, phase, meeting)."""
    yield ("readme",), "readme", template.readme, None, None
    for i, phase in enumerate(template.phases):
        for j, document in enumerate(phase.documents):
            yield ("phases", i, "documents", j, "source"), "phase", document.source, phase.key, None
    for i, meeting in enumerate(template.meetings.items):
        if meeting.agenda:
            yield ("meetings", "items", i, "agenda", "source"), "agenda", meeting.agenda.source, meeting.phase, meeting.key


def _read_document(folder: Path, source: str, loc: tuple, where: SourceMap, problems: list[Problem],
                   max_bytes: int) -> str | None:
    """A document's text, refused (before it is read) when it is larger than the document size limit."""
    path = folder / source
    line, name = where.line_of(loc), field_path(loc)
    try:
        if not path.resolve().is_relative_to(folder.resolve()):
            problems.append(Problem(where.file, line, name, Text("'%(source)s' points (through a link) outside the "
                                                                 "template folder", source=source)))
            return None
        if not path.is_file():
            problems.append(Problem(where.file, line, name, Text("file '%(source)s' does not exist", source=source)))
            return None
        size = path.stat().st_size
    except (OSError, RuntimeError) as exc:
        problems.append(Problem(where.file, line, name, Text("'%(source)s' cannot be read (%(error)s)", source=source,
                                                             error=str(exc))))
        return None
    if size > max_bytes:
        problems.append(Problem(where.file, line, name, Text(
            "'%(source)s' is too large (%(size)s); a document may be at most %(limit)s (setting DOCUMENT_MAX_BYTES)",
            source=source, size=_size(size), limit=_size(max_bytes))))
        return None
    try:
        return read_text(path, str(path), TemplateError, max_bytes)
    except TemplateError as exc:
        problems += exc.problems
        return None


def _size(size: int) -> str:
    return f"{size / 1024:.0f} kB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def _folders(extra_dir: str | Path | None) -> list[Path]:
    folders = [SHIPPED_TEMPLATES_DIR]
    if extra_dir:
        extra = Path(extra_dir)
        if not extra.is_dir():
            raise TemplateError([Problem(str(extra), None, "TEMPLATES_DIR", Text("folder does not exist"))])
        if extra.resolve() != SHIPPED_TEMPLATES_DIR:
            folders.append(extra)
    return folders


def scan_templates(extra_dir: str | Path | None = None) -> Catalogue:
    """Load every template folder; a broken one lands in `errors` instead of hiding the others."""
    catalogue = Catalogue()
    for folder in _folders(extra_dir):
        try:
            children = sorted(folder.iterdir())
        except OSError as exc:
            error = TemplateError([Problem(str(folder), None, "", Text("folder cannot be read (%(error)s)",
                                                                       error=exc.strerror or str(exc)))])
            catalogue.errors.append(error)
            catalogue.broken[folder] = error
            continue
        for child in children:
            if not (child / TEMPLATE_FILE).is_file():
                continue
            try:
                template = load_template(child)
                _check_identity(template, child, catalogue.templates)
            except TemplateError as exc:
                catalogue.errors.append(exc)
                catalogue.broken[child] = exc
                continue
            catalogue.templates[template.id] = template
    return catalogue


def _check_identity(template: Template, folder: Path, known: dict[str, Template]) -> None:
    yml = str(folder / TEMPLATE_FILE)
    line = template._source.line_of(("id",))
    if template.id != folder.name:
        raise TemplateError([Problem(yml, line, "id", Text("'%(id)s' must equal the folder name '%(folder)s'",
                                                           id=template.id, folder=folder.name))])
    if template.id in known:
        raise TemplateError([Problem(yml, line, "id", Text("template '%(id)s' exists already in %(folder)s",
                                                           id=template.id, folder=str(known[template.id]._root)))])


def list_templates(extra_dir: str | Path | None = None) -> list[Template]:
    """The loadable templates, shipped and the admin's, ordered by id."""
    return sorted(scan_templates(extra_dir).templates.values(), key=lambda t: t.id)


def get_template(template_id: str, extra_dir: str | Path | None = None) -> Template:
    """The template with this id; UnknownTemplate if there is none, TemplateError if it does not load."""
    found: dict[str, Template] = {}
    for folder in _folders(extra_dir):
        candidate = folder / template_id
        if "/" not in template_id and template_id not in ("", ".", "..") and (candidate / TEMPLATE_FILE).is_file():
            template = load_template(candidate)
            _check_identity(template, candidate, found)
            found[template.id] = template
    if template_id not in found:
        raise UnknownTemplate(template_id)
    return found[template_id]
