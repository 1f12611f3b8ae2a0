"""Who may run a network from the browser: its kartrekker, and the app's admins. Decided here only."""
from __future__ import annotations

from flask import abort, current_app, g

from extension.networks.models import Network


def is_admin(account) -> bool:
    """An admin is named in the ADMINS setting as `<organisation slug>:<user id>`."""
    if account is None:
        return False
    admins = current_app.config.get("ADMINS") or ()
    return f"{account.organisation.slug}:{account.user_id}" in admins


def can_manage(account, network: Network) -> bool:
    """True for the network's kartrekker (same organisation, same Nextcloud user) and for admins."""
    if account is None:
        return False
    if is_admin(account):
        return True
    lead = network.kartrekker
    return (lead is not None and lead.user_id is not None and lead.organisation_id == account.organisation_id
            and lead.user_id == account.user_id)


def require_account():
    """The signed-in account; anonymous visitors get 401 (the page tells them to sign in)."""
    if g.get("account") is None:
        abort(401)
    return g.account


def require_manager(network: Network):
    account = require_account()
    if not can_manage(account, network):
        abort(403)
    return account
