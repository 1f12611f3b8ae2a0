"""The app as an admin installs it: a wheel in a fresh venv on PostgreSQL, onboarded with the CLI, served by
gunicorn with two workers, checked with `lerend-netwerk check` against the sandbox's two organisations.

One deployment per test module (and xdist worker): building it takes a few seconds, every check after that
a second. PostgreSQL is required with CI=true and skipped elsewhere when missing (tests/fixtures/app.py).
"""
from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from sandbox import Sandbox
from sandbox.demo import DEMO_ORGS, FUNCTIONAL_ACCOUNT, add_demo_orgs
from tests.extension.connected import sign_in_at_nextcloud
from tests.fixtures.app import _admin_execute, _postgres_url

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
STARTUP_LIMIT = 60  # seconds gunicorn may take to answer /healthz before the test gives up
READYZ_TOKEN = "monitoring-token"


def run(*args, check=True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    if check:
        assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def documented_gunicorn_command() -> list[str]:
    """The gunicorn command of the README's admin guide, as words."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = readme.split("## Admin guide", 1)[1].split("\n## ", 1)[0]
    line = next(line.strip() for line in guide.splitlines() if line.strip().startswith("gunicorn "))
    return shlex.split(line)


def install_wheel(tmp: Path) -> Path:
    """The project's wheel in a venv of its own; dependencies from the test venv, as tests/test_packaging.py."""
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp / "dist"), str(ROOT))
    wheel = next((tmp / "dist").glob("lerend_netwerk-*.whl"))
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    purelib = Path(run(str(venv / "bin" / "python"), "-c",
                       "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps", "--quiet",
        str(wheel))
    return venv


@dataclass
class Deployment:
    venv: Path
    env: dict
    cwd: Path
    app_url: str
    database_url: str
    sandbox: Sandbox
    slugs: dict  # sandbox key → organisation slug
    gunicorn: subprocess.Popen | None = None

    def cli(self, *args, check=True, stdin=None) -> subprocess.CompletedProcess:
        return run(str(self.venv / "bin" / "lerend-netwerk"), "--lang", "en", *args, check=check, env=self.env,
                   cwd=self.cwd, input=stdin)

    def connect(self, key: str) -> None:
        """Authorise the organisation connection through the served app, as the functional account would."""
        browser = requests.Session()
        login = browser.get(f"{self.app_url}/auth/login", timeout=30).text
        token = re.search(r'name="csrf-token" content="([^"]+)"', login).group(1)
        start = browser.post(f"{self.app_url}/organisations/{self.slugs[key]}/connect", allow_redirects=False,
                             data={"csrf_token": token}, timeout=30)
        assert start.status_code == 302, start.text
        callback = sign_in_at_nextcloud(start.headers["Location"], FUNCTIONAL_ACCOUNT, FUNCTIONAL_ACCOUNT)
        done = browser.get(callback, allow_redirects=False, timeout=30)
        assert done.status_code == 302 and "/organisations" in done.headers["Location"], done.text


def start_gunicorn(venv: Path, env: dict, cwd: Path, port: int, log: Path) -> subprocess.Popen:
    """The README's command, with two workers on a free port instead of its own choice."""
    words = documented_gunicorn_command()
    assert words[0] == "gunicorn" and "extension:create_app()" in words
    options = []
    skip = False
    for word in words[1:]:
        if skip:
            skip = False
        elif word in ("--workers", "-w", "--bind", "-b"):  # --bind adds to a list: replace, not append
            skip = True
        else:
            options.append(word)
    command = [str(venv / "bin" / "python"), "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
               *options]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_until_serving(process, port, log)
    except BaseException:
        stop(process)
        raise
    return process


def wait_until_serving(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or the workers still start
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {STARTUP_LIMIT} s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, worker_id):
    tmp = tmp_path_factory.mktemp("production")
    database_name = f"ln_prod_{uuid.uuid4().hex[:12]}_{worker_id}"
    database_url = _postgres_url(database_name)
    venv = install_wheel(tmp)
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": "", "DATABASE_URL": database_url,
           "LN_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "LN_SECRET_KEY": "production-test-secret",
           "LN_APP_URL": app_url, "LN_JOBS_SQLITE": str(tmp / "jobs.sqlite"), "LN_HTTP_TIMEOUT": "[2, 10]",
           "LN_READYZ_TOKEN": READYZ_TOKEN}
    sandbox = Sandbox(root=tmp / "sandbox")
    add_demo_orgs(sandbox)
    sandbox.start()
    gunicorn = None
    try:
        deployed = Deployment(venv, env, tmp, app_url, database_url, sandbox, {})
        deployed.cli("db", "upgrade")
        for demo in DEMO_ORGS:
            org = sandbox.org(demo.key)
            client_id, client_secret = org.register_client("Lerend Netwerk", redirect_uri=f"{app_url}/oauth/callback")
            secret_file = tmp / f"secret-{demo.key}"
            secret_file.write_text(client_secret)
            added = deployed.cli("org", "add", demo.name, "--kind", demo.kind, "--nextcloud", org.base_url,
                                 "--client-id", client_id, "--client-secret-file", str(secret_file))
            deployed.slugs[demo.key] = re.search(r"\(([a-z0-9-]+)\)", added.stdout).group(1)
        gunicorn = start_gunicorn(venv, env, tmp, port, tmp / "gunicorn.log")
        for key in deployed.slugs:
            deployed.connect(key)
        deployed.gunicorn = gunicorn
        yield deployed
    finally:
        if gunicorn is not None:
            stop(gunicorn)
        sandbox.stop()
        _admin_execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')


def line_of(output: str, slug: str, name: str) -> str:
    """The report line of check `name` for organisation `slug` (lines are STATUS  SCOPE  NAME  MESSAGE)."""
    for line in output.splitlines():
        if re.match(rf"^\S+\s+{re.escape(slug)}\s+{re.escape(name)}\s{{2,}}", line):
            return line
    raise AssertionError(f"no line for {slug} {name} in:\n{output}")


def test_the_installed_app_carries_the_manifest_and_its_version(deployment):
    installed = run(str(deployment.venv / "bin" / "python"), "-c",
                    "import importlib.metadata as m, extension.appinfo as a; "
                    "print(m.version('lerend-netwerk'), a.load().version, a.appinfo_path())",
                    env=deployment.env, cwd=deployment.cwd).stdout.split()
    assert installed[0] == installed[1]
    assert installed[2].startswith(str(deployment.venv))
    assert "valid — lerend-netwerk" in deployment.cli("appinfo", "check").stdout


def test_check_passes_for_both_connected_organisations(deployment):
    result = deployment.cli("check", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for slug in deployment.slugs.values():
        for name in ("reachable", "version", "maintenance", "connection", "app dav", "app files_sharing", "clock"):
            assert line_of(result.stdout, slug, name).startswith("ok "), result.stdout


def test_gunicorn_serves_two_workers_and_readyz_reports_each_dependency(deployment):
    workers = Path(f"/proc/{deployment.gunicorn.pid}/task/{deployment.gunicorn.pid}/children").read_text().split()
    assert len(workers) == 2
    assert requests.get(f"{deployment.app_url}/readyz", timeout=30).json() == {"status": "ok"}
    body = readyz_after_the_workers_checks(deployment)
    assert body["status"] == "ok", body
    for name in ("database", "schema", "job_queue"):
        assert body["checks"][name]["ok"] is True, body
    assert set(body["organisations"]) == set(deployment.slugs.values())
    for report in body["organisations"].values():
        assert report["ok"] and {c["name"] for c in report["checks"]} >= {
            "reachable", "version", "maintenance", "connection", "app dav", "clock"}


def readyz_after_the_workers_checks(deployment) -> dict:
    """/readyz's details once `lerend-netwerk worker` has checked every organisation in the background."""
    worker = subprocess.Popen([str(deployment.venv / "bin" / "lerend-netwerk"), "worker"], env=deployment.env,
                              cwd=deployment.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_LIMIT
        while True:
            response = requests.get(f"{deployment.app_url}/readyz", timeout=30,
                                    headers={"Authorization": f"Bearer {READYZ_TOKEN}"})
            assert response.status_code == 200, response.text
            body = response.json()
            if all(o["checked_at"] for o in body["organisations"].values()):
                return body
            assert time.monotonic() < deadline, f"the worker did not check the organisations: {body}"
            time.sleep(0.5)
    finally:
        stop(worker)


def test_pages_served_by_gunicorn_may_be_framed_by_both_nextclouds(deployment):
    policy = requests.get(f"{deployment.app_url}/", timeout=30).headers["Content-Security-Policy"]
    for key in deployment.slugs:
        assert deployment.sandbox.org(key).base_url in policy


def test_check_fails_for_an_unreachable_host(deployment):
    secret = deployment.cwd / "secret-unreachable"
    secret.write_text("s")
    deployment.cli("org", "add", "Onbereikbaar", "--nextcloud", f"http://127.0.0.1:{free_port()}",
                   "--client-id", "c", "--client-secret-file", str(secret))
    try:
        result = deployment.cli("check", "onbereikbaar", check=False)
    finally:
        engine = create_engine(deployment.database_url)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM organisations WHERE slug = 'onbereikbaar'"))
        engine.dispose()
    assert result.returncode == 1
    line = line_of(result.stdout, "onbereikbaar", "reachable")
    assert line.startswith("FAIL") and "connection refused" in line and "→ fix:" in line


def test_check_fails_for_maintenance_mode(deployment):
    deployment.sandbox.org("a").faults.maintenance = True
    try:
        result = deployment.cli("check", deployment.slugs["a"], check=False)
    finally:
        deployment.sandbox.org("a").faults.maintenance = False
    assert result.returncode == 1
    assert line_of(result.stdout, deployment.slugs["a"], "maintenance").startswith(
        "FAIL") and "Nextcloud is in maintenance mode" in result.stdout


def test_check_fails_for_a_missing_required_app(deployment):
    state = deployment.sandbox.org("a").state
    state.enabled_apps.discard("files_sharing")
    try:
        result = deployment.cli("check", deployment.slugs["a"], check=False)
    finally:
        state.enabled_apps.add("files_sharing")
    assert result.returncode == 1
    line = line_of(result.stdout, deployment.slugs["a"], "app files_sharing")
    assert line.startswith("FAIL") and "occ app:enable files_sharing" in line


def test_check_fails_for_an_unsupported_version(deployment):
    state = deployment.sandbox.org("b").state
    version, state.version = state.version, (27, 1, 11)
    try:
        result = deployment.cli("check", deployment.slugs["b"], check=False)
    finally:
        state.version = version
    assert result.returncode == 1
    line = line_of(result.stdout, deployment.slugs["b"], "version")
    assert line.startswith("FAIL") and "Nextcloud 27.1.11 is not supported (this release supports 28–32)" in line


def test_check_fails_for_a_revoked_organisation_connection_until_it_is_authorised_again(deployment):
    deployment.sandbox.org("b").revoke_grants(FUNCTIONAL_ACCOUNT)
    result = deployment.cli("check", deployment.slugs["b"], check=False)
    assert result.returncode == 1
    line = line_of(result.stdout, deployment.slugs["b"], "connection")
    assert line.startswith("FAIL") and "refused the organisation connection" in line
    deployment.connect("b")
    assert deployment.cli("check", deployment.slugs["b"], check=False).returncode == 0
