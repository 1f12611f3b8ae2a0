"""The networks a signed-in person takes part in, for the "my networks" page (database only)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from extension.accounts.models import Account
from extension.extensions import db
from extension.networks.models import KnowledgeTask, Membership, Network
from extension.networks.naming import folder_seen_by
from extension.nextcloud_links import NextcloudLinks, links_for


@dataclass(frozen=True)
class MyNetwork:
    network: Network
    membership: Membership
    open_tasks: int
    folder_url: str | None
    calendar_url: str | None
    tasks_url: str | None


def my_networks(account: Account) -> list[MyNetwork]:
    """Networks where the account is a member: by its Nextcloud user id in its organisation, as the OAuth
    token says. Never by the e-mail address the account reports: its user can change that to anyone's."""
    match = (Membership.organisation_id == account.organisation_id) & (Membership.user_id == account.user_id)
    memberships = db.session.scalars(
        select(Membership).join(Network).where(match, Network.status != "draft").order_by(Network.name)
    ).all()
    return entries(memberships, links_for(account))


def entries(memberships, links: NextcloudLinks | None) -> list[MyNetwork]:
    """The page entries of memberships found by identity (extension.auth.identity.Person)."""
    return [_entry(membership, links) for membership in memberships]


def _entry(membership: Membership, links: NextcloudLinks | None) -> MyNetwork:
    network = membership.network
    open_tasks = db.session.scalar(
        select(func.count()).select_from(KnowledgeTask).where(
            KnowledgeTask.membership_id == membership.id, KnowledgeTask.completed_at.is_(None))
    )
    folder_url = None
    if links is not None and membership.user_id:
        folder_url = links.files(folder_seen_by(network, membership.organisation, membership.user_id))
    return MyNetwork(network, membership, open_tasks or 0, folder_url,
                     links.calendar() if links else None, links.tasks() if links else None)
