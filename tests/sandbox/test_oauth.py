"""The sandbox's OAuth2 provider behaves like Nextcloud's oauth2 app (sources named in sandbox.oauth), over real
HTTP."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

CALLBACK = "http://127.0.0.1:5000/oauth/callback"
TOKEN_PATH = "/index.php/apps/oauth2/api/v1/token"


@pytest.fixture
def org(sandbox):
    return sandbox.org("a")


@pytest.fixture
def client(org):
    return org.register_client("Lerend Netwerk", redirect_uri=CALLBACK)


def token_call(org, **data):
    return requests.post(org.base_url + TOKEN_PATH, data=data, timeout=5)


def hidden_flow(html):
    return re.search(r'name="flow" value="([^"]+)"', html).group(1)


def browser_flow(org, client_id, state="st@te 1", password="anna", **extra):
    """Walk the authorize → login → grant pages like a browser; returns the final redirect response."""
    session = requests.Session()
    params = {"response_type": "code", "client_id": client_id, "state": state, **extra}
    login_page = session.get(org.base_url + "/index.php/apps/oauth2/authorize", params=params, timeout=5)
    assert login_page.status_code == 200
    action = re.search(r'<form method="post" action="([^"]+)"', login_page.text).group(1)
    grant_page = session.post(org.base_url + action, timeout=5,
                              data={"flow": hidden_flow(login_page.text), "user": "anna", "password": password})
    if 'name="password"' in grant_page.text:
        return grant_page
    action = re.search(r'<form method="post" action="([^"]+)"', grant_page.text).group(1)
    return session.post(org.base_url + action, data={"flow": hidden_flow(grant_page.text)},
                        allow_redirects=False, timeout=5)


def exchange(org, client, code):
    client_id, secret = client
    return token_call(org, grant_type="authorization_code", code=code, client_id=client_id, client_secret=secret)


def refresh(org, client, refresh_token):
    client_id, secret = client
    return token_call(org, grant_type="refresh_token", refresh_token=refresh_token, client_id=client_id,
                      client_secret=secret)


def whoami(org, access_token):
    return requests.get(org.base_url + "/ocs/v2.php/cloud/user", params={"format": "json"}, timeout=5,
                        headers={"Authorization": f"Bearer {access_token}", "OCS-APIRequest": "true"})


def test_browser_flow_redirects_to_the_registered_uri_with_state_and_a_code(org, client):
    final = browser_flow(org, client[0], redirect_uri="http://evil.example/steal")

    assert final.status_code == 303
    location = final.headers["Location"]
    assert location.startswith(CALLBACK + "?state=")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["st@te 1"]
    assert re.fullmatch(r"[A-Za-z0-9]{128}", query["code"][0])


def test_code_exchange_returns_exactly_the_five_fields_and_a_working_token(org, client):
    code = parse_qs(urlsplit(browser_flow(org, client[0]).headers["Location"]).query)["code"][0]

    response = exchange(org, client, code)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "user_id"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["user_id"] == "anna"
    assert re.fullmatch(r"[A-Za-z0-9]{72}", body["access_token"])
    assert re.fullmatch(r"[A-Za-z0-9]{128}", body["refresh_token"])
    assert whoami(org, body["access_token"]).json()["ocs"]["data"]["id"] == "anna"


def test_pages_carry_the_form_fields_and_buttons_a_browser_test_clicks(org, client):
    page = requests.get(org.base_url + "/apps/oauth2/authorize", timeout=5,
                        params={"response_type": "code", "client_id": client[0], "state": "x"})

    assert 'name="user"' in page.text and 'name="password"' in page.text and ">Inloggen</button>" in page.text
    grant = requests.post(org.base_url + "/apps/oauth2/sandbox/login", timeout=5,
                          data={"flow": hidden_flow(page.text), "user": "anna", "password": "anna"})
    assert ">Toegang verlenen</button>" in grant.text


def test_login_accepts_the_email_address_and_rejects_a_wrong_password(org, client):
    wrong = browser_flow(org, client[0], password="nope")
    assert wrong.status_code == 200 and "Wrong login or password." in wrong.text

    page = requests.get(org.base_url + "/apps/oauth2/authorize", timeout=5,
                        params={"response_type": "code", "client_id": client[0]})
    grant = requests.post(org.base_url + "/apps/oauth2/sandbox/login", timeout=5,
                          data={"flow": hidden_flow(page.text), "user": "anna@zonnebloem.example",
                                "password": "anna"})
    assert "Toegang verlenen" in grant.text


def test_state_left_out_comes_back_empty(org, client):
    page = requests.get(org.base_url + "/apps/oauth2/authorize", timeout=5,
                        params={"response_type": "code", "client_id": client[0]})
    flow = hidden_flow(page.text)
    requests.post(org.base_url + "/apps/oauth2/sandbox/login", data={"flow": flow, "user": "anna", "password": "anna"},
                  timeout=5)
    final = requests.post(org.base_url + "/apps/oauth2/sandbox/grant", data={"flow": flow}, allow_redirects=False,
                          timeout=5)
    assert final.headers["Location"].startswith(CALLBACK + "?state=&code=")


def test_grant_without_login_is_refused(org, client):
    page = requests.get(org.base_url + "/apps/oauth2/authorize", timeout=5,
                        params={"response_type": "code", "client_id": client[0]})
    final = requests.post(org.base_url + "/apps/oauth2/sandbox/grant", data={"flow": hidden_flow(page.text)},
                          allow_redirects=False, timeout=5)
    assert final.status_code == 400


def test_unknown_client_gets_a_200_page_and_no_redirect(org):
    response = requests.get(org.base_url + "/index.php/apps/oauth2/authorize", allow_redirects=False, timeout=5,
                            params={"response_type": "code", "client_id": "nope", "state": "s"})
    assert response.status_code == 200
    assert "Your client is not authorized to connect" in response.text


def test_other_response_type_redirects_with_unsupported_response_type_and_the_state(org, client):
    response = requests.get(org.base_url + "/index.php/apps/oauth2/authorize", allow_redirects=False, timeout=5,
                            params={"response_type": "token", "client_id": client[0], "state": "abc"})
    assert response.status_code == 303
    assert response.headers["Location"] == CALLBACK + "?error=unsupported_response_type&state=abc"


def test_code_is_single_use(org, client):
    code = parse_qs(urlsplit(browser_flow(org, client[0]).headers["Location"]).query)["code"][0]
    assert exchange(org, client, code).status_code == 200

    again = exchange(org, client, code)
    assert again.status_code == 400 and again.json() == {"error": "invalid_request"}


def test_code_older_than_ten_minutes_is_invalid_request(org, client):
    code = org.state.create_code("anna", client[0])
    real_clock = org.state.clock
    org.state.clock = lambda: real_clock() + 601

    response = exchange(org, client, code)
    assert response.status_code == 400 and response.json() == {"error": "invalid_request"}


def test_refresh_rotates_both_tokens_and_the_old_ones_die(org, client):
    first = org.issue_token("anna", client[0])

    second = refresh(org, client, first["refresh_token"])
    assert second.status_code == 200
    new = second.json()
    assert new["access_token"] != first["access_token"] and new["refresh_token"] != first["refresh_token"]

    reused = refresh(org, client, first["refresh_token"])
    assert reused.status_code == 400 and reused.json() == {"error": "invalid_request"}
    assert whoami(org, first["access_token"]).status_code == 401
    assert whoami(org, new["access_token"]).status_code == 200


def test_refresh_token_sent_as_a_code_is_invalid_request(org, client):
    token = org.issue_token("anna", client[0])
    response = exchange(org, client, token["refresh_token"])
    assert response.status_code == 400 and response.json() == {"error": "invalid_request"}


def test_unknown_grant_type_is_invalid_grant(org, client):
    response = token_call(org, grant_type="password", client_id=client[0], client_secret=client[1])
    assert response.status_code == 400 and response.json() == {"error": "invalid_grant"}


def test_wrong_secret_is_invalid_client_on_both_grant_types(org, client):
    token = org.issue_token("anna", client[0])
    code = org.state.create_code("anna", client[0])
    wrong = (client[0], "x" * 64)

    assert exchange(org, wrong, code).json() == {"error": "invalid_client"}
    assert refresh(org, wrong, token["refresh_token"]).json() == {"error": "invalid_client"}


def test_basic_auth_wins_over_the_body(org, client):
    token = org.issue_token("anna", client[0])
    body = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}

    bad_basic = requests.post(org.base_url + TOKEN_PATH, auth=(client[0], "wrong"), timeout=5,
                              data={**body, "client_id": client[0], "client_secret": client[1]})
    assert bad_basic.json() == {"error": "invalid_client"}
    good_basic = requests.post(org.base_url + TOKEN_PATH, auth=client, timeout=5,
                               data={**body, "client_id": client[0], "client_secret": "wrong"})
    assert good_basic.status_code == 200


def test_json_body_and_the_pretty_url_work(org, client):
    token = org.issue_token("anna", client[0])
    response = requests.post(org.base_url + "/apps/oauth2/api/v1/token", timeout=5,
                             json={"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
                                   "client_id": client[0], "client_secret": client[1]})
    assert response.status_code == 200


def test_revoked_grant_kills_access_and_refresh(org, client):
    token = org.issue_token("anna", client[0])
    org.revoke_grants("anna")

    assert whoami(org, token["access_token"]).status_code == 401
    assert refresh(org, client, token["refresh_token"]).json() == {"error": "invalid_request"}


def test_expired_access_token_is_401_until_refreshed(org, client):
    token = org.issue_token("anna", client[0])
    org.expire_access_tokens()

    assert whoami(org, token["access_token"]).status_code == 401
    fresh = refresh(org, client, token["refresh_token"]).json()
    assert whoami(org, fresh["access_token"]).status_code == 200


def test_token_lifetime_comes_from_the_fault_switch(org, client):
    org.faults.token_lifetime = 60
    token = org.issue_token("anna", client[0])
    assert token["expires_in"] == 60
    real_clock = org.state.clock
    org.state.clock = lambda: real_clock() + 61
    assert whoami(org, token["access_token"]).status_code == 401


def test_failures_are_throttled_per_ip_and_blocked_after_ten(org, client):
    token = org.issue_token("anna", client[0])
    first = token_call(org, grant_type="refresh_token", refresh_token="bogus", client_id=client[0],
                       client_secret=client[1])
    assert "X-Nextcloud-Bruteforce-Throttled" not in first.headers

    second = token_call(org, grant_type="refresh_token", refresh_token="bogus", client_id=client[0],
                        client_secret=client[1])
    assert second.headers["X-Nextcloud-Bruteforce-Throttled"] == "200ms"

    for _ in range(9):
        token_call(org, grant_type="refresh_token", refresh_token="bogus", client_id=client[0],
                   client_secret=client[1])
    # Eleven failures in 30 minutes: even a valid refresh from this IP is refused now.
    blocked = refresh(org, client, token["refresh_token"])
    assert blocked.status_code == 429


def test_every_token_endpoint_call_is_counted(org, client):
    token = org.issue_token("anna", client[0])
    assert org.token_endpoint_calls == 0
    refresh(org, client, token["refresh_token"])
    token_call(org, grant_type="nope")
    assert org.token_endpoint_calls == 2
