"""A local stand-in for one or more Nextcloud instances: one WSGI app and cheroot server per organisation.

The DAV work is done by Radicale and WsgiDAV (sandbox.dav); the glue here — request ids, the request log,
fault switches, Bearer login, routing — is hand-written because it reproduces Nextcloud's own behaviour
(quirks `dav_401_basic_challenge`, `no_cookie_jar`, `maintenance_503`, `request_id_header`), which no
library emulates.
"""

import base64
import secrets
import shutil
import string
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cheroot import wsgi as cheroot_wsgi
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from sandbox.dav import (CALENDARS_PREFIX, FILES_PREFIX, CalendarDav, FilesDav, PrincipalDav, dav_error,
                         respond)
from sandbox import web
from sandbox.faults import FaultMiddleware, Faults
from sandbox.oauth import make_oauth_app
from sandbox.ocs import make_ocs_app
from sandbox.talk import TalkSandbox
from sandbox.smtp import MailStore, SmtpServer
from sandbox.state import OrgState

_ALPHANUMERIC = string.ascii_letters + string.digits
LISTEN_BACKLOG = 511


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    status: int
    user: str | None


def _request_id():
    # lib/private/AppFramework/Http/RequestId.php: a random 20-character value when the web server gives no
    # UNIQUE_ID.
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(20))


class Org:
    """One sandbox Nextcloud: its users and tokens (`state`), DAV storage, faults, log and outbox."""

    def __init__(self, sandbox, key, name, root, port=0, threads=10):
        self.sandbox = sandbox
        self.key = key
        self.name = name or key
        self.root = Path(root)
        self.faults = Faults()
        self.state = OrgState(token_lifetime=lambda: self.faults.token_lifetime)
        self.instance_id = "oc" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))
        # quirk `calendar_creation_limits` defaults; tests may lower them.
        self.calendar_creation_limit = 10
        self.calendar_limit = 30
        self.outbox = []
        self._lock = threading.RLock()
        self._log = []
        self._sharees = {}
        self._server = None
        self._thread = None
        self._requested_port = port
        # Requests served at the same time, as a Nextcloud's PHP workers; the injected latency sleeps in
        # one of them, holding no lock, so up to this many requests overlap their latency.
        self.threads = threads
        self.port = None
        self.talk = TalkSandbox(self)  # Nextcloud Talk; `org.talk.enabled = False` is a Nextcloud without it
        self.files = FilesDav(self, self.root / "files")
        self.calendars = CalendarDav(self, self.root / "calendars")
        self.app = self._build_app()

    # addresses ----------------------------------------------------------------------------------------
    @property
    def host(self):
        """"127.0.0.1:PORT", the host part of federated cloud ids ("anna@127.0.0.1:PORT",
        lib/private/Federation/CloudIdManager.php)."""
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self):
        return f"http://{self.host}"

    # users and OAuth (delegated to the state) -----------------------------------------------------------
    def add_user(self, uid, password=None, display_name=None, email=None, groups=()):
        user = self.state.add_user(uid, password=password, display_name=display_name, email=email, groups=groups)
        self.files.ensure_home(uid)
        return user

    def register_client(self, name, redirect_uri):
        return self.state.register_client(name, redirect_uri)

    def issue_token(self, uid, client_id):
        return self.state.issue_token(uid, client_id)

    @property
    def token_endpoint_calls(self):
        return self.state.token_endpoint_calls

    def expire_access_tokens(self):
        self.state.expire_access_tokens()

    def revoke_grants(self, uid):
        self.state.revoke_grants(uid)

    def remote_shares(self, uid):
        """Federated shares received by `uid` (apps/files_sharing/lib/Controller/RemoteController.php)."""
        return self.state.remote_shares_for(uid)

    # files, for the OCS side ---------------------------------------------------------------------------
    def node_path(self, uid, path):
        """The local filesystem path of a node in `uid`'s files (path relative to their root)."""
        return self.files.folder / uid / path.strip("/")

    def node_type(self, uid, path):
        """"file", "folder" or None for a path in `uid`'s files."""
        local = self.node_path(uid, path)
        return "folder" if local.is_dir() else "file" if local.is_file() else None

    # request log ----------------------------------------------------------------------------------------
    @property
    def request_log(self):
        with self._lock:
            return list(self._log)

    def clear_log(self):
        with self._lock:
            self._log.clear()

    # calendar shares (apps/dav/lib/DAV/Sharing/Plugin.php) and the outbox (IMipPlugin.php) ------------------
    def set_calendar_sharee(self, owner, calendar_uri, sharee):
        with self._lock:
            self._sharees.setdefault((owner, calendar_uri), {})[sharee.href] = sharee

    def remove_calendar_sharee(self, owner, calendar_uri, href):
        with self._lock:
            self._sharees.get((owner, calendar_uri), {}).pop(href, None)

    def forget_calendar_shares(self, owner, calendar_uri):
        with self._lock:
            self._sharees.pop((owner, calendar_uri), None)

    def calendar_sharee_records(self, owner, calendar_uri):
        with self._lock:
            return list(self._sharees.get((owner, calendar_uri), {}).values())

    def calendar_access(self, uid, owner, calendar_uri):
        """True (read-write) or False (read-only) when `uid` shares in the calendar directly or through a
        group; None when it is not shared with them."""
        user = self.state.users.get(uid)
        if user is None:
            return None
        hrefs = {f"principal:principals/users/{uid}"} | {f"principal:principals/groups/{g}" for g in user.groups}
        found = [s.read_write for s in self.calendar_sharee_records(owner, calendar_uri) if s.href in hrefs]
        return any(found) if found else None

    def calendars_shared_with(self, uid):
        """[(owner, calendar_uri)] of calendars shared with `uid`."""
        with self._lock:
            keys = list(self._sharees)
        return [(owner, uri) for owner, uri in keys
                if owner != uid and self.calendar_access(uid, owner, uri) is not None]

    def calendar_sharees(self, owner_uid, calendar_uri):
        """[(principal href as in `oc:invite`, e.g. "principal:principals/users/bob", read_write)]."""
        return [(s.href, s.read_write) for s in self.calendar_sharee_records(owner_uid, calendar_uri)]

    def record_invitations(self, invitations):
        with self._lock:
            self.outbox.extend(invitations)

    # server -------------------------------------------------------------------------------------------------
    def start(self):
        if self._server is not None:
            return
        # The listen backlog of Apache and nginx (511), not cheroot's 5: with 5, a client opening more connections
        # at once than that loses the surplus SYNs and waits for TCP's one-second retransmit.
        self._server = cheroot_wsgi.Server(("127.0.0.1", self._requested_port), self.app, numthreads=self.threads,
                                           server_name=f"sandbox-{self.key}", shutdown_timeout=1,
                                           request_queue_size=LISTEN_BACKLOG)
        # cheroot's serve loop notices stop() only after this poll interval (0.5 s by default).
        self._server.expiration_interval = 0.05
        self._server.prepare()
        self.port = self._server.bind_addr[1]
        self._thread = threading.Thread(target=self._server.serve, name=f"sandbox-{self.key}", daemon=True)
        self._thread.start()

    def stop(self):
        if self._server is None:
            return
        self._server.stop()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    # WSGI composition -----------------------------------------------------------------------------------
    def _build_app(self):
        ocs = make_ocs_app(self)
        oauth = make_oauth_app(self)
        pages = self.pages = web.make_web_app(self)

        def rest(environ, start_response):
            path = environ.get("PATH_INFO", "")
            if path.startswith("/.well-known/caldav") or path.startswith("/.well-known/carddav"):
                start_response("301 Moved Permanently", [("Location", "/remote.php/dav/"), ("Content-Length", "0")])
                return [b""]
            if path.startswith("/ocs/") or path == "/status.php":
                return ocs(environ, start_response)
            if web.handles(path):
                return pages(environ, start_response)
            return oauth(environ, start_response)

        route = DispatcherMiddleware(rest, {FILES_PREFIX: self.files, CALENDARS_PREFIX: self.calendars,
                                            "/remote.php/dav": PrincipalDav(self)})
        faulted = FaultMiddleware(_AuthMiddleware(self, route), self.faults)

        def app(environ, start_response):
            # The sandbox's own pages stay reachable while its Nextcloud is faulted (see sandbox.web).
            if web.outside_faults(environ.get("PATH_INFO", "")):
                return pages(environ, start_response)
            return faulted(environ, start_response)

        return _LogMiddleware(self, app)


class _AuthMiddleware:
    """Logs a request in from `Authorization: Bearer` (or Basic with the password) into REMOTE_USER.

    A failed or missing login on DAV is 401 with the Basic challenge of Nextcloud's Basic backend (the Bearer
    backend adds none, quirk `dav_401_basic_challenge`); requests to remote.php or ocs carrying cookies without
    `OCS-APIRequest` get 412 (strict cookie check, quirk `no_cookie_jar`).
    """

    def __init__(self, org, app):
        self.org = org
        self.app = app

    def __call__(self, environ, start_response):
        environ.pop("REMOTE_USER", None)
        path = environ.get("PATH_INFO", "")
        if (environ.get("HTTP_COOKIE") and not environ.get("HTTP_OCS_APIREQUEST")
                and (path.startswith("/remote.php/") or path.startswith("/ocs/"))):
            body = b'{"error":"Strict Cookie has not been found in request"}'
            start_response("412 Precondition Failed", [("Content-Type", "application/json"),
                                                       ("Content-Length", str(len(body)))])
            return [body]
        user, failed = self._login(environ.get("HTTP_AUTHORIZATION", ""))
        if user is not None:
            environ["REMOTE_USER"] = user
        if user is None and path.startswith("/remote.php/"):
            message = ("Bearer auth was unsuccessful" if failed else
                       "No public access to this resource., No 'Authorization: Bearer' header found.")
            answer = dav_error(401, "Sabre\\DAV\\Exception\\NotAuthenticated", message)
            # Sabre's auth plugin asks every backend to challenge: Nextcloud's Basic backend (apps/dav/lib/
            # Connector/Sabre/Auth.php, realm = the instance name) answers this; BearerAuth.php sends nothing.
            answer.headers.append(("WWW-Authenticate", 'Basic realm="Nextcloud", charset="UTF-8"'))
            return respond(start_response, answer)
        return self.app(environ, start_response)

    def _login(self, header):
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            user = self.org.state.user_for_access_token(credentials.strip())
            return user, user is None
        if scheme.lower() == "basic":
            try:
                login, _, password = base64.b64decode(credentials.strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None, True
            user = self.org.state.check_password(login, password)
            return user, user is None
        return None, False


class _LogMiddleware:
    """Outermost layer: `X-Request-Id` on every response (quirk `request_id_header`) and the request log."""

    def __init__(self, org, app):
        self.org = org
        self.app = app

    def __call__(self, environ, start_response):
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        seen = {}

        def start(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append(("X-Request-Id", _request_id()))
            return start_response(status, headers, exc_info)

        result = self.app(environ, start)
        try:
            body = list(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        with self.org._lock:
            self.org._log.append(RequestRecord(method, path, seen.get("status", 0), environ.get("REMOTE_USER")))
        return body


class Sandbox:
    """Several sandbox Nextclouds that can find each other by host (for federation,
    lib/private/Federation/CloudIdManager.php)."""

    def __init__(self, root=None, smtp_port=0, threads=10):
        self._own_root = root is None
        self.threads = threads
        self.root = Path(tempfile.mkdtemp(prefix="ln-sandbox-") if root is None else root)
        self._orgs = {}
        self._lock = threading.RLock()
        self._started = False
        # One mail server for all organisations: the app's own mail and the iMIP replies land here.
        self.mail = MailStore()
        self.smtp = SmtpServer(self.mail, port=smtp_port)

    def add_org(self, key, name=None, port=0):
        """Add an organisation; port 0 (the default) picks a free port when it starts."""
        with self._lock:
            if key in self._orgs:
                raise ValueError(f"organisation {key!r} already exists")
            org = Org(self, key, name, self.root / key, port, threads=self.threads)
            self._orgs[key] = org
            if self._started:
                org.start()
            return org

    def org(self, key):
        return self._orgs[key]

    @property
    def orgs(self):
        with self._lock:
            return dict(self._orgs)

    def org_for_host(self, host):
        """The organisation serving `host` ("127.0.0.1:PORT", or a base URL), or None."""
        host = host.split("://", 1)[-1].rstrip("/")
        with self._lock:
            return next((o for o in self._orgs.values() if o.port is not None and o.host == host), None)

    def start(self):
        with self._lock:
            self.smtp.start()
            for org in self._orgs.values():
                org.start()
            self._started = True
        return self

    def stop(self):
        with self._lock:
            # cheroot waits for its workers on stop; stopping the servers side by side keeps teardown short.
            stoppers = [threading.Thread(target=org.stop) for org in self._orgs.values()]
            for stopper in stoppers:
                stopper.start()
            for stopper in stoppers:
                stopper.join()
            self.smtp.stop()
            self._started = False
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
