"""What a sync cycle costs: one request per collection without changes, and only the k changed objects."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from extension.extensions import db
from extension.networks.models import KnowledgeTask, Network
from extension.sync.models import CALENDAR, TASKLIST, SyncCollection
from tests.sync.conftest import complete_task, participant_calendars

OWNER = "lerend-netwerk"


def _collections(launched) -> dict[tuple[str, str, str], SyncCollection]:
    with launched.app.app_context():
        rows = db.session.query(SyncCollection).all()
        return {(r.network.slug, r.organisation.name, r.kind): r for r in rows}


def test_a_cycle_costs_one_request_per_collection_and_fetches_only_the_k_changed_tasks(launched_three):
    """Without changes exactly one request per collection; with k changed tasks one more per collection
    that holds any of them, and those k objects only."""
    first = launched_three.sync()
    assert first.ok
    found = _collections(launched_three)
    assert sorted((kind, organisation) for (_, organisation, kind) in found) == sorted(
        [(CALENDAR, "Kinderopvang De Zonnebloem")] * 3 + [(TASKLIST, "Kinderopvang De Zonnebloem")] * 3
        + [(TASKLIST, "Basisschool De Regenboog")] * 3)
    assert all(r.sync_token and r.state == "ok" and r.last_synced_at for r in found.values())
    a, b = (len(launched_three.sandbox.org(k).request_log) for k in ("a", "b"))

    report = launched_three.sync()

    assert report.ok and report.objects == 0 and report.updated == 0
    # A: three calendars and three task lists; B: three task lists. Nothing else: no refresh, no discovery.
    assert launched_three.requests("a", a) == {"REPORT": 6}
    assert launched_three.requests("b", b) == {"REPORT": 3}

    # k = 4: Eva's task in each of the three networks (B), and Bram's in the first (A).
    eva = participant_calendars(launched_three.sandbox, "b", "eva")
    bram = participant_calendars(launched_three.sandbox, "a", "bram")
    with launched_three.app.app_context():
        changed = [(eva, launched_three.task("eva@regenboog.example", slug)) for slug in launched_three.slugs]
        changed.append((bram, launched_three.task("bram@zonnebloem.example")))
        changed = [(who, task.network.tasklist_uri, task.ical_uid) for who, task in changed]
    for who, uri, uid in changed:
        complete_task(who, f"{uri}_shared_by_{OWNER}", uid, datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc))
    a, b = (len(launched_three.sandbox.org(k).request_log) for k in ("a", "b"))

    report = launched_three.sync()

    assert report.ok and report.objects == 4 and report.updated == 4
    fetched = sorted((r.organisation, r.uri, r.objects) for r in report.results if r.objects)
    assert fetched == sorted([("Basisschool De Regenboog", uri, 1) for _, uri, _ in changed[:3]]
                             + [("Kinderopvang De Zonnebloem", changed[3][1], 1)])
    # One sync REPORT per collection, and one multiget REPORT per collection that changed.
    assert launched_three.requests("a", a) == {"REPORT": 6 + 1}
    assert launched_three.requests("b", b) == {"REPORT": 3 + 3}
    with launched_three.app.app_context():
        done = db.session.query(KnowledgeTask).filter_by(status="COMPLETED").all()
        assert sorted(t.ical_uid for t in done) == sorted(uid for _, _, uid in changed)


def test_an_invalid_sync_token_resyncs_that_collection_only_and_says_so(launched_one, caplog):
    launched_one.sync()
    with launched_one.app.app_context():
        network = db.session.query(Network).filter_by(slug=launched_one.slugs[0]).one()
        row = db.session.query(SyncCollection).filter_by(network_id=network.id, kind=TASKLIST) \
            .join(SyncCollection.organisation).filter_by(name="Basisschool De Regenboog").one()
        row.sync_token = "http://radicale.org/ns/sync/bogus"
        row_id = row.id
        db.session.commit()
    a, b = (len(launched_one.sandbox.org(k).request_log) for k in ("a", "b"))

    with caplog.at_level(logging.INFO):
        report = launched_one.sync()

    assert report.ok
    resynced = [(r.network, r.organisation, r.kind) for r in report.results if r.full_resync]
    assert resynced == [(launched_one.slugs[0], "Basisschool De Regenboog", TASKLIST)]
    # The refused REPORT, the full REPORT and one multiget of its two tasks; the collections in A one each.
    assert launched_one.requests("b", b) == {"REPORT": 3}
    assert launched_one.requests("a", a) == {"REPORT": 2}
    assert next(r for r in report.results if r.full_resync).objects == 2
    assert any("Sync token of calendar" in m and "full resync" in m for m in caplog.messages)
    assert any(m.startswith("full resync of tasklist") for m in caplog.messages)
    with launched_one.app.app_context():
        assert db.session.get(SyncCollection, row_id).sync_token != "http://radicale.org/ns/sync/bogus"
