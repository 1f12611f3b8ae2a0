"""A conversation per network in Nextcloud Talk on the host's Nextcloud: made with the launch, linked from the
Readme and the journal, verified with one read, kept in step with the members, closed when the network ends;
skipped with a Dutch note where the host has no Talk, and never one this installation did not make."""
from __future__ import annotations

from extension import engine
from extension.engine.plan import conversation_token, conversation_url
from extension.extensions import db
from extension.networks.models import LaunchStep, Network, StepState
from tests.networks.calls import launch
from tests.networks.conftest import HOST, SLUG

OWNER = "lerend-netwerk"
README = f"{OWNER}/Lerende netwerken/Doorgaande lijn Taal Zuilen/Readme.md"
NAME = "Doorgaande lijn Taal Zuilen"
KEY = f"{HOST}/conversation/gesprek"


def _talk_requests(org) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in org.request_log
            if "/apps/spreed/" in r.path or r.path.endswith("/cloud/capabilities")]


def _attendees(room) -> set[tuple[str, str, int]]:
    return {(a.actor_type, a.actor_id, a.participant_type) for a in room.attendees}


def _readme(org) -> str:
    return (org.root / "files" / README).read_text("utf-8")


def test_a_launch_makes_one_group_conversation_with_the_host_users_and_the_other_nextclouds_members(sqlite_world):
    world = sqlite_world
    a, b = world.sandbox.org("a"), world.sandbox.org("b")
    slug = world.create()
    result = world.launch(slug)
    assert result.ok, result.failed
    [room] = a.talk.conversations()
    assert (room.type, room.name) == (2, NAME)
    assert _attendees(room) == {
        ("users", OWNER, 1), ("users", "anna", 3), ("users", "bram", 3), ("users", "chantal", 3),
        ("users", "fatima", 3), ("users", "daan", 3),
        ("federated_users", f"eva@{b.host}", 3), ("federated_users", f"hanna@{b.host}", 3)}
    assert b.talk.conversations() == []  # the conversation lives on the host's Nextcloud only
    # The capabilities read and one POST carrying every participant.
    assert _talk_requests(a) == [("GET", "/ocs/v2.php/cloud/capabilities"),
                                 ("POST", "/ocs/v2.php/apps/spreed/api/v4/room")]
    url = f"{a.base_url}/index.php/call/{room.token}"
    assert _readme(a).endswith(f"\n## Gesprek\n\nPraat tussen de bijeenkomsten verder in het gesprek van het "
                               "netwerk in Nextcloud Talk. Werk je in de Nextcloud van een andere organisatie, dan "
                               "staat het gesprek in Talk van je eigen Nextcloud zodra je de uitnodiging daar "
                               f"accepteert. Het gesprek: <{url}>\n")
    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        assert (conversation_token(network), conversation_url(network)) == (room.token, url)


def test_without_talk_at_the_host_the_conversation_is_skipped_with_a_dutch_note_and_the_readme_has_no_link(
        sqlite_world):
    world = sqlite_world
    a = world.sandbox.org("a")
    a.talk.enabled = False
    slug = world.create()
    result = world.launch(slug)
    assert result.ok, result.failed
    assert any("Nextcloud Talk staat niet aan bij de gastorganisatie" in note for note in result.notes)
    assert a.talk.conversations() == []
    assert "## Gesprek" not in _readme(a) and "/index.php/call/" not in _readme(a)
    assert _talk_requests(a) == [("GET", "/ocs/v2.php/cloud/capabilities")]
    with world.app.app_context():
        row = db.session.query(LaunchStep).filter_by(key=KEY).one()
        assert row.status == StepState.DONE and row.result["skipped"] is True
        assert conversation_url(db.session.query(Network).filter_by(slug=slug).one()) is None


def test_a_relaunch_verifies_the_conversation_with_one_read(sqlite_world):
    world = sqlite_world
    a = world.sandbox.org("a")
    slug = world.create()
    assert world.launch(slug).ok
    a.clear_log()
    result = world.launch(slug)
    assert result.ok and result.done == 0
    [room] = a.talk.conversations()
    assert _talk_requests(a) == [("GET", f"/ocs/v2.php/apps/spreed/api/v4/room/{room.token}")]


def test_a_conversation_deleted_in_talk_is_made_again_by_the_relaunch(sqlite_world):
    world = sqlite_world
    a = world.sandbox.org("a")
    slug = world.create()
    assert world.launch(slug).ok
    [gone] = a.talk.conversations()
    del a.talk.rooms[gone.token]
    assert world.launch(slug).ok
    [room] = a.talk.conversations()
    assert room.token != gone.token and len(room.attendees) == 8
    with world.app.app_context():
        assert conversation_token(db.session.query(Network).filter_by(slug=slug).one()) == room.token


def test_a_removed_member_leaves_the_conversation_and_a_new_one_joins_it(sqlite_world):
    world = sqlite_world
    a, b = world.sandbox.org("a"), world.sandbox.org("b")
    slug = world.create()
    assert world.launch(slug).ok
    with world.app.app_context():
        removed = engine.run(world.app, "remove-member", slug, email="eva@regenboog.example")
        assert removed.launch.ok
        assert f"gesprek '{NAME}' in Nextcloud Talk" in removed.removed
        bram = engine.run(world.app, "remove-member", slug, email="bram@zonnebloem.example")
        assert bram.launch.ok
    [room] = a.talk.conversations()
    actors = {a_.actor_id for a_ in room.attendees}
    assert f"eva@{b.host}" not in actors and "bram" not in actors
    assert {"anna", "chantal", f"hanna@{b.host}"} <= actors


def test_someone_a_moderator_invited_stays_when_the_members_change(sqlite_world):
    world = sqlite_world
    a = world.sandbox.org("a")
    slug = world.create()
    assert world.launch(slug).ok
    [room] = a.talk.conversations()
    a.talk._attend(room, "users", "erik", "Erik", 3)  # invited in Talk by hand, not by this installation
    with world.app.app_context():
        assert engine.run(world.app, "remove-member", slug, email="bram@zonnebloem.example").launch.ok
    actors = {a_.actor_id for a_ in a.talk.conversations()[0].attendees}
    assert "erik" in actors and "bram" not in actors


def test_a_conversation_of_the_same_name_made_by_someone_else_is_never_adopted(sqlite_world):
    world = sqlite_world
    a = world.sandbox.org("a")
    slug = world.create()
    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        client = _client(world, network)
        other = client.talk.create_group(NAME, description="Van iemand anders")
    assert world.launch(slug).ok
    rooms = {r.token: r for r in a.talk.conversations()}
    assert len(rooms) == 2 and len(rooms[other.token].attendees) == 1  # the other one is untouched
    with world.app.app_context():
        assert conversation_token(db.session.query(Network).filter_by(slug=slug).one()) != other.token


def test_a_creation_whose_answer_was_never_journaled_finds_its_own_conversation_again(sqlite_world):
    world = sqlite_world
    a = world.sandbox.org("a")
    slug = world.create()
    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        _client(world, network).talk.create_group(NAME, description="Van iemand anders")
    assert world.launch(slug).ok
    with world.app.app_context():
        # As if the run was killed right after the POST: started in the journal, its answer lost.
        row = db.session.query(LaunchStep).filter_by(key=KEY).one()
        ours = row.result["token"]
        row.status, row.result = StepState.RUNNING, None
        db.session.commit()
    a.clear_log()
    assert world.launch(slug).ok
    assert len(a.talk.conversations()) == 2  # no second conversation of ours
    assert ("POST", "/ocs/v2.php/apps/spreed/api/v4/room") not in _talk_requests(a)
    with world.app.app_context():
        assert conversation_token(db.session.query(Network).filter_by(slug=slug).one()) == ours


def test_with_talk_federation_off_the_other_nextclouds_members_are_left_out_with_a_note(sqlite_world):
    world = sqlite_world
    a = world.sandbox.org("a")
    a.talk.federation = False
    slug = world.create()
    result = world.launch(slug)
    assert result.ok, result.failed
    [room] = a.talk.conversations()
    assert {x.actor_type for x in room.attendees} == {"users"} and len(room.attendees) == 6
    assert any("Federatie staat uit in Nextcloud Talk" in note for note in result.notes)


def test_an_older_talk_without_creation_with_participants_gets_the_same_conversation_one_by_one(sqlite_world):
    world = sqlite_world
    a, b = world.sandbox.org("a"), world.sandbox.org("b")
    a.talk.creation_all = False
    slug = world.create()
    assert world.launch(slug).ok
    [room] = a.talk.conversations()
    assert len(room.attendees) == 8 and "ref " in room.description
    assert [m for m, p in _talk_requests(a)].count("POST") == 1 + 7  # the room, then each participant


def test_ending_the_network_keeps_the_conversation_renamed_and_read_only(sqlite_world):
    world = sqlite_world
    a = world.sandbox.org("a")
    slug = world.create()
    assert world.launch(slug).ok
    with world.app.app_context():
        result = engine.run(world.app, "end", slug, move_folder=True)
        assert result.ok, result.failed
        assert any("afgerond" in note for note in result.notes)
    [room] = a.talk.conversations()
    assert (room.name, room.read_only, len(room.attendees)) == (f"{NAME} (afgerond)", 1, 8)


def _client(world, network):
    from extension.accounts.service import nextcloud_client
    return nextcloud_client(world.app, network.host_organisation.connection)


def test_the_launch_plan_writes_the_readme_after_the_conversation(sqlite_world):
    world = sqlite_world
    slug = world.create()
    with world.app.app_context():
        plan = engine.dry_run(world.app, slug)
    readme = next(s for s in plan.steps if s.kind == "document" and s.key.endswith("/Readme.md"))
    assert KEY in readme.after
    with world.app.app_context():
        assert launch(world.app, SLUG).ok


def test_a_deleted_conversation_is_found_by_the_drift_check_and_made_again_by_the_repair(sqlite_world):
    from extension.engine.drift import detect
    world = sqlite_world
    a = world.sandbox.org("a")
    slug = world.create()
    assert world.launch(slug).ok
    [gone] = a.talk.conversations()
    del a.talk.rooms[gone.token]
    with world.app.app_context():
        findings = detect(world.app, slug)
        assert [(f.step_key, f.message) for f in findings] == [
            (KEY, "het gesprek van het netwerk in Nextcloud Talk ontbreekt (verwijderd in Talk)")]
    a.clear_log()
    with world.app.app_context():
        result = engine.run(world.app, "repair", slug, findings=findings)
        assert result.launch.ok
    [room] = a.talk.conversations()
    assert len(room.attendees) == 8
    assert [m for m, _ in _talk_requests(a)] == ["GET", "GET", "POST"]  # capabilities, the old one, the new one
