"""networks: memberships, commitments, phases, meetings, knowledge tasks and launch steps

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "networks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("ambition", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("host_organisation_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.String(length=63), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("current_phase_key", sa.String(length=63), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("folder_name", sa.String(length=200), nullable=False),
        sa.Column("calendar_uri", sa.String(length=255), nullable=False),
        sa.Column("tasklist_uri", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["host_organisation_id"], ["organisations.id"],
                                name=op.f("fk_networks_host_organisation_id_organisations"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
        sa.UniqueConstraint("slug", name=op.f("uq_networks_slug")),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("expertise", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_memberships_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_memberships_organisation_id_organisations"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("network_id", "email", name=op.f("uq_memberships_network_id")),
    )
    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("manager_name", sa.String(length=200), nullable=False),
        sa.Column("manager_email", sa.String(length=320), nullable=False),
        sa.Column("manager_user_id", sa.String(length=64), nullable=True),
        sa.Column("hours_per_month", sa.Float(), nullable=False),
        sa.Column("podium", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_commitments_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_commitments_organisation_id_organisations"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitments")),
        sa.UniqueConstraint("network_id", "organisation_id", name=op.f("uq_commitments_network_id")),
    )
    op.create_table(
        "phases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("duration_weeks", sa.Integer(), nullable=False),
        sa.Column("folder", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_phases_network_id_networks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phases")),
        sa.UniqueConstraint("network_id", "key", name=op.f("uq_phases_network_id")),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("agenda_path", sa.String(length=600), nullable=True),
        sa.Column("ical_uid", sa.String(length=200), nullable=False),
        sa.Column("replies", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_meetings_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["phase_id"], ["phases.id"],
                                name=op.f("fk_meetings_phase_id_phases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("network_id", "key", name=op.f("uq_meetings_network_id")),
    )
    op.create_table(
        "knowledge_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=True),
        sa.Column("assignee_name", sa.String(length=200), nullable=False),
        sa.Column("assignee_email", sa.String(length=320), nullable=False),
        sa.Column("assignee_user_id", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("ical_uid", sa.String(length=200), nullable=False),
        sa.Column("remote_href", sa.String(length=1000), nullable=True),
        sa.Column("etag", sa.String(length=200), nullable=True),
        sa.Column("sync_state", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_knowledge_tasks_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["phase_id"], ["phases.id"],
                                name=op.f("fk_knowledge_tasks_phase_id_phases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name=op.f("fk_knowledge_tasks_meeting_id_meetings"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_knowledge_tasks_organisation_id_organisations"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["membership_id"], ["memberships.id"],
                                name=op.f("fk_knowledge_tasks_membership_id_memberships"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_tasks")),
        sa.UniqueConstraint("network_id", "ical_uid", name=op.f("uq_knowledge_tasks_network_id")),
    )
    op.create_table(
        "launch_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("phase_key", sa.String(length=63), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=600), nullable=False),
        sa.Column("planned_requests", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_launch_steps_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_launch_steps_organisation_id_organisations"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_steps")),
        sa.UniqueConstraint("network_id", "key", name=op.f("uq_launch_steps_network_id")),
    )


def downgrade():
    for table in ("launch_steps", "knowledge_tasks", "meetings", "phases", "commitments", "memberships",
                  "networks"):
        op.drop_table(table)
