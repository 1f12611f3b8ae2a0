"""Background jobs of the people-facing pages: replies, ticks, welcome mails and new links."""
from __future__ import annotations

import logging

from flask import Flask, current_app
from huey.signals import SIGNAL_COMPLETE

from extension.extensions import db
from extension.mail import welcome
from extension.networks.models import Network
from extension.participants import writes

log = logging.getLogger(__name__)

WELCOME_CATCH_UP_MINUTES = 10


def init_app(app: Flask) -> None:
    queue = app.extensions["ln_jobs"]
    # Each write re-reads the object and is conditional, so running one twice is harmless.
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
    writes.write_reply(current_app._get_current_object(), meeting_id, membership_id, partstat)


def record_task_done(task_id: int, done: bool) -> None:
    writes.write_task_done(current_app._get_current_object(), task_id, done)


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
