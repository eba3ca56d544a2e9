"""Campaigns (phong trào, đợt thi đua): every nomination belongs to one."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.org import Unit

CAMPAIGN_KINDS = ("annual", "period", "thematic", "peak")
SUBJECT_TYPES = ("collective", "individual")


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(f"kind IN {CAMPAIGN_KINDS}", name="kind"),
        CheckConstraint("start_date <= end_date", name="dates"),
        CheckConstraint("allows_collective OR allows_individual", name="some_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    legal_basis: Mapped[str | None] = mapped_column(Text)  # "Kế hoạch số 79/KH-STP ngày 27/4/2023"
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    registration_deadline: Mapped[dt.date] = mapped_column(Date)
    evaluation_deadline: Mapped[dt.date | None] = mapped_column(Date)
    allows_collective: Mapped[bool] = mapped_column(default=True)
    allows_individual: Mapped[bool] = mapped_column(default=True)
    quota_collective: Mapped[int | None]
    quota_individual: Mapped[int | None]
    award_forms: Mapped[str | None] = mapped_column(Text)
    # A period's mid-term (sơ kết) and final (tổng kết) review dates (000 §1.4, 004 §V): reminded and reported.
    midterm_review_date: Mapped[dt.date | None] = mapped_column(Date)
    final_review_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    department: Mapped[Unit] = relationship()

    @property
    def subject_types(self) -> list[str]:
        return [t for t, ok in (("collective", self.allows_collective), ("individual", self.allows_individual)) if ok]

    @property
    def quotas(self) -> dict[str, int]:
        q = {"collective": self.quota_collective, "individual": self.quota_individual}
        return {k: v for k, v in q.items() if v is not None}

    @property
    def years(self) -> range:
        return range(self.start_date.year, self.end_date.year + 1)

    def allows(self, subject_type: str) -> bool:
        return subject_type in self.subject_types
