"""One sync cycle: read back what changed in every network's calendar and task lists since the last cycle.

Each collection is read with its CalDAV sync token (quirks `sync_token_403`, `sync_token_number_unchecked`):
nothing changed costs one REPORT, k changed objects one REPORT and one multiget of those k
(connectors.calendars.CalendarClient.sync). What comes back is written into the domain rows: task status,
percent complete, completion time, summary and due date edits (quirk `tasks_app_completion`), tasks and
meetings deleted in Nextcloud (marked, never removed), and the attendees' replies from the organizer's copy
of each meeting (iTIP REPLY, Nextcloud: apps/dav/lib/CalDAV/Schedule/Plugin.php).

Failures stay local. An object that cannot be read (say a task with two PERCENT-COMPLETE lines) is counted
as failed with its href and the reason, kept on its collection for `network status`, and the rest of the
collection is applied. A collection answering 404 is marked missing (the drift check reads that); 429, 503 and
timeouts leave the collection's token as it was, so the next cycle asks again from the same point; a revoked
grant (ReconnectNeeded; the token store has marked the account) stops only that connection's collections.
An instance that cannot be reached, or is in maintenance, is left for the next cycle after its first failure
instead of timing out once per collection.

As in the launch engine, each Nextcloud instance gets one worker thread that only talks HTTP and parses;
the calling thread owns the database and commits each collection's changes together with its new token
(several collections per commit, whatever has arrived), so a cycle killed at any point loses nothing: what
was not committed is read again from the old token next time, and applying a change twice changes nothing.
"""
from __future__ import annotations

import logging
import posixpath
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable

from flask import Flask
from icalendar import Calendar
from sqlalchemy import select, update

from connectors.errors import NextcloudError, NotFound, ReconnectNeeded, ServiceUnavailable, Unreachable
from connectors.http import instance_key
from connectors.ical import ICalError, TodoState, parse_event_replies, parse_todo
from extension.accounts.models import Account
from extension.accounts.service import nextcloud_client
from extension.extensions import db
from extension.jobs import schedule
from extension.networks.models import TASK_WRITTEN, KnowledgeTask, LaunchStep, Meeting, Network, as_utc
from extension.networks.service import get_network
from extension.organisations.models import utcnow
from extension.sync.models import (CALENDAR, STATE_ERROR, STATE_MISSING, STATE_OK, TASKLIST, SyncCollection)

log = logging.getLogger(__name__)

# Networks whose collections are read back: launched and not archived.
SYNCED_STATUSES = ("launching", "active", "completed")

# The schedule row on which every completed cycle over all networks is recorded (extension.jobs.schedule).
SYNC_SCHEDULE = "sync_all"

# Outcomes of one collection in one cycle.
SYNCED, MISSING, FAILED, SKIPPED = "synced", "missing", "failed", "skipped"

# The launch step kind that creates each kind of collection (extension.engine.plan).
_STEP_KINDS = {"calendar": CALENDAR, "tasklist": TASKLIST}

# The error a collection gets when its connection's grant is gone (Dutch: the status shows it).
_RECONNECT = "opnieuw verbinden nodig"

# Most collections whose changes wait for one commit; fewer when the workers are slower than the writes.
COMMIT_EVERY = 50


@dataclass
class CollectionResult:
    """What one collection's sync came to; `objects` counts the objects fetched (multiget)."""

    collection_id: int
    network: str
    organisation: str
    kind: str
    uri: str
    outcome: str
    objects: int = 0
    deleted: int = 0
    full_resync: bool = False
    updated: int = 0
    error: str | None = None
    # Objects of this collection that could not be read or applied: (href, reason); the rest was applied.
    failed_objects: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SyncReport:
    """A cycle's outcome per collection, and the connections found needing a reconnect."""

    results: list[CollectionResult] = field(default_factory=list)
    reconnect_needed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def objects(self) -> int:
        return sum(r.objects for r in self.results)

    @property
    def updated(self) -> int:
        return sum(r.updated for r in self.results)

    @property
    def full_resyncs(self) -> int:
        return sum(1 for r in self.results if r.full_resync)

    @property
    def failed_objects(self) -> int:
        return sum(len(r.failed_objects) for r in self.results)

    @property
    def ok(self) -> bool:
        return all(r.outcome == SYNCED and not r.failed_objects for r in self.results)


@dataclass(frozen=True)
class _Job:
    collection_id: int
    kind: str
    uri: str
    token: str | None
    account_id: int
    # Names for the report and the log, read once: rows reload after every commit.
    network: str
    organisation: str
    # The row was fine after the last cycle (state ok, no failures): an answer without changes needs no reading.
    was_ok: bool


@dataclass
class _Fetched:
    """A worker's answer for one collection: parsed objects or what went wrong."""

    job: _Job
    outcome: str
    token: str | None = None
    full: bool = False
    objects: list[tuple[str, str | None, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    # Objects that came back but could not be parsed: (href, reason).
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    # Why it failed, where that matters beyond this collection: the grant is gone, or the instance is down.
    lost_grant: bool = False
    instance_down: bool = False


ClientFor = Callable[[Flask, Account], Any]


def sync_all(app: Flask, client_for: ClientFor = nextcloud_client) -> SyncReport:
    """Run one cycle over every launched network and record its completion; call inside an app context."""
    networks = db.session.scalars(select(Network).where(Network.status.in_(SYNCED_STATUSES))
                                  .order_by(Network.id)).all()
    report = sync_networks(app, networks, client_for)
    schedule.completed(SYNC_SCHEDULE)
    return report


def sync_network(app: Flask, slug: str, client_for: ClientFor = nextcloud_client) -> SyncReport:
    """Run one cycle over the network `slug` only (NetworkNotFound when there is none)."""
    return sync_networks(app, [get_network(slug)], client_for)


def sync_networks(app: Flask, networks: Iterable[Network], client_for: ClientFor = nextcloud_client) -> SyncReport:
    """One cycle over the collections of `networks`: one worker thread per Nextcloud instance fetches, this
    thread writes. Changes are committed together with their collections' new tokens, in batches of what
    has arrived (at most COMMIT_EVERY collections), so a cycle cut short keeps what it committed and
    redoes the rest next time."""
    started = time.monotonic()
    report = SyncReport()
    collections = ensure_collections(list(networks))
    by_id = {c.id: c for c in collections}

    jobs: dict[str, list[_Job]] = {}
    clients: dict[int, Any] = {}
    for collection in collections:
        organisation = collection.organisation
        account = organisation.connection
        if account is None:
            known = organisation.connection_account
            reason = _RECONNECT if known is not None and known.needs_reconnect else "geen verbinding"
            report.results.append(CollectionResult(collection.id, collection.network.slug, organisation.name,
                                                   collection.kind, collection.uri, SKIPPED, error=reason))
            continue
        if collection.account_id != account.id:
            # Another account's calendar home is another collection: its token means nothing here.
            collection.account_id, collection.sync_token = account.id, None
        if account.id not in clients:
            clients[account.id] = client_for(app, account)
        jobs.setdefault(instance_key(organisation.nextcloud_url), []).append(
            _Job(collection.id, collection.kind, collection.uri, collection.sync_token, account.id,
                 collection.network.slug, organisation.name,
                 collection.state == STATE_OK and not collection.failures))
    db.session.commit()

    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    workers = [threading.Thread(target=_work, name=f"sync-{instance.split('://', 1)[-1]}",
                                args=(instance_jobs, clients, events, stop), daemon=True)
               for instance, instance_jobs in jobs.items()]
    for worker in workers:
        worker.start()
    running = len(workers)
    lost: set[int] = set()
    quiet: list[int] = []
    uncommitted = 0
    try:
        while running:
            fetched = events.get()
            if fetched is None:
                running -= 1
            elif _unchanged(fetched):
                quiet.append(fetched.job.collection_id)
                report.results.append(_result(fetched.job, SYNCED))
                uncommitted += 1
            else:
                if fetched.lost_grant:
                    lost.add(fetched.job.account_id)
                report.results.append(_apply(by_id[fetched.job.collection_id], fetched))
                uncommitted += 1
            # Never wait for a worker with a write open: a worker refreshing a token takes the write lock
            # (SQLite) or the account's row lock (extension.accounts.token_store) and would wait for us.
            if uncommitted and (events.empty() or uncommitted >= COMMIT_EVERY):
                _touch(quiet)
                db.session.commit()
                uncommitted = 0
        _touch(quiet)
        db.session.commit()
    finally:
        # Also when writing failed: no worker goes on fetching what would not be written.
        stop.set()
        for worker in workers:
            worker.join()
    for account_id in sorted(lost):
        # The token store marked the account in its own transaction; this session still has the old row.
        db.session.refresh(db.session.get(Account, account_id))
    report.reconnect_needed = sorted({r.organisation for r in report.results if r.error == _RECONNECT}
                                     | {db.session.get(Account, a).organisation.name for a in lost})
    report.seconds = time.monotonic() - started
    log.info("sync cycle: %d collections, %d synced, %d missing, %d failed, %d skipped; %d objects fetched, "
             "%d rows updated, %d full resyncs, %.2f s", len(report.results), report.count(SYNCED),
             report.count(MISSING), report.count(FAILED), report.count(SKIPPED), report.objects, report.updated,
             report.full_resyncs, report.seconds)
    return report


def forget_token(network_id: int, organisation_id: int | None, step_kind: str) -> None:
    """The engine (re)created a network's calendar or task list (launch step kind `step_kind`): its stored
    sync token belongs to the collection that was there before, and Nextcloud would accept it for the new one
    (quirk `sync_token_number_unchecked`), so the next cycle reads the collection in full. Other step kinds are
    ignored; the caller commits."""
    kind = _STEP_KINDS.get(step_kind)
    if kind is None or organisation_id is None:
        return
    db.session.execute(update(SyncCollection).where(
        SyncCollection.network_id == network_id, SyncCollection.organisation_id == organisation_id,
        SyncCollection.kind == kind).values(sync_token=None, unreadable=None))


def ensure_collections(networks: list[Network]) -> list[SyncCollection]:
    """The SyncCollection row of every collection the launches have made for `networks` (rows are created
    the first time a collection is seen in the launch journal, and kept after that)."""
    if not networks:
        return []
    ids = [n.id for n in networks]
    by_id = {n.id: n for n in networks}
    existing = {(c.network_id, c.organisation_id, c.kind): c for c in db.session.scalars(
        select(SyncCollection).where(SyncCollection.network_id.in_(ids)))}
    # A step that was ever done (finished_at is kept when a repair reruns it) made the collection.
    made = db.session.execute(
        select(LaunchStep.network_id, LaunchStep.organisation_id, LaunchStep.kind)
        .where(LaunchStep.network_id.in_(ids), LaunchStep.kind.in_(_STEP_KINDS),
               LaunchStep.finished_at.isnot(None), LaunchStep.organisation_id.isnot(None))).all()
    for network_id, organisation_id, step_kind in made:
        kind = _STEP_KINDS[step_kind]
        if (network_id, organisation_id, kind) in existing:
            continue
        network = by_id[network_id]
        row = SyncCollection(network_id=network_id, organisation_id=organisation_id, kind=kind,
                             uri=network.calendar_uri if kind == CALENDAR else network.tasklist_uri,
                             state=STATE_OK, failures=0)
        db.session.add(row)
        existing[(network_id, organisation_id, kind)] = row
    db.session.flush()
    return sorted(existing.values(), key=lambda c: (c.network_id, c.kind, c.organisation_id))


# -- worker threads: HTTP and parsing only ------------------------------------------------------------------


def _work(jobs: list[_Job], clients: dict[int, Any], events: queue.Queue, stop: threading.Event) -> None:
    """One instance's collections in order; a lost grant skips the rest of that connection, an unreachable
    instance or one in maintenance the rest of the instance (they keep their tokens for the next cycle)."""
    lost: set[int] = set()
    down: str | None = None
    try:
        for job in jobs:
            if stop.is_set():
                return
            if down is not None:
                events.put(_Fetched(job, SKIPPED, error=f"overgeslagen: {down}"))
            elif job.account_id in lost:
                events.put(_Fetched(job, FAILED, error=_RECONNECT, lost_grant=True))
            else:
                try:
                    fetched = _fetch(clients[job.account_id], job)
                except Exception as exc:  # one collection's surprise never takes the instance's others along
                    log.exception("sync of %s failed unexpectedly", job.uri)
                    fetched = _Fetched(job, FAILED, error=f"{exc.__class__.__name__}: {exc}")
                if fetched.lost_grant:
                    lost.add(job.account_id)
                if fetched.instance_down:
                    down = fetched.error
                events.put(fetched)
    finally:
        events.put(None)


def _fetch(client, job: _Job) -> _Fetched:
    try:
        result = client.calendars.sync(job.uri, job.token)
    except NotFound:
        return _Fetched(job, MISSING, error="niet gevonden in Nextcloud (404)")
    except ReconnectNeeded as exc:
        log.warning("sync of %s stopped for its connection: %s", job.uri, exc.reason)
        return _Fetched(job, FAILED, error=_RECONNECT, lost_grant=True)
    except Unreachable as exc:
        log.warning("sync of %s: %s", job.uri, exc)
        return _Fetched(job, FAILED, error=f"Nextcloud niet bereikbaar: {exc}", instance_down=True)
    except ServiceUnavailable as exc:
        log.warning("sync of %s: %s", job.uri, exc)
        if exc.maintenance:
            return _Fetched(job, FAILED, error=f"Nextcloud in onderhoud: {exc}", instance_down=True)
        return _Fetched(job, FAILED, error=f"tijdelijk niet beschikbaar: {exc}")
    except NextcloudError as exc:
        log.warning("sync of %s failed: %s", job.uri, exc)
        return _Fetched(job, FAILED, error=str(exc))
    except Exception as exc:  # reported as the collection's error; the cycle goes on with the others
        log.exception("sync of %s failed unexpectedly", job.uri)
        return _Fetched(job, FAILED, error=f"{exc.__class__.__name__}: {exc}")
    # A token that came back lower (a re-created calendar) is a full resync already (connectors.calendars).
    full = result.full_resync or job.token is None
    parse = _parse_todo if job.kind == TASKLIST else _parse_event
    objects, unreadable = [], []
    for obj in result.changed:
        try:
            objects.append((obj.href, obj.etag, parse(obj.data)))
        except Exception as exc:  # whatever a malformed object raises: it is reported, the others are applied
            log.warning("unreadable object %s in %s: %s", obj.href, job.uri, exc)
            unreadable.append((obj.href, _reason(exc)))
    return _Fetched(job, SYNCED, token=result.token, full=full, objects=objects, deleted=list(result.deleted),
                    unreadable=unreadable)


def _reason(exc: Exception) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:500]


def _parse_todo(data: bytes) -> TodoState:
    return parse_todo(data)


def _parse_event(data: bytes) -> tuple[str, dict[str, str]]:
    """(UID, {attendee e-mail: PARTSTAT}) of an event."""
    events = Calendar.from_ical(data).walk("VEVENT")
    if not events:
        raise ICalError("no VEVENT in the object")
    uid = str(next((e for e in events if "recurrence-id" not in e), events[0]).get("uid", ""))
    return uid, parse_event_replies(data)


# -- the calling thread: the database -------------------------------------------------------------------------

def _result(job: _Job, outcome: str, **kwargs) -> CollectionResult:
    return CollectionResult(job.collection_id, job.network, job.organisation, job.kind, job.uri, outcome, **kwargs)


def _unchanged(fetched: _Fetched) -> bool:
    """A sync that found nothing new for a collection that was fine: only its times are written."""
    return (fetched.outcome == SYNCED and fetched.job.was_ok and fetched.token == fetched.job.token
            and not (fetched.objects or fetched.deleted or fetched.full or fetched.unreadable))


def _touch(ids: list[int]) -> None:
    """Record the sync of the unchanged collections `ids` in one statement (most of a quiet cycle)."""
    if ids:
        now = utcnow()
        db.session.execute(update(SyncCollection).where(SyncCollection.id.in_(ids))
                           .values(last_attempt_at=now, last_synced_at=now))
        ids.clear()


def _apply(collection: SyncCollection, fetched: _Fetched) -> CollectionResult:
    now = utcnow()
    if fetched.outcome == SKIPPED:
        return _result(fetched.job, SKIPPED, error=fetched.error)
    collection.last_attempt_at = now
    if fetched.outcome == MISSING:
        if collection.state != STATE_MISSING:
            collection.missing_since = now
            log.warning("%s %s of %s is missing in Nextcloud", collection.kind, collection.uri,
                        fetched.job.organisation)
        # The token belonged to the collection that is gone; a recreated one starts from scratch.
        collection.state, collection.last_error, collection.sync_token = STATE_MISSING, fetched.error, None
        collection.failures += 1
        return _result(fetched.job, MISSING, error=fetched.error)
    if fetched.outcome == FAILED:
        # The token stays: the next cycle asks again from where this one could not.
        collection.last_error, collection.failures = fetched.error, collection.failures + 1
        if collection.state != STATE_MISSING:
            collection.state = STATE_ERROR
        return _result(fetched.job, FAILED, error=fetched.error)

    if fetched.full and collection.sync_token is not None:
        log.info("full resync of %s %s of %s", collection.kind, collection.uri, fetched.job.organisation)
    apply = _apply_tasks if collection.kind == TASKLIST else _apply_meetings
    failed: list[tuple[str, str]] = list(fetched.unreadable)
    updated = apply(collection, fetched, now, failed)
    _remember_unreadable(collection, fetched, failed)
    collection.sync_token = fetched.token
    collection.state, collection.last_error, collection.failures = STATE_OK, None, 0
    collection.last_synced_at, collection.missing_since = now, None
    return _result(fetched.job, SYNCED, objects=len(fetched.objects), deleted=len(fetched.deleted),
                   full_resync=fetched.full and fetched.job.token is not None, updated=updated,
                   failed_objects=failed)


def _remember_unreadable(collection: SyncCollection, fetched: _Fetched, failed: list[tuple[str, str]]) -> None:
    """Keep the objects that failed on the collection until they are read fine or deleted: the token moves
    on, so the next cycle does not read them again unless someone changes them."""
    known = {} if fetched.full else dict(collection.unreadable or {})
    for href in [h for h, _, _ in fetched.objects] + list(fetched.deleted):
        known.pop(href, None)
    known.update(dict(failed))
    if known != (collection.unreadable or {}):
        collection.unreadable = known or None


def _apply_tasks(collection: SyncCollection, fetched: _Fetched, now: datetime,
                 failed: list[tuple[str, str]]) -> int:
    if not (fetched.objects or fetched.deleted or fetched.full):
        return 0
    tasks = db.session.scalars(select(KnowledgeTask).where(
        KnowledgeTask.network_id == collection.network_id,
        KnowledgeTask.organisation_id == collection.organisation_id)).all()
    by_uid = {t.ical_uid: t for t in tasks}
    by_href = {t.remote_href: t for t in tasks if t.remote_href}
    changed: set[int] = set()
    # An object that could not be read is still there: its task is not gone.
    seen: set[int] = {by_href[href].id for href, _ in fetched.unreadable if href in by_href}
    for href, etag, state in fetched.objects:
        task = by_uid.get(state.uid) or by_href.get(href)
        if task is None:
            continue  # someone's own task in the shared list: not the network's
        seen.add(task.id)
        try:
            if _update_task(task, href, etag, state):
                changed.add(task.id)
        except Exception as exc:  # a value the columns cannot take: reported, the other tasks go on
            db.session.expire(task)
            log.warning("task %s in %s could not be applied: %s", href, collection.uri, exc)
            failed.append((href, _reason(exc)))
    gone = [by_href[h] for h in fetched.deleted if h in by_href]
    if fetched.full:
        # A full listing names every object there is: a task written earlier and not listed was deleted.
        gone += [t for t in tasks if t.sync_state == TASK_WRITTEN and t.remote_href and t.id not in seen]
    for task in gone:
        if task.deleted_at is None and task.id not in seen:
            task.deleted_at = now
            changed.add(task.id)
            log.info("task %s of %s was deleted in Nextcloud", task.ical_uid, fetched.job.network)
    return len(changed)


def _update_task(task: KnowledgeTask, href: str, etag: str | None, state: TodoState) -> bool:
    due = state.due.date() if isinstance(state.due, datetime) else state.due
    values = {
        "status": state.status,
        "percent_complete": state.percent,
        "completed_at": state.completed_at,
        "remote_summary": state.summary[:500] or None,
        "remote_modified_at": state.last_modified,
        "due_on": due if isinstance(due, date) else None,
        "remote_href": href,
        "etag": etag,
        "deleted_at": None,
    }
    changed = False
    for name, value in values.items():
        if _differs(getattr(task, name), value):
            setattr(task, name, value)
            changed = changed or name in _SHOWN
    return changed


# Task fields the status shows: a change in one of them counts as an update in the cycle's report.
_SHOWN = frozenset({"status", "percent_complete", "completed_at", "remote_summary", "due_on", "deleted_at"})


def _apply_meetings(collection: SyncCollection, fetched: _Fetched, now: datetime,
                    failed: list[tuple[str, str]]) -> int:
    if not (fetched.objects or fetched.deleted or fetched.full):
        return 0
    meetings = db.session.scalars(select(Meeting).where(Meeting.network_id == collection.network_id)).all()
    by_uid = {m.ical_uid: m for m in meetings}
    changed: set[int] = set()
    # An event that could not be read is still there: its meeting is not gone.
    seen: set[int] = {m.id for m in (by_uid.get(posixpath.basename(h).removesuffix(".ics"))
                                     for h, _ in fetched.unreadable) if m is not None}
    for href, etag, (uid, replies) in fetched.objects:
        meeting = by_uid.get(uid)
        if meeting is None:
            continue
        seen.add(meeting.id)
        if replies != (meeting.replies or {}) or meeting.deleted_at is not None:
            changed.add(meeting.id)
        # A new dict, so that the JSON column sees the change.
        meeting.replies, meeting.etag, meeting.deleted_at = dict(replies), etag, None
    gone = [by_uid.get(posixpath.basename(h).removesuffix(".ics")) for h in fetched.deleted]
    if fetched.full:
        gone += [m for m in meetings if m.etag is not None and m.id not in seen]
    for meeting in gone:
        if meeting is not None and meeting.deleted_at is None and meeting.id not in seen:
            meeting.deleted_at = now
            changed.add(meeting.id)
            log.info("meeting %s of %s was deleted in Nextcloud", meeting.key, fetched.job.network)
    return len(changed)


def _differs(current, new) -> bool:
    """Compare stored and read values; SQLite hands back naive datetimes for aware columns."""
    if isinstance(current, datetime) and isinstance(new, datetime):
        return as_utc(current) != as_utc(new)
    return current != new
