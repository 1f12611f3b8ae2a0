"""page indexes: what the pages find rows by at 1,000 networks (branch pages-bench)

A person's memberships by identity (organisation, user id), their tasks and task counts by membership, their
first tasks by due date, their next meetings by start, an organisation's and a manager's commitments, and the
jobs page's newest rows per state. Without them the "my networks" page counted each membership's tasks with a
scan of every task.

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-29
"""
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_memberships_organisation_id", "memberships", ["organisation_id", "user_id"])
    op.create_index("ix_knowledge_tasks_membership_id", "knowledge_tasks", ["membership_id"])
    op.create_index("ix_commitments_organisation_id", "commitments", ["organisation_id", "manager_user_id"])
    op.create_index("ix_job_runs_state", "job_runs", ["state", "updated_at"])
    op.create_index("ix_meetings_starts_at", "meetings", ["starts_at"])
    op.create_index("ix_knowledge_tasks_due_on", "knowledge_tasks", ["due_on", "id"])


def downgrade():
    op.drop_index("ix_knowledge_tasks_due_on", table_name="knowledge_tasks")
    op.drop_index("ix_meetings_starts_at", table_name="meetings")
    op.drop_index("ix_job_runs_state", table_name="job_runs")
    op.drop_index("ix_commitments_organisation_id", table_name="commitments")
    op.drop_index("ix_knowledge_tasks_membership_id", table_name="knowledge_tasks")
    op.drop_index("ix_memberships_organisation_id", table_name="memberships")
