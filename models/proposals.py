"""Proposals (Tờ trình) from a department to the Minister: a draft the secretariat builds, the director signs and
submits; once submitted it is locked and its items are `proposed_nganh`."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

PROPOSAL_STATES = ("draft", "submitted")


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(f"state IN {PROPOSAL_STATES}", name="state"),
        CheckConstraint("state = 'draft' OR (seq IS NOT NULL AND date IS NOT NULL)", name="numbered_when_sent"),
        # "Numbers restart each year per body and type; the system refuses a duplicate" (DOCUMENTS.md).
        UniqueConstraint("department_id", "year", "seq"),
        Index("ix_proposals_state_submitted", "state", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    title: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    year: Mapped[int | None]
    seq: Mapped[int | None]
    number: Mapped[str | None] = mapped_column(String(60))  # "46/TTr-STP"
    date: Mapped[dt.date | None] = mapped_column(Date)
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signer_title: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]

    items: Mapped[list[ProposalItem]] = relationship(
        back_populates="proposal", order_by="ProposalItem.position", cascade="all, delete-orphan"
    )
    department = relationship("Unit")
    campaign = relationship("Campaign")
    signer = relationship("User", foreign_keys=[signer_id])
    on_behalf_of = relationship("User", foreign_keys=[on_behalf_of_id])


class ProposalItem(Base):
    __tablename__ = "proposal_items"
    __table_args__ = (
        UniqueConstraint("proposal_id", "nomination_id"),
        # A nomination stands in at most one proposal that is still open for it (cleared when the Ministry decides).
        Index("uq_proposal_items_live_nomination", "nomination_id", unique=True,
              sqlite_where=text("live"), postgresql_where=text("live")),
        # "Is this nomination in a proposal still open for it?" asked per nomination (the dashboard's candidates, a
        # proposal's own checks): SQLite uses the partial index above only for a bare `live` term, which SQLAlchemy
        # writes `live = 1` or `live IS 1`, and read the whole table once per nomination instead (migration 0028).
        Index("ix_proposal_items_nomination_id", "nomination_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"))
    position: Mapped[int] = mapped_column(default=0)
    live: Mapped[bool] = mapped_column(default=True)

    proposal: Mapped[Proposal] = relationship(back_populates="items")
    nomination = relationship("Nomination")
