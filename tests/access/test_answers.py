"""A participant's answers from her own page: a reply to a meeting and ticking a task, as the forms send them."""
from __future__ import annotations

from extension.extensions import db
from extension.networks.models import KnowledgeTask, Meeting
from tests.access.helpers import post_form


def test_a_reply_in_lower_case_is_read_like_the_buttons_send_it(people):
    bram = people.client("participant")
    response = post_form(bram, f"/meetings/{people.meeting_id}/reply", {"partstat": "accepted"}, page="/")
    assert response.status_code == 302
    with people.app.app_context():
        assert "ACCEPTED" in db.session.get(Meeting, people.meeting_id).replies.values()


def test_a_reply_that_is_not_yes_no_or_maybe_is_refused_saying_what_to_choose(people):
    bram = people.client("participant")
    response = post_form(bram, f"/meetings/{people.meeting_id}/reply", {"partstat": "DELEGATED"}, page="/")
    assert response.status_code == 400
    assert "kies een van de drie knoppen" in response.get_data(as_text=True)


def test_a_tick_with_a_value_the_form_never_sends_is_refused_and_changes_nothing(people):
    bram = people.client("participant")
    with people.app.app_context():
        task = db.session.get(KnowledgeTask, people.participant_task_id)
        task.status = "COMPLETED"
        db.session.commit()
    for value in ("yes", "", "2"):
        response = post_form(bram, f"/tasks/{people.participant_task_id}/done", {"done": value}, page="/")
        assert response.status_code == 400, value
        assert "zei niet of hij klaar is" in response.get_data(as_text=True), value
    with people.app.app_context():
        assert db.session.get(KnowledgeTask, people.participant_task_id).status == "COMPLETED"
    assert post_form(bram, f"/tasks/{people.participant_task_id}/done", {"done": "0"}, page="/").status_code == 302
