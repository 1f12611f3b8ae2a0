"""A sync cycle goes on through rate limits, outages, expired tokens and a revoked grant, each kept local."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from connectors.errors import Unreachable
from extension.accounts.models import Account
from extension.accounts.service import nextcloud_client
from extension.extensions import db
from extension.networks.models import KnowledgeTask
from extension.networks.status import MISSING, RECONNECT, network_status
from extension.sync import service
from extension.sync.models import STATE_ERROR, STATE_MISSING, TASKLIST, SyncCollection
from tests.sync.conftest import complete_task, participant_calendars

OWNER = "lerend-netwerk"
SCHOOL = "Basisschool De Regenboog"
HOST = "Kinderopvang De Zonnebloem"
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def _complete_eva(launched):
    with launched.app.app_context():
        task = launched.task("eva@regenboog.example")
        uri, uid = task.network.tasklist_uri, task.ical_uid
    complete_task(participant_calendars(launched.sandbox, "b", "eva"), f"{uri}_shared_by_{OWNER}", uid, WHEN)
    return uid


def _status_of(launched, uid: str) -> str:
    with launched.app.app_context():
        return db.session.query(KnowledgeTask).filter_by(ical_uid=uid).one().status


def _collection(launched, organisation: str, kind: str = TASKLIST) -> dict:
    with launched.app.app_context():
        row = db.session.query(SyncCollection).filter_by(kind=kind).join(SyncCollection.organisation) \
            .filter_by(name=organisation).one()
        return {"token": row.sync_token, "state": row.state, "error": row.last_error, "failures": row.failures}


def test_sync_goes_on_through_429_503_and_expired_access_tokens(launched_one):
    launched_one.sync()
    uid = _complete_eva(launched_one)
    a, b = launched_one.sandbox.org("a"), launched_one.sandbox.org("b")
    a.expire_access_tokens()
    b.expire_access_tokens()
    a.faults.fail_next(429, retry_after=0)
    b.faults.fail_next(503, retry_after=0)
    refreshes = a.token_endpoint_calls + b.token_endpoint_calls

    report = launched_one.sync()

    assert report.ok, report.results
    assert a.token_endpoint_calls + b.token_endpoint_calls == refreshes + 2
    assert _status_of(launched_one, uid) == "COMPLETED"


def test_a_collection_that_keeps_failing_keeps_its_token_and_catches_up_next_cycle(launched_one):
    launched_one.sync()
    before = _collection(launched_one, SCHOOL)
    uid = _complete_eva(launched_one)
    retries = launched_one.app.config["HTTP_RETRIES"]
    launched_one.sandbox.org("b").faults.fail_next(503, count=retries + 1, retry_after=0)

    report = launched_one.sync()

    failed = [(r.organisation, r.outcome) for r in report.results if r.outcome != service.SYNCED]
    assert failed == [(SCHOOL, service.FAILED)]
    assert report.count(service.SYNCED) == 2
    after = _collection(launched_one, SCHOOL)
    assert after["token"] == before["token"] and after["state"] == STATE_ERROR and after["failures"] == 1
    assert "503" in after["error"]
    assert _status_of(launched_one, uid) == "NEEDS-ACTION"
    with launched_one.app.app_context():
        attention = network_status(launched_one.slugs[0]).attention
        assert [(a.organisation, a.kind) for a in attention] == [(SCHOOL, "failing")]

    again = launched_one.sync()

    assert again.ok
    school = next(r for r in again.results if r.organisation == SCHOOL)
    assert not school.full_resync and school.objects == 1
    assert _status_of(launched_one, uid) == "COMPLETED"
    assert _collection(launched_one, SCHOOL)["state"] == "ok"


def test_a_read_timeout_is_retried_and_the_cycle_completes(launched_one):
    launched_one.sync()
    uid = _complete_eva(launched_one)
    b = launched_one.sandbox.org("b")
    slow = {"left": 1}

    def hang_once(method, path):
        if method == "REPORT" and slow["left"]:
            slow["left"] -= 1
            time.sleep(0.6)

    b.faults.on_request = hang_once

    def impatient(app, account):
        client = nextcloud_client(app, account)
        client.timeout = (2.0, 0.3)
        return client

    report = launched_one.sync(client_for=impatient)

    assert report.ok and slow["left"] == 0
    assert _status_of(launched_one, uid) == "COMPLETED"


def test_an_instance_in_maintenance_is_asked_once_and_its_other_collections_wait(launched_two):
    launched_two.sync()
    a, b = launched_two.sandbox.org("a"), launched_two.sandbox.org("b")
    b.faults.maintenance = True
    before = len(b.request_log)

    report = launched_two.sync()

    school = [r for r in report.results if r.organisation == SCHOOL]
    assert sorted(r.outcome for r in school) == [service.FAILED, service.SKIPPED]
    assert all(r.outcome == service.SYNCED for r in report.results if r.organisation == HOST)
    # Maintenance answers Retry-After: 120, longer than a call waits: no retry, and no more calls.
    assert len(b.request_log) - before == 1
    assert a.request_log


def test_a_revoked_grant_stops_only_that_connection_and_marks_it(launched_two):
    launched_two.sync()
    uid = _complete_eva(launched_two)
    b = launched_two.sandbox.org("b")
    with launched_two.app.app_context():
        host_task = launched_two.task("bram@zonnebloem.example")
        uri, host_uid = host_task.network.tasklist_uri, host_task.ical_uid
    complete_task(participant_calendars(launched_two.sandbox, "a", "bram"), f"{uri}_shared_by_{OWNER}",
                  host_uid, WHEN)
    b.revoke_grants(OWNER)
    before = len(b.request_log)

    report = launched_two.sync()

    assert report.reconnect_needed == [SCHOOL]
    assert all(r.outcome == service.SYNCED for r in report.results if r.organisation == HOST)
    assert [r.outcome for r in report.results if r.organisation == SCHOOL] == [service.FAILED] * 2
    # One refused request and one refused refresh; the other task lists of B are not asked.
    assert [(r.method, r.status) for r in b.request_log[before:]] == [("REPORT", 401), ("POST", 400)]
    assert _status_of(launched_two, host_uid) == "COMPLETED"
    assert _status_of(launched_two, uid) == "NEEDS-ACTION"
    with launched_two.app.app_context():
        account = db.session.query(Account).join(Account.organisation).filter_by(name=SCHOOL).one()
        assert account.needs_reconnect
        attention = network_status(launched_two.slugs[0]).attention
        assert [(x.organisation, x.kind) for x in attention] == [(SCHOOL, RECONNECT)]
        assert "lerend-netwerk opnieuw inloggen" in attention[0].message

    # The next cycle does not even try B until someone reconnects it.
    before = len(b.request_log)
    later = launched_two.sync()
    assert [r.outcome for r in later.results if r.organisation == SCHOOL] == [service.SKIPPED] * 2
    assert later.reconnect_needed == [SCHOOL] and len(b.request_log) == before


def test_an_unreachable_instance_is_left_for_the_next_cycle_after_one_failure(launched_two):
    launched_two.sync()
    calls = []

    class Down:
        def sync(self, uri, token=None):
            calls.append(uri)
            raise Unreachable("GET … timed out", timeout=True)

    class Client:
        def __init__(self, real, down):
            self.calendars = Down() if down else real.calendars

    def client_for(app, account):
        return Client(nextcloud_client(app, account), account.organisation.name == SCHOOL)

    report = launched_two.sync(client_for=client_for)

    school = [r for r in report.results if r.organisation == SCHOOL]
    assert sorted(r.outcome for r in school) == [service.FAILED, service.SKIPPED]
    assert len(calls) == 1
    assert all(r.outcome == service.SYNCED for r in report.results if r.organisation == HOST)


def test_a_deleted_task_list_is_marked_missing_and_shown_with_the_repair_command(launched_one):
    launched_one.sync()
    with launched_one.app.app_context():
        uri = launched_one.task("eva@regenboog.example").network.tasklist_uri
    owner = launched_one.owner_calendars("b")
    owner._send("DELETE", owner.calendar_url(uri))

    report = launched_one.sync()

    missing = [(r.organisation, r.kind) for r in report.results if r.outcome == service.MISSING]
    assert missing == [(SCHOOL, TASKLIST)]
    row = _collection(launched_one, SCHOOL)
    assert row["state"] == STATE_MISSING and row["token"] is None
    with launched_one.app.app_context():
        attention = network_status(launched_one.slugs[0]).attention
        assert [(a.organisation, a.kind) for a in attention] == [(SCHOOL, MISSING)]
        assert f"lerend-netwerk network repair {launched_one.slugs[0]}" in attention[0].message
