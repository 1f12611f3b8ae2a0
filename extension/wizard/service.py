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
from extension.extensions import db
from extension.network_templates import (NetworkSpec, Problem, SourceError, UnknownTemplate, check_network_references,
                                         get_template, list_templates, templates_dir)
from extension.network_templates.errors import problems_from_validation
from extension import engine
from extension.networks import schedule
from extension.networks.models import Network
from extension.engine import LaunchError
from extension.i18n import Text
from extension.networks.service import create_network, meeting_slots, mix_warnings
from extension.organisations.models import Organisation
from extension.yaml_source import SourceMap

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


def draft_from_yaml(account, text: str | bytes) -> tuple[WizardDraft | None, str | None]:
    """A draft prefilled from an uploaded network file; (None, Dutch reason) when it is not a YAML mapping."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark:
            return None, str(Text("The file is not valid YAML (line %(line)s).", line=mark.line + 1))
        return None, str(Text("The file is not valid YAML."))
    if not isinstance(data, dict):
        return None, str(Text("The file does not describe a network (expected: fields such as name, topic, "
                              "members)."))
    draft = WizardDraft(account_id=account.id, step=3, data=_plain(data))
    db.session.add(draft)
    db.session.commit()
    return draft, None


def _plain(value: Any) -> Any:
    """YAML values as JSON can store them: dates and times as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


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
    """Every problem of the draft as a network file: the file's rules, then its references to the app."""
    data = network_file(draft)
    organisations, templates = known(app)
    try:
        spec = NetworkSpec.model_validate(data)
    except ValidationError as exc:
        found = problems_from_validation(exc, SourceMap("wizard"))
        spec = None
    else:
        found = []
    if spec is not None:
        try:
            check_network_references(spec, organisations=organisations, templates=templates)
        except SourceError as exc:
            found += exc.problems
    return found


def errors_for_step(app: Flask, draft: WizardDraft, step: int) -> dict[str, str]:
    """The problems of the fields a step asks for, by form field name (`members-0-email`)."""
    wanted = STEP_FIELDS.get(step, ())
    errors: dict[str, str] = {}
    for problem in problems(app, draft):
        top = problem.field.split("[", 1)[0].split(".", 1)[0]
        if step == 6 or top in wanted:
            errors.setdefault(form_name(problem.field), problem.message)
    return errors


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
