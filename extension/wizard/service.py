"""The wizard's logic: drafts hold the network file's fields; each step is checked with the network file's
own rules (same Dutch messages); the review creates the network as a draft to show the launch plan.

A draft's `data` is exactly what `lerend-netwerk network create --from` reads (YAML-ready: dates as
text), plus keys starting with `_` that only the wizard uses (the advice answers, sharee search results).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import yaml
from flask import Flask
from pydantic import ValidationError
from sqlalchemy import select

from extension.advice.service import advise
from extension.dashboard.models import WizardDraft
from extension.dashboard.service import today_local
from extension.extensions import db
from extension.network_templates import (NetworkFileError, NetworkSpec, Problem, UnknownTemplate,
                                         check_network_references, get_template, list_templates, reference_problems,
                                         templates_dir)
from extension.network_templates.errors import problems_from_validation
from extension import engine
from extension.networks import schedule
from extension.networks.models import Network
from extension.engine import LaunchError
from extension.i18n import Text
from extension.networks.service import create_network, meeting_slots, mix_warnings
from extension.organisations.models import Organisation
from extension.yaml_source import MAX_YAML_BYTES, SourceMap, parse_yaml

# The steps' titles, translated when shown (Dutch by default).
STEPS = (Text("Form"), Text("Template"), Text("Network"), Text("Members"), Text("Commitments"), Text("Review"))
# The network file's fields each step asks for (the first part of a problem's field path).
STEP_FIELDS = {2: ("template",), 3: ("name", "topic", "question", "ambition", "start", "place", "region", "rhythm"),
               4: ("host", "kartrekker", "members"), 5: ("commitments",), 6: ()}
MEMBER_FIELDS = ("name", "email", "organisation", "user", "role", "expertise")


def new_draft(account) -> WizardDraft:
    """A draft with the signed-in kartrekker as the first member and their organisation as host."""
    me = {"name": account.display_name or account.user_id, "email": account.email or "",
          "organisation": account.organisation.slug, "user": account.user_id, "role": "kartrekker", "expertise": ""}
    draft = WizardDraft(account_id=account.id, step=1, data={
        "host": account.organisation.slug, "kartrekker": account.email or "", "members": [me], "commitments": []})
    db.session.add(draft)
    db.session.commit()
    return draft


def draft_from_yaml(account, text: str | bytes, filename: str = "") -> tuple[WizardDraft | None, str | None]:
    """A draft prefilled from an uploaded network file; (None, reason) when it cannot be read as one.

    Read as the command line reads a network file (extension.yaml_source: size, depth and alias budgets,
    `15:30` kept as text, an impossible date left for the field's own message); the wizard's own keys
    (`_…`) are dropped, and fields of the wrong shape refused, so that every step can show the draft."""
    display = filename or "network.yml"
    if isinstance(text, bytes):
        if len(text) > MAX_YAML_BYTES:
            return None, _unusable([Problem(display, None, "", Text("is too large; at most %(limit)s is allowed",
                                                                    limit=f"{MAX_YAML_BYTES // 1024} kB"))])
        try:
            text = text.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            line = text[: exc.start].count(b"\n") + 1
            return None, _unusable([Problem(display, line, "", Text(
                "is not UTF-8 (byte 0x%(byte)s); save the file as UTF-8", byte=f"{text[exc.start]:02x}"))])
    try:
        document = parse_yaml(text, display, NetworkFileError)
    except NetworkFileError as exc:
        return None, _unusable(exc.problems)
    if not isinstance(document.data, dict):
        return None, str(Text("The file does not describe a network (expected: fields such as name, topic, "
                              "members)."))
    data = {k: v for k, v in document.data.items() if not str(k).startswith("_")}
    data, wrong = clean(data)
    if wrong:
        return None, _unusable([Problem(display, document.source.line_of(_loc(path)), path, message)
                                for path, message in wrong])
    draft = WizardDraft(account_id=account.id, step=3, data=data)
    db.session.add(draft)
    db.session.commit()
    return draft, None


def _unusable(found: list[Problem]) -> str:
    # The first few are enough to start fixing (the message travels in the session cookie).
    shown = "; ".join(str(p) for p in found[:5]) + ("; …" if len(found) > 5 else "")
    return str(Text("The network file cannot be used: %(problems)s", problems=shown))


def _loc(path: str) -> tuple:
    """`members[2].email` → ('members', 2, 'email'), to find its line."""
    loc: list = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        loc.append(int(part) if part.isdigit() else part)
    return tuple(loc)


_SCALAR = (str, int, float, bool, type(None))
_TEXT_FIELDS = ("name", "topic", "question", "ambition", "template", "host", "start", "place", "region", "kartrekker")


def clean(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Text]]]:
    """The draft's data with every field in the shape the wizard's pages read, and what was wrong (field path,
    message): a value of the wrong shape is left out. Text fields written as a number become text."""
    data = dict(data)
    wrong: list[tuple[str, Text]] = []

    def bad(path: str, message: str) -> None:
        wrong.append((path, Text(message)))

    for key in _TEXT_FIELDS:
        value = data.get(key)
        if not isinstance(value, _SCALAR):
            bad(key, "must be text")
            data.pop(key)
        elif value is not None and not isinstance(value, str):
            data[key] = str(value)
    rhythm = data.get("rhythm")
    if rhythm is not None:
        if not isinstance(rhythm, dict):
            bad("rhythm", "must contain fields (name: value)")
            data.pop("rhythm")
        else:
            for key, value in list(rhythm.items()):
                if not isinstance(value, _SCALAR):
                    bad(f"rhythm.{key}", "must be text")
            data["rhythm"] = {k: v for k, v in rhythm.items() if isinstance(v, _SCALAR)}
    for key, allowed in (("members", ()), ("commitments", ("manager",))):
        items = data.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            bad(key, "must be a list")
            data.pop(key)
            continue
        kept = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                bad(f"{key}[{i}]", "must contain fields (name: value)")
                continue
            row = {}
            for name, value in item.items():
                if name in allowed and isinstance(value, dict) and all(isinstance(v, _SCALAR) for v in value.values()):
                    row[name] = {k: v if v is None or isinstance(v, str) else str(v) for k, v in value.items()}
                elif not isinstance(value, _SCALAR):
                    bad(f"{key}[{i}].{name}", "must be text")
                elif name in ("hours_per_month",) or value is None or isinstance(value, str):
                    row[name] = value
                else:
                    row[name] = str(value)
            kept.append(row)
        data[key] = kept
    # The wizard's own keys, as it writes them (a draft stored before these checks may hold anything).
    if not isinstance(data.get("_form", {}), dict):
        data.pop("_form")
    search = data.get("_search")
    if search is not None and not (isinstance(search, dict) and isinstance(search.get("results", []), list)
                                   and all(isinstance(hit, dict) for hit in search.get("results", []))):
        data.pop("_search")
    return data, wrong


def network_file(draft: WizardDraft) -> dict[str, Any]:
    """The draft as a network file: the wizard's own keys and empty optional fields left out."""
    data = {k: v for k, v in draft.data.items() if not k.startswith("_")}
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def to_yaml(draft: WizardDraft) -> str:
    order = ("name", "topic", "question", "ambition", "template", "host", "start", "place", "region", "rhythm",
             "kartrekker", "members", "commitments")
    data = network_file(draft)
    ordered = {k: data[k] for k in order if k in data} | {k: v for k, v in data.items() if k not in order}
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=100)


def known(app: Flask) -> tuple[list[str], list[str]]:
    organisations = list(db.session.scalars(select(Organisation.slug)))
    templates = [t.id for t in list_templates(templates_dir(app))]
    return organisations, templates


def problems(app: Flask, draft: WizardDraft) -> list[Problem]:
    """Every problem of the draft as a network file: the file's rules, its references to the app (always, also
    while other fields are wrong), and the wizard's own: no start in the past."""
    data = network_file(draft)
    organisations, templates = known(app)
    source = SourceMap("wizard")
    found = reference_problems(data, source, set(organisations), set(templates))
    try:
        NetworkSpec.model_validate(data)
    except ValidationError as exc:
        found += problems_from_validation(exc, source)
    if not any(p.field == "start" for p in found):
        found += _start_problems(data.get("start"), source)
    return found


def _start_problems(start: Any, source: SourceMap) -> list[Problem]:
    """A new network starts today or later (in the app's time zone); its invitations would lie in the past."""
    try:
        day = date.fromisoformat(str(start))
    except ValueError:
        return []
    today = today_local()
    if day < today:
        return [Problem(source.file, None, "start", Text(
            "%(date)s is in the past; choose today (%(today)s) or a later date",
            date=day.isoformat(), today=today.isoformat()))]
    return []


def errors_for_step(app: Flask, draft: WizardDraft, step: int) -> dict[str, str]:
    """The problems of the fields a step asks for, by form field name (`members-0-email`); the review lists
    them all with `listed_problems`."""
    wanted = STEP_FIELDS.get(step, ())
    errors: dict[str, str] = {}
    for problem in problems(app, draft):
        top = problem.field.split("[", 1)[0].split(".", 1)[0]
        if top in wanted:
            errors.setdefault(form_name(problem.field), problem.message)
    return errors


# The wizard's labels of the network file's fields (the same msgids as on the steps' pages).
FIELD_LABELS = {
    "name": Text("Name of the network"), "topic": Text("Topic"), "question": Text("Shared question"),
    "ambition": Text("Ambition"), "start": Text("Start date"), "place": Text("Place of the meetings"),
    "region": Text("School-holiday region"), "rhythm": Text("Meeting rhythm"), "template": Text("Template"),
    "host": Text("Host organisation (its Nextcloud holds the folder and the calendar)"),
    "kartrekker": Text("Members"), "members": Text("Members"), "commitments": Text("Commitments"),
}
ITEM_LABELS = {
    "per_year": Text("Meetings per year"), "weekday": Text("Weekday"), "start_time": Text("Start time"),
    "name": Text("Name"), "email": Text("E-mail address"), "user": Text("Nextcloud user name"),
    "expertise": Text("Expertise"), "organisation": Text("Organisation"), "role": Text("Role"),
    "manager": Text("Manager"), "hours_per_month": Text("Hours per month"), "podium": Text("Podium"),
}


@dataclass
class ListedProblem:
    """A problem as the review lists it: the step to go back to (None: not a field the wizard asks for), the
    field's label as that step shows it, and the message."""

    step: int | None
    label: str
    message: Any


def listed_problems(app: Flask, draft: WizardDraft) -> list[ListedProblem]:
    """Every problem of the draft, by step, each named by the label of its field."""
    listed = []
    for problem in problems(app, draft):
        top = problem.field.split("[", 1)[0].split(".", 1)[0]
        step = next((n for n, names in STEP_FIELDS.items() if top in names), None)
        listed.append(ListedProblem(step, field_label(draft.data, problem.field), problem.message))
    return sorted(listed, key=lambda p: p.step or 99)


def field_label(data: dict[str, Any], field_path: str) -> str:
    """`members[1].email` → "Members: Eva Smit – E-mail address", `rhythm.per_year` → "Meetings per year"; a
    field the wizard has no label for keeps its path."""
    loc = _loc(field_path) if field_path else ()
    if not loc or loc[0] not in FIELD_LABELS:
        return field_path
    top = str(FIELD_LABELS[loc[0]])
    field = next((str(ITEM_LABELS[part]) for part in loc[1:] if isinstance(part, str) and part in ITEM_LABELS), None)
    if len(loc) > 1 and isinstance(loc[1], int):
        items = data.get(loc[0])
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        who = (item.get("name") or item.get("organisation")) if isinstance(item, dict) else None
        row = f"{top}: {who}" if isinstance(who, str) and who else f"{top} {loc[1] + 1}"
        return f"{row} – {field}" if field else row
    return field or top


def form_name(field_path: str) -> str:
    """`members[2].email` → `members-2-email` (the wizard's input names)."""
    return field_path.replace("[", "-").replace("].", "-").replace("]", "").replace(".", "-")


def advice_for(answers: dict[str, Any]):
    try:
        return advise(answers.get("goal", ""), answers.get("duration", ""), int(answers.get("organisations") or 0))
    except (ValueError, TypeError):
        return None


def template_choices(app: Flask):
    return list_templates(templates_dir(app))


def template_of(app: Flask, draft: WizardDraft):
    try:
        return get_template(draft.data.get("template") or "", templates_dir(app))
    except UnknownTemplate:
        return None


def mix_advice(draft: WizardDraft) -> list[str]:
    """The complementary-mix check of the members entered so far (advice, never a refusal)."""
    names = {o.slug: o for o in db.session.scalars(select(Organisation))}
    members = []
    for member in draft.data.get("members") or []:
        organisation = names.get(member.get("organisation") or "")
        if organisation is None:
            continue
        members.append(SimpleNamespace(role=member.get("role") or "deelnemer", organisation_id=organisation.id,
                                       organisation=organisation, expertise=member.get("expertise") or ""))
    return mix_warnings(SimpleNamespace(memberships=members))


@dataclass
class Review:
    """Step 6: what the launch will create where, and for whom, in Dutch; the plan's request count."""

    network: Network | None
    lines: list[Text] = field(default_factory=list)
    moved: list[Text] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests: int | None = None
    steps: int | None = None
    refusal: str | None = None


def review(app: Flask, draft: WizardDraft) -> Review:
    """Create (or recreate) the draft's network as a draft network and plan its launch without a request."""
    spec = NetworkSpec.model_validate(network_file(draft))
    organisations, templates = known(app)
    check_network_references(spec, organisations=organisations, templates=templates)
    template = get_template(spec.template, templates_dir(app))
    discard_network(draft)
    created = create_network(app, spec, template)
    network = created.network
    draft.network_id = network.id
    db.session.commit()
    result = Review(network)
    result.moved = [schedule.describe(slot) for slot in meeting_slots(app, spec, template) if slot.moved]
    result.lines = _summary(network, template)
    try:
        plan = engine.plan_launch(app, network.slug)
    except LaunchError as exc:
        result.refusal = str(exc)
    else:
        result.requests, result.steps, result.notes = plan.requests, len(plan.steps), list(plan.notes)
    return result


def discard_network(draft: WizardDraft) -> None:
    """Drop the draft network made by an earlier review (only while nothing was launched from it)."""
    network = draft.network
    if network is not None and network.status == "draft" and not network.launch_steps:
        draft.network_id = None
        db.session.delete(network)
        db.session.commit()


def _summary(network: Network, template) -> list[str]:
    host = network.host_organisation
    invited = [m for m in network.memberships]
    by_org: dict[str, int] = {}
    for task in network.tasks:
        by_org[task.organisation.name] = by_org.get(task.organisation.name, 0) + 1
    lines = [
        Text("In the Nextcloud of %(host)s the folder '%(folder)s' is made with %(documents)s documents in "
             "%(phases)s phase folders.", host=host.name, folder=f"Lerende netwerken/{network.folder_name}",
             documents=len(template.seeded_documents()), phases=len(network.phases)),
        Text("The folder is shared with %(members)s members.", members=len(invited)),
        Text("The calendar '%(name)s' gets %(meetings)s meetings; %(members)s members get an invitation to each "
             "meeting (%(invitations)s invitations).", name=network.name, meetings=len(network.meetings),
             members=len(invited), invitations=len(network.meetings) * len(invited)),
    ]
    for meeting in network.meetings:
        lines.append(Text("Meeting '%(title)s': %(day)s", title=meeting.title, day=meeting.start.strftime('%d-%m-%Y')))
    for name, count in sorted(by_org.items()):
        lines.append(Text("%(org)s: a task list with %(count)s task(s) for the first phase.", org=name, count=count))
    return lines
