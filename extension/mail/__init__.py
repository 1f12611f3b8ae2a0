"""The app's own e-mail over SMTP, configured in appinfo.yml (MAIL_*).

Built on the standard library's smtplib and email packages rather than a mail library: the app sends a
handful of plain-text messages to one relay, which smtplib covers completely (STARTTLS, implicit TLS,
login), it is maintained with Python itself, and it adds no dependency to audit. Flask-Mail and similar
wrap the same smtplib calls and bring their own settings names on top of appinfo.yml's.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from flask import Flask

log = logging.getLogger(__name__)

TLS_MODES = ("starttls", "ssl", "none")


class MailNotConfigured(RuntimeError):
    """MAIL_HOST is unset: the app sends no e-mail."""


class MailSettingsError(ValueError):
    """A MAIL_* setting is unusable; the message names it."""


def mail_configured(app: Flask) -> bool:
    return bool(app.config.get("MAIL_HOST"))


def _password(app: Flask) -> str | None:
    path = app.config.get("MAIL_PASSWORD_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MailSettingsError(f"setting MAIL_PASSWORD_FILE: cannot read {path}: {exc.strerror}") from None
    return app.config.get("MAIL_PASSWORD")


def build_message(app: Flask, to_address: str, to_name: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = app.config["MAIL_SENDER"]
    message["To"] = formataddr((to_name, to_address))
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="lerend-netwerk")
    message.set_content(body)
    return message


def send(app: Flask, message: EmailMessage) -> None:
    """Deliver one message through the configured SMTP server; raises on any refusal (the job retries)."""
    host = app.config.get("MAIL_HOST")
    if not host:
        raise MailNotConfigured("MAIL_HOST is not set: the app sends no e-mail (see appinfo.yml)")
    mode = app.config["MAIL_TLS"]
    if mode not in TLS_MODES:
        raise MailSettingsError(f"setting MAIL_TLS: {mode!r} is not one of {', '.join(TLS_MODES)}")
    port, timeout = int(app.config["MAIL_PORT"]), float(app.config["HTTP_TIMEOUT"][-1])
    context = ssl.create_default_context()
    smtp_class = smtplib.SMTP_SSL if mode == "ssl" else smtplib.SMTP
    kwargs = {"context": context} if mode == "ssl" else {}
    with smtp_class(host, port, timeout=timeout, **kwargs) as smtp:
        if mode == "starttls":
            smtp.starttls(context=context)
        username = app.config.get("MAIL_USERNAME")
        if username:
            smtp.login(username, _password(app) or "")
        smtp.send_message(message)
    log.info("mail '%s' handed to %s:%s", message["Subject"], host, port)
