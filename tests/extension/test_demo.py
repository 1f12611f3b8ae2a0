"""`make demo`'s command: the app, the sandbox and the worker start, the demo network gets launched, and the
banner stays readable (the worker's and the web server's log lines go to demo.log)."""
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
    instance, out_path = tmp_path / "instance", tmp_path / "demo.out"
    env = {**os.environ, "LN_INSTANCE_PATH": str(instance), "LANG": "C.UTF-8", "LN_READYZ_TOKEN": "demo-test"}
    for name in ("LC_ALL", "LC_MESSAGES", "DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    with open(out_path, "w") as out:
        demo = subprocess.Popen([SCRIPT, "demo", "--port", str(port), "--data-dir", str(tmp_path / "data")],
                                stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path, env=env)
    log = instance / "demo.log"
    try:
        deadline = time.monotonic() + 90
        while not (log.exists() and re.search(r"launch_network: .* executed", log.read_text())):
            assert demo.poll() is None, out_path.read_text()
            assert time.monotonic() < deadline, "the demo network was not launched in time:\n" + out_path.read_text()
            time.sleep(0.2)
        banner = out_path.read_text()
        assert f"open http://127.0.0.1:{port}" in banner
        assert re.search(r"anna +Anna de Vries +Kinderopvang De Zonnebloem +kartrekker", banner)
        assert re.search(r"hanna +Hanna Bos +Basisschool De Regenboog +manager", banner)
        assert re.search(r"gert +Gert Mulder +Basisschool De Regenboog +geen lid", banner)
        assert "INFO" not in banner and "GET /" not in banner
        # The details of /readyz are for admins or the READYZ_TOKEN; the organisation checks run on the worker.
        # They run shortly after the worker starts: wait for their first results, not for a time.
        while True:
            ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=30,
                                 headers={"Authorization": "Bearer demo-test"}).json()
            if all(o["checked_at"] for o in ready["organisations"].values()):
                break
            assert time.monotonic() < deadline, f"the organisation checks did not run in time: {ready}"
            time.sleep(0.5)
        assert len(ready["organisations"]) == 2 and all(o["ok"] for o in ready["organisations"].values())
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(30)
    assert demo.returncode is not None
    assert not (instance / "demo.json").exists()
