"""The last result of each organisation's background checks, which /readyz reads instead of asking Nextcloud."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from extension.extensions import db


class OrganisationCheck(db.Model):
    __tablename__ = "organisation_checks"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    # The checks as `lerend-netwerk check --json` shows them: [{"name", "status", "message", "hint"?}, …]
    results: Mapped[list] = mapped_column(JSON)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
