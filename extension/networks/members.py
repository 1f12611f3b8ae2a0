"""Members joining or leaving a network, and organisations that connect after the launch: the database side.

The database holds what should exist; these functions change it, and the engine (extension.engine, plan
kinds `add-member`, `remove-member`, `catch-up`) then makes Nextcloud follow. A new member is stored with
the tasks of every phase already started; the engine shares the folder, the calendar and their task list
with them, writes their tasks and adds them as attendee to the meetings still to come (Nextcloud invites
them). A member who leaves is taken out of the app's desired state at once: their open tasks are marked
`withdrawn` and the engine unshares, withdraws the tasks still open in Nextcloud (one completed there
meanwhile is kept and counted) and takes them off the meetings to come (Nextcloud sends a cancellation).
Tasks they completed stay, counted for their organisation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import Flask
from sqlalchemy import or_, select

from extension.extensions import db
from extension.i18n import Text
from extension.network_templates import ROLES, Template
from extension.networks.models import (TASK_WRITTEN, Commitment, KnowledgeTask, Membership, Network, NetworkStatus)
from extension.networks.phases import started_phases
from extension.networks.service import add_phase_tasks
from extension.organisations.models import Organisation

CLOSED = ("COMPLETED", "CANCELLED")
# A task of a member who left, still open in Nextcloud until the engine withdraws it.
TASK_WITHDRAWN = "withdrawn"


class MemberError(ValueError):
    """A member cannot be added or removed as asked; the message (Dutch) names the field or the reason.

    `field` is the input it is about (name, email, organisation, user, role, expertise) when it is about one:
    the command line shows it before the message (its option), a form next to that field (`message`)."""

    def __init__(self, message: Text | str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else str(self.message)


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
    launch: object | None = None  # the engine's RunResult
    notes: list[Text | str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.launch is None or self.launch.ok


@dataclass
class RemovalResult:
    network: str
    member: str
    removed: list[Text] = field(default_factory=list)  # what was taken away in Nextcloud (shown translated)
    tasks_removed: int = 0
    tasks_kept: int = 0
    meetings: int = 0
    notes: list[Text | str] = field(default_factory=list)
    launch: object | None = None  # the engine's RunResult

    @property
    def ok(self) -> bool:
        return self.launch is None or self.launch.ok


# -- joining ------------------------------------------------------------------------------------------------

def join(app: Flask, network: Network, new: NewMember, template: Template) -> MemberResult:
    """Store `new` as member of `network` with the tasks of every phase already started; adding the same
    person again (same e-mail, organisation, user and role) changes nothing. Raises MemberError."""
    if network.status in (NetworkStatus.COMPLETED, NetworkStatus.ARCHIVED):
        raise MemberError(Text("The network '%(name)s' has ended; no members can be added any more.",
                               name=network.name))
    organisation, member = check_new_member(network, new)
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
    if network.status != NetworkStatus.ACTIVE:
        result.notes.append(Text("The network has not been (completely) launched yet; the launch puts everything for "
                                 "the new member in Nextcloud: %(command)s",
                                 command=f"lerend-netwerk network launch {network.slug}"))
    return result


def check_new_member(network: Network, new: NewMember) -> tuple[Organisation, Membership | None]:
    """The member's organisation, and the existing membership when the same person is added again; raises
    MemberError naming the field (`field`) for input that does not fit the network. The one check of a new
    member: the dashboard's form runs it before queuing the action, `join` again when it stores the member."""
    name, email, user = new.name.strip(), new.email.strip(), (new.user or "").strip()
    if not name:
        raise MemberError(Text("must not be empty"), field="name")
    if len(name) > 200:
        raise MemberError(Text("is longer than %(max_length)s characters", max_length=200), field="name")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise MemberError(Text("'%(input)s' is not a valid e-mail address", input=new.email), field="email") from None
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == new.organisation))
    if organisation is None:
        raise MemberError(Text("unknown organisation '%(value)s'", value=new.organisation), field="organisation")
    if new.role not in ROLES:
        raise MemberError(Text("'%(input)s' is not allowed; choose from %(expected)s", input=new.role,
                               expected=", ".join(ROLES)), field="role")
    if user and not organisation.has_nextcloud:
        raise MemberError(Text("%(organisation)s has no Nextcloud; leave the user name empty",
                               organisation=organisation.name), field="user")
    if user and (len(user) > 64 or "/" in user):
        raise MemberError(Text("'%(user)s' is not a Nextcloud user name", user=user), field="user")
    if len(new.expertise.strip()) > 200:
        raise MemberError(Text("is longer than %(max_length)s characters", max_length=200), field="expertise")

    same = next((m for m in network.memberships if m.email.casefold() == email.casefold()), None)
    if same is not None:
        if (same.organisation_id, same.user_id or "", same.role) == (organisation.id, user, new.role):
            return organisation, same
        raise MemberError(already_a_member(network, same, email), field="email")
    if new.role == "kartrekker":
        lead = network.kartrekker
        raise MemberError(Text("the network has a kartrekker already (%(name)s)", name=lead.name if lead else "-"),
                          field="role")
    twin = next((m for m in network.memberships if user and m.user_id == user
                 and m.organisation_id == organisation.id), None)
    if twin is not None:
        raise MemberError(Text("Nextcloud user '%(user)s' of %(organisation)s is a member already (%(name)s)",
                               user=user, organisation=organisation.name, name=twin.name), field="user")
    return organisation, None


def already_a_member(network: Network, member: Membership, email: str) -> Text:
    return Text("%(email)s is a member of network '%(network)s' already (%(name)s, %(organisation)s, %(role)s)",
                email=email, network=network.name, name=member.name, organisation=member.organisation.name,
                role=member.role)


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

def leave(network: Network, email: str) -> RemovalResult:
    """Take member `email` out of the network's desired state (see the module docstring); raises MemberError
    when it cannot be done now (the kartrekker, or a task list that cannot be reached)."""
    member = next((m for m in network.memberships if m.email.casefold() == email.strip().casefold()), None)
    if member is None:
        raise MemberError(Text("email: %(email)s is not a member of network '%(network)s'", email=email,
                               network=network.name))
    if member.role == "kartrekker":
        raise MemberError(Text("%(name)s is the kartrekker and cannot leave the network; a network needs a "
                               "kartrekker.", name=member.name))
    if network.launch_steps and network.host_organisation.connection is None:
        host = network.host_organisation
        raise MemberError(Text("The host organisation %(name)s has no working connection with Nextcloud; let "
                               "%(user)s connect (again) first.", name=host.name, user=host.connection_user))
    manager_of = _commitment_managed_by(network, member)
    tasks = [t for t in network.tasks if t.membership_id == member.id]
    # The organisation's manager keeps what belongs to the commitment: the manager tasks and the task list.
    leaving = [t for t in tasks if not (manager_of is not None and t.audience == "manager")
               and t.status not in CLOSED]
    organisation = member.organisation
    if any(t.sync_state == TASK_WRITTEN for t in leaving) and organisation.connection is None:
        raise MemberError(Text("%(organisation)s has no working connection with Nextcloud now: the task list of "
                               "%(name)s cannot be updated. Let %(user)s connect again and then try again.",
                               organisation=organisation.name, name=member.name,
                               user=organisation.connection_user))
    result = RemovalResult(network.slug, member.name)
    if manager_of is not None:
        result.notes.append(Text("%(name)s stays manager of %(organisation)s in the commitment: the manager tasks "
                                 "and the access to the task list stay.", name=member.name,
                                 organisation=organisation.name))
    for task in tasks:
        task.membership = None
        if task in leaving and task.sync_state == TASK_WRITTEN:
            task.sync_state = TASK_WITHDRAWN
            result.tasks_removed += 1
        elif task in leaving:
            network.tasks.remove(task)
            result.tasks_removed += 1
        else:
            result.tasks_kept += 1
    network.memberships.remove(member)
    db.session.commit()
    return result


# -- organisations connecting later -------------------------------------------------------------------------

def involved_networks(organisation_id: int) -> list[str]:
    """Slugs of the active networks an organisation takes part in (hosting, members or a commitment)."""
    involved = select(Network.slug).where(Network.status == NetworkStatus.ACTIVE, or_(
        Network.host_organisation_id == organisation_id,
        Network.id.in_(select(Membership.network_id).where(Membership.organisation_id == organisation_id)),
        Network.id.in_(select(Commitment.network_id).where(Commitment.organisation_id == organisation_id))))
    return list(db.session.scalars(involved.order_by(Network.slug)).all())
