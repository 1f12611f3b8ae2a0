"""The background jobs of launching and syncing networks, the periodic sync, and the sync's readiness check.

A sync cycle (periodic or asked for) and a network's launch each hold a lock in the queue's store, so a
cycle that takes longer than the interval is not started twice, even by two workers on two hosts.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app
from huey.exceptions import TaskLockedException
from sqlalchemy import func, select

from extension.config import ConfigError
from extension.extensions import db
from extension.health import readiness
from extension.jobs import job_queue
from extension import engine
from extension.networks import members
from extension.sync import service
from extension.sync.models import STATE_OK, SyncCollection

log = logging.getLogger(__name__)

SYNC_LOCK = "sync-cycle"


def init_app(app: Flask) -> None:
    """Register the jobs on the app's queue (the web app, the CLI and the worker all build the same list)."""
    minutes = app.config["SYNC_INTERVAL_MINUTES"]
    if not 1 <= minutes <= 60:
        raise ConfigError(f"setting SYNC_INTERVAL_MINUTES: {minutes} must be between 1 and 60 (see appinfo.yml)")
    queue = app.extensions["ln_jobs"]
    # A launch is idempotent and resumes where it stopped, so a failed one may simply run again.
    queue.register("launch_network", launch_network, retries=2, retry_delay=60)
    queue.register("sync_network", sync_network)
    # Like a launch, a catch-up resumes where it stopped, so it may run again after a failure.
    queue.register("catch_up_organisation", catch_up_organisation, retries=2, retry_delay=60)
    queue.register_periodic("sync_all", sync_all, minutes)
    readiness.register(app, "sync", check_sync, critical=False,
                       hint="`lerend-netwerk network status SLUG` shows which task list or calendar and why")


class LaunchIncomplete(Exception):
    """Some steps of a queued launch failed; raised so that the queue runs the (resuming) launch again."""


def launch_network(slug: str) -> None:
    with job_queue().huey.lock_task(f"launch-{slug}"):
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
    try:
        with job_queue().huey.lock_task(SYNC_LOCK):
            run(current_app._get_current_object())
    except TaskLockedException:
        log.info("a sync cycle is running already; this one is skipped")


class CollectionsFailing(Exception):
    """Some task lists or calendars could not be synced in their last cycle (missing or failing)."""


def check_sync(app: Flask) -> dict:
    """Non-critical: fails while a collection is missing or its last sync failed."""
    total, failing, last = db.session.execute(select(
        func.count(SyncCollection.id),
        func.count(SyncCollection.id).filter(SyncCollection.state != STATE_OK),
        func.max(SyncCollection.last_synced_at))).one()
    if failing:
        raise CollectionsFailing(f"{failing} of {total} collections")
    return {"collections": total, "last_synced": last.isoformat() if last else "never"}
