"""The sandbox's mail server: a real SMTP server on loopback (aiosmtpd) whose messages the web Mail page shows.

The app sends its own mail through SMTP exactly as it would to a real relay; the sandbox keeps every message
in memory so the demo and the tests can read what arrived, per recipient address.
"""

import email
import email.policy
import itertools
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from aiosmtpd.controller import Controller


@dataclass
class StoredMail:
    """One message as received: envelope addresses plus the parsed message."""

    id: str
    sender: str
    recipients: tuple
    message: email.message.EmailMessage
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    source: str = "smtp"  # "smtp" for mail the app sent; "imip" for scheduling mail the sandbox wrote itself


class MailStore:
    """Thread-safe list of received messages, shared by every organisation of one sandbox."""

    def __init__(self):
        self._lock = threading.Lock()
        self._messages = []
        self._ids = itertools.count(1)

    def add(self, sender, recipients, raw, source="smtp"):
        message = email.message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(),
                                           policy=email.policy.default)
        with self._lock:
            stored = StoredMail(f"m{next(self._ids)}", sender, tuple(r.lower() for r in recipients), message,
                                source=source)
            self._messages.append(stored)
        return stored

    @property
    def messages(self):
        with self._lock:
            return list(self._messages)

    def for_address(self, address):
        address = address.lower()
        return [m for m in self.messages if address in m.recipients]

    def clear(self):
        with self._lock:
            self._messages.clear()


class _Handler:
    def __init__(self, store):
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        self.store.add(envelope.mail_from, envelope.rcpt_tos, envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 in its own thread; port 0 (the default) picks a free port at start."""

    def __init__(self, store, port=0):
        self.store = store
        self.host = "127.0.0.1"
        self._requested_port = port
        self.port = None
        self._controller = None

    def start(self):
        if self._controller is not None:
            return
        self.port = self._requested_port or _free_port()
        self._controller = Controller(_Handler(self.store), hostname=self.host, port=self.port,
                                      server_hostname="sandbox.localhost", ready_timeout=10)
        self._controller.start()

    def stop(self):
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None
