"""The health checks an admin runs with `lerend-netwerk check` and reads at /readyz: the app's own
dependencies, then per organisation its Nextcloud (reachable, supported version, not in maintenance,
organisation connection working, required apps present, clocks agreeing).

Each check gives one result with a status, a message and, when something is wrong, a fix hint. The
Nextcloud facts behind them: status.php (Nextcloud: status.php) and maintenance (quirk `maintenance_503`),
capabilities (core/Controller/OCSController.php, apps/files_sharing/lib/Capabilities.php), tokens and their
refresh (quirk `single_use_refresh_token`).
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from flask import Flask, current_app

from connectors.errors import NextcloudError, ReconnectNeeded
from connectors.http import is_timeout, make_session
from extension import appinfo
from extension.extensions import db
from extension.health import readiness
from extension.i18n import Text
from extension.security import app_is_https

log = logging.getLogger(__name__)

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
APP_SCOPE = "app"
MAX_PARALLEL = 8
NEEDS = {"required": Text("required"),
         "cross-organisation": Text("needed for networks across organisations"),
         "recommended": Text("recommended")}


@dataclass(frozen=True)
class CheckResult:
    scope: str  # APP_SCOPE or an organisation's slug
    name: str
    status: str
    # Text (or an already translated str): shown in the language of whoever reads it.
    message: Text | str
    hint: Text | str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The machine keys as they are; message and hint in the current language."""
        data = {"name": self.name, "status": self.status, "message": str(self.message)}
        if self.hint is not None:
            data["hint"] = str(self.hint)
        return data


@dataclass(frozen=True)
class Report:
    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.status != FAIL for r in self.results)

    @property
    def failures(self) -> int:
        return sum(r.status == FAIL for r in self.results)

    def organisations(self) -> dict[str, dict[str, Any]]:
        """Per organisation: {"ok": …, "checks": [...]}, the shape /readyz shows."""
        grouped: dict[str, list[CheckResult]] = {}
        for result in self.results:
            if result.scope != APP_SCOPE:
                grouped.setdefault(result.scope, []).append(result)
        return {scope: {"ok": all(r.status != FAIL for r in results), "checks": [r.as_dict() for r in results]}
                for scope, results in grouped.items()}

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok,
                "app": [r.as_dict() for r in self.results if r.scope == APP_SCOPE],
                "organisations": self.organisations()}


def run(app: Flask, slugs: list[str] | None = None) -> Report:
    """The app's checks and those of the given organisations (all when `slugs` is None)."""
    from extension.organisations.models import Organisation

    with app.app_context():
        results = app_checks(app)
        query = db.select(Organisation.id).order_by(Organisation.name)
        if slugs is not None:
            query = query.where(Organisation.slug.in_(slugs))
        ids = list(db.session.scalars(query))
    return Report(tuple(results) + tuple(check_organisations(app, ids)))


def check_organisations(app: Flask, organisation_ids: list[int]) -> list[CheckResult]:
    """Checks of several organisations side by side: each waits on its own Nextcloud."""
    if not organisation_ids:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(organisation_ids))) as pool:
        per_organisation = list(pool.map(lambda oid: organisation_checks(app, oid), organisation_ids))
    return [result for results in per_organisation for result in results]


def app_checks(app: Flask) -> list[CheckResult]:
    results = []
    for name, outcome in readiness.run_checks(app).items():
        if outcome["ok"]:
            details = ", ".join(f"{k} {v}" for k, v in outcome.items() if k != "ok")
            results.append(CheckResult(APP_SCOPE, name, OK, details or Text("answers")))
        else:
            results.append(CheckResult(APP_SCOPE, name, FAIL if outcome["critical"] or outcome.get("fails") else WARN,
                                       outcome["error"], outcome.get("hint")))
    if app.config["EMBED_IN_NEXTCLOUD"] and not app_is_https(app):
        results.append(CheckResult(
            APP_SCOPE, "embedding", WARN,
            Text("APP_URL %(url)s is not https: inside Nextcloud (External sites) browsers drop the session "
                 "cookie", url=app.config["APP_URL"]),
            Text("serve the app over https and set APP_URL to that address, or set EMBED_IN_NEXTCLOUD=false")))
    return results


# per organisation -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StatusProbe:
    """The answer of /status.php and the local clock around the request."""

    data: dict
    date_header: str | None
    sent_at: float
    received_at: float


def organisation_checks(app: Flask, organisation_id: int) -> list[CheckResult]:
    """The checks of one organisation; an unexpected error becomes a failed result, not a lost report."""
    from extension.organisations.models import Organisation

    with app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        try:
            return _organisation_checks(app, organisation)
        except Exception as exc:  # one organisation's surprise must not hide the others' results
            log.exception("Checking %s failed", organisation.slug)
            return [CheckResult(organisation.slug, "checks", FAIL,
                                Text("the checks themselves failed (%(error)s)", error=type(exc).__name__),
                                Text("see the app's log"))]


def _organisation_checks(app: Flask, organisation) -> list[CheckResult]:
    scope = organisation.slug
    if not organisation.has_nextcloud:
        return [CheckResult(scope, "nextcloud", OK, Text("no Nextcloud: its members take part by e-mail"))]
    info = appinfo.load()
    probe, problem = probe_status(organisation.nextcloud_url, tuple(app.config["HTTP_TIMEOUT"]))
    if probe is None:
        return [CheckResult(scope, "reachable", FAIL, problem,
                            Text("check the URL (`lerend-netwerk org list`), DNS, firewall and TLS certificate "
                                 "between this server and Nextcloud")),
                *_skipped(scope, ("version", "maintenance", "connection", "apps", "clock"), Text("not reachable"))]
    results = [CheckResult(scope, "reachable", OK, Text("%(url)s answers", url=organisation.nextcloud_url)),
               version_result(scope, probe.data, info), maintenance_result(scope, probe.data)]
    if results[-1].status == FAIL:
        results += _skipped(scope, ("connection", "apps"), Text("Nextcloud is in maintenance"))
    else:
        connection, client = connection_result(app, organisation)
        results.append(connection)
        if client is None:
            results += _skipped(scope, ("apps",), Text("needs a working organisation connection"))
        else:
            results += app_results(scope, client, info)
    results.append(clock_result(scope, probe, app.config["CHECK_MAX_CLOCK_SKEW"]))
    return results


def _skipped(scope: str, names, reason: Text) -> list[CheckResult]:
    return [CheckResult(scope, name, SKIP, Text("not checked: %(reason)s", reason=reason)) for name in names]


def probe_status(base_url: str, timeout) -> tuple[StatusProbe | None, Text | str]:
    """GET /status.php without auth and without retries: (probe, "") or (None, what went wrong)."""
    url = base_url.rstrip("/") + "/status.php"
    session = make_session(timeout=timeout, retries=0)
    sent_at = time.time()
    try:
        response = session.get(url)
    except requests.RequestException as exc:
        return None, Text("%(url)s: %(reason)s", url=url, reason=transport_reason(exc))
    finally:
        session.close()
    received_at = time.time()
    if response.status_code != 200:
        return None, Text("%(url)s answered HTTP %(code)s: is this the Nextcloud base URL?", url=url,
                          code=response.status_code)
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict) or "installed" not in data:
        return None, Text("%(url)s is not Nextcloud's status page: is this the Nextcloud base URL?", url=url)
    if not data.get("installed"):
        return None, Text("%(url)s is a Nextcloud that is not installed yet", url=base_url)
    return StatusProbe(data, response.headers.get("Date"), sent_at, received_at), ""


def transport_reason(exc: Exception) -> Text:
    """A short reason for a failed connection, read from the exception chain of requests/urllib3."""
    if isinstance(exc, requests.exceptions.SSLError):
        return Text("TLS failed (certificate not trusted or not valid for this host?)")
    # Looked for before timeouts: urllib3's NewConnectionError is a subclass of its ConnectTimeoutError.
    text = repr(exc)
    for needle, reason in (("Connection refused", "connection refused"),
                           ("NameResolutionError", "the host name does not resolve"),
                           ("Name or service not known", "the host name does not resolve"),
                           ("No route to host", "no route to host"),
                           ("Network is unreachable", "network unreachable")):
        if needle in text:
            return Text(reason)
    if is_timeout(exc):
        return Text("timed out")
    return Text("cannot connect (%(error)s)", error=type(exc).__name__)


def version_result(scope: str, status: dict, info: appinfo.AppInfo) -> CheckResult:
    version = str(status.get("versionstring") or status.get("version") or "")
    try:
        major = int(str(status.get("version") or version).split(".")[0])
    except ValueError:
        return CheckResult(scope, "version", FAIL,
                           Text("status.php reports no readable version (%(version)s)", version=repr(version)),
                           Text("check that the URL points at Nextcloud"))
    if not info.supports(major):
        hint = (Text("upgrade Nextcloud to %(range)s", range=info.supported_range) if major < info.min_version
                else Text("install a release of this app that supports Nextcloud %(major)s", major=major))
        return CheckResult(scope, "version", FAIL,
                           Text("Nextcloud %(version)s is not supported (this release supports %(range)s)",
                                version=version, range=info.supported_range),
                           hint)
    return CheckResult(scope, "version", OK, Text("Nextcloud %(version)s (supported: %(range)s)", version=version,
                                                  range=info.supported_range))


def maintenance_result(scope: str, status: dict) -> CheckResult:
    if status.get("maintenance"):
        return CheckResult(scope, "maintenance", FAIL, Text("Nextcloud is in maintenance mode"),
                           Text("wait until the maintenance ends (`occ maintenance:mode --off` ends it)"))
    if status.get("needsDbUpgrade"):
        return CheckResult(scope, "maintenance", FAIL, Text("Nextcloud waits for its upgrade to be finished"),
                           Text("finish the upgrade with `occ upgrade`"))
    return CheckResult(scope, "maintenance", OK, Text("not in maintenance"))


def connection_result(app: Flask, organisation):
    """(result, NextcloudClient or None): one authenticated call, refreshing the token when it is due."""
    from extension.accounts.service import nextcloud_client

    scope = organisation.slug
    hint = Text("sign in at %(url)s/organisations as %(user)s and choose 'Connect as %(user)s'",
                url=app.config["APP_URL"].rstrip("/"), user=organisation.connection_user)
    account = organisation.connection_account
    if account is None:
        return CheckResult(scope, "connection", FAIL, Text("no organisation connection yet"), hint), None
    if account.needs_reconnect:
        return CheckResult(scope, "connection", FAIL,
                           Text("Nextcloud refused the organisation connection (%(reason)s); it must be "
                                "authorised again", reason=account.status_reason), hint), None
    client = nextcloud_client(app, account)
    try:
        me = client.ocs.current_user()
    except ReconnectNeeded as exc:
        return CheckResult(scope, "connection", FAIL,
                           Text("Nextcloud refused the organisation connection's token (%(reason)s): the app "
                                "password was revoked or the OAuth client deleted", reason=exc.reason), hint), None
    except NextcloudError as exc:
        return CheckResult(scope, "connection", FAIL,
                           Text("the organisation connection's call failed: %(error)s", error=str(exc)),
                           Text("see the Nextcloud log for the request id")), None
    if me.id != organisation.connection_user:
        return CheckResult(scope, "connection", WARN,
                           Text("connected as %(user)s, while %(designated)s is designated", user=me.id,
                                designated=organisation.connection_user), hint), client
    return CheckResult(scope, "connection", OK, Text("connected as %(user)s; its token works", user=me.id)), client


def app_results(scope: str, client, info: appinfo.AppInfo) -> list[CheckResult]:
    """One result per Nextcloud app that publishes capabilities (the connection check covers oauth2)."""
    try:
        capabilities = client.ocs.capabilities().get("capabilities") or {}
    except NextcloudError as exc:
        return [CheckResult(scope, "apps", FAIL, Text("capabilities cannot be read: %(error)s", error=str(exc)))]
    results = []
    for app in info.apps:
        if not app.capabilities:
            continue
        missing = [path for path in app.capabilities if not _lookup(capabilities, path)]
        name = f"app {app.id}"
        if not missing:
            results.append(CheckResult(scope, name, OK, Text("enabled")))
            continue
        results.append(CheckResult(
            scope, name, FAIL if app.need == "required" else WARN,
            Text("not enabled or switched off (capability %(capabilities)s missing or false); %(need)s",
                 capabilities=", ".join(missing), need=NEEDS[app.need]),
            Text("`occ app:enable %(app)s` — it is used for: %(why)s", app=app.id, why=Text(app.why))))
    return results


def _lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def clock_result(scope: str, probe: StatusProbe, max_skew: float) -> CheckResult:
    """Compare Nextcloud's HTTP Date with this server's clock in the middle of the request."""
    if not probe.date_header:
        return CheckResult(scope, "clock", SKIP, Text("not checked: Nextcloud sent no Date header"))
    try:
        server_time = parsedate_to_datetime(probe.date_header).timestamp()
    except (TypeError, ValueError):
        return CheckResult(scope, "clock", SKIP, Text("not checked: unreadable Date header %(header)s",
                                                      header=repr(probe.date_header)))
    skew = server_time - (probe.sent_at + probe.received_at) / 2
    # The Date header has whole seconds, and the answer may come from anywhere within the round trip.
    tolerance = max_skew + 1 + (probe.received_at - probe.sent_at) / 2
    if abs(skew) > tolerance:
        return CheckResult(scope, "clock", FAIL,
                           Text("Nextcloud's clock is %(seconds)s s ahead of this server's (at most %(max)s s "
                                "accepted)" if skew > 0 else
                                "Nextcloud's clock is %(seconds)s s behind this server's (at most %(max)s s "
                                "accepted)", seconds=f"{abs(skew):.0f}", max=f"{max_skew:g}"),
                           Text("synchronise both servers' clocks with NTP (chrony or systemd-timesyncd)"))
    return CheckResult(scope, "clock", OK, Text("clocks agree within %(seconds)s s",
                                                seconds=f"{max(abs(skew), 1):.0f}"))


# The worker checks the organisations in the background; /readyz reads the last results --------------------

def run_and_store(app: Flask) -> Report:
    """Check every organisation and keep each one's results in the database (the periodic job
    `check_organisations`, run by the worker): /readyz shows them without asking any Nextcloud."""
    from extension.health.models import OrganisationCheck
    from extension.organisations.models import Organisation, utcnow

    slugs = dict(db.session.execute(db.select(Organisation.slug, Organisation.id)).all())
    report = Report(tuple(check_organisations(app, list(slugs.values()))))
    now = utcnow()
    for slug, outcome in report.organisations().items():
        row = db.session.get(OrganisationCheck, slugs[slug]) or OrganisationCheck(organisation_id=slugs[slug])
        row.ok, row.results, row.checked_at = outcome["ok"], outcome["checks"], now
        db.session.add(row)
    db.session.commit()
    return report


def stored_reports() -> dict[str, dict[str, Any]]:
    """Per organisation the last background results: {"ok", "checks", "checked_at"}; organisations not
    checked yet have ok None and no checks; results older than STALE_INTERVALS intervals (the worker is
    down) have ok None and "stale" true: they say nothing about now."""
    from extension.health.models import OrganisationCheck
    from extension.networks.models import as_utc
    from extension.organisations.models import Organisation

    rows = db.session.execute(db.select(Organisation.slug, OrganisationCheck)
                              .outerjoin(OrganisationCheck, OrganisationCheck.organisation_id == Organisation.id)
                              .order_by(Organisation.name)).all()
    cutoff = _stale_before(current_app)
    reports = {}
    for slug, row in rows:
        if row is None:
            reports[slug] = {"ok": None, "checks": [], "checked_at": None}
            continue
        checked_at = as_utc(row.checked_at)
        reports[slug] = {"ok": row.ok, "checks": row.results, "checked_at": checked_at.isoformat(timespec="seconds")}
        if checked_at < cutoff:
            reports[slug].update(ok=None, stale=True)
    return reports


class ResultsStale(readiness.CheckFailed):
    """The background organisation checks have not run for several intervals: the worker is down."""


# Background results older than this many check intervals (READYZ_CACHE_SECONDS) make `check` and /readyz fail.
STALE_INTERVALS = 3


def _stale_before(app: Flask):
    from datetime import timedelta

    from extension.organisations.models import utcnow

    return utcnow() - timedelta(seconds=STALE_INTERVALS * float(app.config["READYZ_CACHE_SECONDS"]))


def check_background_results(app: Flask) -> dict[str, Any]:
    """Fails when an organisation's last background check (or, never checked, its addition) is older than
    STALE_INTERVALS check intervals."""
    from extension.health.models import OrganisationCheck
    from extension.networks.models import as_utc
    from extension.organisations.models import Organisation

    since = db.func.coalesce(OrganisationCheck.checked_at, Organisation.created_at)
    count, oldest = db.session.execute(
        db.select(db.func.count(Organisation.id), db.func.min(since))
        .outerjoin(OrganisationCheck, OrganisationCheck.organisation_id == Organisation.id)).one()
    if not count:
        return {"organisations": 0}
    oldest = as_utc(oldest)
    if oldest < _stale_before(app):
        raise ResultsStale("the organisations' background checks are stale: the oldest is from %(since)s "
                           "(%(count)s intervals of %(seconds)s s)", since=oldest.isoformat(timespec="seconds"),
                           count=STALE_INTERVALS, seconds=f"{float(app.config['READYZ_CACHE_SECONDS']):g}")
    return {"oldest": oldest.isoformat(timespec="seconds")}


def init_app(app: Flask) -> None:
    """Register the background organisation checks, every READYZ_CACHE_SECONDS for all workers together, and
    the readiness check that fails when their results are stale."""
    queue = app.extensions["ln_jobs"]
    queue.register_periodic(CHECK_SCHEDULE, lambda: run_and_store(app),
                            seconds=float(app.config["READYZ_CACHE_SECONDS"]))
    readiness.register(app, "organisation_checks", check_background_results, critical=False, fails=True,
                       hint="start `lerend-netwerk worker`: it checks the organisations in the background")


CHECK_SCHEDULE = "check_organisations"
