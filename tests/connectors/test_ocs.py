"""OcsClient: OCS rules on every call, cached capabilities, sharing that is made idempotent
(quirks `ocs_api_request_header`, `share_twice_403`)."""

from __future__ import annotations

import json

import pytest
from werkzeug.wrappers import Response

from connectors import errors, http
from connectors.ocs import (PERMISSION_ALL, PERMISSION_READ, SHARE_FEDERATED, SHARE_USER, OcsClient,
                            expected_permissions)

SHARES = "/ocs/v2.php/apps/files_sharing/api/v1/shares"


def share_posts(org):
    return [r for r in org.request_log if r.method == "POST" and r.path == SHARES]


# -- unit: the wire shape -------------------------------------------------------------------------------

def ocs_ok(data):
    return Response(json.dumps({"ocs": {"meta": {"status": "ok", "statuscode": 200, "message": "OK"},
                                        "data": data}}), 200, content_type="application/json")


def test_every_call_sends_ocs_api_request_and_asks_for_json(fake_server):
    fake_server.route("GET", "/ocs/v2.php/cloud/user", lambda r, c: ocs_ok({"id": "anna"}))
    fake_server.route("POST", SHARES, lambda r, c: ocs_ok({"id": 7, "share_type": 0, "share_with": "bram",
                                                            "permissions": 1}))
    ocs = OcsClient(fake_server.base_url, http.make_session(), auth=None)
    ocs.current_user()
    ocs.create_share("/Netwerken", SHARE_USER, "bram", PERMISSION_READ)
    assert len(fake_server.seen) == 2
    for hit in fake_server.seen:
        assert hit.headers["Ocs-Apirequest"] == "true"
        assert "format=json" in hit.query.split("&")


def test_create_share_does_not_mail_unless_asked(fake_server):
    fake_server.route("POST", SHARES, lambda r, c: ocs_ok({"id": 7, "share_type": 0, "share_with": "bram",
                                                            "permissions": 31}))
    ocs = OcsClient(fake_server.base_url, http.make_session(), auth=None)
    ocs.create_share("/Netwerken", SHARE_USER, "bram", PERMISSION_ALL)
    ocs.create_share("/Netwerken", SHARE_USER, "bram", PERMISSION_ALL, send_mail=True, note="Welkom")
    first, second = (h.form for h in fake_server.hits("POST", SHARES))
    assert first == {"path": "/Netwerken", "shareType": "0", "shareWith": "bram", "permissions": "31",
                     "sendMail": "false"}
    assert second["sendMail"] == "true" and second["note"] == "Welkom"


def test_ocs_v1_style_failure_in_a_200_is_raised(fake_server):
    body = {"ocs": {"meta": {"status": "failure", "statuscode": 404, "message": "Wrong share ID"}, "data": []}}
    fake_server.route("GET", SHARES + "/9", lambda r, c: Response(json.dumps(body), 200,
                                                                 content_type="application/json"))
    with pytest.raises(errors.NotFound):
        OcsClient(fake_server.base_url, http.make_session(), auth=None).share("9")


def test_expected_permissions_follow_the_server_adjustments():
    assert expected_permissions(2, SHARE_USER, "folder") == 3
    assert expected_permissions(31, SHARE_USER, "file") == 19


# -- contract: against the sandbox ------------------------------------------------------------------------

def test_current_user_is_the_token_owner(anna):
    user = anna.client.ocs.current_user()
    assert user.id == "anna" == anna.client.user_id
    assert user.display_name == "Anna de Vries"


def test_capabilities_are_fetched_once(anna, org_a):
    ocs = anna.client.ocs
    first = ocs.capabilities()
    assert ocs.capabilities() is first
    assert ocs.server_version()[0] >= 28
    calls = [r for r in org_a.request_log if r.path.endswith("/cloud/capabilities")]
    assert len(calls) == 1
    ocs.capabilities(refresh=True)
    assert len([r for r in org_a.request_log if r.path.endswith("/cloud/capabilities")]) == 2


def test_ensure_share_twice_creates_one_share(anna, org_a):
    anna.client.files.ensure_folder("Netwerken/Taal")
    first = anna.client.ocs.ensure_share("/Netwerken/Taal", SHARE_USER, "bram", 15)
    second = anna.client.ocs.ensure_share("/Netwerken/Taal", SHARE_USER, "bram", 15)
    assert first.id == second.id and second.permissions == 15
    assert len(share_posts(org_a)) == 1
    assert [s.share_with for s in anna.client.ocs.shares("/Netwerken/Taal")] == ["bram"]


def test_ensure_share_fixes_permissions_with_an_update(anna, org_a):
    anna.client.files.ensure_folder("Netwerken")
    created = anna.client.ocs.ensure_share("/Netwerken", SHARE_USER, "bram", PERMISSION_READ)
    updated = anna.client.ocs.ensure_share("/Netwerken", SHARE_USER, "bram", 15)
    assert updated.id == created.id and updated.permissions == 15
    assert len(share_posts(org_a)) == 1
    assert [r.method for r in org_a.request_log if r.path == f"{SHARES}/{created.id}"] == ["PUT"]


def test_raw_create_of_an_existing_share_is_already_exists(anna):
    anna.client.files.ensure_folder("Netwerken")
    anna.client.ocs.create_share("/Netwerken", SHARE_USER, "bram", 15)
    with pytest.raises(errors.AlreadyExists) as caught:
        anna.client.ocs.create_share("/Netwerken", SHARE_USER, "bram", 15)
    assert caught.value.status == 403


def test_unknown_sharee_is_not_found(anna):
    anna.client.files.ensure_folder("Netwerken")
    with pytest.raises(errors.NotFound) as caught:
        anna.client.ocs.ensure_share("/Netwerken", SHARE_USER, "niemand", 15)
    assert caught.value.status == 404


def test_update_and_delete_share(anna):
    anna.client.files.ensure_folder("Netwerken")
    share = anna.client.ocs.create_share("/Netwerken", SHARE_USER, "bram", 15)
    assert anna.client.ocs.update_share(share.id, permissions=PERMISSION_READ).permissions == PERMISSION_READ
    anna.client.ocs.delete_share(share.id)
    assert anna.client.ocs.shares("/Netwerken") == []
    with pytest.raises(errors.NotFound):
        anna.client.ocs.delete_share(share.id)


def test_sharee_search_finds_a_colleague(anna):
    hits = anna.client.ocs.search_sharees("bram", share_types=[SHARE_USER])
    assert ("bram", SHARE_USER) in {(h.share_with, h.share_type) for h in hits}


def test_federated_share_arrives_pending_and_can_be_accepted(anna, connect, org_b):
    if not anna.client.ocs.federation_enabled():
        pytest.skip("the sandbox has outgoing federation switched off")
    anna.client.files.ensure_folder("Netwerken")
    cloud_id = f"eva@{org_b.host}"
    share = anna.client.ocs.ensure_share("/Netwerken", SHARE_FEDERATED, cloud_id, 15)
    assert share.share_type == SHARE_FEDERATED
    eva = connect(org_b, "eva")
    pending = eva.client.ocs.remote_shares(pending=True)
    if not pending:
        assert [s.name for s in eva.client.ocs.remote_shares()]  # auto-accepted (trusted server)
        return
    eva.client.ocs.accept_remote_share(pending[0].id)
    assert eva.client.ocs.remote_shares(pending=True) == []
    assert [s.accepted for s in eva.client.ocs.remote_shares()] == [True]
