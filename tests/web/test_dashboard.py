"""The kartrekker's network list, dashboard, actions and progress, through the app's test client."""
from __future__ import annotations

import json

from extension.dashboard.models import ActionRun
from extension.extensions import db
from extension.networks.models import Network
from tests.web.conftest import SLUG


def test_kartrekker_sees_her_network_in_the_list_and_its_dashboard(anna):
    page = anna.get("/networks")
    assert page.status_code == 200
    assert "Doorgaande lijn Taal Zuilen" in page.get_data(as_text=True)
    board = anna.get(f"/networks/{SLUG}")
    text = board.get_data(as_text=True)
    assert board.status_code == 200, text
    for expected in ("Voorbereiden", "Startbijeenkomst", "<svg", "Kinderopvang De Zonnebloem", "teamoverleg"):
        assert expected in text


def test_the_dashboard_links_the_networks_conversation_in_talk(anna, launched):
    [room] = launched.sandbox.org("a").talk.conversations()
    text = anna.get(f"/networks/{SLUG}").get_data(as_text=True)
    assert f'href="{launched.sandbox.org("a").base_url}/index.php/call/{room.token}"' in text
    assert "Open het gesprek van het netwerk in Nextcloud Talk" in text


def test_a_participant_who_is_not_the_kartrekker_is_refused(bram):
    assert bram.get(f"/networks/{SLUG}").status_code == 403
    assert bram.post(f"/networks/{SLUG}/actions/sync").status_code == 403
    assert "Doorgaande lijn" not in bram.get("/networks").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(launched):
    response = launched.app.test_client().get(f"/networks/{SLUG}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_advance_asks_for_confirmation_listing_open_tasks_then_runs_and_reports_progress(anna, launched):
    confirm = anna.get(f"/networks/{SLUG}/actions/advance").get_data(as_text=True)
    assert "Starten" in confirm and "open" in confirm
    response = anna.post(f"/networks/{SLUG}/actions/advance")
    assert response.status_code == 302
    run_url = response.headers["Location"]
    progress = anna.get(run_url + ".json").get_json()
    assert progress["status"] == "done" and progress["percent"] == 100, progress
    with launched.app.app_context():
        assert db.session.query(Network).filter_by(slug=SLUG).one().current_phase_key == "starten"
    assert "Starten" in anna.get(run_url).get_data(as_text=True)


def test_export_downloads_the_network_as_json(anna):
    response = anna.post(f"/networks/{SLUG}/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert json.loads(response.get_data(as_text=True))["network"]["slug"] == SLUG


def test_add_member_form_shows_the_network_file_messages_next_to_the_field(anna):
    response = anna.post(f"/networks/{SLUG}/actions/add_member",
                         data={"name": "Kees", "email": "geen-adres", "organisation": "basisschool-de-regenboog",
                               "role": "deelnemer"})
    assert response.status_code == 422
    assert "is geen geldig e-mailadres" in response.get_data(as_text=True)


def test_a_failed_launch_step_is_explained_in_dutch_and_try_again_finishes_it(anna, launched):
    school = launched.sandbox.org("b")
    with launched.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        for step in network.launch_steps:
            if step.kind == "tasklist" and step.organisation.slug == "basisschool-de-regenboog":
                step.status = "drift"
        db.session.commit()
    school.faults.fail_next(503, count=50)
    response = anna.post(f"/networks/{SLUG}/actions/launch")
    run_url = response.headers["Location"]
    page = anna.get(run_url).get_data(as_text=True)
    assert "Basisschool De Regenboog" in page and "tijdelijk niet beschikbaar" in page and "Opnieuw proberen" in page
    school.faults.reset()
    retried = anna.post(run_url + "/retry")
    assert anna.get(retried.headers["Location"] + ".json").get_json()["status"] == "done"
    with launched.app.app_context():
        assert db.session.query(ActionRun).count() == 2
