"""Health endpoints: /healthz says the process answers; /readyz reports each dependency, from the database only.

/readyz answers 503 only when one of the app's own critical dependencies fails (the readiness registry:
database, schema, job queue). A stalled sync makes it "failing" and a failing Nextcloud "degraded", both
with 200: the pages still work from the database, so the app stays in its load balancer. The
organisations' results are the worker's last background checks (extension.admin.checks.run_and_store):
no request waits on a Nextcloud here. Anonymous callers get the overall status only; the details (which
name Nextcloud URLs, versions and accounts) need an admin's session or the READYZ_TOKEN bearer token.
`?organisations=false` leaves the organisations out.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, current_app, g, jsonify, request

from extension.health import readiness

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = readiness.run_checks(current_app)
    ready = all(c["ok"] or not c["critical"] for c in checks.values())
    failing = not ready or any(not c["ok"] and c.get("fails") for c in checks.values())
    degraded = not all(c["ok"] for c in checks.values())
    body = {"checks": checks}
    if ready and request.args.get("organisations", "true").lower() not in ("false", "0", "no"):
        from extension.admin.checks import stored_reports

        body["organisations"] = stored_reports()
        degraded = degraded or any(o["ok"] is False for o in body["organisations"].values())
    status = "failing" if failing else "degraded" if degraded else "ok"
    code = 200 if ready else 503
    if not may_see_details():
        return jsonify(status=status), code
    body["status"] = status
    return jsonify(body), code


def may_see_details() -> bool:
    """An admin's session, or the READYZ_TOKEN setting sent as `Authorization: Bearer <token>`."""
    token = current_app.config.get("READYZ_TOKEN")
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and secrets.compare_digest(sent[7:].strip(), str(token)):
        return True
    from extension.auth import is_admin

    return is_admin(getattr(g, "account", None))
