"""engine: runs of a plan, and what each journaled step was last run with

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "engine_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("failed_label", sa.String(length=600), nullable=True),
        sa.Column("failed_error", sa.Text(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_engine_runs_network_id_networks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engine_runs")),
    )
    op.create_index(op.f("ix_engine_runs_network_id"), "engine_runs", ["network_id"])
    with op.batch_alter_table("launch_steps") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_launch_steps_run_id_engine_runs"), "engine_runs", ["run_id"], ["id"],
                                 ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("launch_steps") as batch:
        batch.drop_constraint(op.f("fk_launch_steps_run_id_engine_runs"), type_="foreignkey")
        batch.drop_column("run_id")
        batch.drop_column("digest")
        batch.drop_column("params")
    op.drop_index(op.f("ix_engine_runs_network_id"), table_name="engine_runs")
    op.drop_table("engine_runs")
