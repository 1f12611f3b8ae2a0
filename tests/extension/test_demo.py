"""`make demo`'s command: the app, the sandbox and the worker start, and the demo network gets launched."""
import os
import re
import signal
import socket
import subprocess
import sys
import time

import requests

SCRIPT = os.path.join(os.path.dirname(sys.executable), "lerend-netwerk")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_serves_the_app_and_launches_the_demo_network_until_stopped(tmp_path):
    port = free_port()
    log = tmp_path / "demo.log"
    with open(log, "w") as out:
        demo = subprocess.Popen([SCRIPT, "demo", "--port", str(port), "--data-dir", str(tmp_path / "data")],
                                stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 90
        while not re.search(r"launch_network: .* executed", log.read_text()):
            assert demo.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the demo network was not launched in time:\n" + log.read_text()
            time.sleep(0.2)
        text = log.read_text()
        assert f"open http://127.0.0.1:{port}" in text and "login anna / password anna" in text
        page = requests.get(f"http://127.0.0.1:{port}/organisations", timeout=10).text
        assert page.count("Verbonden als lerend-netwerk") == 2
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(30)
    assert demo.returncode is not None
