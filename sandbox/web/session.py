"""The sandbox's own browser sign-in: a server-side session per cookie, so signing out really ends it.

Cookies are per host, not per port, and every sandbox organisation (and the app) runs on 127.0.0.1: the
cookie name carries the organisation key so two organisations' sessions never overwrite each other.
"""

import secrets
import threading
from dataclasses import dataclass, field


@dataclass
class Session:
    uid: str | None  # None for a mailbox-only session (someone without a sandbox account reading their mail)
    mailbox: str = ""  # the address of a mailbox-only session
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    notice: str = ""  # a one-time message for the next page ("Taak afgevinkt.")


class Sessions:
    def __init__(self, org_key):
        self.cookie_name = f"nc_sandbox_{org_key}"
        self._lock = threading.Lock()
        self._sessions = {}

    def start(self, uid, mailbox=""):
        """A new session for `uid` (or, with uid None, for reading `mailbox` only); returns the cookie value."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[token] = Session(uid, mailbox=mailbox)
        return token

    def get(self, request):
        token = request.cookies.get(self.cookie_name, "")
        with self._lock:
            return self._sessions.get(token)

    def end(self, request):
        with self._lock:
            self._sessions.pop(request.cookies.get(self.cookie_name, ""), None)

    def set_cookie(self, response, token):
        response.set_cookie(self.cookie_name, token, path="/", httponly=True, samesite="Lax")

    def clear_cookie(self, response):
        response.delete_cookie(self.cookie_name, path="/")
