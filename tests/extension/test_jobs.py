"""The job queue: jobs run in an app context, a job queued by one process is run by another, and the database
keeps every job until it is done."""
import os
import uuid
from datetime import timedelta

import pytest
import redis as redis_client

from extension.jobs import job_queue
from extension.organisations.models import utcnow
from tests.fixtures.app import make_test_app

SEEN = []


def remember(value):
    from flask import current_app

    SEEN.append((value, current_app.name))


def test_immediate_mode_runs_the_job_inside_an_app_context(app):
    SEEN.clear()
    with app.app_context():
        job_queue().register("remember", remember)
        job_queue().enqueue("remember", 42)
    assert SEEN == [(42, "extension")]


def test_an_unknown_job_is_named_in_the_error(app):
    with app.app_context(), pytest.raises(KeyError, match="unknown job 'nope'"):
        job_queue().enqueue("nope")


def run_one_queued_job(queue):
    task = queue.huey.dequeue()
    assert task is not None, "nothing was queued"
    queue.huey.execute(task)


def test_a_job_queued_by_the_web_app_is_run_by_a_worker_on_sqlite(tmp_path):
    SEEN.clear()
    shared = {"JOBS_IMMEDIATE": False, "JOBS_SQLITE": str(tmp_path / "jobs.sqlite")}
    web = make_test_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, **shared)
    worker = make_test_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, **shared)
    for app in (web, worker):
        app.extensions["ln_jobs"].register("remember", remember)
    web.extensions["ln_jobs"].enqueue("remember", "from-web")
    assert SEEN == [] and web.extensions["ln_jobs"].pending() == 1
    run_one_queued_job(worker.extensions["ln_jobs"])
    assert SEEN == [("from-web", "extension")]


def test_redis_store_is_used_when_redis_url_is_set(tmp_path):
    url = os.environ.get("LN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis_client.Redis.from_url(url, socket_timeout=2).ping()
    except redis_client.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {url} is not usable ({exc}); CI=true requires it")
        pytest.skip(f"Redis at {url} is not usable: {exc}")
    SEEN.clear()
    app = make_test_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, JOBS_IMMEDIATE=False, REDIS_URL=url,
                        JOBS_NAME=f"ln-test-{uuid.uuid4().hex}")  # parallel runs share the Redis server
    queue = app.extensions["ln_jobs"]
    queue.register("remember", remember)
    queue.enqueue("remember", "via-redis")
    assert type(queue.huey).__name__ == "RedisHuey" and queue.pending() == 1
    run_one_queued_job(queue)
    assert SEEN == [("via-redis", "extension")]
    queue.huey.flush()


# -- durable jobs: rows in the database, leases, the reaper, the schedule -------------------------------------

ATTEMPTS = []


def flaky(name):
    ATTEMPTS.append(name)
    raise RuntimeError(f"attempt {len(ATTEMPTS)} failed")


def busy(slug):
    from extension.locks import LockBusy

    ATTEMPTS.append(slug)
    raise LockBusy(f"network:{slug}", "elders:1")


def _job(app, job_id):
    from extension.extensions import db
    from extension.jobs.models import Job

    with app.app_context():
        job = db.session.get(Job, job_id)
        return {"state": job.state, "attempts": job.attempts, "error": job.last_error,
                "due_later": job.run_after > job.created_at}


def test_a_job_waiting_in_the_queue_is_not_queued_twice(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, JOBS_IMMEDIATE=False)
    queue = app.extensions["ln_jobs"]
    queue.register("remember", remember)
    first = queue.enqueue("remember", "x")
    assert queue.enqueue("remember", "x") == first
    assert queue.enqueue("remember", "y") != first
    assert queue.pending() == 2


def test_a_failed_job_is_queued_again_until_its_attempts_are_used_up(app):
    ATTEMPTS.clear()
    queue = app.extensions["ln_jobs"]
    queue.register("flaky", flaky, retries=1, retry_delay=60)
    job_id = queue.enqueue("flaky", "a")
    assert _job(app, job_id) == {"state": "queued", "attempts": 1, "error": "attempt 1 failed", "due_later": True}
    with app.app_context():
        assert queue.reap() == []  # not due yet: the retry waits its delay
        from extension.extensions import db
        from extension.jobs.models import Job
        db.session.query(Job).update({"run_after": Job.created_at})
        db.session.commit()
        assert queue.reap() == [job_id]
    assert _job(app, job_id)["state"] == "failed" and ATTEMPTS == ["a", "a"]


def test_a_job_finding_its_network_busy_waits_without_using_an_attempt(app):
    ATTEMPTS.clear()
    queue = app.extensions["ln_jobs"]
    queue.register("busy", busy)
    job_id = queue.enqueue("busy", "netwerk")
    assert _job(app, job_id) == {"state": "queued", "attempts": 0, "error": None, "due_later": True}


def _job_row(app, name: str, args: list, state: str, attempts: int) -> int:
    """A job row as a worker left it (a running one: its lease no longer renewed); returns its id."""
    import json

    from extension.extensions import db
    from extension.jobs.models import Job

    with app.app_context():
        job = Job(name=name, args=args, key=f"{name}:{json.dumps(args)}", state=state, attempts=attempts,
                  max_attempts=1, retry_delay=0, run_after=utcnow(), created_at=utcnow(),
                  worker="elders:1" if state == "running" else None)
        db.session.add(job)
        db.session.commit()
        return job.id


def test_the_reaper_queues_again_a_running_job_whose_worker_is_gone(app):
    from extension.locks import hold

    SEEN.clear()
    queue = app.extensions["ln_jobs"]
    queue.register("remember", remember)
    job_id = _job_row(app, "remember", ["verweesd"], "running", attempts=1)
    with app.app_context():
        with hold(f"job:{job_id}", ttl=60):
            assert queue.reap() == []  # its worker lives: left alone
        assert queue.reap() == [job_id]
    assert SEEN == [("verweesd", "extension")]
    assert _job(app, job_id)["state"] == "done"


def test_a_job_whose_worker_died_on_every_attempt_and_once_more_is_failed_not_run_again(app):
    """A job that takes its worker down (out of memory, killed) would otherwise crash every worker for ever."""
    SEEN.clear()
    queue = app.extensions["ln_jobs"]
    queue.register("remember", remember)
    job_id = _job_row(app, "remember", ["giftig"], "running", attempts=2)
    with app.app_context():
        assert queue.reap() == []
    assert SEEN == []
    assert _job(app, job_id)["state"] == "failed"
    assert "stopped 2 times" in _job(app, job_id)["error"]


def test_a_job_this_version_does_not_know_is_failed_by_the_reaper_not_kept_queued(app):
    from extension.extensions import db
    from extension.jobs.models import Job

    job_id = _job_row(app, "network_action", [7], "queued", attempts=0)
    fresh = _job_row(app, "network_action", [8], "queued", attempts=0)  # perhaps a newer version's: left alone
    with app.app_context():
        db.session.get(Job, job_id).created_at = utcnow() - timedelta(days=2)
        db.session.commit()
        assert app.extensions["ln_jobs"].reap() == [fresh]
    assert _job(app, fresh)["state"] == "queued"
    assert _job(app, job_id)["state"] == "failed"
    assert _job(app, job_id)["error"] == "unknown job 'network_action'"


def test_a_queued_job_whose_message_was_lost_is_sent_again(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, JOBS_IMMEDIATE=False,
                        JOBS_REQUEUE_SECONDS=0.01)
    queue = app.extensions["ln_jobs"]
    queue.register("remember", remember)
    job_id = queue.enqueue("remember", "kwijt")
    queue.huey.flush()  # Redis handed the message to a worker that died
    with app.app_context():
        from extension.extensions import db
        from extension.jobs.models import Job

        # Sent longer ago than the requeue interval, whatever the clock did between these lines.
        db.session.get(Job, job_id).enqueued_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert queue.reap() == [job_id]
    assert queue.pending() == 1


def test_periodic_work_is_claimed_once_per_interval_by_one_of_many(database_url, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from extension.jobs import schedule

    app = make_test_app(database_url, tmp_path)

    def claim(_):
        with app.app_context():
            return schedule.claim("elke-minuut", 60)

    with ThreadPoolExecutor(4) as pool:
        claims = list(pool.map(claim, range(8)))
    assert claims.count(True) == 1
    with app.app_context():
        later = utcnow() + timedelta(seconds=61)
        assert schedule.claim("elke-minuut", 60, now=later) is True
        assert schedule.claim("elke-minuut", 60, now=later) is False
        from extension.extensions import db
        db.session.remove()
        db.engine.dispose()


def test_huey_signals_name_the_job_and_complete_only_when_it_finished(app):
    from huey.signals import SIGNAL_CANCELED, SIGNAL_COMPLETE

    ATTEMPTS.clear()
    queue = app.extensions["ln_jobs"]
    queue.register("remember", remember)
    queue.register("flaky", flaky)
    seen = []

    @queue.huey.signal(SIGNAL_COMPLETE, SIGNAL_CANCELED)
    def record(signal, task, *args):
        seen.append((signal, task.name, task.args))

    queue.enqueue("remember", "klaar")
    queue.enqueue("flaky", "mis")
    assert seen == [(SIGNAL_COMPLETE, "remember", ("klaar",)), (SIGNAL_CANCELED, "flaky", ("mis",))]
