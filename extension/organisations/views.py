"""An organisation's page for its managers and the admins: its people's progress in every network it joins.

Rendered from the database only, with one query per kind of row (memberships, tasks, commitments,
meetings), whatever the number of networks.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, abort, redirect, render_template, url_for
from sqlalchemy import select

from extension.auth.identity import current_person, signed_in
from extension.extensions import db
from extension.networks.models import Commitment, KnowledgeTask, Meeting, Membership, Network
from extension.organisations import service
from extension.organisations.models import utcnow

bp = Blueprint("organisations", __name__)

REPLIES = ("ACCEPTED", "TENTATIVE", "DECLINED", "NEEDS-ACTION")


@dataclass
class MemberProgress:
    member: Membership
    done: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.done + self.open + self.overdue


@dataclass
class MeetingAttendance:
    meeting: Meeting
    counts: dict[str, int]
    past: bool


@dataclass
class NetworkSection:
    network: Network
    commitment: Commitment | None
    members: list[MemberProgress] = field(default_factory=list)
    meetings: list[MeetingAttendance] = field(default_factory=list)

    @property
    def scale(self) -> int:
        return max([p.total for p in self.members] + [1])


@bp.get("/organisations")
def index():
    """The organisations list moved to the admin pages."""
    return redirect(url_for("admin.organisations"), 301)


@bp.get("/organisations/<slug>")
@signed_in
def show(slug: str):
    organisation = service.get_by_slug(slug)
    if organisation is None:
        abort(404)
    person = current_person()
    if not (person.is_admin or person.manages(organisation.id)):
        abort(403)
    return render_template("organisations/show.html", organisation=organisation,
                           sections=sections(organisation.id), bar=bar_geometry)


def sections(organisation_id: int, today: date | None = None) -> list[NetworkSection]:
    now = utcnow()
    today = today or now.date()
    members = db.session.scalars(select(Membership).join(Network).where(
        Membership.organisation_id == organisation_id, Network.status != "draft").order_by(Membership.position)).all()
    commitments = db.session.scalars(select(Commitment).join(Network).where(
        Commitment.organisation_id == organisation_id, Network.status != "draft")).all()
    network_ids = {m.network_id for m in members} | {c.network_id for c in commitments}
    if not network_ids:
        return []
    networks = db.session.scalars(select(Network).where(Network.id.in_(network_ids)).order_by(Network.name)).all()
    tasks = db.session.scalars(select(KnowledgeTask).where(
        KnowledgeTask.organisation_id == organisation_id, KnowledgeTask.network_id.in_(network_ids),
        KnowledgeTask.deleted_at.is_(None))).all()
    meetings = db.session.scalars(select(Meeting).where(
        Meeting.network_id.in_(network_ids), Meeting.deleted_at.is_(None)).order_by(Meeting.starts_at)).all()

    progress = {m.id: MemberProgress(m) for m in members}
    for task in tasks:
        row = progress.get(task.membership_id)
        if row is None:
            continue
        if task.completed_at is not None or task.status == "COMPLETED":
            row.done += 1
        elif task.due_on is not None and task.due_on < today:
            row.overdue += 1
        else:
            row.open += 1
    by_network: dict[int, NetworkSection] = {}
    commitment_of = {c.network_id: c for c in commitments}
    for network in networks:
        by_network[network.id] = NetworkSection(network, commitment_of.get(network.id))
    for member in members:
        by_network[member.network_id].members.append(progress[member.id])
    emails = defaultdict(set)
    for member in members:
        emails[member.network_id].add(member.email.casefold())
    for meeting in meetings:
        counts = dict.fromkeys(REPLIES, 0)
        for email in emails[meeting.network_id]:
            reply = (meeting.replies or {}).get(email, "NEEDS-ACTION")
            counts[reply if reply in counts else "NEEDS-ACTION"] += 1
        by_network[meeting.network_id].meetings.append(MeetingAttendance(meeting, counts, meeting.end < now))
    return list(by_network.values())


def bar_geometry(progress: MemberProgress, scale: int, width: int = 300) -> list[dict]:
    """The segments of one member's bar: done, open, overdue, each with its x, width and number."""
    segments, x = [], 0.0
    for kind in ("done", "open", "overdue"):
        value = getattr(progress, kind)
        if value:
            w = max(width * value / scale, 28.0)
            segments.append({"kind": kind, "x": round(x, 1), "width": round(w, 1), "value": value})
            x += w
    return segments
