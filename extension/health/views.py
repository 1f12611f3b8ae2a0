"""Health endpoints: /healthz says the process answers, /readyz that its database does too."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from extension.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
        checks = {"database": {"ok": True}}
    except Exception as exc:  # any driver error means "not ready"; the message says which
        db.session.rollback()
        checks = {"database": {"ok": False, "error": type(exc).__name__}}
    ok = all(c["ok"] for c in checks.values())
    return jsonify(status="ok" if ok else "failing", checks=checks), 200 if ok else 503
