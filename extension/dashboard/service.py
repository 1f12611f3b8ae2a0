"""What the kartrekker's pages show, read from the database only, with a fixed number of queries per page.

Every page loads its rows in a few set-wise queries (eager loading, grouped counts), never a query per row,
so its speed does not depend on how many members, tasks or networks there are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from extension import engine
from extension.dashboard.access import is_admin
from extension.dashboard.models import WizardDraft
from extension.extensions import db
from extension.i18n import Text, load_text
from extension.networks import status as network_status
from extension.networks.models import (STEP_DONE, STEP_FAILED, STEP_RUNNING, Commitment, KnowledgeTask,
                                       LaunchStep, Meeting, Membership, Network, Phase)
from extension.networks.naming import folder_seen_by
from extension.networks.service import NetworkNotFound, local_zone, mix_warnings
from extension.engine.plan import conversation_url
from extension.nextcloud_links import links_for
from extension.organisations.models import Organisation
from extension.pagination import Page


@dataclass(frozen=True)
class NetworkRow:
    slug: str
    name: str
    status: str
    phase: str | None
    starts_on: date
    members: int
    tasks_done: int
    tasks_open: int


NETWORKS_PER_PAGE = 25


def network_list(account, page: int = 1, size: int = NETWORKS_PER_PAGE) -> tuple[list[NetworkRow], Page]:
    """Page `page` of the networks the account leads (all of them for an admin), with counts, in three queries."""
    query = select(Network, Phase.name, func.count().over()).outerjoin(
        Phase, and_(Phase.network_id == Network.id, Phase.key == Network.current_phase_key))
    if not is_admin(account):
        query = query.join(Membership, and_(Membership.network_id == Network.id, Membership.role == "kartrekker",
                                            Membership.organisation_id == account.organisation_id,
                                            Membership.user_id == account.user_id))
    rows = db.session.execute(query.order_by(Network.name, Network.slug)
                              .offset((page - 1) * size).limit(size)).all()
    if not rows and page > 1:  # past the last page: the first (the list is short again)
        return network_list(account, 1, size)
    ids = [network.id for network, _, _ in rows]
    members = dict(db.session.execute(select(Membership.network_id, func.count()).where(
        Membership.network_id.in_(ids)).group_by(Membership.network_id)).all()) if ids else {}
    done = case((KnowledgeTask.status == "COMPLETED", 1), else_=0)
    open_ = case((and_(KnowledgeTask.status.not_in(("COMPLETED", "CANCELLED")), KnowledgeTask.deleted_at.is_(None)),
                  1), else_=0)
    tasks = {nid: (d or 0, o or 0) for nid, d, o in db.session.execute(
        select(KnowledgeTask.network_id, func.sum(done), func.sum(open_)).where(
            KnowledgeTask.network_id.in_(ids)).group_by(KnowledgeTask.network_id)).all()} if ids else {}
    shown = [NetworkRow(n.slug, n.name, n.status, phase, n.starts_on, members.get(n.id, 0),
                        *tasks.get(n.id, (0, 0))) for n, phase, _ in rows]
    return shown, Page(page, size, rows[0][2] if rows else 0)


def drafts_of(account) -> list[WizardDraft]:
    return db.session.scalars(select(WizardDraft).where(WizardDraft.account_id == account.id,
                                                        WizardDraft.network_id.is_(None))
                              .order_by(WizardDraft.updated_at.desc())).all()


def load_network(slug: str) -> Network:
    """The network with everything its dashboard shows, in six queries: the network with its host, phases
    and commitments (few rows, joined), then one query each for its members, their organisations, its
    meetings, tasks and launch steps.

    Organisations are loaded once each, not joined to every task or step: a row's organisation is decrypted
    (its client secret, its connection's tokens) each time a query returns it. The organisation of a task or
    step is one of the network's own, which the members and commitments loaded, so reading it asks nothing."""
    def with_connection(path):
        return path.joinedload(Organisation.connection_account)

    network = db.session.scalar(select(Network).where(Network.slug == slug).options(
        with_connection(joinedload(Network.host_organisation)),
        joinedload(Network.phases),
        with_connection(joinedload(Network.commitments).joinedload(Commitment.organisation)),
        with_connection(selectinload(Network.memberships).selectinload(Membership.organisation)),
        selectinload(Network.meetings),
        selectinload(Network.tasks),
        selectinload(Network.launch_steps)))
    if network is None:
        raise NetworkNotFound(slug)
    return network


@dataclass(frozen=True)
class TimelinePhase:
    key: str
    name: str
    goal: str
    starts_on: date
    ends_on: date
    current: bool
    past: bool
    open_tasks: int


@dataclass(frozen=True)
class Document:
    path: str
    url: str | None


@dataclass(frozen=True)
class FailedStep:
    """A journaled step that failed, said for a kartrekker: what, where, and what to do."""

    what: str
    where: str
    advice: Text
    detail: str


@dataclass(frozen=True)
class ChartBar:
    """One organisation's bar in the knowledge-sharing chart: counts and segment widths in SVG units."""

    organisation: str
    done: int
    open: int
    overdue: int
    y: int
    done_w: float
    open_w: float
    late_w: float


BAR_ROW, BAR_WIDTH = 70, 350.0


def chart(progress: tuple[network_status.OrganisationProgress, ...]) -> list[ChartBar]:
    """Bars scaled to the organisation with the most tasks (done plus open)."""
    most = max((p.done + p.open for p in progress), default=0) or 1
    return [ChartBar(p.organisation, p.done, p.open, p.overdue, 4 + n * BAR_ROW,
                     round(p.done / most * BAR_WIDTH, 1), round((p.open - p.overdue) / most * BAR_WIDTH, 1),
                     round(p.overdue / most * BAR_WIDTH, 1)) for n, p in enumerate(progress)]


@dataclass(frozen=True)
class Dashboard:
    network: Network
    status: network_status.NetworkStatus
    timeline: list[TimelinePhase]
    documents: list[Document]
    folder_url: str | None
    mix: list[str]
    steps_done: int
    steps_total: int
    failed: list[FailedStep]
    latest_run: engine.RunProgress | None
    today: date
    chart: list[ChartBar]
    # The network's Talk conversation (journal); members of other Nextclouds find it in their own Talk.
    conversation_url: str | None = None
    conversation_elsewhere: bool = False

    @property
    def chart_height(self) -> int:
        return 8 + len(self.chart) * BAR_ROW


def today_local() -> date:
    return datetime.now(local_zone(current_app)).date()


def dashboard(slug: str, viewer, network: Network | None = None) -> Dashboard:
    """What the dashboard shows; `network` when the page has loaded it already with `load_network`."""
    network = network if network is not None else load_network(slug)
    today = today_local()
    state = network_status.network_status(slug, today, network=network)
    current = network.current_phase
    open_by_phase: dict[int, int] = {}
    for task in network.tasks:
        if task.status not in ("COMPLETED", "CANCELLED") and task.deleted_at is None:
            open_by_phase[task.phase_id] = open_by_phase.get(task.phase_id, 0) + 1
    timeline = [TimelinePhase(p.key, p.name, p.goal, p.starts_on, p.ends_on, p.key == network.current_phase_key,
                              current is not None and p.position < current.position, open_by_phase.get(p.id, 0))
                for p in network.phases]
    folder = viewer_folder(network, viewer)
    links = links_for(viewer)
    documents = []
    for step in network.launch_steps:
        if step.kind == "document" and step.status == STEP_DONE:
            path = step.key.split("/document/", 1)[1]
            parent = path.rsplit("/", 1)[0] if "/" in path else ""
            url = links.files(f"{folder}/{parent}".rstrip("/")) if links and folder else None
            documents.append(Document(path, url))
    steps = network.launch_steps
    return Dashboard(
        network=network, status=state, timeline=timeline, documents=documents,
        folder_url=links.files(folder) if links and folder else None, mix=mix_warnings(network),
        steps_done=sum(s.status == STEP_DONE for s in steps), steps_total=len(steps),
        failed=failed_steps(steps), latest_run=latest_run(network.id), today=today, chart=chart(state.organisations),
        **conversation_of(network, viewer))


def conversation_of(network: Network, viewer) -> dict:
    """The conversation's link, and whether the viewer is on another Nextcloud (a federated participant sees
    the conversation in their own Talk, not behind the host's link)."""
    url = conversation_url(network)
    organisation = getattr(viewer, "organisation", None)
    elsewhere = bool(url and organisation is not None and organisation.nextcloud_url
                     and organisation.nextcloud_url != network.host_organisation.nextcloud_url)
    return {"conversation_url": url, "conversation_elsewhere": elsewhere}


def viewer_folder(network: Network, viewer) -> str | None:
    """The network folder as the viewer sees it in their own files (naming.folder_seen_by)."""
    organisation = getattr(viewer, "organisation", None)
    if organisation is None or not organisation.nextcloud_url:
        return None
    return folder_seen_by(network, organisation, getattr(viewer, "user_id", None))


def latest_run(network_id: int) -> engine.RunProgress | None:
    """The network's latest run as the engine recorded it (queued from here, or run from the command line)."""
    return engine.progress(network_id)


def failed_steps(steps: list[LaunchStep]) -> list[FailedStep]:
    return [explain(step) for step in steps if step.status in (STEP_FAILED, STEP_RUNNING)
            and (step.status == STEP_FAILED or step.last_error)]


def explain(step: LaunchStep) -> FailedStep:
    """The failure of a step in plain Dutch: what it was doing, in whose Nextcloud, and what to do now."""
    where = step.organisation.name if step.organisation else str(Text("the app"))
    error = load_text(step.last_error) or ""
    if "HTTP 503" in error or "maintenance" in error.casefold() or "onderhoud" in error.casefold():
        advice = Text("The Nextcloud of %(where)s was temporarily unavailable (maintenance or too busy). Wait a few "
                      "minutes, then choose Try again; what is finished stays.", where=where)
    elif "HTTP 429" in error:
        advice = Text("The Nextcloud of %(where)s got too many requests at once. Wait a moment and choose Try again.",
                      where=where)
    elif "HTTP 401" in error or "reconnect" in error.casefold() or "verbind" in error.casefold():
        advice = Text("The connection of %(where)s to Nextcloud no longer works. Ask the administrator of %(where)s to "
                      "connect again (page Organisations), then choose Try again.", where=where)
    elif "HTTP 403" in error:
        advice = Text("The Nextcloud of %(where)s refused this (no permission, or a limit was reached). Ask the "
                      "administrator of %(where)s to look into it, then choose Try again.", where=where)
    elif "HTTP 507" in error:
        advice = Text("The storage in the Nextcloud of %(where)s is full. Ask the administrator for space and try "
                      "again.", where=where)
    else:
        advice = Text("Something went wrong in the Nextcloud of %(where)s. Choose Try again; if it keeps going wrong, "
                      "pass the technical message below on to your administrator.", where=where)
    return FailedStep(what=load_text(step.label), where=where, advice=advice, detail=error)


def run_failures(network_id: int, run: engine.RunProgress) -> list[FailedStep]:
    """The journaled steps that failed in `run`, explained; one query, only for a run that failed."""
    if run.status != "failed" or not run.failed:
        return []
    steps = db.session.scalars(select(LaunchStep).where(
        LaunchStep.network_id == network_id, LaunchStep.run_id == run.run_id, LaunchStep.status == STEP_FAILED)
        .options(selectinload(LaunchStep.organisation)).order_by(LaunchStep.position)).all()
    return [explain(step) for step in steps]


def run_view(run: engine.RunProgress) -> dict:
    """A run as the progress endpoint returns it (and the page shows it), from the engine's record."""
    return {"id": run.run_id, "kind": run.kind, "status": run.status, "done": run.done, "total": run.total,
            "failed_steps": run.failed, "percent": run.percent,
            "message": None if run.message is None else str(run.message), "finished": run.finished,
            "failed": run.status == "failed"}


def open_tasks_of_current_phase(network: Network) -> list[KnowledgeTask]:
    current = network.current_phase
    if current is None:
        return []
    return [t for t in network.tasks if t.phase_id == current.id
            and t.status not in ("COMPLETED", "CANCELLED") and t.deleted_at is None]


def next_phase(network: Network) -> Phase | None:
    current = network.current_phase
    if current is None:
        return None
    return next((p for p in network.phases if p.position == current.position + 1), None)


def meetings_of(network: Network) -> list[Meeting]:
    return list(network.meetings)
