"""A participant signs in with their own Nextcloud account, in a real browser, through the OAuth2 pages."""
import re

import pytest
from slugify import slugify

from extension.organisations import service as organisations
from tests.extension.connected import demo_org

pytestmark = pytest.mark.browser


def add_sandbox_organisation(app, sandbox, key):
    demo, org = demo_org(key), sandbox.org(key)
    client_id, secret = org.register_client("Lerend Netwerk", redirect_uri=app.config["APP_URL"] + "/oauth/callback")
    with app.app_context():
        organisations.add_organisation(organisations.OrganisationInput(
            name=demo.name, kind=demo.kind, nextcloud_url=org.base_url, client_id=client_id,
            client_secret=secret, connection_user=demo.connection_user))
    return demo


def test_participant_signs_in_through_nextcloud_and_sees_their_name_in_dutch(live_app, sandbox, page):
    demo = add_sandbox_organisation(live_app, sandbox, "b")
    user = demo.users[1]
    page.goto(live_app.config["APP_URL"] + "/")
    page.get_by_role("link", name="Inloggen").first.click()
    page.get_by_role("button", name=demo.name).click()
    # now on the sandbox's Nextcloud login and grant pages
    page.fill("input[name=user]", user.uid)
    page.fill("input[name=password]", user.password)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("button", name="Toegang verlenen").click()
    page.wait_for_url(re.compile(re.escape(live_app.config["APP_URL"]) + r"/$"))
    assert f"Welkom, {user.display_name}." in page.inner_text("main")
    assert user.display_name in page.inner_text("header")
    page.get_by_role("button", name="Uitloggen").click()
    assert page.get_by_role("link", name="Inloggen").first.is_visible()


def test_organisation_connection_only_accepts_the_designated_account(live_app, sandbox, page):
    demo = add_sandbox_organisation(live_app, sandbox, "a")
    admin, someone_else = demo.users[0], demo.users[1]
    live_app.config["ADMINS"] = [f"{slugify(demo.name)}:{admin.uid}"]
    page.goto(live_app.config["APP_URL"] + "/?lang=en")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_role("button", name=demo.name).click()
    page.fill("input[name=user]", admin.uid)
    page.fill("input[name=password]", admin.password)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("button", name="Toegang verlenen").click()
    page.goto(live_app.config["APP_URL"] + "/admin/organisations")
    page.get_by_role("button", name=f"Connect as {demo.connection_user}").click()
    page.fill("input[name=user]", someone_else.uid)
    page.fill("input[name=password]", someone_else.password)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("button", name="Toegang verlenen").click()
    page.wait_for_url(re.compile(r".*/auth/login$"))
    assert f"Only the account {demo.connection_user} may connect" in page.inner_text("main")
    page.goto(live_app.config["APP_URL"] + "/admin/organisations")
    assert "Not connected" in page.inner_text("table")
