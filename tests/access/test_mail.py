"""The app's own e-mail: SMTP settings from appinfo.yml, the password from a file, nothing sent without a host."""
from __future__ import annotations

import pytest

from extension.mail import MailNotConfigured, MailSettingsError, build_message, send
from tests.access.mailbox import Mailbox, _free_port


@pytest.fixture
def guarded_mailbox():
    """An SMTP server that requires a login (user "app", password "s3cret") and accepts it without TLS."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"app", b"s3cret"))

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port(), authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    box.port, box.logins = controller.port, logins
    yield box
    controller.stop()


def test_the_password_is_read_from_its_file_and_the_message_is_delivered(sqlite_app, guarded_mailbox, tmp_path):
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret\n")
    sqlite_app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=guarded_mailbox.port, MAIL_TLS="none",
                             MAIL_USERNAME="app", MAIL_PASSWORD_FILE=str(secret))
    send(sqlite_app, build_message(sqlite_app, "iris@kompas.example", "Iris Kok", "Onderwerp", "Hallo Iris"))
    assert guarded_mailbox.logins == [(b"app", b"s3cret")]
    message = guarded_mailbox.messages[0]
    assert message["To"] == "Iris Kok <iris@kompas.example>" and message["Subject"] == "Onderwerp"


def test_without_a_mail_host_nothing_is_sent_and_a_bad_tls_mode_is_named(sqlite_app):
    message = build_message(sqlite_app, "iris@kompas.example", "Iris", "Onderwerp", "Hallo")
    with pytest.raises(MailNotConfigured):
        send(sqlite_app, message)
    sqlite_app.config.update(MAIL_HOST="127.0.0.1", MAIL_TLS="plain")
    with pytest.raises(MailSettingsError, match="MAIL_TLS"):
        send(sqlite_app, message)
