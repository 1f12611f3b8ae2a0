"""A user's files as the Files app shows them: their own folder plus every share they received, mounted in
their root under the share's name (`file_target`, Nextcloud:
apps/files_sharing/lib/Controller/ShareAPIController.php) — user and group shares from colleagues, and
accepted federated shares from other sandbox organisations (apps/files_sharing/lib/External/Manager.php).
"""

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

_USER, _GROUP = 0, 1


@dataclass(frozen=True)
class Mount:
    org: object  # the organisation holding the files
    owner: str
    owner_path: str  # "/Lerende netwerken/Taal", relative to the owner's root
    shared_by: str  # the owner's display name


@dataclass(frozen=True)
class Node:
    path: str  # as the viewer sees it: "/Taal/Fase 1/agenda.md"
    local: Path
    file_id: int
    shared_by: str | None

    @property
    def name(self):
        return self.path.rsplit("/", 1)[-1]

    @property
    def is_dir(self):
        return self.local.is_dir()

    @property
    def parent(self):
        return self.path.rsplit("/", 1)[0] or "/"

    @property
    def size(self):
        return 0 if self.is_dir else self.local.stat().st_size

    @property
    def modified(self):
        return datetime.fromtimestamp(self.local.stat().st_mtime, timezone.utc)


def normalise(path):
    """"/a/b" from any spelling; None for paths that try to leave the root."""
    parts = [p for p in (path or "/").split("/") if p]
    if any(p in (".", "..") or "\\" in p or "\0" in p for p in parts):
        return None
    return "/" + "/".join(parts)


def mounts(org, uid):
    """{name in the viewer's root: Mount} of the shares `uid` received."""
    user = org.state.user(uid)
    groups = set(user.groups) if user else set()
    found = []
    with org.state.lock:
        shares = sorted(org.state.shares.values(), key=lambda s: s.id)
    for share in shares:
        if share.owner == uid or share.share_type not in (_USER, _GROUP):
            continue
        if (share.share_type == _USER and share.share_with != uid) or \
                (share.share_type == _GROUP and share.share_with not in groups):
            continue
        owner = org.state.user(share.owner)
        found.append(Mount(org, share.owner, share.path, owner.display_name if owner else share.owner))
    for remote in org.state.remote_shares_for(uid, accepted=True):
        source = org.sandbox.org_for_host(remote.remote)
        original = source.state.shares.get(int(remote.remote_id)) if source and remote.remote_id.isdigit() else None
        if original is None:
            continue
        found.append(Mount(source, original.owner, original.path, f"{remote.owner}@{source.host}"))
    taken = {p.name for p in _own_root(org, uid).iterdir()} if _own_root(org, uid).is_dir() else set()
    named = {}
    for mount in found:
        base = mount.owner_path.rsplit("/", 1)[-1]
        name, number = base, 2
        while name in taken or name in named:
            if any(m.owner_path == mount.owner_path and m.org is mount.org for m in named.values()):
                break  # shared with the user twice (directly and through a group): one mount
            name, number = f"{base} ({number})", number + 1
        else:
            named[name] = mount
    return named


def _own_root(org, uid):
    return org.node_path(uid, "/")


def resolve(org, uid, path):
    """The Node at a viewer path, or None when it does not exist for them."""
    path = normalise(path)
    if path is None:
        return None
    own = org.node_path(uid, path)
    if path == "/" or own.exists():
        return Node(path, own, org.state.file_id(uid, path), None)
    first, _, rest = path[1:].partition("/")
    mount = mounts(org, uid).get(first)
    if mount is None:
        return None
    owner_path = mount.owner_path + ("/" + rest if rest else "")
    local = mount.org.node_path(mount.owner, owner_path)
    if not local.exists():
        return None
    if mount.org is org:
        file_id = org.state.file_id(mount.owner, owner_path)
    else:
        # A federated share gets ids of the receiving instance, as its file cache numbers it anew.
        file_id = org.state.file_id(f"{mount.owner}@{mount.org.host}", owner_path)
    return Node(path, local, file_id, mount.shared_by)


def children(org, uid, folder):
    """The visible children of a folder Node, folders first, by name (dot files hidden, as by default)."""
    names = sorted((e.name for e in os.scandir(folder.local) if not e.name.startswith(".")), key=str.lower)
    if folder.path == "/":
        names = sorted(set(names) | set(mounts(org, uid)), key=str.lower)
    nodes = [resolve(org, uid, folder.path.rstrip("/") + "/" + name) for name in names]
    nodes = [n for n in nodes if n is not None]
    return sorted(nodes, key=lambda n: (not n.is_dir, n.name.lower()))


def find(org, uid, file_id):
    """The Node with a file id anywhere in the viewer's files (the `/f/<id>` permalink), or None."""
    pending = [resolve(org, uid, "/")]
    while pending:
        node = pending.pop()
        if node.file_id == file_id:
            return node
        if node.is_dir:
            pending.extend(children(org, uid, node))
    return None
