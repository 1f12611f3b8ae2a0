"""Members joining or leaving a launched network, and organisations that connect after the launch.

A new member is stored with the tasks of every phase already started; then the launch engine writes what
the journal does not have yet (their folder share, their tasks, a task list for a new organisation) and
re-verifies the calendar and task-list shares that now name them; finally they are added as attendee to
the meetings still to come, so Nextcloud invites them. A removed member loses in Nextcloud first — folder
share, calendar share, task-list share, open tasks, their place as attendee (Nextcloud sends a
cancellation) — each step idempotent, so a removal that failed half-way is finished by running it again;
only then does the app forget them. Tasks they completed stay in the app and in the task list, counted
for their organisation. An organisation that connects after the launch is caught up the same way: every
step not done yet, with the tasks of every phase already started.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from email_validator import EmailNotValidError, validate_email
from flask import Flask
from icalendar import Calendar, vCalAddress
from sqlalchemy import or_, select

from connectors.errors import NextcloudError, NotFound
from connectors.ical import parse_todo
from connectors.ocs import SHARE_FEDERATED, SHARE_USER
from extension.accounts.models import Account
from extension.accounts.service import nextcloud_client
from extension.extensions import db
from extension.network_templates import ROLES
from extension.networks import naming
from extension.networks.engine import LaunchResult, Progress, launch, template_of, unfinished
from extension.networks.models import (STEP_DONE, TASK_WRITTEN, Commitment, KnowledgeTask, Membership, Network)
from extension.networks.phases import started_phases
from extension.networks.plan import LaunchError, build_plan, connection_of
from extension.networks.service import add_phase_tasks, get_network
from extension.organisations.models import Organisation, utcnow

CLOSED = ("COMPLETED", "CANCELLED")
SHARING_KINDS = ("share", "calendar-share", "tasklist-share")


class MemberError(ValueError):
    """A member cannot be added or removed as asked; the message (Dutch) names the field or the reason."""


@dataclass(frozen=True)
class NewMember:
    name: str
    email: str
    organisation: str  # the organisation's slug
    user: str | None = None  # their Nextcloud user id
    role: str = "deelnemer"
    expertise: str = ""


@dataclass
class MemberResult:
    network: str
    member: str
    tasks: int = 0
    meetings: int = 0
    launch: LaunchResult | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.launch is None or self.launch.ok


@dataclass
class RemovalResult:
    network: str
    member: str
    removed: list[str] = field(default_factory=list)  # what was taken away in Nextcloud, in Dutch
    tasks_removed: int = 0
    tasks_kept: int = 0
    meetings: int = 0
    notes: list[str] = field(default_factory=list)


# -- joining ------------------------------------------------------------------------------------------------

def add_member(app: Flask, slug: str, new: NewMember, progress: Progress | None = None,
               on_start: Callable[[int], None] | None = None,
               client_for: Callable[[Flask, Account], Any] = nextcloud_client) -> MemberResult:
    """Add `new` to network `slug` and, once the network is active, give them everything in Nextcloud.

    Adding the same person again (same e-mail, organisation, user and role) finishes an earlier attempt.
    Call inside an app context. Raises MemberError for bad input, LaunchError when the host has no
    working connection.
    """
    network = get_network(slug)
    if network.status in ("completed", "archived"):
        raise MemberError(f"Het netwerk '{network.name}' is afgerond; er kunnen geen leden meer bij.")
    organisation, member = _check_new_member(network, new)
    template = template_of(app, network)
    created: list[KnowledgeTask] = []
    if member is None:
        member = Membership(
            position=max((m.position for m in network.memberships), default=-1) + 1, organisation=organisation,
            name=new.name.strip(), email=new.email.strip(), user_id=(new.user or "").strip() or None, role=new.role,
            expertise=new.expertise.strip())
        network.memberships.append(member)
        _link_manager(network, member)
        db.session.flush()
        for phase in started_phases(network):
            created += add_phase_tasks(network, template, phase)
        db.session.commit()
    result = MemberResult(network.slug, member.name, tasks=len(created))
    if network.status != "active":
        result.notes.append("Het netwerk is nog niet (helemaal) gestart; de start zet alles voor het nieuwe lid in "
                            f"Nextcloud: lerend-netwerk network launch {network.slug}")
        return result

    plan = build_plan(app, network, template)
    wanted = set(unfinished(network, plan)) | {
        s.key for s in plan.steps
        if s.kind in ("calendar-share", "tasklist-share") and member.user_id in s.params["sharees"]}
    keys = [s.key for s in plan.steps if s.key in wanted]
    if on_start is not None:
        on_start(len(keys))
    result.launch = launch(app, slug, progress, client_for, only=keys)
    if result.launch.ok:
        try:
            result.meetings = _set_attendee(app, network, member, True, client_for)
        except NextcloudError as exc:
            raise MemberError(f"{member.name} is lid, maar uitnodigen voor de bijeenkomsten is niet gelukt: {exc}. "
                              "Voer dezelfde opdracht opnieuw uit om het af te maken.") from exc
    return result


def _check_new_member(network: Network, new: NewMember) -> tuple[Organisation, Membership | None]:
    """The member's organisation, and the existing membership when the same person is added again."""
    name, email, user = new.name.strip(), new.email.strip(), (new.user or "").strip()
    if not name:
        raise MemberError("name: mag niet leeg zijn")
    if len(name) > 200:
        raise MemberError("name: is langer dan 200 tekens")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise MemberError(f"email: '{new.email}' is geen geldig e-mailadres") from None
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == new.organisation))
    if organisation is None:
        raise MemberError(f"organisation: onbekende organisatie '{new.organisation}'")
    if new.role not in ROLES:
        raise MemberError(f"role: '{new.role}' is niet toegestaan; kies uit {', '.join(ROLES)}")
    if user and not organisation.has_nextcloud:
        raise MemberError(f"user: {organisation.name} heeft geen Nextcloud; laat de gebruiker weg")
    if user and (len(user) > 64 or "/" in user):
        raise MemberError(f"user: '{user}' is geen Nextcloud-gebruikersnaam")
    if len(new.expertise.strip()) > 200:
        raise MemberError("expertise: is langer dan 200 tekens")

    same = next((m for m in network.memberships if m.email.casefold() == email.casefold()), None)
    if same is not None:
        if (same.organisation_id, same.user_id or "", same.role) == (organisation.id, user, new.role):
            return organisation, same
        raise MemberError(f"email: {email} is al lid van netwerk '{network.name}' ({same.name}, "
                          f"{same.organisation.name}, {same.role})")
    if new.role == "kartrekker":
        lead = network.kartrekker
        raise MemberError(f"role: het netwerk heeft al een kartrekker ({lead.name if lead else '-'})")
    twin = next((m for m in network.memberships if user and m.user_id == user
                 and m.organisation_id == organisation.id), None)
    if twin is not None:
        raise MemberError(f"user: Nextcloud-gebruiker '{user}' van {organisation.name} is al lid ({twin.name})")
    return organisation, None


def _link_manager(network: Network, member: Membership) -> None:
    """A new member who is their organisation's manager in a commitment: the task list is shared with
    them, and the manager tasks already made are theirs."""
    commitment = _commitment_managed_by(network, member)
    if commitment is None:
        return
    if member.user_id and not commitment.manager_user_id:
        commitment.manager_user_id = member.user_id
    for task in network.tasks:
        if (task.membership is None and task.organisation_id == member.organisation_id
                and task.assignee_email.casefold() == member.email.casefold()):
            task.membership = member


def _commitment_managed_by(network: Network, member: Membership) -> Commitment | None:
    return next((c for c in network.commitments if c.organisation_id == member.organisation_id
                 and c.manager_email.casefold() == member.email.casefold()), None)


# -- leaving ------------------------------------------------------------------------------------------------

def remove_member(app: Flask, slug: str, email: str,
                  client_for: Callable[[Flask, Account], Any] = nextcloud_client) -> RemovalResult:
    """Take member `email` out of network `slug`: first in Nextcloud, then in the app (see the module
    docstring). Call inside an app context; raises MemberError when it cannot be done now."""
    network = get_network(slug)
    member = next((m for m in network.memberships if m.email.casefold() == email.strip().casefold()), None)
    if member is None:
        raise MemberError(f"email: {email} is geen lid van netwerk '{network.name}'")
    if member.role == "kartrekker":
        raise MemberError(f"{member.name} is de kartrekker en kan niet uit het netwerk; een netwerk heeft een "
                          "kartrekker nodig.")
    manager_of = _commitment_managed_by(network, member)
    tasks = [t for t in network.tasks if t.membership_id == member.id]
    # The organisation's manager keeps what belongs to the commitment: the manager tasks and the task list.
    leaving = [t for t in tasks if not (manager_of is not None and t.audience == "manager")]
    result = RemovalResult(network.slug, member.name)
    if manager_of is not None:
        result.notes.append(f"{member.name} blijft manager van {member.organisation.name} in de toezegging: de "
                            "managertaken en de toegang tot de takenlijst blijven.")
    launched = bool(network.launch_steps)
    if launched:
        try:
            _take_away(app, network, member, [t for t in leaving if t.status not in CLOSED],
                       manager_of is None, result, client_for)
        except NextcloudError as exc:
            db.session.rollback()
            raise MemberError(f"Verwijderen uit Nextcloud is niet gelukt: {exc}. In de app is niets veranderd; voer "
                              "de opdracht opnieuw uit om het af te maken.") from exc

    for task in tasks:
        if task in leaving and task.status not in CLOSED:
            network.tasks.remove(task)
            result.tasks_removed += 1
        else:
            task.membership = None
            result.tasks_kept += 1
    network.memberships.remove(member)
    db.session.flush()
    if launched:
        _forget_steps(app, network)
    db.session.commit()
    return result


def _take_away(app: Flask, network: Network, member: Membership, open_tasks: list[KnowledgeTask],
               unshare_tasklist: bool, result: RemovalResult, client_for) -> None:
    """Remove the member's shares, open tasks and attendance in Nextcloud; every call can be repeated."""
    host, organisation = network.host_organisation, member.organisation
    host_account = connection_of(host)
    if host_account is None:
        raise MemberError(f"De gastorganisatie {host.name} heeft geen werkende verbinding met Nextcloud; laat "
                          f"{host.connection_user} eerst (opnieuw) verbinden.")
    written = [t for t in open_tasks if t.sync_state == TASK_WRITTEN and t.remote_href]
    has_tasklist = any(r.kind == "tasklist" and r.organisation_id == organisation.id for r in network.launch_steps)
    account = connection_of(organisation) if organisation.has_nextcloud else None
    if account is None and (written or (has_tasklist and unshare_tasklist and member.user_id)):
        raise MemberError(f"{organisation.name} heeft nu geen werkende verbinding met Nextcloud: de takenlijst van "
                          f"{member.name} kan niet bijgewerkt worden. Laat {organisation.connection_user} opnieuw "
                          "verbinden en probeer het dan opnieuw.")
    host_client = client_for(app, host_account)
    own_client = client_for(app, account) if account is not None else None

    if organisation.has_nextcloud and member.user_id:
        same_instance = organisation.nextcloud_url == host.nextcloud_url
        share_type, share_with = ((SHARE_USER, member.user_id) if same_instance
                                  else (SHARE_FEDERATED, f"{member.user_id}@{organisation.host}"))
        try:
            share = host_client.ocs.find_share(f"/{naming.network_folder(network.folder_name)}", share_type,
                                               share_with)
        except NotFound:  # the folder itself is gone (drift): nothing shared any more
            share = None
        if share is not None:
            host_client.ocs.delete_share(share.id)
            result.removed.append(f"gedeelde map '{network.folder_name}'")
        if same_instance and member.user_id != host_account.user_id and \
                _unshare(host_client, network.calendar_uri, member.user_id):
            result.removed.append(f"agenda '{network.name}'")
        if own_client is not None and unshare_tasklist and _unshare(own_client, network.tasklist_uri, member.user_id):
            result.removed.append(f"takenlijst bij {organisation.name}")

    for task in written:
        found = own_client.calendars.get_href(network.tasklist_uri, task.remote_href)
        if found is None:
            continue
        state = parse_todo(found.data)
        if state.is_closed:
            # Completed in Nextcloud before the sync saw it: kept, and counted as done.
            task.status, task.completed_at = state.status, state.completed_at
            continue
        own_client.calendars.delete(network.tasklist_uri, task.remote_href, found.etag)
    if any(task.status not in CLOSED for task in written):
        result.removed.append(f"open taken in de takenlijst bij {organisation.name}")
    result.meetings = _set_attendee(app, network, member, False, client_for, host_client)


def _unshare(client, uri: str, user_id: str) -> bool:
    try:
        return bool(client.calendars.unshare_calendar(uri, [user_id]))
    except NotFound:  # the calendar itself is gone (drift)
        return False


def _forget_steps(app: Flask, network: Network) -> None:
    """Drop the journal rows of shares and tasks the plan no longer has (the member's); rows of an
    organisation whose connection is down are kept, their steps return when it reconnects."""
    keys = {s.key for s in build_plan(app, network, template_of(app, network)).steps}
    for row in list(network.launch_steps):
        if (row.kind in (*SHARING_KINDS, "task") and row.key not in keys and row.organisation is not None
                and connection_of(row.organisation) is not None):
            network.launch_steps.remove(row)


# -- meetings -----------------------------------------------------------------------------------------------

def _set_attendee(app: Flask, network: Network, member: Membership, present: bool, client_for,
                  client=None) -> int:
    """Add the member to (or take them off) every meeting still to come that the launch wrote; Nextcloud then
    sends the invitation or the cancellation (reference §6.8). Returns the number of meetings changed."""
    host = network.host_organisation
    written = {r.key for r in network.launch_steps if r.kind == "meeting" and r.status == STEP_DONE}
    meetings = [m for m in network.meetings if f"{host.slug}/meeting/{m.key}" in written and m.end > utcnow()]
    if not meetings:
        return 0
    if client is None:
        account = connection_of(host)
        if account is None:
            raise LaunchError(f"De gastorganisatie {host.name} heeft geen werkende verbinding met Nextcloud.")
        client = client_for(app, account)
    changed = 0
    for meeting in meetings:
        found = client.calendars.get(network.calendar_uri, meeting.ical_uid)
        data = found and with_attendee(found.data, member.email, member.name, present)
        if data:
            # If-Match: a reply that arrived since the read is not overwritten (reference §6.3).
            client.calendars.update(network.calendar_uri, found.href, data, found.etag or "*")
            changed += 1
    return changed


def with_attendee(ical: bytes, email: str, name: str, present: bool) -> bytes | None:
    """The event with `email` added as attendee (as render_event writes one) or removed, or None when it
    already is as asked. Other attendees keep their replies."""
    calendar = Calendar.from_ical(ical)
    changed = False
    for event in calendar.walk("VEVENT"):
        values = event.get("ATTENDEE", [])
        values = values if isinstance(values, list) else [values]
        others = [v for v in values if str(v).lower().removeprefix("mailto:") != email.casefold()]
        if present == (len(others) < len(values)):
            continue
        if "ATTENDEE" in event:
            del event["ATTENDEE"]
        for value in others:
            event.add("attendee", value, encode=0)
        if present:
            attendee = vCalAddress(f"mailto:{email}")
            attendee.params.update({"CN": name, "CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT",
                                    "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"})
            event.add("attendee", attendee, encode=0)
        changed = True
    return calendar.to_ical() if changed else None


# -- organisations connecting later -------------------------------------------------------------------------

def catch_up(app: Flask, slug: str, progress: Progress | None = None, on_start: Callable[[int], None] | None = None,
             client_for: Callable[[Flask, Account], Any] = nextcloud_client) -> LaunchResult | None:
    """Write what an active network's journal does not have as done — for an organisation that connected
    after the launch: its task list, its share and the tasks of every phase already started. None when the
    network is not active (its launch does this)."""
    network = get_network(slug)
    if network.status != "active":
        return None
    template = template_of(app, network)
    for phase in started_phases(network):
        add_phase_tasks(network, template, phase)
    db.session.commit()
    keys = unfinished(network, build_plan(app, network, template))
    if on_start is not None:
        on_start(len(keys))
    return launch(app, slug, progress, client_for, only=keys)


def catch_up_organisation(app: Flask, organisation_id: int,
                          client_for: Callable[[Flask, Account], Any] = nextcloud_client) -> dict[str, LaunchResult]:
    """After an organisation connected: catch up every active network it takes part in, by slug."""
    involved = select(Network.slug).where(Network.status == "active", or_(
        Network.host_organisation_id == organisation_id,
        Network.id.in_(select(Membership.network_id).where(Membership.organisation_id == organisation_id)),
        Network.id.in_(select(Commitment.network_id).where(Commitment.organisation_id == organisation_id))))
    results = {}
    for slug in db.session.scalars(involved.order_by(Network.slug)).all():
        results[slug] = catch_up(app, slug, client_for=client_for)
    return results
