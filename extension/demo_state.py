"""Whether `lerend-netwerk demo` runs in an instance folder, and its settings: read by every app built there,
so the command line next to a running demo uses the demo's database and job store (see extension.demo)."""
from __future__ import annotations

import errno
import fcntl
import json
import os
from pathlib import Path

STATE_FILE = "demo.json"
LOCK_FILE = "demo.lock"
LOG_FILE = "demo.log"
# The settings a running demo hands to every app built in its instance folder (the command line).
SHARED_SETTINGS = ("SQLALCHEMY_DATABASE_URI", "JOBS_SQLITE", "APP_URL")


def running_demo(instance: Path) -> dict | None:
    """The state of the demo running in this instance folder, or None when none runs (a state file left by a
    killed demo is ignored: its lock died with it)."""
    state = instance / STATE_FILE
    if not state.is_file():
        return None
    try:
        handle = os.open(instance / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
            return None
        try:
            return json.loads(state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
    finally:
        os.close(handle)
    return None


def demo_settings(instance: Path) -> dict:
    """The settings of the demo running in `instance`, for the config layer; empty when none runs."""
    state = running_demo(instance)
    return {key: value for key, value in (state or {}).get("settings", {}).items() if key in SHARED_SETTINGS}
