"""The job queue: jobs run in an app context, and a job queued by one process is run by another."""
import os
import uuid

import pytest
import redis as redis_client

from extension.jobs import job_queue
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
