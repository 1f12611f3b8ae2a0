"""A kartrekker in a real browser: signs in through the sandbox's OAuth pages, walks the wizard, launches
(one 503 on the way, retried), watches the progress — reloaded mid-launch and followed from a second browser on
the network page — sees the dashboard and advances to the next phase.

Screenshots of every step at 1280×900 and 390×844 go to test-artifacts/kartrekker/ on every run.
"""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.extension.connected import demo_org
from tests.fixtures.browser import assert_no_sideways_scrolling
from tests.networks.conftest import HOST, NO_NEXTCLOUD, SCHOOL, build_world
from tests.networks.snapshot import calendars

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "kartrekker"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def shoot(page, name: str) -> None:
    """Screenshots of the current page at both sizes, ending at desktop size; at phone width the page must not
    scroll sideways."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        if label == "phone":
            assert_no_sideways_scrolling(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_in(page, app_url: str, org_name: str, user) -> None:
    page.goto(app_url + "/")
    page.get_by_role("link", name="Inloggen").first.click()
    page.get_by_role("button", name=org_name).click()
    page.fill("input[name=user]", user.uid)
    page.fill("input[name=password]", user.password)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("button", name="Toegang verlenen").click()
    page.wait_for_url(re.compile(re.escape(app_url) + r"/$"))


@contextmanager
def background_worker(app):
    """Jobs run in a worker thread, as `lerend-netwerk worker` runs them, so the browser sees them progress."""
    huey = app.extensions["ln_jobs"].huey
    huey.immediate = False
    stop = threading.Event()

    def work():
        while not stop.is_set():
            task = huey.dequeue()
            if task is None:
                stop.wait(0.2)
            else:
                huey.execute(task)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(60)
        huey.immediate = True


class _Hold:
    """A sandbox request hook that stops every request to Nextcloud, once handled, until released: a launch
    held mid-way without timing."""

    def __init__(self):
        self.reached = threading.Event()
        self.release = threading.Event()

    def __call__(self, method: str, path: str) -> None:
        self.reached.set()
        self.release.wait(60)


@contextmanager
def held_launch(sandbox):
    """Hold every request to both sandbox organisations until the block ends."""
    hold = _Hold()
    for key in ("a", "b"):
        sandbox.org(key).faults.on_request = hold
    try:
        yield hold
    finally:
        for key in ("a", "b"):
            sandbox.org(key).faults.on_request = None
        hold.release.set()


def tasks_in_sandbox(sandbox, key: str) -> list[str]:
    lists = calendars(sandbox.org(key))
    tasklist = next(v for k, v in lists.items() if k.endswith("-taken"))
    return sorted(str(Calendar.from_ical(text).walk("VTODO")[0]["summary"]) for text in tasklist["objects"].values())


def test_kartrekker_creates_launches_and_runs_a_network_in_the_browser(live_app, sandbox, page, tmp_path):
    build_world(live_app, sandbox, tmp_path)
    page.set_default_timeout(60000)
    app_url = live_app.config["APP_URL"]
    anna = next(u for u in demo_org("a").users if u.uid == "anna")
    sign_in(page, app_url, demo_org("a").name, anna)

    page.goto(app_url + "/networks")
    page.get_by_role("link", name="Nieuw netwerk starten").click()
    page.get_by_role("button", name="Begin").click()

    # 1. form advice
    page.get_by_label("Langere tijd samen werken").check()
    page.get_by_label("Een jaar of langer").check()
    page.fill("#f-organisations", "3")
    page.get_by_role("button", name="Toon het advies").click()
    assert "Advies: Lerend netwerk" in page.inner_text("main")
    shoot(page, "wizard-1-vorm")
    page.get_by_role("button", name="Opslaan en verder").click()

    # 2. template with its preview
    assert "Voorbereiden" in page.inner_text("main")
    page.get_by_label("Doorgaande lijn").first.check()
    shoot(page, "wizard-2-sjabloon")
    page.get_by_role("button", name="Opslaan en verder").click()

    # 3. the network, with a start on a Sunday: meetings still fall on weekdays
    start = date.today() + timedelta(weeks=2)
    start += timedelta(days=(6 - start.weekday()))
    page.fill("#f-name", "Taal <script>alert(1)</script> {{ 7*7 }} [klik](https://evil.example)")
    page.fill("#f-topic", "Mondelinge taal")
    page.fill("#f-question", "Hoe sluit de taalaanpak van peuters aan op die van kleuters?")
    page.fill("#f-ambition", "Elk kind start in groep 1 met een aanpak die het al kent.")
    page.fill("#f-start", start.isoformat())
    page.fill("#f-place", "De Zonnebloem, Zuilen")
    page.select_option("#f-region", "midden")
    page.select_option("#f-rhythm-weekday", "dinsdag")
    shoot(page, "wizard-3-netwerk")
    page.get_by_role("button", name="Opslaan en verder").click()

    # 4. members: Anna is there; Eva found in B's Nextcloud; Iris (no Nextcloud) by e-mail
    assert page.input_value("#f-members-0-user") == "anna"
    page.fill("#f-members-0-expertise", "pedagogisch coach")
    page.select_option("#f-search-org", SCHOOL)
    page.fill("#f-q", "eva")
    page.press("#f-q", "Enter")  # Enter in the search field searches (it does not add an empty member)
    page.get_by_role("button", name=re.compile("Eva.*toevoegen")).click()
    page.fill("#f-members-1-expertise", "leerkracht groep 1-2")
    page.fill("#f-cloud_id", "iris@kompas.example")
    page.fill("#f-cloud_name", "Iris Kok")
    page.select_option("#f-cloud_organisation", NO_NEXTCLOUD)
    page.get_by_role("button", name="Toevoegen", exact=True).click()
    page.fill("#f-members-2-expertise", "pedagogisch medewerker")
    shoot(page, "wizard-4-leden")
    page.press("#f-members-2-expertise", "Enter")  # Enter in a member's field saves the step and goes on
    page.wait_for_selector(f"#f-{HOST}-manager")

    # 5. commitments
    page.select_option(f"#f-{HOST}-manager", "anna@zonnebloem.example")
    page.fill(f"#f-{HOST}-hours", "4")
    page.fill(f"#f-{HOST}-podium", "teamoverleg")
    for slug, manager, email, hours, podium in ((SCHOOL, "Hanna Bos", "hanna@regenboog.example", "3", "bouwvergadering"),
                                                (NO_NEXTCLOUD, "Joke Meijer", "joke@kompas.example", "2", "werkoverleg")):
        page.select_option(f"#f-{slug}-manager", "other")
        page.fill(f"#f-{slug}-mname", manager)
        page.fill(f"#f-{slug}-memail", email)
        page.fill(f"#f-{slug}-hours", hours)
        page.fill(f"#f-{slug}-podium", podium)
    shoot(page, "wizard-5-toezeggingen")
    page.get_by_role("button", name="Opslaan en verder").click()

    # 6. review, then Lanceren with B answering 503 to everything: the step fails, in Dutch
    review = page.inner_text("main")
    assert "verzoeken aan Nextcloud" in review and "<script>alert(1)</script>" in review
    shoot(page, "wizard-6-controleren")
    sandbox.org("b").faults.fail_next(503, count=1000)
    with background_worker(live_app):
        page.get_by_role("button", name="Lanceren").click()
        page.wait_for_selector("#run-bar")
        shoot(page, "voortgang-bezig")
        page.wait_for_selector("text=Wat er misging")
        failed = page.inner_text("main")
        assert "Basisschool De Regenboog" in failed and "tijdelijk niet beschikbaar" in failed
        shoot(page, "voortgang-mislukt")

        # A second browser, signed in as Anna too, follows the retried launch on the network page; the launch is
        # held at its first request to Nextcloud, so both look at it mid-way.
        second = page.context.browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
        other = second.new_page()
        other.set_default_timeout(60000)
        sign_in(other, app_url, demo_org("a").name, anna)
        sandbox.org("b").faults.reset()
        failed_run = page.url
        with held_launch(sandbox) as hold:
            page.get_by_role("button", name="Opnieuw proberen").click()
            page.wait_for_url(lambda url: url != failed_run)
            assert hold.reached.wait(60), "the retried launch made no request to Nextcloud"
            page.reload()
            mid = page.inner_text("#run-text")
            assert re.fullmatch(r"Stap \d+ van \d+", mid.strip()), mid
            progress_url = page.get_attribute("#run", "data-progress-url")
            other.goto(page.url.split("/runs/")[0])
            assert other.inner_text("#run-text").strip() == mid.strip()
            assert other.get_attribute("#run", "data-progress-url") == progress_url
            shoot(other, "netwerk-tijdens-lancering")
        page.wait_for_selector("text=Klaar.")
        assert page.eval_on_selector("#run-bar", "bar => bar.value") == 100
        shoot(page, "voortgang-klaar")
        # The network page reloads itself once the run is finished: the bar gives way to the launched network.
        other.wait_for_selector("#run", state="detached")
        assert "actief" in other.inner_text("main")
        second.close()

    page.get_by_role("link", name="Naar het overzicht van het netwerk").click()
    board = page.inner_text("main")
    assert "Taal <script>alert(1)</script> {{ 7*7 }} [klik](https://evil.example)" in board
    assert "Kennis delen per organisatie" in board and "Voorbereiden" in board
    assert page.locator("a[href^='https://evil.example']").count() == 0
    shoot(page, "dashboard")

    # advancing from the dashboard writes the next phase's tasks into B's task list
    before = tasks_in_sandbox(sandbox, "b")
    page.get_by_role("link", name="Volgende fase").click()
    assert "staan nog open" in page.inner_text("main")
    shoot(page, "volgende-fase-bevestigen")
    page.get_by_role("button", name="Ja, doorgaan").click()
    page.wait_for_selector("text=Klaar.")
    assert len(tasks_in_sandbox(sandbox, "b")) > len(before)
