"""The Nextcloud writes behind a reply and a task tick, run as background jobs.

A reply becomes the attendee's PARTSTAT in the organiser's copy of the event on the host's Nextcloud. Only
PARTSTAT changes, which is not a significant change for Nextcloud's scheduling (sabre's ITip broker compares
DTSTART, DTEND, RRULE, STATUS and the like), so no attendee gets a new invitation. A tick becomes the VTODO's
STATUS / PERCENT-COMPLETE / COMPLETED, written the way the Tasks app writes them, in the task list of the
organisation the task lives in. Both writes are conditional (If-Match): a change made in Nextcloud since
the read is re-read and kept, never overwritten.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask import Flask
from icalendar import Calendar

from connectors.errors import PreconditionFailed
from extension.accounts.service import nextcloud_client
from extension.extensions import db
from extension.networks.models import TASK_WRITTEN, KnowledgeTask, Meeting, Membership
from extension.engine.plan import connection_of

log = logging.getLogger(__name__)

PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE")
ATTEMPTS = 3


class NotAnAttendee(Exception):
    """The member is not on the meeting's attendee list in Nextcloud."""


def with_partstat(ical: bytes, email: str, partstat: str) -> bytes | None:
    """The event with the attendee's PARTSTAT set, or None when it already is (or they are not invited)."""
    calendar = Calendar.from_ical(ical)
    changed, found = False, False
    for event in calendar.walk("VEVENT"):
        values = event.get("ATTENDEE", [])
        for value in values if isinstance(values, list) else [values]:
            if str(value).lower().removeprefix("mailto:") != email.casefold():
                continue
            found = True
            if str(value.params.get("PARTSTAT", "")).upper() != partstat:
                value.params["PARTSTAT"] = partstat
                value.params.pop("RSVP", None)
                changed = True
    if not found:
        raise NotAnAttendee(email)
    return calendar.to_ical() if changed else None


def with_completion(ical: bytes, done: bool, now: datetime) -> bytes | None:
    calendar = Calendar.from_ical(ical)
    changed = False
    for todo in calendar.walk("VTODO"):
        is_done = str(todo.get("STATUS", "")).upper() == "COMPLETED" or todo.get("COMPLETED") is not None
        if is_done == done:
            continue
        for name in ("STATUS", "PERCENT-COMPLETE", "COMPLETED", "LAST-MODIFIED", "DTSTAMP"):
            if name in todo:
                del todo[name]
        todo.add("STATUS", "COMPLETED" if done else "NEEDS-ACTION")
        todo.add("PERCENT-COMPLETE", 100 if done else 0)
        if done:
            todo.add("COMPLETED", now)
        todo.add("LAST-MODIFIED", now)
        todo.add("DTSTAMP", now)
        changed = True
    return calendar.to_ical() if changed else None


def write_reply(app: Flask, meeting_id: int, membership_id: int, partstat: str, client_for=nextcloud_client) -> None:
    if partstat not in PARTSTATS:
        raise ValueError(f"unknown PARTSTAT {partstat!r}")
    meeting, member = db.session.get(Meeting, meeting_id), db.session.get(Membership, membership_id)
    if meeting is None or member is None:
        return
    network = meeting.network
    account = connection_of(network.host_organisation)
    if account is None:
        raise RuntimeError(f"{network.host_organisation.name} has no working organisation connection")
    client = client_for(app, account)
    for _ in range(ATTEMPTS):
        found = client.calendars.get(network.calendar_uri, meeting.ical_uid)
        if found is None:
            log.warning("meeting %s of %s is gone from the calendar; reply kept in the app", meeting.key, network.slug)
            break
        data = with_partstat(found.data, member.email, partstat)
        if data is None:
            break
        try:
            meeting.etag = client.calendars.update(network.calendar_uri, found.href, data, found.etag or "*")
            break
        except PreconditionFailed:
            continue
    replies = dict(meeting.replies or {})
    replies[member.email.casefold()] = partstat
    meeting.replies = replies
    db.session.commit()


def write_task_done(app: Flask, task_id: int, done: bool, client_for=nextcloud_client) -> None:
    task = db.session.get(KnowledgeTask, task_id)
    if task is None:
        return
    now = datetime.now(timezone.utc).replace(microsecond=0)
    account = connection_of(task.organisation) if task.organisation.has_nextcloud else None
    if task.sync_state == TASK_WRITTEN and task.remote_href and account is not None:
        client = client_for(app, account)
        for _ in range(ATTEMPTS):
            found = client.calendars.get_href(task.network.tasklist_uri, task.remote_href)
            if found is None:
                break
            data = with_completion(found.data, done, now)
            if data is None:
                break
            try:
                task.etag = client.calendars.update(task.network.tasklist_uri, found.href, data, found.etag or "*")
                break
            except PreconditionFailed:
                continue
    set_done(task, done, now)
    db.session.commit()


def set_done(task: KnowledgeTask, done: bool, now: datetime) -> None:
    task.status = "COMPLETED" if done else "NEEDS-ACTION"
    task.percent_complete = 100 if done else 0
    task.completed_at = now if done else None
