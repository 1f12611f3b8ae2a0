"""A person's own overview: their networks, next meetings with their reply, their tasks (database only).

In a fixed number of queries whatever the number of networks the person is in: the next meetings, the first
open tasks and the recently done ones are each one query joined to the person's
memberships; the networks come a page at a time (extension.networks.mine).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from extension.auth.identity import Person
from extension.extensions import db
from extension.networks.mine import MyNetwork, network_page
from extension.networks.models import KnowledgeTask, Meeting, Membership, Network
from extension.nextcloud_links import NextcloudLinks, links_for
from extension.organisations.models import utcnow
from extension.pagination import Page

MEETINGS_SHOWN = 3
OPEN_SHOWN = 10
DONE_SHOWN = 5
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
    page: Page
    meetings: list[MyMeeting]
    open_tasks: list[MyTask]
    more_open: bool
    done_tasks: list[MyTask]
    links: NextcloudLinks | None


def overview(person: Person, today: date | None = None, now: datetime | None = None, page: int = 1) -> Overview:
    now = now or utcnow()
    today = today or now.date()
    links = links_for(person.account) if person.account is not None else None
    mine = person.membership_filter()

    pairs = db.session.execute(
        select(Meeting, Membership).join(Meeting.network).join(Membership, Membership.network_id == Network.id)
        .where(*mine, Meeting.deleted_at.is_(None), Meeting.ends_at >= now)
        .options(contains_eager(Meeting.network))
        .order_by(Meeting.starts_at, Meeting.id).limit(MEETINGS_SHOWN)).all()
    meetings = [MyMeeting(meeting, member, (meeting.replies or {}).get(member.email.casefold(), "NEEDS-ACTION"))
                for meeting, member in pairs]

    tasks = (select(KnowledgeTask).join(KnowledgeTask.network)
             .join(Membership, Membership.id == KnowledgeTask.membership_id)
             .where(*mine, KnowledgeTask.deleted_at.is_(None)).options(contains_eager(KnowledgeTask.network)))
    not_done = (KnowledgeTask.completed_at.is_(None)) & (KnowledgeTask.status != "COMPLETED")
    # The earliest due first; one more than shown says whether there are more. The database walks the tasks by
    # due date (ix_knowledge_tasks_due_on) or the person's memberships, whichever it estimates cheaper.
    open_tasks = db.session.scalars(
        tasks.where(not_done).order_by(KnowledgeTask.due_on.asc().nulls_last(), KnowledgeTask.id)
        .limit(OPEN_SHOWN + 1)).all()
    recent = now - timedelta(days=DONE_SHOWN_DAYS)
    done = db.session.scalars(
        tasks.where(~not_done, or_(KnowledgeTask.completed_at.is_(None), KnowledgeTask.completed_at >= recent))
        .order_by(KnowledgeTask.completed_at.desc(), KnowledgeTask.id.desc()).limit(DONE_SHOWN)).all()

    networks, shown = network_page(mine, links, page)
    return Overview(networks, shown, meetings,
                    [MyTask(t, t.due_on is not None and t.due_on < today) for t in open_tasks[:OPEN_SHOWN]],
                    len(open_tasks) > OPEN_SHOWN, [MyTask(t, False) for t in done], links)
