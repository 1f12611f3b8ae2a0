"""The Files page answers at the URLs the app links to, lists shares as Nextcloud mounts them and shows
Markdown read-only and safely."""

import re

import requests

from extension.nextcloud_links import NextcloudLinks
from tests.sandbox.web import SHARES, csrf, links, ocs, signed_in, write_file


def test_every_link_form_the_app_produces_opens_in_the_files_page(sandbox):
    org = sandbox.org("a")
    file_id = write_file(org, "anna", "/Taal/Fase 1/agenda.md", "# Agenda\n")
    session, nextcloud = signed_in(org, "anna"), NextcloudLinks(org.base_url)
    folder = session.get(nextcloud.files("/Taal/Fase 1"), timeout=10)
    assert folder.status_code == 200 and "agenda.md" in folder.text
    permalink = session.get(nextcloud.file(file_id), allow_redirects=False, timeout=10)
    assert permalink.status_code == 302
    assert permalink.headers["Location"] == (f"/index.php/apps/files/files/{file_id}"
                                              "?dir=/Taal/Fase%201&openfile=true")
    opened = session.get(nextcloud.file(file_id), timeout=10)
    assert opened.status_code == 200 and "<h1>Agenda</h1>" in opened.text
    old_form = session.get(org.base_url + f"/index.php/apps/files/?dir=/Taal/Fase%201&openfile={file_id}",
                           timeout=10)
    assert "<h1>Agenda</h1>" in old_form.text


def test_a_folder_permalink_opens_the_folder(sandbox):
    org = sandbox.org("a")
    write_file(org, "anna", "/Taal/notities.md", "x")
    folder_id = org.state.file_id("anna", "/Taal")
    session = signed_in(org, "anna")
    answer = session.get(org.base_url + f"/index.php/f/{folder_id}", timeout=10)
    assert answer.status_code == 200 and "notities.md" in answer.text


def test_markdown_is_rendered_without_raw_html_or_script_links(sandbox):
    org = sandbox.org("a")
    file_id = write_file(org, "anna", "/plan.md", "# Plan\n\n<script>alert(1)</script>\n\n"
                                                   "* [klik](javascript:alert(1))\n* [site](https://example.org)\n")
    page = signed_in(org, "anna").get(org.base_url + f"/index.php/f/{file_id}", timeout=10).text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "javascript:" not in links(page) and "https://example.org" in links(page)
    assert "Alleen lezen" in page


def test_shared_folders_appear_in_the_root_like_nextcloud_mounts_them(sandbox):
    org = sandbox.org("a")
    write_file(org, "anna", "/Lerende netwerken/Taal/Fase 1/agenda.md", "# Agenda\n")
    created = ocs(org, "anna", "POST", f"{SHARES}/shares", path="/Lerende netwerken/Taal", shareType=0,
                  shareWith="bram", permissions=31)
    assert created.status_code == 200, created.text
    session = signed_in(org, "bram")
    root = session.get(org.base_url + "/index.php/apps/files/?dir=/", timeout=10).text
    assert "Taal" in root and "Gedeeld door Anna de Vries" in root
    inside = session.get(NextcloudLinks(org.base_url).files("/Taal/Fase 1"), timeout=10)
    assert inside.status_code == 200 and "agenda.md" in inside.text
    file_id = org.state.file_id("anna", "/Lerende netwerken/Taal/Fase 1/agenda.md")
    assert "<h1>Agenda</h1>" in session.get(NextcloudLinks(org.base_url).file(file_id), timeout=10).text


def test_group_shares_show_for_group_members_only(sandbox):
    org = sandbox.org("a")
    write_file(org, "anna", "/Taalteam/lijst.md", "x")
    ocs(org, "anna", "POST", f"{SHARES}/shares", path="/Taalteam", shareType=1, shareWith="taalteam")
    assert "Taalteam" in signed_in(org, "chantal").get(org.base_url + "/index.php/apps/files/", timeout=10).text
    assert "Taalteam" not in signed_in(org, "bram").get(org.base_url + "/index.php/apps/files/", timeout=10).text


def test_an_accepted_federated_share_appears_on_the_receiving_instance(sandbox):
    a, b = sandbox.org("a"), sandbox.org("b")
    write_file(a, "anna", "/Netwerk/uitleg.md", "# Uitleg\n")
    created = ocs(a, "anna", "POST", f"{SHARES}/shares", path="/Netwerk", shareType=6, shareWith=f"eva@{b.host}")
    assert created.status_code == 200, created.text
    session = signed_in(b, "eva")
    pending_root = session.get(b.base_url + "/index.php/apps/files/", timeout=10).text
    assert "Nog te accepteren" in pending_root and "?dir=/Netwerk" not in pending_root  # offered, not mounted
    pending = ocs(b, "eva", "GET", f"{SHARES}/remote_shares/pending").json()["ocs"]["data"]
    ocs(b, "eva", "POST", f"{SHARES}/remote_shares/pending/{pending[0]['id']}")
    root = session.get(b.base_url + "/index.php/apps/files/", timeout=10).text
    assert "Netwerk" in root and f"anna@{a.host}" in root
    inside = session.get(NextcloudLinks(b.base_url).files("/Netwerk"), timeout=10).text
    opened = session.get(b.base_url + next(link for link in links(inside) if "openfile" in link), timeout=10)
    assert "<h1>Uitleg</h1>" in opened.text


def test_a_link_to_a_federated_share_still_pending_offers_to_accept_it_and_then_opens_it(sandbox):
    a, b = sandbox.org("a"), sandbox.org("b")
    write_file(a, "anna", "/Lerende netwerken/Netwerk/uitleg.md", "# Uitleg\n")
    created = ocs(a, "anna", "POST", f"{SHARES}/shares", path="/Lerende netwerken/Netwerk", shareType=6,
                  shareWith=f"eva@{b.host}")
    assert created.status_code == 200, created.text
    session, folder = signed_in(b, "eva"), NextcloudLinks(b.base_url).files("/Netwerk")
    offered = session.get(folder, timeout=10)
    assert offered.status_code == 200 and "is met je gedeeld door anna@" in offered.text
    assert "Accepteren: Netwerk" in offered.text and "uitleg.md" not in offered.text
    action = re.search(r'action="(/index.php/apps/files/pending/\d+)"', offered.text).group(1)
    accepted = session.post(b.base_url + action, data={"csrf": csrf(offered.text), "answer": "accept"}, timeout=10)
    assert accepted.url == folder and "uitleg.md" in accepted.text and "geaccepteerd" in accepted.text
    assert ocs(b, "eva", "GET", f"{SHARES}/remote_shares/pending").json()["ocs"]["data"] == []
    again = session.post(b.base_url + action, data={"csrf": csrf(accepted.text), "answer": "decline"}, timeout=10)
    assert "wacht niet (meer)" in again.text
    assert session.get(folder, timeout=10).status_code == 200


def test_a_pending_federated_share_can_be_declined_from_the_files_page(sandbox):
    a, b = sandbox.org("a"), sandbox.org("b")
    write_file(a, "anna", "/Netwerk/uitleg.md", "# Uitleg\n")
    ocs(a, "anna", "POST", f"{SHARES}/shares", path="/Netwerk", shareType=6, shareWith=f"eva@{b.host}")
    session = signed_in(b, "eva")
    root = session.get(b.base_url + "/index.php/apps/files/", timeout=10).text
    assert "Nog te accepteren" in root
    action = re.search(r'action="(/index.php/apps/files/pending/\d+)"', root).group(1)
    assert signed_in(b, "gert").post(b.base_url + action, data={"answer": "accept"}, timeout=10).status_code == 400
    declined = session.post(b.base_url + action, data={"csrf": csrf(root), "answer": "decline"}, timeout=10)
    assert "afgewezen" in declined.text and "Nog te accepteren" not in declined.text
    assert ocs(b, "eva", "GET", f"{SHARES}/remote_shares/pending").json()["ocs"]["data"] == []
    assert session.get(NextcloudLinks(b.base_url).files("/Netwerk"), timeout=10).status_code == 404


def test_a_missing_or_foreign_folder_is_404_in_dutch(sandbox):
    org = sandbox.org("a")
    write_file(org, "bram", "/Prive/geheim.md", "geheim")
    session = signed_in(org, "anna")
    for path in ("/bestaat-niet", "/../bram/files/Prive", "/Prive"):
        answer = session.get(org.base_url + "/index.php/apps/files/", params={"dir": path}, timeout=10)
        assert answer.status_code == 404 and "Deze map bestaat niet" in answer.text
        assert "geheim.md" not in answer.text
    bram_file = org.state.file_id("bram", "/Prive/geheim.md")
    assert session.get(org.base_url + f"/index.php/f/{bram_file}", timeout=10).status_code == 404


def test_files_pages_are_faulted_like_nextcloud_but_the_control_page_is_not(sandbox):
    org = sandbox.org("a")
    session = signed_in(org, "anna")
    org.faults.maintenance = True
    assert session.get(org.base_url + "/index.php/apps/files/", timeout=10).status_code == 503
    assert session.get(org.base_url + "/index.php/apps/sandbox/control", timeout=10).status_code == 200
    assert requests.get(org.base_url + "/index.php/apps/files/", timeout=10).status_code == 503
