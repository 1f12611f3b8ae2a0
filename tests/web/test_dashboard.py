"""The kartrekker's network list, dashboard, actions and progress, through the app's test client."""
from __future__ import annotations

import json

from extension import engine
from extension.extensions import db
from extension.i18n import Text
from extension.locks import network_lock
from extension.networks.models import EngineRun, LaunchStep, Network
from tests.extension.connected import connect_account
from tests.web.conftest import SLUG, signed_in

# The confirmation form of "next phase" names the phase being left; the launched network is in its first phase.
LEAVING_PREPARING = {"phase": "voorbereiden"}


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
    response = anna.post(f"/networks/{SLUG}/actions/advance", data=LEAVING_PREPARING)
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
        runs = db.session.query(EngineRun).filter(EngineRun.account_id.is_not(None)).order_by(EngineRun.id).all()
        assert [(r.kind, r.status) for r in runs] == [("launch", "failed"), ("launch", "done")]


def test_a_failed_steps_label_reads_in_the_language_of_whoever_looks_at_it(anna, launched):
    """The worker journals the step's label once; the progress page names it in Dutch, or in English on request."""
    school = launched.sandbox.org("b")
    with launched.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        for step in network.launch_steps:
            if step.kind == "tasklist" and step.organisation.slug == "basisschool-de-regenboog":
                step.status = "drift"
        db.session.commit()
    school.faults.fail_next(503, count=50)
    run_url = anna.post(f"/networks/{SLUG}/actions/launch").headers["Location"]
    school.faults.reset()
    dutch = anna.get(run_url).get_data(as_text=True)
    assert "Takenlijst in Basisschool De Regenboog aanmaken" in dutch
    english = anna.get(run_url + "?lang=en").get_data(as_text=True)
    assert "Create the task list in Basisschool De Regenboog" in english
    assert "aanmaken" not in english
    with launched.app.app_context():
        run = db.session.get(EngineRun, int(run_url.rsplit("/", 1)[1]))
        assert run.status == "failed"
        # The run's record keeps the msgid, not the worker's words: read back it is a Text again.
        assert engine.progress(run.network_id, run.id).failed_label == Text(
            "Create the task list in %(organisation)s", organisation="Basisschool De Regenboog")


def test_the_network_page_and_the_progress_endpoint_show_the_engines_record_of_a_running_launch(anna, launched):
    """A launch started elsewhere (here: as the engine records it mid-run) shows the same figures on the network
    page, on a reload and in a second browser, and its JSON endpoint answers from the same record."""
    with launched.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        run = EngineRun(network_id=network.id, kind="launch", status="running", total=12, done=5, failed=0)
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    second = signed_in(launched.app, connect_account(launched.app, launched.sandbox, "a", "anna"))
    with launched.app.app_context(), network_lock(SLUG):  # the run's process is alive: it holds the lease
        for client in (anna, anna, second):
            page = client.get(f"/networks/{SLUG}").get_data(as_text=True)
            assert "Stap 5 van 12" in page and f"/runs/{run_id}.json" in page and 'http-equiv="refresh"' in page
            # No second action while this one runs (it would only be refused as busy).
            assert "De andere acties komen terug" in page and "/actions/advance" not in page
        progress = second.get(f"/networks/{SLUG}/runs/{run_id}.json").get_json()
    assert (progress["status"], progress["done"], progress["total"], progress["percent"]) == ("running", 5, 12, 41)
    with launched.app.app_context():
        row = db.session.get(EngineRun, run_id)
        row.done, row.status = 12, "done"
        db.session.commit()
    assert anna.get(f"/networks/{SLUG}/runs/{run_id}.json").get_json()["finished"] is True
    finished = anna.get(f"/networks/{SLUG}").get_data(as_text=True)
    assert "Stap 5 van 12" not in finished and "/actions/advance" in finished


def test_an_action_is_queued_as_an_engine_run_that_the_engine_records_into(anna, launched):
    """One record per action: the queued row (who asked, with what) is the one the engine fills in."""
    response = anna.post(f"/networks/{SLUG}/actions/advance", data=LEAVING_PREPARING)
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with launched.app.app_context():
        runs = db.session.query(EngineRun).filter(EngineRun.id >= run_id).all()
        assert [(r.id, r.kind, r.status) for r in runs] == [(run_id, "advance", "done")]
        assert runs[0].total > 0 and runs[0].done == runs[0].total and runs[0].account_id is not None
        assert "Starten" in runs[0].message
        assert db.session.query(LaunchStep).filter_by(run_id=run_id).count() == runs[0].total


def test_an_actions_outcome_reads_in_the_language_of_whoever_looks_at_it(anna, launched):
    """The worker writes the outcome once; the progress page shows it in Dutch, or in English on request."""
    run_url = anna.post(f"/networks/{SLUG}/actions/advance", data=LEAVING_PREPARING).headers["Location"]
    assert "Het netwerk is nu in de fase Starten" in anna.get(run_url).get_data(as_text=True)
    assert "The network is now in the phase Starten" in anna.get(run_url + "?lang=en").get_data(as_text=True)
    assert anna.get(run_url + ".json").get_json()["message"].startswith("The network is now in the phase Starten")


def test_a_run_whose_process_was_killed_shows_as_interrupted_with_try_again_that_resumes(anna, launched):
    """Recorded as running, but nobody holds the network's lease any more: the worker was killed mid-run."""
    with launched.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        run = EngineRun(network_id=network.id, kind="launch", status="running", total=12, done=5, failed=0,
                        params={})
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    progress = anna.get(f"/networks/{SLUG}/runs/{run_id}.json").get_json()
    assert (progress["status"], progress["finished"]) == ("interrupted", True)
    page = anna.get(f"/networks/{SLUG}").get_data(as_text=True)
    assert "Onderbroken" in page and f"/runs/{run_id}/retry" in page and "/actions/advance" in page
    again = anna.post(f"/networks/{SLUG}/runs/{run_id}/retry").headers["Location"]
    assert anna.get(again + ".json").get_json()["status"] == "done"


def test_an_action_whose_lock_cannot_be_taken_ends_as_failed_instead_of_waiting_for_ever(anna, launched, monkeypatch):
    """The network page waits for a queued run and offers no action meanwhile: a run that cannot even start
    must end, saying to try again."""
    from extension.dashboard import actions

    def broken(app, slug):
        raise RuntimeError("the locks table is unreachable")

    monkeypatch.setattr(actions, "locked", broken)
    run_url = anna.post(f"/networks/{SLUG}/actions/advance", data=LEAVING_PREPARING).headers["Location"]
    progress = anna.get(run_url + ".json").get_json()
    assert (progress["status"], progress["finished"]) == ("failed", True)
    assert "Probeer het opnieuw" in anna.get(run_url).get_data(as_text=True)
    assert "/actions/advance" in anna.get(f"/networks/{SLUG}").get_data(as_text=True)


def _phase_of_the_network(launched) -> str:
    with launched.app.app_context():
        return db.session.query(Network).filter_by(slug=SLUG).one().current_phase_key


def test_the_next_phase_confirmation_carries_the_phase_being_left(anna):
    page = anna.get(f"/networks/{SLUG}/actions/advance").get_data(as_text=True)
    assert '<input type="hidden" name="phase" value="voorbereiden">' in page


def test_a_double_click_on_next_phase_moves_the_network_one_phase_only(anna, launched):
    first = anna.post(f"/networks/{SLUG}/actions/advance", data=LEAVING_PREPARING)
    assert "/runs/" in first.headers["Location"]
    second = anna.post(f"/networks/{SLUG}/actions/advance", data=LEAVING_PREPARING)
    assert second.status_code == 302 and second.headers["Location"].endswith(f"/networks/{SLUG}")
    assert _phase_of_the_network(launched) == "starten"
    page = anna.get(second.headers["Location"]).get_data(as_text=True)
    assert "Het netwerk is al in de fase Starten; er is niets veranderd." in page
    with launched.app.app_context():
        assert db.session.query(EngineRun).filter_by(kind="advance").count() == 1


def test_next_phase_from_a_form_without_the_phase_being_left_changes_nothing(anna, launched):
    response = anna.post(f"/networks/{SLUG}/actions/advance")
    assert response.headers["Location"].endswith(f"/networks/{SLUG}")
    assert _phase_of_the_network(launched) == "voorbereiden"
    assert "De pagina was verouderd; er is niets veranderd." in anna.get(f"/networks/{SLUG}").get_data(as_text=True)


def test_a_second_next_phase_queued_before_the_first_ran_changes_nothing(anna, launched):
    """With a worker of its own both clicks can be queued before either runs: the worker checks the phase too."""
    from extension.dashboard import actions

    with launched.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        runs = [EngineRun(network_id=network.id, kind="advance", status="queued", params=dict(LEAVING_PREPARING),
                          total=0, done=0, failed=0) for _ in range(2)]
        db.session.add_all(runs)
        db.session.commit()
        for run in runs:
            actions.run_action(run.id)
        second = db.session.get(EngineRun, runs[1].id)
        assert (second.status, str(engine.progress(network.id, second.id).message)) == (
            "done", "Het netwerk is al in de fase Starten; er is niets veranderd.")
    assert _phase_of_the_network(launched) == "starten"


def test_ending_an_ended_network_again_says_so_instead_of_starting_a_run(anna, launched):
    first = anna.post(f"/networks/{SLUG}/actions/end")
    assert anna.get(first.headers["Location"] + ".json").get_json()["status"] == "done"
    for kind in ("end", "advance", "launch", "add_member"):
        again = anna.post(f"/networks/{SLUG}/actions/{kind}", data=LEAVING_PREPARING)
        assert again.headers["Location"].endswith(f"/networks/{SLUG}"), kind
        page = anna.get(again.headers["Location"]).get_data(as_text=True)
        assert "Het netwerk &#39;Doorgaande lijn Taal Zuilen&#39; is beëindigd; er is niets veranderd." in page, kind
    with launched.app.app_context():
        assert db.session.query(EngineRun).filter(EngineRun.account_id.is_not(None)).count() == 1


def test_trying_a_failed_next_phase_again_finishes_it_without_moving_on_once_more(anna, launched):
    school = launched.sandbox.org("b")
    school.faults.fail_next(503, count=50)
    run_url = anna.post(f"/networks/{SLUG}/actions/advance", data=LEAVING_PREPARING).headers["Location"]
    school.faults.reset()
    assert anna.get(run_url + ".json").get_json()["status"] == "failed"
    retried = anna.post(run_url + "/retry").headers["Location"]
    assert anna.get(retried + ".json").get_json()["status"] == "done"
    assert _phase_of_the_network(launched) == "starten"


def test_the_confirmation_pages_are_titled_in_words(anna):
    for kind, dutch, english in (("add_member", "Een lid toevoegen", "Adding a member"),
                                 ("remove_member", "Een lid verwijderen", "Removing a member")):
        page = anna.get(f"/networks/{SLUG}/actions/{kind}?lang=nl").get_data(as_text=True)
        assert f"<h1>{dutch}</h1>" in page and f"<title>{dutch} ·" in page, kind
        assert f"<h1>{english}</h1>" in anna.get(f"/networks/{SLUG}/actions/{kind}?lang=en").get_data(as_text=True)


def test_launching_an_ended_network_names_it_and_its_state_in_words(anna, launched):
    """A launch queued before the network was ended: the worker refuses it with the network's name."""
    from extension.dashboard import actions

    anna.post(f"/networks/{SLUG}/actions/end")
    with launched.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        run = EngineRun(network_id=network.id, kind="launch", status="queued", params={}, total=0, done=0, failed=0)
        db.session.add(run)
        db.session.commit()
        actions.run_action(run.id)
        run_id = run.id
    page = anna.get(f"/networks/{SLUG}/runs/{run_id}").get_data(as_text=True)
    assert ("Het netwerk &#39;Doorgaande lijn Taal Zuilen&#39; is beëindigd (gearchiveerd); het wordt niet opnieuw "
            "gestart.") in page


KEES = {"name": "Kees", "email": "kees@regenboog.example", "organisation": "basisschool-de-regenboog",
        "role": "deelnemer"}


def test_a_new_member_that_does_not_fit_the_network_stays_on_the_form_with_the_reason_next_to_the_field(
        anna, launched):
    cases = [
        (dict(KEES, organisation="nope"), "organisation", "onbekende organisatie &#39;nope&#39;"),
        (dict(KEES, role="kartrekker"), "role", "het netwerk heeft al een kartrekker (Anna de Vries)"),
        (dict(KEES, email="ANNA@zonnebloem.example"), "email", "ANNA@zonnebloem.example is al lid van netwerk"),
        (dict(KEES, email="bram@zonnebloem.example", organisation="kinderopvang-de-zonnebloem", user="bram"),
         "email", "bram@zonnebloem.example is al lid van netwerk"),
        (dict(KEES, organisation="peuterspeelzaal-het-kompas", user="iris2"), "user",
         "Peuterspeelzaal Het Kompas heeft geen Nextcloud; laat de gebruikersnaam leeg"),
        (dict(KEES, user="../../x"), "user", "&#39;../../x&#39; is geen Nextcloud-gebruikersnaam"),
    ]
    for form, field, message in cases:
        response = anna.post(f"/networks/{SLUG}/actions/add_member?lang=nl", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, form
        assert message in page, (form, page[page.find('class="error"') - 300:][:600])
        for code_name in ("email:", "role:", "user:", "organisation:"):
            assert code_name not in page
        if field not in ("organisation", "role"):
            assert f'<span class="error" id="e-{field}">' in page, form
        assert 'value="Kees"' in page
    with launched.app.app_context():
        assert db.session.query(EngineRun).filter_by(kind="add-member").count() == 0
