"""Network names with diacritics, emoji, slashes, quotes and 200 characters give valid Nextcloud names."""
from __future__ import annotations

import re

import pytest

from extension.extensions import db
from extension.networks import naming
from extension.networks.models import Network
from tests.networks.snapshot import calendars

NAMES = [
    "Doorgaande lijn Taal Zuilen",
    "Taalontwikkeling: peuter/kleuter — \"samen\" leren 🧸🎨",
    "Reëel leren in de overgang naar groep 1, ïnclusief ouders",
    "Kind's eerste stap \\ 'samen' | <nu> * ? : ",
    "🧸🎨🚸",
    "  ...  ",
    "CON",
    "verslag.part",
    "Lange naam met ë en ï " * 9 + "🧸 eind",
]
# Nextcloud's FilenameValidator (30+) plus the characters Windows clients refuse.
FORBIDDEN = set('\\/:*?"<>|') | {chr(c) for c in range(32)}


def _valid_segment(name: str) -> bool:
    return (0 < len(name.encode()) <= 250 and not set(name) & FORBIDDEN and name == name.strip(" .")
            and name not in (".", "..") and all(ord(c) <= 0xFFFF for c in name)
            and not name.lower().endswith((".part", ".filepart")) and name.split(".")[0].lower() != "con")


@pytest.mark.parametrize("name", NAMES)
def test_folder_names_are_valid_nextcloud_path_segments(name):
    assert _valid_segment(naming.folder_name(name))


@pytest.mark.parametrize("name", NAMES)
def test_calendar_uris_are_lowercase_ascii_slugs_of_at_most_255_characters(name):
    slug = naming.network_slug(name)
    for uri in (naming.calendar_uri(slug), naming.calendar_uri(slug, "taken")):
        assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", uri) and len(uri) <= 255


def test_diacritics_are_kept_in_folder_names_and_folded_in_slugs():
    name = "Reëel leren, ïnclusief ouders"
    assert naming.folder_name(name) == name
    assert naming.network_slug(name) == "reeel-leren-inclusief-ouders"


def test_slashes_quotes_and_emoji_are_replaced_or_dropped_in_folder_names():
    assert naming.folder_name('Taal: peuter/kleuter "samen" 🧸') == "Taal - peuter-kleuter 'samen'"


def test_long_names_are_cut_at_a_character_boundary():
    name = "ë" * 200
    folder = naming.folder_name(name)
    assert len(folder.encode()) <= naming.FOLDER_NAME_MAX_BYTES and set(folder) == {"ë"}
    uri = naming.calendar_uri("a" * 300, "taken")
    assert uri.startswith("ln-aaa") and uri.endswith("-taken") and len(uri) <= 255


def test_a_name_without_any_usable_character_gets_a_default():
    assert naming.folder_name("🧸🎨") == "Netwerk"
    assert naming.network_slug("🧸🎨") == "netwerk"


def test_launch_of_a_network_with_an_awkward_name_keeps_the_name_for_people(sqlite_world):
    world = sqlite_world
    name = ("Taalë & rekenïn: peuter/kleuter \"samen\" 🧸 " * 6)[:199] + "!"
    world.network_file.write_text(world.network_file.read_text().replace(
        'name: "Doorgaande lijn Taal Zuilen"', f"name: \"{name.replace(chr(34), chr(92) + chr(34))}\""))
    slug = world.create()
    assert world.launch(slug).ok
    with world.app.app_context():
        network = db.session.query(Network).filter_by(slug=slug).one()
        assert network.name == name
        folder, uri = network.folder_name, network.calendar_uri
    a = world.sandbox.org("a")
    assert _valid_segment(folder)
    assert a.node_type("lerend-netwerk", f"Lerende netwerken/{folder}/Readme.md") == "file"
    assert name in a.node_path("lerend-netwerk", f"Lerende netwerken/{folder}/Readme.md").read_text("utf-8")
    calendar = calendars(a)[f"lerend-netwerk/{uri}"]
    assert calendar["props"]["D:displayname"] == name
    assert re.fullmatch(r"ln-[a-z0-9-]+", uri) and len(uri) <= 255
    assert calendars(world.sandbox.org("b"))[f"lerend-netwerk/{network.tasklist_uri}"]["props"][
        "D:displayname"] == f"{name} – taken"
