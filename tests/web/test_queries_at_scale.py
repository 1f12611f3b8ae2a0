"""Every page people use reads the database in a fixed number of queries (at most 10), whatever the number of
networks: the pages benchmark's own fill (benchmarks.pages.fill, through create_network), first 10 networks,
then 30; the same page must cost the same number of statements at both sizes.

A count, not a timing: the timings at 1,000 networks are the benchmark's (`python -m benchmarks pages`).
"""
from __future__ import annotations

import random

import pytest
from sqlalchemy import event, select

from benchmarks.pages import ADMIN, KARTREKKER, MANAGER, ORGANISATIONS, PARTICIPANT, fill
from extension.accounts.models import Account
from extension.extensions import db
from extension.links import service as links
from extension.dashboard import service as dashboard
from extension.networks.mine import PAGE_SIZE
from extension.organisations import views as organisation_views
from extension.networks.models import Network
from extension.organisations import service as organisations
from tests.access.helpers import signed_in_client

MOST = 10


@pytest.fixture
def world(app):
    """Three organisations (the first with a Nextcloud URL, nobody is asked anything), the benchmark's people
    with accounts, and 10 networks filled the benchmark's way."""
    slugs, domains, accounts = {}, {}, {}
    with app.app_context():
        for key, name, kind, domain in ORGANISATIONS:
            created = organisations.add_organisation(organisations.OrganisationInput(
                name=name, kind=kind, nextcloud_url=f"https://cloud.{domain}", client_id="client",
                client_secret="secret"))
            slugs[key], domains[key] = created.slug, domain
        for uid in (KARTREKKER, PARTICIPANT, MANAGER, ADMIN):
            organisation = organisations.get_by_slug(slugs["a"])
            account = Account(organisation_id=organisation.id, user_id=uid, display_name=uid.title(),
                              email=f"{uid}@{domains['a']}")
            db.session.add(account)
            db.session.commit()
            accounts[uid] = account.id
    app.config["ADMINS"] = [f"{slugs['a']}:{ADMIN}"]
    fill(app, slugs, domains, 10, seed=3, report=lambda text: None)
    with app.app_context():
        first = db.session.scalars(select(Network).order_by(Network.id).limit(1)).one()
        member = next(m for m in first.memberships if m.organisation_id != first.host_organisation_id)
        link = links.issue(first.id, member.email, member.name)
        db.session.commit()
        link_id, slug = link.id, first.slug
    clients = {uid: signed_in_client(app, account_id) for uid, account_id in accounts.items()}
    clients["link"] = signed_in_client(app, link_id=link_id)
    pages = [(PARTICIPANT, "/"), (KARTREKKER, "/"), (KARTREKKER, "/networks"), (KARTREKKER, f"/networks/{slug}"),
             (MANAGER, f"/organisations/{slugs['a']}"), (ADMIN, "/admin/organisations"), (ADMIN, "/admin/templates"),
             (ADMIN, "/admin/health"), (ADMIN, "/admin/jobs"), ("link", "/")]
    return app, slugs, domains, clients, pages


def statements(app, client, path: str) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (path, response.status_code)
    return seen


def test_every_page_reads_the_database_in_at_most_ten_queries_whatever_the_number_of_networks(world):
    app, slugs, domains, clients, pages = world
    for who, path in pages:  # the first request of a session loads what later ones find cached
        clients[who].get(path)
    small = {(who, path): statements(app, clients[who], path) for who, path in pages}
    fill(app, slugs, domains, 20, seed=4, report=lambda text: None, first=10)
    large = {(who, path): statements(app, clients[who], path) for who, path in pages}
    counts = {page: (len(small[page]), len(large[page])) for page in pages}
    print("statements per page (10 networks → 30 networks):", counts)
    for page in pages:
        listing = "\n".join(statement.split(" FROM ")[-1][:160] for statement in large[page])
        assert len(large[page]) == len(small[page]), f"{page} {counts[page]}:\n{listing}"
        assert len(large[page]) <= MOST, f"{page} {counts[page]}:\n{listing}"


def _page_by_page(client, path: str, marks: dict[str, str]) -> tuple[list[str], int]:
    """The keys of `marks` (key → text that shows it) in the order the pages of `path` show them, and the
    number of pages, following the pager's rel="next" links."""
    seen, page = [], 0
    while True:
        page += 1
        text = client.get(f"{path}?page={page}").get_data(as_text=True)
        seen += [key for key, mark in marks.items() if mark in text]
        if 'rel="next"' not in text:
            return seen, page


def test_long_lists_show_every_network_once_page_by_page(world):
    app, slugs, domains, clients, pages = world
    fill(app, slugs, domains, 20, seed=4, report=lambda text: None, first=10)
    with app.app_context():
        networks = db.session.execute(select(Network.id, Network.slug).order_by(Network.name)).all()
    everything = [slug for _, slug in networks]
    lists = [(KARTREKKER, "/", {slug: f'id="network-{slug}"' for _, slug in networks}, PAGE_SIZE),
             (KARTREKKER, "/networks", {slug: f'href="/networks/{slug}"' for _, slug in networks},
              dashboard.NETWORKS_PER_PAGE),
             (MANAGER, f"/organisations/{slugs['a']}", {slug: f'id="network-{nid}"' for nid, slug in networks},
              organisation_views.NETWORKS_PER_PAGE)]
    for who, path, marks, size in lists:
        seen, count = _page_by_page(clients[who], path, marks)
        assert seen == everything, path
        assert count == -(-len(everything) // size), path


def test_a_page_number_beyond_what_the_database_holds_shows_the_last_page_of_every_list(world):
    app, slugs, domains, clients, pages = world
    lists = [(KARTREKKER, "/"), (KARTREKKER, "/networks"), (MANAGER, f"/organisations/{slugs['a']}")]
    for who, path in lists:
        last = clients[who].get(path).get_data(as_text=True)  # 10 networks: one page
        huge = clients[who].get(f"{path}?page=99999999999999999999999")
        assert huge.status_code == 200, path
        assert huge.get_data(as_text=True).count('href="/networks/') == last.count('href="/networks/'), path
