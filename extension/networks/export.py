"""A network as a versioned JSON document (`network export`), which `network import` reads back.

The document is a pure function of the database: no export time, no database ids, and every list in a
fixed order (phases, members and meetings by position, commitments, tasks and launch steps in the order
they were made, which the import keeps), so exporting, importing and exporting again gives the same text.

Rows refer to each other by their natural keys: organisations by slug (with their Nextcloud URL, never an
OAuth client or token), phases and meetings by key, members by e-mail. The Nextcloud objects the network
tracks keep their names: folder, calendar and task-list URIs, iCal UIDs, task hrefs and ETags, so the
imported network goes on with the same folder, events and tasks.

The launch journal is included: with it, a relaunch of the imported network verifies with reads instead of
ensuring every step again, and `network status` shows the same history. It is optional on import, because
every launch step is idempotent and a network without a journal is launched again safely. The sync tokens
(extension.sync) are left out: they belong to the source's connections, so the imported network starts with
a full sync.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from extension.networks.models import KnowledgeTask, LaunchStep, Meeting, Network, as_utc
from extension.networks.service import get_network, participating

FORMAT = "lerend-netwerk/network"
VERSION = 1


def export_network(slug: str) -> dict[str, Any]:
    """The export document of network `slug` (NetworkNotFound when there is none); call in an app context."""
    network = get_network(slug)
    phase_keys = {p.id: p.key for p in network.phases}
    meeting_keys = {m.id: m.key for m in network.meetings}
    organisations = {o.id: o for o in participating(network)}
    organisations.update({s.organisation.id: s.organisation for s in network.launch_steps if s.organisation})
    organisations.update({t.organisation.id: t.organisation for t in network.tasks})
    return {
        "format": FORMAT,
        "version": VERSION,
        "organisations": [{"slug": o.slug, "name": o.name, "nextcloud_url": o.nextcloud_url}
                          for o in sorted(organisations.values(), key=lambda o: o.slug)],
        "network": _network(network),
        "phases": [{"key": p.key, "position": p.position, "name": p.name, "goal": p.goal,
                    "duration_weeks": p.duration_weeks, "folder": p.folder, "starts_on": _day(p.starts_on),
                    "ends_on": _day(p.ends_on)} for p in network.phases],
        "members": [{"position": m.position, "name": m.name, "email": m.email, "organisation": m.organisation.slug,
                     "user_id": m.user_id, "role": m.role, "expertise": m.expertise} for m in network.memberships],
        "commitments": [{"organisation": c.organisation.slug, "manager_name": c.manager_name,
                         "manager_email": c.manager_email, "manager_user_id": c.manager_user_id,
                         "hours_per_month": c.hours_per_month, "podium": c.podium} for c in network.commitments],
        "meetings": [_meeting(m, phase_keys) for m in network.meetings],
        "tasks": [_task(t, phase_keys, meeting_keys) for t in sorted(network.tasks, key=lambda t: t.id)],
        "launch_steps": [_step(s) for s in network.launch_steps],
    }


def dumps(document: dict[str, Any]) -> str:
    """The document as the text written to a file: indented, UTF-8 kept readable, ending in a newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _network(network: Network) -> dict[str, Any]:
    return {
        "slug": network.slug, "name": network.name, "topic": network.topic, "question": network.question,
        "ambition": network.ambition, "place": network.place, "host": network.host_organisation.slug,
        "template": network.template_id, "template_version": network.template_version, "status": network.status,
        "current_phase": network.current_phase_key, "starts_on": _day(network.starts_on),
        "folder_name": network.folder_name, "calendar_uri": network.calendar_uri,
        "tasklist_uri": network.tasklist_uri, "created_at": _moment(network.created_at),
        "launched_at": _moment(network.launched_at),
    }


def _meeting(meeting: Meeting, phase_keys: dict[int, str]) -> dict[str, Any]:
    return {
        "key": meeting.key, "position": meeting.position, "phase": phase_keys[meeting.phase_id],
        "title": meeting.title, "starts_at": _moment(meeting.starts_at), "ends_at": _moment(meeting.ends_at),
        "location": meeting.location, "agenda_path": meeting.agenda_path, "ical_uid": meeting.ical_uid,
        "etag": meeting.etag, "replies": _sorted(meeting.replies or {}), "deleted_at": _moment(meeting.deleted_at),
    }


def _task(task: KnowledgeTask, phase_keys: dict[int, str], meeting_keys: dict[int, str]) -> dict[str, Any]:
    return {
        "key": task.key, "phase": phase_keys[task.phase_id],
        "meeting": meeting_keys.get(task.meeting_id) if task.meeting_id else None, "audience": task.audience,
        "organisation": task.organisation.slug, "member": task.membership.email if task.membership else None,
        "assignee_name": task.assignee_name, "assignee_email": task.assignee_email,
        "assignee_user_id": task.assignee_user_id, "title": task.title, "description": task.description,
        "due_on": _day(task.due_on), "ical_uid": task.ical_uid, "remote_href": task.remote_href, "etag": task.etag,
        "sync_state": task.sync_state, "status": task.status, "percent_complete": task.percent_complete,
        "completed_at": _moment(task.completed_at), "remote_summary": task.remote_summary,
        "remote_modified_at": _moment(task.remote_modified_at), "deleted_at": _moment(task.deleted_at),
    }


def _step(step: LaunchStep) -> dict[str, Any]:
    return {
        "key": step.key, "position": step.position, "kind": step.kind,
        "organisation": step.organisation.slug if step.organisation else None, "phase": step.phase_key,
        "label": step.label, "planned_requests": step.planned_requests, "status": step.status,
        "attempts": step.attempts, "last_error": step.last_error,
        "result": _sorted(step.result) if step.result is not None else None,
        "finished_at": _moment(step.finished_at),
    }


def _sorted(value: Any) -> Any:
    """JSON values with every object's keys in order, whatever order the database column kept."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _moment(value: datetime | None) -> str | None:
    """ISO 8601 in UTC; SQLite hands back naive values, PostgreSQL aware ones (as_utc makes them agree)."""
    return as_utc(value).isoformat() if value is not None else None
