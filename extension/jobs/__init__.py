"""Background jobs (launch, sync) on Huey: SQLite in the instance folder by default, Redis with REDIS_URL."""
from extension.jobs.queue import JobQueue, init_app, job_queue

__all__ = ["JobQueue", "init_app", "job_queue"]
