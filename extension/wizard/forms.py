"""Posted wizard steps into the draft's network-file fields (the checking is the network file's own)."""
from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

from extension.wizard.service import MEMBER_FIELDS


_MEMBER_FIELD = re.compile(r"^members-(\d{1,6})-")


def _text(form, name: str) -> str:
    return (form.get(name) or "").strip()


def _number(value: str) -> Any:
    """A number when it reads as one (Dutch comma allowed), else the text, so the check can name it."""
    if value == "":
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return value
    if not math.isfinite(number):
        # "inf", "nan", "1e400": text, so that the check names it (and the draft stays valid JSON).
        return value
    return int(number) if number.is_integer() else number


def apply(step: int, data: dict[str, Any], form) -> dict[str, Any]:
    """The draft's data with the fields of `step` taken from the posted `form`."""
    if step == 1:
        data["_form"] = {"goal": _text(form, "goal"), "duration": _text(form, "duration"),
                         "organisations": _text(form, "organisations")}
    elif step == 2:
        if _text(form, "template"):
            data["template"] = _text(form, "template")
    elif step == 3:
        for name in ("name", "topic", "question", "ambition", "start", "place"):
            data[name] = _text(form, name)
        data["region"] = _text(form, "region") or None
        rhythm = {"per_year": _number(_text(form, "rhythm-per_year")), "weekday": _text(form, "rhythm-weekday"),
                  "start_time": _text(form, "rhythm-start_time")}
        data["rhythm"] = {k: v for k, v in rhythm.items() if v not in (None, "")} or None
    elif step == 4:
        _apply_members(data, form)
    elif step == 5:
        _apply_commitments(data, form)
    return data


def enter_action(data: dict[str, Any], form) -> str:
    """What Enter in a field of the members step means, as a person expects: a new search term (or another
    organisation to search) searches, a filled-in cloud id or e-mail address is added, anything else saves the
    step and goes on. Never an empty member row."""
    search = data.get("_search") or {}
    query = _text(form, "q")
    if query and (query, _text(form, "search_organisation")) != (search.get("q"), search.get("organisation")):
        return "search"
    if _text(form, "cloud_id"):
        return "stay"
    return "next"


def _apply_members(data: dict[str, Any], form) -> None:
    data["host"] = _text(form, "host") or data.get("host")
    members = []
    # The rows actually posted, not the hidden `member_count`: a number typed there cannot cost a loop.
    for n in sorted({int(m.group(1)) for key in form if (m := _MEMBER_FIELD.match(key))}):
        if form.get(f"members-{n}-remove"):
            continue
        row = {field: _text(form, f"members-{n}-{field}") for field in MEMBER_FIELDS}
        if not any(row[f] for f in ("name", "email", "user")):
            continue
        members.append({k: v for k, v in row.items() if v or k in ("name", "email", "organisation")})
    go = form.get("go", "")
    if go.startswith("pick-"):
        found = (data.get("_search") or {}).get("results") or []
        index = int(go[5:]) if re.fullmatch(r"[0-9]{1,3}", go[5:]) else -1
        if 0 <= index < len(found):
            hit = found[index]
            members.append({"name": hit.get("name") or "", "email": hit.get("email") or "",
                            "organisation": data["_search"].get("organisation") or "", "user": hit.get("user") or "",
                            "role": "deelnemer"})
    cloud_id = _text(form, "cloud_id")
    if cloud_id:
        members.append(_from_cloud_id(cloud_id, form))
    if go == "add_member":
        members.append({"name": "", "email": "", "organisation": data.get("host") or "", "role": "deelnemer"})
    data["members"] = members
    lead = next((m for m in members if m.get("role") == "kartrekker"), None)
    data["kartrekker"] = lead["email"] if lead else ""


def _from_cloud_id(cloud_id: str, form) -> dict[str, str]:
    """A member named by federated cloud id (`user@cloud.example.org`): the organisation whose Nextcloud has
    that host, with that user; or by e-mail alone when no organisation matches."""
    from extension.extensions import db
    from extension.organisations.models import Organisation

    user, _, host = cloud_id.rpartition("@")
    for organisation in db.session.query(Organisation).filter(Organisation.nextcloud_url.is_not(None)):
        if urlsplit(organisation.nextcloud_url).netloc.casefold() == host.casefold() and user:
            return {"name": _text(form, "cloud_name") or user, "email": _text(form, "cloud_email"),
                    "organisation": organisation.slug, "user": user, "role": "deelnemer"}
    return {"name": _text(form, "cloud_name"), "email": cloud_id, "organisation": _text(form, "cloud_organisation"),
            "role": "deelnemer"}


def involved_organisations(draft, organisations) -> list:
    """The organisations of the draft's members, in the order they first appear (each gets a commitment)."""
    slugs = list(dict.fromkeys(m.get("organisation") for m in draft.data.get("members") or []))
    by_slug = {o.slug: o for o in organisations}
    return [by_slug[s] for s in slugs if s in by_slug]


def _apply_commitments(data: dict[str, Any], form) -> None:
    commitments = []
    for slug in form.getlist("commitment"):
        manager = _text(form, f"commit-{slug}-manager")
        hours = _number(_text(form, f"commit-{slug}-hours_per_month"))
        podium = _text(form, f"commit-{slug}-podium")
        if manager == "other":
            manager_value: Any = {"name": _text(form, f"commit-{slug}-manager_name"),
                                  "email": _text(form, f"commit-{slug}-manager_email")}
        else:
            manager_value = manager
        if not manager and hours is None and not podium:
            continue
        commitments.append({"organisation": slug, "manager": manager_value, "hours_per_month": hours,
                            "podium": podium})
    data["commitments"] = commitments
