"""The department's Emulation and Commendation Council (Hội đồng Thi đua – Khen thưởng), its sessions, agendas,
attendance, publicity comments and the secret ballot.

Secret ballot: `BallotReceipt` records THAT a member voted on an item (one row per member and item: a second vote
is refused by the database; receipts are public). While the session is open, `BallotSlot` holds WHAT was voted,
sealed with BALLOT_KEY in slots that every vote rewrites; at the close the slots become `AnonymousBallot` rows
(item and choice only, shuffled) and are deleted. Nothing in the database links a receipt to a choice.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, Time, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

MEMBER_FUNCTIONS = ("chu_tich", "pho_chu_tich", "thuong_truc", "uy_vien")
SESSION_STATES = ("scheduled", "open", "closed", "cancelled")
ITEM_OUTCOMES = ("passed", "failed", "quota_exceeded", "tie", "no_quorum")
# The outcomes after which a closed session still holds its item's nomination (workflow.council.operations.
# AWAITING_OUTCOMES; tests/reporting/test_dashboard_reads.py checks they agree): the partial index below.
_AWAITING_SQL = "outcome IN ('passed', 'tie')"
BALLOT_CHOICES = ("agree", "disagree", "abstain")


class Council(Base):
    __tablename__ = "councils"
    __table_args__ = (
        CheckConstraint("quorum > 0 AND quorum <= 1", name="quorum"),
        CheckConstraint("pass_threshold > 0 AND pass_threshold <= 1", name="pass_threshold"),
        CheckConstraint("publicity_working_days >= 0", name="publicity_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    # Defaults of ARCHITECTURE.md: valid with 2/3 of members present; an item passes with agree votes of at least 70%
    # of the members entitled to vote on it. A department may set its own.
    quorum: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=0.6667)
    pass_threshold: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=0.7)
    publicity_working_days: Mapped[int] = mapped_column(default=10)

    members: Mapped[list[CouncilMember]] = relationship(
        back_populates="council", order_by="CouncilMember.id", cascade="all, delete-orphan"
    )


class CouncilMember(Base):
    __tablename__ = "council_members"
    __table_args__ = (
        UniqueConstraint("council_id", "user_id"),
        CheckConstraint(f"function IN {MEMBER_FUNCTIONS}", name="function"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    function: Mapped[str] = mapped_column(String(20), default="uy_vien")
    active: Mapped[bool] = mapped_column(default=True)

    council: Mapped[Council] = relationship(back_populates="members")
    user = relationship("User")


class CouncilSession(Base):
    __tablename__ = "council_sessions"
    __table_args__ = (
        CheckConstraint(f"state IN {SESSION_STATES}", name="state"),
        Index("ix_council_sessions_dept_date", "department_id", "date"),
        # The Biên bản's register: numbers restart each year per council (DOCUMENTS.md, "Numbers and symbols").
        UniqueConstraint("council_id", "minutes_year", "minutes_seq", name="uq_council_sessions_minutes_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    date: Mapped[dt.date] = mapped_column(Date)
    start_time: Mapped[dt.time | None] = mapped_column(Time)  # the planned hour (giờ họp), local time
    location: Mapped[str | None] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20), default="scheduled")
    # Optimistic locking, as for nominations: every UPDATE carries "AND version = :old" and bumps it, so an edit
    # sent against an older version (PATCH with `version`) is refused instead of overwriting a newer change.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    cancelled_at: Mapped[dt.datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[dt.datetime | None]
    comments_until: Mapped[dt.datetime | None]  # end of the publicity period; opening earlier is refused
    opened_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    minutes_year: Mapped[int | None]  # the Biên bản's number "{minutes_seq}/BB-HĐTĐKT", given when the session closes
    minutes_seq: Mapped[int | None]
    # Settings in force when the session closed, printed in the minutes (the council's may change later).
    members_total: Mapped[int | None]
    present_count: Mapped[int | None]
    quorum_required: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    pass_threshold_applied: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    quorum_met: Mapped[bool | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    council: Mapped[Council] = relationship()
    campaign = relationship("Campaign")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="session", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    attendance: Mapped[list[Attendance]] = relationship(cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class AgendaItem(Base):
    __tablename__ = "agenda_items"
    __table_args__ = (
        UniqueConstraint("session_id", "nomination_id"),
        CheckConstraint(f"outcome IS NULL OR outcome IN {ITEM_OUTCOMES}", name="outcome"),
        # The items that still hold their nomination after their session closed (passed, or tied at the quota:
        # council.AWAITING_OUTCOMES), by nomination (migration 0023): "not held by a session" (the secretariat's
        # agenda candidates, its home page's card) reads them in nomination order beside the candidates.
        Index("ix_agenda_items_awaiting", "nomination_id", sqlite_where=text(_AWAITING_SQL),
              postgresql_where=text(_AWAITING_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("council_sessions.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    # Filled when the session closes.
    agree: Mapped[int | None]
    disagree: Mapped[int | None]
    abstain: Mapped[int | None]
    entitled: Mapped[int | None]
    recused: Mapped[int | None]
    share: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    rank: Mapped[int | None]

    session: Mapped[CouncilSession] = relationship(back_populates="items")
    nomination = relationship("Nomination")


class Attendance(Base):
    __tablename__ = "attendance"

    session_id: Mapped[int] = mapped_column(ForeignKey("council_sessions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    present: Mapped[bool] = mapped_column(default=True)


class PublicComment(Base):
    """A comment received while the list of nominees is public (công khai)."""

    __tablename__ = "public_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("council_sessions.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    author = relationship("User")


class BallotReceipt(Base):
    """THAT a member voted on an item. No choice here; unique per member and item."""

    __tablename__ = "ballot_receipts"
    __table_args__ = (UniqueConstraint("item_id", "member_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"))
    member_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class BallotSlot(Base):
    """A sealed ballot while its session is open: one slot per member at the opening, per agenda item, each holding a
    sealed "empty" or a sealed choice of one fixed length (workflow/council/ballots.py). No member, no time, a random
    key; every vote rewrites every slot of its item, so nothing tells which slot a vote filled. Deleted at the close."""

    __tablename__ = "ballot_slots"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    sealed: Mapped[str] = mapped_column(String(80))


class AnonymousBallot(Base):
    """An opened ballot of a closed session: the item and the choice, nothing else. Written at the close in a
    shuffled order, in the transaction that deletes the slots; counting them recounts the tally."""

    __tablename__ = "anonymous_ballots"
    __table_args__ = (CheckConstraint(f"choice IN {BALLOT_CHOICES}", name="choice"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    choice: Mapped[str] = mapped_column(String(10))
