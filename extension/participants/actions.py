"""The one door through which the web pages record a person's reply or tick: shown at once, written by a job.

The page shows the new state straight away (the database row); the queued job writes it to Nextcloud
(extension.participants.writes) and the next sync reads back whatever Nextcloud has, so a failed write
cannot leave a false state for long.
"""
from __future__ import annotations

from datetime import datetime, timezone

from extension.extensions import db
from extension.jobs import job_queue
from extension.networks.models import KnowledgeTask, Meeting, Membership, Network
from extension.participants.writes import PARTSTATS, set_done


def record_reply(network: Network, meeting: Meeting, member: Membership, partstat: str) -> None:
    if partstat not in PARTSTATS or meeting.network_id != network.id or member.network_id != network.id:
        raise ValueError("reply does not fit the meeting")
    replies = dict(meeting.replies or {})
    replies[member.email.casefold()] = partstat
    meeting.replies = replies
    db.session.commit()
    job_queue().enqueue("record_reply", meeting.id, member.id, partstat)


def record_task_done(task: KnowledgeTask, done: bool) -> None:
    set_done(task, done, datetime.now(timezone.utc).replace(microsecond=0))
    db.session.commit()
    job_queue().enqueue("record_task_done", task.id, bool(done))
