"""A learning network and what it is made of: members, commitments, phases, meetings, tasks and launch steps."""
from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extension.extensions import db
from extension.organisations.models import utcnow



class NetworkStatus(StrEnum):
    """Where a network is in its life; stored as its text value."""

    DRAFT = "draft"
    LAUNCHING = "launching"
    ACTIVE = "active"
    COMPLETED = "completed"
    ARCHIVED = "archived"


NETWORK_STATUSES = tuple(status.value for status in NetworkStatus)

# Where a knowledge task lives: written into the organisation's Nextcloud, waiting for the organisation's
# connection (written by the next launch), or kept in the app only (organisation without Nextcloud).
TASK_WRITTEN, TASK_PENDING, TASK_APP_ONLY = "written", "pending", "app"



class StepState(StrEnum):
    """A journaled step: planned, started (its request may have landed), done, failed, or found gone or
    changed in Nextcloud (`drift`, extension.engine.drift; the next launch or repair redoes it)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    DRIFT = "drift"


STEP_PENDING, STEP_RUNNING, STEP_DONE, STEP_FAILED, STEP_DRIFT = (
    StepState.PENDING, StepState.RUNNING, StepState.DONE, StepState.FAILED, StepState.DRIFT)


class RunState(StrEnum):
    """One run of a plan (extension.engine): queued by the web app for its worker, running, finished with every
    step done, or stopped by failures."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def as_utc(moment: datetime | None) -> datetime | None:
    """The moment as an aware UTC datetime; SQLite hands back naive values for timezone-aware columns."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


class Network(db.Model):
    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    ambition: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(200), default="")
    host_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    template_id: Mapped[str] = mapped_column(String(63))
    template_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=NetworkStatus.DRAFT)
    current_phase_key: Mapped[str | None] = mapped_column(String(63))
    starts_on: Mapped[date] = mapped_column(Date)
    # The Nextcloud resources the network owns: its folder below "Lerende netwerken/" in the host's files,
    # its calendar in the host's calendar home, and the URI of its task list in every organisation.
    folder_name: Mapped[str] = mapped_column(String(200))
    calendar_uri: Mapped[str] = mapped_column(String(255))
    tasklist_uri: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    launched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    host_organisation = relationship("Organisation", foreign_keys=[host_organisation_id])
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="network", order_by="Membership.position", cascade="all, delete-orphan")
    commitments: Mapped[list[Commitment]] = relationship(
        back_populates="network", order_by="Commitment.id", cascade="all, delete-orphan")
    phases: Mapped[list[Phase]] = relationship(
        back_populates="network", order_by="Phase.position", cascade="all, delete-orphan")
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="network", order_by="Meeting.position", cascade="all, delete-orphan")
    tasks: Mapped[list[KnowledgeTask]] = relationship(
        back_populates="network", order_by="KnowledgeTask.id", cascade="all, delete-orphan")
    launch_steps: Mapped[list[LaunchStep]] = relationship(
        back_populates="network", order_by="LaunchStep.position", cascade="all, delete-orphan")

    @property
    def kartrekker(self) -> Membership | None:
        return next((m for m in self.memberships if m.role == "kartrekker"), None)

    @property
    def current_phase(self) -> Phase | None:
        return next((p for p in self.phases if p.key == self.current_phase_key), None)

    def phase(self, key: str) -> Phase:
        return next(p for p in self.phases if p.key == key)


class Membership(db.Model):
    """A person taking part in a network for an organisation, with a role and an expertise."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    # The person's UID in their organisation's Nextcloud (quirk `uid_in_dav_paths`); None when unknown or without one.
    user_id: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20), default="deelnemer")
    expertise: Mapped[str] = mapped_column(String(200), default="")

    network: Mapped[Network] = relationship(back_populates="memberships")
    organisation = relationship("Organisation")

    # A person's memberships are found by identity: (organisation, Nextcloud user id).
    __table_args__ = (UniqueConstraint("network_id", "email"),
                      Index("ix_memberships_organisation_id", "organisation_id", "user_id"))


class Commitment(db.Model):
    """An organisation's management commitment to a network: its manager, hours a month and podium."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    manager_name: Mapped[str] = mapped_column(String(200))
    manager_email: Mapped[str] = mapped_column(String(320))
    # Known when the manager is also a member with a Nextcloud account: the task list is shared with them.
    manager_user_id: Mapped[str | None] = mapped_column(String(64))
    hours_per_month: Mapped[float] = mapped_column(Float)
    podium: Mapped[str] = mapped_column(Text)

    network: Mapped[Network] = relationship(back_populates="commitments")
    organisation = relationship("Organisation")

    # An organisation's page, and a manager's commitments found by identity.
    __table_args__ = (UniqueConstraint("network_id", "organisation_id"),
                      Index("ix_commitments_organisation_id", "organisation_id", "manager_user_id"))


class Phase(db.Model):
    __tablename__ = "phases"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(63))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(Text)
    duration_weeks: Mapped[int] = mapped_column(Integer)
    folder: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    network: Mapped[Network] = relationship(back_populates="phases")

    __table_args__ = (UniqueConstraint("network_id", "key"),)


class Meeting(db.Model):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(63))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[str] = mapped_column(String(200), default="")
    # The agenda document's path from the network folder, when the template seeds one.
    agenda_path: Mapped[str | None] = mapped_column(String(600))
    ical_uid: Mapped[str] = mapped_column(String(200))
    # Each attendee's reply as the organizer's copy shows it: {e-mail (lower case): PARTSTAT}.
    replies: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Read back by the sync (extension.sync): the organizer's copy's ETag, and when it was found deleted.
    etag: Mapped[str | None] = mapped_column(String(200))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    network: Mapped[Network] = relationship(back_populates="meetings")
    phase: Mapped[Phase] = relationship()

    # A person's next meetings, in the order they start.
    __table_args__ = (UniqueConstraint("network_id", "key"), Index("ix_meetings_starts_at", "starts_at"))

    @property
    def start(self) -> datetime:
        return as_utc(self.starts_at)

    @property
    def end(self) -> datetime:
        return as_utc(self.ends_at)


class KnowledgeTask(db.Model):
    """A knowledge-sharing task for one person, landing in their own organisation's Nextcloud."""

    __tablename__ = "knowledge_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(63))
    audience: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id", ondelete="SET NULL"))
    assignee_name: Mapped[str] = mapped_column(String(200))
    assignee_email: Mapped[str] = mapped_column(String(320))
    assignee_user_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    ical_uid: Mapped[str] = mapped_column(String(200))
    remote_href: Mapped[str | None] = mapped_column(String(1000))
    etag: Mapped[str | None] = mapped_column(String(200))
    sync_state: Mapped[str] = mapped_column(String(20), default=TASK_PENDING)
    status: Mapped[str] = mapped_column(String(20), default="NEEDS-ACTION")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Read back by the sync (extension.sync): what the Tasks app shows, the SUMMARY as edited in Nextcloud,
    # the object's LAST-MODIFIED, and when the task was found deleted there (the row is kept, not lost).
    percent_complete: Mapped[int] = mapped_column(Integer, default=0)
    remote_summary: Mapped[str | None] = mapped_column(String(500))
    remote_modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    network: Mapped[Network] = relationship(back_populates="tasks")
    phase: Mapped[Phase] = relationship()
    organisation = relationship("Organisation")
    membership: Mapped[Membership | None] = relationship()

    # A person's own tasks and their counts per membership ("my networks"), the earliest due first.
    __table_args__ = (UniqueConstraint("network_id", "ical_uid"),
                      Index("ix_knowledge_tasks_membership_id", "membership_id"),
                      Index("ix_knowledge_tasks_due_on", "due_on", "id"))


class LaunchStep(db.Model):
    """The journal of one launch step: what it is, how often it was tried, how it ended."""

    __tablename__ = "launch_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(600))
    kind: Mapped[str] = mapped_column(String(30))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    phase_key: Mapped[str | None] = mapped_column(String(63))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(600))
    planned_requests: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default=STEP_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the step was last run with (its typed parameters without bulky content) and the digest of the
    # parameters that, when they change, make the step run again (extension.engine.plan).
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    digest: Mapped[str | None] = mapped_column(String(64))
    # The run that last touched the step (a progress bar counts a run's steps).
    run_id: Mapped[int | None] = mapped_column(ForeignKey("engine_runs.id", ondelete="SET NULL"))

    network: Mapped[Network] = relationship(back_populates="launch_steps")
    organisation = relationship("Organisation")

    __table_args__ = (UniqueConstraint("network_id", "key"),)


class EngineRun(db.Model):
    """One run of a plan on a network (launch, advance, a member added, …): what a progress bar shows.

    A kartrekker's action in the browser is queued as a run of its own (status queued, who asked and with
    what) and the engine records into that row when the worker runs it (extension.dashboard.actions), so the
    browser, a second browser and the command line all read the same record.
    """

    __tablename__ = "engine_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default=RunState.RUNNING)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # The first failed step's label (human-readable target) and error, for "what, where, what to do".
    failed_label: Mapped[str | None] = mapped_column(String(600))
    failed_error: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[list[str] | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A run queued from the browser: who asked for it, the action's arguments (to try it again), and the outcome
    # in Dutch for the kartrekker (what was done, or why it could not start).
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)

    @property
    def finished(self) -> bool:
        return self.status in (RunState.DONE, RunState.FAILED)
