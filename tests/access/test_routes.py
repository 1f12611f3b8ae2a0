"""Every route × every kind of person: the status each gets. The table must name every route of the app, so
a new route cannot be added without saying who may use it."""
from __future__ import annotations

import re

import pytest

from extension.accounts.models import Account
from extension.extensions import db
from extension.networks.models import EngineRun, Network
from extension.wizard.service import new_draft
from tests.access.conftest import HOST, ROLES, SLUG
from extension.routing import MAX_ID
from tests.access.helpers import csrf_token, signed_in_client
from tests.access.test_admin import account

# Who is signed in as what (tests/access/conftest.py): participant bram, manager daan (of the host),
# kartrekker anna, admin = the host's functional account, other_network gert (member of another network
# only), valid_link Iris (member without Nextcloud), expired and revoked links (their sessions end with them).
ANON = {"anonymous": 302, "expired_link": 302, "revoked_link": 302}


def everyone(status):
    return dict.fromkeys(ROLES, status)


def signed_in(status_for_person, **per_role):
    """Anonymous (and stopped links) are sent to sign in; the others get `status_for_person` unless named."""
    return {**dict.fromkeys(ROLES, status_for_person), **ANON, **per_role}


ADMIN_ONLY = signed_in(403, admin=200)
ADMIN_POST = signed_in(403, admin=302)

# Kartrekker pages need one's own Nextcloud account: a personal link gets 403 on all of them.
ACCOUNTS = signed_in(200, valid_link=403)
ACCOUNTS_POST = signed_in(302, valid_link=403)
# A network's own pages: its kartrekker (anna) and the admins; everyone else 403.
MANAGERS = signed_in(403, kartrekker=200, admin=200)
MANAGERS_POST = signed_in(403, kartrekker=302, admin=302)
# A wizard draft belongs to the account that started it (anna's); other accounts do not find it.
OWN_DRAFT = signed_in(404, kartrekker=200, valid_link=403)

# endpoint: (method, path (formatted with the people's ids), form data, {role: status})
ROUTES = {
    "static": ("GET", "/static/app.css", None, everyone(200)),
    "health.healthz": ("GET", "/healthz", None, everyone(200)),
    "health.readyz": ("GET", "/readyz?organisations=false", None, everyone(200)),
    "home.index": ("GET", "/", None, everyone(200)),
    "auth.login": ("GET", "/auth/login", None, everyone(200)),
    "auth.start": ("POST", f"/auth/login/{HOST}", {}, everyone(302)),
    "auth.connect_organisation": ("POST", f"/organisations/{HOST}/connect", {}, everyone(302)),
    "auth.callback": ("GET", "/oauth/callback?state=forged&code=x", None, everyone(302)),
    "auth.logout": ("POST", "/auth/logout", {}, everyone(302)),
    "links.open_link": ("GET", "/l/{token}", None, {**everyone(302), "expired_link": 410, "revoked_link": 410}),
    # Without MAIL_HOST a new link cannot be sent: the page says so (410 as the link itself).
    "links.new_link": ("POST", "/l/{token}/new", {}, {**everyone(302), "expired_link": 410, "revoked_link": 410}),
    "participants.reply": ("POST", "/meetings/{meeting_id}/reply", {"partstat": "ACCEPTED"},
                           signed_in(302, other_network=404, admin=404)),
    "participants.task_done": ("POST", "/tasks/{participant_task_id}/done", {"done": "1"},
                               signed_in(404, participant=302)),
    "organisations.index": ("GET", "/organisations", None, everyone(301)),
    "organisations.show": ("GET", f"/organisations/{HOST}", None, signed_in(403, manager=200, admin=200)),
    "admin.index": ("GET", "/admin/", None, ADMIN_ONLY),
    "admin.organisations": ("GET", "/admin/organisations", None, ADMIN_ONLY),
    "admin.add_organisation": ("POST", "/admin/organisations", {"name": ""}, signed_in(403, admin=400)),
    "admin.templates": ("GET", "/admin/templates", None, ADMIN_ONLY),
    "admin.health": ("GET", "/admin/health", None, ADMIN_ONLY),
    "admin.check_now": ("POST", "/admin/health", {}, ADMIN_POST),
    "admin.jobs": ("GET", "/admin/jobs", None, ADMIN_ONLY),
    "admin.retry": ("POST", "/admin/jobs/unknown-job/retry", {}, signed_in(403, admin=404)),
    "dashboard.index": ("GET", "/networks", None, ACCOUNTS),
    "dashboard.show": ("GET", f"/networks/{SLUG}", None, MANAGERS),
    "dashboard.progress": ("GET", f"/networks/{SLUG}/runs/{{run_id}}", None, MANAGERS),
    "dashboard.progress_json": ("GET", f"/networks/{SLUG}/runs/{{run_id}}.json", None, MANAGERS),
    "dashboard.retry": ("POST", f"/networks/{SLUG}/runs/{{run_id}}/retry", {}, MANAGERS_POST),
    "dashboard.confirm": ("GET", f"/networks/{SLUG}/actions/sync", None, MANAGERS),
    # A member without name or address is refused (422) after the access check, so nothing starts.
    "dashboard.perform": ("POST", f"/networks/{SLUG}/actions/add_member", {},
                          signed_in(403, kartrekker=422, admin=422)),
    "dashboard.export_confirm": ("GET", f"/networks/{SLUG}/export", None, MANAGERS),
    "dashboard.export": ("POST", f"/networks/{SLUG}/export", {}, MANAGERS),
    "wizard.start": ("GET", "/networks/new", None, ACCOUNTS),
    "wizard.create": ("POST", "/networks/new", {}, ACCOUNTS_POST),
    # Without a file the page asks for one (back to the start).
    "wizard.upload": ("POST", "/networks/new/upload", {}, ACCOUNTS_POST),
    "wizard.step": ("GET", "/networks/new/{draft_id}/1", None, OWN_DRAFT),
    "wizard.save": ("POST", "/networks/new/{draft_id}/1", {"go": "stay"}, {**OWN_DRAFT, "kartrekker": 302}),
    "wizard.search": ("POST", "/networks/new/{draft_id}/search", {}, {**OWN_DRAFT, "kartrekker": 302}),
    "wizard.download": ("GET", "/networks/new/{draft_id}/network.yml", None, OWN_DRAFT),
    # The draft is not complete: the last step shows what is missing, nothing is launched.
    "wizard.launch": ("POST", "/networks/new/{draft_id}/launch", {}, {**OWN_DRAFT, "kartrekker": 422}),
}


def test_the_table_names_every_route_of_the_app(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set(), "say in ROUTES who may use these new routes"
    assert set(ROUTES) - endpoints == set(), "these routes no longer exist"


@pytest.fixture
def kartrekker_work(people) -> dict[str, int]:
    """Anna's wizard draft and a finished sync run on her network, for the routes that name one."""
    with people.app.app_context():
        draft = new_draft(db.session.get(Account, people.accounts["kartrekker"]))
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        run = EngineRun(network_id=network.id, account_id=people.accounts["kartrekker"], kind="sync", params={},
                        status="done", total=1, done=1, failed=0)
        db.session.add(run)
        db.session.commit()
        return {"draft_id": draft.id, "run_id": run.id}


def test_every_person_gets_the_expected_status_on_every_route(people, kartrekker_work):
    wrong = []
    for endpoint, (method, path, data, expected) in ROUTES.items():
        for role in ROLES:
            client = people.client(role)
            token = people.tokens.get(role, people.tokens["valid_link"])
            url = path.format(token=token, meeting_id=people.meeting_id,
                              participant_task_id=people.participant_task_id, **kartrekker_work)
            if method == "GET":
                response = client.get(url)
            else:
                form = dict(data or {})
                form["csrf_token"] = csrf_token(client)
                response = client.post(url, data=form)
            if response.status_code != expected[role]:
                wrong.append(f"{method} {endpoint} as {role}: {response.status_code}, expected {expected[role]}")
    assert wrong == []


@pytest.mark.parametrize("role", ["anonymous", "participant", "other_network", "valid_link"])
def test_no_organisation_data_for_anyone_but_managers_and_admins(people, role):
    page = people.client(role).get("/admin/organisations", follow_redirects=True).get_data(as_text=True)
    assert "OAuth" not in page and people.sandbox.org("a").base_url not in page


def test_a_number_in_any_route_beyond_what_the_database_holds_is_not_found(app):
    """Every `<int:...>` of every route, as an admin (who passes every access check): the largest id the database
    holds reaches the view, one more matches no route (404; 405 where the same path has a rule for another
    method, Werkzeug's answer before it checks the number)."""
    admin = signed_in_client(app, account(app, "De Zonnebloem", "lerend-netwerk"))
    token = csrf_token(admin, "/admin/")
    routes = [rule for rule in app.url_map.iter_rules() if re.search(r"<int:", rule.rule)]
    assert len(routes) >= 8
    wrong = []
    for rule in routes:
        method = "GET" if "GET" in rule.methods else "POST"
        for number, expected in ((MAX_ID, lambda status: status < 500), (MAX_ID + 1, lambda status: status in (404, 405)),
                                 (10**23, lambda status: status in (404, 405))):
            url = re.sub(r"<int:\w+>", str(number), re.sub(r"<(?!int:)[^>]+>", "x", rule.rule))
            response = admin.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            if not expected(response.status_code):
                wrong.append(f"{method} {url}: {response.status_code}")
    assert wrong == []
