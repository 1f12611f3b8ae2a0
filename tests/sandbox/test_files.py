"""The sandbox's WebDAV files side answers like Nextcloud's (sources named in sandbox.dav)."""

import re

import requests

from tests.sandbox.util import bearer, dav, send_cut_short

HOME = "/remote.php/dav/files/anna"
FILEID = ('<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:fileid/><oc:id/>'
          '<oc:permissions/><d:resourcetype/></d:prop></d:propfind>')


SHARES = "/ocs/v2.php/apps/files_sharing/api/v1/shares"
ETAG = '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'


def etag_of(org, path, auth):
    answer = dav(org, "PROPFIND", path, body=ETAG, headers={"Depth": "0"}, auth=auth)
    found = re.search(r"getetag>([^<]*)<", answer.text)
    return found.group(1).replace("&quot;", '"') if found else None


def fileid(org, path, auth):
    answer = dav(org, "PROPFIND", path, body=FILEID, headers={"Depth": "0"}, auth=auth)
    assert answer.status_code == 207
    return int(re.search(r"fileid>(\d+)<", answer.text).group(1))


def test_mkcol_is_201_then_405_when_it_exists_and_409_without_parent(sandbox):
    """Quirk `mkcol_405_exists_409_parent`: MKCOL with a missing parent stays 409 (sabre Server::createCollection)."""
    org = sandbox.org("a")
    assert dav(org, "MKCOL", HOME + "/Netwerk").status_code == 201
    assert dav(org, "MKCOL", HOME + "/Netwerk").status_code == 405
    assert dav(org, "MKCOL", HOME + "/Mist/Sub").status_code == 409


def test_put_is_201_new_204_overwrite_412_with_if_none_match_and_404_without_parent(sandbox):
    """Quirk `put_404_parent_missing`: a PUT into a missing folder is 404 (Tree::getNodeForPath on the parent), not
    409."""
    org = sandbox.org("a")
    created = dav(org, "PUT", HOME + "/lees.md", body=b"# Lees", headers={"Content-Type": "text/markdown"})
    assert created.status_code == 201
    assert created.headers["ETag"] and created.headers["OC-ETag"] == created.headers["ETag"]
    assert dav(org, "PUT", HOME + "/lees.md", body=b"# Lees 2").status_code == 204
    assert dav(org, "PUT", HOME + "/lees.md", body=b"x", headers={"If-None-Match": "*"}).status_code == 412
    assert dav(org, "GET", HOME + "/lees.md").content == b"# Lees 2"
    missing = dav(org, "PUT", HOME + "/Mist/lees.md", body=b"x")
    assert missing.status_code == 404 and "Sabre\\DAV\\Exception\\NotFound" in missing.text
    assert dav(org, "PUT", HOME + "/Mist/Sub/lees.md", body=b"x", headers={"If-None-Match": "*"}).status_code == 404


def test_the_etag_changes_on_every_write_even_with_the_same_bytes(sandbox):
    """Quirk `etag_per_write`: Nextcloud gives a written file a fresh etag (and its folders too), so an
    If-Match with the etag from before a write fails — also for two same-size writes within one second."""
    org = sandbox.org("a")
    auth = bearer(org, "anna")
    dav(org, "MKCOL", HOME + "/Netwerk", auth=auth)
    folder_before = etag_of(org, HOME + "/Netwerk/", auth)
    first = dav(org, "PUT", HOME + "/Netwerk/plan.md", body=b"plan", auth=auth).headers["ETag"]
    second = dav(org, "PUT", HOME + "/Netwerk/plan.md", body=b"plan", auth=auth).headers["ETag"]
    assert first != second and etag_of(org, HOME + "/Netwerk/plan.md", auth) == second
    assert etag_of(org, HOME + "/Netwerk/", auth) not in (None, folder_before)
    stale = dav(org, "PUT", HOME + "/Netwerk/plan.md", body=b"oud", auth=auth, headers={"If-Match": first})
    assert stale.status_code == 412 and stale.headers["ETag"] == second
    assert dav(org, "PUT", HOME + "/Netwerk/plan.md", body=b"nieuw", auth=auth,
               headers={"If-Match": second}).status_code == 204
    assert dav(org, "GET", HOME + "/Netwerk/plan.md", auth=auth).content == b"nieuw"


def test_preconditions_are_checked_before_the_body_so_412_comes_before_400(sandbox):
    """Quirk `put_if_none_match`: sabre's checkPreconditions runs before the PUT reads its body; an If-Match on a
    missing file is 412 too."""
    import socket
    from urllib.parse import urlsplit

    org = sandbox.org("a")
    auth = bearer(org, "anna")
    dav(org, "PUT", HOME + "/lees.md", body=b"# Lees", auth=auth)
    assert dav(org, "PUT", HOME + "/nieuw.md", body=b"x", auth=auth,
               headers={"If-Match": '"anders"'}).status_code == 412
    parts = urlsplit(org.base_url)
    with socket.create_connection((parts.hostname, parts.port)) as conn:
        conn.sendall((f"PUT {HOME}/lees.md HTTP/1.1\r\nHost: {parts.netloc}\r\nIf-None-Match: *\r\n"
                      f"Authorization: {auth['Authorization']}\r\nContent-Length: 1000\r\n\r\n").encode()
                     + b"only a part")
        conn.shutdown(socket.SHUT_WR)
        answer = b"".join(iter(lambda: conn.recv(4096), b""))
    assert b" 412 " in answer.split(b"\r\n", 1)[0] and b"If-None-Match" in answer
    assert dav(org, "GET", HOME + "/lees.md", auth=auth).content == b"# Lees"


def test_deleting_a_folder_drops_the_shares_on_it_and_below_it(sandbox):
    """The shares of a deleted node and of everything below it are gone, also at the
    instance a federated share went to (Nextcloud deletes shares whose file is gone,
    apps/files_sharing/lib/DeleteOrphanedSharesJob.php); other shares stay."""
    org = sandbox.org("a")
    auth = bearer(org, "anna")
    for folder in ("/Netwerk", "/Netwerk/Taal", "/Ander"):
        dav(org, "MKCOL", HOME + folder, auth=auth)
    ocs_headers = {**auth, "OCS-APIRequest": "true"}
    other = sandbox.org("b")
    for path, kind, who in (("/Netwerk", 0, "bram"), ("/Netwerk/Taal", 0, "chantal"), ("/Ander", 0, "bram"),
                            ("/Netwerk", 6, f"eva@{other.host}")):
        created = requests.post(org.base_url + SHARES, headers=ocs_headers, timeout=10, params={"format": "json"},
                                data={"path": path, "shareType": kind, "shareWith": who})
        assert created.status_code == 200
    assert len(other.remote_shares("eva")) == 1
    assert dav(org, "DELETE", HOME + "/Netwerk", auth=auth).status_code == 204
    assert [(s.path, s.share_with) for s in org.state.shares.values()] == [("/Ander", "bram")]
    assert other.remote_shares("eva") == []  # the receiving instance no longer lists the federated share
    listed = requests.get(org.base_url + SHARES, headers=ocs_headers, timeout=10,
                          params={"format": "json", "shared_with_me": "true"})
    assert listed.json()["ocs"]["data"] == []


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
    assert etag_of(org, HOME + "/Netwerk/plan-v2.txt", auth) == put.headers["ETag"]  # a move keeps the etag
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
    """Nextcloud's .part uploads (apps/dav/lib/Connector/Sabre/File.php): a truncated body never becomes a (half)
    file."""
    org = sandbox.org("a")
    answer = send_cut_short(org, "PUT", "/remote.php/dav/files/anna/half.md", 1000, b"only a part")
    assert b" 400 " in answer.split(b"\r\n", 1)[0]
    assert dav(org, "PROPFIND", "/remote.php/dav/files/anna/half.md", headers={"Depth": "0"}).status_code == 404
