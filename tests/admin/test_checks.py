"""`lerend-netwerk check` and /readyz: one line per check, a clear line for each way a Nextcloud can fail."""
import json
import re
import socket
from email.utils import formatdate

import pytest

from extension.admin.checks import FAIL, OK, SKIP, StatusProbe, clock_result
from extension.organisations import service
from extension.organisations.service import OrganisationInput


NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def check(runner, *args):
    result = runner.invoke(args=["--lang", "en", "check", *args])  # the English texts are the msgids
    return result.exit_code, result.output


def lines_for(output: str, slug: str) -> dict[str, str]:
    """{check name: whole line} of one organisation (lines are STATUS  SCOPE  NAME  MESSAGE)."""
    found = {}
    for line in output.splitlines():
        match = re.match(rf"^\S+\s+{re.escape(slug)}\s+(\S+(?: \S+)?)\s{{2,}}", line)
        if match:
            found[match.group(1)] = line
    return found


def test_check_passes_for_healthy_connected_organisations(runner, connected):
    code, output = check(runner)
    assert code == 0, output
    for slug in connected.values():
        lines = lines_for(output, slug)
        for name in ("reachable", "version", "maintenance", "connection", "app dav", "app files_sharing",
                     "app federatedfilesharing", "clock"):
            assert lines[name].startswith("ok "), (name, output)
    assert "FAIL" not in output and output.rstrip().endswith("All checks passed.")


def test_check_reports_the_app_dependencies(runner, connected):
    code, output = check(runner, connected["a"])
    assert code == 0, output
    lines = lines_for(output, "app")
    for name in ("database", "schema", "job_queue"):
        assert lines[name].startswith("ok "), output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_nextcloud_fails_with_the_reason(app, runner):
    with app.app_context():
        slug = service.add_organisation(OrganisationInput(
            name="Onbereikbaar", nextcloud_url=f"http://127.0.0.1:{free_port()}", client_id="i", client_secret="s")).slug
    code, output = check(runner, slug)
    assert code == 1
    line = lines_for(output, slug)["reachable"]
    assert line.startswith("FAIL") and "connection refused" in line and "→ fix:" in line
    assert lines_for(output, slug)["connection"].startswith("skip")


def test_maintenance_mode_fails_and_skips_what_needs_nextcloud(runner, sandbox, connected):
    sandbox.org("a").faults.maintenance = True
    code, output = check(runner, connected["a"])
    lines = lines_for(output, connected["a"])
    assert code == 1
    assert lines["maintenance"].startswith("FAIL") and "Nextcloud is in maintenance mode" in lines["maintenance"]
    assert lines["connection"].startswith("skip")


def test_a_missing_required_app_fails_naming_it(runner, sandbox, connected):
    sandbox.org("a").state.enabled_apps.discard("dav")
    code, output = check(runner, connected["a"])
    assert code == 1
    line = lines_for(output, connected["a"])["app dav"]
    assert line.startswith("FAIL") and "occ app:enable dav" in line


def test_federation_switched_off_is_a_warning_not_a_failure(runner, sandbox, connected):
    sandbox.org("b").state.federation_outgoing = False
    code, output = check(runner, connected["b"])
    assert code == 0, output
    line = lines_for(output, connected["b"])["app federatedfilesharing"]
    assert line.startswith("WARN") and "files_sharing.federation.outgoing" in line


@pytest.mark.parametrize("version, fix", [((27, 0, 2), "upgrade Nextcloud to 28–32"),
                                          ((33, 0, 0), "install a release of this app that supports Nextcloud 33")])
def test_an_unsupported_version_fails_with_the_supported_range(runner, sandbox, connected, version, fix):
    sandbox.org("a").state.version = version
    code, output = check(runner, connected["a"])
    assert code == 1
    line = lines_for(output, connected["a"])["version"]
    assert line.startswith("FAIL") and f"Nextcloud {'.'.join(map(str, version))} is not supported" in line
    assert fix in line


def test_a_revoked_organisation_connection_fails_and_says_how_to_reconnect(runner, sandbox, connected):
    sandbox.org("a").revoke_grants("lerend-netwerk")
    code, output = check(runner, connected["a"])
    assert code == 1
    line = lines_for(output, connected["a"])["connection"]
    assert line.startswith("FAIL") and "refused the organisation connection" in line
    assert "Connect as lerend-netwerk" in line
    assert lines_for(output, connected["a"])["apps"].startswith("skip")


def test_an_organisation_without_connection_fails(app, runner, sandbox):
    from tests.extension.connected import connect_account
    connect_account(app, sandbox, "a", "anna")  # a person's account is not the organisation connection
    code, output = check(runner)
    assert code == 1
    assert "no organisation connection yet" in output


def test_an_expired_token_is_refreshed_by_the_check(runner, sandbox, connected):
    sandbox.org("a").expire_access_tokens()
    calls = sandbox.org("a").token_endpoint_calls
    code, output = check(runner, connected["a"])
    assert code == 0, output
    assert sandbox.org("a").token_endpoint_calls == calls + 1


def test_an_unknown_organisation_is_a_usage_error(runner, connected):
    code, output = check(runner, "bestaat-niet")
    assert code == 2 and "unknown organisation 'bestaat-niet'" in output


def test_json_output_has_the_same_results(runner, sandbox, connected):
    sandbox.org("a").faults.maintenance = True
    result = runner.invoke(args=["--lang", "en", "check", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    a, b = report["organisations"][connected["a"]], report["organisations"][connected["b"]]
    assert a["ok"] is False and b["ok"] is True
    assert {"name": "maintenance", "status": "fail", "message": "Nextcloud is in maintenance mode",
            "hint": "wait until the maintenance ends (`occ maintenance:mode --off` ends it)"} in a["checks"]


def test_check_speaks_dutch_by_default_and_english_with_lang_en(runner, sandbox, connected):
    sandbox.org("a").faults.maintenance = True
    dutch = runner.invoke(args=["check", connected["a"]], env=NO_LOCALE).output
    english = runner.invoke(args=["--lang", "en", "check", connected["a"]], env=NO_LOCALE).output
    assert lines_for(dutch, connected["a"])["maintenance"].endswith(
        "Nextcloud staat in onderhoudsmodus  → oplossing: wacht tot het onderhoud klaar is "
        "(`occ maintenance:mode --off` beëindigt het)")
    assert lines_for(dutch, connected["a"])["connection"].endswith(
        "niet gecontroleerd: Nextcloud staat in onderhoudsmodus")
    assert lines_for(dutch, "app")["database"].endswith("reageert")
    assert lines_for(english, connected["a"])["maintenance"].endswith(
        "Nextcloud is in maintenance mode  → fix: wait until the maintenance ends "
        "(`occ maintenance:mode --off` ends it)")
    assert lines_for(english, "app")["database"].endswith("answers")
    json_dutch = json.loads(runner.invoke(args=["check", "--json", connected["a"]], env=NO_LOCALE).output)
    assert {"name": "maintenance", "status": "fail", "message": "Nextcloud staat in onderhoudsmodus",
            "hint": "wacht tot het onderhoud klaar is (`occ maintenance:mode --off` beëindigt het)"} in \
        json_dutch["organisations"][connected["a"]]["checks"]


def test_a_result_reads_in_the_language_of_the_person_who_looks_at_it(app):
    result = clock_result("a", probe(125), max_skew=60)
    with app.test_request_context("/admin/health?lang=en"):
        assert str(result.message) == "Nextcloud's clock is 125 s ahead of this server's (at most 60 s accepted)"
    with app.test_request_context("/admin/health"):
        assert str(result.message) == ("de klok van Nextcloud loopt 125 s voor op die van deze server "
                                       "(hooguit 60 s toegestaan)")
        assert "NTP" in str(result.hint) and "laat beide servers" in str(result.hint)


def probe(date_offset: float, round_trip: float = 0.2) -> StatusProbe:
    sent = 1_800_000_000.0
    return StatusProbe({}, formatdate(sent + round_trip / 2 + date_offset, usegmt=True), sent, sent + round_trip)


def test_clock_skew_within_the_limit_passes():
    assert clock_result("a", probe(30), max_skew=60).status == OK


@pytest.mark.parametrize("offset, word", [(125, "ahead of"), (-125, "behind")])
def test_clock_skew_beyond_the_limit_fails(offset, word):
    result = clock_result("a", probe(offset), max_skew=60)
    assert result.status == FAIL and result.message.values["seconds"] == str(abs(offset))
    assert f"s {word} this server's" in result.message.message and "NTP" in result.hint.message


def test_a_missing_date_header_skips_the_clock_check():
    assert clock_result("a", StatusProbe({}, None, 0, 1), max_skew=60).status == SKIP


TOKEN = "monitoring-geheim"


def readyz(app, path="/readyz", token=TOKEN):
    """/readyz as monitoring with the READYZ_TOKEN sees it."""
    app.config["READYZ_TOKEN"] = TOKEN
    return app.test_client().get(path, headers={"Authorization": f"Bearer {token}"} if token else {})


def check_in_background(app) -> list[str]:
    """One tick of a worker's scheduler: runs what is due (the organisation checks, the first time)."""
    with app.app_context():
        return app.extensions["ln_jobs"].run_due()


def test_readyz_reports_each_dependency_and_each_organisation(app, connected):
    assert "check_organisations" in check_in_background(app)
    body = readyz(app).get_json()
    assert body["status"] == "ok", body
    assert {name for name, c in body["checks"].items() if c["ok"]} >= {"database", "schema", "job_queue"}
    assert set(body["organisations"]) == set(connected.values())
    assert all(o["ok"] and o["checked_at"] for o in body["organisations"].values())


def test_a_failing_nextcloud_degrades_readyz_without_taking_the_app_out_of_service(app, sandbox, connected):
    sandbox.org("b").faults.maintenance = True
    check_in_background(app)
    response = readyz(app)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["organisations"][connected["b"]]["ok"] is False
    assert body["organisations"][connected["a"]]["ok"] is True


def test_readyz_never_waits_for_a_nextcloud_even_a_slow_one(app, sandbox, connected):
    check_in_background(app)
    for key in ("a", "b"):
        sandbox.org(key).faults.latency = 4.0
        sandbox.org(key).clear_log()

    body = readyz(app).get_json()

    assert sandbox.org("a").request_log == [] and sandbox.org("b").request_log == []
    assert all(o["ok"] for o in body["organisations"].values())
    assert "organisations" not in readyz(app, "/readyz?organisations=false").get_json()


def test_the_background_checks_run_once_per_interval_for_all_workers(app, connected):
    assert "check_organisations" in check_in_background(app)
    assert "check_organisations" not in check_in_background(app)


def test_anonymous_readyz_shows_the_overall_status_only(app, sandbox, connected):
    check_in_background(app)
    for token in (None, "geraden"):
        response = readyz(app, token=token)
        assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert sandbox.org("a").base_url not in readyz(app, token=None).get_data(as_text=True)


def test_an_admin_session_sees_the_details_of_readyz(app, connected):
    from extension.accounts.models import Account
    from extension.extensions import db

    from tests.access.helpers import signed_in_client

    check_in_background(app)
    with app.app_context():
        admin = db.session.scalar(db.select(Account.id).where(Account.user_id == "lerend-netwerk"))
        person = db.session.scalar(db.select(Account.id).where(Account.user_id != "lerend-netwerk"))
    client = signed_in_client(app, admin)
    assert set(client.get("/readyz").get_json()["organisations"]) == set(connected.values())
    if person is not None:
        assert signed_in_client(app, person).get("/readyz").get_json() == {"status": "ok"}


def _age(app, table: str, column: str, seconds: float) -> None:
    """Move every row's `column` of `table` that many seconds into the past (a worker that stopped then)."""
    from datetime import timedelta

    from extension.extensions import db
    from extension.organisations.models import utcnow

    with app.app_context():
        db.session.execute(db.text(f"UPDATE {table} SET {column} = :moment"),
                           {"moment": utcnow() - timedelta(seconds=seconds)})
        db.session.commit()


def _three_check_intervals(app) -> float:
    return 3 * float(app.config["READYZ_CACHE_SECONDS"]) + 60


def test_background_results_older_than_three_intervals_are_stale_in_readyz_not_healthy(app, connected):
    check_in_background(app)
    _age(app, "organisation_checks", "checked_at", _three_check_intervals(app))

    response = readyz(app)

    assert response.status_code == 200  # the pages still work from the database
    body = response.get_json()
    assert body["status"] == "failing"
    for report in body["organisations"].values():
        assert report["stale"] is True and report["ok"] is None and report["checked_at"]
    assert body["checks"]["organisation_checks"]["ok"] is False
    assert "achtergrondcontroles van de organisaties zijn verouderd" in body["checks"]["organisation_checks"]["error"]
    assert readyz(app, token=None).get_json() == {"status": "failing"}


def test_check_fails_when_the_background_results_are_stale(runner, app, connected):
    check_in_background(app)
    _age(app, "organisation_checks", "checked_at", _three_check_intervals(app))

    code, output = check(runner)

    assert code == 1, output
    line = next(line for line in output.splitlines() if "organisation_checks" in line)
    assert line.startswith("FAIL") and "background checks are stale" in line and "lerend-netwerk worker" in line


def test_organisations_never_checked_in_the_background_for_three_intervals_fail_check_and_readyz(runner, app,
                                                                                               connected):
    _age(app, "organisations", "created_at", _three_check_intervals(app))  # no worker ever ran

    code, output = check(runner)
    body = readyz(app).get_json()

    assert code == 1 and next(l for l in output.splitlines() if "organisation_checks" in l).startswith("FAIL")
    assert body["status"] == "failing" and body["checks"]["organisation_checks"]["ok"] is False


def test_fresh_background_results_keep_readyz_ok(app, connected):
    check_in_background(app)
    _age(app, "organisation_checks", "checked_at", float(app.config["READYZ_CACHE_SECONDS"]))

    body = readyz(app).get_json()

    assert body["status"] == "ok" and body["checks"]["organisation_checks"]["ok"] is True
    assert all(report["ok"] and "stale" not in report for report in body["organisations"].values())
