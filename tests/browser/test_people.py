"""Participants, members without Nextcloud, managers and admins in a real browser, on a launched network,
doing what a person does: the app's pages on one side, the sandbox's Nextcloud pages (Files, Calendar, Tasks,
Mail) on the other, and the kartrekker's dashboard showing what came back after a sync she starts.

The network is launched through the job queue as the wizard does it, and the welcome mails go out through
the sandbox's SMTP server after the launch, as they do in the demo. Every page visited is checked with
axe-core and photographed at 1280×900 and 390×844 (test-artifacts/).
"""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from extension.extensions import db
from extension.links.models import PersonalLink
from extension.networks.models import KnowledgeTask, Membership, Network
from extension.organisations.models import utcnow
from sandbox.demo import FUNCTIONAL_ACCOUNT
from tests.fixtures.browser import DESKTOP, assert_accessible, screenshots
from tests.networks.conftest import SLUG, build_world

pytestmark = pytest.mark.browser

ORG_NAMES = {"a": "Kinderopvang De Zonnebloem", "b": "Basisschool De Regenboog"}
LINK = re.compile(r"https?://\S+/l/[A-Za-z0-9._-]+")


@pytest.fixture
def live_world(sqlite_app, sandbox, tmp_path):
    """The app served on loopback first (the OAuth clients are registered with its URL), sending its mail to
    the sandbox's SMTP server; then the Doorgaande Lijn network, launched through the job queue."""
    server = make_server("127.0.0.1", 0, sqlite_app, threaded=True)
    sqlite_app.config.update(APP_URL=f"http://127.0.0.1:{server.server_port}", WTF_CSRF_ENABLED=True,
                             MAIL_HOST=sandbox.smtp.host, MAIL_PORT=sandbox.smtp.port, MAIL_TLS="none",
                             MAIL_SENDER="Lerend Netwerk <netwerk@app.example>")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    world = build_world(sqlite_app, sandbox, tmp_path)
    slug = world.create()
    sqlite_app.extensions["ln_jobs"].enqueue("launch_network", slug)  # immediate in the tests: runs now
    with sqlite_app.app_context():
        assert db.session.query(Network.status).filter_by(slug=slug).scalar() == "active"
    world.url = sqlite_app.config["APP_URL"]
    yield world
    server.shutdown()
    thread.join(10)


@contextmanager
def another_person(chromium):
    """A second browser (its own cookies), for someone else at her own computer."""
    context = chromium.new_context(locale="nl-NL", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()


def sign_in(page, world, key: str, uid: str) -> None:
    """Sign in to the app through the sandbox's OAuth pages (which also start a sandbox browser session)."""
    page.goto(world.url + "/")
    page.get_by_role("link", name="Inloggen").first.click()
    page.get_by_role("button", name=ORG_NAMES[key]).click()
    assert_accessible(page, "the sandbox's OAuth sign-in")
    page.fill("input[name=user]", uid)
    page.fill("input[name=password]", uid)
    page.get_by_role("button", name="Inloggen").click()
    assert_accessible(page, "the sandbox's OAuth grant page")
    page.get_by_role("button", name="Toegang verlenen").click()
    page.wait_for_url(re.compile(re.escape(world.url) + r"/$"))
    assert_accessible(page, f"the home page of {uid}")


def sync_from_dashboard(page, world) -> None:
    """The kartrekker starts a sync on her dashboard (a job, as the app runs it) and waits for it to end."""
    page.goto(f"{world.url}/networks/{SLUG}")
    page.get_by_role("link", name="Nu bijwerken").first.click()
    assert_accessible(page, "the sync confirmation")
    page.get_by_role("button", name="Ja, doorgaan").click()
    page.wait_for_selector("text=Bijgewerkt uit Nextcloud")
    assert_accessible(page, "the finished sync")
    page.goto(f"{world.url}/networks/{SLUG}")


def meeting_row(page, title: str) -> list[str]:
    """The cells of the dashboard's meetings table row of `title` (When, Meeting, Yes, No, Maybe, No answer)."""
    row = page.locator("table tr", has_text=title).first
    return [cell.inner_text().strip() for cell in row.locator("td").all()]


def tasks_done(page, organisation: str) -> int:
    """The "done" count of an organisation in the dashboard's knowledge-sharing table."""
    table = page.locator("table", has=page.locator("caption", has_text="Kennisdeeltaken per organisatie"))
    row = table.locator("tr", has_text=organisation).first
    return int(row.locator("td").nth(1).inner_text())


def written_tasks(world, email: str) -> list[tuple[int, str, str]]:
    """(id, title, summary in Nextcloud) of a member's tasks that were written into a task list."""
    with world.app.app_context():
        member = db.session.query(Membership).filter_by(email=email).one()
        tasks = (db.session.query(KnowledgeTask).filter_by(membership_id=member.id)
                 .filter(KnowledgeTask.remote_href.is_not(None)).order_by(KnowledgeTask.id).all())
        return [(t.id, t.title, f"{t.title} ({t.assignee_name})") for t in tasks]


def first_meeting_title(world) -> str:
    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        return min(network.meetings, key=lambda m: m.start).title


def sandbox_links(page, world) -> list[str]:
    """Every link in the page's main content that leads out of the app (into a Nextcloud)."""
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)")
    return list(dict.fromkeys(h for h in hrefs if not h.startswith(world.url)))


def assert_links_open(page, world, key: str) -> None:
    """Every link of the current app page into a Nextcloud goes to organisation `key`'s sandbox and opens a
    page there (the OAuth sign-in started the sandbox session); ends back on the app page."""
    here = page.url
    links = sandbox_links(page, world)
    assert links, f"no links into Nextcloud on {here}"
    base = world.sandbox.org(key).base_url
    assert all(link.startswith(base + "/") for link in links), links
    for link in links:
        response = page.goto(link)
        assert response.status == 200, f"{link}: {response.status} {page.inner_text('main')[:200]}"
        assert_accessible(page, link)
    page.goto(here)


def test_a_participant_of_the_second_organisation_ticks_a_task_in_her_tasks_app_and_answers_by_mail(
        live_world, page, chromium):
    world, eva = live_world, page
    sign_in(eva, world, "b", "eva")
    main = eva.inner_text("main")
    assert "Hallo Eva Smit" in main and "Mijn volgende bijeenkomsten" in main and "Mijn open taken" in main
    assert "Doorgaande lijn Taal Zuilen" in main and first_meeting_title(world) in main
    task_id, task_title, summary = written_tasks(world, "eva@regenboog.example")[0]
    assert eva.locator(f"#task-{task_id}").count() == 1
    screenshots(eva, "participant-home")

    # The network's folder comes from the host's Nextcloud as a federated share: her folder link offers to
    # accept it, and then opens it (her OAuth sign-in started the sandbox session: no second sign-in).
    home = eva.url
    eva.get_by_role("link", name="Gedeelde map").first.click()
    assert "is met je gedeeld door lerend-netwerk@" in eva.inner_text("main")
    screenshots(eva, "participant-sandbox-share-offered")
    eva.get_by_role("button", name="Accepteren: Doorgaande lijn Taal Zuilen").click()
    assert eva.get_by_role("link", name="Leesmij.md").count() + eva.locator("main li a").count() > 0
    assert "geaccepteerd" in eva.inner_text("[role=status]")
    screenshots(eva, "participant-sandbox-files")
    # Now every link into her Nextcloud opens a page there.
    eva.goto(home)
    assert_links_open(eva, world, "b")

    # She follows "Mijn taken" into the Tasks app of her own Nextcloud and ticks the task off there.
    eva.get_by_role("link", name="Mijn taken").click()
    assert eva.url.startswith(world.sandbox.org("b").base_url + "/index.php/apps/tasks/")
    eva.get_by_role("button", name=f"Afvinken: {summary}").click()
    assert f"\"{summary}\" is afgevinkt." in eva.inner_text("[role=status]")
    screenshots(eva, "participant-sandbox-tasks")

    # The invitation reached her by mail (Nextcloud's iMIP from the host); she accepts with its button,
    # which answers on the host's Nextcloud.
    title = first_meeting_title(world)
    eva.goto(world.sandbox.org("b").base_url + "/index.php/apps/mail/")
    assert_accessible(eva, "her sandbox inbox")
    eva.get_by_role("link", name=re.compile(re.escape(f"Uitnodiging: {title}"))).first.click()
    screenshots(eva, "participant-sandbox-invitation")
    eva.get_by_role("link", name="Accepteren").click()
    assert "Je hebt de uitnodiging geaccepteerd." in eva.inner_text("main")
    assert_accessible(eva, "the invitation answered on the host's Nextcloud")

    with another_person(chromium) as anna:
        sign_in(anna, world, "a", "anna")
        sync_from_dashboard(anna, world)
        assert tasks_done(anna, "Basisschool De Regenboog") == 1
        assert "Eva Smit" in meeting_row(anna, title)[2]
        screenshots(anna, "dashboard-after-participant")

    eva.goto(home)
    done = eva.locator(f"#task-{task_id}")
    assert "klaar" in done.inner_text() and "done" in (done.get_attribute("class") or "")
    assert done.locator("h3").inner_text() == task_title  # not the SUMMARY with her name the sync read back
    assert eva.locator("article.card[id^=meeting-]", has_text=title).locator("strong.reply").inner_text() == "Ja"
    screenshots(eva, "participant-home-after-sync")


def test_a_participant_on_the_hosts_nextcloud_opens_the_shared_folder_and_accepts_in_her_calendar(
        live_world, page, chromium):
    world, bram = live_world, page
    sign_in(bram, world, "a", "bram")
    home = bram.url
    assert_links_open(bram, world, "a")

    bram.get_by_role("link", name="Gedeelde map").first.click()
    assert bram.get_by_role("link", name="Readme.md").is_visible()
    screenshots(bram, "participant-sandbox-files-host")

    bram.goto(home)
    title = first_meeting_title(world)
    bram.get_by_role("link", name="Mijn agenda").click()
    assert_accessible(bram, "his sandbox calendar")
    bram.get_by_role("form", name=re.compile(re.escape(f"Antwoord op {title}"))).first \
        .get_by_role("button", name="Accepteren").click()
    assert "Je hebt de uitnodiging geaccepteerd." in bram.inner_text("[role=status]")
    screenshots(bram, "participant-sandbox-calendar")

    with another_person(chromium) as anna:
        sign_in(anna, world, "a", "anna")
        sync_from_dashboard(anna, world)
        assert "Bram Jansen" in meeting_row(anna, title)[2]
        # The kartrekker's links into the folder and its documents open too (she is a sharee, like Bram).
        assert_links_open(anna, world, "a")
        anna.get_by_role("link", name="Open de gedeelde map in je Nextcloud").click()
        assert anna.get_by_role("link", name="Readme.md").is_visible()
    bram.goto(home)
    assert bram.locator("article.card[id^=meeting-]", has_text=title).locator("strong.reply").inner_text() == "Ja"


def test_a_member_without_nextcloud_ticks_a_task_and_answers_a_meeting_from_her_mailed_link(
        live_world, page, chromium):
    world, iris = live_world, page
    # Iris has no Nextcloud: she opens the sandbox's mailbox of her address, as her own mail program.
    iris.goto(world.sandbox.org("a").base_url + "/index.php/apps/mail/")
    screenshots(iris, "sandbox-sign-in-with-mailbox")
    iris.get_by_label("Je e-mailadres").fill("iris@kompas.example")
    iris.get_by_role("button", name="Postvak openen").click()
    assert_accessible(iris, "her sandbox inbox")
    iris.get_by_role("link", name=re.compile("Welkom in het lerend netwerk")).first.click()
    screenshots(iris, "link-holder-welcome-mail")
    link = iris.locator(f"main a[href^='{world.url}/l/']")
    assert link.count() == 1 and LINK.fullmatch(link.get_attribute("href"))
    link.click()
    iris.wait_for_url(world.url + "/")
    assert "Hallo Iris Kok" in iris.inner_text("main")
    assert not sandbox_links(iris, world)  # she has no Nextcloud to link to
    assert iris.locator("article.network p.links").count() == 0  # and no empty row of links under her network
    screenshots(iris, "link-holder-home")

    first_task = iris.locator("article.task:not(.done)").first
    task_title = first_task.locator("h3").inner_text()
    first_task.get_by_role("button").click()
    assert "De taak staat op klaar." in iris.inner_text("main")
    title = first_meeting_title(world)
    meeting = iris.locator("article.card[id^=meeting-]", has_text=title).first
    meeting.get_by_role("button", name="Ja", exact=True).click()
    assert "Je antwoord voor" in iris.inner_text("main")
    assert iris.locator("article.card[id^=meeting-]", has_text=title).locator("strong.reply").inner_text() == "Ja"
    assert task_title in iris.locator("article.task.done").first.inner_text()
    screenshots(iris, "link-holder-after-answers")

    with another_person(chromium) as anna:
        sign_in(anna, world, "a", "anna")
        sync_from_dashboard(anna, world)
        assert "Iris Kok" in meeting_row(anna, title)[2]
        assert tasks_done(anna, "Peuterspeelzaal Het Kompas") == 1
        screenshots(anna, "dashboard-after-link-holder")


def test_a_manager_sees_her_organisations_page(live_world, page):
    world = live_world
    sign_in(page, world, "b", "hanna")
    assert_links_open(page, world, "b")
    page.get_by_role("link", name="Voortgang van Basisschool De Regenboog").click()
    assert page.url.endswith("/organisations/basisschool-de-regenboog")
    main = page.inner_text("main")
    assert "Eva Smit" in main and "Uren per maand" in main and "bouwvergadering" in main
    assert page.locator("svg.chart").count() == 1
    # Her people's tasks (done, open, overdue) and their answers to the first meeting (yes, maybe, no, none).
    assert re.search(r"Eva Smit\s+deelnemer\s+0\s+1\s+0", main) and re.search(r"Hanna Bos\s+manager\s+0\s+1\s+0", main)
    assert re.search(re.escape(first_meeting_title(world)) + r"\s+\S+ \S+ \d{4}\s+0\s+0\s+0\s+2", main)
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
    mail = world.sandbox.mail.for_address("joke@kompas.example")[-1].message
    link = LINK.search(mail.get_body(("plain",)).get_content()).group(0)
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
