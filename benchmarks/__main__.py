"""`python -m benchmarks [NAME] [ARGS]`: one benchmark by name (default: sync), its own options after it."""
from __future__ import annotations

import importlib
import sys

# name → module with a `main(argv)`; `python -m benchmarks NAME --help` shows that benchmark's options.
BENCHMARKS = {
    "sync": "benchmarks.sync",
    "cli": "benchmarks.cli",
    "launch": "benchmarks.launch",
}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    name = argv[0] if argv and argv[0] in BENCHMARKS else "sync"
    rest = argv[1:] if argv and argv[0] in BENCHMARKS else argv
    importlib.import_module(BENCHMARKS[name]).main(rest)


if __name__ == "__main__":
    main()
