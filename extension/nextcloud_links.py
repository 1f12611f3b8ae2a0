"""Links from the app's pages back into a person's own Nextcloud: Files (a folder or a file), Calendar, Tasks.

Paths go through `/index.php/`, which works with and without pretty URLs (quirk `no_discovery_or_userinfo`). A file link
uses the file id (`/f/<fileid>`, the Files app's permalink route, server `apps/files/appinfo/routes.php`),
which keeps working when the file is renamed or moved (quirk `fileid_stable`).
A folder path is the one the viewer sees: for a shared folder that is the share's target in their own
files (`file_target`, Nextcloud: apps/files_sharing/lib/Controller/ShareAPIController.php), not the owner's path.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode


@dataclass(frozen=True)
class NextcloudLinks:
    """Links into one Nextcloud instance, e.g. `NextcloudLinks(account.organisation.nextcloud_url)`."""

    base_url: str

    def _url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/index.php/{path.lstrip('/')}"

    def files(self, folder: str = "/") -> str:
        """The Files app opened at `folder` (a path in the viewer's own files)."""
        folder = "/" + folder.strip("/")
        return self._url("apps/files/") + "?" + urlencode({"dir": folder}, quote_via=quote, safe="/")

    def file(self, file_id: int | str) -> str:
        """A file or folder by its Nextcloud file id: opens it wherever it is now."""
        return self._url(f"f/{quote(str(file_id), safe='')}")

    def calendar(self) -> str:
        return self._url("apps/calendar/")

    def tasks(self) -> str:
        return self._url("apps/tasks/")


def links_for(account) -> NextcloudLinks | None:
    """Links into the Nextcloud of a signed-in account's organisation; None when it has no Nextcloud."""
    organisation = getattr(account, "organisation", None)
    if organisation is None or not organisation.nextcloud_url:
        return None
    return NextcloudLinks(organisation.nextcloud_url)
