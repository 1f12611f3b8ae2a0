"""Advancing a launched network's phase: the next phase's tasks land in every member organisation's task
list (read back from the sandbox), wait for one not yet connected, and reach it once it connects."""
from __future__ import annotations

from collections import Counter

import pytest
from icalendar import Calendar

from extension.extensions import db
from extension.networks.models import LaunchStep, Network
from extension.networks.phases import PhaseError
from extension.organisations.models import Organisation
from tests.access.helpers import post_form
from tests.lifecycle.conftest import (NO_NEXTCLOUD, OWNER, SCHOOL, TASKLIST, clear_logs, requests_by_method,
                                      set_connection, tasks_of)
from tests.networks.conftest import SLUG
from tests.networks.calls import advance, catch_up_organisation
from tests.networks.snapshot import WRITE_METHODS, calendars


def _summaries(world, key: str) -> list[str]:
    tasklist = calendars(world.sandbox.org(key))[f"{OWNER}/{TASKLIST}"]
    return sorted(str(Calendar.from_ical(text).walk("VTODO")[0]["summary"]) for text in tasklist["objects"].values())


def _advance(world):
    with world.app.app_context():
        return advance(world.app, SLUG)


def test_advancing_writes_the_next_phases_tasks_into_every_member_organisation(launched):
    world = launched
    result = _advance(world)
    assert result.ok and result.phase == "Starten"
    assert result.tasks == {"Kinderopvang De Zonnebloem": 4, "Basisschool De Regenboog": 1,
                            "Peuterspeelzaal Het Kompas": 1}
    # Only the new tasks are written, one PUT each, without a read first.
    assert requests_by_method(world.sandbox) == {"PUT": 5}

    a, b = _summaries(world, "a"), _summaries(world, "b")
    assert len(a) == 5 + 4 and len(b) == 2 + 1
    for name in ("Bram Jansen", "Chantal Bakker", "Fatima El Amrani"):
        assert f"Leg het vraagstuk voor aan je team ({name})" in a
    assert "Leg het vraagstuk voor aan je team (Eva Smit)" in b
    assert any(s.endswith("(Anna de Vries)") and "werkafspraken" in s.lower() for s in a)
    iris = [t for t in tasks_of(world, assignee_email="iris@kompas.example")]
    assert sorted((t.key, t.sync_state) for t in iris) == [("kennismaking-invullen", "app"),
                                                          ("vraagstuk-voorleggen-team", "app")]
    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        assert network.current_phase.name == "Starten"
        assert {row.status for row in network.launch_steps} == {"done"}


def test_advancing_through_every_phase_stops_at_the_last_with_a_dutch_message(launched):
    world = launched
    phases = [_advance(world).phase for _ in range(4)]
    assert phases == ["Starten", "Samen leren en experimenteren", "Implementeren en borgen", "Evalueren en vervolg"]
    clear_logs(world.sandbox)
    with pytest.raises(PhaseError, match="is al in de laatste fase \\(Evalueren en vervolg\\); er is geen volgende"):
        _advance(world)
    assert world.sandbox.org("a").request_log == []
    # The template has 8 deelnemer, 4 kartrekker and 4 manager tasks over its phases. A: three deelnemers,
    # the kartrekker and the manager; B: one deelnemer and the manager.
    assert (len(_summaries(world, "a")), len(_summaries(world, "b"))) == (3 * 8 + 4 + 4, 8 + 4)
    assert len(tasks_of(world, sync_state="written")) == 32 + 12


def test_advancing_is_refused_before_the_launch_and_after_a_failed_step(sqlite_world):
    world = sqlite_world
    slug = world.create()
    with world.app.app_context(), pytest.raises(PhaseError, match="is nog niet gestart; start het eerst met: "
                                                "lerend-netwerk network launch doorgaande-lijn-taal-zuilen"):
        advance(world.app, slug)
    world.sandbox.org("b").faults.maintenance = True
    assert not world.launch(slug).ok
    with world.app.app_context(), pytest.raises(PhaseError, match="De start van het netwerk 'Doorgaande lijn Taal "
                                                "Zuilen' is nog niet af \\(1 stap\\(pen\\) mislukt"):
        advance(world.app, slug)
    with world.app.app_context():
        assert db.session.query(Network).one().current_phase_key == "voorbereiden"


def test_an_organisation_connecting_later_gets_the_tasks_of_every_phase_already_started(sqlite_world):
    world = sqlite_world
    account_id = set_connection(world, SCHOOL, None)
    slug = world.create()
    assert world.launch(slug).ok
    _advance(world)
    _advance(world)
    pending = tasks_of(world, sync_state="pending")
    assert sorted(Counter(t.assignee_name for t in pending).items()) == [("Eva Smit", 5), ("Hanna Bos", 2)]
    assert f"{OWNER}/{TASKLIST}" not in calendars(world.sandbox.org("b"))

    set_connection(world, SCHOOL, account_id)
    clear_logs(world.sandbox)
    with world.app.app_context():
        school = db.session.query(Organisation).filter_by(slug=SCHOOL).one()
        results = catch_up_organisation(world.app, school.id)
    assert list(results) == [slug] and results[slug].ok and results[slug].done == 1 + 1 + 7
    writes = {m: n for m, n in requests_by_method(world.sandbox).items() if m in WRITE_METHODS}
    assert writes == {"MKCALENDAR": 1, "POST": 1, "PUT": 7}
    assert len(_summaries(world, "b")) == 7
    assert calendars(world.sandbox.org("b"))[f"{OWNER}/{TASKLIST}"]["sharees"] == [
        ("principal:principals/users/eva", True), ("principal:principals/users/hanna", True)]
    assert tasks_of(world, sync_state="pending") == []
    with world.app.app_context():
        assert db.session.query(LaunchStep).filter(LaunchStep.status != "done").count() == 0


def test_phase_tasks_of_an_organisation_without_nextcloud_stay_in_the_app(launched):
    world = launched
    _advance(world)
    with world.app.app_context():
        kompas = db.session.query(Organisation).filter_by(slug=NO_NEXTCLOUD).one().id
    tasks = [t for t in tasks_of(world) if t.organisation_id == kompas]
    assert {t.sync_state for t in tasks} == {"app"} and len(tasks) == 3


def test_authorising_the_organisation_connection_in_the_app_catches_the_organisation_up(sqlite_world):
    from urllib.parse import urlsplit

    from tests.extension.connected import sign_in_at_nextcloud

    world = sqlite_world
    set_connection(world, SCHOOL, None)
    slug = world.create()
    assert world.launch(slug).ok
    _advance(world)
    waiting = len(tasks_of(world, sync_state="pending"))
    assert waiting > 0
    client = world.app.test_client()
    start = post_form(client, f"/organisations/{SCHOOL}/connect")
    back = urlsplit(sign_in_at_nextcloud(start.location, "lerend-netwerk", "lerend-netwerk"))
    page = client.get(f"{back.path}?{back.query}", follow_redirects=True).get_data(as_text=True)
    assert "Basisschool De Regenboog is verbonden." in page
    assert tasks_of(world, sync_state="pending") == []   # the queued catch-up ran (immediate mode in tests)
    assert len(_summaries(world, "b")) == waiting
