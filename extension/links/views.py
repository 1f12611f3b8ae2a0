"""Opening a personal link: a valid one signs its holder in; an expired or revoked one offers a new one."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from extension.auth.sessions import start_session
from extension.jobs import job_queue
from extension.links import service as links
from extension.mail import mail_configured
from extension.networks.models import as_utc
from extension.organisations.models import utcnow

bp = Blueprint("links", __name__)

RESEND_AFTER = timedelta(minutes=15)


@bp.get("/l/<token>")
def open_link(token: str):
    link, state = links.resolve(token)
    if link is None:
        abort(404)
    if state == links.VALID:
        start_session(link=link)
        # To a page without the token: it stays out of the history, the Referer header and access logs.
        return redirect(url_for("home.index"))
    return render_template("links/unusable.html", state=state, token=token, link=link), 410


@bp.post("/l/<token>/new")
def new_link(token: str):
    link, state = links.resolve(token)
    if link is None:
        abort(404)
    if state == links.VALID:
        return redirect(url_for("links.open_link", token=token))
    if not mail_configured(current_app):
        flash(_("This app cannot send e-mail yet. Ask the network's kartrekker for a new link."), "error")
        return render_template("links/unusable.html", state=state, token=token, link=link), 410
    # One mail per quarter of an hour at most: an old link cannot be used to flood the person's mailbox.
    if link.sent_at is None or utcnow() - as_utc(link.sent_at) >= RESEND_AFTER:
        job_queue().enqueue("send_new_link", link.id)
    return render_template("links/sent.html", link=link)
