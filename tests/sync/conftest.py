"""Fixtures for the sync: launched networks in the sandbox, a participant's own CalDAV client, the request log."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from icalendar import Calendar

from connectors.calendars import CalendarClient
from connectors.ical import render_todo
from extension.accounts.models import Account
from extension.accounts.service import nextcloud_client
from extension.extensions import db
from extension.engine import plan_launch
from tests.networks.calls import launch
from extension.networks.models import KnowledgeTask, Network
from extension.sync import service
from sandbox.demo import FUNCTIONAL_ACCOUNT
from tests.fixtures.app import running_app
from tests.networks.conftest import SLUG, build_world, network_yaml

NETWORK_NAMES = ("Doorgaande lijn Taal Zuilen", "Doorgaande lijn Rekenen Zuilen", "Doorgaande lijn Spel Zuilen")


class _Bearer:
    """A participant's own access token, as their Tasks or Calendar app would send it."""

    def __init__(self, token: str):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def participant_calendars(sandbox, key: str, uid: str) -> CalendarClient:
    """A CalDAV client of `uid` in sandbox organisation `key`, with a token of an app of their own."""
    org = sandbox.org(key)
    client_id, _ = org.register_client("Tasks op de telefoon", redirect_uri="http://127.0.0.1:9/cb")
    return CalendarClient(org.base_url, uid, _Bearer(org.issue_token(uid, client_id)["access_token"]))


@dataclass
class Launched:
    """An app with launched networks in the sandbox (organisations A and B, and one without Nextcloud)."""

    app: object
    sandbox: object
    slugs: list[str]

    def sync(self, **kwargs) -> service.SyncReport:
        with self.app.app_context():
            return service.sync_all(self.app, **kwargs)

    def task(self, assignee_email: str, slug: str | None = None) -> KnowledgeTask:
        """The first knowledge task of `assignee_email` (in a fresh session: read it inside an app context)."""
        network = db.session.query(Network).filter_by(slug=slug or self.slugs[0]).one()
        return db.session.query(KnowledgeTask).filter_by(
            network_id=network.id, assignee_email=assignee_email).order_by(KnowledgeTask.id).first()

    def owner_calendars(self, key: str):
        """The organisation connection's own CalendarClient in organisation `key` ("a" or "b")."""
        with self.app.app_context():
            account = db.session.query(Account).filter_by(user_id=FUNCTIONAL_ACCOUNT).join(Account.organisation) \
                .filter_by(nextcloud_url=self.sandbox.org(key).base_url).one()
            return nextcloud_client(self.app, account).calendars

    def requests(self, key: str, since: int = 0) -> Counter:
        """Requests to organisation `key` after the first `since` entries of its log, by method."""
        return Counter(r.method for r in self.sandbox.org(key).request_log[since:])


def complete_task(calendars: CalendarClient, uri: str, uid: str, when: datetime) -> None:
    """Tick a task off as the Tasks app does (quirk `tasks_app_completion`): STATUS, PERCENT-COMPLETE and COMPLETED
    together."""
    current = calendars.get(uri, uid)
    todo = Calendar.from_ical(current.data).walk("VTODO")[0]
    ics = render_todo(uid, str(todo["summary"]), str(todo.get("description", "")), due=todo.decoded("due"),
                      dtstamp=when, status="COMPLETED", completed_at=when)
    calendars.update(uri, current.href, ics, current.etag)


def edit_task(calendars: CalendarClient, uri: str, uid: str, **changes) -> None:
    """Change a task's properties in place (summary, due, percent-complete, status …), keeping the rest."""
    current = calendars.get(uri, uid)
    calendar = Calendar.from_ical(current.data)
    todo = calendar.walk("VTODO")[0]
    for name, value in changes.items():
        name = name.replace("_", "-")
        if name in todo:
            del todo[name]
        todo.add(name, value)
    if "last-modified" in todo:
        del todo["last-modified"]
    todo.add("last-modified", datetime.now(timezone.utc))
    calendars.update(uri, current.href, calendar.to_ical(), current.etag)


# What the sync reads, and what a participant needs to reach their task list: the launch steps the extra
# networks of a fixture are launched with (the folder and its documents cost most and are not read back).
SYNCED_STEPS = ("organiser", "calendar", "calendar-share", "meeting", "tasklist", "tasklist-share", "task")


def _launch(app, sandbox, tmp_path, count: int) -> Launched:
    """The first network launched in full, the others with the SYNCED_STEPS only."""
    world = build_world(app, sandbox, tmp_path)
    slugs = []
    for name in NETWORK_NAMES[:count]:
        path = tmp_path / f"{len(slugs)}.yml"
        path.write_text(network_yaml(name), encoding="utf-8")
        slug = world.create(path)
        with app.app_context():
            only = None if not slugs else [s.key for s in plan_launch(app, slug).steps if s.kind in SYNCED_STEPS]
            result = launch(app, slug, only=only)
        assert result.ok, result.failed
        slugs.append(slug)
    assert slugs[0] == SLUG
    return Launched(app, sandbox, slugs)


@pytest.fixture
def launched(app, sandbox, tmp_path) -> Launched:
    """One launched network, on SQLite and on PostgreSQL."""
    return _launch(app, sandbox, tmp_path, 1)


@pytest.fixture
def sqlite_app(tmp_path):
    # One retry, whose back-off is zero, keeps the tests of failures that outlast the retries short.
    with running_app(f"sqlite:///{tmp_path / 'test.sqlite'}", tmp_path, HTTP_RETRIES=1) as app:
        yield app


@pytest.fixture
def launched_one(sqlite_app, sandbox, tmp_path) -> Launched:
    """One launched network on SQLite, for tests where the database makes no difference."""
    return _launch(sqlite_app, sandbox, tmp_path, 1)


@pytest.fixture
def launched_two(sqlite_app, sandbox, tmp_path) -> Launched:
    """Two launched networks on SQLite: 2 calendars and 2 task lists in A, 2 task lists in B."""
    return _launch(sqlite_app, sandbox, tmp_path, 2)


@pytest.fixture
def launched_three(sqlite_app, sandbox, tmp_path) -> Launched:
    """Three launched networks on SQLite: 3 calendars and 3 task lists in A, 3 task lists in B."""
    return _launch(sqlite_app, sandbox, tmp_path, 3)
