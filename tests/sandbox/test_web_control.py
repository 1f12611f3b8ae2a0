"""The fault control page flips sandbox/faults.py's switches from the browser and stays reachable."""

import requests

from tests.sandbox.web import post_form, signed_in

CONTROL = "/index.php/apps/sandbox/control"


def save(session, org, **fields):
    values = {"latency": "0", "rate_503": "0", "rate_429": "0", "retry_after": "1", "token_lifetime": "3600",
              "action": "save", **fields}
    return post_form(session, org, CONTROL, CONTROL, **values)


def test_settings_are_written_to_the_organisations_faults(sandbox):
    org = sandbox.org("a")
    answer = save(signed_in(org, "anna"), org, latency="0.05", rate_503="25", rate_429="10", retry_after="7",
                  token_lifetime="60")
    assert "opgeslagen" in answer.text
    faults = org.faults
    assert (faults.latency, faults.error_rate, faults.retry_after, faults.token_lifetime) == (
        0.05, {503: 0.25, 429: 0.10}, 7, 60)
    assert faults.maintenance is False


def test_maintenance_switched_on_and_off_from_the_page(sandbox):
    org = sandbox.org("a")
    session = signed_in(org, "anna")
    save(session, org, maintenance="on")
    assert requests.get(org.base_url + "/ocs/v2.php/cloud/user", timeout=10).status_code == 503
    assert "onderhoudsmodus" in session.get(org.base_url + CONTROL, timeout=10).text
    assert "uitgezet" in post_form(session, org, CONTROL, CONTROL, action="reset").text
    assert org.faults.maintenance is False


def test_failing_the_next_requests_and_expiring_tokens(sandbox):
    org = sandbox.org("a")
    session = signed_in(org, "anna")
    post_form(session, org, CONTROL, CONTROL, action="fail", status="429", count="2")
    assert [requests.get(org.base_url + "/status.php", timeout=10).status_code for _ in range(3)] == [429, 429, 200]
    client_id, _ = org.register_client("Lerend Netwerk", "http://127.0.0.1:5000/oauth/callback")
    token = org.issue_token("anna", client_id)["access_token"]
    post_form(session, org, CONTROL, CONTROL, action="expire")
    assert org.state.user_for_access_token(token) is None


def test_an_invalid_value_changes_nothing(sandbox):
    org = sandbox.org("a")
    answer = save(signed_in(org, "anna"), org, latency="veel", rate_503="50")
    assert "„Vertraging” heeft een ongeldige waarde" in answer.text
    assert org.faults.latency == 0 and org.faults.error_rate[503] == 0
