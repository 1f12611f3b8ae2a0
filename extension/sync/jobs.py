"""The background jobs of launching and syncing networks, the periodic sync, and the sync's readiness checks.

A sync cycle (periodic, queued or run from the CLI) holds the lock `sync-cycle` (extension.locks), a lease
that dies with its holder, so a cycle that takes longer than the interval is not started twice, even by two
workers on two hosts, and a killed cycle blocks nothing for longer than the lease. A launch or catch-up
found its network busy (another run holds the network's lock) waits and runs later (extension.jobs).

A run of a plan whose process died (a foreground `network launch` killed, a worker killed with a job whose
row the job reaper queues again anyway) leaves its engine run "running" while nobody holds the network's
lock. `resume_stuck_networks`, a reaper every worker runs on the jobs' schedule, finds those runs, marks
them interrupted under the network's lock and queues `resume_network`, which finishes what was cut short.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import func, select, update

from extension.config import ConfigError
from extension.extensions import db
from extension.i18n import Text
from extension.health import readiness
from extension import engine
from extension.jobs import JobIncomplete
from extension.jobs.schedule import last_completed
from extension.networks import members
from extension.networks.models import EngineRun, Network, NetworkStatus, RunState, as_utc
from extension.organisations.models import utcnow
from extension.sync import service
from extension.sync.models import STATE_OK, SyncCollection

log = logging.getLogger(__name__)

SYNC_LOCK = "sync-cycle"
# The schedule row of the periodic sync; `service.sync_all` records each completed cycle on it.
SYNC_SCHEDULE = service.SYNC_SCHEDULE
# A cycle not completed for this many intervals makes `check` and /readyz fail.
STALE_INTERVALS = 3
# What an interrupted run says on the progress page until the resume job's own run replaces it.
INTERRUPTED = ("Onderbroken: het proces dat dit uitvoerde, is gestopt. Het wordt op de achtergrond afgemaakt; "
               "wat al klaar was, blijft staan.")


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
    queue.register("launch_network", launch_network, retries=2, retry_delay=60, networks=lambda slug: [slug])
    queue.register("resume_network", resume_network, retries=2, retry_delay=60, networks=lambda slug: [slug])
    queue.register("sync_network", sync_network)
    # Like a launch, a catch-up resumes where it stopped, so it may run again after a failure.
    queue.register("catch_up_organisation", catch_up_organisation, retries=2, retry_delay=60,
                   networks=members.involved_networks)
    queue.add_reaper(resume_stuck_networks)
    queue.register_periodic(SYNC_SCHEDULE, sync_all, seconds=sync_interval(app))
    readiness.register(app, "sync_cycle", check_sync_cycle, critical=False, fails=True,
                       hint="start `lerend-netwerk worker` (or see its log: why does the sync cycle not finish?)")
    readiness.register(app, "sync", check_sync, critical=False,
                       hint="`lerend-netwerk network status SLUG` shows which task list or calendar and why")


class LaunchIncomplete(JobIncomplete):
    """Some steps of a queued launch failed; raised so that the queue runs the (resuming) launch again."""


def _run(kind: str, slug: str):
    """One engine run from a job: another run holding the network makes the job wait (LockBusy, not counted as
    an attempt) instead of failing it."""
    from extension.locks import LockBusy, holder

    try:
        return engine.run(current_app._get_current_object(), kind, slug)
    except engine.Busy:
        lock = f"network:{slug}"
        raise LockBusy(lock, holder(lock)) from None


def launch_network(slug: str) -> None:
    result = _run("launch", slug)
    if not result.ok:
        raise LaunchIncomplete(f"launch of {slug}: {len(result.failed)} steps failed, {result.not_run} not run; "
                               + "; ".join(f"{key}: {error}" for key, error in result.failed))
    log.info("launch job of %s complete", slug)


def resume_network(slug: str) -> None:
    """Finish whatever run of a plan on the network was cut short (queued by `resume_stuck_networks`)."""
    result = _run("resume", slug)
    if not result.ok:
        # A RunResult lists (step, error) pairs; an EndResult (an ended network's run) lists messages.
        failed = [f"{item[0]}: {item[1]}" if isinstance(item, tuple) else str(item) for item in result.failed]
        raise LaunchIncomplete(f"resume of {slug} did not finish: " + "; ".join(failed))
    log.info("resume job of %s complete", slug)


def resume_stuck_networks() -> list[str]:
    """Queue a resume of every network whose latest engine run is still "running" while nobody holds the
    network's lock (its process died), or that is "launching" without any run (killed before its first
    journal commit), unless a job will run a plan on it anyway; inside an app context.

    A run is marked interrupted under the network's lock, so that it is queued once: a resume that fails
    leaves a failed run of its own, not one to resume again; a network without runs is resumed once. Returns
    the slugs queued."""
    from extension.jobs import job_queue
    from extension.locks import LockBusy, network_lock

    app = current_app._get_current_object()
    queue = job_queue()
    latest = (select(EngineRun.network_id, func.max(EngineRun.id).label("run_id"))
              .group_by(EngineRun.network_id).subquery())
    stuck: list[tuple[str, int | None]] = list(db.session.execute(
        select(Network.slug, EngineRun.id).join(latest, latest.c.network_id == Network.id)
        .join(EngineRun, EngineRun.id == latest.c.run_id).where(EngineRun.status == RunState.RUNNING)).all())
    stuck += [(slug, None) for slug in db.session.scalars(select(Network.slug).where(
        Network.status == NetworkStatus.LAUNCHING,
        ~select(EngineRun.id).where(EngineRun.network_id == Network.id).exists()))]
    if not stuck:
        db.session.rollback()
        return []
    in_hand = queue.networks_in_hand()
    stuck = [(slug, run_id) for slug, run_id in stuck if slug not in in_hand
             and (run_id is not None or not queue.ever_queued("resume_network", slug))]
    db.session.rollback()
    interrupted = []
    for slug, run_id in stuck:
        try:
            with network_lock(slug, wait=0, ttl=float(app.config.get("NETWORK_LOCK_TTL", 30))):
                if run_id is None:
                    still = not db.session.scalar(select(EngineRun.id).join(Network).where(Network.slug == slug))
                else:
                    still = db.session.execute(
                        update(EngineRun).where(EngineRun.id == run_id, EngineRun.status == RunState.RUNNING)
                        .values(status=RunState.FAILED, finished_at=utcnow(),
                                failed_error=func.coalesce(EngineRun.failed_error, INTERRUPTED))).rowcount
                db.session.commit()
        except LockBusy:
            continue  # a live run holds it: not stuck
        if still:
            log.warning("a run on network %s was cut short with its process; its resume is queued", slug)
            interrupted.append(slug)
    for slug in interrupted:
        queue.enqueue("resume_network", slug)
    return interrupted


def catch_up_organisation(organisation_id: int) -> None:
    """An organisation just connected: its tasks of every started phase and its shares land in its Nextcloud."""
    results = {slug: _run("catch-up", slug) for slug in members.involved_networks(organisation_id)}
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
