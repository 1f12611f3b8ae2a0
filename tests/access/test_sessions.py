"""Sessions live on the server: signing out ends every copy of the cookie; nothing secret reaches the logs."""
from __future__ import annotations

from extension.accounts.models import Account
from extension.extensions import db
from extension.organisations import service as organisations
from extension.organisations.models import Organisation
from tests.access.helpers import post_form, sign_in
from tests.networks.conftest import SCHOOL


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def test_a_copied_session_cookie_stops_working_when_its_owner_signs_out(sqlite_world):
    app = sqlite_world.app
    owner = app.test_client()
    assert "Welkom, Eva Smit." in sign_in(owner, SCHOOL, "eva").get_data(as_text=True)
    thief = app.test_client()
    thief.set_cookie("session", cookie_of(owner))
    assert "Hallo Eva Smit" in thief.get("/").get_data(as_text=True)
    assert post_form(owner, "/auth/logout", page="/").status_code == 302
    assert "Hallo Eva Smit" not in thief.get("/").get_data(as_text=True)
    assert "Inloggen" in thief.get("/").get_data(as_text=True)


def test_signing_in_again_starts_a_new_session_and_keeps_the_chosen_language(sqlite_world):
    client = sqlite_world.app.test_client()
    client.get("/?lang=en")
    sign_in(client, SCHOOL, "eva")
    first = cookie_of(client)
    sign_in(client, SCHOOL, "eva")
    assert cookie_of(client) != first
    assert "Sign out" in client.get("/").get_data(as_text=True)


def test_no_token_secret_or_code_reaches_the_log_output(sqlite_world, capfd):
    app = sqlite_world.app
    client = app.test_client()
    sign_in(client, SCHOOL, "eva")
    output = capfd.readouterr()
    with app.app_context():
        organisation = db.session.query(Organisation).filter_by(slug=SCHOOL).one()
        account = db.session.query(Account).filter_by(organisation_id=organisation.id, user_id="eva").one()
        secrets = [organisation.client_secret, account.access_token, account.refresh_token]
    assert all(secrets)
    for secret in secrets:
        assert secret not in output.out and secret not in output.err



def started_here(app):
    """A client whose sign-in at De Zonnebloem was started here, with the state "begonnen-hier"."""
    with app.app_context():
        if organisations.get_by_slug("de-zonnebloem") is None:
            organisations.add_organisation(organisations.OrganisationInput(
                name="De Zonnebloem", nextcloud_url="https://cloud.zonnebloem.example", client_id="id",
                client_secret="geheim"))
    client = app.test_client()
    with client.session_transaction() as session:
        session["oauth_flow"] = {"state": "begonnen-hier", "org": "de-zonnebloem", "purpose": "person"}
    return client


def test_a_wrong_state_in_any_characters_sends_back_to_sign_in_with_the_dutch_message(sqlite_app):
    for state in ("%C3%A9", "%F0%9F%98%80", "vervalst", ""):
        page = started_here(sqlite_app).get(f"/oauth/callback?state={state}&code=x", follow_redirects=True)
        assert page.request.path == "/auth/login", state
        assert "Het inloggen kon niet worden afgerond: het is niet hier gestart" in page.get_data(as_text=True), state


def test_a_callback_without_a_code_sends_back_to_sign_in_with_a_dutch_message(sqlite_app):
    page = started_here(sqlite_app).get("/oauth/callback?state=begonnen-hier", follow_redirects=True)
    assert page.request.path == "/auth/login"
    assert "Nextcloud stuurde geen inlogcode terug" in page.get_data(as_text=True)
