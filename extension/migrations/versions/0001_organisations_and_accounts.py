"""organisations and accounts

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("nextcloud_url", sa.String(length=500), nullable=True),
        sa.Column("client_id", sa.String(length=200), nullable=True),
        # encrypted by the app (extension.crypto.EncryptedText)
        sa.Column("client_secret", sa.Text(), nullable=True),
        sa.Column("connection_user", sa.String(length=200), nullable=False),
        sa.Column("connection_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("nextcloud_url", "client_id", name=op.f("uq_organisations_nextcloud_url")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisations_slug")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        # encrypted by the app (extension.crypto.EncryptedText)
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_accounts_organisation_id_organisations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("organisation_id", "user_id", name=op.f("uq_accounts_organisation_id")),
    )
    # The two tables refer to each other; the second reference is added once both exist.
    with op.batch_alter_table("organisations") as batch:
        batch.create_foreign_key(op.f("fk_organisations_connection_account_id_accounts"), "accounts",
                                 ["connection_account_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("organisations") as batch:
        batch.drop_constraint(op.f("fk_organisations_connection_account_id_accounts"), type_="foreignkey")
    op.drop_table("accounts")
    op.drop_table("organisations")
