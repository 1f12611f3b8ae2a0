"""The admins: who they are (ADMINS and the functional accounts), adding an organisation, retrying a failed job."""
from __future__ import annotations

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
