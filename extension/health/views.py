"""Health endpoints: /healthz says the process answers; /readyz reports each dependency.

/readyz answers 503 only when one of the app's own critical dependencies fails (the readiness registry:
database, schema, job queue). The organisations' Nextclouds are reported beside them, from results kept
for READYZ_CACHE_SECONDS: a Nextcloud in maintenance must not take this app out of its load balancer.
`?organisations=false` leaves them out (for probes that must stay cheap).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from extension.health import readiness

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = readiness.run_checks(current_app)
    ready = all(c["ok"] or not c["critical"] for c in checks.values())
    body = {"checks": checks}
    degraded = not all(c["ok"] for c in checks.values())
    if request.args.get("organisations", "true").lower() not in ("false", "0", "no"):
        from extension.admin.checks import organisation_reports

        body["organisations"] = organisation_reports(current_app._get_current_object()) if ready else {}
        degraded = degraded or not all(o["ok"] for o in body["organisations"].values())
    body["status"] = "failing" if not ready else "degraded" if degraded else "ok"
    return jsonify(body), 200 if ready else 503
