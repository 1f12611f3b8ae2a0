"""The YAML file that describes one network (`network create --from FILE.yml`), validated like templates.

Example (field meanings in schema.py)::

    name: Doorgaande lijn Taal Overvecht
    topic: Mondelinge taal
    question: Hoe sluiten we de taalaanpak van peuters en kleuters op elkaar aan?
    ambition: Elk kind start in groep 1 met een aanpak die het al kent.
    template: doorgaande-lijn
    host: kdv-de-zonnebloem
    start: 2025-09-01
    place: De Zonnebloem, Overvecht
    kartrekker: anna@zonnebloem.nl
    members:
      - {name: Anna de Vries, email: anna@zonnebloem.nl, organisation: kdv-de-zonnebloem,
         user: anna, role: kartrekker, expertise: pedagogisch coach}
    commitments:
      - organisation: kdv-de-zonnebloem
        manager: {name: Bea Bakker, email: bea@zonnebloem.nl}   # or the e-mail of a member
        hours_per_month: 4
        podium: teamoverleg, eens per maand
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from pydantic import ValidationError

from extension.network_templates.errors import NetworkFileError, Problem, field_path, problems_from_validation
from extension.i18n import Text
from extension.network_templates.schema import NetworkSpec
from extension.yaml_source import SourceMap, YamlDocument, load_yaml


def _read(path: Path) -> YamlDocument:
    if not path.is_file():
        raise NetworkFileError([Problem(str(path), None, "", Text("file does not exist"))])
    return load_yaml(path, str(path), NetworkFileError)


def parse_network_file(path: str | Path) -> NetworkSpec:
    """Read and validate a network file on its own (structure and references inside the file)."""
    document = _read(Path(path))
    try:
        network = NetworkSpec.model_validate(document.data)
    except ValidationError as exc:
        raise NetworkFileError(problems_from_validation(exc, document.source)) from None
    network._source = document.source
    return network


def check_network_references(network: NetworkSpec, *, organisations: Iterable[str],
                             templates: Iterable[str]) -> None:
    """Check the file's organisation slugs and template id against those the app knows."""
    source = network._source or SourceMap("<network>")
    problems = reference_problems(network.model_dump(), source, set(organisations), set(templates))
    if problems:
        raise NetworkFileError(problems)


def load_network_file(path: str | Path, *, organisations: Iterable[str], templates: Iterable[str]) -> NetworkSpec:
    """Parse a network file and check it against the known organisations and templates, reporting all at once."""
    document = _read(Path(path))
    problems = reference_problems(document.data, document.source, set(organisations), set(templates))
    try:
        network = NetworkSpec.model_validate(document.data)
    except ValidationError as exc:
        problems += problems_from_validation(exc, document.source)
    if problems:
        raise NetworkFileError(sorted(problems, key=lambda p: (p.line or 0, p.field)))
    network._source = document.source
    return network


def reference_problems(data: Any, source: SourceMap, organisations: set[str], templates: set[str]) -> list[Problem]:
    """Unknown organisation slugs and template id; works on raw YAML data too, so that a file with other
    problems still gets these reported in the same round."""
    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []
    choices = ", ".join(sorted(organisations)) or Text("(no organisations yet)")

    def check(loc: tuple, value: Any, known: set[str], message: str, choices: Any) -> None:
        if isinstance(value, str) and value and value not in known:
            problems.append(Problem(source.file, source.line_of(loc), field_path(loc),
                                    Text(message, value=value, choices=choices)))

    check(("template",), data.get("template"), templates, "unknown template '%(value)s'; choose from %(choices)s",
          ", ".join(sorted(templates)))
    check(("host",), data.get("host"), organisations, "unknown organisation '%(value)s'; choose from %(choices)s",
          choices)
    for key in ("members", "commitments"):
        items = data.get(key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                check((key, i, "organisation"), item.get("organisation"), organisations,
                      "unknown organisation '%(value)s'; choose from %(choices)s", choices)
    return sorted(problems, key=lambda p: (p.line or 0, p.field))
