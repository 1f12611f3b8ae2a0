"""The forms of the kartrekker's actions, checked with the network file's own rules and Dutch messages."""
from __future__ import annotations

from pydantic import ValidationError

from extension.network_templates import MemberSpec, Problem
from extension.network_templates.errors import problems_from_validation
from extension.yaml_source import SourceMap


def check_member(form) -> tuple[dict, dict[str, str]]:
    """A new member from form fields as (values, errors by field), validated as a network file's member."""
    values = {key: (form.get(key) or "").strip() for key in ("name", "email", "organisation", "user", "role",
                                                              "expertise")}
    data = {k: v for k, v in values.items() if v or k in ("name", "email", "organisation")}
    try:
        MemberSpec.model_validate(data)
    except ValidationError as exc:
        return values, field_errors(problems_from_validation(exc, SourceMap("<form>")))
    return values, {}


def field_errors(problems: list[Problem]) -> dict[str, str]:
    """Problems by form field name (the last part of the network file's field path)."""
    errors: dict[str, str] = {}
    for problem in problems:
        errors.setdefault(problem.field or "", problem.message)
    return errors
