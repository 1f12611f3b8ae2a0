"""Background jobs of the people-facing pages: replies, ticks, welcome mails and new links."""
from __future__ import annotations

import logging

from flask import Flask, current_app
from huey.signals import SIGNAL_COMPLETE

from extension import engine
from extension.extensions import db
from extension.jobs import JobIncomplete
from extension.locks import LockBusy, holder
from extension.mail import welcome
from extension.networks.models import KnowledgeTask, Meeting, Membership, Network
from extension.participants.actions import is_done

log = logging.getLogger(__name__)

WELCOME_CATCH_UP_MINUTES = 10


def init_app(app: Flask) -> None:
    queue = app.extensions["ln_jobs"]
    # The engine re-reads the object and writes conditionally, so running one twice is harmless; a run held
    # up by another on the same network waits (LockBusy) without spending an attempt.
    queue.register("record_reply", record_reply, retries=3, retry_delay=60)
    queue.register("record_task_done", record_task_done, retries=3, retry_delay=60)
    # Mailing skips whoever got their current link already, so a retry does not mail anyone twice.
    queue.register("send_welcome_mails", send_welcome_mails, retries=3, retry_delay=300)
    queue.register("send_new_link", send_new_link, retries=2, retry_delay=120)
    queue.register_periodic("welcome_mail_catch_up", welcome_mail_catch_up, WELCOME_CATCH_UP_MINUTES)

    @queue.huey.signal(SIGNAL_COMPLETE)
    def after_launch(signal, task, *args):
        if task.name == "launch_network" and task.args:
            with app.app_context():
                network = db.session.query(Network).filter_by(slug=task.args[0]).one_or_none()
                if network is not None:
                    queue.enqueue("send_welcome_mails", network.id)


def record_reply(meeting_id: int, membership_id: int, partstat: str) -> None:
    """The reply written into the host's event, unless a later one (or Nextcloud, through the sync) has
    replaced it in the app since: that later state is the one to keep, and has its own job if it needs one."""
    meeting, member = db.session.get(Meeting, meeting_id), db.session.get(Membership, membership_id)
    if meeting is None or member is None or meeting.deleted_at is not None:
        return
    if (meeting.replies or {}).get(member.email.casefold()) != partstat:
        log.info("reply to meeting %d was replaced since; not written", meeting_id)
        return
    _run("record-reply", meeting.network.slug, meeting=meeting.key, email=member.email, partstat=partstat)


def record_task_done(task_id: int, done: bool) -> None:
    """The tick written into the VTODO, unless the task's state in the app changed again since."""
    task = db.session.get(KnowledgeTask, task_id)
    if task is None or task.deleted_at is not None:
        return
    if is_done(task) != done:
        log.info("task %d was changed again since; not written", task_id)
        return
    _run("record-task-done", task.network.slug, task=task.ical_uid, done=done)


def _run(kind: str, slug: str, **arguments) -> None:
    """One engine run; another run on the network means try again soon, a failed step a counted retry."""
    try:
        result = engine.run(current_app._get_current_object(), kind, slug, **arguments)
    except engine.Busy:
        lock = f"network:{slug}"
        raise LockBusy(lock, holder(lock)) from None
    if not result.ok:
        raise JobIncomplete("; ".join(f"{key}: {error}" for key, error in result.failed)
                            or f"{result.not_run} step(s) not run")


def send_welcome_mails(network_id: int) -> None:
    welcome.send_welcome_mails(current_app._get_current_object(), network_id)


def send_new_link(link_id: int) -> None:
    welcome.send_new_link(current_app._get_current_object(), link_id)


def welcome_mail_catch_up() -> None:
    """Networks launched from the command line, members added later, mails that failed: mail them now."""
    for network_id in welcome.networks_waiting():
        try:
            welcome.send_welcome_mails(current_app._get_current_object(), network_id)
        except Exception as exc:  # the next cycle tries again; one network's failure does not stop the others
            log.warning("welcome mails of network %s failed: %s", network_id, type(exc).__name__)
