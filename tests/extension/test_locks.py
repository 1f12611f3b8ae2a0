"""Leases in the shared database: one holder at a time, re-entrant per thread, free once the holder dies."""
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from extension.locks import LockBusy, hold, holder, network_lock

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_holder_is_refused_with_the_owner_named(app):
    with app.app_context(), hold("network:x", ttl=5):
        failures = []

        def other():
            with app.app_context():
                try:
                    with hold("network:x", ttl=5):
                        pass
                except LockBusy as exc:
                    failures.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert len(failures) == 1
        assert failures[0].owner == holder("network:x")
        assert str(os.getpid()) in failures[0].owner


def test_a_released_lease_can_be_taken_again(app):
    with app.app_context():
        with network_lock("x"):
            assert holder("network:x")
        assert holder("network:x") is None
        with network_lock("x"):
            pass


def test_the_same_thread_may_take_a_lease_it_holds(app):
    with app.app_context(), hold("sync-cycle") as outer, hold("sync-cycle") as inner:
        assert inner is outer
        assert holder("sync-cycle") == outer.owner


def test_a_lease_is_renewed_while_its_holder_lives(app):
    import time

    with app.app_context(), hold("slow", ttl=0.6) as lease:
        time.sleep(1.5)
        assert holder("slow") == lease.owner
        assert not lease.lost


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)
def test_a_killed_holder_leaves_a_lease_that_comes_free(app, database_url, tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "tests.extension.lock_holder", database_url,
                                str(tmp_path / "holder"), "network:killed", "1"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        lines = iter(process.stdout.readline, "")
        assert "held" in (line.strip() for line in lines)  # the app logs to stdout before it
        with app.app_context():
            with pytest.raises(LockBusy):
                with network_lock("killed"):
                    pass
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            with network_lock("killed", wait=10) as lease:
                assert holder("network:killed") == lease.owner
    finally:
        process.kill()
        process.wait(timeout=10)
