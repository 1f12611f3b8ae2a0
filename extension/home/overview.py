"""A person's own overview: their networks, next meetings with their reply, their tasks (database only)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from extension.auth.identity import Person
from extension.extensions import db
from extension.networks.mine import MyNetwork, entries
from extension.networks.models import KnowledgeTask, Meeting, Membership, as_utc
from extension.nextcloud_links import NextcloudLinks, links_for
from extension.organisations.models import utcnow

MEETINGS_SHOWN = 3
DONE_SHOWN_DAYS = 30


@dataclass(frozen=True)
class MyMeeting:
    meeting: Meeting
    member: Membership
    reply: str

    @property
    def answered(self) -> bool:
        return self.reply in ("ACCEPTED", "DECLINED", "TENTATIVE")


@dataclass(frozen=True)
class MyTask:
    task: KnowledgeTask
    overdue: bool

    @property
    def done(self) -> bool:
        return self.task.completed_at is not None or self.task.status == "COMPLETED"

    @property
    def title(self) -> str:
        """The task's title; the SUMMARY it has in Nextcloud only when someone renamed it there (the launch
        writes "<title> (<assignee>)", extension.engine.plan)."""
        written = f"{self.task.title} ({self.task.assignee_name})"
        return self.task.remote_summary if self.task.remote_summary not in (None, "", written) else self.task.title


@dataclass(frozen=True)
class Overview:
    networks: list[MyNetwork]
    meetings: list[MyMeeting]
    open_tasks: list[MyTask]
    done_tasks: list[MyTask]
    links: NextcloudLinks | None


def overview(person: Person, today: date | None = None, now: datetime | None = None) -> Overview:
    now = now or utcnow()
    today = today or now.date()
    memberships = person.memberships()
    links = links_for(person.account) if person.account is not None else None
    by_network = {m.network_id: m for m in memberships}
    meetings, tasks = [], []
    if memberships:
        meetings = db.session.scalars(
            select(Meeting).where(Meeting.network_id.in_(by_network), Meeting.deleted_at.is_(None),
                                  Meeting.ends_at >= now).order_by(Meeting.starts_at).limit(MEETINGS_SHOWN)).all()
        tasks = db.session.scalars(
            select(KnowledgeTask).where(KnowledgeTask.membership_id.in_([m.id for m in memberships]),
                                        KnowledgeTask.deleted_at.is_(None))
            .order_by(KnowledgeTask.due_on.is_(None), KnowledgeTask.due_on, KnowledgeTask.id)).all()
    mine = [MyMeeting(m, by_network[m.network_id], (m.replies or {}).get(by_network[m.network_id].email.casefold(),
                                                                          "NEEDS-ACTION")) for m in meetings]
    rows = [MyTask(t, t.due_on is not None and t.due_on < today) for t in tasks]
    recent = now - timedelta(days=DONE_SHOWN_DAYS)
    done = [r for r in rows if r.done and (r.task.completed_at is None or as_utc(r.task.completed_at) >= recent)]
    return Overview(entries(memberships, links), mine, [r for r in rows if not r.done], done, links)
