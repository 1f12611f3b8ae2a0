"""What people do in their own Nextcloud reaches the network's status after one sync cycle."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar

from extension.extensions import db
from extension.networks.models import Meeting, Network
from extension.networks.status import describe, network_status
from tests.sync.conftest import complete_task, participant_calendars

OWNER = "lerend-netwerk"


def test_a_task_completed_in_organisation_b_shows_done_with_its_completion_time(launched):
    with launched.app.app_context():
        task = launched.task("eva@regenboog.example")
        uri, uid, title = task.network.tasklist_uri, task.ical_uid, task.title
        assert task.status == "NEEDS-ACTION"
    first = launched.sync()
    assert first.ok, first.results

    # Eva ticks the task off in her own Nextcloud: the task list is shared with her by B's connection.
    eva = participant_calendars(launched.sandbox, "b", "eva")
    done_at = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    complete_task(eva, f"{uri}_shared_by_{OWNER}", uid, done_at)

    report = launched.sync()
    assert report.ok and report.updated == 1

    with launched.app.app_context():
        status = network_status(launched.slugs[0])
        school = next(o for o in status.organisations if o.organisation == "Basisschool De Regenboog")
        eva_task = next(t for t in school.tasks if t.assignee == "Eva Smit")
        assert eva_task.done and eva_task.percent == 100 and eva_task.completed_at == done_at
        assert (school.done, school.open) == (1, 1)
        text = describe(launched.slugs[0])
    assert f"{title} — Eva Smit (Basisschool De Regenboog): in Nextcloud, klaar op 2026-03-02 10:30" in text
    assert "  Basisschool De Regenboog: 1 klaar, 1 open" in text


def test_accepted_and_declined_replies_on_a_meeting_reach_the_status(launched):
    launched.sync()
    with launched.app.app_context():
        network = db.session.query(Network).filter_by(slug=launched.slugs[0]).one()
        meeting = network.meetings[0]
        uri, uid, title = network.calendar_uri, meeting.ical_uid, meeting.title

    # Nextcloud applies a REPLY to the organizer's copy by changing the attendee's PARTSTAT
    # (sabre/vobject lib/ITip/Broker.php, processMessageReply).
    owner = launched.owner_calendars("a")
    current = owner.get(uri, uid)
    calendar = Calendar.from_ical(current.data)
    for attendee in calendar.walk("VEVENT")[0]["attendee"]:
        email = str(attendee).lower()
        if email == "mailto:anna@zonnebloem.example":
            attendee.params["PARTSTAT"] = "ACCEPTED"
        elif email == "mailto:eva@regenboog.example":
            attendee.params["PARTSTAT"] = "DECLINED"
        elif email == "mailto:bram@zonnebloem.example":
            attendee.params["PARTSTAT"] = "TENTATIVE"
    owner.update(uri, current.href, calendar.to_ical(), current.etag)

    report = launched.sync()
    assert report.ok and report.updated == 1
    with launched.app.app_context():
        replies = next(m for m in network_status(launched.slugs[0]).meetings if m.title == title)
        assert replies.read_back
        assert replies.accepted == ("Anna de Vries",)
        assert replies.declined == ("Eva Smit",)
        assert replies.tentative == ("Bram Jansen",)
        assert len(replies.no_reply) == 5 and "Iris Kok" in replies.no_reply
        stored = db.session.query(Meeting).filter_by(ical_uid=uid).one().replies
        assert stored["anna@zonnebloem.example"] == "ACCEPTED"
        text = describe(launched.slugs[0])
    assert f"{title} op " in text and ": 1 ja, 1 nee, 1 misschien, 5 geen antwoord" in text
    assert "    nee: Eva Smit" in text


def test_the_status_counts_overdue_tasks_per_organisation(launched_one):
    launched_one.sync()
    with launched_one.app.app_context():
        network = db.session.query(Network).filter_by(slug=launched_one.slugs[0]).one()
        latest_due = max(t.due_on for t in network.tasks)
        earliest_due = min(t.due_on for t in network.tasks)
        before = network_status(network.slug, today=earliest_due)
        after = network_status(network.slug, today=latest_due + timedelta(days=1))
    assert all(o.overdue == 0 for o in before.organisations)
    host = next(o for o in after.organisations if o.organisation == "Kinderopvang De Zonnebloem")
    assert (host.done, host.open, host.overdue) == (0, 5, 5)
