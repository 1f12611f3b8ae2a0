"""Launching a network into the sandbox: what it creates (read back from the sandbox), and that relaunches
write nothing, keep edits and pick up what was pending."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar

from extension.extensions import db
from extension.network_templates import get_template
from extension.engine import plan_launch
from extension.networks.models import TASK_APP_ONLY, TASK_PENDING, TASK_WRITTEN, KnowledgeTask, LaunchStep, Network
from extension.organisations.models import Organisation
from tests.networks.conftest import HOST, SCHOOL, SLUG
from tests.networks.snapshot import calendars, differences, files, snapshot, writes

OWNER = "lerend-netwerk"
SHARED = "/Lerende netwerken/Doorgaande lijn Taal Zuilen"
ROOT = f"{OWNER}{SHARED}"
CALENDAR = f"{OWNER}/ln-{SLUG}"
TASKLIST = f"{OWNER}/ln-{SLUG}-taken"
DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
ATTENDEES = {"anna@zonnebloem.example", "bram@zonnebloem.example", "chantal@zonnebloem.example",
             "fatima@zonnebloem.example", "daan@zonnebloem.example", "eva@regenboog.example",
             "hanna@regenboog.example", "iris@kompas.example"}


def _events(calendar: dict) -> list:
    return [Calendar.from_ical(text).walk("VEVENT")[0] for text in calendar["objects"].values()]


def _todos(calendar: dict) -> list:
    return [Calendar.from_ical(text).walk("VTODO")[0] for text in calendar["objects"].values()]


def test_launch_creates_folders_documents_shares_calendar_meetings_invitations_and_tasks(world):
    slug = world.create()
    result = world.launch(slug)
    assert result.ok, result.failed
    a, b = world.sandbox.org("a"), world.sandbox.org("b")
    template = get_template("doorgaande-lijn")

    # Folders and documents in the host's files: the root, one folder per phase, every seeded document.
    tree = files(a.root / "files")
    phase_folders = [f"{ROOT}/{template.phase_folder(p.key)}" for p in template.phases]
    documents = [f"{ROOT}/{d.path}" for d in template.seeded_documents()]
    ours = {path for path in tree if path.startswith(f"{OWNER}/")}
    assert ours == {f"{OWNER}/Lerende netwerken", ROOT, *phase_folders, *documents}
    assert len(documents) == 19 and f"{ROOT}/Readme.md" in documents
    for path in documents:
        assert "{{" not in tree[path] and "{%" not in tree[path], path
    readme = tree[f"{ROOT}/Readme.md"]
    for text in ("Doorgaande lijn Taal Zuilen", "Hoe sluit de taalaanpak van peuters aan op die van kleuters?",
                 "Anna de Vries", "Iris Kok", "Peuterspeelzaal Het Kompas", "Welkom"):
        assert text in readme
    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        # week 6 of the template, on a weekday that is no holiday (extension.networks.schedule)
        first = network.meetings[0].start.date()
    agenda = tree[f"{ROOT}/2. Starten/Agenda 1 - Startbijeenkomst.md"]
    assert f"{DAYS[first.weekday()]} {first.day} {MONTHS[first.month - 1]} {first.year}, 15:30–18:00" in agenda

    # Shares: user shares for the 5 members on A's instance (kartrekker all rights), federated for B's two.
    host_b = b.host
    assert sorted((s.share_with, s.share_type, s.permissions, s.path) for s in a.state.shares.values()) == sorted([
        ("anna", 0, 31, SHARED),
        *((uid, 0, 15, SHARED) for uid in ("bram", "chantal", "fatima", "daan")),
        *((f"{uid}@{host_b}", 6, 15, SHARED) for uid in ("eva", "hanna")),
    ])
    assert sorted((r.user, r.name, r.accepted) for r in b.state.remote_shares.values()) == [
        ("eva", "/Doorgaande lijn Taal Zuilen", False), ("hanna", "/Doorgaande lijn Taal Zuilen", False)]

    # The network calendar: named after the network, shared with the same-instance members, six meetings.
    cals_a = calendars(a)
    calendar = cals_a[CALENDAR]
    assert calendar["props"]["D:displayname"] == "Doorgaande lijn Taal Zuilen"
    assert calendar["props"]["C:supported-calendar-component-set"] == "VEVENT"
    assert calendar["sharees"] == sorted([("principal:principals/users/anna", True)] + [
        (f"principal:principals/users/{uid}", False) for uid in ("bram", "chantal", "fatima", "daan")])
    events = _events(calendar)
    assert len(events) == 6
    zone = ZoneInfo("Europe/Amsterdam")
    starts = sorted(e.decoded("dtstart") for e in events)
    assert starts[0] == datetime.combine(first, time(15, 30), tzinfo=zone).astimezone(timezone.utc)
    for event in events:
        assert str(event["organizer"]) == "mailto:lerend-netwerk@zonnebloem.example"
        assert {str(att)[len("mailto:"):] for att in event["attendee"]} == ATTENDEES
        assert "Agenda: Doorgaande lijn Taal Zuilen/" in str(event["description"])

    # Invitations: every member is invited to every meeting, by the organisation connection account.
    assert sorted((i.method, i.attendee) for i in a.outbox) == sorted(
        ("REQUEST", email) for email in ATTENDEES for _ in range(6))
    assert {i.organizer for i in a.outbox} == {"lerend-netwerk@zonnebloem.example"}

    # Task lists in both connected organisations, shared with their members and manager, with the
    # current phase's tasks: one per task per assignee.
    tasks_a = cals_a[TASKLIST]
    assert tasks_a["props"]["C:supported-calendar-component-set"] == "VTODO"
    assert tasks_a["sharees"] == [(f"principal:principals/users/{uid}", True)
                                  for uid in sorted(("anna", "bram", "chantal", "fatima", "daan"))]
    assert sorted(str(t["summary"]) for t in _todos(tasks_a)) == sorted([
        "Bevestig tijd en podium voor je deelnemer (Daan Visser)",
        "Controleer of de deelnemers elkaar aanvullen (Anna de Vries)",
        "Vul je kennismaking in (Bram Jansen)", "Vul je kennismaking in (Chantal Bakker)",
        "Vul je kennismaking in (Fatima El Amrani)"])
    tasks_b = calendars(b)[TASKLIST]
    assert tasks_b["sharees"] == [("principal:principals/users/eva", True), ("principal:principals/users/hanna", True)]
    assert sorted(str(t["summary"]) for t in _todos(tasks_b)) == [
        "Bevestig tijd en podium voor je deelnemer (Hanna Bos)", "Vul je kennismaking in (Eva Smit)"]
    assert set(calendars(b)) == {f"{OWNER}/personal", TASKLIST}

    # The organisation without Nextcloud: its tasks are kept in the app, without a remote object.
    with world.app.app_context():
        kompas = db.session.query(KnowledgeTask).join(Organisation).filter(
            Organisation.slug == "peuterspeelzaal-het-kompas").all()
        assert sorted((t.assignee_name, t.sync_state, t.remote_href) for t in kompas) == [
            ("Iris Kok", TASK_APP_ONLY, None), ("Joke Meijer", TASK_APP_ONLY, None)]
        written = db.session.query(KnowledgeTask).filter_by(sync_state=TASK_WRITTEN).count()
        assert written == 7
        assert db.session.query(Network).filter_by(slug=slug).one().status == "active"


def test_second_launch_makes_no_write_request(world):
    slug = world.create()
    assert world.launch(slug).ok
    before = snapshot(world.sandbox)
    with world.app.app_context():
        reads = plan_launch(world.app, slug).verify_reads()
    for org in world.sandbox.orgs.values():
        org.clear_log()
    statuses = []
    result = world.launch(slug, progress=lambda step, status: statuses.append(status))
    assert result.ok
    assert writes(world.sandbox) == {}
    assert sum(len(org.request_log) for org in world.sandbox.orgs.values()) == reads == 11  # 10 + the conversation
    assert result.done == 0 and result.verified == result.steps
    assert set(statuses) == {"running", "verified"}
    found = snapshot(world.sandbox)
    assert found == before, differences(found, before)


def test_document_edited_in_nextcloud_is_never_overwritten(sqlite_world):
    world = sqlite_world
    slug = world.create()
    assert world.launch(slug).ok
    edited = world.sandbox.org("a").node_path(OWNER, f"{SHARED}/1. Voorbereiden/Netwerkplan.md")
    edited.write_text("# Ons netwerkplan\n\nHierover hebben we samen besloten.\n", encoding="utf-8")
    with world.app.app_context():
        # Even a step the journal has lost (as after a crash) only creates what is absent.
        db.session.query(LaunchStep).update({"status": "pending"})
        db.session.commit()
    assert world.launch(slug).ok
    assert edited.read_text(encoding="utf-8") == "# Ons netwerkplan\n\nHierover hebben we samen besloten.\n"


def test_deleted_document_is_put_back_by_the_next_launch(sqlite_world):
    world = sqlite_world
    slug = world.create()
    assert world.launch(slug).ok
    readme = world.sandbox.org("a").node_path(OWNER, f"{SHARED}/Readme.md")
    text = readme.read_text(encoding="utf-8")
    readme.unlink()
    result = world.launch(slug)
    assert result.ok and result.done == 1
    assert readme.read_text(encoding="utf-8") == text


def test_tasks_of_an_organisation_connecting_later_are_written_by_the_next_launch(sqlite_world):
    world = sqlite_world
    with world.app.app_context():
        school = db.session.query(Organisation).filter_by(slug=SCHOOL).one()
        account_id, school.connection_account_id = school.connection_account_id, None
        db.session.commit()
    slug = world.create()
    result = world.launch(slug)
    assert result.ok
    assert any("Basisschool De Regenboog is nog niet verbonden" in note for note in result.notes)
    b = world.sandbox.org("b")
    assert TASKLIST not in calendars(b)
    with world.app.app_context():
        pending = db.session.query(KnowledgeTask).filter_by(sync_state=TASK_PENDING).all()
        assert sorted(t.assignee_name for t in pending) == ["Eva Smit", "Hanna Bos"]
        db.session.query(Organisation).filter_by(slug=SCHOOL).one().connection_account_id = account_id
        db.session.commit()

    result = world.launch(slug)
    assert result.ok and result.done == 4
    assert len(calendars(b)[TASKLIST]["objects"]) == 2
    with world.app.app_context():
        assert db.session.query(KnowledgeTask).filter_by(sync_state=TASK_PENDING).count() == 0


def test_failed_step_stops_the_steps_that_need_it_and_the_relaunch_finishes_it(sqlite_world):
    world = sqlite_world
    slug = world.create()
    a = world.sandbox.org("a")
    # "Calendar limit reached" (quirk `calendar_creation_limits`): A's calendar cannot be made for now
    a.calendar_limit = 0
    result = world.launch(slug)
    assert sorted(key for key, _ in result.failed) == [f"{HOST}/calendar/agenda", f"{HOST}/tasklist/takenlijst"]
    assert "maximum number of calendars" in result.failed[0][1]
    assert result.not_run == 6 + 1 + 5 + 1  # meetings and calendar share; task list share and tasks
    assert len(calendars(world.sandbox.org("b"))[TASKLIST]["objects"]) == 2  # the other instance went on
    with world.app.app_context():
        step = db.session.query(LaunchStep).filter_by(key=f"{HOST}/calendar/agenda").one()
        assert step.status == "failed" and step.attempts == 1
        assert db.session.query(Network).filter_by(slug=slug).one().status == "launching"

    a.calendar_limit = 30
    result = world.launch(slug)
    assert result.ok
    assert len(calendars(a)[CALENDAR]["objects"]) == 6
    with world.app.app_context():
        step = db.session.query(LaunchStep).filter_by(key=f"{HOST}/calendar/agenda").one()
        assert (step.status, step.attempts, step.last_error) == ("done", 2, None)


def test_share_with_an_unknown_user_fails_the_step_with_nextclouds_message(sqlite_world):
    world = sqlite_world
    world.network_file.write_text(world.network_file.read_text().replace("user: fatima", "user: fatma"))
    slug = world.create()
    result = world.launch(slug)
    failed = dict(result.failed)
    assert sorted(failed) == [f"{HOST}/calendar-share/agenda", f"{HOST}/share/fatma", f"{HOST}/tasklist-share/takenlijst"]
    assert "valid account" in failed[f"{HOST}/share/fatma"]
    assert "principal:principals/users/fatma" in failed[f"{HOST}/calendar-share/agenda"]


def test_a_failing_progress_callback_stops_the_launch_and_the_relaunch_completes_it(sqlite_world):
    world = sqlite_world
    slug = world.create()
    seen = []

    def progress(step, status):
        seen.append(status)
        if len(seen) == 10:
            raise RuntimeError("the page went away")

    try:
        world.launch(slug, progress)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the callback's error must reach the caller")
    with world.app.app_context():
        done = db.session.query(LaunchStep).filter_by(status="done").count()
        assert 0 < done < 10
    result = world.launch(slug)
    assert result.ok and result.verified > 0  # what was recorded before the stop is only verified
