"""Fixtures for exporting, importing and ending networks: a launched network with states read back, and a
second app on an empty database of the same kind (SQLite or PostgreSQL) to import into."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from slugify import slugify
from sqlalchemy import create_engine, text

from extension.extensions import db
from extension.networks.models import Network
from extension.organisations import service as organisations
from extension.organisations.models import Organisation
from tests.fixtures.app import _admin_execute, _postgres_url, running_app
from tests.networks.conftest import SLUG, build_world


def give_states(app, slug: str = SLUG) -> None:
    """What the sync would have read back: a completed task, another in progress, replies to a meeting."""
    with app.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        written = [t for t in network.tasks if t.remote_href]
        done, busy = written[0], written[1]
        done.status, done.percent_complete, done.etag = "COMPLETED", 100, '"etag-done"'
        done.completed_at = datetime(2026, 3, 4, 9, 30, 15, 123456, tzinfo=timezone.utc)
        done.remote_modified_at = done.completed_at
        busy.status, busy.percent_complete, busy.remote_summary = "IN-PROCESS", 40, "Aangepast in Nextcloud"
        meeting = network.meetings[0]
        meeting.replies = {"eva@regenboog.example": "ACCEPTED", "bram@zonnebloem.example": "DECLINED"}
        meeting.etag = '"etag-meeting"'
        db.session.commit()


@pytest.fixture
def world(app, sandbox, tmp_path):
    """The organisations of the Doorgaande Lijn network (tests.networks.conftest) on the parametrised database."""
    return build_world(app, sandbox, tmp_path)


@pytest.fixture
def sqlite_world(sqlite_app, sandbox, tmp_path):
    return build_world(sqlite_app, sandbox, tmp_path)


@pytest.fixture
def launched(world):
    """The Doorgaande Lijn network launched into the sandbox, with states (parametrised database)."""
    slug = world.create()
    assert world.launch(slug).ok
    give_states(world.app, slug)
    return world


@pytest.fixture
def sqlite_launched(sqlite_world):
    slug = sqlite_world.create()
    assert sqlite_world.launch(slug).ok
    give_states(sqlite_world.app, slug)
    return sqlite_world


@pytest.fixture(scope="session")
def target_postgres_url(request, worker_id):
    """A second PostgreSQL database for this worker of this run, for the app imported into."""
    run = getattr(request.config, "workerinput", {}).get("testrunuid") or "local"
    name = f"ln_test_{run[:12]}_{worker_id}_target"
    yield _postgres_url(name)
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def target_app(database_url, tmp_path, request):
    """An app on an empty database of the same kind as `database_url` (not yet holding any organisation)."""
    folder = tmp_path / "target"
    folder.mkdir()
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{folder / 'target.sqlite'}"
    else:
        url = request.getfixturevalue("target_postgres_url")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    with running_app(url, folder) as app:
        yield app


@pytest.fixture
def sqlite_target_app(tmp_path):
    folder = tmp_path / "target"
    folder.mkdir()
    with running_app(f"sqlite:///{folder / 'target.sqlite'}", folder) as app:
        yield app


def copy_organisations(source_app, target_app) -> None:
    """Add the source's organisations to the target as its admin would: same name (so slug) and Nextcloud,
    the target's own OAuth client. Organisations the target has already are left as they are."""
    with source_app.app_context():
        found = [(o.name, o.kind, o.nextcloud_url) for o in db.session.query(Organisation).order_by(Organisation.id)]
    with target_app.app_context():
        for name, kind, url in found:
            if organisations.get_by_slug(slugify(name)) is not None:
                continue
            organisations.add_organisation(organisations.OrganisationInput(
                name=name, kind=kind, nextcloud_url=url, client_id="doel-client" if url else None,
                client_secret="doel-geheim" if url else None))
