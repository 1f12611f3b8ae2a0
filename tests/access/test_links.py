"""Personal links: the welcome mail after a launch, the page a link opens, replies and ticks that reach
Nextcloud through the organisation connections, and links that expired or were revoked."""
from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from connectors.ical import parse_event_replies, parse_todo
from extension.extensions import db
from extension.jobs.models import Job
from extension.links.models import PersonalLink
from extension.mail.welcome import send_welcome_mails
from extension.networks.models import KnowledgeTask, Meeting, Membership, Network
from extension.organisations.models import utcnow
from tests.access.helpers import csrf_token
from tests.access.mailbox import use_mailbox
from tests.fixtures.locks import network_held_elsewhere
from tests.lifecycle.conftest import CALENDAR, TASKLIST, clear_logs, connection
from tests.networks.conftest import SLUG

RECIPIENTS = {"eva@regenboog.example", "hanna@regenboog.example", "iris@kompas.example", "joke@kompas.example"}


def launched_and_mailed(world, mailbox):
    assert world.launch(world.create()).ok
    use_mailbox(world.app, mailbox)
    with world.app.app_context():
        network_id = db.session.query(Network.id).filter_by(slug=SLUG).scalar()
        assert send_welcome_mails(world.app, network_id) == len(RECIPIENTS)
    return network_id


def open_link(app, url: str):
    client = app.test_client()
    response = client.get(urlsplit(url).path)
    return client, response


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/")})


def test_everyone_outside_the_hosts_nextcloud_gets_one_dutch_welcome_mail_with_a_personal_link(sqlite_world, mailbox):
    network_id = launched_and_mailed(sqlite_world, mailbox)
    assert {str(m["To"]).split("<")[-1].rstrip(">") for m in mailbox.messages} == RECIPIENTS
    message = mailbox.to("iris@kompas.example")[0]
    assert message["Subject"] == "Welkom in het lerend netwerk Doorgaande lijn Taal Zuilen"
    assert "Beste Iris Kok" in message.get_body(("plain",)).get_content()
    with sqlite_world.app.app_context():
        assert send_welcome_mails(sqlite_world.app, network_id) == 0  # nobody twice
    assert len(mailbox.messages) == len(RECIPIENTS)


def test_a_member_without_nextcloud_ticks_a_task_and_answers_a_meeting_through_her_link(sqlite_world, mailbox,
                                                                                         caplog):
    caplog.set_level(logging.DEBUG)
    launched_and_mailed(sqlite_world, mailbox)
    app, sandbox = sqlite_world.app, sqlite_world.sandbox
    url = mailbox.link_for("iris@kompas.example")
    client, response = open_link(app, url)
    assert response.status_code == 302 and response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Hallo Iris Kok" in page and "Mijn open taken" in page and "Kom je naar" in page
    with app.app_context():
        iris = db.session.query(Membership).filter_by(email="iris@kompas.example").one()
        task = db.session.query(KnowledgeTask).filter_by(membership_id=iris.id).first()
        meeting = db.session.query(Meeting).filter_by(network_id=iris.network_id).order_by(Meeting.starts_at).first()
        task_id, meeting_id, uid = task.id, meeting.id, meeting.ical_uid
    clear_logs(sandbox)
    sandbox.org("a").outbox.clear()

    assert post(client, f"/tasks/{task_id}/done", {"done": "1"}).status_code == 302
    assert post(client, f"/meetings/{meeting_id}/reply", {"partstat": "ACCEPTED"}).status_code == 302

    with app.app_context():
        assert db.session.get(KnowledgeTask, task_id).completed_at is not None
        assert db.session.get(Meeting, meeting_id).replies["iris@kompas.example"] == "ACCEPTED"
    event = connection(sqlite_world, "a").calendars.get(CALENDAR, uid)
    assert parse_event_replies(event.data)["iris@kompas.example"] == "ACCEPTED"
    assert sandbox.org("a").outbox == []  # a reply changes PARTSTAT only: nobody is invited again
    page = client.get("/").get_data(as_text=True)
    assert "Onlangs afgerond" in page and 'aria-pressed="true">Ja' in page
    token = urlsplit(url).path.rsplit("/", 1)[-1]
    assert token not in caplog.text and "/l/" + token[:12] not in caplog.text


def test_a_member_on_another_nextcloud_ticks_her_task_into_her_organisations_task_list(sqlite_world, mailbox):
    launched_and_mailed(sqlite_world, mailbox)
    app = sqlite_world.app
    client, _ = open_link(app, mailbox.link_for("eva@regenboog.example"))
    with app.app_context():
        eva = db.session.query(Membership).filter_by(email="eva@regenboog.example").one()
        task = db.session.query(KnowledgeTask).filter_by(membership_id=eva.id).filter(
            KnowledgeTask.remote_href.is_not(None)).first()
        task_id, href = task.id, task.remote_href
    assert post(client, f"/tasks/{task_id}/done", {"done": "1"}).status_code == 302
    stored = connection(sqlite_world, "b").calendars.get_href(TASKLIST, href)
    assert parse_todo(stored.data).is_completed
    assert post(client, f"/tasks/{task_id}/done", {"done": "0"}).status_code == 302
    stored = connection(sqlite_world, "b").calendars.get_href(TASKLIST, href)
    assert not parse_todo(stored.data).is_completed


def test_a_tick_while_another_run_holds_the_network_shows_at_once_and_is_written_when_the_run_is_over(
        sqlite_world, mailbox):
    launched_and_mailed(sqlite_world, mailbox)
    app = sqlite_world.app
    client, _ = open_link(app, mailbox.link_for("eva@regenboog.example"))
    with app.app_context():
        eva = db.session.query(Membership).filter_by(email="eva@regenboog.example").one()
        task = db.session.query(KnowledgeTask).filter_by(membership_id=eva.id).filter(
            KnowledgeTask.remote_href.is_not(None)).first()
        task_id, href = task.id, task.remote_href
    with network_held_elsewhere(app, SLUG):  # a launch, an advance or another tick
        assert post(client, f"/tasks/{task_id}/done", {"done": "1"}).status_code == 302
        with app.app_context():
            assert db.session.get(KnowledgeTask, task_id).status == "COMPLETED"
            job = db.session.query(Job).filter_by(name="record_task_done").order_by(Job.id.desc()).first()
            assert (job.state, job.attempts) == ("queued", 0)  # waits without spending an attempt
            job_id = job.id
        assert not parse_todo(connection(sqlite_world, "b").calendars.get_href(TASKLIST, href).data).is_completed
    with app.app_context():
        db.session.get(Job, job_id).run_after = utcnow()
        db.session.commit()
    assert app.extensions["ln_jobs"].execute(job_id) == "done"
    assert parse_todo(connection(sqlite_world, "b").calendars.get_href(TASKLIST, href).data).is_completed


def test_only_the_latest_of_two_quick_replies_is_written_when_the_first_job_runs_late(sqlite_world, mailbox):
    launched_and_mailed(sqlite_world, mailbox)
    app = sqlite_world.app
    client, _ = open_link(app, mailbox.link_for("iris@kompas.example"))
    with app.app_context():
        iris = db.session.query(Membership).filter_by(email="iris@kompas.example").one()
        meeting = db.session.query(Meeting).filter_by(network_id=iris.network_id).order_by(Meeting.starts_at).first()
        meeting_id, uid = meeting.id, meeting.ical_uid
    assert post(client, f"/meetings/{meeting_id}/reply", {"partstat": "ACCEPTED"}).status_code == 302
    assert post(client, f"/meetings/{meeting_id}/reply", {"partstat": "DECLINED"}).status_code == 302
    with app.app_context():
        late = db.session.query(Job).filter_by(name="record_reply").order_by(Job.id).first()
        assert late.args[-1] == "ACCEPTED"
        late.state, late.run_after = "queued", utcnow()  # the first reply's job runs again, after the second
        db.session.commit()
        late_id = late.id
    assert app.extensions["ln_jobs"].execute(late_id) == "done"
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).replies["iris@kompas.example"] == "DECLINED"
    event = connection(sqlite_world, "a").calendars.get(CALENDAR, uid)
    assert parse_event_replies(event.data)["iris@kompas.example"] == "DECLINED"


def test_an_expired_link_says_so_in_dutch_and_sends_a_new_one_that_works(sqlite_world, mailbox):
    launched_and_mailed(sqlite_world, mailbox)
    app = sqlite_world.app
    old = mailbox.link_for("iris@kompas.example")
    with app.app_context():
        link = db.session.query(PersonalLink).filter_by(email="iris@kompas.example").one()
        link.sent_at, link.expires_at = utcnow() - timedelta(days=200), utcnow() - timedelta(minutes=1)
        db.session.commit()
    client, response = open_link(app, old)
    page = response.get_data(as_text=True)
    assert response.status_code == 410 and "is verlopen" in page and "Stuur me een nieuwe link" in page
    token = csrf_token(client, urlsplit(old).path)
    response = client.post(urlsplit(old).path + "/new", data={"csrf_token": token})
    assert response.status_code == 200 and "nieuwe link onderweg" in response.get_data(as_text=True)
    new = mailbox.link_for("iris@kompas.example")
    assert new != old
    assert open_link(app, new)[1].status_code == 302
    assert open_link(app, old)[1].status_code == 410


def test_a_revoked_link_ends_the_session_it_opened(sqlite_world, mailbox):
    launched_and_mailed(sqlite_world, mailbox)
    app = sqlite_world.app
    client, _ = open_link(app, mailbox.link_for("hanna@regenboog.example"))
    assert "Hallo Hanna Bos" in client.get("/").get_data(as_text=True)
    with app.app_context():
        db.session.query(PersonalLink).filter_by(email="hanna@regenboog.example").one().revoked_at = utcnow()
        db.session.commit()
    assert "Hallo Hanna Bos" not in client.get("/").get_data(as_text=True)
    response = open_link(app, mailbox.link_for("hanna@regenboog.example"))[1]
    assert response.status_code == 410 and "vervangen of uitgezet" in response.get_data(as_text=True)


def test_a_forged_link_is_not_found(sqlite_app):
    assert sqlite_app.test_client().get("/l/eyJsIjoxLCJ2IjoxfQ.forged").status_code == 404


def test_a_manager_named_by_e_mail_sees_her_organisations_page_through_her_link(sqlite_world, mailbox):
    launched_and_mailed(sqlite_world, mailbox)
    client, _ = open_link(sqlite_world.app, mailbox.link_for("joke@kompas.example"))
    home = client.get("/").get_data(as_text=True)
    assert "Voortgang van Peuterspeelzaal Het Kompas" in home
    page = client.get("/organisations/peuterspeelzaal-het-kompas")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Iris Kok" in text and "<svg" in text and "Uren per maand" in text and "werkoverleg" in text
    assert client.get("/organisations/kinderopvang-de-zonnebloem").status_code == 403


def test_the_launch_job_is_followed_by_the_welcome_mails(sqlite_world, mailbox):
    from extension.jobs import job_queue

    use_mailbox(sqlite_world.app, mailbox)
    slug = sqlite_world.create()
    with sqlite_world.app.app_context():
        job_queue().enqueue("launch_network", slug)
    assert {str(m["To"]).split("<")[-1].rstrip(">") for m in mailbox.messages} == RECIPIENTS
