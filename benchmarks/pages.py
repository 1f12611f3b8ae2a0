"""The pages benchmark: every page people use, at 1,000 networks × 20 members, over real HTTP against gunicorn.

The database (PostgreSQL) is filled through the app's own services: each network is a network file (the
import format, checked by its schema) created with `create_network` (phases, meetings, the current phase's
knowledge tasks), with the tasks of the phases it went through added by `add_phase_tasks` as each advance
does; then, a hundred networks at a time, marked launched, its tasks written and a share ticked off, its
meetings answered, with the ORM's bulk updates (see `fill`). The filled database is kept as a pg_dump in
.bench-cache/, keyed by a hash of what the fill depends on (`FILL_SOURCES`, size, seed and day); the next run
restores it instead of filling again (`--no-cache` fills anyway). People sign in through the sandbox's
OAuth pages exactly as in production; the sandbox is not asked anything while pages render. Each page is
requested `--requests` times; the gunicorn workers count the SQL statements of every request (see
benchmarks.pages_app) and the figures printed are p50, p95 and statements per request.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parents[1]
ORGANISATIONS = (  # sandbox key, name, kind, e-mail domain
    ("a", "Kinderopvang De Zonnebloem", "kinderopvang", "zonnebloem.example"),
    ("b", "Basisschool De Regenboog", "basisschool", "regenboog.example"),
    ("c", "Jeugdhulp Het Anker", "jeugdhulp", "anker.example"),
)
# Everyone signing in: the kartrekker of every network, a participant in about 23, a manager, an admin.
KARTREKKER, PARTICIPANT, MANAGER, ADMIN = "anna", "bram", "daan", "beheer"
PEOPLE_PER_ORGANISATION = 290  # 1,000 networks × 20 members over 870 people: 23 networks each on average
DONE_SHARE, DONE_SHARE_EARLIER = 0.4, 0.85  # ticked off: in the current phase, in earlier ones
STARTED_WITHIN_DAYS = 400  # start dates spread over the template's 47 weeks and a little after
POSTGRES_ADMIN_URL = os.environ.get("LN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class PageFigures:
    path: str
    who: str
    p50_ms: float
    p95_ms: float
    queries: int
    status: int
    # Measured inside the gunicorn worker (benchmarks.pages_app), medians: its CPU time for the request, and
    # the wall time it waited for SQL results.
    cpu_p50_ms: float = 0.0
    db_p50_ms: float = 0.0

    def line(self) -> str:
        return (f"{self.path:<46} {self.who:<12} p50 {self.p50_ms:7.1f} ms   p95 {self.p95_ms:7.1f} ms   "
                f"{self.queries:>3} queries   worker CPU {self.cpu_p50_ms:5.1f} ms   SQL {self.db_p50_ms:5.1f} ms   "
                f"HTTP {self.status}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def person(org_key: str, index: int) -> str:
    """The Nextcloud user id of a generated person; the first few are the demo people who sign in."""
    return f"{org_key}{index:03d}"


def network_file(number: int, rng: random.Random, domains: dict[str, str], slugs: dict[str, str],
                 start: date) -> str:
    """The network file of network `number`: Anna leads it, Bram takes part in every 43rd, Daan manages A."""
    members = [("Anna de Vries", f"{KARTREKKER}@{domains['a']}", slugs["a"], KARTREKKER, "kartrekker")]
    if number % 43 == 0:
        members.append(("Bram Jansen", f"{PARTICIPANT}@{domains['a']}", slugs["a"], PARTICIPANT, "deelnemer"))
    members.append(("Daan Visser", f"{MANAGER}@{domains['a']}", slugs["a"], MANAGER, "manager"))
    chosen: set[tuple[str, int]] = set()
    while len(members) < 20:
        key = "abc"[len(members) % 3]
        index = rng.randrange(10, PEOPLE_PER_ORGANISATION)
        if (key, index) in chosen:
            continue
        chosen.add((key, index))
        uid = person(key, index)
        members.append((f"Deelnemer {uid.upper()}", f"{uid}@{domains[key]}", slugs[key], uid, "deelnemer"))
    lines = "\n".join(f"  - {{name: {n}, email: {e}, organisation: {o}, user: {u}, role: {r}, "
                      f"expertise: pedagogisch medewerker}}" for n, e, o, u, r in members)
    return f"""\
name: Netwerk {number:04d} taal en spel
topic: Mondelinge taal
question: Hoe sluit de taalaanpak van peuters aan op die van kleuters?
ambition: Elk kind start in groep 1 met een aanpak die het al kent.
template: doorgaande-lijn
host: {slugs['a']}
start: {start.isoformat()}
place: De Zonnebloem
kartrekker: {KARTREKKER}@{domains['a']}
members:
{lines}
commitments:
  - {{organisation: {slugs['a']}, manager: {MANAGER}@{domains['a']}, hours_per_month: 4, podium: teamoverleg}}
"""


BATCH = 100  # networks whose launch and sync are recorded together


def fill(app, slugs: dict[str, str], domains: dict[str, str], networks: int, seed: int,
         report: Callable[[str], None], first: int = 0) -> None:
    """Create `networks` networks (numbered from `first`) with the services, mark them launched and tick a
    share of their tasks.

    Every network is a network file (the import format) validated by the same schema as
    `network create --from FILE.yml` and stored by `create_network`; the first file goes through the loader
    with its line-numbered parser, the rest through the C YAML parser (same data, a fraction of the time).
    What a launch and later syncs record (status, tasks written, ticks, replies) is then written in batches
    with the ORM's bulk updates by primary key. Commits skip the wait for the disk (synchronous_commit off
    on the fill's own connections): a benchmark database needs no durability.
    """
    import yaml
    from sqlalchemy import event

    from extension.extensions import db
    from extension.network_templates import check_network_references, get_template, load_network_file
    from extension.network_templates.schema import NetworkSpec
    from extension.networks.models import KnowledgeTask, Network
    from extension.networks.service import create_network

    rng = random.Random(seed)
    template = get_template("doorgaande-lijn")
    folder = Path(tempfile.mkdtemp(prefix="ln-bench-files-"))
    started = time.perf_counter()
    today = date.today()
    with app.app_context():
        engine = db.engine
        engine.dispose()  # new connections get the setting below
        postgres = engine.dialect.name == "postgresql"

        def no_disk_wait(connection, record):
            if postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SET synchronous_commit TO off")
                connection.commit()

        event.listen(engine, "connect", no_disk_wait)
        try:
            created: list[int] = []
            for number in range(first, first + networks):
                start = today - timedelta(days=rng.randrange(0, STARTED_WITHIN_DAYS))
                text = network_file(number, rng, domains, slugs, start)
                if number == first:
                    path = folder / f"netwerk-{number}.yml"
                    path.write_text(text, encoding="utf-8")
                    spec = load_network_file(path, organisations=slugs.values(), templates=[template.id])
                else:
                    spec = NetworkSpec.model_validate(yaml.load(text, Loader=yaml.CSafeLoader))
                    check_network_references(spec, organisations=slugs.values(), templates=[template.id])
                network = create_network(app, spec, template).network
                _earlier_phases_tasks(network, template)
                created.append(network.id)
                db.session.expunge_all()
                if len(created) == BATCH or number == first + networks - 1:
                    _as_launched_and_synced(created, rng)
                    created = []
                if (number + 1 - first) % 100 == 0:
                    report(f"  {number + 1} networks filled ({time.perf_counter() - started:.0f} s)")
            tasks = db.session.query(KnowledgeTask).count()
            report(f"  filled: {db.session.query(Network).count()} networks, {tasks} knowledge tasks "
                   f"in {time.perf_counter() - started:.0f} s")
        finally:
            event.remove(engine, "connect", no_disk_wait)
            db.session.remove()
            engine.dispose()


def _earlier_phases_tasks(network, template) -> None:
    """The knowledge tasks of the phases a network has gone through, as each advance created them."""
    from extension.extensions import db
    from extension.networks.service import add_phase_tasks

    current = network.current_phase
    earlier = [phase for phase in network.phases if phase.position < current.position]
    for phase in earlier:
        add_phase_tasks(network, template, phase)
    if earlier:
        db.session.commit()


def _as_launched_and_synced(network_ids: list[int], rng: random.Random) -> None:
    """What a launch and later syncs record for these networks: active, tasks written, some ticked off, every
    meeting answered by its members. Bulk updates by primary key: one statement per table, many rows."""
    from sqlalchemy import select, update

    from extension.extensions import db
    from extension.networks.models import (TASK_APP_ONLY, TASK_WRITTEN, KnowledgeTask, Meeting, Membership,
                                           Network, Phase)

    now = datetime.now(timezone.utc)
    db.session.execute(update(Network), [{"id": nid, "status": "active", "launched_at": now} for nid in network_ids])
    tasks = []
    current = (Phase.network_id == KnowledgeTask.network_id) & (Phase.key == Network.current_phase_key)
    for task_id, sync_state, in_current_phase in db.session.execute(
            select(KnowledgeTask.id, KnowledgeTask.sync_state, KnowledgeTask.phase_id == Phase.id)
            .join(Network, Network.id == KnowledgeTask.network_id).join(Phase, current)
            .where(KnowledgeTask.network_id.in_(network_ids)).order_by(KnowledgeTask.id)):
        row = {"id": task_id, "sync_state": sync_state if sync_state == TASK_APP_ONLY else TASK_WRITTEN,
               "status": "NEEDS-ACTION", "percent_complete": 0, "completed_at": None}
        if rng.random() < (DONE_SHARE if in_current_phase else DONE_SHARE_EARLIER):
            # Ticked off this month in the current phase, in the months before in earlier ones.
            days_ago = rng.randrange(0, 30) if in_current_phase else rng.randrange(30, STARTED_WITHIN_DAYS)
            row.update(status="COMPLETED", percent_complete=100, completed_at=now - timedelta(days=days_ago))
        tasks.append(row)
    db.session.execute(update(KnowledgeTask), tasks)
    emails: dict[int, list[str]] = {}
    for network_id, email in db.session.execute(
            select(Membership.network_id, Membership.email).where(Membership.network_id.in_(network_ids))
            .order_by(Membership.network_id, Membership.position)):
        emails.setdefault(network_id, []).append(email.casefold())
    meetings = [{"id": meeting_id, "replies": {e: rng.choice(["ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION"])
                                               for e in emails.get(network_id, [])}}
                for meeting_id, network_id in db.session.execute(
                    select(Meeting.id, Meeting.network_id).where(Meeting.network_id.in_(network_ids))
                    .order_by(Meeting.id))]
    db.session.execute(update(Meeting), meetings)
    db.session.commit()


@contextmanager
def gunicorn(database_url: str, port: int, env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """The app under gunicorn on loopback `port`, statements counted per request."""
    environment = dict(os.environ, DATABASE_URL=database_url, **env)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "benchmarks.pages_app:app"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {process.stderr.read()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def sign_in(base: str, organisation_slug: str, uid: str) -> requests.Session:
    """Sign in as `uid` through the app's login and the sandbox's OAuth pages (password = uid)."""
    http = requests.Session()
    page = http.get(f"{base}/auth/login", timeout=10)
    page.raise_for_status()
    csrf = _hidden_field(page.text, "csrf_token")
    start = http.post(f"{base}/auth/login/{organisation_slug}", data={"csrf_token": csrf} if csrf else None,
                      allow_redirects=False, timeout=10)
    if start.status_code != 302:
        raise RuntimeError(f"sign-in did not start: HTTP {start.status_code}")
    callback = _through_sandbox(start.headers["Location"], uid)
    back = http.get(callback, allow_redirects=True, timeout=10)
    back.raise_for_status()
    return http


def _through_sandbox(authorize_url: str, uid: str) -> str:
    """Log in at the sandbox and grant access; returns the app's callback URL."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code in (301, 302, 303):
            url = urljoin(url, response.headers["Location"])
            if "/oauth/callback" in url:
                return url
            continue
        form_action = _form_action(response.text) or url
        fields = _hidden_fields(response.text)
        if 'name="password"' in response.text:
            fields.update(user=uid, password=uid)
        else:
            fields.setdefault("decision", "allow")
        posted = browser.post(urljoin(url, form_action), data=fields, allow_redirects=False, timeout=10)
        if posted.status_code not in (301, 302, 303):
            raise RuntimeError(f"the sandbox's sign-in answered HTTP {posted.status_code}")
        url = urljoin(url, posted.headers["Location"])
        if "/oauth/callback" in url:
            return url
    raise RuntimeError("the sandbox's sign-in never came back to the app")


def _hidden_fields(html: str) -> dict[str, str]:
    import re

    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' in tag or "type='hidden'" in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name:
                fields[name.group(1)] = value.group(1) if value else ""
        elif 'type="submit"' in tag and 'name="' in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            fields.setdefault(name.group(1), value.group(1) if value else "")
    for name, value in re.findall(r'<button[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        fields.setdefault(name, value)
    return fields


def _hidden_field(html: str, name: str) -> str | None:
    return _hidden_fields(html).get(name)


def _form_action(html: str) -> str | None:
    import re

    match = re.search(r'<form[^>]*action="([^"]*)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def measure(http: requests.Session, base: str, path: str, who: str, count: int) -> PageFigures:
    timings, queries, cpu, sql, status = [], [], [], [], 0
    for _ in range(2):  # warm both workers' caches
        http.get(base + path, timeout=30)
    for _ in range(count):
        started = time.perf_counter()
        response = http.get(base + path, timeout=30, allow_redirects=False)
        timings.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        queries.append(int(response.headers.get("X-Bench-Queries", "-1")))
        cpu.append(float(response.headers.get("X-Bench-CPU-Ms", "0")))
        sql.append(float(response.headers.get("X-Bench-DB-Ms", "0")))
    timings.sort()
    return PageFigures(path=path, who=who, p50_ms=round(statistics.median(timings), 1),
                       p95_ms=round(timings[int(len(timings) * 0.95) - 1], 1), queries=max(queries),
                       status=status, cpu_p50_ms=round(statistics.median(cpu), 1),
                       db_p50_ms=round(statistics.median(sql), 1))


CACHE = ROOT / ".bench-cache"
# What the filled database depends on: the fill (this file), the schema, the services and model it goes
# through, and the template. A change to any of them, another size or seed, or another day (dates are
# relative to today) makes a new fill.
FILL_SOURCES = ("benchmarks/pages.py", "extension/migrations/versions", "extension/networks/service.py",
                "extension/networks/models.py", "extension/networks/schedule.py", "extension/network_templates",
                "extension/organisations", "templates/doorgaande-lijn")


def _cached_fill(networks: int, seed: int) -> Path:
    """Where the dump of this fill is kept (it may not exist yet): keyed by a hash of what the fill depends on."""
    digest = hashlib.sha256(f"{networks}:{seed}:{date.today().isoformat()}".encode())
    for source in FILL_SOURCES:
        path = ROOT / source
        for file in sorted(path.rglob("*") if path.is_dir() else [path]):
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes())
    return CACHE / f"pages-{networks}-{digest.hexdigest()[:16]}.dump"


def _libpq(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def _save(database_url: str, dump: Path) -> None:
    CACHE.mkdir(exist_ok=True)
    partial = dump.with_suffix(".partial")
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}", _libpq(database_url)],
                   check=True, timeout=600)
    partial.replace(dump)
    prefix = dump.name.rsplit("-", 1)[0]  # pages-<networks>: older fills of this size are stale now
    for stale in CACHE.glob(f"{prefix}-*.dump"):
        if stale != dump:
            stale.unlink()


def _restore(dump: Path, database_url: str) -> None:
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(database_url)}", str(dump)],
                   check=True, timeout=600)


def _reconnect(sandbox, clients: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Point the restored organisations at this run's sandbox: its addresses and OAuth clients. The client
    secrets are written anew, encrypted with this run's key (an update, without reading the old ones)."""
    from sqlalchemy import select, update

    from extension.extensions import db
    from extension.organisations.models import Organisation

    slugs = {}
    for org_key, org_name, _, _ in ORGANISATIONS:
        slug = db.session.scalar(select(Organisation.slug).where(Organisation.name == org_name))
        client_id, secret = clients[org_key]
        db.session.execute(update(Organisation).where(Organisation.slug == slug).values(
            nextcloud_url=sandbox.org(org_key).base_url, client_id=client_id, client_secret=secret))
        slugs[org_key] = slug
    db.session.commit()
    return slugs


def _pages(app, slugs: dict[str, str]) -> list[tuple[str, str]]:
    """(who, path) of every page measured, with the rows they show taken from the filled database."""
    from sqlalchemy import select

    from extension.extensions import db
    from extension.networks.models import Network

    with app.app_context():
        first = db.session.scalars(select(Network.slug).order_by(Network.id).limit(1)).one()
        link = _personal_link(app, first)
    pages = [
        (PARTICIPANT, "/"),
        (KARTREKKER, "/"),
        (KARTREKKER, "/networks"),
        (KARTREKKER, f"/networks/{first}"),
        (MANAGER, f"/organisations/{slugs['a']}"),
        (ADMIN, "/admin/organisations"),
        (ADMIN, "/admin/templates"),
        (ADMIN, "/admin/health"),
        (ADMIN, "/admin/jobs"),
    ]
    pages.append((f"link {link}", "/"))
    return pages


def _personal_link(app, slug: str) -> str:
    """A personal link (as the welcome mail carries) of a member who is not on the host's Nextcloud."""
    from sqlalchemy import select

    from extension.extensions import db
    from extension.links import service as links
    from extension.networks.models import Network

    with app.app_context():
        network = db.session.scalars(select(Network).where(Network.slug == slug)).one()
        member = next(m for m in network.memberships if m.organisation_id != network.host_organisation_id)
        link = links.issue(network.id, member.email, member.name)
        db.session.commit()
        return "/l/" + links.token_for(link)


def run(networks: int = 1000, requests_per_page: int = 200, seed: int = 7, as_json: bool = False,
        use_cache: bool = True) -> dict:
    import flask_migrate
    from cryptography.fernet import Fernet

    from extension import create_app
    from extension.organisations import service as organisations
    from sandbox import Sandbox

    say = (lambda text: print(text, file=sys.stderr, flush=True)) if as_json else print
    name = f"ln_bench_pages_{os.getpid()}"
    database_url = fresh_database(name)
    root = Path(tempfile.mkdtemp(prefix="ln-bench-pages-"))
    port = _free_port()
    app_url = f"http://127.0.0.1:{port}"
    key = Fernet.generate_key().decode()
    env = {"LN_SECRET_KEY": "bench-" + key, "LN_ENCRYPTION_KEYS": json.dumps([key]), "LN_APP_URL": app_url,
           "LN_LOG_LEVEL": "WARNING"}
    sandbox = Sandbox(root=root / "sandbox")
    domains, slugs = {}, {}
    try:
        for org_key, org_name, _, domain in ORGANISATIONS:
            org = sandbox.add_org(org_key, name=org_name)
            domains[org_key] = domain
            for uid, display in ((KARTREKKER, "Anna de Vries"), (PARTICIPANT, "Bram Jansen"),
                                 (MANAGER, "Daan Visser"), (ADMIN, "Beheer")):
                if org_key == "a":
                    org.add_user(uid, password=uid, display_name=display, email=f"{uid}@{domain}")
        sandbox.start()
        settings = {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": env["LN_SECRET_KEY"],
                    "ENCRYPTION_KEYS": [key], "APP_URL": app_url, "JOBS_IMMEDIATE": True,
                    "JOBS_SQLITE": str(root / "jobs.sqlite")}
        app = create_app(settings)
        app.instance_path = str(root / "instance")
        load_before = os.getloadavg()
        started = time.perf_counter()
        dump = _cached_fill(networks, seed) if use_cache else None
        restored = dump is not None and dump.exists()
        clients = {}
        for org_key, org_name, kind, _ in ORGANISATIONS:
            clients[org_key] = sandbox.org(org_key).register_client("Lerend Netwerk",
                                                                    redirect_uri=app_url + "/oauth/callback")
        if restored:
            say(f"Restoring the filled database ({networks} networks × 20 members) from {dump.relative_to(ROOT)} …")
            _restore(dump, database_url)
            with app.app_context():
                slugs.update(_reconnect(sandbox, clients))
        else:
            with app.app_context():
                flask_migrate.upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
                for org_key, org_name, kind, _ in ORGANISATIONS:
                    client_id, secret = clients[org_key]
                    created = organisations.add_organisation(organisations.OrganisationInput(
                        name=org_name, kind=kind, nextcloud_url=sandbox.org(org_key).base_url, client_id=client_id,
                        client_secret=secret))
                    slugs[org_key] = created.slug
            say(f"Filling PostgreSQL with {networks} networks × 20 members …")
            fill(app, slugs, domains, networks, seed, say)
            if dump is not None:
                _save(database_url, dump)
                say(f"  kept as {dump.relative_to(ROOT)} for the next run (--no-cache fills again)")
        with app.app_context():
            # Statistics for the planner, as a database in use has them (neither a fill nor a restore makes them).
            from sqlalchemy import text

            from extension.extensions import db

            db.session.execute(text("ANALYZE"))
            db.session.commit()
        fill_s = time.perf_counter() - started
        env["LN_ADMINS"] = json.dumps([f"{slugs['a']}:{ADMIN}"])
        with app.app_context():
            from extension.extensions import db
            from extension.networks.models import KnowledgeTask

            tasks = db.session.query(KnowledgeTask).count()
        figures = []
        with gunicorn(database_url, port, env, workers=2) as base:
            sessions = {}
            for who, path in _pages(app, slugs):
                if who.startswith("link "):
                    http = requests.Session()
                    http.get(base + who.split(" ", 1)[1], timeout=10).raise_for_status()  # signs the holder in
                    who = "link holder"
                else:
                    if who not in sessions:
                        sessions[who] = sign_in(base, slugs["a"], who)
                    http = sessions[who]
                result = measure(http, base, path, who, requests_per_page)
                figures.append(result)
                say(result.line())
        load_after = os.getloadavg()
        say(f"load average (1 min) {load_before[0]:.1f} before the fill, {load_after[0]:.1f} after the pages; "
            f"{os.cpu_count()} CPUs")
        return {"networks": networks, "members_per_network": 20, "knowledge_tasks": tasks,
                "requests_per_page": requests_per_page, "fill_s": round(fill_s, 1),
                "fill_from_cache": restored,
                "load_average": [round(load_before[0], 2), round(load_after[0], 2)], "cpus": os.cpu_count(),
                "pages": [asdict(f) for f in figures]}
    finally:
        sandbox.stop()
        drop_database(name)


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks pages [--networks N] [--requests N] [--json]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks pages", description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--json", action="store_true", help="print one JSON object (the lines go to stderr)")
    parser.add_argument("--no-cache", action="store_true",
                        help="fill the database even when .bench-cache/ holds a dump of the same fill")
    args = parser.parse_args(argv)
    result = run(args.networks, args.requests, as_json=args.json, use_cache=not args.no_cache)
    if args.json:
        print(json.dumps(result))
