"""Running hostile input in a child process under a memory ceiling, and reporting what it cost."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The child sets RLIMIT_AS to what it has mapped after its imports plus this, so the input's own cost is capped.
MEMORY_BUDGET = 100 * 1024 * 1024

_PRELUDE = """
import json, resource, sys, time, traceback

def _mapped():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024

{imports}
_base = _mapped()
resource.setrlimit(resource.RLIMIT_AS, (_base + {budget}, _base + {budget}))
_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
_start = time.perf_counter()
try:
    _outcome = {{"error": None, "message": None}}
{body}
except MemoryError:
    _outcome = {{"error": "MemoryError", "message": None}}
except BaseException as exc:
    _outcome = {{"error": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}}
_outcome["seconds"] = round(time.perf_counter() - _start, 3)
_outcome["extra_rss_mb"] = round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - _rss) / 1024, 1)
print(json.dumps(_outcome))
"""


def run_limited(imports: str, body: str, timeout: float = 120) -> dict:
    """Run `body` (after `imports`) in a fresh Python with at most MEMORY_BUDGET more address space; the
    outcome: the exception type and message that ended it (None if none), seconds and extra peak RSS."""
    code = _PRELUDE.format(imports=textwrap.dedent(imports), budget=MEMORY_BUDGET,
                           body=textwrap.indent(textwrap.dedent(body), "    "))
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"the child process died ({done.returncode}):\n{done.stderr[-2000:]}"
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"cost: {outcome['seconds']} s, {outcome['extra_rss_mb']} MB extra peak RSS")
    return outcome
