"""The app inside Nextcloud's External sites iframe (quirk `external_sites_iframe`), in a real browser: framed by the
organisations' Nextclouds, refused to any other site."""
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from extension.organisations import service
from extension.organisations.service import OrganisationInput

pytestmark = pytest.mark.browser


@contextmanager
def external_sites_page(app_url: str):
    """A stand-in for Nextcloud's /apps/external/<id> page, which shows the site in an iframe; yields its URL.

    A real server on loopback: Chromium refuses a page of unknown address to frame a loopback one.
    """
    page = (f'<!DOCTYPE html><html><body><h1>Nextcloud</h1><iframe src="{app_url}/?lang=en" width="800" '
            'height="600"></iframe></body></html>')
    server = make_server("127.0.0.1", 0, Response(page, content_type="text/html"), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/index.php/apps/external/1"
    finally:
        server.shutdown()
        thread.join(10)


def add_organisation_at(app, nextcloud_page_url: str) -> None:
    with app.app_context():
        service.add_organisation(OrganisationInput(
            name="De Zonnebloem", nextcloud_url=nextcloud_page_url.split("/index.php")[0], client_id="cid",
            client_secret="secret"))


def app_frame(page):
    return next(frame for frame in page.frames if frame != page.main_frame)


def test_an_organisations_nextcloud_shows_the_app_in_its_iframe(live_app, page):
    with external_sites_page(live_app.config["APP_URL"]) as url:
        add_organisation_at(live_app, url)
        page.goto(url)
        frame = app_frame(page)
        frame.wait_for_selector("main")
        assert frame.url.startswith(live_app.config["APP_URL"])
        assert "Sign in" in frame.inner_text("body")


def test_another_site_cannot_frame_the_app(live_app, page):
    with external_sites_page(live_app.config["APP_URL"]) as url:
        blocked = []
        page.on("requestfailed", lambda request: blocked.append(request.failure))
        page.goto(url)
        page.wait_for_load_state("load")
        assert "Sign in" not in app_frame(page).content()
        assert blocked == ["net::ERR_BLOCKED_BY_RESPONSE"]
