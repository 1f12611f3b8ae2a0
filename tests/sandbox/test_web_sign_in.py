"""The sandbox's pages are behind its own sign-in; signing out ends the session on the server."""

from pathlib import Path

import pytest
import requests

from tests.sandbox.web import post_form, signed_in

PAGES = ["/index.php/apps/sandbox/", "/index.php/apps/files/?dir=/", "/index.php/apps/calendar/",
         "/index.php/apps/tasks/", "/index.php/apps/mail/", "/index.php/apps/sandbox/control", "/index.php/f/100"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_an_anonymous_visitor_to_sign_in_and_back(sandbox, path):
    org = sandbox.org("a")
    answer = requests.get(org.base_url + path, allow_redirects=False, timeout=10)
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/index.php/apps/sandbox/login?redirect_url=")
    session = requests.Session()
    page = session.get(org.base_url + path, timeout=10)
    assert "Sandbox — geen echte Nextcloud" in page.text and 'name="password"' in page.text
    back = session.post(page.url, data={"user": "anna", "password": "anna",
                                        "redirect_url": path}, allow_redirects=False, timeout=10)
    assert back.status_code == 303 and back.headers["Location"] == path


def test_pages_answer_with_and_without_the_index_php_front_controller(sandbox):
    org = sandbox.org("a")
    session = signed_in(org, "anna")
    assert session.get(org.base_url + "/apps/tasks/", timeout=10).status_code == 200
    assert session.get(org.base_url + "/index.php/apps/tasks/", timeout=10).status_code == 200
    assert session.get(org.base_url + "/", timeout=10).url.endswith("/index.php/apps/sandbox/")


def test_a_wrong_password_is_refused_in_dutch(sandbox):
    org = sandbox.org("a")
    answer = requests.post(org.base_url + "/index.php/apps/sandbox/login",
                           data={"user": "anna", "password": "fout"}, timeout=10)
    assert answer.status_code == 401
    assert "Onjuiste gebruikersnaam of wachtwoord" in answer.text


def test_signing_out_ends_the_session_so_a_copied_cookie_no_longer_works(sandbox):
    org = sandbox.org("a")
    session = signed_in(org, "anna")
    cookie = session.cookies.get("nc_sandbox_a")
    assert post_form(session, org, "/index.php/apps/sandbox/", "/index.php/apps/sandbox/logout").status_code == 200
    copied = requests.get(org.base_url + "/index.php/apps/tasks/", cookies={"nc_sandbox_a": cookie},
                          allow_redirects=False, timeout=10)
    assert copied.status_code == 303


def test_a_form_without_its_csrf_token_is_refused(sandbox):
    org = sandbox.org("a")
    session = signed_in(org, "anna")
    answer = session.post(org.base_url + "/index.php/apps/sandbox/logout", timeout=10)
    assert answer.status_code == 400
    assert session.get(org.base_url + "/index.php/apps/tasks/", timeout=10).status_code == 200


def test_two_organisations_on_one_host_keep_separate_sessions(sandbox):
    a, b = sandbox.org("a"), sandbox.org("b")
    session = signed_in(a, "anna")
    session.post(b.base_url + "/index.php/apps/sandbox/login", data={"user": "eva", "password": "eva"}, timeout=10)
    assert "Anna de Vries" in session.get(a.base_url + "/index.php/apps/sandbox/", timeout=10).text
    assert "Eva Smit" in session.get(b.base_url + "/index.php/apps/sandbox/", timeout=10).text


def test_sign_in_never_redirects_to_another_site(sandbox):
    org = sandbox.org("a")
    answer = requests.post(org.base_url + "/index.php/apps/sandbox/login",
                           data={"user": "anna", "password": "anna", "redirect_url": "//evil.example/"},
                           allow_redirects=False, timeout=10)
    assert answer.headers["Location"] == "/index.php/apps/sandbox/"


def test_the_start_page_shows_the_smtp_server_and_the_accounts(sandbox):
    org = sandbox.org("a")
    page = signed_in(org, "anna").get(org.base_url + "/index.php/apps/sandbox/", timeout=10).text
    assert f"{sandbox.smtp.host}, poort {sandbox.smtp.port}" in page
    assert "bram@zonnebloem.example" in page


def test_signing_in_through_the_oauth_login_also_opens_the_pages_as_in_nextcloud(sandbox):
    org = sandbox.org("a")
    client_id, _ = org.register_client("Lerend Netwerk", "http://127.0.0.1:5000/oauth/callback")
    browser = requests.Session()
    login = browser.get(org.base_url + "/index.php/apps/oauth2/authorize",
                        params={"client_id": client_id, "response_type": "code", "state": "s"}, timeout=10)
    flow = login.url.split("flow=")[1]
    browser.post(org.base_url + "/index.php/apps/oauth2/sandbox/login",
                 data={"flow": flow, "user": "bram", "password": "bram"}, timeout=10)
    tasks = browser.get(org.base_url + "/index.php/apps/tasks/", allow_redirects=False, timeout=10)
    assert tasks.status_code == 200 and "Bram Jansen" in tasks.text


def test_nothing_in_the_app_imports_the_sandbox_pages():
    root = Path(__file__).resolve().parents[2] / "extension"
    offenders = [str(p) for p in root.rglob("*.py") if "sandbox.web" in p.read_text("utf-8")]
    assert offenders == []


def test_errors_are_dutch_pages_with_a_way_back(sandbox):
    org = sandbox.org("a")
    session = signed_in(org, "anna")
    for path, status, title in (("/index.php/apps/tasks/toggle", 405, "Niet toegestaan"),
                                ("/index.php/apps/mail/message/m404", 404, "Niet gevonden")):
        answer = session.get(org.base_url + path, timeout=10)
        assert answer.status_code == status and title in answer.text and "Terug naar de start" in answer.text


def test_a_form_sent_after_the_session_ended_leads_back_to_its_page(sandbox):
    org = sandbox.org("a")
    answer = requests.post(org.base_url + "/index.php/apps/tasks/toggle", data={"csrf": "x"},
                           allow_redirects=False, timeout=10)
    assert answer.headers["Location"].endswith("redirect_url=%2Findex.php%2Fapps%2Ftasks%2F")
