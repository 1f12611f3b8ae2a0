"""An object the sync could not read is shown on the dashboard and by `network status`: organisation,
collection, href and reason."""
from __future__ import annotations

from html import unescape

from extension.extensions import db
from extension.networks.models import KnowledgeTask, Network
from extension.sync import service
from tests.sync.conftest import participant_calendars
from tests.sync.test_isolation import OWNER, _break
from tests.web.conftest import SLUG

HOST_NAME = "Kinderopvang De Zonnebloem"


def _break_a_task_of_anna(launched) -> tuple[str, str]:
    """Anna's task gets two PERCENT-COMPLETE lines (as a buggy client writes); returns (task list, href)."""
    with launched.app.app_context():
        service.sync_all(launched.app)  # the first, full read
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        task = db.session.query(KnowledgeTask).filter_by(network_id=network.id,
                                                         assignee_email="anna@zonnebloem.example").first()
        uri, uid = network.tasklist_uri, task.ical_uid
    href = _break(participant_calendars(launched.sandbox, "a", "anna"), f"{uri}_shared_by_{OWNER}", uid)
    with launched.app.app_context():
        report = service.sync_all(launched.app)
    assert report.failed_objects == 1
    return uri, href.rsplit("/", 1)[-1]


def test_the_dashboard_names_the_object_the_sync_could_not_read(anna, launched):
    uri, name = _break_a_task_of_anna(launched)

    text = anna.get(f"/networks/{SLUG}").get_data(as_text=True)

    line = unescape(next(line for line in text.splitlines() if 'class="unreadable"' in line))
    assert f"Takenlijst '{uri}' van {HOST_NAME}: '/remote.php/dav/calendars/" in line
    assert f"/{name}' kon niet gelezen worden en is overgeslagen" in line
    assert "Reden: " in line and "TypeError" in line


def test_network_status_names_the_object_the_sync_could_not_read(launched):
    uri, name = _break_a_task_of_anna(launched)

    result = launched.app.test_cli_runner().invoke(args=["network", "status", SLUG])

    assert result.exit_code == 0, result.output
    assert "Niet te lezen in Nextcloud (overgeslagen; de rest is bijgewerkt):" in result.output
    line = next(line for line in result.output.splitlines() if f"/{name}'" in line)
    assert line.strip().startswith(f"- takenlijst '{uri}' van {HOST_NAME}: '") and "TypeError" in line
