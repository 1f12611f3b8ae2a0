"""A second installation (its own database) launching a network of the same name next to the first one's, in the
same Nextclouds, adopts nothing of the first: it takes the next free names and says so; a task list found in one
organisation only is refused, by every later run too."""
from __future__ import annotations

from extension.accounts.models import Account
from extension.extensions import db
from extension.networks.models import Network
from extension.organisations import service as organisations
from sandbox.demo import FUNCTIONAL_ACCOUNT
from tests.extension.connected import connect_account
from tests.fixtures.app import running_app
from tests.networks.conftest import World, build_world, network_yaml
from tests.networks.snapshot import calendars


def _second_installation(app, sandbox, folder) -> World:
    """build_world without adding the extra sandbox user again (the first installation did)."""
    for key in ("a", "b"):
        account_id = connect_account(app, sandbox, key, FUNCTIONAL_ACCOUNT)
        with app.app_context():
            account = db.session.get(Account, account_id)
            account.organisation.connection_account_id = account.id
            db.session.commit()
    with app.app_context():
        organisations.add_organisation(organisations.OrganisationInput(name="Peuterspeelzaal Het Kompas",
                                                                       kind="peuterspeelzaal"))
    path = folder / "netwerk.yml"
    path.write_text(network_yaml(), encoding="utf-8")
    return World(app, sandbox, path)


def _shares_of(sandbox, folder: str) -> list:
    """The shares of the folder and everything below it, in every organisation."""
    return sorted((s.owner, s.path, s.share_type, s.share_with, s.permissions)
                  for org in sandbox.orgs.values() for s in org.state.shares.values()
                  if s.path == folder or s.path.startswith(folder + "/"))


def _collections(sandbox, *uris: str) -> dict:
    """The named calendars and task lists in every organisation: properties, objects and sharees."""
    return {key: {name: found for name, found in calendars(org).items() if name.split("/")[-1] in uris}
            for key, org in sandbox.orgs.items()}


def _resources(app) -> tuple[str, str, str]:
    with app.app_context():
        network = db.session.query(Network).one()
        return network.folder_name, network.calendar_uri, network.tasklist_uri


def test_a_second_installation_never_adopts_or_shares_the_first_ones_folder_calendar_or_task_lists(sandbox,
                                                                                                    tmp_path):
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    with running_app(f"sqlite:///{tmp_path / 'first.sqlite'}", tmp_path / "first") as first:
        world = build_world(first, sandbox, tmp_path / "first")
        assert world.launch(world.create()).ok
        folder, calendar, tasklist = _resources(first)
    shares_before = _shares_of(sandbox, f"/Lerende netwerken/{folder}")
    collections_before = _collections(sandbox, calendar, tasklist)

    with running_app(f"sqlite:///{tmp_path / 'second.sqlite'}", tmp_path / "second") as second:
        other = _second_installation(second, sandbox, tmp_path / "second")
        result = other.launch(other.create())
        assert result.ok, result.failed
        names = _resources(second)
        assert other.launch().ok  # a relaunch verifies its own, still adopting nothing
        assert _resources(second) == names

    assert names[0] != folder and names[1] != calendar and names[2] != tasklist
    assert _shares_of(sandbox, f"/Lerende netwerken/{folder}") == shares_before  # nothing shared of the first's
    assert _collections(sandbox, calendar, tasklist) == collections_before
    assert sorted(str(note) for note in result.notes if "bestaat al en is niet door deze installatie gemaakt" in note) == [
        f"De agenda '{calendar}' bestaat al en is niet door deze installatie gemaakt; '{names[1]}' wordt gebruikt.",
        f"De map '{folder}' bestaat al en is niet door deze installatie gemaakt; '{names[0]}' wordt gebruikt.",
        f"De takenlijst '{tasklist}' bestaat al en is niet door deze installatie gemaakt; '{names[2]}' wordt "
        "gebruikt."]


def test_a_task_list_found_in_one_organisation_only_is_refused_and_never_adopted_by_a_relaunch(sandbox, tmp_path):
    from extension.accounts.service import nextcloud_client
    from extension.organisations.models import Organisation
    from tests.networks.conftest import SCHOOL

    with running_app(f"sqlite:///{tmp_path / 'test.sqlite'}", tmp_path) as app:
        world = build_world(app, sandbox, tmp_path)
        slug = world.create()
        _, _, tasklist = _resources(app)
        with app.app_context():
            school = db.session.query(Organisation).filter_by(slug=SCHOOL).one()
            # Somebody else's list under the name the network will use, in the school's Nextcloud only.
            nextcloud_client(app, school.connection).calendars.ensure_calendar(tasklist, "Van iemand anders",
                                                                               components=["VTODO"])
        foreign = _collections(sandbox, tasklist)["b"]

        for _ in range(2):  # the launch, then a relaunch: the second must not take the list as its own
            result = world.launch(slug)
            assert [key for key, _ in result.failed] == [f"{SCHOOL}/tasklist/takenlijst"]
            assert "bestaat al en is niet door deze installatie gemaakt; hernoem of verwijder" in result.failed[0][1]
        assert _resources(app)[2] == tasklist  # the host's list made under this name cannot move alone
    assert _collections(sandbox, tasklist)["b"] == foreign  # not shared, nothing written into it
