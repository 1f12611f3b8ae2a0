"""The "my networks" page: a participant sees their launched networks with links into their own Nextcloud."""
from urllib.parse import quote

from tests.access.helpers import signed_in_client
from tests.extension.connected import connect_account


def page_for(app, account_id):
    return signed_in_client(app, account_id).get("/").get_data(as_text=True)


def test_a_member_on_the_host_instance_sees_the_network_with_a_link_to_its_folder(sqlite_world):
    slug = sqlite_world.create()
    sqlite_world.launch(slug)
    app, sandbox = sqlite_world.app, sqlite_world.sandbox
    page = page_for(app, connect_account(app, sandbox, "a", "bram"))
    assert "Doorgaande lijn Taal Zuilen" in page and "Voorbereiden" in page
    folder = quote("/Lerende netwerken/")
    assert f"{sandbox.org('a').base_url}/index.php/apps/files/?dir={folder}" in page.replace("&amp;", "&")


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
