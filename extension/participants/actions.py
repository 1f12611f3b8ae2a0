"""The one door through which the web pages record a person's reply or tick: shown at once, written by a job.

The page shows the new state straight away (the database row); the queued job hands it to the engine
(plan kinds "record-reply" and "record-task-done"), the one writer to Nextcloud, and the next sync reads back
whatever Nextcloud has, so a failed write cannot leave a false state for long.
"""
from __future__ import annotations

from datetime import datetime, timezone

from extension.extensions import db
from extension.jobs import job_queue
from extension.networks.models import KnowledgeTask, Meeting, Membership, Network

PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE")


def record_reply(network: Network, meeting: Meeting, member: Membership, partstat: str) -> None:
    if partstat not in PARTSTATS or meeting.network_id != network.id or member.network_id != network.id:
        raise ValueError("reply does not fit the meeting")
    meeting.replies = {**(meeting.replies or {}), member.email.casefold(): partstat}
    db.session.commit()
    job_queue().enqueue("record_reply", meeting.id, member.id, partstat)


def record_task_done(task: KnowledgeTask, done: bool) -> None:
    task.status = "COMPLETED" if done else "NEEDS-ACTION"
    task.percent_complete = 100 if done else 0
    task.completed_at = datetime.now(timezone.utc).replace(microsecond=0) if done else None
    db.session.commit()
    job_queue().enqueue("record_task_done", task.id, bool(done))


def is_done(task: KnowledgeTask) -> bool:
    return task.status == "COMPLETED"
