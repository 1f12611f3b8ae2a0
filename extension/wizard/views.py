"""The wizard's pages: thin handlers that store the posted step in the draft and show the next one."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _

from connectors.errors import NextcloudError
from extension.accounts.service import nextcloud_client
from extension.advice.service import DURATIONS, GOALS
from extension import engine
from extension.dashboard import actions
from extension.dashboard.access import require_account_holder
from extension.dashboard.models import WizardDraft
from extension.extensions import db
from extension.network_templates import SourceError
from extension.networks.schedule import REGIONS, WEEKDAYS
from extension.organisations.models import Organisation
from extension.wizard import forms, service
from extension.yaml_source import MAX_YAML_BYTES

bp = Blueprint("wizard", __name__)


@bp.before_request
def signed_in():
    return require_account_holder()


def _draft(draft_id: int) -> WizardDraft:
    """The signed-in kartrekker's draft, its data in the shapes the pages read. Once launched (or while its
    launch is queued or running), the kartrekker is sent to the network instead: a second click on Lanceren
    or an old link must not start it again."""
    draft = db.session.get(WizardDraft, draft_id)
    if draft is None or draft.account_id != g.account.id:
        abort(404)
    network = draft.network if draft.network_id is not None else None
    if network is not None:
        run = engine.progress(network.id)
        if network.status != "draft" or (run is not None and run.kind == "launch"):
            flash(_("This network has already been launched; here is how it is going."), "success")
            if run is not None and not run.finished:
                abort(redirect(url_for("dashboard.progress", slug=network.slug, run_id=run.run_id)))
            abort(redirect(url_for("dashboard.show", slug=network.slug)))
    data, _wrong = service.clean(draft.data)
    if data != draft.data:
        draft.data = data
        db.session.commit()
    return draft


@bp.get("/networks/new")
def start():
    from extension.dashboard.service import drafts_of

    return render_template("wizard/start.html", drafts=drafts_of(g.account))


@bp.post("/networks/new")
def create():
    draft = service.new_draft(g.account)
    return redirect(url_for("wizard.step", draft_id=draft.id, number=1))


@bp.post("/networks/new/upload")
def upload():
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Choose a network file (.yml) first."), "error")
        return redirect(url_for("wizard.start"))
    # One byte more than a network file may have, so that a larger upload is refused without reading it all.
    draft, error = service.draft_from_yaml(g.account, file.read(MAX_YAML_BYTES + 1), file.filename)
    if error:
        flash(error, "error")
        return redirect(url_for("wizard.start"))
    flash(_("The network file has been read; check the steps."), "success")
    # The first step the file fills in, with its problems next to the fields (an impossible date, say).
    return redirect(url_for("wizard.step", draft_id=draft.id, number=draft.step, check=1))


@bp.get("/networks/new/<int:draft_id>/<int:number>")
def step(draft_id: int, number: int):
    draft = _draft(draft_id)
    if not 1 <= number <= len(service.STEPS):
        abort(404)
    errors = service.errors_for_step(current_app, draft, number) if request.args.get("check") else {}
    return _render(draft, number, errors)


def _render(draft: WizardDraft, number: int, errors: dict, status: int = 200, review=None):
    app = current_app._get_current_object()
    organisations = db.session.query(Organisation).order_by(Organisation.name).all()
    context = dict(draft=draft, data=draft.data, number=number, steps=service.STEPS, errors=errors,
                   organisations=organisations, regions=REGIONS, weekdays=WEEKDAYS[:5])
    if number == 1:
        context.update(advice=service.advice_for(draft.data.get("_form") or {}), goals=GOALS, durations=DURATIONS)
    elif number == 2:
        context["templates"] = service.template_choices(app)
    elif number == 3:
        context["template"] = service.template_of(app, draft)
    elif number == 4:
        context["mix"] = service.mix_advice(draft)
        context["searchable"] = [o for o in organisations if o.has_nextcloud and (
            o.id == g.account.organisation_id or o.connection is not None)]
    elif number == 5:
        context["involved"] = forms.involved_organisations(draft, organisations)
    elif number == 6:
        # Listed by step and label, each with a link back to its step.
        listed = service.listed_problems(app, draft) if review is None else []
        if review is None and not listed and not errors:
            review = service.review(app, draft)
        context.update(review=review, listed=listed, errors=errors)
    return render_template(f"wizard/step{number}.html", **context), status


@bp.post("/networks/new/<int:draft_id>/<int:number>")
def save(draft_id: int, number: int):
    draft = _draft(draft_id)
    if not 1 <= number <= len(service.STEPS):
        abort(404)
    app = current_app._get_current_object()
    service.discard_network(draft)
    action = request.form.get("go", "next")
    if action == "enter":
        # Enter pressed in a field (the form's first, hidden button): what that field's own button does.
        action = forms.enter_action(draft.data, request.form)
    draft.data = forms.apply(number, dict(draft.data), request.form)
    if action == "search":
        draft.data = {**draft.data, "_search": _sharee_search(request.form)}
        db.session.commit()
        return redirect(url_for("wizard.step", draft_id=draft.id, number=4) + "#search")
    if action == "back":
        draft.step = max(number - 1, 1)
        db.session.commit()
        return redirect(url_for("wizard.step", draft_id=draft.id, number=draft.step))
    db.session.commit()
    if action in ("add_member", "remove_member", "stay") or action.startswith("pick-"):
        return redirect(url_for("wizard.step", draft_id=draft.id, number=number) + "#members")
    errors = service.errors_for_step(app, draft, number) if number > 1 else {}
    if errors:
        return _render(draft, number, errors, 422)
    draft.step = min(number + 1, len(service.STEPS))
    db.session.commit()
    return redirect(url_for("wizard.step", draft_id=draft.id, number=draft.step))


@bp.post("/networks/new/<int:draft_id>/search")
def search(draft_id: int):
    """Look people up in an organisation's Nextcloud (sharee search) — only when the kartrekker asks."""
    draft = _draft(draft_id)
    service.discard_network(draft)
    # The members typed so far are saved with the search, so nothing is lost.
    data = forms.apply(4, dict(draft.data), request.form) if "member_count" in request.form else dict(draft.data)
    data["_search"] = _sharee_search(request.form)
    draft.data = data
    db.session.commit()
    return redirect(url_for("wizard.step", draft_id=draft.id, number=4) + "#search")


def _sharee_search(form) -> dict:
    """The sharee search the form asks for (`q` in `search_organisation`), as the draft keeps it."""
    query = (form.get("q") or "").strip()
    slug = form.get("search_organisation", "")
    organisation = db.session.query(Organisation).filter_by(slug=slug).first()
    found = {"q": query, "organisation": organisation.slug if organisation else "", "results": [], "error": None}
    if organisation is None or not organisation.has_nextcloud or len(query) < 2:
        found["error"] = _("Choose an organisation with Nextcloud and type at least two characters.")
        return found
    account = g.account if organisation.id == g.account.organisation_id else organisation.connection
    if account is None:
        found["error"] = _("%(org)s is not connected to the app yet; searching there is not possible.",
                           org=organisation.name)
        return found
    try:
        sharees = nextcloud_client(current_app._get_current_object(), account).ocs.search_sharees(
            query, share_types=(0,))
    except NextcloudError as exc:
        found["error"] = _("Searching the Nextcloud of %(org)s did not work (%(error)s).", org=organisation.name,
                           error=str(exc))
    else:
        found["results"] = [{"name": s.label, "user": s.share_with,
                             "email": s.unique if s.unique and "@" in s.unique else ""}
                            for s in sharees if s.kind == "users"][:20]
    return found


@bp.get("/networks/new/<int:draft_id>/network.yml")
def download(draft_id: int):
    draft = _draft(draft_id)
    name = (draft.data.get("name") or "netwerk").strip() or "netwerk"
    from slugify import slugify

    return Response(service.to_yaml(draft), mimetype="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="{slugify(name) or "netwerk"}.yml"'})


@bp.post("/networks/new/<int:draft_id>/launch")
def launch(draft_id: int):
    draft = _draft(draft_id)
    app = current_app._get_current_object()
    if service.problems(app, draft):
        return _render(draft, 6, {}, 422)
    if draft.network is None:
        try:
            service.review(app, draft)
        except SourceError as exc:
            return _render(draft, 6, {"": str(exc)}, 422)
    network = draft.network
    run = actions.start(network, "launch", g.account.id)
    return redirect(url_for("dashboard.progress", slug=network.slug, run_id=run.id))
