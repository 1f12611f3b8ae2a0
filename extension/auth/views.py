"""Signing in with one's own Nextcloud, authorising an organisation connection (OAuth2 code flow), signing out."""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from connectors.errors import NextcloudError
from extension.accounts import service as accounts
from extension.auth.identity import Person
from extension.auth.sessions import current_session, end_session, start_session
from extension.jobs import job_queue
from extension.organisations import service as organisations

bp = Blueprint("auth", __name__)


@bp.before_app_request
def load_person():
    """g.person (and g.account / g.link) from the server-side session the cookie names."""
    g.account = g.link = g.person = None
    if request.endpoint in ("static", "health.healthz"):
        return
    row = current_session()
    if row is None:
        return
    if row.account_id is not None and row.account is not None:
        g.account = row.account
        g.person = Person(account=row.account)
    elif row.link is not None:
        g.link = row.link
        g.person = Person(link=row.link)


@bp.get("/auth/login")
def login():
    choices = [o for o in organisations.list_organisations() if o.has_nextcloud]
    return render_template("auth/login.html", organisations=choices)


@bp.post("/auth/login/<slug>")
def start(slug: str):
    return _start_flow(slug, accounts.PERSON)


@bp.post("/organisations/<slug>/connect")
def connect_organisation(slug: str):
    # Open to anyone on purpose: only the organisation's functional account can complete it (the callback
    # checks the token's user), and that account may not be signed in to this app yet.
    return _start_flow(slug, accounts.ORGANISATION)


def _start_flow(slug: str, purpose: str):
    organisation = organisations.get_by_slug(slug)
    if organisation is None or not organisation.has_nextcloud:
        abort(404)
    state = secrets.token_urlsafe(32)
    session["oauth_flow"] = {"state": state, "org": slug, "purpose": purpose}
    return redirect(accounts.oauth_client(current_app, organisation).authorization_url(state))


@bp.get("/oauth/callback")
def callback():
    flow = session.pop("oauth_flow", None)
    organisation = organisations.get_by_slug(flow["org"]) if flow else None
    # As bytes: compare_digest refuses a str with non-ASCII characters, and a state is whatever the URL says.
    if organisation is None or not secrets.compare_digest(flow["state"].encode(),
                                                          request.args.get("state", "").encode()):
        flash(_("The sign-in could not be completed: it was not started here or has expired. Please try again."), "error")
        return redirect(url_for("auth.login"))
    if request.args.get("error"):
        flash(_("Nextcloud refused the sign-in (%(error)s).", error=request.args["error"][:100]), "error")
        return redirect(url_for("auth.login"))
    code = request.args.get("code")
    if not code:
        flash(_("Nextcloud sent no sign-in code back, so the sign-in could not be completed. Please sign in again."),
              "error")
        return redirect(url_for("auth.login"))
    try:
        account = accounts.connect(current_app, organisation, code, flow["purpose"])
    except accounts.WrongConnectionAccount as exc:
        flash(_("Only the account %(user)s may connect %(org)s; you signed in as %(other)s.",
                user=exc.organisation.connection_user, org=organisation.name, other=exc.user_id), "error")
        return redirect(url_for("auth.login"))
    except NextcloudError as exc:
        current_app.logger.warning("sign-in at %s failed: %s", organisation.slug, exc)
        flash(_("Nextcloud of %(org)s could not complete the sign-in. Please try again.", org=organisation.name), "error")
        return redirect(url_for("auth.login"))
    # The account that authorised is signed in; the functional account is an admin (extension.auth.is_admin).
    start_session(account=account)
    if flow["purpose"] == accounts.ORGANISATION:
        job_queue().enqueue("catch_up_organisation", organisation.id)
        flash(_("%(org)s is connected.", org=organisation.name), "success")
        return redirect(url_for("admin.organisations"))
    flash(_("Welcome, %(name)s.", name=account.display_name), "success")
    return redirect(url_for("home.index"))


@bp.post("/auth/logout")
def logout():
    end_session()
    return redirect(url_for("home.index"))
