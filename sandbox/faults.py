"""Fault switches of one sandbox organisation and the WSGI middleware that applies them to every path.

Hand-written because the faults are Nextcloud's own shapes (maintenance header, OCS envelope, Sabre XML
error, Retry-After), which no test-server library reproduces (quirk `maintenance_503`).
"""

import json
import random
import threading
import time
from dataclasses import dataclass

MAINTENANCE_RETRY_AFTER = 120  # lib/base.php checkMaintenanceMode sends Retry-After: 120 (quirk `maintenance_503`)

_REASONS = {429: "Too Many Requests", 503: "Service Unavailable"}


@dataclass
class _Pending:
    status: int
    count: int
    retry_after: int | None


class Faults:
    """Switches a test flips to make one organisation slow, flaky, rate limited or in maintenance."""

    def __init__(self, seed=None):
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._pending: list[_Pending] = []
        self.reset()

    def fail_next(self, status, count=1, retry_after=None):
        """Answer the next `count` requests (any path) with `status`; `retry_after` overrides the default."""
        with self._lock:
            self._pending.append(_Pending(status, count, retry_after))

    def reset(self):
        """Every switch back to a healthy server (also the state a new Faults starts in)."""
        with self._lock:
            self._pending.clear()
            self.latency = 0.0
            self.error_rate = {503: 0.0, 429: 0.0}
            self.retry_after = 1
            self.maintenance = False
            self.token_lifetime = 3600
            # Test hook: called as on_request(method, path) once a request has been handled and before its
            # answer is sent, e.g. to kill the client at the n-th write (the launch engine's crash tests): the
            # write has landed, the client never learns of it. Not called for injected faults.
            self.on_request = None

    def draw(self):
        """The injected failure for one request as (status, retry_after or None), or None to serve it."""
        with self._lock:
            if self._pending:
                pending = self._pending[0]
                pending.count -= 1
                if pending.count <= 0:
                    self._pending.pop(0)
                retry_after = pending.retry_after
                if retry_after is None and pending.status in (429, 503):
                    retry_after = self.retry_after
                return pending.status, retry_after
            for status, rate in sorted(self.error_rate.items()):
                if rate and self._random.random() < rate:
                    return status, self.retry_after
        return None


def _kind(path):
    if path.startswith("/ocs/"):
        return "ocs"
    if path.startswith("/remote.php/"):
        return "dav"
    return "html"


def _ocs_body(status, message):
    """An OCS v2 envelope whose statuscode is the HTTP status (quirk `ocs_v1_vs_v2`; maintenance: ocs/v1.php)."""
    return json.dumps({"ocs": {"meta": {"status": "failure", "statuscode": status, "message": message,
                                        "totalitems": "", "itemsperpage": ""}, "data": []}}).encode()


def sabre_error(exception, message, extra=""):
    """Sabre's XML error body, as every DAV error in Nextcloud is rendered
    (apps/dav/lib/Connector/Sabre/MaintenancePlugin.php)."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" '
            'xmlns:cal="urn:ietf:params:xml:ns:caldav">\n'
            f"  {extra}<s:exception>{exception}</s:exception>\n"
            f"  <s:message>{message}</s:message>\n"
            "</d:error>\n").encode()


def error_response(environ, status, message, headers=()):
    """Body and headers of an error shaped for the path's API family (OCS JSON, Sabre XML or HTML)."""
    kind = _kind(environ.get("PATH_INFO", ""))
    if kind == "ocs":
        body, ctype = _ocs_body(status, message), "application/json; charset=utf-8"
    elif kind == "dav":
        exception = {503: "Sabre\\DAV\\Exception\\ServiceUnavailable",
                     429: "Sabre\\DAV\\Exception\\TooManyRequests"}.get(status, "Sabre\\DAV\\Exception")
        body, ctype = sabre_error(exception, message), "application/xml; charset=utf-8"
    else:
        body = f"<!DOCTYPE html><html><body><h1>{message}</h1></body></html>".encode()
        ctype = "text/html; charset=utf-8"
    return body, [("Content-Type", ctype), ("Content-Length", str(len(body))), *headers]


class FaultMiddleware:
    """Applies an organisation's `Faults` before anything else answers (maintenance is checked first in
    Nextcloud too, before authentication)."""

    def __init__(self, app, faults):
        self.app = app
        self.faults = faults

    def __call__(self, environ, start_response):
        faults = self.faults
        if faults.latency:
            time.sleep(faults.latency)
        path = environ.get("PATH_INFO", "")
        # status.php stays reachable in maintenance: it is the probe that reports it (Nextcloud: status.php).
        if faults.maintenance and path != "/status.php":
            return self._maintenance(environ, start_response)
        injected = faults.draw()
        if injected is not None:
            status, retry_after = injected
            headers = [("Retry-After", str(retry_after))] if retry_after is not None else []
            body, headers = error_response(environ, status, _REASONS.get(status, "Injected fault"), headers)
            start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
            return [body]
        result = self.app(environ, start_response)
        if faults.on_request is not None:
            faults.on_request(environ.get("REQUEST_METHOD", ""), path)
        return result

    def _maintenance(self, environ, start_response):
        # quirk `maintenance_503`: 503, X-Nextcloud-Maintenance-Mode: 1, Retry-After: 120; body per API family.
        kind = _kind(environ.get("PATH_INFO", ""))
        message = {"ocs": "Service unavailable", "dav": "System in maintenance mode."}.get(
            kind, "Nextcloud is in maintenance mode")
        body, headers = error_response(environ, 503, message, [
            ("X-Nextcloud-Maintenance-Mode", "1"), ("Retry-After", str(MAINTENANCE_RETRY_AFTER))])
        start_response("503 Service Unavailable", headers)
        return [body]
