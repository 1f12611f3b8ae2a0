"""What each kind of launch step does in Nextcloud: make what is missing, or verify with reads only.

Every executor is idempotent, so a step can be run again after a crash at any point: folders are ensured
(MKCOL, 405 = there), documents are created only if absent (PUT If-None-Match: *, never overwriting what
people edited), shares are listed before one is created (sharing twice is an error, reference §4.3),
calendars are ensured (MKCALENDAR, 405 = there), calendar shares are read back (a POST answers 200 for
users it skipped, §6.6), and events and tasks are created only if absent under deterministic UIDs (§6.3).

Verifying a step the journal has as done uses reads that cover many steps at once: one folder listing per
folder, one share listing per shared path, one sharee read per calendar and one sync REPORT per calendar.
A `StepContext` carries those reads from step to step within one worker. The same reads, without any write,
check a launched network for drift (`CHECKS`, used by extension.networks.drift).
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable
from urllib.parse import urlsplit

from icalendar import Calendar

from connectors.calendars import sharee_href
from connectors.errors import NotFound
from connectors.ical import render_event, render_todo
from connectors.ocs import expected_permissions
from extension.networks.plan import LaunchError


@dataclass
class StepContext:
    """One worker's memory: facts learned by earlier steps (the organiser's address) and reads done."""

    facts: dict[str, Any]
    reads: dict[tuple, Any] = field(default_factory=dict)

    def read(self, client, key: tuple, load: Callable[[], Any]) -> Any:
        """`load()`, once per client and key in this launch."""
        full = (id(client), *key)
        if full not in self.reads:
            self.reads[full] = load()
        return self.reads[full]

    def forget(self, client, key: tuple) -> None:
        self.reads.pop((id(client), *key), None)

    def note_created(self, client, key: tuple, name: str) -> None:
        """Add `name` to a cached listing, so the read stays true after this worker's own write."""
        listing = self.reads.get((id(client), *key))
        if listing is not None:
            listing.add(name)


def _listing(client, ctx: StepContext, folder: str) -> set[str]:
    def load():
        try:
            return {entry.name for entry in client.files.list(folder)}
        except NotFound:
            return set()
    return ctx.read(client, ("files", folder), load)


def _sharees(client, ctx: StepContext, uri: str) -> dict[str, bool] | None:
    """The calendar's sharees by href (read-write or not), or None when the calendar does not exist."""
    def load():
        try:
            return {s.href: s.read_write for s in client.calendars.sharees(uri)}
        except NotFound:
            return None
    return ctx.read(client, ("sharees", uri), load)


def _objects(client, ctx: StepContext, uri: str) -> set[str]:
    """Names of the objects in a calendar, from one sync-collection REPORT (plus one multiget)."""
    def load():
        try:
            return {posixpath.basename(o.href) for o in client.calendars.sync(uri).changed}
        except NotFound:
            return set()
    return ctx.read(client, ("objects", uri), load)


def organiser(client, p, verify, ctx: StepContext) -> dict:
    """The address ORGANIZER must carry: the calendar owner's e-mail as Nextcloud stores it (reference §6.8)."""
    me = client.ocs.current_user()
    if not me.email:
        raise LaunchError(f"Het organisatieaccount {me.id} heeft geen e-mailadres in Nextcloud; zonder adres "
                          "verstuurt Nextcloud geen uitnodigingen (ORGANIZER, reference §6.8).")
    ctx.facts["organiser_email"], ctx.facts["organiser_name"] = me.email, me.display_name or me.id
    return {"email": me.email, "display_name": ctx.facts["organiser_name"]}


def folder(client, p, verify, ctx: StepContext) -> dict:
    parent, _, name = p["path"].rpartition("/")
    if verify and name in _listing(client, ctx, parent):
        return {"verified": True}
    created = client.files.ensure_folder(p["path"], parents=False)
    ctx.note_created(client, ("files", parent), name)
    return {"created": created}


def document(client, p, verify, ctx: StepContext) -> dict:
    parent, _, name = p["path"].rpartition("/")
    if verify and name in _listing(client, ctx, parent):
        return {"verified": True}
    # Create only: a document people edited in Nextcloud is never overwritten.
    created = client.files.create_if_absent(p["path"], p["content"], "text/markdown; charset=utf-8")
    ctx.note_created(client, ("files", parent), name)
    return {"created": created}


def share(client, p, verify, ctx: StepContext) -> dict:
    ocs = client.ocs
    if verify:
        wanted = (p["share_type"], p["share_with"].lower())
        for found in ctx.read(client, ("shares", p["path"]), lambda: ocs.shares(p["path"], reshares=True)):
            if (found.share_type, (found.share_with or "").lower()) == wanted and found.permissions == \
                    expected_permissions(p["permissions"], p["share_type"], found.item_type):
                return {"verified": True, "share_id": found.id, "permissions": found.permissions}
    made = ocs.ensure_share(p["path"], p["share_type"], p["share_with"], p["permissions"])
    ctx.forget(client, ("shares", p["path"]))
    return {"share_id": made.id, "permissions": made.permissions}


def calendar(client, p, verify, ctx: StepContext) -> dict:
    """A calendar or task list; its existence is verified by reading its sharees (one PROPFIND)."""
    if verify and _sharees(client, ctx, p["uri"]) is not None:
        return {"verified": True}
    info = client.calendars.ensure_calendar(p["uri"], p["display_name"], p["color"], p["components"])
    ctx.forget(client, ("sharees", p["uri"]))
    return {"created": info.created, "url": info.url}


def calendar_share(client, p, verify, ctx: StepContext) -> dict:
    if verify:
        current = _sharees(client, ctx, p["uri"]) or {}
        if all(current.get(sharee_href(user)) == p["read_write"] for user in p["sharees"]):
            return {"verified": True, "sharees": sorted(p["sharees"])}
    # share_calendar reads the sharees, posts the missing ones and reads them back: ShareNotApplied
    # names those Nextcloud skipped.
    client.calendars.share_calendar(p["uri"], p["sharees"], read_write=p["read_write"], summary=p["summary"])
    ctx.forget(client, ("sharees", p["uri"]))
    return {"sharees": sorted(p["sharees"])}


def meeting(client, p, verify, ctx: StepContext) -> dict:
    name = f"{p['uid']}.ics"
    if verify and name in _objects(client, ctx, p["uri"]):
        return {"verified": True}
    ics = render_event(
        p["uid"], p["summary"], datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"]),
        organizer_email=ctx.facts["organiser_email"], organizer_name=ctx.facts["organiser_name"],
        attendees=[tuple(a) for a in p["attendees"]], description=p["description"], location=p["location"],
        url=p["url"], dtstamp=datetime.fromisoformat(p["dtstamp"]))
    if p["replies"]:
        ics = _with_replies(ics, p["replies"])
    created = client.calendars.create_if_absent(p["uri"], p["uid"], ics)
    ctx.note_created(client, ("objects", p["uri"]), name)
    return {"created": created}


def _with_replies(ics: bytes, replies: dict[str, str]) -> bytes:
    """The event with each attendee's known reply ({e-mail: PARTSTAT}) instead of NEEDS-ACTION."""
    calendar = Calendar.from_ical(ics)
    for event in calendar.walk("VEVENT"):
        attendees = event.get("ATTENDEE", [])
        for attendee in attendees if isinstance(attendees, list) else [attendees]:
            reply = replies.get(str(attendee).casefold().removeprefix("mailto:"))
            if reply:
                attendee.params["PARTSTAT"] = reply
    return calendar.to_ical()


def task(client, p, verify, ctx: StepContext) -> dict:
    calendars = client.calendars
    name = f"{p['uid']}.ics"
    href = urlsplit(calendars.object_url(p["uri"], name)).path
    if verify and name in _objects(client, ctx, p["uri"]):
        return {"verified": True, "uid": p["uid"], "href": href}
    ics = render_todo(p["uid"], p["summary"], p["description"],
                      due=date.fromisoformat(p["due"]) if p["due"] else None, categories=p["categories"],
                      dtstamp=datetime.fromisoformat(p["dtstamp"]), status=p["status"],
                      completed_at=datetime.fromisoformat(p["completed_at"]) if p["completed_at"] else None)
    created = calendars.create_if_absent(p["uri"], p["uid"], ics)
    ctx.note_created(client, ("objects", p["uri"]), name)
    return {"created": created, "uid": p["uid"], "href": href}


# (client, params, verify, context) -> result; `verified` True when everything was found in place.
EXECUTORS: dict[str, Callable[..., dict]] = {
    "organiser": organiser,
    "folder": folder,
    "document": document,
    "share": share,
    "calendar": calendar,
    "calendar-share": calendar_share,
    "meeting": meeting,
    "tasklist": calendar,
    "tasklist-share": calendar_share,
    "task": task,
}


# Read-only checks for drift detection (extension.networks.drift), with the same reads as verifying:
# (client, params, context) -> None when the step's resource is in place, else (GONE or CHANGED, detail).
GONE, CHANGED = "gone", "changed"


def check_path(client, p, ctx: StepContext):
    parent, _, name = p["path"].rpartition("/")
    return None if name in _listing(client, ctx, parent) else (GONE, p["path"])


def check_share(client, p, ctx: StepContext):
    def load():
        try:
            return client.ocs.shares(p["path"], reshares=True)
        except NotFound:  # the shared folder itself is gone
            return []
    wanted = (p["share_type"], p["share_with"].lower())
    for found in ctx.read(client, ("shares", p["path"]), load):
        if (found.share_type, (found.share_with or "").lower()) == wanted:
            expected = expected_permissions(p["permissions"], p["share_type"], found.item_type)
            return None if found.permissions == expected else (CHANGED, f"{found.permissions} in plaats van {expected}")
    return GONE, p["share_with"]


def check_calendar(client, p, ctx: StepContext):
    return None if _sharees(client, ctx, p["uri"]) is not None else (GONE, p["uri"])


def check_calendar_share(client, p, ctx: StepContext):
    current = _sharees(client, ctx, p["uri"]) or {}
    missing = [user for user in p["sharees"] if sharee_href(user) not in current]
    if missing:
        return GONE, ", ".join(missing)
    changed = [user for user in p["sharees"] if current[sharee_href(user)] != p["read_write"]]
    return (CHANGED, ", ".join(changed)) if changed else None


def check_object(client, p, ctx: StepContext):
    return None if f"{p['uid']}.ics" in _objects(client, ctx, p["uri"]) else (GONE, p["uid"])


CHECKS: dict[str, Callable[..., tuple[str, str] | None]] = {
    "organiser": lambda client, p, ctx: None,  # a fact read from Nextcloud, nothing that can disappear
    "folder": check_path,
    "document": check_path,
    "share": check_share,
    "calendar": check_calendar,
    "calendar-share": check_calendar_share,
    "meeting": check_object,
    "tasklist": check_calendar,
    "tasklist-share": check_calendar_share,
    "task": check_object,
}
