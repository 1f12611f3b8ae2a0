"""Network templates and network description files: loading, validation, and rendering of documents.

Public API (names here are stable; see schema.py for the file formats):

- `list_templates(extra_dir=None) -> list[Template]`, `get_template(template_id, extra_dir=None) -> Template`,
  `load_template(path) -> Template`, `scan_templates(extra_dir=None) -> Catalogue`,
  `templates_dir(app) -> Path | None`: the admin's folder from the `TEMPLATES_DIR` config key.
- `render_document(template, source, context) -> str` with a `DocumentContext`;
  `context_names(kind) -> frozenset[str]`; `sample_context(template) -> DocumentContext`.
- `parse_network_file(path) -> NetworkSpec`, `check_network_references(network, *, organisations, templates)`,
  `load_network_file(path, *, organisations, templates) -> NetworkSpec`,
  `reference_problems(data, source, organisations, templates) -> list[Problem]` (on raw data too).
- Errors: `TemplateError`, `NetworkFileError` (both `SourceError`, with `.problems: list[Problem]`),
  `UnknownTemplate` (a `KeyError`).
"""
from extension.network_templates.errors import (
    NetworkFileError,
    Problem,
    SourceError,
    TemplateError,
    UnknownTemplate,
)
from extension.network_templates.loader import (
    Catalogue,
    SHIPPED_TEMPLATES_DIR,
    get_template,
    list_templates,
    load_template,
    scan_templates,
    templates_dir,
)
from extension.network_templates.network_file import (
    check_network_references,
    load_network_file,
    parse_network_file,
    reference_problems,
)
from extension.network_templates.render import (
    DocumentContext,
    MeetingInfo,
    MemberInfo,
    NetworkInfo,
    OrganisationInfo,
    PersonInfo,
    PhaseInfo,
    context_names,
    render_document,
    sample_context,
)
from extension.network_templates.schema import (
    AUDIENCES,
    README_TARGET,
    ROLES,
    CommitmentSpec,
    DocumentSpec,
    ManagerContact,
    MeetingRhythm,
    MeetingSpec,
    MemberSpec,
    NetworkSpec,
    PhaseSpec,
    SeededDocument,
    TaskSpec,
    Template,
    WorkingMethod,
)

__all__ = [
    "AUDIENCES", "README_TARGET", "ROLES", "SHIPPED_TEMPLATES_DIR",
    "Catalogue", "CommitmentSpec", "DocumentContext", "DocumentSpec", "ManagerContact", "MeetingInfo",
    "MeetingRhythm", "MeetingSpec", "MemberInfo", "MemberSpec", "NetworkFileError", "NetworkInfo",
    "NetworkSpec", "OrganisationInfo", "PersonInfo", "PhaseInfo", "PhaseSpec", "Problem", "SeededDocument",
    "SourceError", "TaskSpec", "Template", "TemplateError", "UnknownTemplate", "WorkingMethod",
    "check_network_references", "context_names", "get_template", "list_templates", "load_network_file",
    "load_template", "parse_network_file", "reference_problems", "render_document", "sample_context",
    "scan_templates", "templates_dir",
]
