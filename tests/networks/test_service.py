"""Creating a network from a network file: phases, meetings, commitments, tasks, names and the mix check."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from extension.extensions import db
from extension.network_templates import get_template, parse_network_file
from extension.networks.models import TASK_APP_ONLY, TASK_PENDING, Network
from extension.networks.service import add_phase_tasks, create_network, mix_warnings
from extension.organisations import service as organisations
from tests.networks.conftest import network_yaml

START = date(2030, 9, 2)


@pytest.fixture
def organisations_added(app):
    """The three organisations of the network file; creating a network needs no connection."""
    with app.app_context():
        for name, kind, url in (("Kinderopvang De Zonnebloem", "kinderopvang", "https://a.example"),
                                ("Basisschool De Regenboog", "basisschool", "https://b.example"),
                                ("Peuterspeelzaal Het Kompas", "peuterspeelzaal", None)):
            organisations.add_organisation(organisations.OrganisationInput(
                name=name, kind=kind, nextcloud_url=url, client_id="id" if url else None,
                client_secret="secret" if url else None))
    return app


def _create(app, tmp_path, text=None, today=date(2030, 1, 1)):
    path = tmp_path / "netwerk.yml"
    path.write_text(text or network_yaml(start=START), encoding="utf-8")
    with app.app_context():
        created = create_network(app, parse_network_file(path), get_template("doorgaande-lijn"), today=today)
        return created.network.slug, created.warnings


def test_phases_follow_each_other_from_the_start_with_the_template_durations(organisations_added, tmp_path):
    slug, _ = _create(organisations_added, tmp_path)
    with organisations_added.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        phases = [(p.key, p.starts_on, p.ends_on, p.folder) for p in network.phases]
        assert phases[0] == ("voorbereiden", START, START + timedelta(weeks=6), "1. Voorbereiden")
        assert all(previous[2] == following[1] for previous, following in zip(phases, phases[1:]))
        assert [p[0] for p in phases] == ["voorbereiden", "starten", "samen-leren", "implementeren", "evalueren"]
        assert network.current_phase_key == "voorbereiden"
        assert (network.status, network.template_id, network.template_version) == ("draft", "doorgaande-lijn", 1)


def test_current_phase_is_the_one_running_today(organisations_added, tmp_path):
    slug, _ = _create(organisations_added, tmp_path, today=START + timedelta(weeks=15))
    with organisations_added.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        assert network.current_phase_key == "samen-leren"
        assert {t.phase.key for t in network.tasks} == {"samen-leren"}


def test_meetings_start_at_the_template_time_in_dutch_local_time(organisations_added, tmp_path):
    slug, _ = _create(organisations_added, tmp_path)
    with organisations_added.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        first = network.meetings[0]
        expected = datetime.combine(START + timedelta(weeks=6), time(15, 30), tzinfo=ZoneInfo("Europe/Amsterdam"))
        assert first.start == expected.astimezone(timezone.utc)
        assert first.end - first.start == timedelta(minutes=150)
        assert first.agenda_path == "2. Starten/Agenda 1 - Startbijeenkomst.md"
        assert len({m.ical_uid for m in network.meetings}) == 6


def test_current_phase_tasks_go_to_every_assignee_in_their_own_organisation(organisations_added, tmp_path):
    slug, _ = _create(organisations_added, tmp_path)
    with organisations_added.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        tasks = sorted((t.key, t.assignee_name, t.organisation.slug, t.sync_state) for t in network.tasks)
        assert tasks == sorted([
            ("tijd-en-podium-bevestigen", "Daan Visser", "kinderopvang-de-zonnebloem", TASK_PENDING),
            ("tijd-en-podium-bevestigen", "Hanna Bos", "basisschool-de-regenboog", TASK_PENDING),
            ("tijd-en-podium-bevestigen", "Joke Meijer", "peuterspeelzaal-het-kompas", TASK_APP_ONLY),
            ("deelnemersmix-controleren", "Anna de Vries", "kinderopvang-de-zonnebloem", TASK_PENDING),
            *(("kennismaking-invullen", name, org, state) for name, org, state in (
                ("Bram Jansen", "kinderopvang-de-zonnebloem", TASK_PENDING),
                ("Chantal Bakker", "kinderopvang-de-zonnebloem", TASK_PENDING),
                ("Fatima El Amrani", "kinderopvang-de-zonnebloem", TASK_PENDING),
                ("Eva Smit", "basisschool-de-regenboog", TASK_PENDING),
                ("Iris Kok", "peuterspeelzaal-het-kompas", TASK_APP_ONLY))),
        ])
        due = {t.key: t.due_on for t in network.tasks}
        assert due["tijd-en-podium-bevestigen"] == START + timedelta(days=14)
        assert len({t.ical_uid for t in network.tasks}) == 9
        # Adding the phase's tasks again changes nothing: the UIDs are derived from network, task and person.
        assert add_phase_tasks(network, get_template("doorgaande-lijn"), network.current_phase) == []


def test_a_managers_nextcloud_account_is_known_when_the_manager_is_a_member(organisations_added, tmp_path):
    slug, _ = _create(organisations_added, tmp_path)
    with organisations_added.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        assert sorted((c.organisation.slug, c.manager_name, c.manager_user_id, c.hours_per_month)
                      for c in network.commitments) == [
            ("basisschool-de-regenboog", "Hanna Bos", "hanna", 3.0),
            ("kinderopvang-de-zonnebloem", "Daan Visser", "daan", 4.0),
            ("peuterspeelzaal-het-kompas", "Joke Meijer", None, 2.0)]


def test_a_complementary_mix_gives_no_warning(organisations_added, tmp_path):
    _, warnings = _create(organisations_added, tmp_path)
    assert warnings == []


def test_mix_check_warns_when_all_learners_share_one_organisation_and_one_expertise(organisations_added, tmp_path):
    text = network_yaml(start=START)
    for org in ("basisschool-de-regenboog", "peuterspeelzaal-het-kompas"):
        text = text.replace(f"organisation: {org}, role: deelnemer",
                            "organisation: kinderopvang-de-zonnebloem, role: deelnemer")
    for expertise in ("pedagogisch coach", "leerkracht groep 1-2", "pedagogisch medewerker peuters"):
        text = text.replace(f"expertise: {expertise}", "expertise: pedagogisch medewerker")
    text = text.replace("user: eva", "user: eva2").split("  - {organisation: peuterspeelzaal-het-kompas")[0]
    _, warnings = _create(organisations_added, tmp_path, text)
    assert len(warnings) == 2
    assert "één organisatie (Kinderopvang De Zonnebloem)" in warnings[0]
    assert "dezelfde expertise (pedagogisch medewerker)" in warnings[1]


def test_two_networks_with_the_same_name_get_their_own_slug_folder_and_calendars(organisations_added, tmp_path):
    first, _ = _create(organisations_added, tmp_path)
    second, _ = _create(organisations_added, tmp_path)
    with organisations_added.app_context():
        a, b = (db.session.query(Network).filter_by(slug=s).one() for s in (first, second))
        assert (a.slug, b.slug) == ("doorgaande-lijn-taal-zuilen", "doorgaande-lijn-taal-zuilen-2")
        assert (a.folder_name, b.folder_name) == ("Doorgaande lijn Taal Zuilen", "Doorgaande lijn Taal Zuilen (2)")
        assert a.calendar_uri != b.calendar_uri and a.tasklist_uri != b.tasklist_uri
        assert mix_warnings(a) == []
