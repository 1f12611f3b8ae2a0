"""The admins: who they are (ADMINS and the functional accounts), adding an organisation, retrying a failed job."""
from __future__ import annotations

import html

from slugify import slugify

from extension.accounts.models import Account
from extension.admin.jobs import FAILED, JobRun
from extension.auth import is_admin
from extension.extensions import db
from extension.organisations import service
from extension.organisations.models import Organisation
from tests.access.helpers import csrf_token, signed_in_client


def account(app, slug_name: str, user_id: str, nextcloud: bool = True) -> int:
    with app.app_context():
        organisation = service.get_by_slug(slugify(slug_name)) or service.add_organisation(service.OrganisationInput(
            name=slug_name, nextcloud_url="https://cloud.example.org" if nextcloud else None,
            client_id="id" if nextcloud else None, client_secret="geheim" if nextcloud else None))
        row = Account(organisation=organisation, user_id=user_id, display_name=user_id)
        db.session.add(row)
        db.session.commit()
        return row.id


def test_admins_are_the_listed_accounts_and_the_functional_accounts_only(sqlite_app):
    sqlite_app.config["ADMINS"] = ["de-zonnebloem:jan"]
    jan, piet, functional = (account(sqlite_app, "De Zonnebloem", uid) for uid in ("jan", "piet", "lerend-netwerk"))
    with sqlite_app.app_context():
        jan, piet, functional = (db.session.get(Account, i) for i in (jan, piet, functional))
        assert is_admin(jan) and is_admin(functional) and not is_admin(piet) and not is_admin(None)


def test_an_admin_adds_an_organisation_and_the_secret_is_never_shown_again(sqlite_app):
    admin = signed_in_client(sqlite_app, account(sqlite_app, "De Zonnebloem", "lerend-netwerk"))
    form = {"name": "Basisschool De Regenboog", "kind": "basisschool", "nextcloud_url": "https://cloud.regenboog.nl",
            "client_id": "abc", "client_secret": "zeer-geheim", "connection_user": "lerend-netwerk"}
    refused = admin.post("/admin/organisations", data={**form, "nextcloud_url": "geen-url",
                                                      "csrf_token": csrf_token(admin, "/admin/organisations")})
    assert refused.status_code == 400 and "zeer-geheim" not in refused.get_data(as_text=True)
    added = admin.post("/admin/organisations", data={**form, "csrf_token": csrf_token(admin, "/admin/organisations")},
                       follow_redirects=True)
    page = added.get_data(as_text=True)
    assert "Basisschool De Regenboog is toegevoegd" in page and "zeer-geheim" not in page
    assert 'type="password"' in page
    with sqlite_app.app_context():
        assert db.session.query(Organisation).filter_by(slug="basisschool-de-regenboog").one().client_secret == "zeer-geheim"



def add_as_admin(app, **form) -> tuple[int, str]:
    """The admin's add-organisation form posted with `form`: the status (400 when refused) and the page's text."""
    with app.app_context():
        functional = db.session.query(Account).filter_by(user_id="lerend-netwerk").one_or_none()
    admin = signed_in_client(app, functional.id if functional else account(app, "De Zonnebloem", "lerend-netwerk"))
    response = admin.post("/admin/organisations", data={**form,
                                                        "csrf_token": csrf_token(admin, "/admin/organisations")})
    return response.status_code, html.unescape(response.get_data(as_text=True))


def organisation_names(app) -> set[str]:
    with app.app_context():
        return {o.name for o in db.session.query(Organisation)}


def test_an_organisation_name_with_a_line_break_or_control_character_is_refused_like_a_network_name(sqlite_app):
    for name in ("Kinderopvang\x00De Zon", "Kinderopvang\nDe Zon", "Kinderopvang\x1bDe Zon"):
        status, page = add_as_admin(sqlite_app, name=name)
        assert status == 400 and "Niet toegevoegd: Naam: moet op één regel staan" in page, repr(name)
    assert organisation_names(sqlite_app) == {"De Zonnebloem"}


def test_a_functional_account_that_is_no_valid_nextcloud_user_is_refused(sqlite_app):
    status, page = add_as_admin(sqlite_app, name="Basisschool De Regenboog", nextcloud_url="https://cloud.regenboog.nl",
                                client_id="abc", client_secret="geheim", connection_user="../x y")
    assert status == 400
    assert "Functioneel account dat de organisatie verbindt: '../x y' is geen geldige Nextcloud-gebruiker" in page
    assert organisation_names(sqlite_app) == {"De Zonnebloem"}


def test_two_organisations_on_one_nextcloud_are_both_added(sqlite_app):
    """A school board's Nextcloud can serve several of its schools: each is an organisation with its own
    OAuth client and functional account on the same server (their members then share as users there)."""
    status, _ = add_as_admin(sqlite_app, name="Basisschool De Regenboog",
                             nextcloud_url="HTTPS://Cloud.Example.org/index.php/", client_id="ander",
                             client_secret="geheim")
    assert status in (200, 302)
    assert organisation_names(sqlite_app) == {"De Zonnebloem", "Basisschool De Regenboog"}


def test_a_refused_organisation_names_the_field_as_the_form_labels_it(sqlite_app):
    for form, label in (({"name": ""}, "Naam: is leeg"), ({"name": "Org", "kind": "raket"}, "Soort: 'raket'"),
                        ({"name": "Org", "nextcloud_url": "geen-url"}, "Adres van de Nextcloud: 'geen-url'"),
                        ({"name": "Org", "nextcloud_url": "https://org.example"}, "OAuth-client-ID: ")):
        status, page = add_as_admin(sqlite_app, **form)
        assert status == 400 and f"Niet toegevoegd: {label}" in page, (form, label)


def test_a_failed_job_is_listed_with_its_error_and_can_be_retried(sqlite_app):
    admin = signed_in_client(sqlite_app, account(sqlite_app, "De Zonnebloem", "lerend-netwerk"))
    with sqlite_app.app_context():
        db.session.add(JobRun(id="job-1", name="send_welcome_mails", args=[12345], state=FAILED,
                              error="SMTPConnectError: (421, 'te druk')"))
        db.session.commit()
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "send_welcome_mails" in page and "te druk" in page and "Opnieuw proberen" in page
    response = admin.post("/admin/jobs/job-1/retry", data={"csrf_token": csrf_token(admin, "/admin/jobs")})
    assert response.status_code == 302
    with sqlite_app.app_context():
        assert db.session.get(JobRun, "job-1").state == "retried"
        # The retried job ran (immediate mode in tests) and was recorded by the queue's signals.
        assert db.session.query(JobRun).filter(JobRun.id != "job-1", JobRun.name == "send_welcome_mails").count() == 1
