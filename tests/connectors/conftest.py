"""Fixtures for the connector tests: a scriptable fake HTTP server on loopback and token helpers."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connectors import http


@dataclass
class Seen:
    at: float
    method: str
    path: str
    headers: dict
    body: bytes
    query: str = ""
    form: dict = field(default_factory=dict)


class FakeServer:
    """A loopback HTTP server whose answers each test scripts with `route(method, path, handler)`."""

    def __init__(self):
        self.routes = {}
        self.seen: list[Seen] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def route(self, method, path, handler):
        """`handler(request, calls)` returns a werkzeug Response; `calls` counts earlier hits of this route."""
        self.routes[(method, path)] = handler

    def hits(self, method=None, path=None):
        return [s for s in self.seen if (method is None or s.method == method) and (path is None or s.path == path)]

    @Request.application
    def _app(self, request):
        body = request.get_data()
        self.seen.append(Seen(time.monotonic(), request.method, request.path, dict(request.headers), body,
                              request.query_string.decode(),
                              dict(request.form) if request.mimetype == "application/x-www-form-urlencoded" else {}))
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            return Response("no route", 404)
        calls = len(self.hits(request.method, request.path)) - 1
        return handler(request, calls)


@pytest.fixture
def fake_server():
    server = FakeServer()
    server._thread.start()
    yield server
    server._server.shutdown()


@pytest.fixture(autouse=True)
def _fresh_session_cache():
    yield
    http.close_sessions()


REDIRECT_URI = "http://127.0.0.1:5000/oauth/callback"


@dataclass
class Connection:
    """One connected account on a sandbox organisation, as the app would hold it."""

    org: object
    uid: str
    client: object
    store: object
    oauth: object


@pytest.fixture
def connect():
    """`connect(org, uid)` → Connection with a MemoryTokenStore holding a freshly issued token."""
    from connectors.client import NextcloudClient
    from connectors.oauth import MemoryTokenStore, OAuthClient, Token

    registered = {}

    def _connect(org, uid):
        if org.key not in registered:
            registered[org.key] = org.register_client("Lerend Netwerk", redirect_uri=REDIRECT_URI)
        client_id, client_secret = registered[org.key]
        store = MemoryTokenStore(Token.from_response(org.issue_token(uid, client_id)))
        oauth = OAuthClient(org.base_url, client_id, client_secret, REDIRECT_URI,
                            session=http.session_for(org.base_url))
        return Connection(org, uid, NextcloudClient(org.base_url, oauth, store), store, oauth)

    return _connect


@pytest.fixture
def org_a(sandbox):
    return sandbox.org("a")


@pytest.fixture
def org_b(sandbox):
    return sandbox.org("b")


@pytest.fixture
def anna(connect, org_a):
    """Anna of organisation "a", connected."""
    return connect(org_a, "anna")
