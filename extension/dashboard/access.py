"""Who may run a network from the browser: its kartrekker, and the app's admins. Decided here only."""
from __future__ import annotations

from flask import abort, redirect, url_for

from extension.auth import is_admin
from extension.auth.identity import current_person
from extension.networks.models import Network


def can_manage(account, network: Network) -> bool:
    """True for the network's kartrekker (same organisation, same Nextcloud user) and for admins."""
    if account is None:
        return False
    if is_admin(account):
        return True
    lead = network.kartrekker
    return (lead is not None and lead.user_id is not None and lead.organisation_id == account.organisation_id
            and lead.user_id == account.user_id)


def require_account_holder():
    """The guard of every kartrekker page: anonymous visitors sign in first; the holder of a personal link
    gets 403, as running a network needs one's own Nextcloud account. Returns None when the request may go on."""
    person = current_person()
    if person is None:
        return redirect(url_for("auth.login"))
    if person.account is None:
        abort(403)
    return None


def require_manager(network: Network):
    """The signed-in account when it may manage `network`; 403 for everyone else."""
    account = current_person().account
    if not can_manage(account, network):
        abort(403)
    return account
