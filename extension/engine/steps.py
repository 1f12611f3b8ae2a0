"""Step kinds: what each kind of step does in Nextcloud, with typed parameters, an execute and a verify.

Every execute is idempotent, so a step can run again after a crash at any point, at the fewest requests:
folders are made with one MKCOL (405 = there), documents with one PUT If-None-Match: * (never overwriting
what people edited), shares with one POST (an "already shared" answer is checked with one read, quirk
`share_twice_403`), calendars with one MKCALENDAR, calendar shares with one `oc:share` POST carrying every
sharee and one read-back (Nextcloud skips unknown sharees silently, quirk `calendar_share_silent_skip`),
events and tasks with one PUT If-None-Match: * under deterministic UIDs, the network's Talk conversation with
one POST carrying every participant (skipped with a note where the host has no Talk). Removals are kinds
too: unshare, withdraw a task, move a folder, close the conversation.

`verify` answers with reads only (None = in place, else (GONE or CHANGED, detail)); the reads are shared
between steps through the thread-safe `StepContext`: one listing per folder that must be looked into, one
share listing per shared path, one Depth-1 PROPFIND per calendar giving its sharees and the names of its
objects without downloading them. Drift detection (extension.engine.drift) is the same verify.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import posixpath
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, ClassVar
from urllib.parse import urlsplit

from connectors.calendars import sharee_href
from connectors.errors import AlreadyExists, Forbidden, NotFound, PreconditionFailed
from connectors.ical import (parse_todo, render_event, render_todo, with_attendees, with_replies,
                             with_todo_status)
from connectors.ocs import SHARE_LINK, expected_permissions
from connectors.talk import FEDERATED_USERS, OWNER, ROOM_GROUP, USERS, TalkRefused
from extension.engine.errors import LaunchError
from extension.i18n import Text, dump_text

GONE, CHANGED = "gone", "changed"
Check = tuple[str, str] | None


class StepContext:
    """What the steps of one run share: facts learned (the organiser's address) and reads made, each read
    made once per client and key even when several worker threads ask for it at the same time."""

    def __init__(self, facts: dict[str, Any] | None = None):
        self.facts: dict[str, Any] = dict(facts or {})
        self._reads: dict[tuple, Any] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def read(self, client, key: tuple, load: Callable[[], Any]) -> Any:
        full = (id(client), *key)
        with self._guard:
            if full in self._reads:
                return self._reads[full]
            lock = self._locks.setdefault(full, threading.Lock())
        with lock:
            with self._guard:
                if full in self._reads:
                    return self._reads[full]
            value = load()
            with self._guard:
                self._reads[full] = value
            return value

    def forget(self, client, key: tuple) -> None:
        with self._guard:
            self._reads.pop((id(client), *key), None)


def _listing(client, ctx: StepContext, folder: str) -> set[str] | None:
    """Names in `folder` (one PROPFIND Depth 1), or None when the folder does not exist."""
    def load():
        try:
            return {entry.name for entry in client.files.list(folder)}
        except NotFound:
            return None
    return ctx.read(client, ("files", folder), load)


def _inventory(client, ctx: StepContext, uri: str):
    """({sharee href: read-write}, {object name: etag}) of a calendar from one PROPFIND, or None when gone."""
    def load():
        found = client.calendars.inventory(uri)
        if found is None:
            return None
        sharees, objects = found
        return {s.href: s.read_write for s in sharees}, objects
    return ctx.read(client, ("calendar", uri), load)


def _shares(client, ctx: StepContext, path: str):
    def load():
        try:
            return client.ocs.shares(path, reshares=True)
        except NotFound:
            return []
    return ctx.read(client, ("shares", path), load)


class Taken(Exception):
    """A first creation found the name in use by something this installation did not make (never adopted):
    `free` is the next free name to use instead."""

    def __init__(self, what: str, name: str, free: str):
        super().__init__(Text("%(what)s '%(name)s' exists already and was not made by this installation; "
                              "'%(free)s' is used.", what=what, name=name, free=free))
        self.what, self.name, self.free = what, name, free


# -- parameters --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoParams:
    pass


@dataclass(frozen=True)
class FolderParams:
    path: str
    # How existence is verified: by listing the folder itself, a folder below it, or its parent.
    proof: str = ""
    # The network's own folder: a first creation that finds it there takes the next free name.
    claim: bool = False


@dataclass(frozen=True)
class DocumentParams:
    path: str
    content: bytes = field(repr=False)
    # A link only an earlier step of the same run learns (the conversation's): `content` holds LINK_SLOT
    # where the link goes and `link` names the fact (StepContext.facts) that holds it; `without` is the
    # document without that part, written when the step made nothing (no Talk).
    link: str = ""
    without: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ShareParams:
    path: str
    share_type: int
    share_with: str
    permissions: int


@dataclass(frozen=True)
class CalendarParams:
    uri: str
    display_name: str
    color: str
    components: tuple[str, ...]
    claim: bool = False


@dataclass(frozen=True)
class CalendarShareParams:
    uri: str
    sharees: dict[str, bool]  # Nextcloud user id -> read-write
    summary: str
    remove: tuple[str, ...] = ()  # sharees of an earlier run no longer wanted (set by the runner)


@dataclass(frozen=True)
class MeetingParams:
    uri: str
    uid: str
    summary: str
    start: str
    end: str
    attendees: tuple[tuple[str, str], ...]
    description: str
    location: str | None
    url: str
    dtstamp: str
    replies: dict[str, str]


@dataclass(frozen=True)
class TaskParams:
    uri: str
    uid: str
    summary: str
    description: str
    due: str | None
    categories: tuple[str, ...]
    dtstamp: str
    status: str
    completed_at: str | None


@dataclass(frozen=True)
class UnshareParams:
    path: str
    share_type: int
    share_with: str
    share_id: str | None = None


@dataclass(frozen=True)
class CalendarUnshareParams:
    uri: str
    sharees: tuple[str, ...] = ()  # empty: every sharee


@dataclass(frozen=True)
class TaskRefParams:
    uri: str
    uid: str
    href: str


@dataclass(frozen=True)
class ReplyParams:
    uri: str
    uid: str
    email: str
    partstat: str


@dataclass(frozen=True)
class TaskDoneParams:
    uri: str
    uid: str
    href: str
    done: bool
    at: str


@dataclass(frozen=True)
class MoveParams:
    source: str
    target: str
    archive: str
    folder_name: str  # the network's folder name once moved


@dataclass(frozen=True)
class TreeParams:
    root: str


@dataclass(frozen=True)
class ConversationParams:
    name: str
    description: str
    # Text only this installation puts in the description: how a run whose creation was never journaled
    # finds its own conversation again (and never one it did not make).
    marker: str
    users: tuple[str, ...]  # user ids on the host's Nextcloud
    federated: tuple[str, ...]  # cloud ids (user@host) of members on other Nextclouds
    token: str | None = None  # the conversation this installation made, from the journal


@dataclass(frozen=True)
class ConversationCloseParams:
    token: str
    name: str


def params_json(params) -> dict[str, Any]:
    """The parameters as the journal keeps them (bytes as their SHA-256: documents are not stored twice)."""
    out = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        out[f.name] = hashlib.sha256(value).hexdigest() if isinstance(value, bytes) else value
    return json.loads(json.dumps(out, default=list))


def digest_of(values: Any) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=list).encode()).hexdigest()[:32]


# -- kinds -------------------------------------------------------------------------------------------------

class StepKind:
    """One kind of step: `execute` makes the resource (or removes it) and returns what the run learned;
    `verify` says with reads only whether it is in place. `requests` is a first run's request count."""

    name: ClassVar[str]
    Params: ClassVar[type]
    requests: ClassVar[int] = 1
    # True for kinds whose changed parameters (`digest`) make a done step run again.
    updatable: ClassVar[bool] = False

    def digest(self, p) -> str | None:
        return None

    def execute(self, client, p, ctx: StepContext, *, attempted: bool = True, previous: dict | None = None) -> dict:
        raise NotImplementedError

    def verify(self, client, p, ctx: StepContext) -> Check:
        return None

    def removal(self, params: dict, result: dict | None):
        """(kind name, params) of the step that takes this step's resource away when it is no longer wanted,
        or None when it stays (folders, documents, calendars, meetings stay where they are)."""
        return None


class Organiser(StepKind):
    """The address ORGANIZER must carry: the calendar owner's e-mail as Nextcloud stores it
    (quirk `imip_owner_organizer_only`)."""

    name, Params = "organiser", NoParams

    def execute(self, client, p, ctx, **_):
        me = client.ocs.current_user()
        if not me.email:
            raise LaunchError(Text("The organisation account %(user)s has no e-mail address in Nextcloud; without "
                                   "an address Nextcloud sends no invitations (quirk imip_owner_organizer_only).",
                                   user=me.id))
        ctx.facts["organiser_email"], ctx.facts["organiser_name"] = me.email, me.display_name or me.id
        return {"email": me.email, "display_name": ctx.facts["organiser_name"]}


class Folder(StepKind):
    name, Params = "folder", FolderParams

    def execute(self, client, p, ctx, *, attempted=True, **_):
        if client.files.ensure_folder(p.path, parents=False):
            return {"created": True}
        if p.claim and not attempted:
            parent, _, name = p.path.rpartition("/")
            taken = _listing(client, ctx, parent) or set()
            raise Taken(Text("The folder"), name, next_free(name, taken))
        return {"created": False}

    def verify(self, client, p, ctx):
        if p.proof and p.proof != posixpath.dirname(p.path) and _listing(client, ctx, p.proof) is not None:
            return None  # a folder below it could be listed
        parent, _, name = p.path.rpartition("/")
        return None if name in (_listing(client, ctx, parent) or ()) else (GONE, p.path)


LINK_SLOT = b"\x00link\x00"


class Document(StepKind):
    name, Params = "document", DocumentParams

    def execute(self, client, p, ctx, **_):
        content = p.content
        if p.link:
            url = ctx.facts.get(p.link)
            content = p.content.replace(LINK_SLOT, url.encode("utf-8")) if url else p.without
        # Create only: a document people edited in Nextcloud is never overwritten.
        return {"created": client.files.create_if_absent(p.path, content, "text/markdown; charset=utf-8")}

    def verify(self, client, p, ctx):
        parent, _, name = p.path.rpartition("/")
        return None if name in (_listing(client, ctx, parent) or ()) else (GONE, p.path)


class Share(StepKind):
    name, Params, updatable = "share", ShareParams, True

    def digest(self, p):
        return digest_of(p.permissions)

    def execute(self, client, p, ctx, *, previous=None, **_):
        ocs = client.ocs
        if previous is not None:
            # Made before (a repair, a change, a resumed run): it is probably there, so read first.
            try:
                found = _find_share(ocs.shares(p.path, reshares=True), p.share_type, p.share_with)
            except NotFound:
                found = None
            if found is not None:
                if found.permissions != expected_permissions(p.permissions, p.share_type, found.item_type):
                    found = ocs.update_share(found.id, permissions=p.permissions)
                return {"share_id": found.id, "permissions": found.permissions}
        try:
            made = ocs.create_share(p.path, p.share_type, p.share_with, p.permissions)
        except (AlreadyExists, Forbidden) as exc:
            # Sharing twice is refused (403; federated: a generic 403): one read finds the existing share.
            found = _find_share(ocs.shares(p.path, reshares=True), p.share_type, p.share_with)
            if found is None:
                raise LaunchError(Text("Sharing '%(path)s' with %(user)s was refused: %(error)s", path=p.path,
                                       user=p.share_with, error=str(exc))) from exc
            made = found
        if made.permissions != expected_permissions(p.permissions, p.share_type, made.item_type):
            made = ocs.update_share(made.id, permissions=p.permissions)
        return {"share_id": made.id, "permissions": made.permissions}

    def verify(self, client, p, ctx):
        found = _find_share(_shares(client, ctx, p.path), p.share_type, p.share_with)
        if found is None:
            return GONE, p.share_with
        expected = expected_permissions(p.permissions, p.share_type, found.item_type)
        if found.permissions == expected:
            return None
        return CHANGED, Text("%(found)s instead of %(expected)s", found=found.permissions, expected=expected)

    def removal(self, params, result):
        return "unshare", UnshareParams(params["path"], params["share_type"], params["share_with"],
                                        (result or {}).get("share_id"))


def _find_share(shares, share_type: int, share_with: str):
    wanted = (share_type, share_with.lower())
    return next((s for s in shares if (s.share_type, (s.share_with or "").lower()) == wanted), None)


class Calendar(StepKind):
    """A calendar or task list (one MKCALENDAR)."""

    name, Params = "calendar", CalendarParams

    def execute(self, client, p, ctx, *, attempted=True, **_):
        first = p.claim and not attempted
        calendars = client.calendars
        info = calendars.ensure_calendar(p.uri, p.display_name, p.color, p.components, verify_existing=not first)
        if attempted and not info.created and set(info.components) > set(p.components):
            # Quirk mkcalendar_without_body: a run cut short between the headers and the body of its
            # MKCALENDAR left a calendar accepting everything. Still empty, it is made again as asked.
            found = calendars.inventory(p.uri)
            if found is not None and not found[0] and not found[1]:
                calendars.remove_calendar(p.uri)
                info = calendars.ensure_calendar(p.uri, p.display_name, p.color, p.components)
        ctx.forget(client, ("calendar", p.uri))
        if not info.created and first:
            raise Taken(Text("The calendar") if "VEVENT" in p.components else Text("The task list"), p.uri,
                        next_free_uri(client, p.uri))
        return {"created": info.created, "url": info.url}

    def verify(self, client, p, ctx):
        return None if _inventory(client, ctx, p.uri) is not None else (GONE, p.uri)


class TaskList(Calendar):
    name = "tasklist"


class CalendarShare(StepKind):
    """Every sharee of one calendar in one `oc:share` POST, read back once through `oc:invite`."""

    name, Params, updatable = "calendar-share", CalendarShareParams, True
    requests = 2

    def digest(self, p):
        return digest_of(sorted(p.sharees.items()))

    def execute(self, client, p, ctx, *, previous=None, **_):
        remove = set(p.remove) | {u for u in ((previous or {}).get("sharees") or {}) if u not in p.sharees}
        client.calendars.apply_shares(p.uri, p.sharees, remove=sorted(remove), summary=p.summary)
        ctx.forget(client, ("calendar", p.uri))
        return {"sharees": sorted(p.sharees)}

    def verify(self, client, p, ctx):
        found = _inventory(client, ctx, p.uri)
        current = found[0] if found else {}
        missing = [u for u in p.sharees if sharee_href(u) not in current]
        if missing:
            return GONE, ", ".join(missing)
        changed = [u for u, rw in p.sharees.items() if current[sharee_href(u)] != rw]
        return (CHANGED, ", ".join(changed)) if changed else None

    def removal(self, params, result):
        return "unshare-calendar", CalendarUnshareParams(params["uri"], tuple(params.get("sharees") or ()))


class TaskListShare(CalendarShare):
    name = "tasklist-share"


class Meeting(StepKind):
    """A meeting with its attendees; a changed attendee set is written into the stored event (Nextcloud
    invites those added and cancels for those removed, quirk `imip_significant_changes_only`), other attendees
    keep their reply."""

    name, Params, updatable = "meeting", MeetingParams, True

    def digest(self, p):
        return digest_of(sorted(email.casefold() for email, _ in p.attendees))

    def execute(self, client, p, ctx, *, previous=None, **_):
        calendars = client.calendars
        if previous is not None:
            found = calendars.get(p.uri, p.uid)
            if found is not None:
                data = with_attendees(found.data, p.attendees)
                if data is None:
                    return {"created": False}
                # If-Match: a reply that arrived since the read is not overwritten (quirk `put_if_none_match`).
                calendars.update(p.uri, found.href, data, found.etag or "*")
                return {"created": False, "attendees": len(p.attendees)}
        ics = render_event(
            p.uid, p.summary, datetime.fromisoformat(p.start), datetime.fromisoformat(p.end),
            organizer_email=ctx.facts["organiser_email"], organizer_name=ctx.facts["organiser_name"],
            attendees=list(p.attendees), description=p.description, location=p.location, url=p.url,
            dtstamp=datetime.fromisoformat(p.dtstamp))
        if p.replies:
            ics = with_replies(ics, p.replies) or ics
        return {"created": calendars.create_if_absent(p.uri, p.uid, ics)}

    def verify(self, client, p, ctx):
        found = _inventory(client, ctx, p.uri)
        return None if found and f"{p.uid}.ics" in found[1] else (GONE, p.uid)


class Task(StepKind):
    name, Params = "task", TaskParams

    def execute(self, client, p, ctx, **_):
        calendars = client.calendars
        ics = render_todo(p.uid, p.summary, p.description, due=date.fromisoformat(p.due) if p.due else None,
                          categories=list(p.categories), dtstamp=datetime.fromisoformat(p.dtstamp),
                          status=p.status,
                          completed_at=datetime.fromisoformat(p.completed_at) if p.completed_at else None)
        created = calendars.create_if_absent(p.uri, p.uid, ics)
        return {"created": created, "uid": p.uid,
                "href": urlsplit(calendars.object_url(p.uri, f"{p.uid}.ics")).path}

    def verify(self, client, p, ctx):
        found = _inventory(client, ctx, p.uri)
        return None if found and f"{p.uid}.ics" in found[1] else (GONE, p.uid)

    def removal(self, params, result):
        href = (result or {}).get("href") or f"{params['uid']}.ics"
        return "withdraw-task", TaskRefParams(params["uri"], params["uid"], href)


CONVERSATION_URL = "conversation_url"  # the fact a Readme waits for (DocumentParams.link)


class Conversation(StepKind):
    """The network's group conversation in Nextcloud Talk on the host's Nextcloud (connectors.talk).

    Without Talk (no `spreed` capabilities) the step makes nothing and says so in the run's notes. Made with
    one POST carrying every participant (feature conversation-creation-all), so a first run costs the
    capabilities read and that POST. Only a conversation this installation made is ever used: the one whose
    token the journal holds, or — after a run that may have created it without journaling the answer — the
    one carrying this network's marker in its description. A changed member list adds and removes
    participants (only those this installation added; people someone else invited stay).
    """

    name, Params, updatable = "conversation", ConversationParams, True
    requests = 2

    def digest(self, p):
        return digest_of([p.name, sorted(p.users), sorted(p.federated)])

    def execute(self, client, p, ctx, *, attempted=True, previous=None, **_):
        talk = client.talk
        support = talk.support()
        if not support.available:
            return {"skipped": True, "note": [dump_text(Text(
                "Nextcloud Talk is not enabled at the host organisation (or not for its organisation account): no "
                "conversation was made for the network."))]}
        if not support.can_create:
            return {"skipped": True, "note": [dump_text(Text(
                "The organisation account may not start conversations in Nextcloud Talk: no conversation was made "
                "for the network."))]}
        notes = []
        federated = p.federated if support.federation else ()
        if p.federated and not support.federation:
            notes.append(Text("Federation is off in Nextcloud Talk of the host organisation: %(count)s "
                              "participant(s) of other Nextclouds are not in the conversation.",
                              count=len(p.federated)))
        token, removed = p.token, []
        if token is None and attempted:
            # The creation may have landed while its answer was lost: find ours by marker, never by name.
            token = next((c.token for c in talk.conversations()
                          if c.type == ROOM_GROUP and p.marker in c.description), None)
        if token is not None:
            try:
                current = talk.participants(token)
            except NotFound:
                token = None  # removed in Talk: this installation makes it again
            else:
                added_notes, removed = _sync_participants(talk, token, current, p.users, federated, previous)
                notes += added_notes
        if token is None:
            made = talk.create_group(p.name, description=p.description, users=p.users, federated=federated,
                                     with_participants=support.create_with_participants)
            token = made.token
            if not support.create_with_participants:
                if support.description:
                    talk.describe(token, p.description)
                notes += _sync_participants(talk, token, [], p.users, federated, None)[0]
            elif made.invalid:
                names = [n for group in made.invalid.values() for n in (group or ())]
                notes.append(Text("Not added to the conversation: %(names)s.", names=", ".join(map(str, names))))
        url = talk.url(token)
        ctx.facts[CONVERSATION_URL] = url
        return {"token": token, "url": url, "users": sorted(p.users), "federated": sorted(federated),
                "removed": removed, "note": [dump_text(note) for note in notes] or None}

    def verify(self, client, p, ctx):
        if p.token is None:
            # Skipped before: still nothing to check while the host has no Talk.
            return None if not client.talk.support().available else (GONE, Text("Talk is on now"))
        try:
            client.talk.conversation(p.token)
        except NotFound:
            return GONE, Text("removed in Talk")
        return None

    def removal(self, params, result):
        token = (result or {}).get("token")
        return ("close-conversation", ConversationCloseParams(token, params["name"])) if token else None


def _sync_participants(talk, token: str, current, users, federated, previous: dict | None):
    """Add the wanted participants who are missing; remove those an earlier run added and who are no longer
    wanted. One POST per participant added (Talk skips one already there), one DELETE per one removed.
    Returns (notes, removed actors)."""
    have = {(a.actor_type, a.actor_id.casefold()): a for a in current}
    notes = []
    for source, wanted in ((USERS, users), (FEDERATED_USERS, federated)):
        for actor in wanted:
            if (source, actor.casefold()) in have:
                continue
            try:
                talk.add(token, actor, source)
            except TalkRefused as exc:
                if exc.status in (400, 404, 501):
                    notes.append(Text("%(actor)s could not be added to the conversation (%(reason)s).", actor=actor,
                                      reason=exc.reason or exc.status))
                    continue
                raise
    removed = []
    earlier = previous or {}
    wanted_now = {(USERS, u.casefold()) for u in users} | {(FEDERATED_USERS, f.casefold()) for f in federated}
    for source, key in ((USERS, "users"), (FEDERATED_USERS, "federated")):
        for actor in earlier.get(key) or ():
            found = have.get((source, actor.casefold()))
            if found is None or (source, actor.casefold()) in wanted_now or found.participant_type == OWNER:
                continue
            try:
                talk.remove(token, found.attendee_id)
            except NotFound:
                continue
            removed.append(actor)
    return notes, removed


# -- removals and actions ----------------------------------------------------------------------------------

class Unshare(StepKind):
    name, Params = "unshare", UnshareParams

    def execute(self, client, p, ctx, **_):
        ocs = client.ocs
        share_id = p.share_id
        if share_id is None:
            try:
                found = _find_share(ocs.shares(p.path, reshares=True), p.share_type, p.share_with)
            except NotFound:  # the folder itself is gone: nothing shared any more
                found = None
            if found is None:
                return {"removed": False}
            share_id = found.id
        try:
            ocs.delete_share(share_id)
        except NotFound:
            return {"removed": False}
        return {"removed": True}


class CalendarUnshare(StepKind):
    """Take sharees off a calendar (all of them when none are named): one read, one POST if any is left."""

    name, Params, requests = "unshare-calendar", CalendarUnshareParams, 2

    def execute(self, client, p, ctx, **_):
        try:
            current = [s.href for s in client.calendars.sharees(p.uri)]
        except NotFound:
            return {"removed": []}
        wanted = {sharee_href(s) for s in p.sharees} if p.sharees else None
        drop = [h for h in current if wanted is None or h in wanted]
        if drop:
            client.calendars.apply_shares(p.uri, {}, remove=drop)
        return {"removed": [h.rsplit("/", 1)[-1] for h in drop]}


class WithdrawTask(StepKind):
    """Delete a task that is still open; one completed in Nextcloud meanwhile is kept and counted as done."""

    name, Params, requests = "withdraw-task", TaskRefParams, 2

    def execute(self, client, p, ctx, **_):
        calendars = client.calendars
        found = calendars.get_href(p.uri, p.href)
        if found is None:
            return {"deleted": True, "uid": p.uid}
        state = parse_todo(found.data)
        if state.is_closed:
            return {"deleted": False, "uid": p.uid, "status": state.status,
                    "completed_at": state.completed_at.isoformat() if state.completed_at else None}
        try:
            calendars.delete(p.uri, p.href, found.etag)
        except PreconditionFailed:
            raise LaunchError(Text("The task was changed in Nextcloud just now; try again.")) from None
        return {"deleted": True, "uid": p.uid}


class Reply(StepKind):
    """An attendee's reply (PARTSTAT) written into the host's copy of the event: a change of PARTSTAT only
    is not significant, so Nextcloud sends no new invitation (quirk `imip_significant_changes_only`)."""

    name, Params, requests = "reply", ReplyParams, 2

    def execute(self, client, p, ctx, **_):
        calendars = client.calendars
        changed = _rewrite(
            calendars, p.uri, lambda: calendars.get(p.uri, p.uid),
            lambda data: with_replies(data, {p.email: p.partstat}),
            gone=Text("The meeting is not (or no longer) in the calendar; repair the network first."),
            busy=Text("The meeting kept being changed at the same time; try again later."))
        return {"partstat": p.partstat, "changed": changed}


class TaskDone(StepKind):
    """STATUS, PERCENT-COMPLETE and COMPLETED written together into the VTODO (quirk `tasks_app_completion`)."""

    name, Params, requests = "task-done", TaskDoneParams, 2

    def execute(self, client, p, ctx, **_):
        calendars = client.calendars
        changed = _rewrite(
            calendars, p.uri, lambda: calendars.get_href(p.uri, p.href),
            lambda data: with_todo_status(data, p.done, datetime.fromisoformat(p.at)),
            gone=Text("The task is not (or no longer) in the task list; repair the network first."),
            busy=Text("The task kept being changed at the same time; try again later."))
        return {"done": p.done, "changed": changed}


def _rewrite(calendars, uri: str, read, change, *, gone: Text, busy: Text) -> bool:
    """Read one object, change it and write it back under its ETag; when someone else wrote in between (412),
    read it again. False when the change was there already (nothing written)."""
    for _attempt in range(3):
        found = read()
        if found is None:
            raise LaunchError(gone)
        data = change(found.data)
        if data is None:
            return False
        try:
            calendars.update(uri, found.href, data, found.etag or "*")
        except PreconditionFailed:
            continue  # changed since the read: read again
        return True
    raise LaunchError(busy)


class UnshareTree(StepKind):
    """Every share on a folder and on anything below it (reshares included, ShareAPIController::getShares), removed."""

    name, Params = "unshare-tree", TreeParams

    def execute(self, client, p, ctx, **_):
        files, ocs = client.files, client.ocs
        try:
            found = {s.id: s for s in ocs.shares(f"/{p.root}", reshares=True)}
        except NotFound:
            return {"removed": []}
        folders = [p.root]
        while folders:
            folder = folders.pop(0)
            found.update({s.id: s for s in ocs.shares(f"/{folder}", reshares=True, subfiles=True)})
            folders += [entry.path for entry in files.list(folder) if entry.is_folder]
        removed = []
        for share in found.values():
            try:
                ocs.delete_share(share.id)
            except NotFound:
                continue
            # A public link is named, not printed: its URL still opens the folder until the removal is done.
            removed.append("openbare link" if share.share_type == SHARE_LINK else share.share_with or share.id)
        return {"removed": removed}


class MoveFolder(StepKind):
    """The network folder moved into the archive, never over an existing folder (quirk `move_no_overwrite_412`)."""

    name, Params, requests = "move-folder", MoveParams, 3

    def execute(self, client, p, ctx, *, attempted=True, **_):
        files = client.files
        done = {"moved": True, "target": p.target, "folder_name": p.folder_name}
        if attempted and not files.exists(p.source):
            # An earlier run moved it (its answer may have been lost) or it is gone.
            return done if files.exists(p.target) else {"moved": False, "target": None}
        files.ensure_folder(p.archive, parents=False)
        try:
            files.move(p.source, p.target, overwrite=False)
        except NotFound:
            return done if files.exists(p.target) else {"moved": False, "target": None}
        except PreconditionFailed:
            raise LaunchError(Text("'%(archive)s' already holds a folder '%(folder)s'; rename or move it and run this "
                                   "again (nothing was overwritten).", archive=p.archive,
                                   folder=posixpath.basename(p.target))) from None
        return done


class ConversationClose(StepKind):
    """An ended network's conversation: kept with its history and its participants, renamed "… (afgerond)"
    and made read-only, so nobody writes into a network that no longer meets (docs/conversation.md
    "Rename a conversation", "Set read-only for a conversation")."""

    name, Params, requests = "close-conversation", ConversationCloseParams, 3

    def execute(self, client, p, ctx, **_):
        talk = client.talk
        closed = f"{p.name} (afgerond)"
        try:
            found = talk.conversation(p.token)
            if found.name != closed:
                talk.rename(p.token, closed)
            if found.read_only != 1:
                talk.set_read_only(p.token)
        except NotFound:
            return {"closed": False}
        return {"closed": True, "name": closed}


KINDS: dict[str, StepKind] = {kind.name: kind for kind in (
    Organiser(), Folder(), Document(), Share(), Calendar(), TaskList(), CalendarShare(), TaskListShare(),
    Meeting(), Task(), Conversation(), Unshare(), CalendarUnshare(), WithdrawTask(), Reply(), TaskDone(),
    UnshareTree(), MoveFolder(), ConversationClose())}


def register(kind: StepKind) -> StepKind:
    KINDS[kind.name] = kind
    return kind


def next_free(name: str, taken: set[str]) -> str:
    """`name (2)`, `name (3)`, … : the first not in `taken`."""
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"


def next_free_uri(client, uri: str) -> str:
    """`<uri>-2`, `<uri>-3`, …: the first calendar URI not in use (one PROPFIND each)."""
    number = 2
    while client.calendars.inventory(f"{uri}-{number}") is not None:
        number += 1
    return f"{uri}-{number}"
