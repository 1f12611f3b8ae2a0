"""`lerend-netwerk worker`: runs queued jobs and the periodic sync schedule."""
from __future__ import annotations

import click

from extension.cli import command
from extension.i18n import _


@command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs run at the same time (threads).")
def worker_command(workers: int) -> None:
    """Run background jobs (launches, syncs) until stopped."""
    from extension.jobs import job_queue

    queue = job_queue()
    click.echo(_("Worker for jobs: %(jobs)s", jobs=", ".join(queue.names) or "-"))
    queue.run_worker(workers=workers)
