"""A nomination (hồ sơ điển hình) and what hangs off it: criteria answers, check-ins, attachments, history."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.campaigns import Campaign
from models.org import Person, Unit

STATES = (
    "registered", "nurtured", "submitted", "evaluated_co_so", "proposed_nganh",
    "recognized", "not_recognized", "withdrawn", "revoked",
)
# A nomination in one of these no longer blocks a new one for the same subject in the campaign.
DEAD_STATES = ("not_recognized", "withdrawn", "revoked")
_DEAD_SQL = "state NOT IN ('not_recognized', 'withdrawn', 'revoked')"


class Nomination(Base):
    __tablename__ = "nominations"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES}", name="state"),
        CheckConstraint("subject_type IN ('collective', 'individual')", name="subject_type"),
        CheckConstraint(
            "(subject_type = 'individual' AND subject_person_id IS NOT NULL)"
            " OR (subject_type = 'collective' AND subject_person_id IS NULL)",
            name="subject",
        ),
        CheckConstraint("version >= 1", name="version"),
        # One live nomination per subject per campaign, enforced by the database itself.
        Index(
            "uq_nominations_live_subject", "campaign_id", "subject_key", unique=True,
            sqlite_where=text(_DEAD_SQL), postgresql_where=text(_DEAD_SQL),
        ),
        Index("ix_nominations_dept_state", "department_id", "state", "id"),
        Index("ix_nominations_unit_state", "unit_id", "state", "id"),
        Index("ix_nominations_campaign_state", "campaign_id", "state"),
        # For the other lists (migration 0014): the recognised ids (stories, showcase) and the showcase order.
        Index("ix_nominations_state_id", "state", "id"),
        Index("ix_nominations_updated", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # The nominating unit: the collective itself, or the unit of the individual.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    subject_key: Mapped[str] = mapped_column(String(40))  # "u:<unit id>" or "p:<person id>"
    title: Mapped[str] = mapped_column(String(500))
    achievements: Mapped[str] = mapped_column(Text, default="")
    initiatives: Mapped[str] = mapped_column(Text, default="")
    nurture_plan: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(30), default="registered", index=True)
    version: Mapped[int] = mapped_column(default=1)
    search_text: Mapped[str] = mapped_column(String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    subject_person: Mapped[Person | None] = relationship()
    criteria: Mapped[list[CriterionAnswer]] = relationship(
        cascade="all, delete-orphan", order_by="CriterionAnswer.code", back_populates="nomination"
    )
    checkins: Mapped[list[Checkin]] = relationship(cascade="all, delete-orphan", order_by="Checkin.date")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")
    history: Mapped[list[StateChange]] = relationship(order_by="StateChange.version")

    # SQLAlchemy adds "AND version = :old" to every UPDATE: a lost update becomes StaleDataError.
    __mapper_args__ = {"version_id_col": version}

    @property
    def subject_name(self) -> str:
        if self.subject_type == "individual" and self.subject_person is not None:
            return self.subject_person.full_name
        return self.unit.name if self.unit is not None else ""


class CriterionAnswer(Base):
    __tablename__ = "criterion_answers"

    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    met: Mapped[bool | None]
    evidence: Mapped[str] = mapped_column(Text, default="")

    nomination: Mapped[Nomination] = relationship(back_populates="criteria")


class Checkin(Base):
    """A nurture check-in (theo dõi, kiểm tra, đánh giá trong quá trình bồi dưỡng)."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


ATTACHMENT_KINDS = ("achievement_report", "evidence", "nurture_plan", "other")


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint(f"kind IN {ATTACHMENT_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StateChange(Base):
    """One row per step of a nomination. (nomination_id, version) is unique: a step can never be doubled."""

    __tablename__ = "state_changes"
    __table_args__ = (
        UniqueConstraint("nomination_id", "version"),
        # The period reports read the states "as they were on" a review date.
        Index("ix_state_changes_nomination_created", "nomination_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"))
    version: Mapped[int]  # the nomination's version after the step
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    actor = relationship("User", foreign_keys=[actor_id])
    on_behalf_of = relationship("User", foreign_keys=[on_behalf_of_id])
