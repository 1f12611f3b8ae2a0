"""Mail sent to the sandbox's SMTP server, and the invitations Nextcloud would mail, show in the
recipient's inbox with clickable links; nobody reads another account's mailbox."""

import smtplib
from email.message import EmailMessage

import requests

from tests.sandbox import util
from tests.sandbox.web import links, signed_in


def send(sandbox, to, subject, text=None, html=None):
    message = EmailMessage()
    message["From"] = "Lerend Netwerk <noreply@lerend-netwerk.example>"
    message["To"] = to
    message["Subject"] = subject
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    with smtplib.SMTP(sandbox.smtp.host, sandbox.smtp.port, timeout=10) as smtp:
        smtp.send_message(message)


def test_a_mail_sent_over_smtp_shows_in_the_recipients_inbox_with_a_clickable_link(sandbox):
    org = sandbox.org("a")
    send(sandbox, "Bram@Zonnebloem.example", "Welkom bij het netwerk",
         "Hallo Bram,\n\nOpen je pagina: http://127.0.0.1:5000/p/abc123.\n")
    session = signed_in(org, "bram")
    inbox = session.get(org.base_url + "/index.php/apps/mail/", timeout=10).text
    assert "Welkom bij het netwerk" in inbox
    message_url = next(link for link in links(inbox) if "/apps/mail/message/" in link)
    message = session.get(org.base_url + message_url, timeout=10).text
    assert "http://127.0.0.1:5000/p/abc123" in links(message)  # the full stop is not part of the link
    assert "Hallo Bram," in message


def test_an_html_only_mail_keeps_its_links(sandbox):
    org = sandbox.org("a")
    send(sandbox, "bram@zonnebloem.example", "Taak", html='<p>Vink je taak af: <a href="http://x.example/t">'
                                                          'hier</a></p><script>alert(1)</script>')
    session = signed_in(org, "bram")
    inbox = session.get(org.base_url + "/index.php/apps/mail/", timeout=10).text
    message = session.get(org.base_url + next(l for l in links(inbox) if "/message/" in l), timeout=10).text
    assert "http://x.example/t" in links(message) and "<script>alert" not in message


def test_an_invitation_in_the_outbox_is_a_mail_in_the_attendees_inbox(sandbox):
    a, b = sandbox.org("a"), sandbox.org("b")
    extra = ("ORGANIZER;CN=Anna:mailto:anna@zonnebloem.example\r\nURL:https://example.org/map\r\n"
             "ATTENDEE:mailto:eva@regenboog.example\r\n")
    util.put_object(a, "anna", "personal", "ev-1.ics", util.ical(uid="ev-1", extra=extra))
    session = signed_in(b, "eva")
    inbox = session.get(b.base_url + "/index.php/apps/mail/", timeout=10).text
    assert "Uitnodiging: Overleg @ dinsdag 15 januari 2030 om 10:00" in inbox
    message = session.get(b.base_url + next(l for l in links(inbox) if "/message/" in l), timeout=10).text
    assert "Anna de Vries heeft je uitgenodigd" in message and "https://example.org/map" in links(message)


def test_mailboxes_of_addresses_without_an_account_are_open_to_signed_in_users(sandbox):
    org = sandbox.org("a")
    send(sandbox, "ouder@voorbeeld.example", "Je persoonlijke link", "Open http://127.0.0.1:5000/p/xyz")
    session = signed_in(org, "anna")
    inbox = session.get(org.base_url + "/index.php/apps/mail/", timeout=10).text
    assert "ouder@voorbeeld.example" in inbox and "Je persoonlijke link" not in inbox
    box = session.get(org.base_url + "/index.php/apps/mail/box/ouder@voorbeeld.example", timeout=10).text
    assert "Je persoonlijke link" in box


def test_nobody_reads_another_accounts_mail(sandbox):
    org = sandbox.org("a")
    send(sandbox, "bram@zonnebloem.example", "Alleen voor Bram", "geheim")
    session = signed_in(org, "anna")
    assert session.get(org.base_url + "/index.php/apps/mail/box/bram@zonnebloem.example",
                       timeout=10).status_code == 403
    [stored] = sandbox.mail.for_address("bram@zonnebloem.example")
    assert session.get(org.base_url + f"/index.php/apps/mail/message/{stored.id}", timeout=10).status_code == 403
    assert session.get(org.base_url + "/index.php/apps/mail/message/m999", timeout=10).status_code == 404


def test_someone_without_an_account_reads_only_her_own_mailbox_by_her_address(sandbox):
    org = sandbox.org("a")
    send(sandbox, "Iris@Kompas.example", "Welkom", "Je pagina: http://127.0.0.1:5000/l/abc\n")
    send(sandbox, "joke@kompas.example", "Welkom Joke", "Je pagina: http://127.0.0.1:5000/l/def\n")
    session = requests.Session()
    inbox = session.post(org.base_url + "/index.php/apps/sandbox/mailbox", data={"address": " iris@kompas.example"},
                         timeout=10)
    assert inbox.status_code == 200 and inbox.url == org.base_url + "/index.php/apps/mail/"
    assert "Postvak van iris@kompas.example" in inbox.text and "Welkom" in inbox.text
    assert "Welkom Joke" not in inbox.text and "joke@" not in inbox.text
    message = session.get(org.base_url + next(l for l in links(inbox.text) if "/message/" in l), timeout=10).text
    assert "http://127.0.0.1:5000/l/abc" in links(message)
    assert session.get(org.base_url + "/index.php/apps/mail/box/joke%40kompas.example", timeout=10).status_code == 403
    for page in ("/index.php/apps/files/", "/index.php/apps/tasks/", "/index.php/apps/sandbox/control"):
        answer = session.get(org.base_url + page, timeout=10)  # not hers: the sign-in for an account
        assert "/index.php/apps/sandbox/login?redirect_url=" in answer.url and "Wachtwoord" in answer.text
    signed = session.post(org.base_url + "/index.php/apps/sandbox/login",
                          data={"user": "bram", "password": "bram", "redirect_url": "/index.php/apps/tasks/"},
                          timeout=10)
    assert signed.url == org.base_url + "/index.php/apps/tasks/" and "Bram Jansen" in signed.text


def test_an_address_of_an_account_or_no_address_does_not_open_a_mailbox(sandbox):
    org = sandbox.org("a")
    for address, said in (("bram@zonnebloem.example", "hoort bij een sandbox-account"),
                          ("geen adres", "Vul een e-mailadres in")):
        answer = requests.post(org.base_url + "/index.php/apps/sandbox/mailbox", data={"address": address},
                               timeout=10)
        assert answer.status_code == 400 and said in answer.text
        assert "Set-Cookie" not in answer.headers
