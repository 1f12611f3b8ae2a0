"""Signing in as each kind of person through the app's real routes, and posting forms with their CSRF token."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.extension.connected import sign_in_at_nextcloud

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def csrf_token(client, page: str = "/auth/login") -> str | None:
    """The CSRF token of the client's session, read from a page's form (None when the app has none)."""
    match = _TOKEN.search(client.get(page).get_data(as_text=True))
    return (match.group(1) or match.group(2)) if match else None


def post_form(client, url: str, data: dict | None = None, page: str = "/auth/login", **kwargs):
    """POST like the browser does: with the form's CSRF token."""
    token = csrf_token(client, page)
    return client.post(url, data={**(data or {}), **({"csrf_token": token} if token else {})}, **kwargs)


def sign_in(client, organisation_slug: str, uid: str, password: str | None = None):
    """The whole code flow through the app and the sandbox's login and grant pages; returns the home page."""
    start = post_form(client, f"/auth/login/{organisation_slug}")
    assert start.status_code == 302, start.get_data(as_text=True)[:300]
    back = sign_in_at_nextcloud(start.location, uid, password or uid)
    parts = urlsplit(back)
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=True)


def signed_in_client(app, account_id: int | None = None, link_id: int | None = None):
    """A test client with a live server-side session for an account or a personal link, as after signing in."""
    import hashlib
    import secrets

    from extension.auth.models import WebSession
    from extension.extensions import db
    from extension.links.models import PersonalLink

    raw = secrets.token_urlsafe(32)
    with app.app_context():
        version = db.session.get(PersonalLink, link_id).version if link_id else None
        db.session.add(WebSession(id=hashlib.sha256(raw.encode()).hexdigest(), account_id=account_id,
                                  link_id=link_id, link_version=version))
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = raw
    return client
