"""The launch benchmark: requests, their minimum, wall time and critical path of a first launch and a relaunch.

Two networks: the acceptance network of the tests (8 members of 3 organisations, two on their own sandbox
Nextcloud, one without) and a large one (40 members of 5 organisations, four with a Nextcloud, 10
meetings). Each is launched into a fresh sandbox with 0 and with 30 ms added to every request (the
sandbox's latency fault), then launched again (the relaunch only verifies). The minimum is counted from
what must exist — folders, documents, folder shares, calendar, meetings, task lists, tasks, one
calendar-share POST and one read-back per shared calendar, the organiser read, and the network's Talk
conversation (the capabilities read that shows Talk is there, one POST carrying every participant) —
independently of the engine's plan; the critical path is the longest chain of dependent requests times the
latency; the naive time is what a client sending one request at a time would need.

The critical path is not the only bound: the engine keeps at most MAX_PARALLEL_REQUESTS (appinfo
setting, default 4) requests in flight per Nextcloud, so an instance that must receive n requests needs at
least ceil(n / limit) latencies. The resource bound printed is the larger of the two, and no run can beat
it; where the limit makes the critical-path target unreachable, a second row runs the same launch with a
higher limit (WIDE_LIMIT, set the way a deployment sets it: the app's MAX_PARALLEL_REQUESTS) and says so.

The sandbox's Nextclouds are served from a process of their own, as a Nextcloud is a server of its own:
in the benchmark's process the emulation (Radicale, WsgiDAV, the iMIP broker) would compete with the
engine for the interpreter lock and its CPU time would count as the engine's wall time. `--in-process`
measures that way instead. Even in its own process the sandbox serves every request of an instance under
one interpreter lock, where a Nextcloud spreads them over its PHP workers: the wall time at 0 ms (the
engine's and the sandbox's own work, no latency) and the CPU time of both processes show how much of the
wall time at 30 ms that work is. Wall times at 30 ms are the median of REPEATS fresh launches (the best one and
all of them are printed too: on a shared machine the wall time follows the load, the CPU time printed
beside it much less).
"""
from __future__ import annotations

import json
import math
import multiprocessing
import shutil
import statistics
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import flask_migrate
from cryptography.fernet import Fernet

from connectors.http import close_sessions
from connectors.oauth import Token
from extension import create_app, engine
from extension.accounts.service import store_token
from extension.extensions import db
from extension.network_templates import NetworkSpec, get_template, templates_dir
from extension.networks import naming
from extension.networks.models import Network
from extension.networks.service import create_network, participating
from extension.organisations import service as organisations
from sandbox import Sandbox

CONNECTION_USER = "lerend-netwerk"
LATENCY = 0.030
DEFAULT_LIMIT = 4  # appinfo MAX_PARALLEL_REQUESTS default
WIDE_LIMIT = 16  # the second row: enough in flight for the reference host's requests to fit the chain
REPEATS = 3
REPO_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@dataclass(frozen=True)
class Shape:
    name: str
    # (sandbox key or None for no Nextcloud, organisation name, members)
    organisations: tuple[tuple[str | None, str, int], ...]
    template: str


REFERENCE = Shape("reference", (("a", "Kinderopvang De Zonnebloem", 5), ("b", "Basisschool De Regenboog", 2),
                                (None, "Peuterspeelzaal Het Kompas", 1)), "doorgaande-lijn")
LARGE = Shape("large", (("a", "Kinderopvang De Zonnebloem", 12), ("b", "Basisschool De Regenboog", 10),
                        ("c", "Kinderopvang Het Bolwerk", 8), ("d", "Basisschool De Kameleon", 6),
                        (None, "Jeugdhulp Zuilen", 4)), "benchmark-tien-bijeenkomsten")


@dataclass
class Figures:
    requests: int
    minimum: int
    wall_s: float
    critical_path_requests: int
    relaunch_requests: int
    relaunch_minimum: int
    # the plan's requests per Nextcloud instance (first launch)
    per_instance: dict[str, int]
    # CPU time of the benchmark's process during the first launch (the engine's; the sandbox's too in-process)
    cpu_s: float = 0.0
    # CPU time the sandbox's process spent serving the first launch (0 when it runs in the benchmark's process)
    sandbox_cpu_s: float = 0.0

    def critical_path_s(self, latency: float) -> float:
        return self.critical_path_requests * latency

    def bound_requests(self, limit: int) -> int:
        """Latencies no run can go below: the dependency chain, or the busiest instance's requests in
        rounds of `limit` in flight."""
        return max(self.critical_path_requests,
                   max((math.ceil(n / limit) for n in self.per_instance.values()), default=0))


def _ten_meeting_template(folder: Path) -> Path:
    """A copy of the doorgaande-lijn template with four more meetings (10 a year), in a templates folder."""
    target = folder / "templates" / "benchmark-tien-bijeenkomsten"
    shutil.copytree(REPO_TEMPLATES / "doorgaande-lijn", target)
    path = target / "template.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("id: doorgaande-lijn", "id: benchmark-tien-bijeenkomsten", 1).replace("per_year: 6", "per_year: 10", 1)
    extra = "".join(f"""    - key: extra-{n}
      phase: evalueren
      title: Extra bijeenkomst {n}
      week: {42 + n}
""" for n in range(1, 5))
    text = text.replace("\ntasks:\n", "\n" + extra.rstrip("\n") + "\n\ntasks:\n", 1) if "\n\ntasks:\n" not in text \
        else text.replace("\n\ntasks:\n", "\n" + extra + "\ntasks:\n", 1)
    path.write_text(text, encoding="utf-8")
    return folder / "templates"


class LocalSandbox:
    """The sandbox in the benchmark's own process (`--in-process`), behind the same calls as SandboxProcess."""

    def __init__(self, root: Path, threads: int):
        self.sandbox = Sandbox(root=root, threads=threads)

    def __call__(self, op: str, *args, **kwargs):
        return _SANDBOX_OPS[op](self.sandbox, *args, **kwargs)

    def stop(self) -> None:
        self.sandbox.stop()


class SandboxProcess:
    """The sandbox served from a child process; the benchmark sends it the few calls it needs over a pipe."""

    def __init__(self, root: Path, threads: int):
        context = multiprocessing.get_context("spawn")
        self._pipe, theirs = context.Pipe()
        self._process = context.Process(target=_serve_sandbox, args=(theirs, str(root), threads),
                                        name="sandbox", daemon=True)
        self._process.start()
        theirs.close()

    def __call__(self, op: str, *args, **kwargs):
        self._pipe.send((op, args, kwargs))
        ok, value = self._pipe.recv()
        if not ok:
            raise RuntimeError(f"sandbox call {op} failed:\n{value}")
        return value

    def stop(self) -> None:
        try:
            self("stop")
        finally:
            self._process.join(timeout=15)
            if self._process.is_alive():
                self._process.kill()


def _set_latency(sandbox: Sandbox, latency: float) -> None:
    for org in sandbox.orgs.values():
        org.faults.latency = latency


# What the benchmark asks of a sandbox; every answer can cross a process boundary.
_SANDBOX_OPS = {
    "add_org": lambda sandbox, key, name: sandbox.add_org(key, name=name) and None,
    "start": lambda sandbox: {key: org.base_url for key, org in sandbox.start().orgs.items()},
    "add_user": lambda sandbox, key, uid, **kw: sandbox.org(key).add_user(uid, **kw) and None,
    "register_client": lambda sandbox, key, name, redirect_uri: sandbox.org(key).register_client(name, redirect_uri),
    "issue_token": lambda sandbox, key, uid, client_id: sandbox.org(key).issue_token(uid, client_id),
    "latency": _set_latency,
    "requests": lambda sandbox: {key: len(org.request_log) for key, org in sandbox.orgs.items()},
    "cpu": lambda sandbox: time.process_time(),
    "talk": lambda sandbox, key: sandbox.org(key).talk.enabled,
    "stop": lambda sandbox: sandbox.stop(),
}


def _serve_sandbox(pipe, root: str, threads: int) -> None:
    """The child process: a sandbox answering the benchmark's calls until "stop"."""
    sandbox = Sandbox(root=Path(root), threads=threads)
    while True:
        op, args, kwargs = pipe.recv()
        try:
            value = _SANDBOX_OPS[op](sandbox, *args, **kwargs)
        except Exception:  # sent back and raised in the benchmark's process
            pipe.send((False, traceback.format_exc()))
            continue
        pipe.send((True, value))
        if op == "stop":
            return


class World:
    """A fresh sandbox and database with the shape's organisations connected, and its network created."""

    def __init__(self, shape: Shape, root: Path, latency: float, limit: int = DEFAULT_LIMIT,
                 in_process: bool = False):
        self.shape = shape
        # A Nextcloud serves at least as many requests at a time as the engine sends it.
        threads = max(10, limit)
        self.sandbox = (LocalSandbox if in_process else SandboxProcess)(root / "sandbox", threads)
        extra_templates = _ten_meeting_template(root) if shape.template != "doorgaande-lijn" else None
        for key, name, _ in shape.organisations:
            if key:
                self.sandbox("add_org", key, name)
        self.latency = latency
        self.app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'bench.sqlite'}", "SECRET_KEY": "bench",
            "ENCRYPTION_KEYS": [Fernet.generate_key().decode()], "JOBS_SQLITE": str(root / "jobs.sqlite"),
            "LOG_LEVEL": "WARNING", "TEMPLATES_DIR": str(extra_templates) if extra_templates else None,
            "MAX_PARALLEL_REQUESTS": limit})
        self.app.instance_path = str(root / "instance")
        self.base_urls = self.sandbox("start")
        with self.app.app_context():
            flask_migrate.upgrade(directory=str(self.app.config["MIGRATIONS_DIR"]))
            self.slug = self._create()

    def _create(self) -> str:
        members, commitments, known = [], [], {}
        for index, (key, name, count) in enumerate(self.shape.organisations):
            domain = f"org{index}.example"
            organisation_input = organisations.OrganisationInput(name=name, kind="anders")
            if key:
                for n in range(1, count + 1):
                    self.sandbox("add_user", key, f"m{n:02d}", password="x", display_name=f"Lid {n} {name}",
                                 email=f"m{n:02d}@{domain}")
                self.sandbox("add_user", key, CONNECTION_USER, password="x", display_name="Lerend Netwerk",
                             email=f"{CONNECTION_USER}@{domain}")
                client_id, secret = self.sandbox("register_client", key, "Lerend Netwerk", "http://127.0.0.1:5000/cb")
                organisation_input = organisations.OrganisationInput(
                    name=name, kind="anders", nextcloud_url=self.base_urls[key], client_id=client_id,
                    client_secret=secret, connection_user=CONNECTION_USER)
            organisation = organisations.add_organisation(organisation_input)
            if key:
                token = Token.from_response(self.sandbox("issue_token", key, CONNECTION_USER, client_id))
                # The organiser's address is not known yet: the launch reads it (one request).
                organisation.connection_account_id = store_token(organisation, token).id
            db.session.commit()
            known[name] = organisation.slug
            for n in range(1, count + 1):
                role = "kartrekker" if not members else "manager" if n == 1 else "deelnemer"
                members.append({"name": f"Lid {n} {name}", "email": f"m{n:02d}@{domain}", "organisation": organisation.slug,
                                "role": role, "expertise": ["pedagogisch medewerker", "leerkracht"][n % 2],
                                **({"user": f"m{n:02d}"} if key else {})})
            commitments.append({"organisation": organisation.slug, "manager": f"m01@{domain}", "hours_per_month": 4,
                                "podium": "teamoverleg"})
        spec = NetworkSpec.model_validate({
            "name": f"Benchmark {self.shape.name}", "topic": "Mondelinge taal", "question": "Hoe sluiten we aan?",
            "ambition": "Een doorgaande lijn.", "template": self.shape.template,
            "host": known[self.shape.organisations[0][1]],
            "start": (date.today() + timedelta(days=14)).isoformat(), "place": "Zuilen",
            "kartrekker": members[0]["email"], "members": members, "commitments": commitments})
        template = get_template(self.shape.template, templates_dir(self.app))
        return create_network(self.app, spec, template).network.slug

    def requests(self) -> int:
        return sum(self.sandbox("requests").values())

    def measure(self) -> Figures:
        with self.app.app_context():
            minimum, relaunch_minimum = minimum_requests(
                self.app, self.slug, talk=self.sandbox("talk", self.shape.organisations[0][0]))
            plan = engine.dry_run(self.app, self.slug)
            critical = plan.critical_path()
            per_instance = {instance: sum(step.requests for step in steps)
                            for instance, steps in plan.by_instance().items()}
        self.sandbox("latency", self.latency)
        before, served = self.requests(), self.sandbox("cpu")
        started, cpu = time.monotonic(), time.process_time()
        with self.app.app_context():
            result = engine.run(self.app, "launch", self.slug)
        wall, cpu = time.monotonic() - started, time.process_time() - cpu
        served = self.sandbox("cpu") - served if isinstance(self.sandbox, SandboxProcess) else 0.0
        if not result.ok:
            raise SystemExit(f"launch of {self.shape.name} failed: {result.failed}")
        requests = self.requests() - before
        before = self.requests()
        with self.app.app_context():
            if not engine.run(self.app, "launch", self.slug).ok:
                raise SystemExit(f"relaunch of {self.shape.name} failed")
        return Figures(requests, minimum, wall, critical, self.requests() - before, relaunch_minimum, per_instance,
                       cpu, served)

    def stop(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.sandbox.stop()
        close_sessions()


def minimum_requests(app, slug: str, talk: bool = True) -> tuple[int, int]:
    """(first launch, relaunch) minimum, counted from what must exist, not from the plan.

    First launch: a request per folder, document, folder share, calendar, meeting, task list and task; per
    shared calendar or task list one share POST and one read-back; one organiser read; the capabilities
    read that tells whether the host has Talk and, with `talk`, one POST making the conversation with every
    participant. Relaunch: one listing per folder holding a document or an empty folder, one share listing
    of the network folder, one PROPFIND per calendar or task list, one read of the conversation (without
    Talk: of the capabilities).
    """
    network = db.session.query(Network).filter_by(slug=slug).one()
    template = get_template(network.template_id, templates_dir(app))
    host = network.host_organisation
    root = naming.network_folder(network.folder_name)
    documents = [f"{root}/{d.path}" for d in template.seeded_documents()]
    folders = {naming.NETWORKS_FOLDER, root} | {f"{root}/{p.folder}" for p in network.phases}
    for path in documents:
        parts = path.split("/")
        folders |= {"/".join(parts[:depth]) for depth in range(root.count("/") + 2, len(parts))}
    same = [m for m in network.memberships if m.user_id and m.organisation.nextcloud_url == host.nextcloud_url]
    other = [m for m in network.memberships if m.user_id and m.organisation.has_nextcloud
             and m.organisation.nextcloud_url != host.nextcloud_url]
    year_end = network.starts_on + timedelta(days=365)
    meetings = [m for m in network.meetings if m.start.date() < year_end]
    connected = [o for o in participating(network) if o.has_nextcloud]
    tasklists = [o for o in connected if any(t.organisation_id == o.id for t in network.tasks)]
    shared_tasklists = [o for o in tasklists if any(m.user_id for m in network.memberships if m.organisation_id == o.id)]
    tasks = [t for t in network.tasks if t.organisation.has_nextcloud]
    first = (len(folders) + len(documents) + len(same) + len(other) + 1 + len(meetings) + len(tasklists)
             + len(tasks) + 2 * (1 if same else 0) + 2 * len(shared_tasklists) + 1 + 1 + (1 if talk else 0))
    holders = {d.rsplit("/", 1)[0] for d in documents}
    leaves = {f for f in folders if not any(h == f or h.startswith(f"{f}/") for h in holders)
              and not any(g.startswith(f"{f}/") for g in folders)}
    listings = holders | {f.rsplit("/", 1)[0] for f in leaves}
    relaunch = len(listings) + 1 + 1 + len(tasklists) + 1
    return first, relaunch


def measure(shape: Shape, latency: float, limit: int = DEFAULT_LIMIT, in_process: bool = False) -> Figures:
    with tempfile.TemporaryDirectory(prefix="ln-bench-launch-") as folder:
        world = World(shape, Path(folder), latency, limit, in_process)
        try:
            return world.measure()
        finally:
            world.stop()


def row(shape: Shape, limit: int, in_process: bool, repeats: int, at_zero: bool = True) -> dict:
    """One shape at one MAX_PARALLEL_REQUESTS: the figures at 30 ms (wall: median of `repeats` launches)
    and, with `at_zero`, the wall at 0 ms."""
    runs = [measure(shape, LATENCY, limit, in_process) for _ in range(repeats)]
    slow = runs[0]
    walls = [r.wall_s for r in runs]
    bound = slow.bound_requests(limit)
    figures = {
        "max_parallel_requests": limit,
        "requests": slow.requests, "minimum": slow.minimum,
        "relaunch_requests": slow.relaunch_requests, "relaunch_minimum": slow.relaunch_minimum,
        "requests_per_instance": sorted(slow.per_instance.values(), reverse=True),
        "wall_30ms_s": round(statistics.median(walls), 3), "wall_30ms_best_s": round(min(walls), 3),
        "wall_30ms_runs_s": [round(w, 3) for w in walls],
        "cpu_30ms_s": round(statistics.median(r.cpu_s for r in runs), 3),
        "sandbox_cpu_30ms_s": round(statistics.median(r.sandbox_cpu_s for r in runs), 3),
        "critical_path_requests": slow.critical_path_requests,
        "critical_path_30ms_s": round(slow.critical_path_s(LATENCY), 3),
        "resource_bound_requests": bound, "resource_bound_30ms_s": round(bound * LATENCY, 3),
        "naive_30ms_s": round(slow.requests * LATENCY, 3),
    }
    if at_zero:
        figures["wall_0ms_s"] = round(measure(shape, 0.0, limit, in_process).wall_s, 3)
    return figures


def run(as_json: bool = False, in_process: bool = False, repeats: int = REPEATS, wide: int = WIDE_LIMIT) -> dict:
    results = {}
    for shape in (REFERENCE, LARGE):
        results[shape.name] = row(shape, DEFAULT_LIMIT, in_process, repeats if shape is REFERENCE else 1)
    for shape in (REFERENCE, LARGE):
        if wide and wide != DEFAULT_LIMIT:
            results[f"{shape.name}_limit_{wide}"] = row(shape, wide, in_process,
                                                        repeats if shape is REFERENCE else 1)
    results["sandbox"] = "the benchmark's process" if in_process else "a process of its own"
    if as_json:
        print(json.dumps(results, indent=2))
    else:
        _print(results)
    return results


def _print(results: dict) -> None:
    print("Launch benchmark (first launch, then a relaunch that only verifies), sandbox latency 0 and 30 ms, "
          f"sandbox in {results['sandbox']}")
    for name, r in results.items():
        if not isinstance(r, dict):
            continue
        print(f"  {name} (MAX_PARALLEL_REQUESTS={r['max_parallel_requests']}): {r['requests']} requests (minimum "
              f"{r['minimum']}, +{_over(r['requests'], r['minimum'])}), relaunch {r['relaunch_requests']} (minimum "
              f"{r['relaunch_minimum']}); per instance {r['requests_per_instance']}")
        zero = f"wall {r['wall_0ms_s']:.2f} s at 0 ms, " if "wall_0ms_s" in r else "wall "
        cpu = (f"engine and sandbox {r['cpu_30ms_s']:.2f} s" if results["sandbox"] == "the benchmark's process" else
               f"engine {r['cpu_30ms_s']:.2f} s, sandbox {r['sandbox_cpu_30ms_s']:.2f} s")
        print(f"    {zero}{r['wall_30ms_s']:.2f} s at 30 ms (runs {r['wall_30ms_runs_s']}; CPU: {cpu}); critical path "
              f"{r['critical_path_requests']} requests = {r['critical_path_30ms_s']:.2f} s; resource bound "
              f"{r['resource_bound_requests']} latencies = {r['resource_bound_30ms_s']:.2f} s; naive sequential "
              f"{r['naive_30ms_s']:.2f} s")
    for name in ("reference", f"reference_limit_{WIDE_LIMIT}"):
        r = results.get(name)
        if r is None:
            continue
        target = 1.3 * r["critical_path_30ms_s"]
        print(f"Targets on {name}: requests ≤ minimum + 5 % "
              f"({'met' if r['requests'] <= r['minimum'] * 1.05 else 'NOT met'}); wall at 30 ms ≤ 1.3 × critical "
              f"path = {target:.3f} s ({'met' if r['wall_30ms_s'] <= target else 'NOT met'}"
              f"{'; unreachable at this limit: the resource bound is above it' if r['resource_bound_30ms_s'] > target else ''})"
              f"; wall / resource bound = {r['wall_30ms_s'] / r['resource_bound_30ms_s']:.2f}")


def _over(requests: int, minimum: int) -> str:
    return f"{100 * (requests - minimum) / minimum:.1f} %" if minimum else "-"


def main(argv: list[str]) -> None:
    """`python -m benchmarks launch [--json]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks launch", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    parser.add_argument("--in-process", action="store_true",
                        help="serve the sandbox from the benchmark's own process (its CPU then counts as wall time)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="launches of the reference network per row "
                                                                     "(the median wall time is reported)")
    parser.add_argument("--wide", type=int, default=WIDE_LIMIT,
                        help="MAX_PARALLEL_REQUESTS of the second rows (0: no second rows)")
    args = parser.parse_args(argv)
    run(as_json=args.json, in_process=args.in_process, repeats=max(1, args.repeats), wide=args.wide)
