"""The "my networks" page: a participant sees their launched networks with links into their own Nextcloud."""
import re
from html import unescape
from urllib.parse import quote

from extension.accounts.models import Account
from extension.dashboard.service import viewer_folder
from extension.extensions import db
from extension.home.overview import MyTask
from extension.networks.models import KnowledgeTask, Network
from tests.access.helpers import signed_in_client
from tests.extension.connected import connect_account
from tests.networks.conftest import SLUG
from tests.sandbox.web import SHARES, ocs, signed_in

FOLDER = "Doorgaande lijn Taal Zuilen"


def page_for(app, account_id):
    return signed_in_client(app, account_id).get("/").get_data(as_text=True)


def folder_link(page: str) -> str:
    return next(unescape(h) for h in re.findall(r'href="([^"]+)"', page) if "/apps/files/?dir=" in h
                and not h.endswith("?dir=/"))


def test_a_member_on_the_host_instance_gets_the_folder_where_the_share_puts_it_in_her_files(sqlite_world):
    slug = sqlite_world.create()
    sqlite_world.launch(slug)
    app, sandbox = sqlite_world.app, sqlite_world.sandbox
    page = page_for(app, connect_account(app, sandbox, "a", "bram"))
    assert FOLDER in page and "Voorbereiden" in page
    # A user share lands in the sharee's root (file_target "/<name>"), not below the owner's "Lerende netwerken".
    link = folder_link(page)
    assert link == f"{sandbox.org('a').base_url}/index.php/apps/files/?dir={quote('/' + FOLDER)}"
    opened = signed_in(sandbox.org("a"), "bram").get(link, timeout=10)
    assert opened.status_code == 200 and "Readme.md" in opened.text


def test_a_member_on_another_instance_finds_the_folder_at_her_link_once_she_accepted_the_share(sqlite_world):
    sqlite_world.launch(sqlite_world.create())
    app, b = sqlite_world.app, sqlite_world.sandbox.org("b")
    link = folder_link(page_for(app, connect_account(app, sqlite_world.sandbox, "b", "eva")))
    assert link == f"{b.base_url}/index.php/apps/files/?dir={quote('/' + FOLDER)}"
    pending = ocs(b, "eva", "GET", f"{SHARES}/remote_shares/pending").json()["ocs"]["data"]
    ocs(b, "eva", "POST", f"{SHARES}/remote_shares/pending/{pending[0]['id']}")
    opened = signed_in(b, "eva").get(link, timeout=10)
    assert opened.status_code == 200 and "Readme.md" in opened.text


def test_the_dashboard_links_the_folder_as_each_viewer_sees_it(sqlite_world):
    sqlite_world.launch(sqlite_world.create())
    app, sandbox = sqlite_world.app, sqlite_world.sandbox
    anna = connect_account(app, sandbox, "a", "anna")
    with app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        owner = network.host_organisation.connection_account
        assert viewer_folder(network, db.session.get(Account, anna)) == f"/{FOLDER}"
        assert viewer_folder(network, owner) == f"/Lerende netwerken/{FOLDER}"


def test_a_member_on_another_instance_gets_links_into_their_own_nextcloud(sqlite_world):
    sqlite_world.launch(sqlite_world.create())
    app, sandbox = sqlite_world.app, sqlite_world.sandbox
    page = page_for(app, connect_account(app, sandbox, "b", "eva"))
    assert "Doorgaande lijn Taal Zuilen" in page
    assert f"{sandbox.org('b').base_url}/index.php/apps/tasks/" in page
    assert sandbox.org("a").base_url not in page


def test_someone_outside_the_network_sees_none(sqlite_world):
    sqlite_world.launch(sqlite_world.create())
    page = page_for(sqlite_world.app, connect_account(sqlite_world.app, sqlite_world.sandbox, "b", "gert"))
    assert "Doorgaande lijn Taal Zuilen" not in page
    assert "Je doet nog niet mee aan een lerend netwerk." in page


def test_a_network_that_was_not_launched_is_not_listed(sqlite_world):
    sqlite_world.create()
    page = page_for(sqlite_world.app, connect_account(sqlite_world.app, sqlite_world.sandbox, "a", "bram"))
    assert "Doorgaande lijn Taal Zuilen" not in page


def test_a_task_shows_its_title_unless_it_was_renamed_in_nextcloud():
    def shown(remote_summary):
        task = KnowledgeTask(title="Vul je kennismaking in", assignee_name="Eva Smit", remote_summary=remote_summary)
        return MyTask(task, overdue=False).title

    assert shown(None) == "Vul je kennismaking in"
    assert shown("Vul je kennismaking in (Eva Smit)") == "Vul je kennismaking in"  # as the launch wrote it
    assert shown("Kennismaking met Femke") == "Kennismaking met Femke"
