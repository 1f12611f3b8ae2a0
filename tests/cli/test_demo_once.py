"""One demo per checkout: a second `lerend-netwerk demo` refuses before it touches a file and the first keeps
working; the command line next to a running demo uses the demo's database without any variable."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

SCRIPT = os.path.join(os.path.dirname(sys.executable), "lerend-netwerk")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_env(instance) -> dict:
    env = {**os.environ, "LN_INSTANCE_PATH": str(instance), "LANG": "C.UTF-8"}
    for name in ("LC_ALL", "LC_MESSAGES", "DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    return env


@pytest.fixture
def running_demo(tmp_path):
    instance, port = tmp_path / "instance", free_port()
    out = open(tmp_path / "demo1.out", "w")
    demo = subprocess.Popen([SCRIPT, "demo", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                            env=demo_env(instance), cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not (instance / "demo.json").exists():
            assert demo.poll() is None, (tmp_path / "demo1.out").read_text()
            assert time.monotonic() < deadline, "the demo did not start in time"
            time.sleep(0.2)
        yield demo, instance, port
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(60)
        out.close()


def _fingerprint(path):
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def test_a_second_demo_refuses_and_the_first_keeps_working(running_demo, tmp_path):
    demo, instance, port = running_demo
    database = instance / "demo.sqlite"
    before = _fingerprint(database)
    second = subprocess.run([SCRIPT, "demo", "--port", str(free_port())], capture_output=True, text=True,
                            env=demo_env(instance), cwd=tmp_path, timeout=120)
    assert second.returncode == 1
    assert second.stderr.startswith("Er draait al een demo in deze map (proces ")
    assert second.stdout == ""
    assert demo.poll() is None
    assert _fingerprint(database)[0] == before[0], "the running demo's database was replaced"
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    state = json.loads((instance / "demo.json").read_text())
    assert state["pid"] == demo.pid


def test_the_command_line_next_to_a_running_demo_uses_its_database(running_demo, tmp_path):
    _demo, instance, _port = running_demo
    listed = subprocess.run([SCRIPT, "network", "list"], capture_output=True, text=True, env=demo_env(instance),
                            cwd=tmp_path, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "doorgaande-lijn-taal" in listed.stdout


def test_a_demo_on_a_busy_port_refuses_and_leaves_the_old_database(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    old = instance / "demo.sqlite"
    old.write_bytes(b"an earlier demo's data")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run([SCRIPT, "demo", "--port", str(busy.getsockname()[1])], capture_output=True,
                                text=True, env=demo_env(instance), cwd=tmp_path, timeout=120)
    assert result.returncode == 1
    assert "is bezet; er is niets veranderd" in result.stderr
    assert old.read_bytes() == b"an earlier demo's data"
