"""The sandbox's WebDAV files side answers like Nextcloud's (reference §3)."""

import re

from tests.sandbox.util import bearer, dav

HOME = "/remote.php/dav/files/anna"
FILEID = ('<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:fileid/><oc:id/>'
          '<oc:permissions/><d:resourcetype/></d:prop></d:propfind>')


def fileid(org, path, auth):
    answer = dav(org, "PROPFIND", path, body=FILEID, headers={"Depth": "0"}, auth=auth)
    assert answer.status_code == 207
    return int(re.search(r"fileid>(\d+)<", answer.text).group(1))


def test_mkcol_is_201_then_405_when_it_exists_and_409_without_parent(sandbox):
    org = sandbox.org("a")
    assert dav(org, "MKCOL", HOME + "/Netwerk").status_code == 201
    assert dav(org, "MKCOL", HOME + "/Netwerk").status_code == 405
    assert dav(org, "MKCOL", HOME + "/Mist/Sub").status_code == 409


def test_put_is_201_new_204_overwrite_412_with_if_none_match_and_409_without_parent(sandbox):
    org = sandbox.org("a")
    created = dav(org, "PUT", HOME + "/lees.md", body=b"# Lees", headers={"Content-Type": "text/markdown"})
    assert created.status_code == 201
    assert created.headers["ETag"] and created.headers["OC-ETag"] == created.headers["ETag"]
    assert dav(org, "PUT", HOME + "/lees.md", body=b"# Lees 2").status_code == 204
    assert dav(org, "PUT", HOME + "/lees.md", body=b"x", headers={"If-None-Match": "*"}).status_code == 412
    assert dav(org, "GET", HOME + "/lees.md").content == b"# Lees 2"
    assert dav(org, "PUT", HOME + "/Mist/lees.md", body=b"x").status_code == 409


def test_put_announces_the_file_id_that_propfind_reports_and_a_move_keeps_it(sandbox):
    org = sandbox.org("a")
    auth = bearer(org, "anna")
    dav(org, "MKCOL", HOME + "/Netwerk", auth=auth)
    put = dav(org, "PUT", HOME + "/Netwerk/plan.txt", body=b"plan", auth=auth)
    number = fileid(org, HOME + "/Netwerk/plan.txt", auth)
    assert put.headers["OC-FileId"] == f"{number:08d}{org.instance_id}"
    assert fileid(org, HOME + "/Netwerk/", auth) != number
    moved = dav(org, "MOVE", HOME + "/Netwerk/plan.txt", auth=auth,
                headers={"Destination": org.base_url + HOME + "/Netwerk/plan-v2.txt"})
    assert moved.status_code == 201
    assert fileid(org, HOME + "/Netwerk/plan-v2.txt", auth) == number
    assert org.state.file_id("anna", "/Netwerk/plan-v2.txt") == number  # what OCS shares report


def test_another_users_files_are_an_empty_root_404_below_and_403_to_write(sandbox):
    org = sandbox.org("a")
    dav(org, "PUT", "/remote.php/dav/files/bram/geheim.txt", "bram", b"x")
    other = "/remote.php/dav/files/bram"
    listing = dav(org, "PROPFIND", other + "/", headers={"Depth": "1"})
    assert listing.status_code == 207 and "geheim" not in listing.text
    assert dav(org, "GET", other + "/geheim.txt").status_code == 404
    assert dav(org, "PUT", other + "/nieuw.txt", body=b"x").status_code == 403
    assert dav(org, "MKCOL", other + "/Map").status_code == 403
    assert dav(org, "PROPFIND", "/remote.php/dav/files/niemand/").status_code == 404


def test_an_upload_cut_short_is_refused_and_leaves_no_file(sandbox):
    """reference §3.1 / Nextcloud's .part uploads: a truncated body never becomes a (half) file."""
    import socket
    from urllib.parse import urlsplit

    org = sandbox.org("a")
    authorization = bearer(org, "anna")["Authorization"]
    parts = urlsplit(org.base_url)
    with socket.create_connection((parts.hostname, parts.port)) as conn:
        conn.sendall((f"PUT /remote.php/dav/files/anna/half.md HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                      f"Authorization: {authorization}\r\nContent-Length: 1000\r\n\r\n").encode() + b"only a part")
        conn.shutdown(socket.SHUT_WR)
        answer = conn.recv(200)
    assert b" 400 " in answer.split(b"\r\n", 1)[0]
    assert dav(org, "PROPFIND", "/remote.php/dav/files/anna/half.md", headers={"Depth": "0"}).status_code == 404
