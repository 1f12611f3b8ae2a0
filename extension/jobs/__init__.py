"""Background jobs (launch, sync, checks): rows in the database, woken through Huey (SQLite or Redis)."""
from extension.jobs.queue import JobIncomplete, JobQueue, init_app, job_queue

__all__ = ["JobIncomplete", "JobQueue", "init_app", "job_queue"]
