"""Background jobs (launch, sync, checks): rows in the database, woken through Huey (SQLite or Redis).

The queue (and Huey with it) is imported on first use, so that commands without jobs, which still load the
models, never import it."""
from __future__ import annotations

__all__ = ["JobIncomplete", "JobQueue", "init_app", "job_queue"]


def __getattr__(name: str):
    if name in __all__:
        from extension.jobs import queue

        return getattr(queue, name)
    raise AttributeError(f"module 'extension.jobs' has no attribute {name!r}")
