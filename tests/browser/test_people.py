"""Participants, members without Nextcloud, managers and admins in a real browser, on a launched network.

Every page visited is checked with axe-core and photographed at 1280×900 and 390×844 (test-artifacts/).
The sandbox has no Tasks page or mail page yet: the participant's tick is written over CalDAV as the Tasks
app would (into the task list, as its owner), and the welcome mail is read from a loopback SMTP server.
"""
from __future__ import annotations

import re
import threading
from datetime import datetime, timezone

import pytest
from werkzeug.serving import make_server

from connectors.ical import parse_todo, with_todo_status
from extension.extensions import db
from extension.mail.welcome import send_welcome_mails
from extension.links.models import PersonalLink
from extension.networks.models import KnowledgeTask, Membership, Network
from extension.organisations.models import utcnow
from extension.sync.service import sync_network
from sandbox.demo import FUNCTIONAL_ACCOUNT
from tests.access.mailbox import mailbox, use_mailbox  # noqa: F401
from tests.fixtures.browser import assert_accessible, screenshots
from tests.lifecycle.conftest import TASKLIST, connection
from tests.networks.conftest import SLUG, build_world

pytestmark = pytest.mark.browser

ORG_NAMES = {"a": "Kinderopvang De Zonnebloem", "b": "Basisschool De Regenboog"}


@pytest.fixture
def live_world(sqlite_app, sandbox, tmp_path, mailbox):
    """The app served on loopback first (the OAuth clients are registered with its URL), then the launched
    Doorgaande Lijn network, its welcome mails sent to the loopback SMTP server."""
    server = make_server("127.0.0.1", 0, sqlite_app, threaded=True)
    sqlite_app.config["APP_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    world = build_world(sqlite_app, sandbox, tmp_path)
    assert world.launch(world.create()).ok
    use_mailbox(sqlite_app, mailbox)
    with sqlite_app.app_context():
        send_welcome_mails(sqlite_app, db.session.query(Network.id).filter_by(slug=SLUG).scalar())
    world.url = sqlite_app.config["APP_URL"]
    world.mailbox = mailbox
    yield world
    server.shutdown()
    thread.join(10)


def sign_in(page, world, key: str, uid: str) -> None:
    page.goto(world.url + "/")
    page.get_by_role("link", name="Inloggen").first.click()
    page.get_by_role("button", name=ORG_NAMES[key]).click()
    page.fill("input[name=user]", uid)
    page.fill("input[name=password]", uid)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("button", name="Toegang verlenen").click()
    page.wait_for_url(re.compile(re.escape(world.url) + r"/$"))


def first_written_task(world, email: str):
    with world.app.app_context():
        member = db.session.query(Membership).filter_by(email=email).one()
        task = (db.session.query(KnowledgeTask).filter_by(membership_id=member.id)
                .filter(KnowledgeTask.remote_href.is_not(None)).order_by(KnowledgeTask.id).first())
        return task.id, task.title, task.remote_href


def test_a_participant_of_the_second_organisation_sees_her_meeting_and_tasks_and_a_tick_comes_back(live_world, page):
    world = live_world
    sign_in(page, world, "b", "eva")
    main = page.inner_text("main")
    assert "Hallo Eva Smit" in main and "Mijn volgende bijeenkomsten" in main and "Mijn open taken" in main
    assert "Doorgaande lijn Taal Zuilen" in main
    screenshots(page, "participant-home")

    task_id, title, href = first_written_task(world, "eva@regenboog.example")
    # Eva ticks the task in her Tasks app: the VTODO in her organisation's task list becomes COMPLETED.
    client = connection(world, "b")
    stored = client.calendars.get_href(TASKLIST, href)
    client.calendars.update(TASKLIST, href, with_todo_status(stored.data, True, datetime.now(timezone.utc)),
                            stored.etag)
    assert parse_todo(client.calendars.get_href(TASKLIST, href).data).is_completed
    with world.app.app_context():
        assert sync_network(world.app, SLUG).ok
    page.reload()
    done = page.locator(f"#task-{task_id}")
    assert "klaar" in done.inner_text() and "done" in (done.get_attribute("class") or "")
    screenshots(page, "participant-home-after-sync")


def test_a_member_without_nextcloud_ticks_a_task_and_answers_a_meeting_from_her_mailed_link(live_world, page):
    world = live_world
    link = world.mailbox.link_for("iris@kompas.example")
    page.goto(link)
    page.wait_for_url(world.url + "/")
    assert "Hallo Iris Kok" in page.inner_text("main")
    screenshots(page, "link-holder-home")
    first_task = page.locator("article.task:not(.done)").first
    task_title = first_task.locator("h3").inner_text()
    first_task.get_by_role("button").click()
    assert "De taak staat op klaar." in page.inner_text("main")
    first_meeting = page.locator("article.card[id^=meeting-]").first
    first_meeting.get_by_role("button", name="Ja", exact=True).click()
    assert "Je antwoord voor" in page.inner_text("main")
    assert page.locator("article.card[id^=meeting-]").first.locator("strong.reply").inner_text() == "Ja"
    assert task_title in page.locator("article.task.done").first.inner_text()
    screenshots(page, "link-holder-after-answers")

    # The organisation's page (admin view here) shows both: Iris's task done, and her "yes".
    page.get_by_role("button", name="Uitloggen").click()
    sign_in(page, world, "a", FUNCTIONAL_ACCOUNT)
    page.goto(world.url + "/organisations/peuterspeelzaal-het-kompas")
    table = page.locator("table").first.inner_text()
    assert re.search(r"Iris Kok\s+deelnemer\s+1\b", table)
    attendance = page.locator("table").nth(1).inner_text()
    assert re.search(r"\n[^\n]*\t1\t0\t0\t0", attendance), attendance
    screenshots(page, "organisation-kompas-admin")


def test_a_manager_sees_her_organisations_page(live_world, page):
    world = live_world
    sign_in(page, world, "b", "hanna")
    page.get_by_role("link", name="Voortgang van Basisschool De Regenboog").click()
    assert page.url.endswith("/organisations/basisschool-de-regenboog")
    main = page.inner_text("main")
    assert "Eva Smit" in main and "Uren per maand" in main and "bouwvergadering" in main
    assert page.locator("svg.chart").count() == 1
    screenshots(page, "manager-organisation")
    page.goto(world.url + "/organisations/kinderopvang-de-zonnebloem")
    assert "Je hebt geen toegang tot deze pagina" in page.inner_text("main")
    screenshots(page, "error-403")


def test_admin_pages_anonymous_pages_and_error_pages_are_accessible(live_world, page):
    world = live_world
    page.goto(world.url + "/")
    screenshots(page, "anonymous-home")
    page.goto(world.url + "/auth/login")
    screenshots(page, "sign-in")
    page.goto(world.url + "/bestaat-niet")
    assert "Deze pagina bestaat niet" in page.inner_text("main")
    screenshots(page, "error-404")
    link = world.mailbox.link_for("joke@kompas.example")
    with world.app.app_context():
        db.session.query(PersonalLink).filter_by(email="joke@kompas.example").one().revoked_at = utcnow()
        db.session.commit()
    page.goto(link)
    assert "Deze link werkt niet meer" in page.inner_text("main")
    screenshots(page, "link-revoked")
    sign_in(page, world, "a", FUNCTIONAL_ACCOUNT)
    for path, name in (("/admin/", "admin"), ("/admin/organisations", "admin-organisations"),
                       ("/admin/templates", "admin-templates"), ("/admin/health", "admin-health"),
                       ("/admin/jobs", "admin-jobs")):
        page.goto(world.url + path)
        assert page.locator("h1").count() == 1
        screenshots(page, name)
    page.goto(world.url + "/admin/health")
    page.get_by_role("button", name="Controleer nu elke Nextcloud").click()
    assert "Gecontroleerd om" in page.inner_text("main")
    assert_accessible(page, "admin health after a check")
