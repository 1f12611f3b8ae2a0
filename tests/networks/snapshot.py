"""A normalised picture of everything in a sandbox, read from the sandbox itself (never from our database).

Two launches of the same network into two sandboxes give equal snapshots: ports become `<a>`/`<b>`, and
what differs by nature between runs (share and file ids, timestamps, tokens) is left out. Lists keep
duplicates, so a share, event, task, invitation or document made twice shows.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

WRITE_METHODS = frozenset({"PUT", "POST", "MKCOL", "MKCALENDAR", "PROPPATCH", "DELETE", "MOVE"})
_MARKER = re.compile(r"ref [0-9a-f]{16}")  # a conversation's marker hashes the network's creation time
_VOLATILE = re.compile(r"^(DTSTAMP|CREATED|LAST-MODIFIED)[:;].*$", re.MULTILINE)


def snapshot(sandbox) -> dict:
    orgs = sandbox.orgs
    hosts = {org.host: f"<{key}>" for key, org in orgs.items()}

    # Talk conversation tokens are random: each becomes <gesprek> (the Readme links one).
    tokens = [room.token for org in orgs.values() for room in org.talk.conversations()]

    def norm(text):
        if text is None:
            return None
        for host, placeholder in hosts.items():
            text = text.replace(host, placeholder)
        for token in tokens:
            text = text.replace(f"/call/{token}", "/call/<gesprek>")
        return _MARKER.sub("ref <marker>", text)

    picture = {}
    for key, org in sorted(orgs.items()):
        picture[key] = {
            "files": {path: norm(text) for path, text in files(org.root / "files").items()},
            "calendars": {name: {**calendar, "objects": {k: norm(v) for k, v in calendar["objects"].items()}}
                          for name, calendar in calendars(org).items()},
            "shares": sorted((s.owner, s.path, s.share_type, norm(s.share_with), s.permissions)
                             for s in org.state.shares.values()),
            "remote_shares": sorted((r.user, r.owner, norm(r.remote), r.name, r.permissions, r.accepted)
                                    for r in org.state.remote_shares.values()),
            "outbox": sorted((i.method, i.organizer, i.attendee, i.uid, i.summary, str(i.dtstart))
                             for i in org.outbox),
            "conversations": sorted((room.type, room.name, norm(room.description), room.read_only,
                                     tuple(sorted((a.actor_type, norm(a.actor_id), a.participant_type)
                                                  for a in room.attendees)))
                                    for room in org.talk.conversations()),
        }
    return picture


def differences(found: dict, expected: dict, limit: int = 10) -> str:
    """Where two snapshots differ, one line per differing leaf (path: found != expected), for an assertion
    message that stays readable when the full diff of two large pictures is cut short."""
    lines: list[str] = []

    def walk(path: str, a, b) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                walk(f"{path}/{key}", a.get(key, "<missing>"), b.get(key, "<missing>"))
        elif a != b:
            lines.append(f"{path}: {_short(a)} != {_short(b)}")

    walk("", found, expected)
    more = [f"… and {len(lines) - limit} more"] if len(lines) > limit else []
    return "the sandbox differs from the expected state at\n" + "\n".join(lines[:limit] + more)


def _short(value, width: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width] + "…"


def files(root: Path) -> dict[str, str]:
    """Every file and folder below the users' homes: folders as "/", files by their text."""
    return {path.relative_to(root).as_posix(): ("/" if path.is_dir() else path.read_text("utf-8"))
            for path in sorted(root.rglob("*"))}


def calendars(org) -> dict[str, dict]:
    """Every calendar of every user: its properties, its objects (unfolded, volatile lines dropped), sharees."""
    found = {}
    root = org.root / "calendars" / "collection-root"
    for props in sorted(root.rglob(".Radicale.props")):
        collection = props.parent
        owner, uri = collection.relative_to(root).parts[0], collection.name
        if collection == root / owner:
            continue
        found[f"{owner}/{uri}"] = {
            "props": json.loads(props.read_text("utf-8")),
            "objects": {item.name: ical_text(item.read_text("utf-8")) for item in sorted(collection.glob("*.ics"))},
            "sharees": sorted(org.calendar_sharees(owner, uri)),
        }
    return found


def ical_text(text: str) -> str:
    unfolded = re.sub(r"\r?\n[ \t]", "", text).replace("\r\n", "\n")
    return _VOLATILE.sub("", unfolded)


def writes(sandbox) -> dict[str, int]:
    """Write requests per method over all organisations, from the sandboxes' request logs."""
    counts: dict[str, int] = {}
    for org in sandbox.orgs.values():
        for record in org.request_log:
            if record.method in WRITE_METHODS:
                counts[record.method] = counts.get(record.method, 0) + 1
    return counts
