"""The organisation: units (ministry → department → divisions and district offices), people, and the
discipline and award records that the eligibility rules read."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, fold, utcnow

UNIT_KINDS = ("ministry", "department", "division", "district_office")
EMPLOYMENT_TYPES = ("cong_chuc", "vien_chuc", "nguoi_lao_dong", "tap_su", "hop_dong_duoi_1_nam")
# Severity order of Law on cadres and civil servants; every form counts as "khiển trách trở lên".
DISCIPLINE_FORMS = ("khien_trach", "canh_cao", "ha_bac_luong", "giang_chuc", "cach_chuc", "buoc_thoi_viec")
AWARD_LEVELS = ("co_so", "bo", "tinh", "nha_nuoc")


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (CheckConstraint(f"kind IN {UNIT_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # The department a unit belongs to (itself for a department, NULL for the ministry): scope queries use it.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    place: Mapped[str | None] = mapped_column(String(100))  # "An Giang": printed before the date of documents
    active: Mapped[bool] = mapped_column(default=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # The unit succeeded others (a merge, a split, a close with a successor: `unit_successors`): its unit-scoped
    # accounts also reach the predecessors' records. False for nearly every unit, so the policy asks no more then.
    has_predecessors: Mapped[bool] = mapped_column(default=False, server_default=false())
    search_text: Mapped[str] = mapped_column(String(300), default="")

    parent: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    department: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[department_id])

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (CheckConstraint(f"employment_type IN {EMPLOYMENT_TYPES}", name="employment_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # Vietnamese order: by given name (last word), then the rest.
    sort_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    search_text: Mapped[str] = mapped_column(String(200), default="", index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    position: Mapped[str | None] = mapped_column(String(200))
    employment_type: Mapped[str] = mapped_column(String(30), default="cong_chuc")
    is_unit_head: Mapped[bool] = mapped_column(default=False)
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    unit: Mapped[Unit] = relationship()

    def set_name(self, full_name: str) -> None:
        self.full_name = full_name.strip()
        self.search_text = fold(self.full_name)
        parts = self.search_text.split()
        self.sort_key = " ".join(parts[-1:] + parts[:-1])


class DisciplineRecord(Base):
    __tablename__ = "discipline_records"
    __table_args__ = (CheckConstraint(f"form IN {DISCIPLINE_FORMS}", name="form"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    form: Mapped[str] = mapped_column(String(30))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    decision_number: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person] = relationship()


class AwardRecord(Base):
    """A title or award held by a person or a unit; recognitions written by the workflow land here too."""

    __tablename__ = "award_records"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (unit_id IS NULL)", name="one_subject"),
        CheckConstraint(f"level IN {AWARD_LEVELS}", name="level"),
        Index("ix_award_records_person_year", "person_id", "year"),
        Index("ix_award_records_unit_year", "unit_id", "year"),
        Index("ix_award_records_nomination", "nomination_id"),  # the showcase and certificates look up by it
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(60))  # code, see workflow.labels.AWARD_TITLES
    level: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    decision_number: Mapped[str | None] = mapped_column(String(50))
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nominations.id"))
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


UNIT_CHANGE_KINDS = ("rename", "merge", "split", "move", "close")


class UnitChange(Base):
    """One change of the organisation (issue 16: the 2025 reorganisation), with the date it takes effect. `unit_id` is
    the unit changed (for a merge: the successor; the predecessors are in `details` and in `unit_successors`)."""

    __tablename__ = "unit_changes"
    __table_args__ = (
        CheckConstraint(f"kind IN {UNIT_CHANGE_KINDS}", name="kind"),
        Index("ix_unit_changes_unit_date", "unit_id", "effective_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    details: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()


class UnitName(Base):
    """A unit's former name, code and parent, held until `valid_to` (the effective date of the change that ended it,
    exclusive): what a document dated before `valid_to` prints. The current ones are the unit's own columns."""

    __tablename__ = "unit_names"
    __table_args__ = (Index("ix_unit_names_unit_valid_to", "unit_id", "valid_to"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)  # None: since the unit was recorded
    valid_to: Mapped[dt.date] = mapped_column(Date)
    change_id: Mapped[int] = mapped_column(ForeignKey("unit_changes.id"), index=True)


class UnitSuccessor(Base):
    """A predecessor → successor link of a merge, a split or a close with a successor. `inherits_records`: the
    successor whose eligibility rules count the predecessor's unit award records (every successor of a merge; the one
    part the sheet names in a split)."""

    __tablename__ = "unit_successors"
    __table_args__ = (
        Index("ix_unit_successors_successor", "successor_id", "effective_date"),
        Index("ix_unit_successors_predecessor", "predecessor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    successor_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    inherits_records: Mapped[bool] = mapped_column(default=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("unit_changes.id"), index=True)
