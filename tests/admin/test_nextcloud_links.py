"""Links back into the viewer's own Nextcloud: the right instance, the right folder, pretty URLs or not."""
from types import SimpleNamespace

from extension.nextcloud_links import NextcloudLinks, links_for


def test_files_opens_the_folder_in_the_viewers_own_files():
    links = NextcloudLinks("https://cloud.zonnebloem.nl/")
    assert links.files("Lerende netwerken/Taal & spel") == (
        "https://cloud.zonnebloem.nl/index.php/apps/files/?dir=/Lerende%20netwerken/Taal%20%26%20spel")
    assert links.files() == "https://cloud.zonnebloem.nl/index.php/apps/files/?dir=/"


def test_a_file_link_uses_the_permanent_file_id():
    assert NextcloudLinks("https://example.org/nextcloud").file(4711) == "https://example.org/nextcloud/index.php/f/4711"


def test_calendar_and_tasks_open_the_apps():
    links = NextcloudLinks("https://cloud.regenboog.nl")
    assert links.calendar() == "https://cloud.regenboog.nl/index.php/apps/calendar/"
    assert links.tasks() == "https://cloud.regenboog.nl/index.php/apps/tasks/"


def test_links_follow_the_accounts_organisation():
    account = SimpleNamespace(organisation=SimpleNamespace(nextcloud_url="https://cloud.regenboog.nl"))
    assert links_for(account).tasks() == "https://cloud.regenboog.nl/index.php/apps/tasks/"
    assert links_for(SimpleNamespace(organisation=SimpleNamespace(nextcloud_url=None))) is None
    assert links_for(None) is None
