"""The sync benchmark: many networks in the sandbox, then sync cycles whose requests and fetched objects are counted.

It builds `networks` networks of `members` members spread over three sandbox organisations, each with its own
Nextcloud stand-in. One network is launched in full (the real launch engine, timed); the others take a fast
path that writes only what the sync reads, straight through the connectors: the network calendar with its
meetings in the host's Nextcloud and a task list with its tasks in every organisation, journaled like the
launch does. Then it runs a first (full) sync, a cycle without changes, and cycles after k tasks were ticked
off over CalDAV, and prints the requests made against the minimum and the wall time.
"""
from __future__ import annotations

import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import flask_migrate
from cryptography.fernet import Fernet
from icalendar import Calendar

from connectors.http import close_sessions
from connectors.ical import render_event, render_todo
from connectors.oauth import Token
from extension import create_app
from extension.accounts.service import nextcloud_client, store_token
from extension.extensions import db
from extension.network_templates import NetworkSpec, get_template
from extension import engine
from extension.networks.models import STEP_DONE, TASK_WRITTEN, KnowledgeTask, LaunchStep, Meeting, Network, as_utc
from extension.networks.service import create_network
from extension.organisations import service as organisations
from extension.organisations.models import Organisation, utcnow
from extension.sync import service
from sandbox import Sandbox

CONNECTION_USER = "lerend-netwerk"
ORGANISATIONS = (  # sandbox key, name, kind, e-mail domain
    ("a", "Kinderopvang De Zonnebloem", "kinderopvang", "zonnebloem.example"),
    ("b", "Basisschool De Regenboog", "basisschool", "regenboog.example"),
    ("c", "Peuterspeelzaal Het Kompas", "peuterspeelzaal", "kompas.example"),
)


@dataclass
class Figures:
    label: str
    collections: int
    requests: int
    objects: int
    seconds: float
    # Requests to the busiest instance: its worker thread is the critical path of the cycle.
    busiest: int = 0

    def line(self, minimum: int | None = None) -> str:
        per = self.requests / self.collections if self.collections else 0
        text = (f"{self.label:<34} {self.collections:>4} collections  {self.requests:>5} requests "
                f"({per:.2f}/collection)  {self.objects:>5} objects fetched  {self.seconds:6.2f} s "
                f"(critical path {self.busiest} requests)")
        if minimum is not None:
            text += f"   minimum {minimum} requests"
        return text


class Bench:
    def __init__(self, root: Path, networks: int, members: int, database_url: str | None, seed: int):
        self.root = root
        self.count = networks
        self.members = members
        self.random = random.Random(seed)
        self.sandbox = Sandbox(root=root / "sandbox")
        for key, name, _, _ in ORGANISATIONS:
            org = self.sandbox.add_org(key, name=name)
            # Raised as appinfo.yml advises (settings_to_raise): an account owns a calendar per network.
            org.calendar_creation_limit = 100_000
            org.calendar_limit = -1
        self.app = create_app({
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{root / 'bench.sqlite'}",
            "ENCRYPTION_KEYS": [Fernet.generate_key().decode()], "SECRET_KEY": "bench",
            "JOBS_SQLITE": str(root / "jobs.sqlite"), "LOG_LEVEL": "WARNING",
        })
        self.app.instance_path = str(root / "instance")

    # -- setting up -------------------------------------------------------------------------------------------

    def start(self) -> None:
        self.sandbox.start()
        with self.app.app_context():
            flask_migrate.upgrade(directory=str(self.app.config["MIGRATIONS_DIR"]))
            for key, name, kind, domain in ORGANISATIONS:
                org = self.sandbox.org(key)
                for n in range(1, self.members + 1):
                    org.add_user(f"m{n:02d}", password="x", display_name=f"Lid {n} {name}", email=f"m{n:02d}@{domain}")
                org.add_user(CONNECTION_USER, password="x", display_name="Lerend Netwerk",
                             email=f"{CONNECTION_USER}@{domain}")
                client_id, secret = org.register_client("Lerend Netwerk", redirect_uri="http://127.0.0.1:5000/cb")
                organisation = organisations.add_organisation(organisations.OrganisationInput(
                    name=name, kind=kind, nextcloud_url=org.base_url, client_id=client_id, client_secret=secret,
                    connection_user=CONNECTION_USER))
                account = store_token(organisation, Token.from_response(org.issue_token(CONNECTION_USER, client_id)))
                account.email, account.display_name = f"{CONNECTION_USER}@{domain}", "Lerend Netwerk"
                organisation.connection_account_id = account.id
                db.session.commit()

    def create_networks(self) -> list[str]:
        template = get_template("doorgaande-lijn")
        slugs = []
        with self.app.app_context():
            known = {o.name: o.slug for o in db.session.query(Organisation)}
            for n in range(1, self.count + 1):
                spec = NetworkSpec.model_validate(self._spec(n, known))
                slugs.append(create_network(self.app, spec, template).network.slug)
        return slugs

    def _spec(self, n: int, known: dict[str, str]) -> dict:
        """Members spread over the three organisations in turn; the first of each is its manager."""
        members, managers = [], {}
        for i in range(self.members):
            key, name, _, domain = ORGANISATIONS[i % len(ORGANISATIONS)]
            uid = f"m{i // len(ORGANISATIONS) + 1:02d}"
            role = "kartrekker" if i == 0 else "manager" if name not in managers else "deelnemer"
            managers.setdefault(name, f"{uid}@{domain}")
            members.append({"name": f"Lid {uid} {name}", "email": f"{uid}@{domain}", "organisation": known[name],
                            "user": uid, "role": role, "expertise": ["pedagogisch medewerker", "leerkracht"][i % 2]})
        return {
            "name": f"Benchmarknetwerk {n:03d}", "topic": "Mondelinge taal", "question": "Hoe sluiten we aan?",
            "ambition": "Een doorgaande lijn.", "template": "doorgaande-lijn", "host": known[ORGANISATIONS[0][1]],
            "start": (date.today() + timedelta(days=14)).isoformat(), "place": "Zuilen",
            "kartrekker": members[0]["email"], "members": members,
            "commitments": [{"organisation": known[name], "manager": email, "hours_per_month": 4,
                             "podium": "teamoverleg"} for name, email in managers.items()],
        }

    def full_launch(self, slug: str) -> tuple[float, int, int]:
        """Launch one network with the real engine: (seconds, requests, steps)."""
        before = self._requests()
        started = time.monotonic()
        with self.app.app_context():
            result = engine.run(self.app, "launch", slug)
        if not result.ok:
            raise SystemExit(f"full launch failed: {result.failed}")
        return time.monotonic() - started, self._requests() - before, result.steps

    def fast_path(self, slugs: list[str]) -> tuple[float, int]:
        """Write calendars, meetings, task lists and tasks through the connectors, one thread per organisation,
        and journal them as the launch would: (seconds, requests)."""
        before = self._requests()
        started = time.monotonic()
        with self.app.app_context():
            work: dict[int, list] = {}
            clients = {}
            for slug in slugs:
                network = db.session.query(Network).filter_by(slug=slug).one()
                host = network.host_organisation
                year_end = network.starts_on + timedelta(days=365)
                account = host.connection_account
                stamp = as_utc(network.created_at)
                events = [(m.ical_uid, render_event(
                    m.ical_uid, f"{m.title} – {network.name}", m.start, m.end, organizer_email=account.email,
                    organizer_name=account.display_name, attendees=[(x.email, x.name) for x in network.memberships],
                    dtstamp=stamp)) for m in network.meetings if m.start.date() < year_end]
                work.setdefault(host.id, []).append(("calendar", network.calendar_uri, network.name, events))
                for organisation in {t.organisation for t in network.tasks if t.organisation.has_nextcloud}:
                    todos = [(t.ical_uid, render_todo(t.ical_uid, f"{t.title} ({t.assignee_name})", t.description,
                                                      due=t.due_on, dtstamp=stamp))
                             for t in network.tasks if t.organisation_id == organisation.id]
                    work.setdefault(organisation.id, []).append(
                        ("tasklist", network.tasklist_uri, f"{network.name} – taken", todos))
            for organisation_id in work:
                clients[organisation_id] = nextcloud_client(
                    self.app, db.session.get(Organisation, organisation_id).connection_account)
            threads = [threading.Thread(target=_write, args=(clients[oid], items)) for oid, items in work.items()]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            now = utcnow()
            for slug in slugs:
                network = db.session.query(Network).filter_by(slug=slug).one()
                for kind, organisation in [("calendar", network.host_organisation)] + [
                        ("tasklist", o) for o in {t.organisation for t in network.tasks if t.organisation.has_nextcloud}]:
                    label = "agenda" if kind == "calendar" else "takenlijst"
                    db.session.add(LaunchStep(network=network, key=f"{organisation.slug}/{kind}/{label}", kind=kind,
                                              organisation_id=organisation.id, position=0, label=label,
                                              status=STEP_DONE, attempts=1, finished_at=now))
                for task in network.tasks:
                    if task.organisation.has_nextcloud:
                        base = urlsplit(task.organisation.nextcloud_url).path.rstrip("/")
                        task.sync_state = TASK_WRITTEN
                        task.remote_href = (f"{base}/remote.php/dav/calendars/{CONNECTION_USER}/"
                                            f"{network.tasklist_uri}/{task.ical_uid}.ics")
                network.status = "active"
            db.session.commit()
        return time.monotonic() - started, self._requests() - before

    # -- measuring --------------------------------------------------------------------------------------------

    def cycle(self, label: str) -> Figures:
        log_sizes = {key: len(org.request_log) for key, org in self.sandbox.orgs.items()}
        with self.app.app_context():
            report = service.sync_all(self.app)
        if not report.ok:
            problems = [(r.network, r.organisation, r.outcome, r.error) for r in report.results if r.outcome != "synced"]
            raise SystemExit(f"{label}: not every collection synced: {problems[:5]}")
        per_instance = Counter({key: len(org.request_log) - log_sizes[key] for key, org in self.sandbox.orgs.items()})
        return Figures(label, len(report.results), sum(per_instance.values()), report.objects, report.seconds,
                       max(per_instance.values()))

    def complete_tasks(self, k: int) -> int:
        """Tick off k open tasks, chosen at random, over CalDAV as their organisation's connection; returns
        how many collections they are in."""
        with self.app.app_context():
            open_tasks = db.session.query(KnowledgeTask).filter(KnowledgeTask.sync_state == TASK_WRITTEN,
                                                                KnowledgeTask.status != "COMPLETED").all()
            tasks = [(t.organisation_id, t.network.tasklist_uri, t.ical_uid) for t in
                     self.random.sample(open_tasks, k)]
            clients = {oid: nextcloud_client(self.app, db.session.get(Organisation, oid).connection_account)
                       for oid in {t[0] for t in tasks}}
        when = datetime.now(timezone.utc)
        for organisation_id, uri, uid in tasks:
            calendars = clients[organisation_id].calendars
            current = calendars.get(uri, uid)
            todo = Calendar.from_ical(current.data).walk("VTODO")[0]
            ics = render_todo(uid, str(todo["summary"]), str(todo.get("description", "")), due=todo.decoded("due"),
                              dtstamp=when, status="COMPLETED", completed_at=when)
            calendars.update(uri, current.href, ics, current.etag)
        return len({(t[0], t[1]) for t in tasks})

    def _requests(self) -> int:
        return sum(len(org.request_log) for org in self.sandbox.orgs.values())

    def stop(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.sandbox.stop()
        close_sessions()


def _write(client, items) -> None:
    calendars = client.calendars
    for kind, uri, name, objects in items:
        calendars.ensure_calendar(uri, name, components=["VEVENT"] if kind == "calendar" else ["VTODO"])
        for uid, ics in objects:
            calendars.create_if_absent(uri, uid, ics)


def run(networks: int, members: int, changes: list[int], database_url: str | None, seed: int,
        as_json: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="ln-bench-") as folder:
        bench = Bench(Path(folder), networks, members, database_url, seed)
        bench.start()
        try:
            return _report(bench, networks, members, changes, as_json)
        finally:
            bench.stop()


def _report(bench: Bench, networks: int, members: int, changes: list[int], as_json: bool) -> dict:
    say = (lambda text="": print(text, file=sys.stderr, flush=True)) if as_json else print
    say(f"Sync benchmark: {networks} networks × {members} members over {len(ORGANISATIONS)} organisations, "
        f"each on its own sandbox Nextcloud")
    started = time.monotonic()
    slugs = bench.create_networks()
    say(f"  networks created in the database: {time.monotonic() - started:.1f} s")
    seconds, requests, steps = bench.full_launch(slugs[0])
    say(f"  full launch of 1 network (real engine): {steps} steps, {requests} requests, {seconds:.1f} s")
    seconds, requests = bench.fast_path(slugs[1:])
    say(f"  fast path for the other {networks - 1} (calendars, meetings, task lists, tasks via the connectors): "
        f"{requests} requests, {seconds:.1f} s")
    with bench.app.app_context():
        tasks = db.session.query(KnowledgeTask).filter_by(sync_state=TASK_WRITTEN).count()
        meetings = db.session.query(Meeting).count()
    say(f"  in Nextcloud: {tasks} tasks, {meetings} meetings (those within the first year are in the calendars)")
    say()
    cycles = []

    def record(figures: Figures, minimum: int, k: int | None = None) -> None:
        cycles.append({"label": figures.label, "collections": figures.collections, "requests": figures.requests,
                       "minimum": minimum, "objects": figures.objects, "seconds": round(figures.seconds, 2),
                       "changed_tasks": k})

    first = bench.cycle("first sync (everything is new)")
    say(first.line())
    say(f"{'':<34} (1 sync REPORT + ceil(n/200) multigets per collection; minimum {2 * first.collections})")
    record(first, 2 * first.collections)
    idle = bench.cycle("no changes")
    say(idle.line(minimum=idle.collections))
    record(idle, idle.collections)
    for k in changes:
        touched = bench.complete_tasks(k)
        figures = bench.cycle(f"{k} task(s) ticked off")
        say(figures.line(minimum=figures.collections + touched) + f"; objects fetched vs k: {figures.objects} vs {k}")
        record(figures, figures.collections + touched, k)
    return {"networks": networks, "members": members, "tasks": tasks, "cycles": cycles}


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks [sync]` with its scale from the command line."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks sync", description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=50)
    parser.add_argument("--members", type=int, default=20, help="members per network, over three organisations")
    parser.add_argument("--changes", default="1,10,100",
                        help="comma-separated numbers k of tasks ticked off before a sync cycle")
    parser.add_argument("--database", help="database URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print one JSON object (the lines go to stderr)")
    args = parser.parse_args(argv)
    if args.networks < 2 or args.members < 3:
        parser.error("--networks must be at least 2 and --members at least 3")
    try:
        changes = [int(k) for k in args.changes.split(",") if k.strip()]
    except ValueError:
        parser.error(f"--changes must be numbers separated by commas, not {args.changes!r}")
    result = run(args.networks, args.members, changes, args.database, args.seed, args.json)
    if args.json:
        print(json.dumps(result))
