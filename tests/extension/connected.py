"""Helpers for tests that need an organisation with an account connected to a sandbox organisation."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import requests
from slugify import slugify

from connectors.oauth import Token
from extension.accounts.service import store_token
from extension.organisations import service as organisations
from sandbox.demo import DEMO_ORGS


def demo_org(key: str = "a"):
    return next(o for o in DEMO_ORGS if o.key == key)


def connect_account(app, sandbox, key: str = "a", uid: str | None = None) -> int:
    """Store a token for `uid` of sandbox org `key`; the organisation (with the app registered as its
    OAuth client) is added on first use and reused after that."""
    demo = demo_org(key)
    org = sandbox.org(key)
    uid = uid or demo.users[0].uid
    with app.app_context():
        organisation = organisations.get_by_slug(slugify(demo.name))
        if organisation is None:
            client_id, client_secret = org.register_client(
                "Lerend Netwerk", redirect_uri=app.config["APP_URL"] + "/oauth/callback")
            organisation = organisations.add_organisation(organisations.OrganisationInput(
                name=demo.name, kind=demo.kind, nextcloud_url=org.base_url, client_id=client_id,
                client_secret=client_secret, connection_user=demo.connection_user))
        token = Token.from_response(org.issue_token(uid, organisation.client_id))
        return store_token(organisation, token).id

class _FormParser(HTMLParser):
    """Collects the first form's action and its input values (the sandbox's login and grant pages)."""

    def __init__(self):
        super().__init__()
        self.action, self.fields, self._in_form = None, {}, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action, self._in_form = attrs.get("action", ""), True
        elif tag in ("input", "button") and self._in_form and attrs.get("name"):
            self.fields.setdefault(attrs["name"], attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False


def sign_in_at_nextcloud(authorize_url: str, uid: str, password: str) -> str:
    """Walk the sandbox's authorize → login → grant pages like a browser; return the redirect to the app."""
    session = requests.Session()
    response = session.get(authorize_url, timeout=10)
    for values in ({"user": uid, "password": password}, {}):
        parser = _FormParser()
        parser.feed(response.text)
        assert parser.action is not None, f"no form on {response.url}: {response.text[:300]}"
        response = session.post(urljoin(response.url, parser.action), data={**parser.fields, **values},
                                allow_redirects=False, timeout=10)
        if response.is_redirect and "/oauth/callback" in response.headers["Location"]:
            return response.headers["Location"]
        if response.is_redirect:
            response = session.get(urljoin(response.url, response.headers["Location"]), timeout=10)
    raise AssertionError(f"the sandbox never redirected back to the app (last page {response.url})")
