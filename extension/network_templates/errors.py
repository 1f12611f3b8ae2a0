"""Errors in templates and network files, each problem named by file, line and field, in Dutch."""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError

# Problem, SourceError and field_path are re-exported: template code takes all its error types from here.
from extension.problems import Problem, SourceError, field_path
from extension.yaml_source import SourceMap

__all__ = ["NetworkFileError", "Problem", "SourceError", "TemplateError", "UnknownTemplate", "field_path",
           "problems_from_validation"]


class TemplateError(SourceError):
    """A template folder (template.yml or one of its documents) is not valid."""


class NetworkFileError(SourceError):
    """A network description file is not valid."""


class UnknownTemplate(KeyError):
    """No template with this id, shipped or in the admin's folder."""

    def __str__(self) -> str:
        return f"onbekend sjabloon '{self.args[0]}'"


# Dutch messages for pydantic's error types; our own checks raise Dutch messages already.
_MESSAGES = {
    "missing": "ontbreekt",
    "extra_forbidden": "onbekend veld",
    "string_type": "moet tekst zijn",
    "string_too_short": "mag niet leeg zijn",
    "string_too_long": "is langer dan {max_length} tekens",
    "string_pattern_mismatch": "'{input}' mag alleen kleine letters, cijfers en koppeltekens bevatten",
    "int_type": "moet een geheel getal zijn",
    "int_parsing": "moet een geheel getal zijn",
    "int_from_float": "moet een geheel getal zijn",
    "float_type": "moet een getal zijn",
    "float_parsing": "moet een getal zijn",
    "greater_than_equal": "moet minstens {ge} zijn",
    "less_than_equal": "mag hoogstens {le} zijn",
    "too_short": "moet minstens {min_length} onderdeel bevatten",
    "list_type": "moet een lijst zijn",
    "model_type": "moet velden bevatten (naam: waarde)",
    "model_attributes_type": "moet velden bevatten (naam: waarde)",
    "dict_type": "moet velden bevatten (naam: waarde)",
    "literal_error": "'{input}' is niet toegestaan; kies uit {expected}",
    "date_type": "'{input}' is geen geldige datum (JJJJ-MM-DD)",
    "date_parsing": "'{input}' is geen geldige datum (JJJJ-MM-DD)",
    "date_from_datetime_parsing": "'{input}' is geen geldige datum (JJJJ-MM-DD)",
    "date_from_datetime_inexact": "'{input}' is geen geldige datum (JJJJ-MM-DD)",
    "time_type": "'{input}' is geen geldige tijd (UU:MM)",
    "time_parsing": "'{input}' is geen geldige tijd (UU:MM)",
}


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "value_error" and "email" in error["msg"]:
        return f"'{error['input']}' is geen geldig e-mailadres"
    template = _MESSAGES.get(kind)
    if template is None:
        return error["msg"]
    ctx = {key: _number(value) for key, value in (error.get("ctx") or {}).items()}
    if kind == "literal_error":
        ctx["expected"] = str(ctx.get("expected", "")).replace(" or ", " of ")
    value = error.get("input")
    ctx["input"] = value if isinstance(value, (str, int, float)) else ""
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return error["msg"]


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def problems_from_validation(exc: ValidationError, source: SourceMap) -> list[Problem]:
    """Turn pydantic's errors into problems located in the YAML file, ordered by line."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        problems.append(Problem(source.file, source.line_of(loc, missing=error["type"] == "missing"),
                                field_path(loc), _message(error)))
    return sorted(problems, key=lambda p: (p.line or 0, p.field))
