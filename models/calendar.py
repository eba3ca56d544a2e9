"""The working-day calendar recorded by the administrator: the days off and make-up working days the government
announces each year (Tết break, bridge days, ngày làm bù). They override the built-in defaults of
`workflow.workdays` (statutory fixed holidays and the lunar tables).

The table is small (a few dozen rows a year) and read by date range: the primary key on `day` is the only index
it needs.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class CalendarDay(Base):
    """One recorded day. `is_working` False: a weekday that is off (holiday, Tết, bridge day); True: a Saturday or
    Sunday that is worked (ngày làm bù)."""

    __tablename__ = "calendar_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool]
    name: Mapped[str] = mapped_column(String(200))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
