"""Creating a network from a validated network file and its template, and the complementary-mix check."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select

from extension.extensions import db
from extension.i18n import Text
from extension.networks import naming, schedule
from extension.networks.models import (TASK_APP_ONLY, TASK_PENDING, Commitment, KnowledgeTask, Meeting,
                                       Membership, Network, Phase)
from extension.organisations.models import Organisation

if TYPE_CHECKING:  # the templates bring pydantic and Jinja, which reading a network never needs
    from extension.network_templates import NetworkSpec, Template

# Roles whose mix the method cares about: the people who learn together (DESIGN "The method").
LEARNING_ROLES = ("kartrekker", "deelnemer")


class NetworkNotFound(LookupError):
    def __init__(self, slug: str):
        super().__init__(Text("there is no network '%(slug)s'", slug=slug))
        self.slug = slug


@dataclass
class CreatedNetwork:
    network: Network
    warnings: list[str] = field(default_factory=list)


def local_zone(app: Flask) -> ZoneInfo:
    """The zone meeting times are written in (BABEL_DEFAULT_TIMEZONE, Europe/Amsterdam by default)."""
    return ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])


def create_network(app: Flask, spec: NetworkSpec, template: Template, today: date | None = None) -> CreatedNetwork:
    """Store a network described by `spec` (already checked against the known organisations and templates).

    Phases get their dates from the start and the template's durations; the current phase is the one
    running `today` (the first while the network has not started); meetings get their times in the app's
    time zone; the current phase's knowledge tasks are created for their assignees. Returns the network
    with the mix-check warnings.
    """
    today = today or date.today()
    organisations = {o.slug: o for o in db.session.scalars(
        select(Organisation).where(Organisation.slug.in_(spec.organisation_slugs())))}
    host = organisations[spec.host]
    slug = _unique_slug(naming.network_slug(spec.name))
    network = Network(
        slug=slug, name=spec.name, topic=spec.topic, question=spec.question, ambition=spec.ambition,
        place=spec.place, host_organisation=host, template_id=template.id, template_version=template.version,
        status="draft", starts_on=spec.start, folder_name=_unique_folder(host, naming.folder_name(spec.name)),
        calendar_uri=naming.calendar_uri(slug), tasklist_uri=naming.calendar_uri(slug, "taken"))
    db.session.add(network)

    starts_on = spec.start
    for position, phase_spec in enumerate(template.phases):
        ends_on = starts_on + timedelta(weeks=phase_spec.duration_weeks)
        network.phases.append(Phase(
            key=phase_spec.key, position=position, name=phase_spec.name, goal=phase_spec.goal,
            duration_weeks=phase_spec.duration_weeks, folder=template.phase_folder(phase_spec.key),
            starts_on=starts_on, ends_on=ends_on))
        starts_on = ends_on
    network.current_phase_key = _phase_running(network.phases, today).key

    for position, member in enumerate(spec.members):
        network.memberships.append(Membership(
            position=position, organisation=organisations[member.organisation], name=member.name,
            email=member.email, user_id=member.user, role=member.role, expertise=member.expertise))
    for commitment in spec.commitments:
        manager = spec.manager_of(commitment)
        as_member = next((m for m in network.memberships
                          if m.email.casefold() == manager.email.casefold()
                          and m.organisation.slug == commitment.organisation), None)
        network.commitments.append(Commitment(
            organisation=organisations[commitment.organisation], manager_name=manager.name,
            manager_email=manager.email, manager_user_id=as_member.user_id if as_member else None,
            hours_per_month=commitment.hours_per_month, podium=commitment.podium))

    _add_meetings(app, network, template, spec)
    db.session.flush()
    add_phase_tasks(network, template, network.current_phase)
    db.session.commit()
    return CreatedNetwork(network, mix_warnings(network))


def meeting_slots(app: Flask, spec: NetworkSpec, template: Template) -> list[schedule.Slot]:
    """The day of every meeting of the network `spec` describes (extension.networks.schedule)."""
    rhythm = spec.rhythm
    if rhythm is not None:
        template = template.model_copy(update={"meetings": template.meetings.model_copy(
            update={"per_year": rhythm.per_year})})
    weekday = schedule.weekday_of(rhythm.weekday if rhythm else None, spec.start)
    return schedule.schedule(spec.start, template.meeting_weeks(), weekday, spec.region,
                             schedule.school_holidays(app.config["SCHOOL_HOLIDAYS"]))


def _add_meetings(app: Flask, network: Network, template: Template, spec: NetworkSpec) -> None:
    from connectors.ical import stable_uid

    zone = local_zone(app)
    rhythm = template.meetings
    start_time = spec.rhythm.start_time if spec.rhythm else rhythm.start_time
    days = {slot.key: slot.day for slot in meeting_slots(app, spec, template)}
    for position, item in enumerate(rhythm.items):
        # Stored in UTC: SQLite keeps no offset, and as_utc() reads it back as UTC.
        start = datetime.combine(days[item.key], start_time, tzinfo=zone).astimezone(timezone.utc)
        phase = network.phase(item.phase)
        network.meetings.append(Meeting(
            phase=phase, key=item.key, position=position, title=item.title, starts_at=start,
            ends_at=start + timedelta(minutes=rhythm.duration_minutes), location=network.place,
            agenda_path=f"{phase.folder}/{item.agenda.target}" if item.agenda else None,
            ical_uid=stable_uid(network.slug, "meeting", item.key), replies={}))


def add_phase_tasks(network: Network, template: Template, phase: Phase) -> list[KnowledgeTask]:
    """Create the phase's knowledge tasks, one per task per assignee (rows that exist are kept).

    Audience `deelnemer` is every member with that role, `kartrekker` the kartrekker, `manager` the manager
    of each organisation's commitment. A task lives in the assignee's organisation: it waits for a launch to
    write it there (`pending`), or stays in the app when the organisation has no Nextcloud.
    """
    from connectors.ical import stable_uid

    existing = {t.ical_uid for t in network.tasks}
    created = []
    for spec in template.tasks_for_phase(phase.key):
        for organisation, membership, name, email, user_id in _assignees(network, spec.audience):
            uid = stable_uid(network.slug, "task", spec.key, email.casefold())
            if uid in existing:
                continue
            task = KnowledgeTask(
                phase=phase, key=spec.key, audience=spec.audience, organisation=organisation,
                membership=membership, assignee_name=name, assignee_email=email, assignee_user_id=user_id,
                title=spec.title, description=spec.description,
                due_on=phase.starts_on + timedelta(days=spec.due_days), ical_uid=uid,
                sync_state=TASK_PENDING if organisation.has_nextcloud else TASK_APP_ONLY)
            network.tasks.append(task)
            existing.add(uid)
            created.append(task)
    return created


def _assignees(network: Network, audience: str):
    if audience == "manager":
        for commitment in network.commitments:
            membership = next((m for m in network.memberships
                               if m.email.casefold() == commitment.manager_email.casefold()), None)
            yield (commitment.organisation, membership, commitment.manager_name, commitment.manager_email,
                   commitment.manager_user_id)
        return
    for membership in network.memberships:
        if membership.role == audience:
            yield membership.organisation, membership, membership.name, membership.email, membership.user_id


def mix_warnings(network: Network) -> list[Text]:
    """The method asks for a complementary mix: warn (in the reader's language) when the learners share one
    organisation or one kind of expertise. Advice only; the kartrekker decides."""
    learners = [m for m in network.memberships if m.role in LEARNING_ROLES]
    warnings = []
    if len(learners) < 2:
        return warnings
    organisations = {m.organisation_id for m in learners}
    if len(organisations) == 1:
        warnings.append(Text("All participants come from one organisation (%(organisation)s). A learning network "
                             "learns precisely from other organisations: invite participants from elsewhere.",
                             organisation=learners[0].organisation.name))
    expertise = {m.expertise.strip().casefold() for m in learners}
    if len(expertise) == 1 and "" not in expertise:
        warnings.append(Text("All participants have the same expertise (%(expertise)s). Look for a complementary mix, "
                             "for example pedagogical staff and teachers.", expertise=learners[0].expertise.strip()))
    return warnings


def get_network(slug: str) -> Network:
    network = db.session.scalar(select(Network).where(Network.slug == slug))
    if network is None:
        raise NetworkNotFound(slug)
    return network


def participating(network: Network) -> list[Organisation]:
    """The host and every organisation with a member or a commitment, in order of first appearance."""
    found = {network.host_organisation.id: network.host_organisation}
    for organisation in [m.organisation for m in network.memberships] + [c.organisation for c in network.commitments]:
        found.setdefault(organisation.id, organisation)
    return list(found.values())


def _phase_running(phases: list[Phase], today: date) -> Phase:
    for phase in phases:
        if phase.starts_on <= today < phase.ends_on:
            return phase
    return phases[0] if today < phases[0].starts_on else phases[-1]


def _unique_slug(base: str) -> str:
    taken = set(db.session.scalars(select(Network.slug).where(Network.slug.like(f"{base}%"))))
    return _first_free(base, taken, "{base}-{n}")


def _unique_folder(host: Organisation, base: str) -> str:
    """Two networks of one host never share a folder, even when their names clean up to the same text, and
    none gets the archive folder's name."""
    # Names differing only in case or Unicode normalisation are one folder to Nextcloud's users (naming.twin_key).
    taken = set(db.session.scalars(select(Network.folder_name).where(Network.host_organisation_id == host.id)))
    return _first_free(base, taken | {naming.ARCHIVE_FOLDER}, "{base} ({n})", key=naming.twin_key)


def _first_free(base: str, taken: set[str], numbered: str, key=lambda name: name) -> str:
    """`base`, or the first of `numbered` (n = 2, 3, …) that is not taken (compared by `key`)."""
    keys = {key(name) for name in taken}
    candidate, n = base, 2
    while key(candidate) in keys:
        candidate, n = numbered.format(base=base, n=n), n + 1
    return candidate
