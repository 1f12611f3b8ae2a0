"""`python -m benchmarks`: the sync benchmark (see benchmarks.sync) with its scale from the command line."""
from __future__ import annotations

import argparse

from benchmarks.sync import run


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--networks", type=int, default=50)
    parser.add_argument("--members", type=int, default=20, help="members per network, over three organisations")
    parser.add_argument("--changes", default="1,10,100",
                        help="comma-separated numbers k of tasks ticked off before a sync cycle")
    parser.add_argument("--database", help="database URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    if args.networks < 2 or args.members < 3:
        parser.error("--networks must be at least 2 and --members at least 3")
    try:
        changes = [int(k) for k in args.changes.split(",") if k.strip()]
    except ValueError:
        parser.error(f"--changes must be numbers separated by commas, not {args.changes!r}")
    run(args.networks, args.members, changes, args.database, args.seed)


if __name__ == "__main__":
    main()
