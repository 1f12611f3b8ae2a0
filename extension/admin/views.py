"""The admins' pages: organisations and their connections, templates (broken ones with the reason), health
and jobs. Pages render from the database and the queue's store; checks run only when an admin asks."""
from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from extension.admin import checks
from extension.admin.jobs import FAILED, QUEUED, RUNNING, JobRun, recent
from extension.auth.identity import admin_only
from extension.extensions import db
from extension.health.readiness import run_checks
from extension.jobs import job_queue
from extension.mail import mail_configured
from extension.network_templates import scan_templates, templates_dir
from extension.organisations import service

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@admin_only
def index():
    return render_template("admin/index.html", mail=mail_configured(current_app))


@bp.get("/organisations")
@admin_only
def organisations():
    return render_template("admin/organisations.html", organisations=service.list_organisations(),
                           redirect_uri=service.redirect_uri(current_app.config["APP_URL"]), form={}, error=None)


@bp.post("/organisations")
@admin_only
def add_organisation():
    form = {key: request.form.get(key, "").strip() for key in ("name", "kind", "nextcloud_url", "client_id",
                                                                "connection_user")}
    data = service.OrganisationInput(
        name=form["name"], kind=form["kind"] or "anders", nextcloud_url=form["nextcloud_url"] or None,
        client_id=form["client_id"] or None, client_secret=request.form.get("client_secret") or None,
        connection_user=form["connection_user"] or service.OrganisationInput.connection_user)
    try:
        organisation = service.add_organisation(data)
    except service.InvalidOrganisation as exc:
        db.session.rollback()
        return render_template("admin/organisations.html", organisations=service.list_organisations(),
                               redirect_uri=service.redirect_uri(current_app.config["APP_URL"]), form=form,
                               error=exc), 400
    flash(_("%(org)s is added. Connect it now as %(user)s.", org=organisation.name,
            user=organisation.connection_user), "success")
    return redirect(url_for("admin.organisations"))


@bp.get("/templates")
@admin_only
def templates():
    catalogue = scan_templates(templates_dir(current_app))
    return render_template("admin/templates.html", catalogue=catalogue)


@bp.get("/health")
@admin_only
def health():
    checked = current_app.extensions.get("ln_admin_health")
    return render_template("admin/health.html", app_checks=run_checks(current_app), checked=checked)


@bp.post("/health")
@admin_only
def check_now():
    """The organisations' checks call their Nextclouds, so they run when asked, never while a page renders."""
    report = checks.run(current_app._get_current_object())
    current_app.extensions["ln_admin_health"] = {"at": time.time(), "report": report}
    return redirect(url_for("admin.health"))


@bp.get("/jobs")
@admin_only
def jobs():
    queue = job_queue()
    waiting = queue.huey.pending()
    return render_template("admin/jobs.html", waiting=waiting, queued=recent(QUEUED), running=recent(RUNNING),
                           failed=recent(FAILED))


@bp.post("/jobs/<job_id>/retry")
@admin_only
def retry(job_id: str):
    row = db.session.get(JobRun, job_id)
    if row is None or row.state != FAILED:
        abort(404)
    job_queue().enqueue(row.name, *row.args)
    row.state = "retried"
    db.session.commit()
    flash(_("The job %(name)s is queued again.", name=row.name), "success")
    return redirect(url_for("admin.jobs"))
