"""web runs are engine runs: who queued a run, its arguments and its outcome move onto engine_runs; action_runs goes

Branch kartrekker-gaps. A kartrekker's action is queued as an engine run and the engine records into that row,
so a progress bar has one source (the engine's record). The old action_runs rows were progress displays only;
their queued jobs (job name `network_action`) are no longer registered and fail as unknown when claimed.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("engine_runs") as batch:
        batch.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))
        batch.create_foreign_key(op.f("fk_engine_runs_account_id_accounts"), "accounts", ["account_id"], ["id"],
                                 ondelete="SET NULL")
    op.drop_index(op.f("ix_action_runs_network_id"), table_name="action_runs")
    op.drop_table("action_runs")


def downgrade():
    op.create_table(
        "action_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("current", sa.String(length=600), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_action_runs_network_id_networks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_action_runs_account_id_accounts"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_runs")),
    )
    op.create_index(op.f("ix_action_runs_network_id"), "action_runs", ["network_id"])
    with op.batch_alter_table("engine_runs") as batch:
        batch.drop_constraint(op.f("fk_engine_runs_account_id_accounts"), type_="foreignkey")
        batch.drop_column("message")
        batch.drop_column("params")
        batch.drop_column("account_id")
