"""The organisations and the state of their connections, rendered from the database only."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from extension.organisations import service

bp = Blueprint("organisations", __name__)


@bp.get("/organisations")
def index():
    return render_template("organisations/index.html", organisations=service.list_organisations(),
                           redirect_uri=service.redirect_uri(current_app.config["APP_URL"]))
