"""The kartrekker's pages: the list of networks, a network's dashboard, its actions and their progress."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, g, jsonify, redirect, render_template, request,
                   url_for)

from extension import engine
from extension.i18n import Text
from extension.dashboard import actions, service
from extension.dashboard.access import require_account_holder, require_manager
from extension.dashboard.forms import check_member
from extension.extensions import db
from extension.networks import export as network_export
from extension.networks import members
from extension.networks.models import NetworkStatus, as_utc
from extension.networks.service import NetworkNotFound, get_network, local_zone
from extension.organisations.models import Organisation
from extension.pagination import requested_page
from extension.network_templates import ROLES

bp = Blueprint("dashboard", __name__)

# The actions a kartrekker can start from the dashboard; each has a confirmation page of its own.
ACTIONS = ("launch", "advance", "add_member", "remove_member", "sync", "repair", "end")
# An ended network takes none of them any more (the network page offers none): a second click on "end", or a
# page left open, is answered at once instead of with a failed run.
ENDED = (NetworkStatus.COMPLETED, NetworkStatus.ARCHIVED)


@bp.app_template_filter("localtime")
def localtime(moment) -> str:
    """A moment as the kartrekker reads it: day and time in the app's time zone."""
    return as_utc(moment).astimezone(local_zone(current_app)).strftime("%d-%m-%Y %H:%M")


@bp.app_template_filter("hours")
def hours(value: float) -> str:
    return f"{value:g}".replace(".", ",")


@bp.before_request
def signed_in():
    return require_account_holder()


def _network(slug: str):
    try:
        network = get_network(slug)
    except NetworkNotFound:
        abort(404)
    require_manager(network)
    return network


@bp.get("/networks")
def index():
    networks, page = service.network_list(g.account, requested_page())
    return render_template("dashboard/list.html", networks=networks, page=page,
                           drafts=service.drafts_of(g.account))


@bp.get("/networks/<slug>")
def show(slug: str):
    try:
        network = service.load_network(slug)
    except NetworkNotFound:
        abort(404)
    require_manager(network)
    board = service.dashboard(slug, g.account, network)
    run = board.latest_run
    return render_template("dashboard/show.html", board=board, network=board.network, status=board.status,
                           run=run if run is not None and not run.finished else None,
                           interrupted=run if run is not None and run.status == engine.INTERRUPTED else None)


@bp.get("/networks/<slug>/runs/<int:run_id>")
def progress(slug: str, run_id: int):
    network = _network(slug)
    run = _run(network, run_id)
    return render_template("dashboard/progress.html", network=network, run=run,
                           failed=service.run_failures(network.id, run))


@bp.get("/networks/<slug>/runs/<int:run_id>.json")
def progress_json(slug: str, run_id: int):
    network = _network(slug)
    return jsonify(service.run_view(_run(network, run_id)))


@bp.post("/networks/<slug>/runs/<int:run_id>/retry")
def retry(slug: str, run_id: int):
    """Try a run again: the same action with the same arguments; the engine resumes from its journal (what is
    done is only verified, what failed or never ran is made)."""
    network = _network(slug)
    run = _run(network, run_id)
    again = actions.start(network, actions.retry_action(run), g.account.id, **(run.params or {}))
    return redirect(url_for("dashboard.progress", slug=network.slug, run_id=again.id))


def _run(network, run_id: int) -> engine.RunProgress:
    """The network's run `run_id` as the engine recorded it; 404 for another network's run."""
    run = engine.progress(network.id, run_id)
    if run is None:
        abort(404)
    return run


@bp.get("/networks/<slug>/actions/<kind>")
def confirm(slug: str, kind: str):
    if kind not in ACTIONS:
        abort(404)
    network = _network(slug)
    return _confirmation(network, kind, {}, {})


def _confirmation(network, kind: str, values: dict, errors: dict, status: int = 200):
    loaded = service.load_network(network.slug)
    organisations = db.session.query(Organisation).order_by(Organisation.name).all()
    return render_template(
        "dashboard/confirm.html", network=loaded, kind=kind, values=values, errors=errors,
        open_tasks=service.open_tasks_of_current_phase(loaded), following=service.next_phase(loaded),
        today=service.today_local(), organisations=organisations, roles=[r for r in ROLES if r != "kartrekker"],
        removable=[m for m in loaded.memberships if m.role != "kartrekker"]), status


@bp.post("/networks/<slug>/actions/<kind>")
def perform(slug: str, kind: str):
    if kind not in ACTIONS:
        abort(404)
    network = _network(slug)
    refused = _refused(network, kind)
    if refused is not None:
        flash(str(refused), "error")
        return redirect(url_for("dashboard.show", slug=network.slug))
    params: dict = {}
    if kind == "advance":
        # The worker checks it again: a second run queued before the first one ran changes nothing either.
        params = {"phase": network.current_phase_key}
    elif kind == "add_member":
        values, errors = check_member(request.form)
        if not errors:
            errors = _member_errors(network, values)
        if errors:
            return _confirmation(network, kind, values, errors, 422)
        params = {k: v for k, v in values.items() if v}
    elif kind == "remove_member":
        email = request.form.get("email", "")
        if not any(m.email.casefold() == email.casefold() for m in network.memberships if m.role != "kartrekker"):
            return _confirmation(network, kind, {"email": email},
                                 {"email": str(Text("choose a member from the list"))}, 422)
        params = {"email": email}
    elif kind == "end":
        params = {"move_folder": request.form.get("move_folder") == "1"}
    run = actions.start(network, kind, g.account.id, **params)
    return redirect(url_for("dashboard.progress", slug=network.slug, run_id=run.id))


def _member_errors(network, values: dict) -> dict[str, str]:
    """What the network says to the new member (an unknown organisation, a second kartrekker, an e-mail address
    that is a member already, …), by field: the members service's own check, before the run is queued."""
    new = members.NewMember(name=values["name"], email=values["email"], organisation=values["organisation"],
                            user=values.get("user") or None, role=values.get("role") or "deelnemer",
                            expertise=values.get("expertise") or "")
    try:
        _, same = members.check_new_member(network, new)
    except members.MemberError as exc:
        return {exc.field or "name": str(exc.message)}
    if same is not None:  # the same person again: nothing to add
        return {"email": str(members.already_a_member(network, same, new.email))}
    return {}


def _refused(network, kind: str) -> Text | None:
    """Why `kind` is not started on `network` now (a double click, a page left open), or None."""
    if network.status in ENDED:
        return Text("The network '%(name)s' has ended; nothing has been changed.", name=network.name)
    if kind == "advance":
        left = request.form.get("phase")
        if left is None:  # a confirmation page from before the phase was part of the form
            return Text("The page was out of date; nothing has been changed. Check which phase the network is in "
                        "now and try again.")
        if left != network.current_phase_key:
            return actions.already_in(network)
    return None


@bp.get("/networks/<slug>/export")
def export_confirm(slug: str):
    network = _network(slug)
    return render_template("dashboard/export.html", network=network)


@bp.post("/networks/<slug>/export")
def export(slug: str):
    network = _network(slug)
    text = network_export.dumps(network_export.export_network(network.slug))
    return Response(text, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{network.slug}.json"'})
