"""Names a network gets in Nextcloud: its slug, folder name and calendar URIs, made safe from any display name.

The display name keeps the kartrekker's text; only the technical names are cleaned. The folder rules are
Nextcloud's FilenameValidator (server lib/private/Files/FilenameValidator.php, 30+): at most 250 bytes,
no control characters, `/` and `\\` always forbidden, `.`/`..`, `.htaccess` and the extensions `.part`
and `.filepart` refused, and 4-byte UTF-8 (emoji) refused on MySQL without utf8mb4. The characters an
admin may add for Windows compatibility (`<>:"|?*`, trailing dot or space, reserved device names) are
avoided too, so the folder also syncs to Windows desktop clients.
"""
from __future__ import annotations

import re
import unicodedata

from slugify import slugify

from connectors.calendars import validate_calendar_uri

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
    if lower.split(".", 1)[0] in _WINDOWS_DEVICES or lower == ".htaccess":
        text = f"Netwerk {text}"
    if lower.endswith(_FORBIDDEN_ENDINGS):
        text = text.rsplit(".", 1)[0].rstrip(" .-") or "Netwerk"
    return text or "Netwerk"


def segment_name(name: str, max_bytes: int = FOLDER_NAME_MAX_BYTES) -> str:
    """A valid name for a document or phase folder from template text (same rules as `folder_name`)."""
    return folder_name(name, max_bytes)


def calendar_uri(slug: str, suffix: str = "") -> str:
    """The calendar URI for a network slug: `ln-<slug>[-<suffix>]`, only [a-z0-9-] (reference §6.2).

    Both parts are slugs of at most 60 characters, so the URI stays far below the 255 Nextcloud allows.
    """
    parts = ["ln", network_slug(slug)] + ([network_slug(suffix)] if suffix else [])
    return validate_calendar_uri("-".join(parts))


def network_folder(folder: str) -> str:
    """The network's folder path in the host organisation's files: `Lerende netwerken/<folder>`."""
    return f"{NETWORKS_FOLDER}/{folder}"


def _cut_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", "ignore")
