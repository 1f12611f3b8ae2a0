"""The quirk table is complete and every quirk the code names exists in it."""

from __future__ import annotations

import re
from pathlib import Path

import connectors
from connectors.quirks import NEXTCLOUD_QUIRKS

PACKAGE = Path(connectors.__file__).parent
REFERENCE = re.compile(r"quirk `?([a-z][a-z0-9_]+)")


def test_every_quirk_says_what_why_and_where():
    for name, quirk in NEXTCLOUD_QUIRKS.items():
        assert quirk.what and quirk.consequence, name
        assert quirk.source, name


def test_quirks_named_in_the_code_are_in_the_table():
    named = {match for path in PACKAGE.glob("*.py") if path.name != "quirks.py"
             for match in REFERENCE.findall(path.read_text(encoding="utf-8"))}
    assert named, "the connectors reference no quirk at all"
    assert named <= set(NEXTCLOUD_QUIRKS), named - set(NEXTCLOUD_QUIRKS)
