"""Nextcloud's sync tokens for sandbox calendars: a counter per calendar and a change row per write.

Hand-written because Radicale's tokens are content hashes, while Nextcloud hands out
`http://sabre.io/ns/sync/<n>` and answers a sync-collection from numbered change rows (quirk `sync_token_403`).
This reproduces server apps/dav/lib/CalDAV/CalDavBackend.php: `createCalendar` starts `synctoken` at 1,
`addChange` writes a row with the current number and then increments it, and `getChangesForCalendar`
selects the rows with `synctoken >= <sent>` and `< <current>` of the calendar's *current* id — the sent
number is never checked against the calendar it came from.
"""

import re
import threading
from dataclasses import dataclass, field

PREFIX = "http://sabre.io/ns/sync/"  # sabre/dav lib/DAV/Sync/Plugin.php SYNCTOKEN_PREFIX
ADDED, MODIFIED, DELETED = 1, 2, 3  # calendarchanges.operation
_NUMERIC = re.compile(r"\d+")


class InvalidToken(ValueError):
    """A token Sabre's sync plugin refuses (403 `{DAV:}valid-sync-token`)."""


@dataclass
class _Calendar:
    id: int
    token: int = 1
    changes: list = field(default_factory=list)  # (synctoken, object uri, operation), in order


@dataclass
class Changes:
    token: int  # the calendar's current number, sent back as the new token
    initial: bool  # no (or a zero) token: every object is reported
    added: list
    modified: list
    deleted: list


def parse(token):
    """The number in a sync token; None for an initial sync (no token, or 0: PHP's `if ($syncToken)`).

    sabre/dav's Sync plugin refuses a token without its prefix. Behind the prefix Nextcloud's query takes
    whatever is there; what a non-numeric rest does depends on the database, so the sandbox refuses it too.
    """
    token = (token or "").strip()
    if not token:
        return None
    if not token.startswith(PREFIX) or not _NUMERIC.fullmatch(token[len(PREFIX):]):
        raise InvalidToken(token)
    number = int(token[len(PREFIX):])
    return number or None


class SyncLog:
    """The `calendars.synctoken` column and the `calendarchanges` table of one sandbox organisation."""

    def __init__(self):
        self._lock = threading.Lock()
        self._calendars = {}  # (owner, calendar uri) -> _Calendar
        self._next_id = 1

    def _get(self, owner, uri):
        calendar = self._calendars.get((owner, uri))
        if calendar is None:
            # A calendar the log has not seen yet (the personal calendar, or storage from before) starts
            # like a new one.
            calendar = self._calendars[(owner, uri)] = _Calendar(self._next_id)
            self._next_id += 1
        return calendar

    def created(self, owner, uri):
        """MKCALENDAR: a new calendar row, so a new id, whose counter starts at 1 — also after a deletion."""
        with self._lock:
            self._calendars.pop((owner, uri), None)
            self._get(owner, uri)

    def deleted(self, owner, uri):
        with self._lock:
            self._calendars.pop((owner, uri), None)

    def token(self, owner, uri):
        """The calendar's current `{DAV:}sync-token` (and `cs:getctag`) value."""
        with self._lock:
            return PREFIX + str(self._get(owner, uri).token)

    def record(self, owner, uri, object_uri, operation):
        """CalDavBackend::addChange: a row with the current number, then the number goes up by one."""
        with self._lock:
            calendar = self._get(owner, uri)
            calendar.changes.append((calendar.token, object_uri, operation))
            calendar.token += 1

    def changes(self, owner, uri, since):
        """CalDavBackend::getChangesForCalendar for the number `since` (None: initial sync). The last
        operation on an object wins. A number from another (deleted) calendar under this URI is accepted:
        when it is at or above the current counter the answer is empty and its token lower than `since`."""
        with self._lock:
            calendar = self._get(owner, uri)
            result = Changes(calendar.token, since is None, [], [], [])
            if since is None:
                return result
            last = {}
            for number, object_uri, operation in calendar.changes:
                if since <= number < calendar.token:
                    last.pop(object_uri, None)
                    last[object_uri] = operation
            for object_uri, operation in last.items():
                {ADDED: result.added, MODIFIED: result.modified, DELETED: result.deleted}[operation].append(
                    object_uri)
            return result
