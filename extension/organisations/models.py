"""An organisation taking part in networks, and how the app reaches its Nextcloud."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extension.crypto import EncryptedText
from extension.extensions import db

ORGANISATION_KINDS = ("kinderopvang", "peuterspeelzaal", "basisschool", "jeugdhulp", "anders")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="anders")
    # None for an organisation without Nextcloud: its members take part by e-mail (DESIGN "Cross-organisation").
    nextcloud_url: Mapped[str | None] = mapped_column(String(500))
    client_id: Mapped[str | None] = mapped_column(String(200))
    client_secret: Mapped[str | None] = mapped_column(EncryptedText)
    # The Nextcloud UID that may authorise the organisation connection (a functional account).
    connection_user: Mapped[str] = mapped_column(String(200), default="lerend-netwerk")
    connection_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    connection_account = relationship("Account", foreign_keys=[connection_account_id], post_update=True)

    __table_args__ = (UniqueConstraint("nextcloud_url", "client_id"),)

    @property
    def has_nextcloud(self) -> bool:
        return bool(self.nextcloud_url and self.client_id)

    @property
    def host(self) -> str | None:
        """The host part used in federated cloud ids (`user@host`,
        Nextcloud: lib/private/Federation/CloudIdManager.php)."""
        if not self.nextcloud_url:
            return None
        return self.nextcloud_url.split("://", 1)[-1].rstrip("/")

    @property
    def instance(self) -> str | None:
        """The normalised key of the organisation's Nextcloud (two organisations on one server share it)."""
        # Imported here: the connectors bring `requests`, which a command that only reads the database
        # never needs (start-up time, issue 12).
        from connectors.http import instance_key

        return instance_key(self.nextcloud_url) if self.nextcloud_url else None

    @property
    def connection(self):
        """The organisation connection account when it can be used now, else None."""
        account = self.connection_account
        if not self.has_nextcloud or account is None or account.needs_reconnect:
            return None
        return account

    def recipient(self, user_id: str, owner: Organisation) -> tuple[int, str]:
        """How `owner`'s Nextcloud shares with this organisation's user `user_id`: on the same Nextcloud a user
        share, else a federated share to `user_id@host` (CloudIdManager.php). The one place this rule lives."""
        from connectors.ocs import SHARE_FEDERATED, SHARE_USER

        if self.instance == owner.instance:
            return SHARE_USER, user_id
        return SHARE_FEDERATED, f"{user_id}@{self.host}"
