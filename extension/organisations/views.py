"""An organisation's page for its managers and the admins: its people's progress in every network it joins.

Rendered from the database only, a page of networks at a time, with one query per kind of row (networks,
memberships, task counts, commitments, meetings), whatever the number of networks.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, abort, redirect, render_template, url_for
from sqlalchemy import and_, case, func, or_, select

from extension.auth.identity import current_person, signed_in
from extension.extensions import db
from extension.networks.models import Commitment, KnowledgeTask, Meeting, Membership, Network, Phase
from extension.organisations import service
from extension.organisations.models import utcnow
from extension.pagination import Page, requested_page

bp = Blueprint("organisations", __name__)

REPLIES = ("ACCEPTED", "TENTATIVE", "DECLINED", "NEEDS-ACTION")
NETWORKS_PER_PAGE = 5


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
    phase: str | None = None
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
    shown, page = sections(organisation.id, page=requested_page())
    return render_template("organisations/show.html", organisation=organisation, sections=shown, page=page,
                           bar=bar_geometry)


def sections(organisation_id: int, today: date | None = None, page: int = 1,
             size: int = NETWORKS_PER_PAGE) -> tuple[list[NetworkSection], Page]:
    """Page `page` of the networks the organisation takes part in (by name), each with its people's task
    counts, its commitment and its meetings: five queries whatever the number of networks or tasks."""
    now = utcnow()
    today = today or now.date()
    joins = or_(Network.id.in_(select(Membership.network_id).where(Membership.organisation_id == organisation_id)),
                Network.id.in_(select(Commitment.network_id).where(Commitment.organisation_id == organisation_id)))
    rows = db.session.execute(
        select(Network, Phase.name, func.count().over())
        .outerjoin(Phase, and_(Phase.network_id == Network.id, Phase.key == Network.current_phase_key))
        .where(joins, Network.status != "draft").order_by(Network.name, Network.id)
        .offset((page - 1) * size).limit(size)).all()
    if not rows:
        total = db.session.scalar(select(func.count()).select_from(Network).where(joins, Network.status != "draft"))
        last = max(1, -(-total // size))
        if page > last:
            return sections(organisation_id, today, last, size)
        return [], Page(page, size, total)
    network_ids = [network.id for network, _, _ in rows]
    members = db.session.scalars(select(Membership).where(
        Membership.organisation_id == organisation_id, Membership.network_id.in_(network_ids))
        .order_by(Membership.position)).all()
    commitments = db.session.scalars(select(Commitment).where(
        Commitment.organisation_id == organisation_id, Commitment.network_id.in_(network_ids))).all()
    is_done = or_(KnowledgeTask.completed_at.is_not(None), KnowledgeTask.status == "COMPLETED")
    is_overdue = and_(~is_done, KnowledgeTask.due_on.is_not(None), KnowledgeTask.due_on < today)
    counts = db.session.execute(
        select(KnowledgeTask.membership_id, func.sum(case((is_done, 1), else_=0)),
               func.sum(case((is_overdue, 1), else_=0)), func.count())
        .where(KnowledgeTask.organisation_id == organisation_id, KnowledgeTask.network_id.in_(network_ids),
               KnowledgeTask.deleted_at.is_(None), KnowledgeTask.membership_id.is_not(None))
        .group_by(KnowledgeTask.membership_id)).all()
    meetings = db.session.scalars(select(Meeting).where(
        Meeting.network_id.in_(network_ids), Meeting.deleted_at.is_(None)).order_by(Meeting.starts_at)).all()

    progress = {m.id: MemberProgress(m) for m in members}
    for membership_id, done, overdue, total in counts:
        row = progress.get(membership_id)
        if row is not None:
            row.done, row.overdue = int(done or 0), int(overdue or 0)
            row.open = total - row.done - row.overdue
    by_network: dict[int, NetworkSection] = {}
    commitment_of = {c.network_id: c for c in commitments}
    for network, phase, _ in rows:
        by_network[network.id] = NetworkSection(network, commitment_of.get(network.id), phase)
    for member in members:
        by_network[member.network_id].members.append(progress[member.id])
    emails = defaultdict(set)
    for member in members:
        emails[member.network_id].add(member.email.casefold())
    for meeting in meetings:
        counts_of = dict.fromkeys(REPLIES, 0)
        for email in emails[meeting.network_id]:
            reply = (meeting.replies or {}).get(email, "NEEDS-ACTION")
            counts_of[reply if reply in counts_of else "NEEDS-ACTION"] += 1
        by_network[meeting.network_id].meetings.append(MeetingAttendance(meeting, counts_of, meeting.end < now))
    return list(by_network.values()), Page(page, size, rows[0][2])


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
