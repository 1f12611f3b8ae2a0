"""A person signs in to the sandbox in a real browser and uses it as they would Nextcloud: opens a Markdown
document from a shared folder, ticks a task, accepts an invitation and reads a mail. Screenshots of every
page at desktop (1280×900) and phone (390×844) size go to test-artifacts/sandbox/."""

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.sandbox import util
from tests.sandbox.web import SHARES, ocs, stored, write_file

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "sandbox"
SIZES = ((1280, 900), (390, 844))
AGENDA = """# Agenda eerste bijeenkomst

Welkom bij het lerend netwerk **Taal in de doorgaande lijn**.

1. Kennismaken (15 minuten)
2. Praktijkvoorbeelden delen
3. Afspraken voor fase 2

| Wie | Neemt mee |
| --- | --- |
| Bram | Een voorleesactiviteit |
| Eva | De leerlijn van groep 1 |

Meer achtergrond: [het plan](https://example.org/plan).
"""
TASKS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:{uid}\r\n"
         "DTSTAMP:20300101T000000Z\r\nSUMMARY:{summary}\r\nDUE;VALUE=DATE:20300201\r\n"
         "DESCRIPTION:Deel het in de map van fase 1.\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:bijeenkomst-1\r\n"
         "DTSTAMP:20300101T000000Z\r\nDTSTART:20300115T140000Z\r\nDTEND:20300115T160000Z\r\n"
         "SUMMARY:Eerste bijeenkomst – Taal in de doorgaande lijn\r\nLOCATION:De Zonnebloem\\, Utrecht\r\n"
         "URL:{url}\r\nORGANIZER;CN=Lerend Netwerk:mailto:lerend-netwerk@zonnebloem.example\r\n"
         "ATTENDEE;CN=Bram Jansen;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:bram@zonnebloem.example\r\n"
         "ATTENDEE;CN=Eva Smit;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:eva@regenboog.example\r\n"
         "END:VEVENT\r\nEND:VCALENDAR\r\n")
SHARE_LIST = ('<?xml version="1.0" encoding="utf-8"?><o:share xmlns:d="DAV:" xmlns:o="http://owncloud.org/ns">'
              '<o:set><d:href>principal:principals/users/bram</d:href><o:read-write/></o:set></o:share>')


def seed(sandbox):
    """What the app leaves in organisation "a" after a launch: a shared folder, a shared task list, a meeting
    with invitations, and a welcome mail."""
    org = sandbox.org("a")
    write_file(org, "lerend-netwerk", "/Lerende netwerken/Taal/Fase 1/agenda.md", AGENDA)
    write_file(org, "lerend-netwerk", "/Lerende netwerken/Taal/Leesmij.md", "# Leesmij\n")
    assert ocs(org, "lerend-netwerk", "POST", f"{SHARES}/shares", path="/Lerende netwerken/Taal", shareType=0,
               shareWith="bram").status_code == 200
    util.mkcalendar(org, "lerend-netwerk", "taal-taken", ["VTODO"], name="Taal – taken Zonnebloem")
    for uid, summary in (("taak-1", "Praktijkvoorbeeld delen"), ("taak-2", "Leerlijn lezen voor fase 2")):
        util.put_object(org, "lerend-netwerk", "taal-taken", f"{uid}.ics",
                        TASKS.format(uid=uid, summary=summary).encode())
    util.dav(org, "POST", "/remote.php/dav/calendars/lerend-netwerk/taal-taken/", "lerend-netwerk", SHARE_LIST,
             {"Content-Type": "application/xml; charset=utf-8"})
    url = org.base_url + "/index.php/apps/files/?dir=/Taal/Fase%201"
    util.put_object(org, "lerend-netwerk", "personal", "bijeenkomst-1.ics", EVENT.format(url=url).encode())
    message = EmailMessage()
    message["From"], message["To"] = "Lerend Netwerk <noreply@lerend-netwerk.example>", "bram@zonnebloem.example"
    message["Subject"] = "Welkom bij het lerend netwerk Taal"
    message.set_content("Hallo Bram,\n\nJe doet mee aan het lerend netwerk Taal in de doorgaande lijn.\n"
                        "Je netwerk: http://127.0.0.1:5000/networks/taal\n\nGroet,\nLerend Netwerk\n")
    with smtplib.SMTP(sandbox.smtp.host, sandbox.smtp.port, timeout=10) as smtp:
        smtp.send_message(message)
    return org


def shoot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}x{height}.png"), full_page=True)
        # no sideways scrolling on a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_colleague_uses_the_sandbox_like_nextcloud(sandbox, page):
    org = seed(sandbox)
    page.goto(org.base_url + "/index.php/apps/files/?dir=/Taal")
    assert "Sandbox — geen echte Nextcloud" in page.inner_text("body")
    shoot(page, "sign-in")
    page.get_by_label("Account of e-mailadres").fill("bram")
    page.get_by_label("Wachtwoord").fill("bram")
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("link", name="Fase 1").click()
    shoot(page, "files")
    page.get_by_role("link", name="agenda.md").click()
    assert page.get_by_role("heading", name="Agenda eerste bijeenkomst").is_visible()
    assert page.get_by_role("cell", name="Een voorleesactiviteit").is_visible()
    shoot(page, "document")

    page.get_by_role("link", name="Taken").click()
    page.get_by_role("button", name="Afvinken: Praktijkvoorbeeld delen").click()
    assert "\"Praktijkvoorbeeld delen\" is afgevinkt." in page.inner_text("[role=status]")
    assert page.get_by_role("button", name="✓ Gedaan: Praktijkvoorbeeld delen (terugzetten)").is_visible()
    shoot(page, "tasks")
    assert "STATUS:COMPLETED" in stored(org, "lerend-netwerk", "taal-taken", "taak-1.ics")

    page.get_by_role("link", name="Agenda").click()
    page.get_by_role("form", name="Antwoord op Eerste bijeenkomst – Taal in de doorgaande lijn") \
        .get_by_role("button", name="Accepteren").click()
    assert "Je hebt de uitnodiging geaccepteerd." in page.inner_text("[role=status]")
    shoot(page, "calendar")
    event = stored(org, "lerend-netwerk", "personal", "bijeenkomst-1.ics")
    assert "PARTSTAT=ACCEPTED" in next(line for line in event.splitlines() if "bram@" in line)

    page.get_by_role("link", name="Mail").click()
    shoot(page, "mail")
    page.get_by_role("link", name="Welkom bij het lerend netwerk Taal").click()
    assert page.get_by_role("link", name="http://127.0.0.1:5000/networks/taal").is_visible()
    shoot(page, "mail-message")
    page.get_by_role("link", name="Mail").click()
    page.get_by_role("link", name="Uitnodiging: Eerste bijeenkomst").click()
    shoot(page, "mail-invitation")

    page.get_by_role("link", name="Storingen").click()
    shoot(page, "control")
    page.get_by_role("link", name="Start").click()
    shoot(page, "start")
    page.get_by_role("button", name="Uitloggen").click()
    assert page.get_by_label("Wachtwoord").is_visible()


def test_the_pages_work_with_the_keyboard_alone(sandbox, page):
    org = seed(sandbox)
    page.goto(org.base_url + "/index.php/apps/tasks/")
    page.get_by_label("Account of e-mailadres").fill("bram")
    page.get_by_label("Wachtwoord").fill("bram")
    page.keyboard.press("Enter")
    page.wait_for_url("**/index.php/apps/tasks/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"
    page.keyboard.press("Enter")
    focused = None
    for _ in range(20):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
        if focused == "Afvinken: Praktijkvoorbeeld delen":
            break
    assert focused == "Afvinken: Praktijkvoorbeeld delen"
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=status]")
    assert "STATUS:COMPLETED" in stored(org, "lerend-netwerk", "taal-taken", "taak-1.ics")


def test_an_attendee_of_another_organisation_answers_from_the_invitation_mail(sandbox, page):
    org, other = seed(sandbox), sandbox.org("b")
    page.goto(other.base_url + "/index.php/apps/mail/")
    page.get_by_label("Account of e-mailadres").fill("eva")
    page.get_by_label("Wachtwoord").fill("eva")
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("link", name="Uitnodiging: Eerste bijeenkomst").click()
    page.get_by_role("link", name="Meer opties").click()
    page.get_by_label("Misschien").check()
    shoot(page, "invitation-options")
    page.get_by_role("button", name="Antwoord versturen").click()
    assert "voorlopig geaccepteerd" in page.inner_text("[role=status]")
    shoot(page, "invitation-answered")
    event = stored(org, "lerend-netwerk", "personal", "bijeenkomst-1.ics")
    assert "PARTSTAT=TENTATIVE" in next(line for line in event.splitlines() if "eva@" in line)
