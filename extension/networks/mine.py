"""The networks a signed-in person takes part in, for the "my networks" page (database only).

A page of them at a time (a kartrekker may lead hundreds), in two queries whatever the page size: the
memberships with their network, its host and its current phase's name, and one grouped count of open tasks.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import contains_eager

from extension.extensions import db
from extension.networks.models import KnowledgeTask, Membership, Network, Phase
from extension.networks.naming import folder_seen_by
from extension.nextcloud_links import NextcloudLinks
from extension.pagination import Page

PAGE_SIZE = 10


@dataclass(frozen=True)
class MyNetwork:
    network: Network
    membership: Membership
    phase: str | None
    open_tasks: int
    folder_url: str | None
    calendar_url: str | None
    tasks_url: str | None


def network_page(mine: list, links: NextcloudLinks | None, number: int = 1,
                 size: int = PAGE_SIZE) -> tuple[list[MyNetwork], Page]:
    """Page `number` of the networks of the person whose memberships `mine` finds (the conditions of
    extension.auth.identity.Person.membership_filter), ordered by network name."""
    query = (select(Membership, Phase.name, func.count().over())
             .join(Membership.network)
             .outerjoin(Phase, and_(Phase.network_id == Network.id, Phase.key == Network.current_phase_key))
             .where(*mine)
             # Each host once (not joined to every row: an organisation row is decrypted each time it is read).
             .options(contains_eager(Membership.network).selectinload(Network.host_organisation))
             .order_by(Network.name, Membership.id))
    rows = db.session.execute(query.offset((number - 1) * size).limit(size)).all()
    if not rows and number > 1:  # past the last page: the last page
        total = db.session.scalar(select(func.count()).select_from(Membership).join(Membership.network).where(*mine))
        last = max(1, -(-total // size))
        return network_page(mine, links, last, size) if last < number else ([], Page(number, size, total))
    total = rows[0][2] if rows else 0
    ids = [membership.id for membership, _, _ in rows]
    open_tasks = dict(db.session.execute(
        select(KnowledgeTask.membership_id, func.count()).where(
            KnowledgeTask.membership_id.in_(ids), KnowledgeTask.completed_at.is_(None))
        .group_by(KnowledgeTask.membership_id)).all()) if ids else {}
    entries = [_entry(membership, phase, open_tasks.get(membership.id, 0), links) for membership, phase, _ in rows]
    return entries, Page(number, size, total)


def _entry(membership: Membership, phase: str | None, open_tasks: int, links: NextcloudLinks | None) -> MyNetwork:
    network = membership.network
    folder_url = None
    if links is not None and membership.user_id:
        folder_url = links.files(folder_seen_by(network, membership.organisation, membership.user_id))
    return MyNetwork(network, membership, phase, open_tasks, folder_url,
                     links.calendar() if links else None, links.tasks() if links else None)
