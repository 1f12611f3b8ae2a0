"""Errors in templates and network files, each problem named by file, line and field, in the language of
who reads it (Dutch unless English was chosen)."""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from extension.i18n import Text

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
        return str(Text("unknown template '%(id)s'", id=self.args[0]))


# Our messages for pydantic's error types, as English msgids translated when shown (i18n.Text); our own
# checks hand theirs over as a Text in the error's context (`_text`).
_MESSAGES = {
    "missing": "is missing",
    "extra_forbidden": "unknown field",
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "string_too_long": "is longer than %(max_length)s characters",
    "string_pattern_mismatch": "'%(input)s' may only contain lower-case letters, digits and hyphens",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a number",
    "int_parsing_size": "is too large a number",
    "greater_than_equal": "must be at least %(ge)s",
    "less_than_equal": "must be at most %(le)s",
    "too_short": "must contain at least %(min_length)s item(s)",
    "list_type": "must be a list",
    "model_type": "must contain fields (name: value)",
    "model_attributes_type": "must contain fields (name: value)",
    "dict_type": "must contain fields (name: value)",
    "literal_error": "'%(input)s' is not allowed; choose from %(expected)s",
    "date_type": "'%(input)s' is not a valid date (YYYY-MM-DD)",
    "date_parsing": "'%(input)s' is not a valid date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "'%(input)s' is not a valid date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "'%(input)s' is not a valid date (YYYY-MM-DD)",
    "time_type": "'%(input)s' is not a valid time (HH:MM)",
    "time_parsing": "'%(input)s' is not a valid time (HH:MM)",
}


def _message(error: dict[str, Any]) -> Text:
    """Our message for one of pydantic's errors; one we have no words for is named by its field, never in
    pydantic's own English."""
    kind = error["type"]
    given = (error.get("ctx") or {}).get("_text")
    if isinstance(given, Text):
        return given
    if kind == "value_error" and "email" in error["msg"]:
        return Text("'%(input)s' is not a valid e-mail address", input=error["input"])
    template = _MESSAGES.get(kind)
    if template is None:
        return _not_valid(error)
    ctx = {key: _number(value) for key, value in (error.get("ctx") or {}).items()}
    if kind == "literal_error":
        ctx["expected"] = _choices(str(ctx.get("expected", "")))
    value = error.get("input")
    ctx["input"] = value if isinstance(value, (str, int, float)) else ""
    try:
        template % ctx
    except (KeyError, TypeError, ValueError):
        return _not_valid(error)
    return Text(template, **ctx)


def _not_valid(error: dict[str, Any]) -> Text:
    names = [part for part in error.get("loc", ()) if isinstance(part, str)]
    return Text("the value of %(field)s is not valid", field=names[-1] if names else "?")


def _choices(expected: str) -> str | Text:
    """pydantic's "'a', 'b' or 'c'" with "or" in the language of who reads it."""
    first, sep, last = expected.rpartition(" or ")
    return Text("%(first)s or %(last)s", first=first, last=last) if sep else expected


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
