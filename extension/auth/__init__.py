"""Who may do what: the one place that says whether an account is an admin of the app."""
from __future__ import annotations

from flask import current_app


def admin_entries() -> frozenset[str]:
    """The ADMINS setting as a set of "<organisation slug>:<user id>"."""
    return frozenset(str(entry).strip() for entry in current_app.config.get("ADMINS") or ())


def is_admin(account) -> bool:
    """An account listed in ADMINS, or an organisation's functional account (the one that may connect it).

    Identity is (organisation, Nextcloud user id) from the OAuth token; an e-mail address never counts.
    """
    if account is None or account.organisation is None:
        return False
    organisation = account.organisation
    if organisation.has_nextcloud and account.user_id == organisation.connection_user:
        return True
    return f"{organisation.slug}:{account.user_id}" in admin_entries()
