"""Signing in over OAuth2 and authorising the organisation connection, against the sandbox's Nextcloud."""
from urllib.parse import urlsplit

from extension.accounts.models import Account
from extension.extensions import db
from extension.organisations import service as organisations
from tests.access.helpers import post_form
from tests.extension.connected import demo_org, sign_in_at_nextcloud


def add_org(app, sandbox, key="a"):
    demo, org = demo_org(key), sandbox.org(key)
    client_id, secret = org.register_client("Lerend Netwerk", redirect_uri=app.config["APP_URL"] + "/oauth/callback")
    with app.app_context():
        organisation = organisations.add_organisation(organisations.OrganisationInput(
            name=demo.name, kind=demo.kind, nextcloud_url=org.base_url, client_id=client_id,
            client_secret=secret, connection_user=demo.connection_user))
        return demo, organisation.slug


def callback_path(url):
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_sign_in_stores_the_account_with_its_nextcloud_identity(app, client, sandbox):
    demo, slug = add_org(app, sandbox)
    user = demo.users[0]
    start = post_form(client, f"/auth/login/{slug}")
    assert start.status_code == 302 and "/apps/oauth2/authorize" in start.location
    back = sign_in_at_nextcloud(start.location, user.uid, user.password)
    response = client.get(callback_path(back), follow_redirects=True)
    assert f"Welkom, {user.display_name}." in response.get_data(as_text=True)
    with app.app_context():
        account = db.session.query(Account).one()
        assert (account.user_id, account.display_name, account.email) == (user.uid, user.display_name, demo.email(user.uid))


def test_a_callback_with_a_foreign_state_is_refused(app, client, sandbox):
    demo, slug = add_org(app, sandbox)
    start = post_form(client, f"/auth/login/{slug}")
    back = sign_in_at_nextcloud(start.location, demo.users[0].uid, demo.users[0].password)
    forged = callback_path(back).replace("state=", "state=x")
    page = client.get(forged, follow_redirects=True).get_data(as_text=True)
    assert "niet hier gestart" in page
    with app.app_context():
        assert db.session.query(Account).count() == 0


def test_a_refused_grant_is_reported(app, client, sandbox):
    _, slug = add_org(app, sandbox)
    post_form(client, f"/auth/login/{slug}")
    with client.session_transaction() as session:
        state = session["oauth_flow"]["state"]
    page = client.get(f"/oauth/callback?state={state}&error=access_denied", follow_redirects=True)
    assert "heeft het inloggen geweigerd (access_denied)" in page.get_data(as_text=True)


def test_the_designated_account_connects_the_organisation(app, client, sandbox):
    demo, slug = add_org(app, sandbox)
    connection_user = next(u for u in demo.users if u.uid == demo.connection_user)
    start = post_form(client, f"/organisations/{slug}/connect")
    back = sign_in_at_nextcloud(start.location, connection_user.uid, connection_user.password)
    page = client.get(callback_path(back), follow_redirects=True).get_data(as_text=True)
    assert f"{demo.name} is verbonden." in page
    assert f"Verbonden als {demo.connection_user}" in page
    with app.app_context():
        organisation = organisations.get_by_slug(slug)
        assert organisation.connection_account.user_id == demo.connection_user
