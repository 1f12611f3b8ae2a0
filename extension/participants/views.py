"""The forms on a person's page: their reply to a meeting and ticking their own task."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from extension.auth.identity import current_person, signed_in
from extension.errors import error_page
from extension.extensions import db
from extension.networks.models import KnowledgeTask, Meeting
from extension.participants import actions
from extension.participants.actions import PARTSTATS

bp = Blueprint("participants", __name__)


@bp.post("/meetings/<int:meeting_id>/reply")
@signed_in
def reply(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id)
    member = meeting and current_person().membership_in(meeting.network_id)
    if meeting is None or member is None or meeting.deleted_at is not None:
        abort(404)
    partstat = request.form.get("partstat", "").strip().upper()
    if partstat not in PARTSTATS:
        return error_page(400, _("Your reply could not be read: answer with Yes, No or Maybe. Go back to your page "
                                 "and choose one of the three buttons."))
    actions.record_reply(meeting.network, meeting, member, partstat)
    flash(_("Your reply to %(meeting)s is saved.", meeting=meeting.title), "success")
    return redirect(url_for("home.index") + f"#meeting-{meeting.id}")


@bp.post("/tasks/<int:task_id>/done")
@signed_in
def task_done(task_id: int):
    task = db.session.get(KnowledgeTask, task_id)
    member = task and current_person().membership_in(task.network_id)
    if task is None or member is None or task.membership_id != member.id or task.deleted_at is not None:
        abort(404)
    value = request.form.get("done", "")
    if value not in ("0", "1"):
        return error_page(400, _("The task could not be ticked: the form did not say whether it is done. Go back to "
                                 "your page, reload it and tick the task again."))
    done = value == "1"
    actions.record_task_done(task, done)
    flash(_("Task marked as done.") if done else _("Task marked as not done."), "success")
    return redirect(url_for("home.index") + f"#task-{task.id}")
