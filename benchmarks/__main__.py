"""`python -m benchmarks [NAME] [ARGS]`: one benchmark by name, or `all` of them as one table (`make bench`).

`all` runs each benchmark in a process of its own (so one's sandbox, database and memory never colour
another's figures) with `--json`, then prints one table; `all --json` prints one object holding them all.
"""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time

# name → module with a `main(argv)`; `python -m benchmarks NAME --help` shows that benchmark's options.
BENCHMARKS = {
    "launch": "benchmarks.launch",
    "sync": "benchmarks.sync",
    "pages": "benchmarks.pages",
    "cli": "benchmarks.cli",
    "memory": "benchmarks.memory",
}


def run_all(as_json: bool) -> None:
    results, seconds = {}, {}
    for name in BENCHMARKS:
        print(f"… {name}", file=sys.stderr, flush=True)
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "benchmarks", name, "--json"], stdout=subprocess.PIPE,
                              text=True)
        seconds[name] = round(time.monotonic() - started, 1)
        if done.returncode:
            raise SystemExit(f"benchmark {name} failed (exit {done.returncode})")
        lines = done.stdout.splitlines()
        first = next(i for i, line in enumerate(lines) if line.startswith("{"))
        results[name] = json.loads("\n".join(lines[first:]))
    results["seconds"] = seconds
    if as_json:
        print(json.dumps(results, indent=2))
    else:
        print(table(results))


def table(results: dict) -> str:
    """Every figure of every benchmark in one table: what, measured, target."""
    rows = [("figure", "measured", "target")]
    for name, figures in results["launch"].items():
        if isinstance(figures, dict) and "requests" in figures:
            rows.append((f"launch {name}: requests / minimum", f"{figures['requests']} / {figures['minimum']}",
                         "≤ minimum + 5 %"))
            if "wall_30ms_s" in figures:
                rows.append((f"launch {name}: wall at 30 ms / critical path",
                             f"{figures['wall_30ms_s']} s / {figures['critical_path_30ms_s']} s", "≤ 1.3 × critical path"))
    for cycle in results["sync"]["cycles"]:
        rows.append((f"sync: {cycle['label']}", f"{cycle['requests']} requests / minimum {cycle['minimum']}, "
                     f"{cycle['seconds']} s", "= minimum"))
    for page in results["pages"]["pages"]:
        rows.append((f"page {page['path']} ({page['who']})",
                     f"p50 {page['p50_ms']} ms, p95 {page['p95_ms']} ms, {page['queries']} queries",
                     "p95 ≤ 50 ms, ≤ 10 queries"))
    for figures in results["cli"]["commands"]:
        rows.append((f"start-up: {figures['command']}", f"median {figures['median_s']} s", "≤ 0.5 s"))
    memory = results["memory"]
    rows.append(("peak memory: job worker (launch + sync)", f"{memory['job_worker_peak_mb']} MB", "—"))
    rows.append(("peak memory: web worker", f"{memory['web_worker_peak_mb']} MB", "—"))
    rows.append(("benchmark time", f"{sum(results['seconds'].values()):.0f} s", "< 600 s"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] == "all":
        run_all("--json" in argv)
        return
    if argv[0] not in BENCHMARKS:
        raise SystemExit(f"unknown benchmark {argv[0]!r}; known: all, {', '.join(BENCHMARKS)}")
    importlib.import_module(BENCHMARKS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    main()
