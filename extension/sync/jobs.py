"""The background jobs of launching and syncing networks, the periodic sync, and the sync's readiness checks.

A sync cycle (periodic, queued or run from the CLI) holds the lock `sync-cycle` (extension.locks), a lease
that dies with its holder, so a cycle that takes longer than the interval is not started twice, even by two
workers on two hosts, and a killed cycle blocks nothing for longer than the lease. A launch or catch-up
found its network busy (another run holds the network's lock) waits and runs later (extension.jobs).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import func, select

from extension.config import ConfigError
from extension.extensions import db
from extension.i18n import Text
from extension.health import readiness
from extension import engine
from extension.jobs import JobIncomplete
from extension.jobs.schedule import last_completed
from extension.networks import members
from extension.networks.models import Network, as_utc
from extension.organisations.models import utcnow
from extension.sync import service
from extension.sync.models import STATE_OK, SyncCollection

log = logging.getLogger(__name__)

SYNC_LOCK = "sync-cycle"
# The schedule row of the periodic sync; `service.sync_all` records each completed cycle on it.
SYNC_SCHEDULE = service.SYNC_SCHEDULE
# A cycle not completed for this many intervals makes `check` and /readyz fail.
STALE_INTERVALS = 3


def sync_interval(app: Flask) -> float:
    """Seconds between sync cycles: SYNC_INTERVAL_MINUTES, or SYNC_INTERVAL_SECONDS where tests set it."""
    return float(app.config.get("SYNC_INTERVAL_SECONDS") or app.config["SYNC_INTERVAL_MINUTES"] * 60)


def lock_seconds(app: Flask) -> float:
    return float(app.config["JOBS_LEASE_SECONDS"])


def init_app(app: Flask) -> None:
    """Register the jobs on the app's queue (the web app, the CLI and the worker all build the same list)."""
    minutes = app.config["SYNC_INTERVAL_MINUTES"]
    if not 1 <= minutes <= 60:
        raise ConfigError(Text("setting %(name)s: %(value)s must be between 1 and 60 (see appinfo.yml)",
                               name="SYNC_INTERVAL_MINUTES", value=minutes))
    queue = app.extensions["ln_jobs"]
    # A launch is idempotent and resumes where it stopped, so a failed one may simply run again.
    queue.register("launch_network", launch_network, retries=2, retry_delay=60)
    queue.register("sync_network", sync_network)
    # Like a launch, a catch-up resumes where it stopped, so it may run again after a failure.
    queue.register("catch_up_organisation", catch_up_organisation, retries=2, retry_delay=60)
    queue.register_periodic(SYNC_SCHEDULE, sync_all, seconds=sync_interval(app))
    readiness.register(app, "sync_cycle", check_sync_cycle, critical=False, fails=True,
                       hint="start `lerend-netwerk worker` (or see its log: why does the sync cycle not finish?)")
    readiness.register(app, "sync", check_sync, critical=False,
                       hint="`lerend-netwerk network status SLUG` shows which task list or calendar and why")


class LaunchIncomplete(JobIncomplete):
    """Some steps of a queued launch failed; raised so that the queue runs the (resuming) launch again."""


def launch_network(slug: str) -> None:
    result = engine.run(current_app._get_current_object(), "launch", slug)
    if not result.ok:
        raise LaunchIncomplete(f"launch of {slug}: {len(result.failed)} steps failed, {result.not_run} not run; "
                               + "; ".join(f"{key}: {error}" for key, error in result.failed))
    log.info("launch job of %s complete", slug)


def catch_up_organisation(organisation_id: int) -> None:
    """An organisation just connected: its tasks of every started phase and its shares land in its Nextcloud."""
    app = current_app._get_current_object()
    results = {slug: engine.run(app, "catch-up", slug) for slug in members.involved_networks(organisation_id)}
    failed = {slug: result for slug, result in results.items() if result is not None and not result.ok}
    if failed:
        raise LaunchIncomplete("catch-up failed for " + ", ".join(sorted(failed)))


def sync_all() -> None:
    _locked(lambda app: service.sync_all(app))


def sync_network(slug: str) -> None:
    _locked(lambda app: service.sync_network(app, slug))


def _locked(run) -> None:
    from extension.locks import LockBusy, hold

    app = current_app._get_current_object()
    try:
        with hold(SYNC_LOCK, ttl=lock_seconds(app), wait=0):
            run(app)
    except LockBusy as exc:
        if exc.name != SYNC_LOCK:
            raise
        log.info("a sync cycle is running already (%s); this one is skipped", exc.owner)


class CollectionsFailing(readiness.CheckFailed):
    """Some task lists or calendars could not be synced in their last cycle (missing or failing)."""


class SyncStalled(readiness.CheckFailed):
    """No sync cycle completed for several intervals: the worker is down or its cycles do not finish."""


def check_sync_cycle(app: Flask) -> dict:
    """Fails when launched networks exist and no sync cycle completed for STALE_INTERVALS intervals."""
    interval = sync_interval(app)
    last = last_completed(SYNC_SCHEDULE)
    since = last or as_utc(db.session.scalar(select(func.min(Network.launched_at))
                                             .where(Network.status.in_(service.SYNCED_STATUSES))))
    if since is None:
        return {"last_cycle": "never", "networks": 0}
    if utcnow() - since > timedelta(seconds=STALE_INTERVALS * interval):
        raise SyncStalled("no sync cycle completed since %(since)s (%(count)s intervals of %(seconds)s s)",
                          since=since.isoformat(timespec="seconds"), count=STALE_INTERVALS, seconds=f"{interval:g}")
    return {"last_cycle": last.isoformat(timespec="seconds") if last else "never"}


def check_sync(app: Flask) -> dict:
    """Non-critical: fails while a collection is missing or its last sync failed."""
    total, failing, last = db.session.execute(select(
        func.count(SyncCollection.id),
        func.count(SyncCollection.id).filter(SyncCollection.state != STATE_OK),
        func.max(SyncCollection.last_synced_at))).one()
    if failing:
        raise CollectionsFailing("%(failing)s of %(total)s collections", failing=failing, total=total)
    return {"collections": total, "last_synced": last.isoformat() if last else "never"}
