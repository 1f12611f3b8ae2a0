"""Every name the code uses is defined: a module that names a class it no longer imports fails only when that
line runs, which may be a reaper's rare path (it happened: a job's network lookup named a dropped model)."""
from __future__ import annotations

from pathlib import Path

from pyflakes import messages
from pyflakes.api import checkPath
from pyflakes.reporter import Reporter

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("extension", "connectors", "sandbox", "benchmarks", "tests")
UNDEFINED = (messages.UndefinedName, messages.UndefinedLocal, messages.UndefinedExport)


class _Collect(Reporter):
    def __init__(self):
        self.found: list[str] = []

    def unexpectedError(self, filename, message):
        self.found.append(f"{filename}: {message}")

    def syntaxError(self, filename, message, lineno, offset, text):
        self.found.append(f"{filename}:{lineno}: {message}")

    def flake(self, message):
        if isinstance(message, UNDEFINED):
            self.found.append(str(message))


def test_no_module_uses_a_name_it_does_not_define_or_import():
    reporter = _Collect()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            checkPath(str(path), reporter)
    assert reporter.found == []
