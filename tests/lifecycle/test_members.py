"""Members joining and leaving a launched network, read back from the sandbox: a late joiner gets the shares,
the tasks of every phase already started and the invitations; a removed member loses folder, calendar and
task list, their open tasks go, and the tasks they completed stay counted."""
from __future__ import annotations

import pytest
from icalendar import Calendar

from extension.extensions import db
from extension.engine.drift import detect
from extension.networks.members import MemberError, NewMember
from tests.networks.calls import add_member, remove_member
from extension.networks.models import KnowledgeTask, Membership
from tests.networks.calls import advance
from tests.lifecycle.conftest import (CALENDAR, FOLDER, HOST, NO_NEXTCLOUD, OWNER, SCHOOL, TASKLIST, clear_logs,
                                      connection, requests_by_method, tasks_of)
from tests.networks.conftest import SLUG
from tests.networks.snapshot import WRITE_METHODS, calendars

SHARED = f"/{FOLDER}"
GIJS = NewMember("Gijs de Boer", "gijs@zonnebloem.example", HOST, "gijs", "deelnemer", "pedagogisch medewerker")
FEMKE = NewMember("Femke de Jong", "femke@regenboog.example", SCHOOL, "femke", "deelnemer", "leerkracht groep 3")


def _writes(sandbox) -> dict[str, int]:
    return {m: n for m, n in requests_by_method(sandbox).items() if m in WRITE_METHODS}


def _todos(world, key: str) -> dict[str, str]:
    """SUMMARY → STATUS of every task in organisation `key`'s task list."""
    found = {}
    for text in calendars(world.sandbox.org(key))[f"{OWNER}/{TASKLIST}"]["objects"].values():
        todo = Calendar.from_ical(text).walk("VTODO")[0]
        found[str(todo["summary"])] = str(todo["status"])
    return found


def _attendees(world) -> list[set[str]]:
    events = calendars(world.sandbox.org("a"))[f"{OWNER}/{CALENDAR}"]["objects"].values()
    result = []
    for text in events:
        values = Calendar.from_ical(text).walk("VEVENT")[0]["attendee"]
        result.append({str(v).lower().removeprefix("mailto:") for v in values})
    return result


def _in_phase_two(world):
    with world.app.app_context():
        assert advance(world.app, SLUG).ok
    clear_logs(world.sandbox)


def _add(world, new: NewMember):
    with world.app.app_context():
        return add_member(world.app, SLUG, new)


def _remove(world, email: str):
    with world.app.app_context():
        return remove_member(world.app, SLUG, email)


def _complete_in_nextcloud(world, key: str, summary: str) -> None:
    """Tick a task off over CalDAV, as the Tasks app does (STATUS, PERCENT-COMPLETE and COMPLETED together)."""
    client = connection(world, key)
    for obj in client.calendars.sync(TASKLIST).changed:
        text = obj.data.decode()
        if f"SUMMARY:{summary}" in text.replace("\r\n ", ""):
            done = (text.replace("STATUS:NEEDS-ACTION", "STATUS:COMPLETED\r\nCOMPLETED:20261201T090000Z")
                    .replace("PERCENT-COMPLETE:0", "PERCENT-COMPLETE:100"))
            client.calendars.update(TASKLIST, obj.href, done.encode(), obj.etag)
            return
    raise AssertionError(f"no task {summary!r}")


def test_a_late_joiner_gets_the_shares_the_tasks_of_every_started_phase_and_the_invitations(launched):
    world = launched
    a = world.sandbox.org("a")
    a.add_user("gijs", password="gijs", display_name="Gijs de Boer", email="gijs@zonnebloem.example")
    _in_phase_two(world)
    replies_before = [set(att) for att in _attendees(world)]

    result = _add(world, GIJS)
    assert result.ok and (result.tasks, result.meetings) == (2, 6)
    # Folder share, calendar share and task-list share, two tasks, Gijs added to six meetings and to the
    # network's conversation in Talk.
    assert _writes(world.sandbox) == {"POST": 3 + 1, "PUT": 2 + 6}
    assert "gijs" in {x.actor_id for x in a.talk.conversations()[0].attendees}
    assert ("gijs", 0, 15, SHARED) in [(s.share_with, s.share_type, s.permissions, s.path)
                                       for s in a.state.shares.values()]
    cals = calendars(a)
    assert ("principal:principals/users/gijs", False) in cals[f"{OWNER}/{CALENDAR}"]["sharees"]
    assert ("principal:principals/users/gijs", True) in cals[f"{OWNER}/{TASKLIST}"]["sharees"]
    mine = sorted(s for s in _todos(world, "a") if s.endswith("(Gijs de Boer)"))
    assert mine == ["Leg het vraagstuk voor aan je team (Gijs de Boer)", "Vul je kennismaking in (Gijs de Boer)"]
    assert [att - before for att, before in zip(_attendees(world), replies_before)] == [{"gijs@zonnebloem.example"}] * 6
    assert sorted(i.method for i in a.outbox if i.attendee == "gijs@zonnebloem.example") == ["REQUEST"] * 6

    # Adding the same person again finishes an earlier attempt: here there is nothing left to write.
    clear_logs(world.sandbox)
    again = _add(world, GIJS)
    assert again.ok and (again.tasks, again.meetings) == (0, 0)
    assert _writes(world.sandbox) == {}
    with world.app.app_context():
        assert detect(world.app, SLUG) == []


def test_a_late_joiner_from_another_instance_gets_a_federated_share_and_tasks_in_their_own_organisation(launched):
    world = launched
    _in_phase_two(world)
    result = _add(world, FEMKE)
    assert result.ok and result.tasks == 2
    host_b = world.sandbox.org("b").host
    assert (f"femke@{host_b}", 6, 15) in [(s.share_with, s.share_type, s.permissions)
                                          for s in world.sandbox.org("a").state.shares.values()]
    assert [r.user for r in world.sandbox.org("b").state.remote_shares.values()].count("femke") == 1
    assert ("principal:principals/users/femke", True) in calendars(world.sandbox.org("b"))[f"{OWNER}/{TASKLIST}"][
        "sharees"]
    assert "Vul je kennismaking in (Femke de Jong)" in _todos(world, "b")
    host_calendar = calendars(world.sandbox.org("a"))[f"{OWNER}/{CALENDAR}"]
    assert not any("femke" in sharee for sharee, _ in host_calendar["sharees"])


BAD_MEMBERS = [
    (NewMember("Gijs", "gijs@zonnebloem.example", "bestaat-niet"),
     "organisation: onbekende organisatie 'bestaat-niet'"),
    (NewMember("Gijs", "gijs-at-zonnebloem", HOST), "email: 'gijs-at-zonnebloem' is geen geldig e-mailadres"),
    (NewMember(" ", "gijs@zonnebloem.example", HOST), "name: mag niet leeg zijn"),
    (NewMember("Bram", "BRAM@zonnebloem.example", HOST, "bram", "manager"),
     "email: BRAM@zonnebloem.example is al lid van netwerk 'Doorgaande lijn Taal Zuilen' (Bram Jansen, "
     "Kinderopvang De Zonnebloem, deelnemer)"),
    (NewMember("Gijs", "gijs@zonnebloem.example", HOST, role="kartrekker"),
     "role: het netwerk heeft al een kartrekker (Anna de Vries); kies een andere rol"),
    (NewMember("Gijs", "gijs@zonnebloem.example", HOST, role="baas"),
     "role: 'baas' is niet toegestaan; kies uit kartrekker, deelnemer, manager, begeleider"),
    (NewMember("Joke", "joke@kompas.example", NO_NEXTCLOUD, user="joke"),
     "user: Peuterspeelzaal Het Kompas heeft geen Nextcloud; laat de gebruikersnaam leeg"),
    (NewMember("Bram 2", "bram2@zonnebloem.example", HOST, user="bram"),
     "user: Nextcloud-gebruiker 'bram' van Kinderopvang De Zonnebloem is al lid (Bram Jansen)"),
]


def test_a_new_member_with_bad_input_is_refused_naming_the_field(sqlite_world):
    world = sqlite_world
    world.create()
    clear_logs(world.sandbox)
    for new, message in BAD_MEMBERS:
        with pytest.raises(MemberError) as refused:
            _add(world, new)
        assert str(refused.value) == message
    assert requests_by_method(world.sandbox) == {}
    with world.app.app_context():
        assert db.session.query(Membership).count() == 8


def test_a_removed_member_loses_folder_calendar_and_task_list_and_their_done_tasks_stay_counted(
        launched_on_each_database):
    world = launched_on_each_database
    a = world.sandbox.org("a")
    _in_phase_two(world)
    _complete_in_nextcloud(world, "a", "Vul je kennismaking in (Bram Jansen)")
    clear_logs(world.sandbox)

    result = _remove(world, "bram@zonnebloem.example")
    assert result.removed == ["gedeelde map 'Doorgaande lijn Taal Zuilen'", "agenda 'Doorgaande lijn Taal Zuilen'",
                              "takenlijst bij Kinderopvang De Zonnebloem",
                              "open taken in de takenlijst bij Kinderopvang De Zonnebloem",
                              "gesprek 'Doorgaande lijn Taal Zuilen' in Nextcloud Talk"]
    assert (result.tasks_removed, result.tasks_kept, result.meetings) == (1, 1, 6)
    # Share DELETE, the two unshare POSTs, the open task's DELETE, six meetings without Bram, and Bram's
    # attendee DELETE in the conversation.
    assert _writes(world.sandbox) == {"DELETE": 2 + 1, "POST": 2, "PUT": 6}

    assert "bram" not in [s.share_with for s in a.state.shares.values()]
    cals = calendars(a)
    assert not any("bram" in sharee for sharee, _ in cals[f"{OWNER}/{CALENDAR}"]["sharees"])
    assert not any("bram" in sharee for sharee, _ in cals[f"{OWNER}/{TASKLIST}"]["sharees"])
    todos = _todos(world, "a")
    assert todos["Vul je kennismaking in (Bram Jansen)"] == "COMPLETED"
    assert "Leg het vraagstuk voor aan je team (Bram Jansen)" not in todos
    assert all("bram@zonnebloem.example" not in attendees for attendees in _attendees(world))
    assert sorted(i.method for i in a.outbox if i.attendee == "bram@zonnebloem.example") == ["CANCEL"] * 6 + [
        "REQUEST"] * 6

    kept = tasks_of(world, assignee_email="bram@zonnebloem.example")
    assert [(t.key, t.status, t.membership_id, t.assignee_name) for t in kept] == [
        ("kennismaking-invullen", "COMPLETED", None, "Bram Jansen")]
    assert kept[0].completed_at is not None
    with world.app.app_context():
        assert db.session.query(Membership).filter_by(email="bram@zonnebloem.example").count() == 0
        assert detect(world.app, SLUG) == []
    clear_logs(world.sandbox)
    assert world.launch(SLUG).ok
    assert _writes(world.sandbox) == {}  # a relaunch does not give Bram anything back

    with pytest.raises(MemberError, match="email: bram@zonnebloem.example is geen lid van netwerk"):
        _remove(world, "bram@zonnebloem.example")


def test_a_removed_member_on_another_instance_loses_the_federated_share_and_their_task_list(launched):
    world = launched
    result = _remove(world, "eva@regenboog.example")
    assert (result.tasks_removed, result.tasks_kept) == (1, 0)
    host_b = world.sandbox.org("b").host
    assert f"eva@{host_b}" not in [s.share_with for s in world.sandbox.org("a").state.shares.values()]
    assert "eva" not in [r.user for r in world.sandbox.org("b").state.remote_shares.values()]
    tasklist = calendars(world.sandbox.org("b"))[f"{OWNER}/{TASKLIST}"]
    assert tasklist["sharees"] == [("principal:principals/users/hanna", True)]
    assert list(_todos(world, "b")) == ["Bevestig tijd en podium voor je deelnemer (Hanna Bos)"]


def test_the_kartrekker_cannot_be_removed_and_a_manager_keeps_what_the_commitment_gives(launched):
    world = launched
    with pytest.raises(MemberError, match="Anna de Vries is de kartrekker"):
        _remove(world, "anna@zonnebloem.example")
    result = _remove(world, "daan@zonnebloem.example")
    assert "takenlijst bij Kinderopvang De Zonnebloem" not in result.removed
    assert any("blijft manager van Kinderopvang De Zonnebloem" in note for note in result.notes)
    assert ("principal:principals/users/daan", True) in calendars(world.sandbox.org("a"))[
        f"{OWNER}/{TASKLIST}"]["sharees"]
    assert "Bevestig tijd en podium voor je deelnemer (Daan Visser)" in _todos(world, "a")
    assert "daan" not in [s.share_with for s in world.sandbox.org("a").state.shares.values()]

    # A member of an organisation without Nextcloud: no share to take away, their tasks are in the app only.
    clear_logs(world.sandbox)
    iris = _remove(world, "iris@kompas.example")
    assert (iris.removed, iris.tasks_removed, iris.meetings) == ([], 1, 6)
    assert _writes(world.sandbox) == {"PUT": 6}
    assert all("iris@kompas.example" not in attendees for attendees in _attendees(world))


def test_a_removal_that_fails_half_way_is_finished_by_the_next_run(launched):
    from extension import engine

    world = launched
    world.sandbox.org("b").faults.maintenance = True
    result = _remove(world, "eva@regenboog.example")
    assert not result.ok
    with world.app.app_context():
        # The app holds what should be: Eva is gone, her open task waits to be withdrawn from Nextcloud.
        assert db.session.query(Membership).filter_by(email="eva@regenboog.example").count() == 0
        assert db.session.query(KnowledgeTask).filter_by(assignee_email="eva@regenboog.example",
                                                         sync_state="withdrawn").count() == 1
    world.sandbox.org("b").faults.maintenance = False
    with world.app.app_context():
        assert engine.run(world.app, "resume", SLUG).ok
        assert db.session.query(KnowledgeTask).filter_by(assignee_email="eva@regenboog.example").count() == 0
    assert list(_todos(world, "b")) == ["Bevestig tijd en podium voor je deelnemer (Hanna Bos)"]



