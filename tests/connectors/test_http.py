"""The shared transport: retries only where safe, Retry-After honoured or surfaced, no cookies, timeouts, logs."""

from __future__ import annotations

import logging
import socket
import time

import pytest
import requests
from werkzeug.wrappers import Response

from connectors import errors, http
from connectors.client import NextcloudClient


def fail_then_ok(status, times=1, retry_after="1", headers=None):
    def handler(request, calls):
        if calls < times:
            extra = {"Retry-After": retry_after} if retry_after is not None else {}
            extra.update(headers or {})
            return Response("busy", status, extra)
        return Response("ok", 200)
    return handler


def test_429_is_retried_after_retry_after_seconds(fake_server):
    fake_server.route("GET", "/r", fail_then_ok(429, retry_after="1"))
    response = http.call(http.make_session(), "GET", fake_server.base_url + "/r")
    assert response.status_code == 200
    first, second = fake_server.hits("GET", "/r")
    assert second.at - first.at >= 0.9


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PROPFIND", "MKCOL", "REPORT"])
def test_idempotent_methods_are_retried_on_503(fake_server, method):
    fake_server.route(method, "/r", fail_then_ok(503, retry_after="0"))
    response = http.call(http.make_session(backoff_factor=0), method, fake_server.base_url + "/r", data=b"x")
    assert response.status_code == 200
    assert len(fake_server.hits(method, "/r")) == 2
    assert {h.body for h in fake_server.hits(method, "/r")} == {b"x"}


def test_post_is_never_retried(fake_server):
    fake_server.route("POST", "/r", fail_then_ok(503, retry_after="0"))
    with pytest.raises(errors.ServiceUnavailable):
        http.call(http.make_session(), "POST", fake_server.base_url + "/r", data={"a": "1"})
    assert len(fake_server.hits("POST", "/r")) == 1


def test_retry_after_above_the_maximum_is_not_waited_for(fake_server):
    fake_server.route("GET", "/r", fail_then_ok(503, times=10, retry_after="120",
                                                headers={"X-Nextcloud-Maintenance-Mode": "1"}))
    started = time.monotonic()
    with pytest.raises(errors.ServiceUnavailable) as caught:
        http.call(http.make_session(max_retry_after=30), "GET", fake_server.base_url + "/r")
    assert time.monotonic() - started < 5
    assert caught.value.maintenance is True
    assert caught.value.retry_after == 120
    assert len(fake_server.hits("GET", "/r")) == 1


def test_exhausted_retries_return_the_last_response_as_typed_error(fake_server):
    fake_server.route("GET", "/r", fail_then_ok(429, times=10, retry_after="0"))
    with pytest.raises(errors.RateLimited):
        http.call(http.make_session(retries=2, backoff_factor=0), "GET", fake_server.base_url + "/r")
    assert len(fake_server.hits("GET", "/r")) == 3


def test_cookies_are_neither_stored_nor_sent(fake_server):
    fake_server.route("GET", "/set", lambda r, c: Response("ok", 200, {"Set-Cookie": "nc_session=abc; Path=/"}))
    fake_server.route("GET", "/next", lambda r, c: Response("ok", 200))
    session = http.make_session()
    http.call(session, "GET", fake_server.base_url + "/set")
    http.call(session, "GET", fake_server.base_url + "/next")
    http.call(session, "GET", fake_server.base_url + "/next", cookies={"oc_token": "x"})
    assert len(session.cookies) == 0
    assert all("Cookie" not in hit.headers for hit in fake_server.seen)


def test_cookies_are_not_carried_across_a_redirect(fake_server):
    fake_server.route("GET", "/from", lambda r, c: Response("", 302, {"Location": "/to",
                                                                      "Set-Cookie": "nc_session=abc; Path=/"}))
    fake_server.route("GET", "/to", lambda r, c: Response("ok", 200))
    http.call(http.make_session(), "GET", fake_server.base_url + "/from")
    assert "Cookie" not in fake_server.hits("GET", "/to")[0].headers


def test_every_request_gets_the_default_timeout(fake_server):
    fake_server.route("GET", "/slow", lambda r, c: (time.sleep(1.0), Response("late"))[1])
    session = http.make_session(timeout=(1, 0.2), retries=0)
    with pytest.raises(errors.Unreachable) as caught:
        http.call(session, "GET", fake_server.base_url + "/slow")
    assert caught.value.timeout is True


def test_an_explicit_timeout_wins_over_the_default(fake_server):
    fake_server.route("GET", "/slow", lambda r, c: (time.sleep(0.4), Response("late"))[1])
    session = http.make_session(timeout=(1, 0.1), retries=0)
    assert http.call(session, "GET", fake_server.base_url + "/slow", timeout=5).status_code == 200


def test_unreachable_server_raises_unreachable_and_a_refusal_is_not_called_a_timeout():
    with pytest.raises(errors.Unreachable) as caught:
        http.call(http.make_session(retries=0), "GET", "http://127.0.0.1:9/nothing")
    assert caught.value.timeout is False


def test_a_server_that_never_answers_is_a_timeout():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        with pytest.raises(errors.Unreachable) as caught:
            http.call(http.make_session(retries=0, timeout=(1, 0.2)), "GET", url)
    assert caught.value.timeout is True


def test_failed_calls_log_the_request_id(fake_server, caplog):
    fake_server.route("GET", "/r", lambda r, c: Response("no", 404, {"X-Request-Id": "Xy12AbCd"}))
    with caplog.at_level(logging.INFO, logger="connectors"), pytest.raises(errors.NotFound):
        http.call(http.make_session(), "GET", fake_server.base_url + "/r")
    assert "Xy12AbCd" in caplog.text


def test_wire_debug_logs_headers_with_authorization_redacted(fake_server, caplog, monkeypatch):
    monkeypatch.setenv("LN_WIRE_DEBUG", "1")
    fake_server.route("GET", "/r", lambda r, c: Response("ok", 200, {"X-Request-Id": "rid"}))
    with caplog.at_level(logging.DEBUG, logger="connectors.wire"):
        http.call(http.make_session(), "GET", fake_server.base_url + "/r",
                  headers={"Authorization": "Bearer SeCrEtToKeN"})
    assert "GET " + fake_server.base_url + "/r" in caplog.text
    assert "200" in caplog.text and "rid" in caplog.text
    assert "<redacted>" in caplog.text
    assert "SeCrEtToKeN" not in caplog.text


def test_wire_debug_is_off_by_default(fake_server, caplog, monkeypatch):
    monkeypatch.delenv("LN_WIRE_DEBUG", raising=False)
    fake_server.route("GET", "/r", lambda r, c: Response("ok", 200))
    with caplog.at_level(logging.DEBUG, logger="connectors.wire"):
        http.call(http.make_session(), "GET", fake_server.base_url + "/r")
    assert not [r for r in caplog.records if r.name == "connectors.wire"]


def test_session_for_returns_one_session_per_instance():
    a = http.session_for("https://Cloud.example.org/")
    assert http.session_for("https://cloud.example.org") is a
    assert http.session_for("https://other.example.org") is not a


def test_an_instance_session_reads_the_proxy_environment_once_and_never_a_netrc(monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine proxied.example.org login someone password secret\n")
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example.org")
    http.close_sessions()
    proxied = http.session_for("https://proxied.example.org")
    direct = http.session_for("https://direct.example.org")
    monkeypatch.setenv("HTTPS_PROXY", "http://changed.example:3128")
    assert proxied.trust_env is False and direct.trust_env is False
    assert proxied.proxies["https"] == "http://proxy.example:3128"
    assert "https" not in direct.proxies
    prepared = proxied.prepare_request(requests.Request("GET", "https://proxied.example.org/status.php"))
    assert "Authorization" not in prepared.headers
    http.close_sessions()


# -- contract: against the sandbox ------------------------------------------------------------------------

def test_sandbox_429_retry_after_is_honoured(anna, org_a):
    anna.client.files.ensure_folder("Netwerken")
    org_a.clear_log()
    org_a.faults.fail_next(429, count=1, retry_after=1)
    started = time.monotonic()
    assert anna.client.files.list("") != []
    assert time.monotonic() - started >= 0.9
    assert [r.status for r in org_a.request_log] == [429, 207]


def test_sandbox_maintenance_is_service_unavailable_without_waiting(anna, org_a):
    org_a.faults.maintenance = True
    for attempt in (lambda: anna.client.files.list(""), lambda: anna.client.ocs.current_user()):
        org_a.clear_log()
        started = time.monotonic()
        with pytest.raises(errors.ServiceUnavailable) as caught:
            attempt()
        assert time.monotonic() - started < 5
        assert caught.value.maintenance is True and caught.value.retry_after == 120
        assert [r.status for r in org_a.request_log] == [503]


def test_sandbox_503_retries_are_exhausted_then_raised(anna, org_a):
    client = NextcloudClient(org_a.base_url, anna.oauth, anna.store, session=http.make_session(backoff_factor=0))
    org_a.faults.fail_next(503, count=10, retry_after=0)
    with pytest.raises(errors.ServiceUnavailable) as caught:
        client.files.list("")
    assert caught.value.maintenance is False
    assert [r.status for r in org_a.request_log] == [503] * 4


def test_sandbox_no_cookie_is_ever_sent(anna, org_a):
    sent = []
    anna.client.session.hooks["response"].append(lambda r, *a, **k: sent.append(dict(r.request.headers)))
    anna.client.files.ensure_folder("Netwerken")
    anna.client.files.create_if_absent("Netwerken/a.txt", b"a", "text/plain")
    anna.client.ocs.ensure_share("/Netwerken", 0, "bram", 15)
    org_a.expire_access_tokens()
    anna.client.ocs.current_user()
    assert sent and all("Cookie" not in headers for headers in sent)
    assert len(anna.client.session.cookies) == 0
