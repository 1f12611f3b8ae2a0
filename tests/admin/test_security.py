"""Production HTTP behaviour: proxy headers only when configured, cookie flags, framing by Nextcloud, CSRF."""
import pytest

from extension.organisations import service
from extension.organisations.service import OrganisationInput
from extension.security import FrameAncestors, SecurityConfigError, content_security_policy
from tests.access.helpers import post_form
from tests.fixtures.app import make_test_app


def sqlite_app(tmp_path, **config):
    return make_test_app(f"sqlite:///{tmp_path / 'app.sqlite'}", tmp_path, **config)


def scheme_seen_by_the_app(app, headers) -> str:
    @app.get("/_scheme")
    def scheme():
        from flask import request
        return request.scheme

    return app.test_client().get("/_scheme", headers=headers).get_data(as_text=True)


def test_forwarded_headers_are_ignored_without_proxy_fix(tmp_path):
    assert scheme_seen_by_the_app(sqlite_app(tmp_path), {"X-Forwarded-Proto": "https"}) == "http"


def test_forwarded_headers_are_trusted_as_configured(tmp_path):
    app = sqlite_app(tmp_path, PROXY_FIX={"x_for": 1, "x_proto": 1, "x_host": 1})
    assert scheme_seen_by_the_app(app, {"X-Forwarded-Proto": "https"}) == "https"


@pytest.mark.parametrize("value, named", [({"x_forwarded": 1}, "unknown key 'x_forwarded'"),
                                          ({"x_for": -1}, "x_for must be a number"),
                                          ({"x_proto": True}, "x_proto must be a number")])
def test_a_bad_proxy_fix_setting_is_refused_naming_it(tmp_path, value, named):
    with pytest.raises(SecurityConfigError, match=named):
        sqlite_app(tmp_path, PROXY_FIX=value)


def session_cookie(app) -> str:
    client = app.test_client()
    response = client.get("/?lang=en")  # choosing a language stores it in the session
    return next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))


def test_over_plain_http_the_session_cookie_is_lax_and_not_secure(tmp_path):
    cookie = session_cookie(sqlite_app(tmp_path))
    assert "SameSite=Lax" in cookie and "Secure" not in cookie and "HttpOnly" in cookie


def test_over_https_embedded_in_nextcloud_the_cookie_works_in_a_cross_site_iframe(tmp_path):
    cookie = session_cookie(sqlite_app(tmp_path, APP_URL="https://netwerk.example.org"))
    assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie


def test_over_https_without_embedding_the_cookie_stays_lax_but_secure(tmp_path):
    cookie = session_cookie(sqlite_app(tmp_path, APP_URL="https://netwerk.example.org", EMBED_IN_NEXTCLOUD=False))
    assert "SameSite=Lax" in cookie and "Secure" in cookie and "Partitioned" not in cookie


def test_pages_may_be_framed_by_the_organisations_nextclouds_only(app):
    with app.app_context():
        service.add_organisation(OrganisationInput(name="De Zonnebloem", nextcloud_url="https://cloud.zonnebloem.nl/nc/",
                                                   client_id="i", client_secret="s"))
        service.add_organisation(OrganisationInput(name="Zonder Nextcloud"))
    response = app.test_client().get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://cloud.zonnebloem.nl;" in policy
    assert "X-Frame-Options" not in response.headers


def test_without_embedding_pages_may_only_be_framed_by_the_app_itself(tmp_path):
    app = sqlite_app(tmp_path, EMBED_IN_NEXTCLOUD=False)
    with app.app_context():
        service.add_organisation(OrganisationInput(name="De Zonnebloem", nextcloud_url="https://cloud.zonnebloem.nl",
                                                   client_id="i", client_secret="s"))
    assert app.test_client().get("/").headers["Content-Security-Policy"].startswith(
        "default-src 'self'; frame-ancestors 'self';")


def test_health_answers_carry_a_policy_without_asking_the_database(tmp_path):
    app = sqlite_app(tmp_path)
    (tmp_path / "app.sqlite").unlink()
    (tmp_path / "app.sqlite").mkdir()  # the database is gone; /healthz must still answer at once
    with app.app_context():
        from extension.extensions import db
        db.engine.dispose()
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == content_security_policy(())


def test_the_nextcloud_origins_are_read_again_after_the_cache_time(app):
    now = [0.0]
    ancestors = FrameAncestors(ttl=60, clock=lambda: now[0])
    with app.app_context():
        assert ancestors.origins() == ()
        service.add_organisation(OrganisationInput(name="B", nextcloud_url="https://cloud.b.nl", client_id="i",
                                                   client_secret="s"))
        now[0] = 59
        assert ancestors.origins() == ()
        now[0] = 60
        assert ancestors.origins() == ("https://cloud.b.nl",)


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"},
                                     {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
                                     {"Sec-Fetch-Site": "same-site", "Origin": "https://other.netwerk.example.org"},
                                     {"Origin": "null"}])
def test_a_form_post_from_another_site_is_refused(client, headers):
    assert client.post("/auth/logout", headers=headers).status_code == 403


@pytest.mark.parametrize("headers", [{}, {"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://localhost"},
                                     {"Origin": "http://127.0.0.1:5000"}])
def test_a_form_post_from_the_app_itself_or_a_non_browser_passes(client, headers):
    assert post_form(client, "/auth/logout", headers=headers).status_code == 302


def test_a_form_post_without_the_forms_csrf_token_is_refused_in_dutch(client):
    response = client.post("/auth/logout", headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 400
    assert "Het formulier" in response.get_data(as_text=True)


def test_pages_allow_only_the_apps_own_resources_and_keep_the_referrer_on_the_site(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self';") and "unsafe-inline" not in policy
    assert response.headers["Referrer-Policy"] == "same-origin"
