"""Read-only questions about all networks (the list, a name already taken) that need neither Nextcloud nor
the launch engine, so the commands and pages asking them stay quick."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from extension.extensions import db
from extension.networks.models import Network


def list_networks() -> list[Network]:
    """Every network by name, with its phases loaded (one query for them all)."""
    return list(db.session.scalars(select(Network).options(selectinload(Network.phases))
                                   .order_by(Network.name, Network.slug)))


def networks_named(name: str) -> list[Network]:
    """Networks whose name equals `name`, ignoring case and surrounding spaces."""
    return list(db.session.scalars(select(Network).where(func.lower(Network.name) == name.strip().lower())))
