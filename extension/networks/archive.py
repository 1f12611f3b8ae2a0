"""Ending a network: archived in the app and, on request, its folder moved to the archive and its shares removed.

Nothing is deleted. The folder moves with every document in it (WebDAV MOVE, reference §3.1) from
`Lerende netwerken/<folder>` to `Lerende netwerken/Archief/<folder>`; the calendar with its events and the
task lists with their tasks stay in the organisation accounts that own them. What ends is other people's
access: every share on the folder and on anything in it (reference §4.4), and every sharee of the network
calendar and of each organisation's task list (§6.6).

Like the launch, ending is idempotent and resumable: each part reads the state first and writes only what
is still to do, so a run cut short is finished by running it again and a second run makes no write. The
shares go before the folder moves, and the network's `folder_name` becomes `Archief/<folder>` only after
the move, so the database always names where the folder is.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask

from connectors.errors import NextcloudError, NotFound, PreconditionFailed
from connectors.ocs import SHARE_LINK, Share
from extension.accounts.models import Account
from extension.accounts.service import nextcloud_client
from extension.extensions import db
from extension.networks import naming
from extension.networks.models import STEP_DONE, Network
from extension.networks.plan import connection_of
from extension.networks.service import get_network, participating
from extension.organisations.models import Organisation

log = logging.getLogger(__name__)

ARCHIVE_FOLDER = naming.ARCHIVE_FOLDER
ARCHIVED = "archived"


class EndError(Exception):
    """The network cannot be ended as asked (a Dutch message for the kartrekker or admin)."""


@dataclass
class EndResult:
    network: str
    archived: bool = False
    moved_to: str | None = None
    folder_shares_removed: list[str] = field(default_factory=list)
    calendar_sharees_removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def changed_nextcloud(self) -> bool:
        return bool(self.moved_to or self.folder_shares_removed or self.calendar_sharees_removed)

    @property
    def ok(self) -> bool:
        return not self.failed


def archived_folder(folder_name: str) -> str:
    """The folder name (below `Lerende netwerken/`) a network's folder gets in the archive."""
    return folder_name if is_archived_folder(folder_name) else f"{ARCHIVE_FOLDER}/{folder_name}"


def is_archived_folder(folder_name: str) -> bool:
    return folder_name.startswith(f"{ARCHIVE_FOLDER}/")


def end_network(app: Flask, slug: str, move_folder: bool = False,
                client_for: Callable[[Flask, Account], Any] = nextcloud_client) -> EndResult:
    """End network `slug`: status archived; with `move_folder` also archive its folder and remove its shares.

    Call inside an app context. EndError (before anything changed) when the host organisation cannot be
    reached for `move_folder`; a Nextcloud failure of one part is reported in `failed` and the other parts
    go on, so the next run has less to do.
    """
    network = get_network(slug)
    host = network.host_organisation
    result = EndResult(network.slug)
    host_client = None
    if move_folder:
        account = connection_of(host)
        if account is None:
            raise EndError(f"De gastorganisatie {host.name} heeft geen werkende verbinding met Nextcloud; laat "
                           f"{host.connection_user} eerst (opnieuw) verbinden, of beëindig zonder --move-folder.")
        host_client = client_for(app, account)
    if network.status != ARCHIVED:
        network.status = ARCHIVED
        db.session.commit()
        result.archived = True
        log.info("network %s archived", network.slug)
    if not move_folder:
        return result

    _part(result, "Map", _archive_folder, network, host_client, result)
    _part(result, "Agenda", _unshare_calendar, host_client, network.calendar_uri, host, "agenda", result)
    for organisation in participating(network):
        if not organisation.has_nextcloud:
            continue
        account = connection_of(organisation)
        if organisation.id == host.id:
            client = host_client
        elif account is not None:
            client = client_for(app, account)
        else:
            if _shared_by_launch(network, organisation):
                result.failed.append(f"Takenlijst van {organisation.name}: de organisatie is niet verbonden; de "
                                     "takenlijst blijft gedeeld tot zij verbonden is en dit opnieuw wordt uitgevoerd.")
            continue
        _part(result, f"Takenlijst van {organisation.name}", _unshare_calendar, client, network.tasklist_uri,
              organisation, "takenlijst", result)
    return result


def _part(result: EndResult, label: str, run: Callable[..., None], *args) -> None:
    """`run(*args)`; a Nextcloud failure is recorded under `label` and the next part goes on."""
    try:
        run(*args)
    except NextcloudError as exc:
        log.warning("ending %s: %s failed: %s", result.network, label, exc)
        result.failed.append(f"{label}: {exc}")


def _archive_folder(network: Network, client, result: EndResult) -> None:
    """Remove the folder's shares, then move it into the archive (never over an existing folder)."""
    files = client.files
    name = network.folder_name
    target = naming.network_folder(archived_folder(name))
    if is_archived_folder(name):
        if files.exists(target):
            _remove_folder_shares(client, target, result)
        else:
            result.notes.append(f"De map '{target}' bestaat niet (meer).")
        return
    source = naming.network_folder(name)
    if name == ARCHIVE_FOLDER or _claimed(network, ARCHIVE_FOLDER):
        # The archive would be a network's shared folder: what is archived there would be shared again.
        result.failed.append(f"Map: '{naming.network_folder(ARCHIVE_FOLDER)}' is de map van een netwerk; hernoem "
                             "die map en het netwerk eerst. Er is niets verplaatst.")
        return
    if files.exists(source):
        _remove_folder_shares(client, source, result)
        files.ensure_folder(f"{naming.NETWORKS_FOLDER}/{ARCHIVE_FOLDER}", parents=False)
        try:
            files.move(source, target, overwrite=False)
        except PreconditionFailed:
            result.failed.append(f"Map: in '{naming.NETWORKS_FOLDER}/{ARCHIVE_FOLDER}' staat al een map '{name}'; "
                                 "hernoem of verplaats die en voer dit opnieuw uit (er is niets overschreven).")
            return
        result.moved_to = target
        log.info("network %s: moved %s to %s", network.slug, source, target)
    elif not files.exists(target):
        result.notes.append(f"De map '{source}' bestaat niet (meer); er is niets verplaatst.")
        return
    elif _claimed(network, archived_folder(name)):
        result.notes.append(f"De map '{source}' bestaat niet (meer); '{target}' is van een ander netwerk. Er is "
                            "niets verplaatst.")
        return
    else:
        # An earlier run moved it but ended before it could say so in the database.
        _remove_folder_shares(client, target, result)
    network.folder_name = archived_folder(name)
    db.session.commit()


def _claimed(network: Network, folder_name: str) -> bool:
    """True when another network of the same host has its folder there."""
    return db.session.query(Network.id).filter(
        Network.host_organisation_id == network.host_organisation_id, Network.folder_name == folder_name,
        Network.id != network.id).first() is not None


def _remove_folder_shares(client, root: str, result: EndResult) -> None:
    for share in _shares_in(client, root):
        try:
            client.ocs.delete_share(share.id)
        except NotFound:
            continue  # removed in the meantime
        # A public link is named, not printed: its URL still opens the folder until the removal is done.
        result.folder_shares_removed.append("openbare link" if share.share_type == SHARE_LINK else
                                            share.share_with or f"deling {share.id}")
        log.info("removed share %s (%s) on %s", share.id, share.share_with or share.share_type, share.path)


def _shares_in(client, root: str) -> list[Share]:
    """Every share on `root` and on anything below it: the folder's own (reshares included, §4.4), then the
    shares of each folder's children (`subfiles`), folder by folder."""
    found = {s.id: s for s in client.ocs.shares(f"/{root}", reshares=True)}
    folders = [root]
    while folders:
        folder = folders.pop(0)
        found.update({s.id: s for s in client.ocs.shares(f"/{folder}", reshares=True, subfiles=True)})
        folders += [entry.path for entry in client.files.list(folder) if entry.is_folder]
    return list(found.values())


def _unshare_calendar(client, uri: str, organisation: Organisation, what: str, result: EndResult) -> None:
    """Remove every sharee of the calendar `uri`; its events or tasks stay where they are."""
    try:
        sharees = client.calendars.sharees(uri)
    except NotFound:
        result.notes.append(f"De {what} '{uri}' van {organisation.name} bestaat niet (meer).")
        return
    if not sharees:
        return
    removed = client.calendars.unshare_calendar(uri, [s.href for s in sharees])
    if removed:
        names = ", ".join(href.rsplit("/", 1)[-1] for href in removed)
        result.calendar_sharees_removed.append(f"{what} van {organisation.name}: {names}")


def _shared_by_launch(network: Network, organisation: Organisation) -> bool:
    return any(step.kind == "tasklist-share" and step.organisation_id == organisation.id and step.status == STEP_DONE
               for step in network.launch_steps)
