"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives, for the mail tests."""
from __future__ import annotations

import re
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

LINK = re.compile(r"https?://\S+/l/[A-Za-z0-9._-]+")


class Mailbox:
    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def link_for(self, address: str) -> str:
        """The personal link in the newest message to `address`."""
        body = self.to(address)[-1].get_body(("plain",)).get_content()
        return LINK.search(body).group(0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def use_mailbox(app, box: Mailbox) -> None:
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=box.port, MAIL_TLS="none",
                      MAIL_SENDER="Lerend Netwerk <netwerk@app.example>")
