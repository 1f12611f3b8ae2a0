"""OCS API client: current user, capabilities, file shares, sharees, federated shares.

Nextcloud: apps/provisioning_api/lib/Controller/UsersController.php, core/Controller/OCSController.php,
apps/files_sharing/lib/Controller/{ShareAPIController,ShareesAPIController,RemoteController}.php.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable

import requests

from connectors.errors import AlreadyExists, NextcloudError
from connectors.http import call

log = logging.getLogger(__name__)

OCS_BASE = "/ocs/v2.php"  # quirk ocs_v1_vs_v2: v2 maps errors to HTTP statuses
SHARES_API = "apps/files_sharing/api/v1"

# share types and permission bits (Nextcloud: lib/public/Share/IShare.php, lib/public/Constants.php)
SHARE_USER = 0
SHARE_GROUP = 1
SHARE_LINK = 3
SHARE_EMAIL = 4
SHARE_FEDERATED = 6
SHARE_TEAM = 7

PERMISSION_READ = 1
PERMISSION_UPDATE = 2
PERMISSION_CREATE = 4
PERMISSION_DELETE = 8
PERMISSION_SHARE = 16
PERMISSION_ALL = 31


@dataclass(frozen=True)
class NextcloudUser:
    """The caller's provisioning record (UsersController::getCurrentUser); `id` is the UID used in DAV paths."""

    id: str
    display_name: str | None
    email: str | None
    groups: tuple[str, ...] = ()
    language: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Share:
    """One share as returned by the sharing API (ShareAPIController::formatShare)."""

    id: str
    share_type: int
    share_with: str | None
    permissions: int
    path: str | None = None
    item_type: str | None = None
    uid_owner: str | None = None
    share_with_displayname: str | None = None
    url: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_ocs(cls, data: dict) -> "Share":
        return cls(id=str(data["id"]), share_type=int(data["share_type"]),
                   share_with=data.get("share_with") or None, permissions=int(data.get("permissions") or 0),
                   path=data.get("path"), item_type=data.get("item_type"), uid_owner=data.get("uid_owner"),
                   share_with_displayname=data.get("share_with_displayname"), url=data.get("url"), raw=data)


@dataclass(frozen=True)
class Sharee:
    """A sharee search hit (ShareesAPIController::search); `kind` is the result group (users, groups, remotes, …)."""

    label: str
    share_type: int
    share_with: str
    kind: str
    exact: bool
    server: str | None = None
    # What Nextcloud shows to tell equal names apart: the user's e-mail address when set (ShareesAPIController.php).
    unique: str | None = None


@dataclass(frozen=True)
class RemoteShare:
    """A federated share received by the caller (RemoteController)."""

    id: str
    name: str | None
    owner: str | None
    remote: str | None
    mountpoint: str | None
    accepted: bool
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_ocs(cls, data: dict) -> "RemoteShare":
        return cls(id=str(data["id"]), name=data.get("name"), owner=data.get("owner"),
                   remote=data.get("remote"), mountpoint=data.get("mountpoint"),
                   accepted=str(data.get("accepted", "1")) not in ("0", "false", "False", ""), raw=data)


def _flag(value: bool) -> str:
    """OCS boolean parameters are the strings "true"/"false" (quirk `ocs_boolean_strings`)."""
    return "true" if value else "false"


def expected_permissions(permissions: int, share_type: int, item_type: str | None) -> int:
    """The permissions Nextcloud will store for a requested set (ShareAPIController::createShare)."""
    if share_type not in (SHARE_LINK, SHARE_EMAIL):
        permissions |= PERMISSION_READ
    if item_type == "file":
        permissions &= ~(PERMISSION_CREATE | PERMISSION_DELETE)
    return permissions


class OcsClient:
    """OCS calls for one user of one Nextcloud: always `OCS-APIRequest: true` and `format=json`."""

    def __init__(self, base_url: str, session: requests.Session, auth):
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.auth = auth
        self._capabilities: dict | None = None
        self._capabilities_lock = threading.Lock()

    def request(self, method: str, path: str, params: dict | list | None = None,
                data: dict | None = None) -> Any:
        """One OCS v2 call; returns the envelope's `data` (quirk `ocs_api_request_header`)."""
        query = list(params.items()) if isinstance(params, dict) else list(params or [])
        query.append(("format", "json"))
        response = call(self.session, method, f"{self.base_url}{OCS_BASE}/{path.lstrip('/')}",
                        auth=self.auth, params=query, data=data,
                        headers={"OCS-APIRequest": "true", "Accept": "application/json"})
        try:
            return response.json()["ocs"]["data"]
        except (ValueError, KeyError, TypeError):
            raise NextcloudError("answer is not an OCS JSON envelope", status=response.status_code,
                                 request_id=response.headers.get("X-Request-Id"), url=response.url) from None

    def current_user(self) -> NextcloudUser:
        """The authenticated user (GET /cloud/user, UsersController::getCurrentUser)."""
        data = self.request("GET", "cloud/user")
        return NextcloudUser(id=data["id"], display_name=data.get("displayname") or data.get("display-name"),
                             email=data.get("email") or None, groups=tuple(data.get("groups") or ()),
                             language=data.get("language") or None, raw=data)

    def capabilities(self, refresh: bool = False) -> dict:
        """`data` of /cloud/capabilities ({"version": …, "capabilities": …}), fetched once per client
        (core/Controller/OCSController.php)."""
        with self._capabilities_lock:
            if self._capabilities is None or refresh:
                self._capabilities = self.request("GET", "cloud/capabilities")
            return self._capabilities

    def server_version(self) -> tuple[int, int, int]:
        """(major, minor, micro) of the server, from the cached capabilities."""
        version = self.capabilities().get("version") or {}
        return int(version.get("major", 0)), int(version.get("minor", 0)), int(version.get("micro", 0))

    def federation_enabled(self) -> bool:
        """True when outgoing federated sharing is on (capabilities files_sharing.federation.outgoing,
        apps/files_sharing/lib/Capabilities.php)."""
        sharing = (self.capabilities().get("capabilities") or {}).get("files_sharing") or {}
        return bool((sharing.get("federation") or {}).get("outgoing"))

    def shares(self, path: str, reshares: bool = True, subfiles: bool = False) -> list[Share]:
        """Shares on `path` (with `reshares`, also other people's shares the caller may see;
        ShareAPIController::getShares)."""
        data = self.request("GET", f"{SHARES_API}/shares",
                            params={"path": path, "reshares": _flag(reshares), "subfiles": _flag(subfiles)})
        return [Share.from_ocs(item) for item in data or ()]

    def share(self, share_id: str) -> Share:
        """One share by id (the API answers a one-element list; ShareAPIController::getShare)."""
        data = self.request("GET", f"{SHARES_API}/shares/{share_id}")
        return Share.from_ocs(data[0] if isinstance(data, list) else data)

    def create_share(self, path: str, share_type: int, share_with: str | None = None,
                     permissions: int | None = None, send_mail: bool = False, **extra) -> Share:
        """POST a share; not idempotent — an existing one raises AlreadyExists (quirk `share_twice_403`).

        `sendMail` is sent as "false" unless `send_mail` (quirk `share_mail_default_on`); `extra` holds
        further OCS parameters by their API names (note, label, password, expireDate, publicUpload, …).
        """
        form: dict[str, Any] = {"path": path, "shareType": str(share_type), "sendMail": _flag(send_mail)}
        if share_with is not None:
            form["shareWith"] = share_with
        if permissions is not None:
            form["permissions"] = str(permissions)
        form.update({k: (_flag(v) if isinstance(v, bool) else v) for k, v in extra.items()})
        return Share.from_ocs(self.request("POST", f"{SHARES_API}/shares", data=form))

    def update_share(self, share_id: str, **fields) -> Share:
        """PUT the given fields (permissions, note, expireDate, label, password, …) of a share
        (ShareAPIController::updateShare)."""
        form = {k: (_flag(v) if isinstance(v, bool) else str(v)) for k, v in fields.items()}
        return Share.from_ocs(self.request("PUT", f"{SHARES_API}/shares/{share_id}", data=form))

    def delete_share(self, share_id: str) -> None:
        """Remove a share; NotFound for an unknown id."""
        self.request("DELETE", f"{SHARES_API}/shares/{share_id}")

    def find_share(self, path: str, share_type: int, share_with: str | None) -> Share | None:
        """The existing share of `path` with that type and recipient, if any."""
        wanted = (share_with or "").lower()
        for share in self.shares(path, reshares=True):
            if share.share_type == share_type and (share.share_with or "").lower() == wanted:
                return share
        return None

    def ensure_share(self, path: str, share_type: int, share_with: str | None,
                     permissions: int = PERMISSION_ALL, **extra) -> Share:
        """Make `path` shared with `share_with` at `permissions`: list, then PUT or POST (quirk `share_twice_403`).

        A concurrent creator is tolerated: AlreadyExists from the POST leads to one more listing.
        """
        share = self.find_share(path, share_type, share_with)
        if share is None:
            try:
                return self.create_share(path, share_type, share_with, permissions, **extra)
            except AlreadyExists:
                share = self.find_share(path, share_type, share_with)
                if share is None:
                    raise
        if share.permissions != expected_permissions(permissions, share_type, share.item_type):
            log.info("Updating permissions of share %s on %s: %s -> %s", share.id, path,
                     share.permissions, permissions)
            share = self.update_share(share.id, permissions=permissions)
        return share

    def search_sharees(self, search: str, item_type: str = "folder", share_types: Iterable[int] = (),
                       per_page: int = 20) -> list[Sharee]:
        """Sharee search (ShareesAPIController::search); exact matches first. Not proof of (non-)existence
        (quirk `sharee_search_not_proof`)."""
        params: list[tuple[str, str]] = [("search", search), ("itemType", item_type),
                                         ("perPage", str(per_page))]
        params += [("shareType[]", str(t)) for t in share_types]
        data = self.request("GET", f"{SHARES_API}/sharees", params=params) or {}
        found: list[Sharee] = []
        for exact, group in ((True, data.get("exact") or {}), (False, data)):
            for kind, entries in group.items():
                if kind in ("exact", "lookupEnabled") or not isinstance(entries, list):
                    continue
                for entry in entries:
                    value = entry.get("value") or {}
                    if "shareWith" not in value:
                        continue
                    found.append(Sharee(label=entry.get("label") or str(value["shareWith"]),
                                        share_type=int(value.get("shareType", -1)),
                                        share_with=str(value["shareWith"]), kind=kind, exact=exact,
                                        server=value.get("server"),
                                        unique=entry.get("shareWithDisplayNameUnique")))
        return found

    def remote_shares(self, pending: bool = False) -> list[RemoteShare]:
        """Federated shares received by the caller; `pending` for those still to accept
        (RemoteController)."""
        path = f"{SHARES_API}/remote_shares" + ("/pending" if pending else "")
        return [RemoteShare.from_ocs(item) for item in self.request("GET", path) or ()]

    def accept_remote_share(self, share_id: str) -> None:
        """Accept a pending federated share."""
        self.request("POST", f"{SHARES_API}/remote_shares/pending/{share_id}")

    def decline_remote_share(self, share_id: str) -> None:
        """Decline a pending federated share."""
        self.request("DELETE", f"{SHARES_API}/remote_shares/pending/{share_id}")
