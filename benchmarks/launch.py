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
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time
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

    def critical_path_s(self, latency: float) -> float:
        return self.critical_path_requests * latency


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


class World:
    """A fresh sandbox and database with the shape's organisations connected, and its network created."""

    def __init__(self, shape: Shape, root: Path, latency: float):
        self.shape = shape
        self.sandbox = Sandbox(root=root / "sandbox")
        extra_templates = _ten_meeting_template(root) if shape.template != "doorgaande-lijn" else None
        for key, name, _ in shape.organisations:
            if key:
                org = self.sandbox.add_org(key, name=name)
                org.faults.latency = 0.0
        self.latency = latency
        self.app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'bench.sqlite'}", "SECRET_KEY": "bench",
            "ENCRYPTION_KEYS": [Fernet.generate_key().decode()], "JOBS_SQLITE": str(root / "jobs.sqlite"),
            "LOG_LEVEL": "WARNING", "TEMPLATES_DIR": str(extra_templates) if extra_templates else None})
        self.app.instance_path = str(root / "instance")
        self.sandbox.start()
        with self.app.app_context():
            flask_migrate.upgrade(directory=str(self.app.config["MIGRATIONS_DIR"]))
            self.slug = self._create()

    def _create(self) -> str:
        members, commitments, known = [], [], {}
        for index, (key, name, count) in enumerate(self.shape.organisations):
            domain = f"org{index}.example"
            organisation_input = organisations.OrganisationInput(name=name, kind="anders")
            if key:
                org = self.sandbox.org(key)
                for n in range(1, count + 1):
                    org.add_user(f"m{n:02d}", password="x", display_name=f"Lid {n} {name}", email=f"m{n:02d}@{domain}")
                org.add_user(CONNECTION_USER, password="x", display_name="Lerend Netwerk",
                             email=f"{CONNECTION_USER}@{domain}")
                client_id, secret = org.register_client("Lerend Netwerk", redirect_uri="http://127.0.0.1:5000/cb")
                organisation_input = organisations.OrganisationInput(
                    name=name, kind="anders", nextcloud_url=org.base_url, client_id=client_id, client_secret=secret,
                    connection_user=CONNECTION_USER)
            organisation = organisations.add_organisation(organisation_input)
            if key:
                token = Token.from_response(self.sandbox.org(key).issue_token(CONNECTION_USER, client_id))
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
        return sum(len(org.request_log) for org in self.sandbox.orgs.values())

    def measure(self) -> Figures:
        with self.app.app_context():
            host_key = self.shape.organisations[0][0]
            minimum, relaunch_minimum = minimum_requests(self.app, self.slug,
                                                         talk=self.sandbox.org(host_key).talk.enabled)
            critical = engine.dry_run(self.app, self.slug).critical_path()
        for org in self.sandbox.orgs.values():
            org.faults.latency = self.latency
        before, started = self.requests(), time.monotonic()
        with self.app.app_context():
            result = engine.run(self.app, "launch", self.slug)
        wall = time.monotonic() - started
        if not result.ok:
            raise SystemExit(f"launch of {self.shape.name} failed: {result.failed}")
        requests = self.requests() - before
        before = self.requests()
        with self.app.app_context():
            if not engine.run(self.app, "launch", self.slug).ok:
                raise SystemExit(f"relaunch of {self.shape.name} failed")
        return Figures(requests, minimum, wall, critical, self.requests() - before, relaunch_minimum)

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


def measure(shape: Shape, latency: float) -> Figures:
    with tempfile.TemporaryDirectory(prefix="ln-bench-launch-") as folder:
        world = World(shape, Path(folder), latency)
        try:
            return world.measure()
        finally:
            world.stop()


def run(as_json: bool = False) -> dict:
    results = {}
    for shape in (REFERENCE, LARGE):
        at = {latency: measure(shape, latency) for latency in (0.0, LATENCY)}
        slow = at[LATENCY]
        results[shape.name] = {
            "requests": slow.requests, "minimum": slow.minimum,
            "relaunch_requests": slow.relaunch_requests, "relaunch_minimum": slow.relaunch_minimum,
            "wall_0ms_s": round(at[0.0].wall_s, 3), "wall_30ms_s": round(slow.wall_s, 3),
            "critical_path_requests": slow.critical_path_requests,
            "critical_path_30ms_s": round(slow.critical_path_s(LATENCY), 3),
            "naive_30ms_s": round(slow.requests * LATENCY, 3),
        }
    if as_json:
        print(json.dumps(results, indent=2))
    else:
        _print(results)
    return results


def _print(results: dict) -> None:
    print("Launch benchmark (first launch, then a relaunch that only verifies), sandbox latency 0 and 30 ms")
    for name, r in results.items():
        print(f"  {name}: {r['requests']} requests (minimum {r['minimum']}, +{_over(r['requests'], r['minimum'])}), "
              f"relaunch {r['relaunch_requests']} (minimum {r['relaunch_minimum']})")
        print(f"  {'':<{len(name)}}  wall {r['wall_0ms_s']:.2f} s at 0 ms, {r['wall_30ms_s']:.2f} s at 30 ms; "
              f"critical path {r['critical_path_requests']} requests = {r['critical_path_30ms_s']:.2f} s; "
              f"naive sequential {r['naive_30ms_s']:.2f} s")
    reference = results["reference"]
    print(f"Targets on the reference network: requests ≤ minimum + 5 % "
          f"({'met' if reference['requests'] <= reference['minimum'] * 1.05 else 'NOT met'}); wall at 30 ms ≤ 1.3 × "
          f"critical path ({'met' if reference['wall_30ms_s'] <= 1.3 * reference['critical_path_30ms_s'] else 'NOT met'})")


def _over(requests: int, minimum: int) -> str:
    return f"{100 * (requests - minimum) / minimum:.1f} %" if minimum else "-"


def main(argv: list[str]) -> None:
    """`python -m benchmarks launch [--json]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks launch", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    run(as_json=parser.parse_args(argv).json)
