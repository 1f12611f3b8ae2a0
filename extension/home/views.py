"""The start page: what the app is for anonymous visitors; a person's own overview once signed in."""
from __future__ import annotations

from flask import Blueprint, render_template

from extension.auth.identity import current_person
from extension.home.overview import overview
from extension.pagination import requested_page

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    person = current_person()
    if person is None:
        return render_template("home/index.html")
    return render_template("home/mine.html", person=person, overview=overview(person, page=requested_page()))
