"""The memory benchmark: peak resident memory of a web worker and of the job worker during a launch and a sync.

It sets up the sync benchmark's world (networks in the database and in the sandbox's Nextclouds), then
starts the two processes production runs — `lerend-netwerk worker` and the app under gunicorn with one
worker — against the same database and job store. While the web worker answers the kartrekker's pages,
the worker runs a queued launch of a fresh network and then a queued sync of every network. The figures
are the kernel's high-water marks (VmHWM in /proc) of each process.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from benchmarks.pages import _free_port
from benchmarks.sync import Bench

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from extension.cli import main; main()"]


@dataclass
class MemoryFigures:
    networks: int
    members: int
    job_worker_peak_mb: float
    web_worker_peak_mb: float
    launch_s: float
    sync_s: float
    pages_served: int

    def lines(self) -> list[str]:
        return [f"  job worker peak: {self.job_worker_peak_mb:.0f} MB (launch {self.launch_s:.1f} s, "
                f"sync of {self.networks} networks {self.sync_s:.1f} s)",
                f"  web worker peak: {self.web_worker_peak_mb:.0f} MB ({self.pages_served} pages served meanwhile)"]


def peak_mb(pid: int) -> float:
    """The process's resident high-water mark (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _environment(bench: Bench, port: int) -> dict[str, str]:
    config = bench.app.config
    return dict(os.environ, DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
                LN_SECRET_KEY=config["SECRET_KEY"], LN_ENCRYPTION_KEYS=json.dumps(list(config["ENCRYPTION_KEYS"])),
                LN_JOBS_SQLITE=config["JOBS_SQLITE"], LN_APP_URL=f"http://127.0.0.1:{port}",
                LN_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(CLI + list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"lerend-netwerk {' '.join(args)} failed: {done.stderr[-1500:] or done.stdout[-1500:]}")
    return done.stdout


def _wait_for(condition, what: str, timeout: float = 900) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what} did not finish within {timeout:.0f} s")
        time.sleep(0.5)
    return time.monotonic() - started


def run(networks: int = 50, members: int = 20, database_url: str | None = None, seed: int = 4,
        as_json: bool = False) -> dict:
    from sqlalchemy import func, select

    from extension.extensions import db
    from extension.jobs.models import DONE as JOB_DONE
    from extension.jobs.models import FAILED as JOB_FAILED
    from extension.jobs.models import QUEUED as JOB_QUEUED
    from extension.jobs.models import Job, Schedule
    from extension.networks.models import Network
    from extension.sync.service import SYNC_SCHEDULE

    say = (lambda text: print(text, file=sys.stderr, flush=True)) if as_json else print
    with tempfile.TemporaryDirectory(prefix="ln-bench-memory-") as folder:
        bench = Bench(Path(folder), networks, members, database_url, seed)
        bench.start()
        worker = web = None
        try:
            slugs = bench.create_networks()
            bench.fast_path(slugs[1:])
            port = _free_port()
            env = _environment(bench, port)
            worker = subprocess.Popen(CLI + ["worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True)
            web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
                                    f"127.0.0.1:{port}", "--log-level", "warning", "extension:create_app()"],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            base = f"http://127.0.0.1:{port}"
            _wait_for(lambda: _answers(base), "gunicorn start", timeout=60)
            served = [0]
            stop = threading.Event()
            pages = threading.Thread(target=_browse, args=(base, slugs, served, stop), daemon=True)
            pages.start()

            def status_of(slug: str) -> str:
                with bench.app.app_context():
                    db.session.expire_all()
                    return db.session.query(Network.status).filter_by(slug=slug).scalar()

            say(f"Memory: launch of 1 network and sync of {networks} networks through `lerend-netwerk worker`")
            # Timed from the request on: the worker may be done before the command line has exited.
            started = time.monotonic()
            _cli(env, "network", "launch", slugs[0], "--background")
            _wait_for(lambda: status_of(slugs[0]) == "active", "the queued launch")
            launch_s = time.monotonic() - started
            with bench.app.app_context():
                runs_before = db.session.scalar(select(Schedule.runs).where(Schedule.name == SYNC_SCHEDULE)) or 0
                # The job our request becomes: a new row, or the one still queued (a queued job is not queued twice).
                waiting = db.session.scalar(select(func.min(Job.id)).where(Job.name == SYNC_SCHEDULE,
                                                                            Job.state == JOB_QUEUED))
                last_job = waiting - 1 if waiting else (db.session.scalar(select(func.max(Job.id))) or 0)
            started = time.monotonic()
            _cli(env, "network", "sync", "--all", "--background")

            def synced() -> bool:
                """The queued sync job's row says done and the cycle's completion is recorded on its schedule
                (what `service.sync_all` writes last); a failed job stops the benchmark with its error."""
                with bench.app.app_context():
                    db.session.expire_all()
                    job = db.session.scalars(select(Job).where(Job.id > last_job, Job.name == SYNC_SCHEDULE)
                                             .order_by(Job.id).limit(1)).first()
                    if job is not None and job.state == JOB_FAILED:
                        raise RuntimeError(f"the queued sync failed: {job.last_error}")
                    runs = db.session.scalar(select(Schedule.runs).where(Schedule.name == SYNC_SCHEDULE)) or 0
                    return job is not None and job.state == JOB_DONE and runs > runs_before

            _wait_for(synced, "the queued sync")
            sync_s = time.monotonic() - started
            stop.set()
            pages.join()
            web_workers = _children(web.pid) or [web.pid]
            figures = MemoryFigures(
                networks=networks, members=members, job_worker_peak_mb=round(peak_mb(worker.pid), 1),
                web_worker_peak_mb=round(max(peak_mb(pid) for pid in web_workers), 1), launch_s=round(launch_s, 1),
                sync_s=round(sync_s, 1), pages_served=served[0])
            for line in figures.lines():
                say(line)
            return asdict(figures)
        finally:
            for process in (worker, web):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()
            bench.stop()


def _answers(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _browse(base: str, slugs: list[str], served: list[int], stop: threading.Event) -> None:
    """Keep the web worker busy with the pages people open while jobs run (anonymous: what it renders)."""
    paths = ["/", "/healthz", "/readyz"] + [f"/networks/{slug}" for slug in slugs[:5]]
    while not stop.is_set():
        for path in paths:
            try:
                requests.get(base + path, timeout=10)
                served[0] += 1
            except requests.RequestException:
                pass


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks memory [--networks N] [--json]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks memory", description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=50)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--database", help="database URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (the lines go to stderr)")
    args = parser.parse_args(argv)
    result = run(args.networks, args.members, args.database, as_json=args.json)
    if args.json:
        print(json.dumps(result))
