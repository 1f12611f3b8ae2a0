"""Every kartrekker page: no request to Nextcloud while rendering, hostile names shown as text, and a number of
database queries that does not grow with the number of members and tasks."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import event

from extension.extensions import db
from extension.network_templates import get_template
from extension.networks.models import Membership
from extension.networks.service import add_phase_tasks, get_network
from tests.extension.connected import connect_account
from tests.lifecycle.conftest import clear_logs
from tests.networks.conftest import network_yaml
from tests.networks.snapshot import calendars, files
from tests.web.conftest import signed_in

NAME = "Taal <script>alert(1)</script> {{ 7*7 }} [klik](https://evil.example/n)"
TOPIC = "<script>alert(2)</script> {{ 8*8 }} [tik](https://evil.example/t)"
MEMBER = "Iris <b>Kok</b> {{ 9*9 }} [x](https://evil.example/m)"
ACTIONS = ("launch", "advance", "add_member", "remove_member", "sync", "repair", "end")


def hostile_yaml() -> str:
    text = network_yaml(name=NAME).replace("topic: Mondelinge taal", f'topic: "{TOPIC}"')
    return text.replace("{name: Iris Kok,", f'{{name: "{MEMBER}",')


@pytest.fixture
def hostile(sqlite_world):
    sqlite_world.network_file.write_text(hostile_yaml(), encoding="utf-8")
    slug = sqlite_world.create()
    assert sqlite_world.launch(slug).ok
    clear_logs(sqlite_world.sandbox)
    client = signed_in(sqlite_world.app, connect_account(sqlite_world.app, sqlite_world.sandbox, "a", "anna"))
    return sqlite_world, slug, client


@contextmanager
def outgoing_http():
    """Counts every HTTP request the app makes (all connectors go through requests.Session.send)."""
    sent = []
    original = requests.Session.send

    def counting(session, request, **kwargs):
        sent.append(request.url)
        return original(session, request, **kwargs)

    requests.Session.send = counting
    try:
        yield sent
    finally:
        requests.Session.send = original


def page_urls(client, slug: str) -> list[str]:
    run = client.post(f"/networks/{slug}/actions/sync").headers["Location"]
    draft = client.post("/networks/new").headers["Location"].rsplit("/", 1)[0]
    upload = client.post("/networks/new/upload", data={"file": (__import__("io").BytesIO(hostile_yaml().encode()),
                                                                "n.yml")}, content_type="multipart/form-data")
    uploaded = upload.headers["Location"].rsplit("/", 1)[0]
    return (["/networks", f"/networks/{slug}", f"/networks/{slug}/export", run, run + ".json", "/networks/new"]
            + [f"/networks/{slug}/actions/{kind}" for kind in ACTIONS]
            + [f"{draft}/{n}" for n in range(1, 7)] + [f"{uploaded}/{n}" for n in range(1, 7)])


def test_no_page_asks_nextcloud_anything_while_rendering(hostile):
    world, slug, client = hostile
    urls = page_urls(client, slug)
    with outgoing_http() as sent:
        for url in urls:
            assert client.get(url).status_code == 200, url
    assert sent == []


def test_hostile_names_show_as_text_on_every_page_in_the_documents_and_in_the_events(hostile):
    world, slug, client = hostile
    for url in page_urls(client, slug):
        text = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in text and "<b>Kok" not in text, url
        assert 'href="https://evil.example' not in text, url
    board = client.get(f"/networks/{slug}").get_data(as_text=True)
    for shown in ("&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} [klik](https://evil.example/n)",
                  "&lt;script&gt;alert(2)&lt;/script&gt; {{ 8*8 }}", "Iris &lt;b&gt;Kok&lt;/b&gt; {{ 9*9 }}"):
        assert shown in board
    documents = files(world.sandbox.org("a").root / "files")
    readme = next(text for path, text in documents.items() if path.endswith("Readme.md"))
    assert r"\[klik\](https://evil.example/n)" in readme and r"\<script\>" in readme
    events = calendars(world.sandbox.org("a"))
    summaries = [text for cal in events.values() for text in cal["objects"].values() if "VEVENT" in text]
    assert summaries and all("{{ 7*7 }}" in text.replace("\r\n ", "") for text in summaries)


def _queries(app, client, url: str) -> int:
    count = [0]

    def counter(*args):
        count[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count[0]


def test_the_number_of_queries_per_page_does_not_grow_with_members_and_tasks(hostile):
    world, slug, client = hostile
    urls = [f"/networks/{slug}", "/networks", f"/networks/{slug}/actions/advance",
            f"/networks/{slug}/actions/remove_member"]
    for url in urls:  # warm up: the first request of a session loads what later ones find cached
        client.get(url)
    before = {url: _queries(world.app, client, url) for url in urls}
    with world.app.app_context():
        network = get_network(slug)
        template = get_template(network.template_id)
        host = network.host_organisation
        for n in range(12):
            network.memberships.append(Membership(position=100 + n, organisation=host, name=f"Extra {n}",
                                                  email=f"extra{n}@zonnebloem.example", role="deelnemer"))
        db.session.flush()
        add_phase_tasks(network, template, network.current_phase)
        db.session.commit()
    after = {url: _queries(world.app, client, url) for url in urls}
    print("queries per page (8 members → 20 members):", {u: (before[u], after[u]) for u in urls})
    assert after == before
