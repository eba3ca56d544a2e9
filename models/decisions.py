"""Decisions (Quyết định) recognising nominations, with numbers per body, type and year."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

DECISION_LEVELS = ("co_so", "nganh")


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint(f"level IN {DECISION_LEVELS}", name="level"),
        # "Numbers restart each year per body and type; the system refuses a duplicate" (DOCUMENTS.md).
        UniqueConstraint("issuer_id", "doc_type", "year", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    issuer_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # the department, or the ministry
    doc_type: Mapped[str] = mapped_column(String(10), default="QĐ")
    year: Mapped[int]
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(String(60))  # "12/QĐ-STP"
    date: Mapped[dt.date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signer_title: Mapped[str] = mapped_column(String(100), default="GIÁM ĐỐC")
    # A ngành decision is signed by the Minister (or a Deputy Minister) outside the system; `signer_id` is then the
    # reviewer who recorded it. The name printed under the signature, and whether a deputy signed "KT. BỘ TRƯỞNG".
    signed_by_name: Mapped[str | None] = mapped_column(String(200))
    signed_as_deputy: Mapped[bool] = mapped_column(default=False)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("council_sessions.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    items: Mapped[list[DecisionItem]] = relationship(order_by="DecisionItem.id", cascade="all, delete-orphan")
    signer = relationship("User", foreign_keys=[signer_id])
    on_behalf_of = relationship("User", foreign_keys=[on_behalf_of_id])
    issuer = relationship("Unit")


class DecisionItem(Base):
    __tablename__ = "decision_items"
    __table_args__ = (UniqueConstraint("decision_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)

    nomination = relationship("Nomination")
