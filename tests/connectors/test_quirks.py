"""The quirk table is complete, every quirk the code names exists in it, and no file cites a document outside
the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import connectors
from connectors.quirks import NEXTCLOUD_QUIRKS

PACKAGE = Path(connectors.__file__).parent
ROOT = PACKAGE.parent
# Where the code names quirks: `quirk name`, "quirk `name`", "quirks `a`, `b` and `c`" (any case).
NAMING = ("connectors", "extension", "sandbox")
REFERENCE = re.compile(r"\bquirks? ((?:`[a-z][a-z0-9_-]*`(?:,? (?:and )?)?)+|[a-z][a-z0-9_-]*)", re.IGNORECASE)
NAME = re.compile(r"`([a-z][a-z0-9_-]*)`")


def _names(match: str) -> list[str]:
    """The quirk names of one REFERENCE match: the backticked ones, else the single bare word."""
    return NAME.findall(match) or [match]
# A section sign followed by a number, or the path of the outside reference document. Built from parts so that
# this file does not match itself.
OUTSIDE_CITATION = re.compile("\N{SECTION SIGN}" + r"\s*\d|nextcloud-api" + r"\.md|/work" + "/shared")
SKIPPED_DIRS = {".venv", ".git", "test-artifacts", "node_modules"}


def test_every_quirk_says_what_why_and_where():
    for name, quirk in NEXTCLOUD_QUIRKS.items():
        assert quirk.what and quirk.consequence, name
        assert quirk.source, name


def test_quirks_named_in_the_code_are_in_the_table():
    named = {name
             for folder in NAMING
             for path in (ROOT / folder).rglob("*.py") if path.name != "quirks.py"
             for match in REFERENCE.findall(path.read_text(encoding="utf-8"))
             for name in _names(match)}
    assert named, "the code names no quirk at all"
    assert named <= set(NEXTCLOUD_QUIRKS), sorted(named - set(NEXTCLOUD_QUIRKS))


def test_the_quirk_pattern_reads_backticks_and_lists():
    text = "quirk `no_pkce`, Quirk fixed_token_lifetime and (quirks `sync_token_403`, `uid-in-dav-paths` and `x_y`)"
    assert {n for m in REFERENCE.findall(text) for n in _names(m)} == {
        "no_pkce", "fixed_token_lifetime", "sync_token_403", "uid-in-dav-paths", "x_y"}


def _repository_files() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [ROOT / name for name in listed.decode("utf-8").split("\0") if name]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree instead
        return [path for path in ROOT.rglob("*")
                if path.is_file() and not SKIPPED_DIRS & set(path.relative_to(ROOT).parts)]


def test_no_file_cites_a_document_outside_the_repository():
    """References point at the quirks table or at Nextcloud's source files, never at an outside document."""
    files = _repository_files()
    assert any(path.name == "quirks.py" for path in files)
    citing = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary files (compiled translations, images) and files deleted in the work tree
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_CITATION.search(line):
                citing.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not citing, "\n".join(citing)
