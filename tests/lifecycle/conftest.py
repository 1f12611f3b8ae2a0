"""Fixtures and helpers for a launched network's life: the launched Doorgaande Lijn network of tests/networks,
clients acting in the sandbox as each organisation's connection, and request counts from the sandbox logs."""
from __future__ import annotations

from collections import Counter

import pytest

from extension.accounts.service import nextcloud_client
from extension.extensions import db
from extension.networks.models import KnowledgeTask, Network
from extension.organisations.models import Organisation
from tests.networks.conftest import HOST, NO_NEXTCLOUD, SCHOOL, SLUG, sqlite_world, world  # noqa: F401

OWNER = "lerend-netwerk"
FOLDER = "Lerende netwerken/Doorgaande lijn Taal Zuilen"
CALENDAR = f"ln-{SLUG}"
TASKLIST = f"ln-{SLUG}-taken"
ORG_SLUGS = {"a": HOST, "b": SCHOOL}


@pytest.fixture
def launched(sqlite_world):
    """The Doorgaande Lijn network created and launched into the sandbox (phase Voorbereiden), logs cleared."""
    return _launch(sqlite_world)


@pytest.fixture
def launched_on_each_database(world):
    """As `launched`, on SQLite and on PostgreSQL, for the tests that delete rows."""
    return _launch(world)


def _launch(world):
    slug = world.create()
    assert world.launch(slug).ok
    clear_logs(world.sandbox)
    return world


def connection(world, key: str):
    """A NextcloudClient of sandbox organisation `key`'s organisation connection, to act as Nextcloud users
    (or the Tasks app) would, outside the code under test."""
    with world.app.app_context():
        organisation = db.session.query(Organisation).filter_by(slug=ORG_SLUGS[key]).one()
        return nextcloud_client(world.app, organisation.connection_account)


def delete_calendar(client, uri: str) -> None:
    """DELETE a whole calendar, as the Calendar app's "delete" does (the connectors never delete one)."""
    response = client.session.request("DELETE", client.calendars.calendar_url(uri), auth=client.auth, timeout=10)
    assert response.status_code == 204, response.text


def clear_logs(sandbox) -> None:
    for org in sandbox.orgs.values():
        org.clear_log()


def requests_by_method(sandbox) -> dict[str, int]:
    """Every request since the logs were cleared, by method, over all organisations."""
    return dict(Counter(record.method for org in sandbox.orgs.values() for record in org.request_log))


def tasks_of(world, **filters) -> list[KnowledgeTask]:
    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        tasks = db.session.query(KnowledgeTask).filter_by(network_id=network.id, **filters).all()
        for task in tasks:
            db.session.expunge(task)
        return tasks


def set_connection(world, organisation_slug: str, account_id: int | None) -> int | None:
    """Set (or drop, with None) an organisation's connection account; returns the one it had."""
    with world.app.app_context():
        organisation = db.session.query(Organisation).filter_by(slug=organisation_slug).one()
        before, organisation.connection_account_id = organisation.connection_account_id, account_id
        db.session.commit()
        return before
