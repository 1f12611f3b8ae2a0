"""sync: sync_collections, and what the sync reads back into knowledge tasks and meetings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sync_collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("uri", sa.String(length=255), nullable=False),
        sa.Column("sync_token", sa.String(length=1000), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("missing_since", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_sync_collections_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_sync_collections_organisation_id_organisations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_sync_collections_account_id_accounts"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_collections")),
        sa.UniqueConstraint("network_id", "organisation_id", "kind", name=op.f("uq_sync_collections_network_id")),
    )
    with op.batch_alter_table("knowledge_tasks") as batch:
        batch.add_column(sa.Column("percent_complete", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("remote_summary", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("remote_modified_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("etag", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("etag")
    with op.batch_alter_table("knowledge_tasks") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("remote_modified_at")
        batch.drop_column("remote_summary")
        batch.drop_column("percent_complete")
    op.drop_table("sync_collections")
