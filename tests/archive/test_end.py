"""`network end [--move-folder]`: archived in the app; the folder moved into the archive with every document,
every share gone, nothing deleted; a second run writes nothing and an interrupted run is finished by the next."""
from __future__ import annotations

import pytest

from connectors.ocs import SHARE_LINK
from extension.accounts.service import nextcloud_client
from extension.extensions import db
from tests.networks.calls import end_network
from extension.networks.export import export_network
from extension.networks.models import Network
from extension.organisations.models import Organisation
from tests.networks.conftest import SCHOOL, SLUG, network_yaml
from tests.networks.snapshot import calendars, files, writes

OWNER = "lerend-netwerk"
FOLDER = "Doorgaande lijn Taal Zuilen"
SOURCE = f"Lerende netwerken/{FOLDER}"
TARGET = f"Lerende netwerken/Archief/{FOLDER}"
CALENDAR = f"ln-{SLUG}"
TASKLIST = f"ln-{SLUG}-taken"


def tree_below(world, path: str) -> dict[str, str]:
    """The files and folders below `path` in the host account's files, by their path relative to it."""
    root = world.sandbox.org("a").root / "files"
    prefix = f"{OWNER}/{path}/"
    return {name[len(prefix):]: content for name, content in files(root).items() if name.startswith(prefix)}


def host_client(world):
    network = db.session.query(Network).filter_by(slug=SLUG).one()
    return nextcloud_client(world.app, network.host_organisation.connection)


def end(world, move_folder: bool = True):
    with world.app.app_context():
        return end_network(world.app, SLUG, move_folder=move_folder)


def network_row(world) -> tuple[str, str]:
    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        return network.status, network.folder_name


def shares_left(world) -> dict:
    a, b = world.sandbox.org("a"), world.sandbox.org("b")
    return {
        "folder": sorted(s.path for s in a.state.shares.values()),
        "federated": sorted(r.user for r in b.state.remote_shares.values()),
        "calendar": a.calendar_sharees(OWNER, CALENDAR),
        "tasklists": a.calendar_sharees(OWNER, TASKLIST) + b.calendar_sharees(OWNER, TASKLIST),
    }


NO_SHARES = {"folder": [], "federated": [], "calendar": [], "tasklists": []}


def clear_logs(world) -> None:
    for org in world.sandbox.orgs.values():
        org.clear_log()


def test_ending_without_move_folder_archives_in_the_app_only(sqlite_launched):
    world = sqlite_launched
    before = shares_left(world)
    clear_logs(world)
    result = end(world, move_folder=False)
    assert result.archived and result.ok and not result.changed_nextcloud
    assert network_row(world) == ("archived", FOLDER)
    assert all(org.request_log == [] for org in world.sandbox.orgs.values())
    assert shares_left(world) == before
    assert end(world, move_folder=False).archived is False


def test_ending_with_move_folder_moves_every_document_and_removes_every_share(launched):
    world = launched
    documents = tree_below(world, SOURCE)
    assert len(documents) > 20 and shares_left(world)["folder"]
    with world.app.app_context():
        # A link to one document, as a member with share rights might have made: it goes too.
        host_client(world).ocs.create_share(f"/{SOURCE}/Readme.md", SHARE_LINK, permissions=1)
    events_and_tasks = {name: c["objects"] for name, c in calendars(world.sandbox.org("a")).items()}

    result = world.app.test_cli_runner().invoke(args=["network", "end", SLUG, "--move-folder"])
    assert result.exit_code == 0, result.output
    assert f"Netwerk '{SLUG}' is gearchiveerd." in result.output
    assert f"Map verplaatst naar '{TARGET}'." in result.output
    removed = next(line for line in result.output.splitlines() if line.startswith("Map niet meer gedeeld met: "))
    assert {"anna", "bram", "openbare link"} <= set(removed.split(": ", 1)[1].split(", "))
    assert ("Niet meer gedeeld: agenda van Kinderopvang De Zonnebloem: anna, bram, chantal, fatima, daan"
            in result.output)
    assert "Niet meer gedeeld: takenlijst van Basisschool De Regenboog: eva, hanna" in result.output

    # Moved with every document as it was; read back over WebDAV too.
    assert tree_below(world, SOURCE) == {}
    assert tree_below(world, TARGET) == documents
    with world.app.app_context():
        assert host_client(world).files.read(f"{TARGET}/Readme.md").decode("utf-8") == documents["Readme.md"]
    # No one else sees anything of it any more; the calendar, events, task lists and tasks are all still there.
    assert shares_left(world) == NO_SHARES
    assert {name: c["objects"] for name, c in calendars(world.sandbox.org("a")).items()} == events_and_tasks
    assert network_row(world) == ("archived", f"Archief/{FOLDER}")

    clear_logs(world)
    again = world.app.test_cli_runner().invoke(args=["network", "end", SLUG, "--move-folder"])
    assert again.exit_code == 0, again.output
    assert f"Netwerk '{SLUG}' was al gearchiveerd." in again.output
    assert "In Nextcloud was niets meer te doen." in again.output
    assert writes(world.sandbox) == {}

    # The export says where the folder is now, so an imported network tracks the archived folder.
    with world.app.app_context():
        exported = export_network(SLUG)["network"]
    assert (exported["status"], exported["folder_name"]) == ("archived", f"Archief/{FOLDER}")


def test_a_move_whose_answer_was_lost_is_recognised_by_the_next_run(sqlite_launched):
    world = sqlite_launched
    a = world.sandbox.org("a")

    def lose_the_answer_to_move(method, path):
        if method == "MOVE":
            raise ConnectionResetError("the answer to MOVE never arrives")

    a.faults.on_request = lose_the_answer_to_move
    try:
        first = end(world)
    finally:
        a.faults.on_request = None
    assert [f for f in first.failed if f.startswith("Map: ")] and first.moved_to is None
    assert tree_below(world, SOURCE) == {} and tree_below(world, TARGET)
    assert network_row(world) == ("archived", FOLDER)

    clear_logs(world)
    second = end(world)
    assert second.ok, second.failed
    assert network_row(world) == ("archived", f"Archief/{FOLDER}")
    assert shares_left(world) == NO_SHARES
    assert writes(world.sandbox) == {}


def test_an_end_cut_short_while_removing_shares_is_finished_by_the_next_run(sqlite_launched):
    world = sqlite_launched
    a = world.sandbox.org("a")
    documents = tree_below(world, SOURCE)
    deletes = []

    def fail_after_two_share_deletes(method, path):
        if method == "DELETE" and "/shares/" in path:
            deletes.append(path)
            if len(deletes) == 2:
                a.faults.fail_next(423, count=1000)

    a.faults.on_request = fail_after_two_share_deletes
    try:
        first = end(world)
    finally:
        a.faults.reset()
    # The step that failed half-way reports nothing; the next run finds the shares left and removes them.
    assert not first.ok and first.folder_shares_removed == [] and first.moved_to is None
    assert tree_below(world, SOURCE) == documents
    # Organisation B's task list was still unshared: one failing instance does not stop the others.
    assert world.sandbox.org("b").calendar_sharees(OWNER, TASKLIST) == []

    second = end(world)
    assert second.ok, second.failed
    assert second.moved_to == TARGET and len(second.folder_shares_removed) == 5
    assert tree_below(world, TARGET) == documents
    assert shares_left(world) == NO_SHARES


def test_an_existing_folder_in_the_archive_is_never_overwritten(sqlite_launched):
    world = sqlite_launched
    with world.app.app_context():
        client = host_client(world)
        client.files.ensure_folder(TARGET)
        client.files.create_if_absent(f"{TARGET}/Van eerder.md", b"# Van een eerder netwerk\n")
    documents = tree_below(world, SOURCE)

    result = world.app.test_cli_runner().invoke(args=["network", "end", SLUG, "--move-folder"])
    assert result.exit_code != 0
    assert (f"Mislukt: Map: in 'Lerende netwerken/Archief' staat al een map '{FOLDER}'; hernoem of verplaats die en "
            "voer dit opnieuw uit (er is niets overschreven).") in result.output
    assert tree_below(world, SOURCE) == documents
    assert tree_below(world, TARGET) == {"Van eerder.md": "# Van een eerder netwerk\n"}
    assert network_row(world) == ("archived", FOLDER)


def test_a_network_named_archief_never_gets_the_archive_folder(sqlite_launched, tmp_path):
    world = sqlite_launched
    path = tmp_path / "archief.yml"
    path.write_text(network_yaml(name="Archief"), encoding="utf-8")
    slug = world.create(path)
    with world.app.app_context():
        assert db.session.query(Network).filter_by(slug=slug).one().folder_name == "Archief (2)"
    result = end(world)
    assert result.failed == []
    assert network_row(world) == ("archived", f"Archief/{FOLDER}")


def test_move_folder_needs_the_host_connection_and_changes_nothing_without_it(sqlite_world):
    world = sqlite_world
    world.create()
    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=SLUG).one()
        network.host_organisation.connection_account_id = None
        db.session.commit()
    result = world.app.test_cli_runner().invoke(args=["network", "end", SLUG, "--move-folder"])
    assert result.exit_code != 0
    assert "De gastorganisatie Kinderopvang De Zonnebloem heeft geen werkende verbinding met Nextcloud" in result.output
    assert network_row(world) == ("draft", FOLDER)


def test_a_member_organisation_without_connection_is_reported_and_done_by_a_later_run(sqlite_launched):
    world = sqlite_launched
    with world.app.app_context():
        school = db.session.query(Organisation).filter_by(slug=SCHOOL).one()
        account_id, school.connection_account_id = school.connection_account_id, None
        db.session.commit()
    first = end(world)
    assert first.failed == ["Takenlijst van Basisschool De Regenboog: de organisatie is niet verbonden; de takenlijst "
                            "blijft gedeeld tot zij verbonden is en dit opnieuw wordt uitgevoerd."]
    assert first.moved_to == TARGET
    assert world.sandbox.org("b").calendar_sharees(OWNER, TASKLIST) != []

    with world.app.app_context():
        db.session.query(Organisation).filter_by(slug=SCHOOL).one().connection_account_id = account_id
        db.session.commit()
    second = end(world)
    assert second.ok and second.calendar_sharees_removed == ["takenlijst van Basisschool De Regenboog: eva, hanna"]
    assert shares_left(world) == NO_SHARES


def test_ending_an_unknown_network_names_it(sqlite_app):
    with sqlite_app.app_context():
        with pytest.raises(LookupError, match="er is geen netwerk 'bestaat-niet'"):
            end_network(sqlite_app, "bestaat-niet", move_folder=True)



def test_an_ended_network_is_not_launched_again(sqlite_launched):
    world = sqlite_launched
    end(world)
    writes_before = writes(world.sandbox)
    result = world.app.test_cli_runner().invoke(args=["network", "launch", SLUG])
    assert result.exit_code != 0
    assert "Het netwerk 'Doorgaande lijn Taal Zuilen' is beëindigd (gearchiveerd)" in result.output
    assert writes(world.sandbox) == writes_before
