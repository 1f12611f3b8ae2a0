"""Drift: every way a launched network can break in Nextcloud is found with reads only, and the repair
reruns just the affected steps, writing only what is missing, until the sandbox equals the original launch."""
from __future__ import annotations

import pytest

from connectors.ocs import SHARE_USER
from extension.extensions import db
from extension.engine.drift import detect
from extension.networks.models import LaunchStep
from tests.networks.calls import repair
from tests.lifecycle.conftest import (CALENDAR, FOLDER, HOST, SCHOOL, TASKLIST, clear_logs, connection,
                                      delete_calendar, requests_by_method)
from tests.networks.conftest import SLUG
from tests.networks.snapshot import WRITE_METHODS, snapshot

PHASE_FOLDER = f"{FOLDER}/2. Starten"


def _delete_network_folder(world):
    connection(world, "a").files.delete(FOLDER)


def _delete_phase_folder(world):
    connection(world, "a").files.delete(PHASE_FOLDER)


def _delete_calendar(world):
    delete_calendar(connection(world, "a"), CALENDAR)


def _delete_task_list(world):
    delete_calendar(connection(world, "b"), TASKLIST)


def _remove_folder_share(world):
    ocs = connection(world, "a").ocs
    ocs.delete_share(ocs.find_share(f"/{FOLDER}", SHARE_USER, "bram").id)


def _remove_federated_folder_share(world):
    ocs = connection(world, "a").ocs
    host_b = world.sandbox.org("b").host
    ocs.delete_share(ocs.find_share(f"/{FOLDER}", 6, f"eva@{host_b}").id)


def _narrow_folder_share(world):
    ocs = connection(world, "a").ocs
    ocs.update_share(ocs.find_share(f"/{FOLDER}", SHARE_USER, "chantal").id, permissions=1)


def _remove_calendar_share(world):
    connection(world, "a").calendars.apply_shares(CALENDAR, {}, remove=["bram"])


def _remove_task_list_share(world):
    connection(world, "b").calendars.apply_shares(TASKLIST, {}, remove=["eva"])


# case: (break it, the step keys the check reports, the writes the repair makes)
CASES = {
    # Deleting the folder deletes its shares too (as Nextcloud does), so the repair shares it again.
    "deleted network folder": (
        _delete_network_folder, None, {"MKCOL": 6, "PUT": 19, "POST": 7}),
    "deleted phase folder": (
        _delete_phase_folder, None, {"MKCOL": 1, "PUT": 3}),
    "deleted calendar": (
        _delete_calendar,
        [f"{HOST}/calendar/agenda", f"{HOST}/calendar-share/agenda"]
        + [f"{HOST}/meeting/{key}" for key in ("startbijeenkomst", "experimenten-kiezen", "ervaringen-delen",
                                                 "leren-van-elkaars-praktijk", "borgen", "evaluatie")],
        {"MKCALENDAR": 1, "POST": 1, "PUT": 6}),
    "deleted task list": (
        _delete_task_list, None, {"MKCALENDAR": 1, "POST": 1, "PUT": 2}),
    "removed folder share": (
        _remove_folder_share, [f"{HOST}/share/bram"], {"POST": 1}),
    "removed federated folder share": (
        _remove_federated_folder_share, None, {"POST": 1}),
    "narrowed folder share": (
        _narrow_folder_share, [f"{HOST}/share/chantal"], {"PUT": 1}),
    "removed calendar share": (
        _remove_calendar_share, [f"{HOST}/calendar-share/agenda"], {"POST": 1}),
    "removed task-list share": (
        _remove_task_list_share, [f"{SCHOOL}/tasklist-share/takenlijst"], {"POST": 1}),
}


@pytest.mark.parametrize("case", CASES)
def test_drift_is_detected_and_repaired_with_only_the_necessary_writes(launched, case):
    world = launched
    damage, expected_keys, expected_writes = CASES[case]
    before = snapshot(world.sandbox)
    damage(world)
    assert snapshot(world.sandbox) != before

    clear_logs(world.sandbox)
    with world.app.app_context():
        findings = detect(world.app, SLUG)
    detect_requests = requests_by_method(world.sandbox)
    assert not set(detect_requests) & WRITE_METHODS, detect_requests  # the check only reads
    assert findings and all(f.repairable for f in findings)
    if expected_keys is not None:
        assert sorted(f.step_key for f in findings) == sorted(expected_keys)
    with world.app.app_context():
        drifted = {row.key for row in db.session.query(LaunchStep).filter_by(status="drift")}
    assert drifted == {f.step_key for f in findings}

    clear_logs(world.sandbox)
    with world.app.app_context():
        result = repair(world.app, SLUG, findings=findings)
    assert result.ok, result.launch.failed
    made = requests_by_method(world.sandbox)
    writes = {method: n for method, n in made.items() if method in WRITE_METHODS}
    print(f"\n{case}: {len(findings)} findings; check {detect_requests}; repair of {len(result.steps)} steps "
          f"{made}")
    assert writes == expected_writes

    after = snapshot(world.sandbox)
    if case == "deleted calendar":
        # The meetings written again are scheduled again: each attendee gets the invitation a second time.
        for org in ("a", "b"):
            assert sorted(after[org].pop("outbox")) == sorted(before[org].pop("outbox") * (2 if org == "a" else 1))
    assert after == before
    with world.app.app_context():
        assert detect(world.app, SLUG) == []
        assert db.session.query(LaunchStep).filter(LaunchStep.status != "done").count() == 0


def test_deleted_network_folder_names_every_step_under_it(launched):
    world = launched
    _delete_network_folder(world)
    with world.app.app_context():
        findings = detect(world.app, SLUG)
    kinds = sorted({f.kind for f in findings})
    assert kinds == ["document", "folder", "share"]
    assert len([f for f in findings if f.kind == "folder"]) == 6
    assert len([f for f in findings if f.kind == "share"]) == 7
    assert f"map '{FOLDER}' ontbreekt" in [f.message for f in findings]


def test_a_network_in_place_has_no_drift_and_the_check_makes_only_the_verification_reads(launched):
    from extension.engine import plan_launch

    world = launched
    with world.app.app_context():
        assert detect(world.app, SLUG) == []
        reads = plan_launch(world.app, SLUG).verify_reads()
    assert sum(requests_by_method(world.sandbox).values()) == reads == 11  # 10 + the conversation
    with world.app.app_context():
        result = repair(world.app, SLUG)
    assert result.ok and result.steps == [] and result.launch is None
    assert not set(requests_by_method(world.sandbox)) & WRITE_METHODS


def _mark_missing_in_sync(world, organisation_slug: str, uri: str) -> None:
    from extension.networks.models import Network
    from extension.organisations.models import Organisation
    from extension.sync.models import STATE_MISSING, TASKLIST as SYNC_TASKLIST, SyncCollection

    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        organisation = db.session.query(Organisation).filter_by(slug=organisation_slug).one()
        db.session.add(SyncCollection(network_id=network.id, organisation_id=organisation.id, kind=SYNC_TASKLIST,
                                      uri=uri, state=STATE_MISSING, failures=0))
        db.session.commit()


def test_a_collection_the_sync_found_missing_counts_only_where_the_check_could_not_look(launched):
    world = launched
    _mark_missing_in_sync(world, SCHOOL, TASKLIST)
    with world.app.app_context():
        assert detect(world.app, SLUG) == []  # read back in place: the sync's mark is stale

    world.sandbox.org("b").faults.maintenance = True
    with world.app.app_context():
        findings = detect(world.app, SLUG)
        result = repair(world.app, SLUG, findings=findings)
    assert [(f.step_key, f.problem, f.source) for f in findings] == [
        (f"{SCHOOL}/tasklist/takenlijst", "unchecked", "launch"),
        (f"{SCHOOL}/tasklist/takenlijst", "gone", "sync")]
    assert "ontbreekt volgens de synchronisatie" in findings[1].message
    assert not result.ok and result.unchecked == findings[:1]


def test_the_drift_found_is_kept_for_the_status_until_it_is_repaired(launched):
    from extension.engine.drift import stored_findings
    from extension.networks.models import Network
    from extension.networks.status import network_status

    world = launched
    _remove_calendar_share(world)
    with world.app.app_context():
        found = detect(world.app, SLUG)
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        assert [(f.step_key, f.message) for f in stored_findings(network)] == [(f.step_key, f.message) for f in found]
        assert [(d.message, d.repair) for d in network_status(SLUG).drift] == [
            ("de agenda wordt niet meer gedeeld met bram", f"lerend-netwerk network repair {SLUG}")]
        assert repair(world.app, SLUG).ok
        assert network_status(SLUG).drift == ()


def test_a_calendar_and_task_list_written_again_keep_the_replies_and_completed_tasks_the_app_knows(launched):
    from datetime import datetime, timezone

    from icalendar import Calendar

    from extension.networks.models import KnowledgeTask, Meeting
    from tests.networks.snapshot import calendars

    world = launched
    done_at = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    with world.app.app_context():  # as the sync records a reply and a task ticked off in the Tasks app
        task = db.session.query(KnowledgeTask).filter_by(assignee_email="eva@regenboog.example").one()
        task.status, task.completed_at = "COMPLETED", done_at
        meeting = db.session.query(Meeting).filter_by(key="startbijeenkomst").one()
        meeting.replies = {"eva@regenboog.example": "ACCEPTED", "bram@zonnebloem.example": "DECLINED"}
        uid = meeting.ical_uid
        db.session.commit()
    _delete_task_list(world)
    _delete_calendar(world)
    with world.app.app_context():
        assert repair(world.app, SLUG).ok

    objects = calendars(world.sandbox.org("b"))[f"lerend-netwerk/{TASKLIST}"]["objects"].values()
    todos = {str(t["summary"]): t for t in (Calendar.from_ical(text).walk("VTODO")[0] for text in objects)}
    eva = todos["Vul je kennismaking in (Eva Smit)"]
    assert (str(eva["status"]), int(eva["percent-complete"]), eva.decoded("completed")) == ("COMPLETED", 100, done_at)
    assert str(todos["Bevestig tijd en podium voor je deelnemer (Hanna Bos)"]["status"]) == "NEEDS-ACTION"

    event = Calendar.from_ical(calendars(world.sandbox.org("a"))[f"lerend-netwerk/{CALENDAR}"]["objects"][
        f"{uid}.ics"]).walk("VEVENT")[0]
    replies = {str(a).lower().removeprefix("mailto:"): a.params["PARTSTAT"] for a in event["attendee"]}
    assert (replies["eva@regenboog.example"], replies["bram@zonnebloem.example"],
            replies["anna@zonnebloem.example"]) == ("ACCEPTED", "DECLINED", "NEEDS-ACTION")
