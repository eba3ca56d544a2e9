"""The reminder log: one row per reminder queued, so a deadline reminder reaches each recipient once."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ReminderLog(Base):
    """`occurrence` names the deadline and the lead time ("2026-10-20:5d", "campaign:3:2026-12-31:7d"); the unique
    constraint makes `dienhinh reminders send` exactly-once per recipient however often (or concurrently) it runs."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("kind", "occurrence", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    occurrence: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
