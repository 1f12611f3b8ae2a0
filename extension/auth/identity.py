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
from sqlalchemy import Select, func, select

from extension.auth import is_admin
from extension.extensions import db
from extension.networks.models import Commitment, Membership, Network
from extension.organisations.models import Organisation


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

    def membership_filter(self, include_drafts: bool = False) -> list:
        """The conditions on Membership (and its Network, which the query joins) that find the person's
        memberships, for queries that join them to what they show."""
        if self.account is not None:
            found = [Membership.organisation_id == self.account.organisation_id,
                     Membership.user_id == self.account.user_id]
        else:
            found = [Membership.network_id == self.link.network_id, func.lower(Membership.email) == self.link.email]
        return found if include_drafts else found + [Network.status != "draft"]

    def membership_query(self, include_drafts: bool = False) -> Select:
        """The select of the person's Membership rows (unordered)."""
        return select(Membership).join(Network).where(*self.membership_filter(include_drafts))

    def memberships(self, include_drafts: bool = False) -> list[Membership]:
        query = self.membership_query(include_drafts)
        return list(db.session.scalars(query.order_by(Network.name, Membership.id)))

    def membership_in(self, network_id: int) -> Membership | None:
        """The person's membership of a launched network (drafts have nothing in Nextcloud to answer to)."""
        return db.session.scalars(self.membership_query().where(Membership.network_id == network_id)
                                  .order_by(Membership.id).limit(1)).first()

    def _commitment_query(self) -> Select:
        if self.account is not None:
            return select(Commitment).where(Commitment.organisation_id == self.account.organisation_id,
                                            Commitment.manager_user_id == self.account.user_id)
        return select(Commitment).where(Commitment.network_id == self.link.network_id,
                                        func.lower(Commitment.manager_email) == self.link.email)

    def commitments(self) -> list[Commitment]:
        """The commitments this person is the named manager of."""
        return list(db.session.scalars(self._commitment_query()))

    def managed_organisations(self) -> list[Organisation]:
        """The organisations this person is a named manager of (in any network), by name; one query."""
        managed = self._commitment_query().with_only_columns(Commitment.organisation_id)
        return list(db.session.scalars(select(Organisation).where(Organisation.id.in_(managed))
                                       .order_by(Organisation.name)))

    def manages(self, organisation_id: int) -> bool:
        query = self._commitment_query().where(Commitment.organisation_id == organisation_id)
        return db.session.scalar(select(query.exists())) is True

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
