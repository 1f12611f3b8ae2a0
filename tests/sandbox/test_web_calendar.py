"""Answering an invitation in the sandbox's Calendar page writes PARTSTAT as Nextcloud's Calendar app and scheduling
do (sabre/dav lib/CalDAV/Schedule/Plugin.php): the attendee's copy, then the organiser's event on the same instance
(iTIP REPLY applied: PARTSTAT, SCHEDULE-STATUS 2.0, no RSVP), or an iMIP REPLY mail to an external organiser."""

import pytest
import requests

from tests.sandbox import util
from tests.sandbox.web import links, post_form, signed_in, stored, sync_token

EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:bijeenkomst-1\r\n"
         "DTSTAMP:20300101T000000Z\r\nDTSTART:20300115T090000Z\r\nDTEND:20300115T100000Z\r\n"
         "SUMMARY:Eerste bijeenkomst\r\nLOCATION:De Zonnebloem\r\nURL:{url}\r\n"
         "ORGANIZER;CN=Lerend Netwerk:mailto:{organizer}\r\n"
         "ATTENDEE;CN=Bram Jansen;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:bram@zonnebloem.example\r\n"
         "ATTENDEE;CN=Eva Smit;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:eva@regenboog.example\r\n"
         "END:VEVENT\r\nEND:VCALENDAR\r\n")
HOST_ORGANIZER = "lerend-netwerk@zonnebloem.example"


def meeting(org, owner="lerend-netwerk", organizer=HOST_ORGANIZER, url="https://example.org/agenda"):
    body = EVENT.format(organizer=organizer, url=url).encode()
    assert util.put_object(org, owner, "personal", "bijeenkomst-1.ics", body).status_code == 201


def answer(session, org, partstat):
    return post_form(session, org, "/index.php/apps/calendar/", "/index.php/apps/calendar/reply",
                     uid="bijeenkomst-1", partstat=partstat)


@pytest.mark.parametrize("partstat,label", [("ACCEPTED", "geaccepteerd"), ("TENTATIVE", "voorlopig geaccepteerd"),
                                            ("DECLINED", "afgewezen")])
def test_a_colleague_answers_and_the_organisers_event_carries_the_partstat(sandbox, partstat, label):
    org = sandbox.org("a")
    meeting(org)
    session = signed_in(org, "bram")
    page = session.get(org.base_url + "/index.php/apps/calendar/", timeout=10).text
    assert "Eerste bijeenkomst" in page and "Nog niet beantwoord" in page and "Accepteren" in page
    before, mails = sync_token(org, "lerend-netwerk", "personal"), len(org.outbox)
    assert f"Je hebt de uitnodiging {label}." in answer(session, org, partstat).text
    event = stored(org, "lerend-netwerk", "personal", "bijeenkomst-1.ics")
    bram = next(line for line in event.splitlines() if "bram@" in line)
    assert f"PARTSTAT={partstat}" in bram and "SCHEDULE-STATUS=2.0" in bram and "RSVP" not in bram
    assert "PARTSTAT=NEEDS-ACTION" in next(line for line in event.splitlines() if "eva@" in line)
    assert sync_token(org, "lerend-netwerk", "personal") != before
    assert len(org.outbox) == mails  # applying a reply sends no new invitations


def test_answering_the_same_twice_writes_nothing_new(sandbox):
    org = sandbox.org("a")
    meeting(org)
    session = signed_in(org, "bram")
    answer(session, org, "ACCEPTED")
    before = sync_token(org, "lerend-netwerk", "personal")
    assert "al zo opgeslagen" in answer(session, org, "ACCEPTED").text
    assert sync_token(org, "lerend-netwerk", "personal") == before


def test_an_attendee_with_their_own_copy_answers_in_it_and_an_external_organiser_gets_an_imip_reply(sandbox):
    a, b = sandbox.org("a"), sandbox.org("b")
    meeting(b, owner="eva", organizer=HOST_ORGANIZER)  # eva's copy of a meeting organised on instance "a"
    session = signed_in(b, "eva")
    page = session.get(b.base_url + "/index.php/apps/calendar/", timeout=10).text
    assert "Eerste bijeenkomst" in page and "Nog niet beantwoord" in page
    assert "per e-mail" in answer(session, b, "ACCEPTED").text
    copy = stored(b, "eva", "personal", "bijeenkomst-1.ics")
    assert "PARTSTAT=ACCEPTED" in next(line for line in copy.splitlines() if "eva@" in line)
    [reply] = sandbox.mail.for_address(HOST_ORGANIZER)
    ics = next(p for p in reply.message.iter_attachments()).get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "METHOD:REPLY" in ics and "PARTSTAT=ACCEPTED" in ics and "bijeenkomst-1" in ics
    assert reply.message["Subject"] == "Geaccepteerd: Eerste bijeenkomst"
    inbox = signed_in(a, "lerend-netwerk").get(a.base_url + "/index.php/apps/mail/", timeout=10).text
    assert "Geaccepteerd: Eerste bijeenkomst" in inbox


def test_the_organiser_sees_no_invitation_but_the_event_with_its_answers(sandbox):
    org = sandbox.org("a")
    meeting(org)
    answer(signed_in(org, "bram"), org, "ACCEPTED")
    page = signed_in(org, "lerend-netwerk").get(org.base_url + "/index.php/apps/calendar/", timeout=10).text
    assert "Er zijn geen uitnodigingen voor je." in page
    assert "Bram Jansen — Geaccepteerd" in page and "Eva Smit — Nog niet beantwoord" in page


def test_calendar_deep_links_open_the_calendar_page(sandbox):
    org = sandbox.org("a")
    session = signed_in(org, "anna")
    for view in ("dayGridMonth/now", "timeGridWeek/2030-01-15", "edit/abc"):
        assert session.get(org.base_url + f"/index.php/apps/calendar/{view}", timeout=10).status_code == 200


def test_an_event_url_is_a_link_only_when_it_is_a_web_address(sandbox):
    org = sandbox.org("a")
    meeting(org, url="javascript:alert(1)")
    page = signed_in(org, "bram").get(org.base_url + "/index.php/apps/calendar/", timeout=10).text
    assert "javascript:" not in page and "Eerste bijeenkomst" in page


def answer_links(sandbox, attendee_org, uid):
    session = signed_in(attendee_org, uid)
    inbox = session.get(attendee_org.base_url + "/index.php/apps/mail/", timeout=10).text
    message = session.get(attendee_org.base_url + next(l for l in links(inbox) if "/message/" in l), timeout=10)
    return [link for link in links(message.text) if "/apps/dav/invitation/" in link]


def test_an_attendee_on_another_instance_answers_with_the_links_in_the_invitation_mail(sandbox):
    a, b = sandbox.org("a"), sandbox.org("b")
    meeting(a)
    accept, decline, more = answer_links(sandbox, b, "eva")
    assert accept.startswith(a.base_url + "/index.php/apps/dav/invitation/accept/")
    page = requests.get(accept, timeout=10)  # public: the link is the credential
    assert page.status_code == 200 and "Je hebt de uitnodiging geaccepteerd." in page.text
    event = stored(a, "lerend-netwerk", "personal", "bijeenkomst-1.ics")
    assert "PARTSTAT=ACCEPTED" in next(line for line in event.splitlines() if "eva@" in line)
    assert "PARTSTAT=NEEDS-ACTION" in next(line for line in event.splitlines() if "bram@" in line)
    form = requests.get(more, timeout=10)
    assert 'name="partStat"' in form.text
    assert "voorlopig geaccepteerd" in requests.post(more, data={"partStat": "TENTATIVE"}, timeout=10).text
    assert "afgewezen" in requests.get(decline, timeout=10).text
    event = stored(a, "lerend-netwerk", "personal", "bijeenkomst-1.ics")
    assert "PARTSTAT=DECLINED" in next(line for line in event.splitlines() if "eva@" in line)


def test_a_tampered_answer_link_is_refused(sandbox):
    a, b = sandbox.org("a"), sandbox.org("b")
    meeting(a)
    accept = answer_links(sandbox, b, "eva")[0]
    mac = accept.rsplit(".", 1)[1]
    forged = accept.replace(mac, "0" * len(mac))
    assert requests.get(forged, timeout=10).status_code == 404
    assert "NEEDS-ACTION" in next(line for line in stored(a, "lerend-netwerk", "personal",
                                                          "bijeenkomst-1.ics").splitlines() if "eva@" in line)
