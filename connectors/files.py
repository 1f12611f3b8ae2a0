"""WebDAV files client for /remote.php/dav/files/<uid>/ (quirk `uid_in_dav_paths`).

Hand-written on requests + the stdlib ElementTree: no small, well-kept WebDAV client covers Nextcloud's
own properties (oc:fileid, oc:permissions) together with our error mapping, and webdav4 is httpx-based
while every connector here shares one requests session per instance.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote, urlsplit

import requests

from connectors.errors import NextcloudError
from connectors.http import call

DAV = "DAV:"
OC = "http://owncloud.org/ns"
NC = "http://nextcloud.org/ns"

PROPFIND_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">'
    "<d:prop><d:resourcetype/><d:getetag/><d:getlastmodified/><d:getcontentlength/><d:getcontenttype/>"
    "<oc:fileid/><oc:size/><oc:permissions/></d:prop></d:propfind>"
).encode()


@dataclass(frozen=True)
class Entry:
    """One file or folder from a PROPFIND; `path` is relative to the user's root, without slashes around."""

    name: str
    path: str
    is_folder: bool
    etag: str | None
    file_id: int | None
    size: int | None
    modified: datetime | None
    content_type: str | None = None
    permissions: str | None = None


def split_path(path: str) -> list[str]:
    """Segments of a user path; "." and ".." are refused so a path cannot leave the user's root."""
    segments = [s for s in path.replace("\\", "/").split("/") if s]
    if any(s in (".", "..") for s in segments):
        raise ValueError(f"relative segments are not allowed in {path!r}")
    return segments


class FilesClient:
    """Files of one user (by UID, quirk `uid_in_dav_paths`) on one Nextcloud."""

    def __init__(self, base_url: str, user_id: str, session: requests.Session, auth):
        self.base_url = base_url.rstrip("/")
        self.user_id = user_id
        self.session = session
        self.auth = auth
        self.root_path = f"{urlsplit(self.base_url).path}/remote.php/dav/files/{quote(user_id, safe='')}/"

    def url(self, path: str) -> str:
        """Absolute URL of `path`, each segment percent-encoded."""
        return (f"{self.base_url}/remote.php/dav/files/{quote(self.user_id, safe='')}/"
                + "/".join(quote(s, safe="") for s in split_path(path)))

    def _call(self, method: str, path: str, accept=(), **kwargs) -> requests.Response:
        return call(self.session, method, self.url(path), auth=self.auth, accept=accept, **kwargs)

    def ensure_folder(self, path: str, parents: bool = True) -> bool:
        """Create the folder (and with `parents` every missing ancestor); True if the last level was created.

        MKCOL per level: 201 created, 405 already there (quirk `mkcol_405_exists_409_parent`);
        409 → ParentMissing.
        """
        segments = split_path(path)
        if not segments:
            return False
        levels = range(1, len(segments) + 1) if parents else [len(segments)]
        created = False
        for depth in levels:
            response = self._call("MKCOL", "/".join(segments[:depth]), accept=(405,))
            created = response.status_code == 201
        return created

    def create_if_absent(self, path: str, content: bytes,
                         content_type: str = "application/octet-stream") -> bool:
        """PUT with If-None-Match: * — True when written, False when a file was already there (kept as is).

        412 is the "already there" answer (quirk `put_if_none_match`).
        """
        response = self._call("PUT", path, accept=(412,), data=bytes(content),
                              headers={"If-None-Match": "*", "Content-Type": content_type})
        return response.status_code != 412

    def write(self, path: str, content: bytes, content_type: str = "application/octet-stream",
              if_match: str | None = None) -> str | None:
        """PUT (overwrite, or only over etag `if_match`); returns the new ETag when the server sends one."""
        headers = {"Content-Type": content_type}
        if if_match:
            headers["If-Match"] = if_match
        response = self._call("PUT", path, data=bytes(content), headers=headers)
        return response.headers.get("OC-ETag") or response.headers.get("ETag")

    def read(self, path: str) -> bytes:
        """The file's bytes."""
        return self._call("GET", path).content

    def move(self, source: str, destination: str, overwrite: bool = False) -> bool:
        """MOVE a file or folder (with everything in it) to `destination`; True when created, False when it
        replaced what was there (only with `overwrite`).

        Quirk `move_no_overwrite_412`: 201 created, 204 replaced; 412 → PreconditionFailed when the
        destination exists and `Overwrite: F`; 409 → ParentMissing when the destination's parent is missing;
        404 → NotFound when the source is missing; 423 → Locked. MOVE is not idempotent, so it is never resent
        (connectors.http).
        """
        if not split_path(source) or not split_path(destination):
            raise ValueError("the user's root cannot be moved, nor be a move's destination")
        response = self._call("MOVE", source, headers={"Destination": self.url(destination),
                                                       "Overwrite": "T" if overwrite else "F"})
        return response.status_code == 201

    def delete(self, path: str) -> None:
        """Delete a file or folder (into the trash bin when enabled); NotFound when missing."""
        self._call("DELETE", path)

    def stat(self, path: str) -> Entry:
        """Properties of one file or folder (PROPFIND depth 0); NotFound when missing."""
        entries = self._propfind(path, depth=0)
        if not entries:
            raise NextcloudError(f"PROPFIND of {path!r} returned no entry", url=self.url(path))
        return entries[0]

    def exists(self, path: str) -> bool:
        """True when something exists at `path`."""
        response = self._call("PROPFIND", path, accept=(404,), data=PROPFIND_BODY,
                              headers={"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
        return response.status_code != 404

    def file_id(self, path: str) -> int | None:
        """oc:fileid, the durable key of a node across renames (quirk `fileid_stable`)."""
        return self.stat(path).file_id

    def list(self, path: str = "") -> list[Entry]:
        """Children of a folder (PROPFIND depth 1), the folder itself excluded."""
        own = "/".join(split_path(path))
        return [entry for entry in self._propfind(path, depth=1) if entry.path != own]

    def _propfind(self, path: str, depth: int) -> list[Entry]:
        response = self._call("PROPFIND", path, data=PROPFIND_BODY,
                              headers={"Depth": str(depth), "Content-Type": "application/xml; charset=utf-8"})
        return self.parse_multistatus(response.content)

    def parse_multistatus(self, body: bytes) -> list[Entry]:
        """Entries of a 207 multistatus body (only the 200 propstat of each response is read)."""
        root = ET.fromstring(body)
        entries = []
        for node in root.iter(f"{{{DAV}}}response"):
            href = unquote(urlsplit(node.findtext(f"{{{DAV}}}href", "")).path)
            relative = href[len(self.root_path):] if href.startswith(self.root_path) else href
            relative = relative.strip("/")
            props = {}
            for propstat in node.findall(f"{{{DAV}}}propstat"):
                status = propstat.findtext(f"{{{DAV}}}status", "")
                if " 200 " in f"{status} ":
                    prop = propstat.find(f"{{{DAV}}}prop")
                    if prop is not None:
                        props.update({child.tag: child for child in prop})
            entries.append(_entry(relative, props))
        return entries


def _text(props: dict, tag: str) -> str | None:
    element = props.get(tag)
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _entry(relative: str, props: dict) -> Entry:
    resourcetype = props.get(f"{{{DAV}}}resourcetype")
    is_folder = resourcetype is not None and resourcetype.find(f"{{{DAV}}}collection") is not None
    modified = _text(props, f"{{{DAV}}}getlastmodified")
    try:
        modified_at = parsedate_to_datetime(modified) if modified else None
    except (TypeError, ValueError):
        modified_at = None
    size = _int(_text(props, f"{{{OC}}}size"))
    if size is None:
        size = _int(_text(props, f"{{{DAV}}}getcontentlength"))
    return Entry(name=relative.rsplit("/", 1)[-1], path=relative, is_folder=is_folder,
                 etag=_text(props, f"{{{DAV}}}getetag"), file_id=_int(_text(props, f"{{{OC}}}fileid")),
                 size=size, modified=modified_at, content_type=_text(props, f"{{{DAV}}}getcontenttype"),
                 permissions=_text(props, f"{{{OC}}}permissions"))

