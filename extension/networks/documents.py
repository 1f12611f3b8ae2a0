"""What a template document sees when it is rendered for a stored network (extension.network_templates.render)."""
from __future__ import annotations

from flask import Flask

from extension.network_templates import (DocumentContext, MeetingInfo, MemberInfo, NetworkInfo, OrganisationInfo,
                                         PersonInfo, PhaseInfo, Template)
from extension.networks.models import Network
from extension.networks.service import local_zone, participating


def document_context(app: Flask, network: Network, template: Template, phase_key: str | None = None,
                     meeting_key: str | None = None) -> DocumentContext:
    """What a template document sees (extension.network_templates.render), from the stored network."""
    zone = local_zone(app)
    kartrekker = network.kartrekker
    organisations = participating(network)
    commitments = {c.organisation_id: c for c in network.commitments}
    phases = tuple(PhaseInfo.from_template(template, p.key) for p in network.phases if _in(template, p.key))
    meetings = tuple(MeetingInfo(m.key, m.phase.key, m.title, m.start.astimezone(zone), m.end.astimezone(zone),
                                 m.location) for m in network.meetings)
    return DocumentContext(
        network=NetworkInfo(network.name, network.topic, network.question, network.ambition, network.starts_on,
                            network.place),
        kartrekker=PersonInfo(kartrekker.name, kartrekker.email, kartrekker.organisation.name),
        members=tuple(MemberInfo(m.name, m.organisation.name, m.role, m.expertise, m.email)
                      for m in network.memberships),
        organisations=tuple(OrganisationInfo(
            o.name, o.kind, commitments[o.id].manager_name if o.id in commitments else "",
            commitments[o.id].hours_per_month if o.id in commitments else None,
            commitments[o.id].podium if o.id in commitments else "") for o in organisations),
        phases=phases,
        meetings=meetings,
        phase=next((p for p in phases if p.key == phase_key), None),
        meeting=next((m for m in meetings if m.key == meeting_key), None),
    )


def _in(template: Template, key: str) -> bool:
    return any(p.key == key for p in template.phases)
