"""The sandbox's OCS endpoints answer like Nextcloud's (sources named in sandbox.ocs), over real HTTP."""
import pytest
import requests

from sandbox.ocs import split_cloud_id, v2_http_status
from tests.sandbox import util

SHARES = "/ocs/v2.php/apps/files_sharing/api/v1"


@pytest.fixture
def a(sandbox):
    return sandbox.org("a")


@pytest.fixture
def b(sandbox):
    return sandbox.org("b")


def bearer(org, uid):
    return {**util.bearer(org, uid), "OCS-APIRequest": "true"}


def ocs(org, method, path, headers=None, **kwargs):
    params = {"format": "json", **kwargs.pop("params", {})}
    return requests.request(method, org.base_url + path, params=params, headers=headers, timeout=5, **kwargs)


def meta(response):
    return response.json()["ocs"]["meta"]


def make_folder(org, uid, path):
    org.node_path(uid, path).mkdir(parents=True, exist_ok=True)


def make_file(org, uid, path):
    local = org.node_path(uid, path)
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text("hallo")


@pytest.fixture
def anna(a):
    make_folder(a, "anna", "/Netwerken/Taal")
    return bearer(a, "anna")


def share(org, headers, **data):
    return ocs(org, "POST", f"{SHARES}/shares", headers, data=data)


# envelope, status, user, capabilities -------------------------------------------------------------------
def test_v2_status_mapping_follows_the_reference():
    assert [v2_http_status(c) for c in (200, 997, 998, 996, 999, 100, 404, 403)] == [200, 401, 404, 500, 500,
                                                                                     400, 404, 403]


def test_status_php_needs_no_login_and_reports_maintenance(a):
    body = requests.get(a.base_url + "/status.php", timeout=5).json()
    assert body["installed"] is True and body["versionstring"] == "31.0.5" and body["maintenance"] is False

    a.faults.maintenance = True
    response = requests.get(a.base_url + "/status.php", timeout=5)
    assert response.status_code == 200 and response.json()["maintenance"] is True
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_current_user_has_the_provisioning_fields(a):
    response = ocs(a, "GET", "/ocs/v2.php/cloud/user", bearer(a, "anna"))

    assert response.status_code == 200
    assert meta(response) == {"status": "ok", "statuscode": 200, "message": "OK"}
    data = response.json()["ocs"]["data"]
    assert data["id"] == "anna" and data["display-name"] == data["displayname"] == "Anna de Vries"
    assert data["email"] == "anna@zonnebloem.example" and data["groups"] == ["medewerkers", "taalteam"]
    assert {"quota", "language", "locale", "enabled", "backend", "lastLogin", "subadmin"} <= set(data)


def test_no_or_a_bad_token_is_401_with_statuscode_997(a):
    for headers in ({}, {"Authorization": "Bearer nope", "OCS-APIRequest": "true"}):
        response = ocs(a, "GET", "/ocs/v2.php/cloud/user", headers)
        assert response.status_code == 401 and meta(response)["statuscode"] == 997


def test_unknown_ocs_route_is_404_with_statuscode_998(a):
    response = ocs(a, "GET", "/ocs/v2.php/apps/nope/api/v1/things", bearer(a, "anna"))
    assert response.status_code == 404 and meta(response)["statuscode"] == 998


def test_capabilities_are_public_and_carry_version_and_federation_switches(a):
    response = ocs(a, "GET", "/ocs/v2.php/cloud/capabilities")
    data = response.json()["ocs"]["data"]
    assert data["version"]["string"] == "31.0.5" and data["version"]["major"] == 31
    assert data["capabilities"]["files_sharing"]["federation"]["outgoing"] is True
    assert "circles" not in data["capabilities"]

    a.state.version = (30, 0, 2)
    a.state.federation_outgoing = False
    data = ocs(a, "GET", "/ocs/v2.php/cloud/capabilities").json()["ocs"]["data"]
    assert data["version"]["string"] == "30.0.2"
    assert data["capabilities"]["files_sharing"]["federation"]["outgoing"] is False

    a.state.enabled_apps.discard("federation")
    federation = ocs(a, "GET", "/ocs/v2.php/cloud/capabilities").json()["ocs"]["data"]["capabilities"][
        "files_sharing"]["federation"]
    assert federation["incoming"] is False


def test_capabilities_answer_304_to_their_etag(a):
    first = ocs(a, "GET", "/ocs/v2.php/cloud/capabilities")
    again = ocs(a, "GET", "/ocs/v2.php/cloud/capabilities", {"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# creating shares (ShareAPIController::createShare) ----------------------------------------------------------
def test_user_share_on_a_folder_gets_read_added(a, anna):
    response = share(a, anna, path="/Netwerken/Taal", shareType=0, shareWith="bram", permissions=14)

    assert response.status_code == 200
    data = response.json()["ocs"]["data"]
    assert data["permissions"] == 15 and data["share_type"] == 0 and data["share_with"] == "bram"
    assert data["item_type"] == "folder" and data["path"] == "/Netwerken/Taal" and isinstance(data["id"], str)
    assert data["share_with_displayname"] == "Bram Jansen" and data["uid_owner"] == "anna"


def test_single_file_share_loses_create_and_delete(a, anna):
    make_file(a, "anna", "/Netwerken/Taal/plan.md")
    data = share(a, anna, path="Netwerken/Taal/plan.md", shareType=0, shareWith="bram").json()["ocs"]["data"]
    assert data["permissions"] == 19 and data["item_type"] == "file"


@pytest.mark.parametrize("data, status, message", [
    ({"shareType": 0, "shareWith": "bram"}, 404, "Please specify a file or folder path"),
    ({"path": "/Nope", "shareType": 0, "shareWith": "bram"}, 404, "Wrong path, file/folder does not exist"),
    ({"path": "/Netwerken/Taal", "shareType": 0, "shareWith": "zoe"}, 404,
     "Please specify a valid account to share with"),
    ({"path": "/Netwerken/Taal", "shareType": 1, "shareWith": "nogroup"}, 404, "Please specify a valid group"),
    ({"path": "/Netwerken/Taal", "shareType": 5, "shareWith": "bram"}, 400, "Unknown share type"),
    ({"path": "/Netwerken/Taal", "shareType": 6}, 404, "Please specify a valid federated account ID"),
    ({"path": "/Netwerken/Taal", "shareType": 7, "shareWith": "team"}, 404,
     "You cannot share to a Team if the app is not enabled"),
    ({"path": "/Netwerken/Taal", "shareType": 0, "shareWith": "anna"}, 403, "Cannot share with yourself"),
    ({"path": "/", "shareType": 0, "shareWith": "bram"}, 403, "You cannot share your root folder"),
    ({"path": "/Netwerken/Taal", "shareType": 0, "shareWith": "bram", "permissions": 64}, 403,
     "Valid permissions are required for sharing"),
])
def test_create_errors_have_nextclouds_status_and_wording(a, anna, data, status, message):
    response = share(a, anna, **data)
    assert response.status_code == status
    assert meta(response) == {"status": "failure", "statuscode": status, "message": message}


def test_version_30_rejects_bad_permissions_with_404(a, anna):
    a.state.version = (30, 0, 2)
    response = share(a, anna, path="/Netwerken/Taal", shareType=0, shareWith="bram", permissions=64)
    assert response.status_code == 404 and meta(response)["message"] == "Invalid permissions"


def test_sharing_the_same_node_twice_with_the_same_user_is_403(a, anna):
    assert share(a, anna, path="/Netwerken/Taal", shareType=0, shareWith="bram").status_code == 200

    again = share(a, anna, path="/Netwerken/Taal", shareType=0, shareWith="bram")
    assert again.status_code == 403
    assert meta(again)["message"] == ("Sharing Taal failed, because this item is already shared with the "
                                      "account Bram Jansen")


def test_group_share_twice_is_403(a, anna):
    assert share(a, anna, path="/Netwerken/Taal", shareType=1, shareWith="taalteam").status_code == 200
    again = share(a, anna, path="/Netwerken/Taal", shareType=1, shareWith="taalteam")
    assert again.status_code == 403 and meta(again)["message"] == "Path is already shared with this group"


def test_link_share_defaults_to_read_plus_share_and_has_a_url(a, anna):
    data = share(a, anna, path="/Netwerken/Taal", shareType=3).json()["ocs"]["data"]
    assert data["permissions"] == 17 and data["url"] == f"{a.base_url}/s/{data['token']}"


def test_federation_outgoing_disabled_is_403(a, b, anna):
    a.state.federation_outgoing = False
    response = share(a, anna, path="/Netwerken/Taal", shareType=6, shareWith=f"eva@{b.host}")
    assert response.status_code == 403
    assert meta(response)["message"] == ("Sharing /anna/files/Netwerken/Taal failed because the back end does not "
                                         "allow shares from type 6")


# listing, updating, deleting (ShareAPIController) ----------------------------------------------------------
def test_one_share_comes_back_as_a_list(a, anna):
    created = share(a, anna, path="/Netwerken/Taal", shareType=0, shareWith="bram").json()["ocs"]["data"]
    response = ocs(a, "GET", f"{SHARES}/shares/{created['id']}", anna)
    assert response.json()["ocs"]["data"] == [created]


def test_list_by_path_subfiles_and_shared_with_me(a, anna):
    make_folder(a, "anna", "/Netwerken/Rekenen")
    share(a, anna, path="/Netwerken/Taal", shareType=0, shareWith="bram")
    share(a, anna, path="/Netwerken/Rekenen", shareType=0, shareWith="chantal")

    by_path = ocs(a, "GET", f"{SHARES}/shares", anna, params={"path": "/Netwerken/Taal", "reshares": "true"})
    assert [s["share_with"] for s in by_path.json()["ocs"]["data"]] == ["bram"]
    sub = ocs(a, "GET", f"{SHARES}/shares", anna, params={"path": "/Netwerken", "subfiles": "true"})
    assert sorted(s["share_with"] for s in sub.json()["ocs"]["data"]) == ["bram", "chantal"]
    incoming = ocs(a, "GET", f"{SHARES}/shares", bearer(a, "bram"), params={"shared_with_me": "true"})
    assert [s["path"] for s in incoming.json()["ocs"]["data"]] == ["/Taal"]


def test_list_errors(a, anna):
    make_file(a, "anna", "/Netwerken/Taal/plan.md")
    missing = ocs(a, "GET", f"{SHARES}/shares", anna, params={"path": "/Nope"})
    assert missing.status_code == 404 and meta(missing)["message"] == "Wrong path, file/folder does not exist"
    not_dir = ocs(a, "GET", f"{SHARES}/shares", anna, params={"path": "/Netwerken/Taal/plan.md", "subfiles": "true"})
    assert not_dir.status_code == 400 and meta(not_dir)["message"] == "Not a directory"


def test_update_needs_a_parameter_and_changes_permissions(a, anna):
    created = share(a, anna, path="/Netwerken/Taal", shareType=0, shareWith="bram").json()["ocs"]["data"]
    url = f"{SHARES}/shares/{created['id']}"

    empty = ocs(a, "PUT", url, anna)
    assert empty.status_code == 400 and meta(empty)["message"] == "Wrong or no update parameter given"
    updated = ocs(a, "PUT", url, anna, data={"permissions": "1", "note": "Welkom"})
    assert updated.json()["ocs"]["data"]["permissions"] == 1 and updated.json()["ocs"]["data"]["note"] == "Welkom"
    incoming = ocs(a, "PUT", url, bearer(a, "bram"), data={"permissions": "31"})
    assert incoming.status_code == 403 and meta(incoming)["message"] == "You are not allowed to edit incoming shares"


def test_delete_then_the_share_is_gone(a, anna):
    created = share(a, anna, path="/Netwerken/Taal", shareType=0, shareWith="bram").json()["ocs"]["data"]
    url = f"{SHARES}/shares/{created['id']}"

    assert ocs(a, "DELETE", url, anna).status_code == 200
    gone = ocs(a, "DELETE", url, anna)
    assert gone.status_code == 404 and meta(gone)["message"] == "Wrong share ID, share does not exist"
    assert ocs(a, "GET", url, anna).status_code == 404


# sharee search (ShareesAPIController) --------------------------------------------------------------------------
def test_sharees_need_an_item_type(a, anna):
    response = ocs(a, "GET", f"{SHARES}/sharees", anna, params={"search": "bram"})
    assert response.status_code == 400 and meta(response)["message"] == "Missing itemType"


def test_sharees_split_exact_and_partial_matches(a, anna):
    data = ocs(a, "GET", f"{SHARES}/sharees", anna,
               params={"search": "bram", "itemType": "folder"}).json()["ocs"]["data"]
    assert [u["value"] for u in data["exact"]["users"]] == [{"shareType": 0, "shareWith": "bram"}]

    partial = ocs(a, "GET", f"{SHARES}/sharees", anna,
                  params={"search": "an", "itemType": "folder", "shareType[]": [0]}).json()["ocs"]["data"]
    assert {u["value"]["shareWith"] for u in partial["users"]} == {"bram", "chantal", "daan"}
    assert partial["groups"] == [] and partial["exact"]["users"] == []


def test_a_full_cloud_id_is_an_exact_remote(a, b, anna):
    cloud_id = f"eva@{b.host}"
    data = ocs(a, "GET", f"{SHARES}/sharees", anna,
               params={"search": cloud_id, "itemType": "folder"}).json()["ocs"]["data"]
    assert data["exact"]["remotes"][0]["value"] == {"shareType": 6, "shareWith": cloud_id, "server": b.host}


# federation (CloudIdManager.php, CloudFederationProviderFiles.php) ------------------------------------------
def test_cloud_id_splits_at_the_last_at_sign_before_the_host():
    assert split_cloud_id("anna@127.0.0.1:8080") == ("anna", "127.0.0.1:8080")
    assert split_cloud_id("ann@school.nl@cloud.school.nl/") == ("ann@school.nl", "cloud.school.nl")
    assert split_cloud_id("nobody") is None


def test_federated_share_arrives_pending_and_can_be_accepted(a, b, anna):
    created = share(a, anna, path="/Netwerken/Taal", shareType=6, shareWith=f"eva@{b.host}", permissions=31)
    assert created.status_code == 200 and created.json()["ocs"]["data"]["share_type"] == 6
    eva = bearer(b, "eva")

    pending = ocs(b, "GET", f"{SHARES}/remote_shares/pending", eva).json()["ocs"]["data"]
    assert [(p["owner"], p["name"], p["remote"]) for p in pending] == [("anna", "/Taal", a.base_url)]
    assert ocs(b, "GET", f"{SHARES}/remote_shares", eva).json()["ocs"]["data"] == []

    assert ocs(b, "POST", f"{SHARES}/remote_shares/pending/{pending[0]['id']}", eva).status_code == 200
    accepted = ocs(b, "GET", f"{SHARES}/remote_shares", eva).json()["ocs"]["data"]
    assert [s["name"] for s in accepted] == ["/Taal"] and b.remote_shares("eva")[0].accepted
    again = ocs(b, "POST", f"{SHARES}/remote_shares/pending/{pending[0]['id']}", eva)
    assert again.status_code == 404 and meta(again)["message"] == "wrong share ID, share does not exist."


def test_trusted_sender_with_auto_accept_lands_accepted(a, b, anna):
    b.state.trusted_servers.add(a.host)
    b.state.auto_accept_trusted = True
    share(a, anna, path="/Netwerken/Taal", shareType=6, shareWith=f"eva@{b.host}")
    assert [s.accepted for s in b.remote_shares("eva")] == [True]


def test_federated_failures_are_generic_403s(a, b, anna):
    assert share(a, anna, path="/Netwerken/Taal", shareType=6, shareWith=f"eva@{b.host}").status_code == 200
    twice = share(a, anna, path="/Netwerken/Taal", shareType=6, shareWith=f"eva@{b.host}")
    assert twice.status_code == 403 and meta(twice)["message"] == "Failed to create share."
    nobody = share(a, anna, path="/Netwerken/Taal", shareType=6, shareWith="eva@127.0.0.1:1")
    assert nobody.status_code == 403 and meta(nobody)["message"] == "Failed to create share."

    b.state.federation_incoming = False
    refused = share(a, anna, path="/Netwerken/Taal", shareType=6, shareWith=f"femke@{b.host}")
    assert refused.status_code == 403


def test_deleting_a_federated_share_removes_it_at_the_receiver(a, b, anna):
    created = share(a, anna, path="/Netwerken/Taal", shareType=6, shareWith=f"eva@{b.host}").json()["ocs"]["data"]
    assert len(b.remote_shares("eva")) == 1
    ocs(a, "DELETE", f"{SHARES}/shares/{created['id']}", anna)
    assert b.remote_shares("eva") == []
