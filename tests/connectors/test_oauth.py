"""OAuth2 against Nextcloud: code exchange, single-use refresh tokens handled safely, 401 refresh-and-resend."""

from __future__ import annotations

import json
import logging
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.wrappers import Response

from connectors import errors, http
from connectors.oauth import BearerAuth, MemoryTokenStore, OAuthClient, Token

TOKEN_PATH = "/index.php/apps/oauth2/api/v1/token"


class FakeOAuth:
    """Token endpoint + one resource with Nextcloud's rotation rules (quirks `single_use_refresh_token`,
    `token_errors_all_400`)."""

    def __init__(self, server):
        self.server = server
        self.generation = 0
        self.access = "access0"
        self.refresh = "refresh0"
        self.refresh_delay = 0.0
        self.token_status = None  # force an answer status (e.g. 503)
        server.route("POST", TOKEN_PATH, self.token)
        server.route("GET", "/res", self.resource)
        server.route("PUT", "/res", self.resource)

    def token(self, request, calls):
        time.sleep(self.refresh_delay)
        if self.token_status:
            return Response("busy", self.token_status)
        form = request.form
        if form.get("client_id") != "cid" or form.get("client_secret") != "csecret":
            return self.error("invalid_client")
        grant = form.get("grant_type")
        if grant == "authorization_code" and form.get("code") != "thecode":
            return self.error("invalid_request")
        if grant == "refresh_token" and form.get("refresh_token") != self.refresh:
            return self.error("invalid_request")
        self.generation += 1
        self.access, self.refresh = f"access{self.generation}", f"refresh{self.generation}"
        body = {"access_token": self.access, "token_type": "Bearer", "expires_in": 3600,
                "refresh_token": self.refresh, "user_id": "anna"}
        return Response(json.dumps(body), 200, content_type="application/json")

    @staticmethod
    def error(code):
        return Response(json.dumps({"error": code}), 400, content_type="application/json")

    def resource(self, request, calls):
        if request.headers.get("Authorization") != f"Bearer {self.access}":
            return Response("", 401)
        return Response(request.get_data() or b"ok", 200)

    def token_calls(self):
        return len(self.server.hits("POST", TOKEN_PATH))


@pytest.fixture
def oauth_server(fake_server):
    return FakeOAuth(fake_server)


@pytest.fixture
def client(fake_server):
    return OAuthClient(fake_server.base_url, "cid", "csecret", "http://app.example/oauth/callback",
                       session=http.make_session())


def stored(access="access0", refresh="refresh0", expires_in=3600):
    return MemoryTokenStore(Token(access, refresh, time.time() + expires_in, "anna"))


def get(auth, url, **kwargs):
    return http.call(http.make_session(), "GET", url, auth=auth, **kwargs)


def test_authorization_url_carries_state_and_client_id(client):
    url = client.authorization_url("st4te")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == "/index.php/apps/oauth2/authorize"
    assert query["state"] == ["st4te"]
    assert query["client_id"] == ["cid"]
    assert query["response_type"] == ["code"]


def test_exchange_code_sends_the_secret_in_the_body(client, oauth_server, fake_server):
    token = client.exchange_code("thecode")
    assert token.access_token == "access1" and token.refresh_token == "refresh1"
    assert token.user_id == "anna"
    assert 3500 < token.expires_at - time.time() <= 3600
    hit = fake_server.hits("POST", TOKEN_PATH)[0]
    assert hit.form["client_secret"] == "csecret"
    assert "Authorization" not in hit.headers


def test_exchange_of_a_bad_code_is_bad_request(client, oauth_server):
    with pytest.raises(errors.BadRequest):
        client.exchange_code("used-code")


def test_token_repr_hides_the_secrets():
    text = repr(Token("access-secret", "refresh-secret", 0.0, "anna"))
    assert "access-secret" not in text and "refresh-secret" not in text and "anna" in text


def test_an_expired_token_is_refreshed_and_saved_before_use(client, oauth_server, fake_server):
    store = stored(expires_in=30)  # inside the 60 s leeway
    auth = BearerAuth(store, client)
    assert get(auth, fake_server.base_url + "/res").status_code == 200
    assert store.load().access_token == "access1"
    assert store.saves == 1
    assert fake_server.hits("GET", "/res")[0].headers["Authorization"] == "Bearer access1"
    assert oauth_server.token_calls() == 1


def test_a_401_refreshes_once_and_resends_the_same_body(client, oauth_server, fake_server):
    oauth_server.access = "rotated-elsewhere"
    oauth_server.refresh = "refresh0"
    auth = BearerAuth(stored(), client)
    response = http.call(http.make_session(), "PUT", fake_server.base_url + "/res", auth=auth,
                         data=b"document bytes")
    assert response.status_code == 200 and response.content == b"document bytes"
    puts = fake_server.hits("PUT", "/res")
    assert [p.body for p in puts] == [b"document bytes", b"document bytes"]
    assert oauth_server.token_calls() == 1


def test_a_second_401_after_refresh_is_unauthorized(client, oauth_server, fake_server):
    fake_server.route("GET", "/always401", lambda r, c: Response("", 401))
    auth = BearerAuth(stored(), client)
    with pytest.raises(errors.Unauthorized):
        get(auth, fake_server.base_url + "/always401")
    assert len(fake_server.hits("GET", "/always401")) == 2
    assert oauth_server.token_calls() == 1


def test_concurrent_requests_share_one_refresh(client, oauth_server, fake_server):
    oauth_server.refresh_delay = 0.2
    store = stored(expires_in=0)
    auth = BearerAuth(store, client)
    results, failures = [], []

    def work():
        try:
            results.append(get(auth, fake_server.base_url + "/res").status_code)
        except Exception as exc:  # collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [] and results == [200] * 8
    assert oauth_server.token_calls() == 1


def test_a_refresh_done_by_another_worker_is_reused(client, oauth_server, fake_server):
    store = stored()
    stale = store.load()
    other_worker = BearerAuth(store, client)
    other_worker.refresh_after_401(stale)  # rotates to access1/refresh1 and saves it
    assert oauth_server.token_calls() == 1
    this_worker = BearerAuth(store, client)
    assert this_worker.refresh_after_401(stale).access_token == "access1"
    assert oauth_server.token_calls() == 1


def test_a_refused_refresh_marks_reconnect_needed(client, oauth_server, fake_server):
    oauth_server.refresh = "someone-else-used-it"
    store = stored(expires_in=0)
    auth = BearerAuth(store, client)
    with pytest.raises(errors.ReconnectNeeded) as caught:
        get(auth, fake_server.base_url + "/res")
    assert caught.value.reason == "invalid_request"
    assert store.reconnect_reason == "invalid_request"
    with pytest.raises(errors.ReconnectNeeded):
        get(auth, fake_server.base_url + "/res")
    assert oauth_server.token_calls() == 1  # no second attempt with a dead grant


def test_a_refresh_timeout_is_not_resent(fake_server, oauth_server):
    oauth_server.refresh_delay = 1.0
    client = OAuthClient(fake_server.base_url, "cid", "csecret",
                         session=http.make_session(timeout=(1, 0.2)))
    store = stored(expires_in=0)
    with pytest.raises(errors.Unreachable) as caught:
        get(BearerAuth(store, client), fake_server.base_url + "/res")
    assert caught.value.timeout is True
    time.sleep(1.0)
    assert oauth_server.token_calls() == 1
    assert not store.reconnect_needed
    assert store.load().refresh_token == "refresh0"


def test_a_503_from_the_token_endpoint_is_not_retried(client, oauth_server):
    oauth_server.token_status = 503
    with pytest.raises(errors.ServiceUnavailable):
        client.refresh(stored().load())
    assert oauth_server.token_calls() == 1


def test_no_token_means_reconnect_needed(client, fake_server):
    with pytest.raises(errors.ReconnectNeeded):
        get(BearerAuth(MemoryTokenStore(), client), fake_server.base_url + "/res")


def test_tokens_never_reach_the_logs(client, oauth_server, fake_server, caplog, monkeypatch):
    monkeypatch.setenv("LN_WIRE_DEBUG", "1")
    store = stored(expires_in=0)
    with caplog.at_level(logging.DEBUG):
        get(BearerAuth(store, client), fake_server.base_url + "/res")
        oauth_server.access = "access-rotated"
        get(BearerAuth(store, client), fake_server.base_url + "/res")
        token = client.exchange_code("thecode")
    assert store.saves == 2
    secrets = {"access0", "refresh0", "access1", "refresh1", "access2", "refresh2",
               token.access_token, token.refresh_token, "csecret"}
    assert caplog.records
    for record in caplog.records:
        message = record.getMessage()
        assert not [s for s in secrets if s in message], message


# -- contract: against the sandbox ------------------------------------------------------------------------

def test_sandbox_expired_access_token_is_refreshed_and_the_request_succeeds(anna, org_a):
    before = anna.store.load()
    org_a.expire_access_tokens()
    calls = org_a.token_endpoint_calls
    assert anna.client.ocs.current_user().id == "anna"
    assert org_a.token_endpoint_calls == calls + 1
    after = anna.store.load()
    assert after.access_token != before.access_token and after.refresh_token != before.refresh_token
    assert [r.status for r in org_a.request_log if r.path == "/ocs/v2.php/cloud/user"] == [401, 200]


def test_sandbox_token_expiring_within_the_leeway_is_refreshed_before_sending(anna, org_a):
    token = anna.store.load()
    anna.store.save(Token(token.access_token, token.refresh_token, time.time() + 10, token.user_id))
    anna.client.files.ensure_folder("Netwerken")
    assert org_a.token_endpoint_calls == 1
    assert [r.status for r in org_a.request_log if r.method == "MKCOL"] == [201]


def test_sandbox_reused_refresh_token_is_rejected_and_marks_reconnect_needed(anna, org_a):
    stale_copy = MemoryTokenStore(anna.store.load())  # e.g. a worker that missed the rotation
    org_a.expire_access_tokens()
    anna.client.ocs.current_user()  # refreshes: the stale copy's refresh token is now dead
    stale = BearerAuth(stale_copy, anna.oauth)
    with pytest.raises(errors.ReconnectNeeded) as caught:
        http.call(anna.client.session, "GET", org_a.base_url + "/ocs/v2.php/cloud/user?format=json",
                  auth=stale, headers={"OCS-APIRequest": "true"})
    assert caught.value.reason == "invalid_request"
    assert stale_copy.reconnect_reason == "invalid_request"
    assert anna.client.ocs.current_user().id == "anna"  # the live connection is unaffected


def test_sandbox_revoked_grant_means_reconnect_needed(anna, org_a):
    org_a.revoke_grants("anna")
    with pytest.raises(errors.ReconnectNeeded):
        anna.client.ocs.current_user()
    assert anna.store.reconnect_needed
    calls = org_a.token_endpoint_calls
    with pytest.raises(errors.ReconnectNeeded):
        anna.client.files.list("")
    assert org_a.token_endpoint_calls == calls


def test_sandbox_tokens_are_not_logged(anna, org_a, caplog, monkeypatch):
    monkeypatch.setenv("LN_WIRE_DEBUG", "1")
    first = anna.store.load()
    with caplog.at_level(logging.DEBUG):
        org_a.expire_access_tokens()
        anna.client.files.ensure_folder("Netwerken")
        anna.client.ocs.current_user()
        with pytest.raises(errors.NotFound):
            anna.client.files.read("ontbreekt.txt")
    second = anna.store.load()
    secrets = {first.access_token, first.refresh_token, second.access_token, second.refresh_token,
               anna.oauth._client_secret}
    assert second.access_token != first.access_token
    assert caplog.records
    for record in caplog.records:
        message = record.getMessage()
        assert not [s for s in secrets if s in message], record.name


def test_sandbox_code_exchange_gives_a_working_token_and_the_code_is_single_use(anna, org_a):
    code = org_a.state.create_code("bram", anna.oauth.client_id)
    token = anna.oauth.exchange_code(code)
    assert token.user_id == "bram"
    bram = BearerAuth(MemoryTokenStore(token), anna.oauth)
    response = http.call(anna.client.session, "GET", org_a.base_url + "/ocs/v2.php/cloud/user?format=json",
                         auth=bram, headers={"OCS-APIRequest": "true"})
    assert response.json()["ocs"]["data"]["id"] == "bram"
    with pytest.raises(errors.BadRequest):
        anna.oauth.exchange_code(code)


class CountingStore(MemoryTokenStore):
    def __init__(self, token):
        super().__init__(token)
        self.loads = 0

    def load(self):
        self.loads += 1
        return super().load()


def test_a_token_read_from_the_store_is_reused_for_the_next_requests(client, oauth_server, fake_server):
    store = CountingStore(stored().load())
    auth = BearerAuth(store, client)
    for _ in range(5):
        assert get(auth, fake_server.base_url + "/res").status_code == 200
    assert store.loads == 1
    assert oauth_server.token_calls() == 0


def test_a_held_token_rotated_by_another_worker_is_replaced_from_the_store_without_a_refresh(
        client, oauth_server, fake_server):
    store = stored()
    auth = BearerAuth(store, client)
    assert get(auth, fake_server.base_url + "/res").status_code == 200  # holds access0
    BearerAuth(store, client).refresh_after_401(store.load())  # another worker rotates to access1
    assert oauth_server.token_calls() == 1
    assert get(auth, fake_server.base_url + "/res").status_code == 200
    sent = [hit.headers["Authorization"] for hit in fake_server.hits("GET", "/res")]
    assert sent == ["Bearer access0", "Bearer access0", "Bearer access1"]  # refused once, resent with the stored one
    assert oauth_server.token_calls() == 1


def test_a_held_token_is_read_again_after_its_reuse_time(client, oauth_server, fake_server):
    store = CountingStore(stored().load())
    auth = BearerAuth(store, client, reuse=0)
    for _ in range(3):
        get(auth, fake_server.base_url + "/res")
    assert store.loads == 3
