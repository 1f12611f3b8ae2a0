"""`lerend-netwerk worker`: runs queued jobs and the periodic sync schedule."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs run at the same time (threads).")
@with_appcontext
def worker_command(workers: int) -> None:
    """Run background jobs (launches, syncs) until stopped."""
    queue = current_app.extensions["ln_jobs"]
    click.echo(f"Worker for jobs: {', '.join(queue.names) or '(none registered)'}")
    queue.run_worker(workers=workers)
