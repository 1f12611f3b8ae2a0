"""Edits, progress and deletions made in Nextcloud are read back into the tasks and meetings, never lost."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from connectors.ical import render_todo
from extension.extensions import db
from extension.networks.models import KnowledgeTask, Meeting, Network
from extension.networks.status import describe, network_status
from extension.sync.models import TASKLIST, SyncCollection
from tests.networks.conftest import SLUG
from tests.sync.conftest import edit_task, participant_calendars

OWNER = "lerend-netwerk"


def _eva(launched):
    with launched.app.app_context():
        task = launched.task("eva@regenboog.example")
        return task.network.tasklist_uri, task.ical_uid, task.remote_href, task.title


def test_summary_due_and_progress_edited_in_the_tasks_app_reach_the_task(launched_one):
    launched_one.sync()
    uri, uid, _, title = _eva(launched_one)
    eva = participant_calendars(launched_one.sandbox, "b", "eva")
    edit_task(eva, f"{uri}_shared_by_{OWNER}", uid, summary="Kennismaking: samen met Femke",
              due=date(2030, 1, 31), status="IN-PROCESS", percent_complete=40)

    report = launched_one.sync()

    assert report.ok and report.updated == 1
    with launched_one.app.app_context():
        task = db.session.query(KnowledgeTask).filter_by(ical_uid=uid).one()
        assert (task.status, task.percent_complete, task.due_on) == ("IN-PROCESS", 40, date(2030, 1, 31))
        assert task.remote_summary == "Kennismaking: samen met Femke" and task.title == title
        assert task.remote_modified_at is not None and task.completed_at is None
        text = describe(launched_one.slugs[0])
    assert (f"{title} — Eva Smit (Basisschool De Regenboog): in Nextcloud, bezig (40%), uiterlijk 2030-01-31; "
            "in Nextcloud hernoemd tot 'Kennismaking: samen met Femke'") in text


def test_a_task_deleted_in_nextcloud_is_marked_and_kept(launched_one):
    launched_one.sync()
    uri, uid, href, title = _eva(launched_one)
    launched_one.owner_calendars("b").delete(uri, href)

    report = launched_one.sync()

    assert report.ok and report.updated == 1
    with launched_one.app.app_context():
        task = db.session.query(KnowledgeTask).filter_by(ical_uid=uid).one()
        assert task.deleted_at is not None and task.status == "NEEDS-ACTION"
        school = next(o for o in network_status(launched_one.slugs[0]).organisations
                      if o.organisation == "Basisschool De Regenboog")
        assert (school.done, school.open, school.deleted) == (0, 1, 1)
        assert "verwijderd in Nextcloud op" in describe(launched_one.slugs[0])


def test_a_full_resync_notices_tasks_deleted_meanwhile_and_a_restored_task_comes_back(launched_one):
    launched_one.sync()
    uri, uid, href, _ = _eva(launched_one)
    owner = launched_one.owner_calendars("b")
    saved = owner.get_href(uri, href)
    owner.delete(uri, href)
    with launched_one.app.app_context():
        row = db.session.query(SyncCollection).filter_by(kind=TASKLIST).join(SyncCollection.organisation) \
            .filter_by(name="Basisschool De Regenboog").one()
        row.sync_token = "http://radicale.org/ns/sync/pruned"
        db.session.commit()

    report = launched_one.sync()

    assert [r.full_resync for r in report.results if r.organisation == "Basisschool De Regenboog"] == [True]
    with launched_one.app.app_context():
        assert db.session.query(KnowledgeTask).filter_by(ical_uid=uid).one().deleted_at is not None

    owner.create_if_absent(uri, uid, saved.data)
    launched_one.sync()
    with launched_one.app.app_context():
        assert db.session.query(KnowledgeTask).filter_by(ical_uid=uid).one().deleted_at is None


def test_a_meeting_deleted_from_the_network_calendar_is_marked(launched_one):
    launched_one.sync()
    with launched_one.app.app_context():
        network = db.session.query(Network).filter_by(slug=launched_one.slugs[0]).one()
        uri, meeting = network.calendar_uri, network.meetings[0]
        uid, title = meeting.ical_uid, meeting.title
        assert meeting.etag is not None
    launched_one.owner_calendars("a").delete(uri, f"{uid}.ics")

    launched_one.sync()

    with launched_one.app.app_context():
        assert db.session.query(Meeting).filter_by(ical_uid=uid).one().deleted_at is not None
        replies = next(m for m in network_status(launched_one.slugs[0]).meetings if m.title == title)
        assert replies.deleted_at is not None
        assert f"{title} op " in describe(launched_one.slugs[0])


def test_a_foreign_task_in_the_shared_list_is_left_alone(launched_one):
    launched_one.sync()
    uri, _, _, _ = _eva(launched_one)
    eva = participant_calendars(launched_one.sandbox, "b", "eva")
    ics = render_todo("eigen-taak-1", "Boodschappen", dtstamp=datetime.now(timezone.utc))
    eva.create_if_absent(f"{uri}_shared_by_{OWNER}", "eigen-taak-1", ics)
    with launched_one.app.app_context():
        before = db.session.query(KnowledgeTask).count()

    report = launched_one.sync()

    assert report.ok and report.objects == 1 and report.updated == 0
    with launched_one.app.app_context():
        assert db.session.query(KnowledgeTask).count() == before


def test_drift_found_by_the_check_is_listed_with_the_repair_command_and_not_repeated(launched_one):
    drift = pytest.importorskip("extension.engine.drift")
    launched_one.sync()
    uri, _, _, _ = _eva(launched_one)
    owner = launched_one.owner_calendars("b")
    owner._send("DELETE", owner.calendar_url(uri))
    launched_one.sync()
    with launched_one.app.app_context():
        assert [a.kind for a in network_status(launched_one.slugs[0]).attention] == ["missing"]
        drift.detect(launched_one.app, launched_one.slugs[0])
        status = network_status(launched_one.slugs[0])
        text = describe(launched_one.slugs[0])

    # The list went, and with it its share and its two tasks.
    assert sorted(d.kind for d in status.drift) == ["task", "task", "tasklist", "tasklist-share"]
    assert {d.organisation for d in status.drift} == {"Basisschool De Regenboog"}
    assert {d.repair for d in status.drift} == {f"lerend-netwerk network repair {launched_one.slugs[0]}"}
    assert status.attention == ()
    assert "Afwijkingen in Nextcloud:" in text and f"(herstel: lerend-netwerk network repair {SLUG})" in text
