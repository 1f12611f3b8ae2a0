"""The start page: what the app is, and who is signed in."""
from __future__ import annotations

from flask import Blueprint, g, render_template, session

from extension.accounts.service import get_account
from extension.networks.mine import my_networks

bp = Blueprint("home", __name__)


@bp.before_app_request
def load_account():
    account_id = session.get("account_id")
    g.account = get_account(account_id) if account_id else None


@bp.get("/")
def index():
    networks = my_networks(g.account) if g.account else []
    return render_template("home/index.html", networks=networks)
