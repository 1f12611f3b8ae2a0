"""`python -m benchmarks cli [--json]`: how fast the command line starts — `--help`, `--version` and
read-only database commands, each run as a real process against a migrated SQLite database.

The target (issue 12) is ≤ 0.5 s per command on an idle machine; the load average is printed beside the
figures because a busy machine stretches them. The number of modules each command imports (counted with
`python -X importtime`) does not depend on the load, and says whether a start-up got heavier.

The commands run as an installed app runs: with the project's modules compiled to bytecode (a wheel install
compiles them; a checkout writes them on first import). A `PYTHONDONTWRITEBYTECODE` in the environment would
otherwise make every start compile the project's sources again, which no installation does.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("lerend-netwerk")
COMMANDS = (
    ("--help",),
    ("--version",),
    ("network", "list"),
    ("org", "list"),
    ("network", "status", "geen-netwerk"),
    ("network", "export", "geen-netwerk"),
)
TARGET_S = 0.5


def _time(args: list[str], env: dict, runs: int) -> tuple[list[float], list[float]]:
    """Wall times and CPU times (user + system) of `runs` runs; CPU time is what a busy machine stretches least."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def _modules(args: list[str], env: dict) -> int:
    """How many modules one run imports: `-X importtime` writes one stderr line per module."""
    code = f"import sys; sys.argv = {['lerend-netwerk', *args]!r}; from extension.cli import main; main()"
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, check=False)
    return sum(1 for line in run.stderr.splitlines() if line.startswith("import time:") and "|" in line) - 1


PROJECT_PACKAGES = ("extension", "connectors")


def _compile_project() -> None:
    """Bytecode for the project's own packages, as an installed wheel has it."""
    root = Path(__file__).resolve().parents[1]
    for package in PROJECT_PACKAGES:
        compileall.compile_dir(str(root / package), quiet=1, workers=1)


def measure(runs: int) -> dict:
    _compile_project()
    with tempfile.TemporaryDirectory(prefix="ln-bench-cli-") as folder:
        environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env = {**environ, "DATABASE_URL": f"sqlite:///{folder}/db.sqlite", "LN_INSTANCE_PATH": folder,
               "LN_JOBS_SQLITE": f"{folder}/jobs.sqlite"}
        subprocess.run([str(SCRIPT), "db", "upgrade"], env=env, check=True, capture_output=True)
        # One run to warm the file cache and the validated appinfo.yml, as any second start would find them.
        _time([str(SCRIPT), "--version"], env, 1)
        baseline, baseline_cpu = _time([sys.executable, "-c", "pass"], env, runs)
        results = []
        for command in COMMANDS:
            walls, cpus = _time([str(SCRIPT), *command], env, runs)
            results.append({"command": "lerend-netwerk " + " ".join(command),
                            "median_s": round(statistics.median(walls), 3), "min_s": round(min(walls), 3),
                            "cpu_median_s": round(statistics.median(cpus), 3),
                            "modules": _modules(list(command), env)})
    return {"runs": runs, "target_s": TARGET_S, "load_average": [round(v, 2) for v in os.getloadavg()],
            "python_startup_median_s": round(statistics.median(baseline), 3),
            "python_startup_cpu_median_s": round(statistics.median(baseline_cpu), 3), "commands": results}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks cli", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per command (median and minimum printed)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    report = measure(args.runs)
    if args.json:
        print(json.dumps(report))
        return
    print(f"CLI start-up, {report['runs']} runs each (target ≤ {TARGET_S} s on an idle machine; "
          f"load average now {', '.join(map(str, report['load_average']))})")
    print(f"  {'':<42} {'wall median':>11} {'wall min':>9} {'CPU median':>11} {'modules':>8}")
    print(f"  {'python -c pass':<42} {report['python_startup_median_s']:>9.3f} s {'':>9} "
          f"{report['python_startup_cpu_median_s']:>9.3f} s")
    for row in report["commands"]:
        print(f"  {row['command']:<42} {row['median_s']:>9.3f} s {row['min_s']:>7.3f} s {row['cpu_median_s']:>9.3f} s "
              f"{row['modules']:>8}")


if __name__ == "__main__":
    main()
