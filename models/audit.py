"""The hash-chained audit trail. Rows are only ever inserted; `notifications.audit` writes them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id", "id"),
        Index("ix_audit_events_actor", "actor_id", "id"),
        # Failed logins carry only a username; filtering by actor reads it through this index.
        Index("ix_audit_events_actor_username", "actor_username", "id"),
        Index("ix_audit_events_action", "action", "id"),
        Index("ix_audit_events_created_at", "created_at"),
        Index("ix_audit_events_outcome", "outcome", "id"),  # "the refused actions" without scanning the trail
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_username: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(20), default="ok")  # ok | refused | failed
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    data: Mapped[dict] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    # Unique: two writers that read the same tail cannot both append after it (no fork of the chain).
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditVerification(Base):
    """The result of one check of the chain (`dienhinh audit verify`, or the audit page's button).

    Checking a million events takes tens of seconds, too long for a page: the page shows the latest result, and
    a new check starts from the last event an intact check reached (`last_event_id`, `last_hash`), so it reads only
    what was appended since. A full check (`full=True`) starts again from the first event."""

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checked_by: Mapped[str | None] = mapped_column(String(80))  # a username, or "cli"
    full: Mapped[bool] = mapped_column(default=False)
    ok: Mapped[bool]
    events_checked: Mapped[int] = mapped_column(default=0)
    last_event_id: Mapped[int | None]  # the last event known intact
    last_hash: Mapped[str | None] = mapped_column(String(64))
    first_bad_id: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text, default="")
