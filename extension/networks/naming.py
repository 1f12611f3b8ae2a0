"""Names a network gets in Nextcloud: its slug, folder name and calendar URIs, made safe from any display name.

The display name keeps the kartrekker's text; only the technical names are cleaned. The folder rules are
Nextcloud's FilenameValidator (server lib/private/Files/FilenameValidator.php, 30+): at most 250 bytes,
no control characters, `/` and `\\` always forbidden, `.`/`..`, `.htaccess` and the extensions `.part`
and `.filepart` refused, and 4-byte UTF-8 (emoji) refused on MySQL without utf8mb4. The characters an
admin may add for Windows compatibility (`<>:"|?*`, trailing dot or space, reserved device names) are
avoided too, so the folder also syncs to Windows desktop clients.

The same rules, as checks that name what is wrong (in the reader's language), serve the names a user
writes: phase folders and documents in a template (`templates check`), and the names and Nextcloud users of
a network, by `network create` and `network import` alike (`check_network_names`, the one check both use). Two names in
one folder that differ only in case or Unicode normalisation are one name to Nextcloud (it stores names in
NFC) or to its users' computers (Windows and macOS ignore case), so they are refused as twins.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from slugify import slugify

from extension.i18n import Text


# Room is left under the 250-byte segment limit: the documents inside get their own names appended by
# sync clients, and Windows paths stop at 260 characters.
FOLDER_NAME_MAX_BYTES = 120
SLUG_MAX_LENGTH = 60
NETWORKS_FOLDER = "Lerende netwerken"
# Ended networks move below it (`network end --move-folder`), so no network may be given this folder name.
ARCHIVE_FOLDER = "Archief"

_REPLACEMENTS = {'"': "'", "/": "-", "\\": "-", "|": "-", ":": " -", "<": "(", ">": ")", "*": "", "?": ""}
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                    *(f"lpt{i}" for i in range(1, 10))}
_FORBIDDEN_ENDINGS = (".part", ".filepart")
# Nextcloud's FilenameValidator defaults: forbidden_filenames ['.htaccess'], forbidden_filename_extensions
# ['.filepart'] plus the always forbidden '.part', characters '/' and '\\' and 0-31; its Windows
# compatibility adds the device names (also with the superscript digits) and the characters below.
_FORBIDDEN_NAMES = {".htaccess"}
_WINDOWS_NAMES = _WINDOWS_DEVICES | {"com0", "lpt0", "com¹", "com²", "com³", "lpt¹", "lpt²", "lpt³"}
_FORBIDDEN_CHARACTERS = set('\\/<>:"|?*') | {chr(c) for c in range(32)} | {"\x7f"}
NAME_MAX_BYTES = 250
# Nextcloud's user ids (lib/private/User/Manager.php validateUserId): these characters, no whitespace at
# either end, not only dots, not one of the data folder's own names; 64 characters is its column width.
_USER_ID = re.compile(r"^[a-zA-Z0-9 _.@\-']+$")
_RESERVED_USER_IDS = {".htaccess", "files_external", "__groupfolders", ".ocdata", "owncloud.log", "nextcloud.log"}
USER_ID_MAX_LENGTH = 64
_LINE_BREAKS = {"\u2028", "\u2029", "\x85"}
# The msgid of "this path comes twice" (path_twins), told apart from a twin by the template checks.
TWICE = "'%(name)s' occurs twice"


def network_slug(name: str) -> str:
    """The lower-case ASCII slug of a network name (diacritics folded, emoji dropped); "netwerk" if none."""
    return slugify(name, max_length=SLUG_MAX_LENGTH, word_boundary=True) or "netwerk"


def folder_name(name: str, max_bytes: int = FOLDER_NAME_MAX_BYTES) -> str:
    """A valid Nextcloud file or folder name for `name` (see the module docstring for the rules)."""
    text = unicodedata.normalize("NFC", name)
    text = "".join(_REPLACEMENTS.get(c, c) for c in text
                   if unicodedata.category(c)[0] != "C" and ord(c) <= 0xFFFF)
    # Dropped emoji often leave a variation selector or joiner behind.
    text = re.sub(r"[\ufe00-\ufe0f\u200d]", "", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"-{2,}", "-", text).strip(" .-")
    text = _cut_utf8(text, max_bytes).rstrip(" .-")
    lower = text.lower()
    if _device_base(lower) or lower in _FORBIDDEN_NAMES:
        text = f"Netwerk {text}"
    if lower.endswith(_FORBIDDEN_ENDINGS):
        text = text.rsplit(".", 1)[0].rstrip(" .-") or "Netwerk"
    return text or "Netwerk"


def segment_name(name: str, max_bytes: int = FOLDER_NAME_MAX_BYTES) -> str:
    """A valid name for a document or phase folder from template text (same rules as `folder_name`)."""
    return folder_name(name, max_bytes)


def calendar_uri(slug: str, suffix: str = "") -> str:
    """The calendar URI for a network slug: `ln-<slug>[-<suffix>]`, only [a-z0-9-] (quirk `calendar_uri_rules`).

    Both parts are slugs of at most 60 characters, so the URI stays far below the 255 Nextcloud allows.
    """
    # Imported here: the calendar connector brings caldav, which reading a network's status never needs.
    from connectors.calendars import validate_calendar_uri

    parts = ["ln", network_slug(slug)] + ([network_slug(suffix)] if suffix else [])
    return validate_calendar_uri("-".join(parts))


def network_folder(folder: str) -> str:
    """The network's folder path in the host organisation's files: `Lerende netwerken/<folder>`."""
    return f"{NETWORKS_FOLDER}/{folder}"


def folder_seen_by(network, organisation, user_id: str | None) -> str:
    """The network folder's path in the files of `user_id` of `organisation`. Only its owner, the host's
    connection account, has it below `Lerende netwerken/`; everyone it is shared with, on the host's Nextcloud
    (user share) or another (accepted federated share), finds it in the root of their own files under the
    folder's name (the share's `file_target`; Nextcloud:
    apps/files_sharing/lib/Controller/ShareAPIController.php, apps/files_sharing/lib/External/Manager.php)."""
    host = network.host_organisation
    owner = host.connection_account
    if owner is not None and organisation.instance == host.instance and user_id == owner.user_id:
        return f"/{network_folder(network.folder_name)}"
    return f"/{network.folder_name.rsplit('/', 1)[-1]}"


def _cut_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", "ignore")


def name_problem(name: str) -> Text | None:
    """Why Nextcloud (or a Windows desktop client) would refuse `name` as a file or folder name, in the reader's
    language (an i18n.Text); None when it is fine."""
    if name.strip() in ("", ".", ".."):
        return Text("'%(name)s' is not a valid folder or file name", name=_shown(name))
    if name != name.strip():
        return Text("'%(name)s' begins or ends with a space", name=_shown(name))
    if name.endswith("."):
        return Text("'%(name)s' ends with a dot; Windows drops it, so the name no longer matches", name=_shown(name))
    bad = sorted(set(name) & _FORBIDDEN_CHARACTERS)
    if bad:
        return Text("'%(name)s' contains a character that is not allowed: %(characters)s", name=_shown(name),
                    characters=" ".join(repr(c) for c in bad))
    if any(ord(c) > 0xFFFF for c in name):
        return Text("'%(name)s' contains a character (such as an emoji) that not every Nextcloud database can "
                    "store", name=_shown(name))
    if len(name.encode("utf-8")) > NAME_MAX_BYTES:
        return Text("'%(name)s' is longer than %(limit)s bytes", name=_shown(name), limit=NAME_MAX_BYTES)
    lower = name.lower()
    if lower in _FORBIDDEN_NAMES:
        return Text("'%(name)s' is a name Nextcloud refuses", name=_shown(name))
    ending = next((e for e in _FORBIDDEN_ENDINGS if lower.endswith(e)), None)
    if ending:
        return Text("'%(name)s' ends in '%(ending)s', a file type Nextcloud refuses", name=_shown(name), ending=ending)
    base = _device_base(lower)
    if base:
        return Text("'%(name)s' begins with '%(base)s', a name Windows uses for a device", name=_shown(name),
                    base=base.upper())
    return None


def _device_base(lower: str) -> str | None:
    """The Windows device name (CON, COM1, …) that a lower-cased name is, before its first dot; else None."""
    dot = lower.find(".", 1)
    base = (lower[:dot] if dot > 0 else lower).rstrip()
    return base if base in _WINDOWS_NAMES else None


def _shown(text: str, limit: int = 60) -> str:
    """`text` for a message: control characters written as escapes, and cut short."""
    shown = "".join(c if unicodedata.category(c) != "Cc" and c not in _LINE_BREAKS else repr(c)[1:-1] for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def twin_key(name: str) -> str:
    """One key for names Nextcloud or its users' computers see as one: NFC and case folded."""
    return unicodedata.normalize("NFC", name).casefold()


def twin_problem(name: str, other: str) -> Text:
    return Text("'%(name)s' and '%(other)s' differ only in capitals or in their Unicode spelling; in Nextcloud or "
                "on a participant's computer they become one name", name=_shown(name), other=_shown(other))


def path_twins(paths: list[str]) -> dict[int, Text]:
    """For relative paths below one folder: the index of each path that clashes with an earlier one (the
    same path, or a file or folder whose name is a twin of another's in the same folder), with why."""
    seen: dict[tuple[str, ...], str] = {}
    problems: dict[int, Text] = {}
    for index, path in enumerate(paths):
        segments = path.split("/")
        for depth, segment in enumerate(segments):
            key = tuple(twin_key(s) for s in segments[: depth + 1])
            known = seen.get(key)
            last = depth == len(segments) - 1
            kind = "file" if last else "folder"
            if known is None:
                seen[key] = f"{kind}:{segment}"
                continue
            known_kind, known_name = known.split(":", 1)
            if known_name != segment:
                problems[index] = twin_problem(segment, known_name)
                break
            if last or known_kind != kind:
                problems[index] = Text(TWICE, name=_shown(path))
                break
    return problems


def user_id_problem(user: str) -> Text | None:
    """Why Nextcloud would refuse `user` as a user id (an i18n.Text); None when it is fine."""
    if not user.strip():
        return Text("a Nextcloud user must not be empty")
    if not _USER_ID.match(user):
        return Text("'%(user)s' is not a valid Nextcloud user: only letters a-z and A-Z, digits, spaces and _.@-' "
                    "are allowed", user=_shown(user))
    if user != user.strip():
        return Text("'%(name)s' begins or ends with a space", name=_shown(user))
    if set(user) == {"."}:
        return Text("'%(user)s' is not a valid Nextcloud user", user=_shown(user))
    if user in _RESERVED_USER_IDS or user.startswith("appdata_"):
        return Text("'%(user)s' is a name Nextcloud uses itself", user=_shown(user))
    if len(user) > USER_ID_MAX_LENGTH:
        return Text("'%(user)s' is longer than %(limit)s characters", user=_shown(user), limit=USER_ID_MAX_LENGTH)
    return None


def line_problem(text: str) -> Text | None:
    """A single-line field with a line break or another control character (an i18n.Text); None when fine."""
    if any(c in _LINE_BREAKS or unicodedata.category(c) == "Cc" for c in text):
        return Text("must be on one line (without a line break or control character)")
    return None


Loc = tuple[Any, ...]


@dataclass
class NetworkNames:
    """What of a network becomes a name in Nextcloud or a single line of text there, by field path.

    `network create` fills it from the network file, `network import` from the export document; both
    check it with `check_network_names`.
    """

    lines: list[tuple[Loc, str]] = field(default_factory=list)
    users: list[tuple[Loc, str]] = field(default_factory=list)
    folder: tuple[Loc, str] | None = None
    phase_folders: list[tuple[Loc, str]] = field(default_factory=list)


def check_network_names(names: NetworkNames) -> list[tuple[Loc, str]]:
    """Every problem with a network's names, as (field path, message as an i18n.Text): single lines, Nextcloud user
    ids, the network folder (a valid name, not the archive folder) and its phase folders (valid, no twins)."""
    problems: list[tuple[Loc, str]] = []
    for loc, text in names.lines:
        message = line_problem(text)
        if message:
            problems.append((loc, message))
    for loc, user in names.users:
        message = user_id_problem(user)
        if message:
            problems.append((loc, message))
    if names.folder is not None:
        loc, folder = names.folder
        message = name_problem(folder)
        if message is None and twin_key(folder) == twin_key(ARCHIVE_FOLDER):
            message = Text("'%(name)s' is the folder ended networks move to; choose another name", name=_shown(folder))
        if message:
            problems.append((loc, message))
    for loc, folder in names.phase_folders:
        message = name_problem(folder)
        if message:
            problems.append((loc, message))
    twins = path_twins([folder for _, folder in names.phase_folders])
    for index, message in sorted(twins.items()):
        problems.append((names.phase_folders[index][0], message))
    return problems
