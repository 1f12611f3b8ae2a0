"""Sandbox server glue: Bearer login, request ids, the request log, fault switches and org lookup
(quirks `dav_401_basic_challenge`, `request_id_header`, `maintenance_503`)."""

import base64

import requests

from sandbox import RequestRecord, Sandbox
from tests.sandbox.util import bearer, dav

CAL = "/remote.php/dav/calendars/anna/"


def test_missing_invalid_and_expired_logins_are_401_with_nextclouds_basic_challenge(sandbox):
    """Quirk `dav_401_basic_challenge`: the 401 carries the Basic backend's challenge (realm "Nextcloud"), never a
    Bearer one; clients such as curl and vdirsyncer wait for it before they send credentials."""
    org = sandbox.org("a")
    auth = bearer(org, "anna")
    assert dav(org, "PROPFIND", CAL, auth=auth).status_code == 207
    org.expire_access_tokens()
    wrong = {"Authorization": "Basic " + base64.b64encode(b"anna:fout").decode()}
    for headers in ({}, {"Authorization": "Bearer nonsense"}, auth, wrong):
        answer = dav(org, "PROPFIND", CAL, auth=headers)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == 'Basic realm="Nextcloud", charset="UTF-8"'
        assert "Set-Cookie" not in answer.headers


def test_a_client_that_waits_for_the_challenge_gets_in_with_basic_auth(sandbox):
    """Quirk `dav_401_basic_challenge`: a client that sends credentials only once challenged (curl --anyauth,
    vdirsyncer) learns the scheme from the 401 and then gets in."""
    org = sandbox.org("b")
    session = requests.Session()
    first = session.request("PROPFIND", org.base_url + "/remote.php/dav/calendars/eva/", timeout=10)
    assert first.status_code == 401
    scheme = first.headers["WWW-Authenticate"].split()[0]
    answer = session.request("PROPFIND", org.base_url + "/remote.php/dav/calendars/eva/", timeout=10,
                             auth=requests.auth.HTTPBasicAuth("eva", "eva") if scheme == "Basic" else None)
    assert answer.status_code == 207


def test_revoked_grant_stops_the_token(sandbox):
    org = sandbox.org("a")
    auth = bearer(org, "anna")
    org.revoke_grants("anna")
    assert dav(org, "PROPFIND", CAL, auth=auth).status_code == 401


def test_basic_auth_with_the_password_works_for_dav(sandbox):
    org = sandbox.org("b")
    basic = {"Authorization": "Basic " + base64.b64encode(b"eva:eva").decode()}
    assert dav(org, "PROPFIND", "/remote.php/dav/calendars/eva/", auth=basic).status_code == 207
    wrong = {"Authorization": "Basic " + base64.b64encode(b"eva:fout").decode()}
    assert dav(org, "PROPFIND", "/remote.php/dav/calendars/eva/", auth=wrong).status_code == 401


def test_requests_with_cookies_to_remote_php_are_412(sandbox):
    org = sandbox.org("a")
    assert dav(org, "PROPFIND", CAL, headers={"Cookie": "oc_sessionPassphrase=x"}).status_code == 412


def test_every_response_has_a_fresh_20_character_request_id(sandbox):
    org = sandbox.org("a")
    ids = {dav(org, "PROPFIND", CAL).headers["X-Request-Id"], requests.get(org.base_url + "/nowhere").headers[
        "X-Request-Id"], dav(org, "PROPFIND", CAL, auth={}).headers["X-Request-Id"]}
    assert len(ids) == 3 and all(len(i) == 20 and i.isalnum() for i in ids)


def test_request_log_records_method_path_status_and_user_in_order(sandbox):
    org = sandbox.org("a")
    org.clear_log()
    dav(org, "MKCOL", "/remote.php/dav/files/anna/Map")
    dav(org, "PROPFIND", CAL, auth={})
    assert org.request_log == [RequestRecord("MKCOL", "/remote.php/dav/files/anna/Map", 201, "anna"),
                               RequestRecord("PROPFIND", CAL, 401, None)]
    org.clear_log()
    assert org.request_log == []


def test_maintenance_answers_503_with_header_in_each_api_family_but_status_php_stays_up(sandbox):
    org = sandbox.org("a")
    org.faults.maintenance = True
    answer = dav(org, "PROPFIND", CAL)
    assert answer.status_code == 503
    assert answer.headers["X-Nextcloud-Maintenance-Mode"] == "1" and answer.headers["Retry-After"] == "120"
    assert "System in maintenance mode." in answer.text and "ServiceUnavailable" in answer.text
    ocs = requests.get(org.base_url + "/ocs/v2.php/cloud/user?format=json", headers={"OCS-APIRequest": "true"})
    assert ocs.status_code == 503 and ocs.json()["ocs"]["meta"]["statuscode"] == 503
    assert ocs.headers["X-Nextcloud-Maintenance-Mode"] == "1"
    status = requests.get(org.base_url + "/status.php")
    assert status.status_code == 200 and status.json()["maintenance"] is True
    assert sandbox.org("b").faults.maintenance is False


def test_fail_next_injects_the_status_with_retry_after_for_count_requests(sandbox):
    org = sandbox.org("a")
    auth = bearer(org, "anna")
    org.faults.fail_next(429, count=2, retry_after=7)
    org.faults.fail_next(503)
    first, second = dav(org, "PROPFIND", CAL, auth=auth), dav(org, "PROPFIND", CAL, auth=auth)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert second.status_code == 429
    third = dav(org, "PROPFIND", CAL, auth=auth)
    assert (third.status_code, third.headers["Retry-After"]) == (503, str(org.faults.retry_after))
    assert dav(org, "PROPFIND", CAL, auth=auth).status_code == 207


def test_error_rate_one_fails_every_request_and_zero_none(sandbox):
    org = sandbox.org("a")
    auth = bearer(org, "anna")
    org.faults.error_rate = {503: 1.0}
    assert {dav(org, "PROPFIND", CAL, auth=auth).status_code for _ in range(3)} == {503}
    org.faults.error_rate = {503: 0.0, 429: 0.0}
    assert dav(org, "PROPFIND", CAL, auth=auth).status_code == 207


def test_token_lifetime_switch_sets_expires_in_of_new_tokens(sandbox):
    org = sandbox.org("a")
    org.faults.token_lifetime = 5
    client_id, _ = org.register_client("x", "http://127.0.0.1:5000/cb")
    assert org.issue_token("anna", client_id)["expires_in"] == 5


def test_orgs_find_each_other_by_host_and_late_orgs_start_at_once(sandbox):
    a, b = sandbox.org("a"), sandbox.org("b")
    assert a.port != b.port
    assert sandbox.org_for_host(b.host) is b and sandbox.org_for_host(a.base_url) is a
    assert sandbox.org_for_host("127.0.0.1:1") is None
    late = sandbox.add_org("c", name="Bibliotheek")
    assert late.sandbox is sandbox and requests.get(late.base_url + "/status.php").status_code == 200


def test_sandbox_without_root_uses_and_removes_a_temporary_directory():
    with Sandbox() as sb:
        org = sb.add_org("x")
        org.add_user("ilse", display_name="Ilse", email="ilse@x.example")
        root = sb.root
        assert dav(org, "MKCOL", "/remote.php/dav/files/ilse/Map", "ilse").status_code == 201
    assert not root.exists()
