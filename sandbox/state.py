"""In-memory identity state of one sandbox organisation: users, OAuth2 clients and grants, shares, settings.

Hand-written because it models Nextcloud's own rules (Nextcloud: apps/oauth2, apps/files_sharing,
lib/private/Federation), which no library reproduces:
the OAuth2 app stores one row per grant whose code is replaced by the refresh token on exchange, rotates
the app password (the access token) on every token call, and throttles failures per source IP.
"""
from __future__ import annotations

import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

ALPHANUMERIC = string.ascii_letters + string.digits

CODE_LIFETIME = 600  # apps/oauth2/lib/Controller/OauthApiController.php: an unused code is rejected after 10 min
BRUTEFORCE_MAX_ATTEMPTS = 10  # lib/public/Security/Bruteforce/IThrottler.php (MAX_ATTEMPTS)
BRUTEFORCE_MAX_DELAY_MS = 25_000
BRUTEFORCE_BLOCK_WINDOW = 30 * 60  # 429 once >10 attempts fell in the last 30 minutes
BRUTEFORCE_DELAY_WINDOW = 12 * 3600  # the delay itself counts attempts of the last 12 hours


def random_token(length: int) -> str:
    return "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))


@dataclass
class User:
    uid: str
    password: str
    display_name: str
    email: str | None = None
    groups: list[str] = field(default_factory=list)
    enabled: bool = True


@dataclass
class Client:
    """An OAuth2 client as registered by an admin (Nextcloud: apps/oauth2/lib/Controller/SettingsController.php)."""

    name: str
    redirect_uri: str
    client_id: str
    client_secret: str


@dataclass
class Grant:
    """One row of Nextcloud's oauth2_access_tokens plus its app password (quirk `single_use_refresh_token`).

    `secret` holds the authorization code until the first exchange, then the current refresh token.
    """

    uid: str
    client_id: str
    secret: str
    code_created_at: float
    token_count: int = 0
    access_token: str | None = None
    access_expires_at: float = 0.0


@dataclass
class Share:
    """A share created through the files_sharing OCS API (apps/files_sharing/lib/Controller/ShareAPIController.php)."""

    id: int
    share_type: int
    owner: str
    share_with: str | None
    path: str  # relative to the owner's root, leading slash, no trailing slash
    item_type: str  # "file" or "folder"
    file_id: int
    permissions: int
    stime: int
    note: str = ""
    label: str = ""
    token: str | None = None
    expiration: str | None = None  # "YYYY-MM-DD 00:00:00"
    password: str | None = None
    mail_send: bool = False
    share_with_displayname: str | None = None


@dataclass
class RemoteShare:
    """A federated share received from another instance, as listed by /remote_shares
    (apps/files_sharing/lib/Controller/RemoteController.php)."""

    id: int
    remote: str  # the sender's base URL
    remote_id: str  # the share's id on the sender
    share_token: str
    name: str
    owner: str
    user: str
    item_type: str
    permissions: int
    accepted: bool = False


class TokenError(Exception):
    """A token endpoint failure: `error` goes in the 400 body, `throttled` registers a brute-force attempt."""

    def __init__(self, error: str, throttled: bool = True):
        super().__init__(error)
        self.error = error
        self.throttled = throttled


class OrgState:
    """Thread-safe state of one sandbox Nextcloud; the WSGI apps in ocs.py and oauth.py read and change it."""

    def __init__(self, token_lifetime: Callable[[], int] = lambda: 3600, clock: Callable[[], float] = time.time):
        self._lock = threading.RLock()
        self._token_lifetime = token_lifetime
        self.clock = clock
        self.users: dict[str, User] = {}
        self.clients: dict[str, Client] = {}
        self._grants: dict[str, Grant] = {}  # by code or refresh token
        self._access: dict[str, Grant] = {}  # by access token
        self.flows: dict[str, dict] = {}  # in-progress browser authorisations, by flow id
        self.token_endpoint_calls = 0
        self._attempts: dict[str, list[float]] = {}
        self.shares: dict[int, Share] = {}
        self.remote_shares: dict[int, RemoteShare] = {}
        self._next_share_id = 1
        self._next_remote_id = 1
        self._file_ids: dict[tuple[str, str], int] = {}
        self._next_file_id = 100
        # Instance settings read by capabilities and the sharing API (apps/files_sharing/lib/Capabilities.php).
        self.version = (31, 0, 5)
        self.enabled_apps = {"dav", "files", "files_sharing", "federatedfilesharing", "federation",
                             "sharebymail", "theming", "calendar", "tasks", "notifications", "spreed"}
        self.federation_outgoing = True
        self.federation_incoming = True
        self.trusted_servers: set[str] = set()  # hosts ("127.0.0.1:PORT") this instance trusts
        self.auto_accept_trusted = False  # "auto-accept shares from trusted servers"
        self.group_sharing = True
        self.link_sharing = True
        self.default_permissions = 31
        self.max_autocomplete_results = 25
        self.bruteforce_sleep_cap = 0.005  # seconds actually slept; the header still reports the full delay

    # users -------------------------------------------------------------------------------------------
    def add_user(self, uid: str, password: str | None = None, display_name: str | None = None,
                 email: str | None = None, groups=(), enabled: bool = True) -> User:
        with self._lock:
            user = User(uid, password if password is not None else uid, display_name or uid, email,
                        list(groups), enabled)
            self.users[uid] = user
            return user

    def user(self, uid: str | None) -> User | None:
        return self.users.get(uid) if uid else None

    def check_password(self, login: str, password: str) -> str | None:
        """The uid for a login name or e-mail address plus password, or None."""
        with self._lock:
            for user in self.users.values():
                if login in (user.uid, user.email) and user.enabled and secrets.compare_digest(
                        user.password.encode(), password.encode()):
                    return user.uid
        return None

    def group_ids(self) -> set[str]:
        with self._lock:
            return {gid for user in self.users.values() for gid in user.groups}

    # OAuth2 clients and grants (apps/oauth2) ----------------------------------------------------------
    def register_client(self, name: str, redirect_uri: str) -> tuple[str, str]:
        """Register a client; the ids are 64 alphanumeric characters (SettingsController.php)."""
        if "://" not in redirect_uri:
            raise ValueError("Your redirect URL needs to be a full URL for example: https://yourdomain.com/path")
        with self._lock:
            client = Client(name, redirect_uri, random_token(64), random_token(64))
            self.clients[client.client_id] = client
            return client.client_id, client.client_secret

    def client(self, client_id: str | None) -> Client | None:
        return self.clients.get(client_id) if client_id else None

    def delete_client(self, client_id: str) -> None:
        """Deleting a client kills every grant issued to it (apps/oauth2/lib/Service/ClientService.php)."""
        with self._lock:
            self.clients.pop(client_id, None)
            for grant in [g for g in self._grants.values() if g.client_id == client_id]:
                self._drop(grant)

    def create_code(self, uid: str, client_id: str) -> str:
        """A fresh 128-character authorization code, valid for 10 minutes and once (OauthApiController.php)."""
        with self._lock:
            code = random_token(128)
            self._grants[code] = Grant(uid, client_id, code, self.clock())
            return code

    def issue_token(self, uid: str, client_id: str) -> dict:
        """Skip the browser: create a grant and exchange it at once, returning the token endpoint's success body."""
        with self._lock:
            return self._rotate(self._grants[self.create_code(uid, client_id)])

    def redeem(self, grant_type: str, secret: str | None, client_id: str | None, client_secret: str | None) -> dict:
        """The token endpoint's rules, in the order Nextcloud checks them (OauthApiController.php)."""
        if grant_type not in ("authorization_code", "refresh_token"):
            raise TokenError("invalid_grant")
        with self._lock:
            grant = self._grants.get(secret or "")
            if grant is None:
                raise TokenError("invalid_request")
            if grant_type == "authorization_code":
                if grant.token_count > 0:  # a refresh token sent as a code
                    raise TokenError("invalid_request")
                if self.clock() - grant.code_created_at > CODE_LIFETIME:
                    self._drop(grant)
                    raise TokenError("invalid_request")
            client = self.clients.get(grant.client_id)
            if client is None:
                raise TokenError("invalid_request")
            if client_id != client.client_id or not secrets.compare_digest(
                    (client_secret or "").encode(), client.client_secret.encode()):
                raise TokenError("invalid_client")
            return self._rotate(grant)

    def _rotate(self, grant: Grant) -> dict:
        # Every token call replaces both tokens; the old ones stop working at once (quirk `single_use_refresh_token`).
        # Unlike 28–32 this is atomic (like the newer code): a second parallel refresh with the same
        # token loses with invalid_request, which is how a missing refresh lock shows up in tests.
        self._grants.pop(grant.secret, None)
        if grant.access_token:
            self._access.pop(grant.access_token, None)
        lifetime = int(self._token_lifetime())
        grant.secret = random_token(128)
        grant.access_token = random_token(72)
        grant.access_expires_at = self.clock() + lifetime
        grant.token_count += 1
        self._grants[grant.secret] = grant
        self._access[grant.access_token] = grant
        return {"access_token": grant.access_token, "token_type": "Bearer", "expires_in": lifetime,
                "refresh_token": grant.secret, "user_id": grant.uid}

    def _drop(self, grant: Grant) -> None:
        self._grants.pop(grant.secret, None)
        if grant.access_token:
            self._access.pop(grant.access_token, None)

    def user_for_access_token(self, token: str | None) -> str | None:
        """The uid owning a live access token; None when unknown, expired, revoked or the user is disabled."""
        if not token:
            return None
        with self._lock:
            grant = self._access.get(token)
            if grant is None or self.clock() >= grant.access_expires_at:
                return None
            user = self.users.get(grant.uid)
            return user.uid if user is not None and user.enabled else None

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired now; refresh tokens keep working (quirk `fixed_token_lifetime`)."""
        with self._lock:
            now = self.clock()
            for grant in self._access.values():
                grant.access_expires_at = now

    def revoke_grants(self, uid: str) -> None:
        """Like the user deleting the app passwords: tokens dead, refresh gets invalid_request
        (quirk `token_errors_all_400`)."""
        with self._lock:
            for grant in [g for g in self._grants.values() if g.uid == uid]:
                self._drop(grant)

    def count_token_call(self) -> None:
        with self._lock:
            self.token_endpoint_calls += 1

    # brute-force throttling of the token endpoint (lib/private/Security/Bruteforce/Throttler.php) -----------
    def register_attempt(self, ip: str) -> None:
        with self._lock:
            self._attempts.setdefault(ip, []).append(self.clock())

    def attempts(self, ip: str, window: float = BRUTEFORCE_DELAY_WINDOW) -> int:
        with self._lock:
            cutoff = self.clock() - window
            return sum(1 for t in self._attempts.get(ip, ()) if t > cutoff)

    def bruteforce_delay_ms(self, ip: str) -> int:
        """Throttler::getDelay: 100 ms doubled per attempt, capped at 25 s."""
        attempts = self.attempts(ip)
        if attempts == 0:
            return 0
        if attempts > BRUTEFORCE_MAX_ATTEMPTS:
            return BRUTEFORCE_MAX_DELAY_MS
        return min(BRUTEFORCE_MAX_DELAY_MS, 100 * 2 ** attempts)

    def bruteforce_blocked(self, ip: str) -> bool:
        """Throttler::sleepDelayOrThrowOnMax: maximum delay reached and >10 attempts in 30 minutes → 429."""
        return (self.bruteforce_delay_ms(ip) == BRUTEFORCE_MAX_DELAY_MS
                and self.attempts(ip, BRUTEFORCE_BLOCK_WINDOW) > BRUTEFORCE_MAX_ATTEMPTS)

    def reset_attempts(self, ip: str | None = None) -> None:
        """Admin action: clear recorded attempts (for one IP, or all)."""
        with self._lock:
            if ip is None:
                self._attempts.clear()
            else:
                self._attempts.pop(ip, None)

    # browser flows ---------------------------------------------------------------------------------------
    def start_flow(self, client_id: str, state: str) -> str:
        with self._lock:
            now = self.clock()
            for stale in [k for k, f in self.flows.items() if now - f["started"] > CODE_LIFETIME]:
                del self.flows[stale]
            flow_id = random_token(32)
            self.flows[flow_id] = {"client_id": client_id, "state": state, "uid": None, "started": now}
            return flow_id

    def flow(self, flow_id: str | None) -> dict | None:
        with self._lock:
            flow = self.flows.get(flow_id or "")
            if flow is not None and self.clock() - flow["started"] > CODE_LIFETIME:
                del self.flows[flow_id]
                return None
            return flow

    def end_flow(self, flow_id: str) -> None:
        with self._lock:
            self.flows.pop(flow_id, None)

    # shares (ShareAPIController.php, CloudFederationProviderFiles.php) --------------------------------------
    def file_id(self, owner: str, path: str) -> int:
        """A stable numeric id for a node, standing in for Nextcloud's fileid."""
        with self._lock:
            if (owner, path) not in self._file_ids:
                self._file_ids[(owner, path)] = self._next_file_id
                self._next_file_id += 1
            return self._file_ids[(owner, path)]

    def move_node(self, owner: str, old: str, new: str) -> None:
        """A node and everything below it moved: ids and shares follow it, as they follow the fileid in
        Nextcloud (quirk `fileid_stable`)."""
        old, new = old.rstrip("/") or "/", new.rstrip("/") or "/"

        def moved(path: str) -> str | None:
            if path == old or path.startswith(old + "/"):
                return new + path[len(old):]
            return None

        with self._lock:
            for key_owner, path in list(self._file_ids):
                if key_owner == owner and moved(path) is not None:
                    self._file_ids[(owner, moved(path))] = self._file_ids.pop((owner, path))
            for share in self.shares.values():
                if share.owner == owner and moved(share.path) is not None:
                    share.path = moved(share.path)

    def drop_shares(self, owner: str, path: str) -> list[Share]:
        """A node of `owner` was deleted: its shares and those of everything below it go too, as in Nextcloud,
        whose share providers stop listing shares of a node that is no longer in the owner's files (server
        lib/private/Share20/DefaultShareProvider.php `isAccessibleResult`) and whose
        apps/files_sharing/lib/DeleteOrphanedSharesJob.php deletes the rows. Returns the dropped shares."""
        path = path.rstrip("/") or "/"
        with self._lock:
            gone = [s for s in self.shares.values()
                    if s.owner == owner and (s.path == path or s.path.startswith(path.rstrip("/") + "/"))]
            for share in gone:
                del self.shares[share.id]
            return gone

    def add_share(self, **fields) -> Share:
        with self._lock:
            share = Share(id=self._next_share_id, stime=int(self.clock()), **fields)
            self._next_share_id += 1
            self.shares[share.id] = share
            return share

    def add_remote_share(self, **fields) -> RemoteShare:
        with self._lock:
            share = RemoteShare(id=self._next_remote_id, **fields)
            self._next_remote_id += 1
            self.remote_shares[share.id] = share
            return share

    def remote_shares_for(self, uid: str, accepted: bool | None = None) -> list[RemoteShare]:
        """Federated shares received by `uid`; accepted=None lists pending and accepted alike."""
        with self._lock:
            return [s for s in self.remote_shares.values()
                    if s.user == uid and (accepted is None or s.accepted == accepted)]

    @property
    def lock(self) -> threading.RLock:
        return self._lock
