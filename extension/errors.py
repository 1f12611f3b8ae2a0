"""Error pages people can read: what went wrong in plain Dutch (or English), in the app's layout, with a way back."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PAGES = (400, 403, 404, 405, 410, 500)


def _wants_json() -> bool:
    return request.path in ("/healthz", "/readyz") or request.accept_mimetypes.best == "application/json"


def error_page(code: int, message: str):
    """The error page for `code` saying `message` (what was wrong with the request and what to do)."""
    return _page(code, message=message)


def _page(code: int, reason: str | None = None, message: str | None = None):
    if _wants_json():
        return jsonify({"status": code, "message": message} if message else {"status": code}), code
    try:
        return render_template("errors/error.html", code=code, reason=reason, message=message), code
    except Exception:  # the layout itself failed (e.g. the database is down): a bare page still answers
        log.exception("error page %s could not be rendered", code)
        return f"<!doctype html><title>{code}</title><p>Er ging iets mis ({code}).</p>", code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return _page(400, "csrf")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code not in PAGES:
            return error
        return _page(error.code)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _page(500)
