"""Request counts per plan kind, read from the sandbox's request log; the web actions; one run per network;
and a first creation that never adopts what this installation did not make."""
from __future__ import annotations


from icalendar import Calendar

from extension import engine
from extension.extensions import db
from extension.networks.models import KnowledgeTask, LaunchStep, Meeting, Network
from tests.fixtures.locks import network_held_elsewhere
from tests.networks.calls import launch
from tests.networks.conftest import SLUG
from tests.networks.snapshot import WRITE_METHODS, calendars

OWNER = "lerend-netwerk"
CALENDAR = f"ln-{SLUG}"
TASKLIST = f"ln-{SLUG}-taken"


def _requests(sandbox) -> list[tuple[str, str]]:
    return [(record.method, record.path) for org in sandbox.orgs.values() for record in org.request_log]


def _clear(sandbox) -> None:
    for org in sandbox.orgs.values():
        org.clear_log()


def test_a_first_launch_makes_the_planned_requests_and_a_relaunch_one_read_per_folder_calendar_and_conversation(sqlite_world):
    world = sqlite_world
    slug = world.create()
    with world.app.app_context():
        plan = engine.dry_run(world.app, slug)
    _clear(world.sandbox)
    assert world.launch(slug).ok
    made = _requests(world.sandbox)
    # 7 folders, 19 documents, 7 shares, 1 calendar, 6 meetings, 2 task lists, 7 tasks, 3 share POSTs with
    # one read-back each, the organiser's address, and the conversation (the capabilities read and one POST
    # carrying every participant): nothing listed before a share is made.
    assert len(made) == plan.requests == 58
    assert not [path for method, path in made if method == "GET" and "/shares" in path]
    _clear(world.sandbox)
    assert world.launch(slug).ok
    reads = _requests(world.sandbox)
    assert len(reads) == plan.verify_reads() == 11 and not [m for m, _ in reads if m in WRITE_METHODS]


def test_a_reply_is_written_as_partstat_without_a_new_invitation(sqlite_world):
    world = sqlite_world
    slug = world.create()
    assert world.launch(slug).ok
    a = world.sandbox.org("a")
    invitations = len(a.outbox)
    _clear(world.sandbox)
    with world.app.app_context():
        meeting = db.session.query(Meeting).order_by(Meeting.position).first()
        result = engine.run(world.app, "record-reply", slug, meeting=meeting.key, email="iris@kompas.example",
                            partstat="accepted")
        assert result.ok
        assert db.session.get(Meeting, meeting.id).replies["iris@kompas.example"] == "ACCEPTED"
        uid = meeting.ical_uid
    assert [m for m, _ in _requests(world.sandbox)] == ["GET", "PUT"]
    assert len(a.outbox) == invitations  # a change of PARTSTAT only is not significant: nothing is sent
    event = Calendar.from_ical(calendars(a)[f"{OWNER}/{CALENDAR}"]["objects"][f"{uid}.ics"]).walk("VEVENT")[0]
    iris = next(v for v in event["attendee"] if "iris@kompas.example" in str(v).lower())
    assert iris.params["PARTSTAT"] == "ACCEPTED"


def test_a_task_ticked_for_someone_writes_status_percent_and_completed_together(sqlite_world):
    world = sqlite_world
    slug = world.create()
    assert world.launch(slug).ok
    _clear(world.sandbox)
    with world.app.app_context():
        task = db.session.query(KnowledgeTask).filter_by(sync_state="written").first()
        uid, org_key = task.ical_uid, "a" if task.organisation.slug.startswith("kinderopvang") else "b"
        assert engine.run(world.app, "record-task-done", slug, task=uid, done=True).ok
    assert [m for m, _ in _requests(world.sandbox)] == ["GET", "PUT"]
    todo = Calendar.from_ical(calendars(world.sandbox.org(org_key))[f"{OWNER}/{TASKLIST}"]["objects"][
        f"{uid}.ics"]).walk("VTODO")[0]
    assert (str(todo["status"]), int(todo["percent-complete"]), "completed" in todo) == ("COMPLETED", 100, True)
    with world.app.app_context():
        assert engine.run(world.app, "record-task-done", slug, task=uid, done=False).ok
    todo = Calendar.from_ical(calendars(world.sandbox.org(org_key))[f"{OWNER}/{TASKLIST}"]["objects"][
        f"{uid}.ics"]).walk("VTODO")[0]
    assert (str(todo["status"]), int(todo["percent-complete"]), "completed" in todo) == ("NEEDS-ACTION", 0, False)


def test_a_second_run_on_the_same_network_is_refused_in_dutch_and_journals_nothing(sqlite_world):
    world = sqlite_world
    slug = world.create()
    with network_held_elsewhere(world.app, slug):
        with world.app.app_context():
            try:
                launch(world.app, slug)
            except engine.Busy as refused:
                assert "Er loopt al een actie op het netwerk" in str(refused)
            else:
                raise AssertionError("a second run must be refused")
            assert db.session.query(LaunchStep).count() == 0
    assert _requests(world.sandbox) == [] or not [m for m, _ in _requests(world.sandbox) if m in WRITE_METHODS]


def test_a_folder_and_calendar_found_already_there_are_never_adopted_but_the_next_free_name_is_taken(sqlite_world):
    world = sqlite_world
    slug = world.create()
    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        client = world_client(world, network)
        client.files.ensure_folder(f"Lerende netwerken/{network.folder_name}")
        client.calendars.ensure_calendar(network.calendar_uri, "Van iemand anders")
        folder, uri = network.folder_name, network.calendar_uri
    with world.app.app_context():
        result = launch(world.app, slug)
        assert result.ok, result.failed
        network = db.session.query(Network).filter_by(slug=slug).one()
        assert (network.folder_name, network.calendar_uri) == (f"{folder} (2)", f"{uri}-2")
    assert any(f"'{folder}' bestaat al en is niet door deze installatie gemaakt" in note for note in result.notes)
    assert calendars(world.sandbox.org("a"))[f"{OWNER}/{uri}"]["objects"] == {}  # the other one is untouched


def world_client(world, network):
    from extension.accounts.service import nextcloud_client
    return nextcloud_client(world.app, network.host_organisation.connection)
