"""NextcloudClient: one connected account on one Nextcloud, handing out the OCS, files and calendar clients."""

from __future__ import annotations

from functools import cached_property

import requests

from connectors.errors import ReconnectNeeded
from connectors.files import FilesClient
from connectors.http import DEFAULT_TIMEOUT, session_for
from connectors.oauth import BearerAuth, OAuthClient, TokenStore
from connectors.ocs import OcsClient

__all__ = ["NextcloudClient", "session_for"]


class NextcloudClient:
    """Facade over the per-area clients; all share the instance's session and one BearerAuth."""

    def __init__(self, base_url: str, oauth_client: OAuthClient, token_store: TokenStore,
                 session: requests.Session | None = None, leeway: float = 60, timeout=DEFAULT_TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.session = session if session is not None else session_for(self.base_url)
        self.token_store = token_store
        self.auth = BearerAuth(token_store, oauth_client, leeway=leeway)
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"NextcloudClient({self.base_url!r})"

    @property
    def user_id(self) -> str:
        """The account's UID (token response `user_id`, quirk `uid_in_dav_paths`); asks OCS if not stored."""
        token = self.token_store.load()
        if token is None:
            raise ReconnectNeeded("no token stored for this connection", reason="no token")
        return token.user_id or self.ocs.current_user().id

    @cached_property
    def ocs(self) -> OcsClient:
        return OcsClient(self.base_url, self.session, self.auth)

    @cached_property
    def files(self) -> FilesClient:
        return FilesClient(self.base_url, self.user_id, self.session, self.auth)

    @cached_property
    def calendars(self):
        """CalendarClient of this account (imported lazily: caldav is only loaded when calendars are used)."""
        from connectors.calendars import CalendarClient

        return CalendarClient(self.base_url, self.user_id, self.auth, timeout=self.timeout,
                              session=self.session)

    @cached_property
    def talk(self):
        """TalkClient of this account (Nextcloud Talk over OCS; shares the OCS client's cached capabilities)."""
        from connectors.talk import TalkClient

        return TalkClient(self.ocs)
