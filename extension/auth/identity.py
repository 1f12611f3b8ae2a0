"""The signed-in person and what they take part in, by identity: (organisation, Nextcloud user id) for an
account, (network, the address the kartrekker entered) for the holder of a personal link.

The e-mail address a Nextcloud account reports is editable by its user, so it never binds anyone to a
membership: a user of another organisation could otherwise copy a member's address and see their network.
Members named by e-mail only are reached through their personal link, or once the kartrekker links them
to a Nextcloud user (Membership.user_id).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import abort, g, redirect, url_for
from sqlalchemy import func, select

from extension.auth import is_admin
from extension.extensions import db
from extension.networks.models import Commitment, Membership, Network


@dataclass(frozen=True)
class Person:
    """Whoever this request is signed in as: an account, or the holder of a personal link."""

    account: object | None = None
    link: object | None = None

    @property
    def name(self) -> str:
        return self.account.display_name if self.account else self.link.name

    @property
    def is_admin(self) -> bool:
        return is_admin(self.account)

    def memberships(self, include_drafts: bool = False) -> list[Membership]:
        query = select(Membership).join(Network)
        if self.account is not None:
            query = query.where(Membership.organisation_id == self.account.organisation_id,
                                Membership.user_id == self.account.user_id)
        else:
            query = query.where(Membership.network_id == self.link.network_id,
                                func.lower(Membership.email) == self.link.email)
        if not include_drafts:
            query = query.where(Network.status != "draft")
        return list(db.session.scalars(query.order_by(Network.name, Membership.id)))

    def membership_in(self, network_id: int) -> Membership | None:
        """The person's membership of a launched network (drafts have nothing in Nextcloud to answer to)."""
        return next((m for m in self.memberships() if m.network_id == network_id), None)

    def commitments(self) -> list[Commitment]:
        """The commitments this person is the named manager of."""
        if self.account is not None:
            query = select(Commitment).where(Commitment.organisation_id == self.account.organisation_id,
                                             Commitment.manager_user_id == self.account.user_id)
        else:
            query = select(Commitment).where(Commitment.network_id == self.link.network_id,
                                             func.lower(Commitment.manager_email) == self.link.email)
        return list(db.session.scalars(query))

    def manages(self, organisation_id: int) -> bool:
        return any(c.organisation_id == organisation_id for c in self.commitments())

    def is_kartrekker(self, network_id: int) -> bool:
        member = self.membership_in(network_id)
        return member is not None and member.role == "kartrekker"


def current_person() -> Person | None:
    return g.get("person")


def signed_in(view):
    """Only for a signed-in person: anonymous visitors are sent to the sign-in page."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_person() is None:
            return redirect(url_for("auth.login"))
        return view(*args, **kwargs)
    return wrapper


def admin_only(view):
    """Only for the app's admins (extension.auth.is_admin): others get 403, anonymous visitors sign in first."""
    @wraps(view)
    @signed_in
    def wrapper(*args, **kwargs):
        if not current_person().is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapper
