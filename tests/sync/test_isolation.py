"""Sync isolates faults: a malformed object fails alone, and a re-created collection is read again in full."""
from __future__ import annotations

from datetime import datetime, timezone

from extension.extensions import db
from extension import engine
from extension.networks.status import describe, network_status
from extension.sync.models import TASKLIST, SyncCollection
from tests.sync.conftest import complete_task, participant_calendars

OWNER = "lerend-netwerk"
HOST = "Kinderopvang De Zonnebloem"
SCHOOL = "Basisschool De Regenboog"
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def _task_of(launched, email: str):
    with launched.app.app_context():
        task = launched.task(email)
        return task.network.tasklist_uri, task.ical_uid


def _break(calendars, uri: str, uid: str) -> str:
    """Give the task a second PERCENT-COMPLETE line, as a buggy client might; returns its href."""
    current = calendars.get(uri, uid)
    text = current.data.decode()
    broken = text.replace("END:VTODO", "PERCENT-COMPLETE:10\r\nPERCENT-COMPLETE:20\r\nEND:VTODO")
    calendars.update(uri, current.href, broken.encode(), current.etag)
    return current.href


def _status(launched, uid: str) -> str:
    with launched.app.app_context():
        from extension.networks.models import KnowledgeTask
        return db.session.query(KnowledgeTask).filter_by(ical_uid=uid).one().status


def test_a_malformed_task_fails_alone_and_the_rest_of_its_list_and_the_cycle_is_applied(launched_one):
    launched_one.sync()
    uri, anna_uid = _task_of(launched_one, "anna@zonnebloem.example")
    _, bram_uid = _task_of(launched_one, "bram@zonnebloem.example")
    school_uri, eva_uid = _task_of(launched_one, "eva@regenboog.example")
    anna = participant_calendars(launched_one.sandbox, "a", "anna")
    href = _break(anna, f"{uri}_shared_by_{OWNER}", anna_uid)
    complete_task(participant_calendars(launched_one.sandbox, "a", "bram"), f"{uri}_shared_by_{OWNER}", bram_uid,
                  WHEN)
    complete_task(participant_calendars(launched_one.sandbox, "b", "eva"), f"{school_uri}_shared_by_{OWNER}",
                  eva_uid, WHEN)

    result = launched_one.app.test_cli_runner().invoke(args=["network", "sync", "--all"])

    assert result.exit_code == 1, result.output
    assert "0 mislukt" in result.output and "1 onderdeel/onderdelen niet te lezen" in result.output
    name = href.rsplit("/", 1)[-1]
    assert f"takenlijst '{uri}' ({HOST}): '" in result.output and f"/{name}' is niet te lezen" in result.output
    assert "Traceback" not in result.output
    assert _status(launched_one, bram_uid) == "COMPLETED"
    assert _status(launched_one, eva_uid) == "COMPLETED"
    with launched_one.app.app_context():
        state = network_status(launched_one.slugs[0])
        [unreadable] = state.unreadable
        assert (unreadable.organisation, unreadable.kind, unreadable.uri) == (HOST, TASKLIST, uri)
        assert unreadable.href.endswith(f"/{uri}/{name}") and "TypeError" in unreadable.reason
        assert "Niet te lezen in Nextcloud" in describe(launched_one.slugs[0])

    # The next cycle does not read it again (the token moved on) yet keeps reporting it; a fix clears it.
    again = launched_one.sync()
    assert again.failed_objects == 0
    with launched_one.app.app_context():
        assert len(network_status(launched_one.slugs[0]).unreadable) == 1
    complete_task(anna, f"{uri}_shared_by_{OWNER}", anna_uid, WHEN)
    fixed = launched_one.sync()
    assert fixed.ok, fixed.results
    assert _status(launched_one, anna_uid) == "COMPLETED"
    with launched_one.app.app_context():
        assert network_status(launched_one.slugs[0]).unreadable == ()


def _school_list(launched) -> SyncCollection:
    return db.session.query(SyncCollection).filter_by(kind=TASKLIST).join(SyncCollection.organisation) \
        .filter_by(name=SCHOOL).one()


def test_a_task_list_the_engine_recreates_forgets_its_token_and_is_read_in_full(launched_one):
    app, slug = launched_one.app, launched_one.slugs[0]
    launched_one.sync()
    school_uri, eva_uid = _task_of(launched_one, "eva@regenboog.example")
    owner = launched_one.owner_calendars("b")
    owner._send("DELETE", owner.calendar_url(school_uri))
    with app.app_context():
        assert _school_list(launched_one).sync_token is not None
        school = _school_list(launched_one).organisation_id
        steps = [s.key for s in engine.plan_launch(app, slug).steps
                 if s.kind in ("tasklist", "tasklist-share", "task") and s.organisation_id == school]
        assert engine.run(app, "launch", slug, only=steps).ok

    with app.app_context():
        assert _school_list(launched_one).sync_token is None
    complete_task(participant_calendars(launched_one.sandbox, "b", "eva"), f"{school_uri}_shared_by_{OWNER}",
                  eva_uid, WHEN)
    report = launched_one.sync()
    assert report.ok, report.results
    assert _status(launched_one, eva_uid) == "COMPLETED"


def test_a_task_list_replaced_behind_the_apps_back_is_read_in_full(launched_one):
    """Deleted and made again under the same URI by someone else: Nextcloud accepts the old numeric token
    and answers with a lower one (quirk `sync_token_number_unchecked`); the sync reads the new list in full."""
    app = launched_one.app
    launched_one.sync()
    school_uri, eva_uid = _task_of(launched_one, "eva@regenboog.example")
    owner = launched_one.owner_calendars("b")
    with app.app_context():
        row = _school_list(launched_one)
        sent = row.sync_token
    task = owner.get(school_uri, eva_uid)
    owner._send("DELETE", owner.calendar_url(school_uri))
    owner.ensure_calendar(school_uri, "Taken", components=("VTODO",))
    done = task.data.decode().replace("STATUS:NEEDS-ACTION", "STATUS:COMPLETED")
    owner.create_if_absent(school_uri, eva_uid, done.encode())

    report = launched_one.sync()

    assert report.ok, report.results
    assert _status(launched_one, eva_uid) == "COMPLETED"
    with app.app_context():
        assert _school_list(launched_one).sync_token != sent
