"""Spreading recognised examples (tuyên truyền, nhân rộng): stories, monthly introductions, the themes calendar.

Seeds: 000 §II.1.2 and §II.3 (channels, the yearly calendar of themes), 004 §II.2 and §V.1 (each unit introduces
at least one example by the 10th of every month).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import User
from models.base import Base, utcnow
from models.nominations import Nomination
from models.org import Unit

STORY_CHANNELS = ("portal", "bulletin", "social")  # Cổng TTĐT, Bản tin Tư pháp, mạng xã hội
STORY_STATES = ("draft", "published")


class Story(Base):
    """An editor's article about a recognised example. `body_html` is stored already sanitised (nh3): what is in
    the table is what the public page prints.

    Every save is kept as a numbered `StoryRevision`. The story's own columns hold revision `revision`: the one the
    public reads while the story is published. An edit of a published story is saved as revision
    `pending_revision` and waits there, the public page unchanged, until the editor publishes it (or discards it)."""

    __tablename__ = "stories"
    __table_args__ = (
        CheckConstraint(f"channel IN {STORY_CHANNELS}", name="channel"),
        CheckConstraint(f"state IN {STORY_STATES}", name="state"),
        Index("ix_stories_state_published", "state", "published_at", "id"),
        Index("ix_stories_department_state", "department_id", "state", "id"),
        Index("ix_stories_updated", "updated_at", "id"),  # the editors' list, newest first
        # The public's count of published stories (the showcase): read from this index alone, joined to the
        # recognised nominations' ids, never from the stories' wide rows.
        Index("ix_stories_state_nomination", "state", "nomination_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(20), default="portal")
    state: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[dt.datetime | None]
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    pending_revision: Mapped[int | None]
    revised_at: Mapped[dt.datetime | None]  # when a later revision of the published story was last published
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    nomination: Mapped[Nomination] = relationship()
    department: Mapped[Unit] = relationship()
    images: Mapped[list[StoryImage]] = relationship(order_by="StoryImage.id", cascade="all, delete-orphan",
                                                    back_populates="story")
    revisions: Mapped[list[StoryRevision]] = relationship(order_by="StoryRevision.number",
                                                          cascade="all, delete-orphan", back_populates="story")

    __mapper_args__ = {"version_id_col": version}


class StoryRevision(Base):
    """One saved state of a story (title, summary, sanitised body, channel), numbered from 1 per story; who saved it
    and when, and when it was first made public (if ever). Never changed once written."""

    __tablename__ = "story_revisions"
    __table_args__ = (
        UniqueConstraint("story_id", "number"),
        CheckConstraint(f"channel IN {STORY_CHANNELS}", name="channel"),
        CheckConstraint("number >= 1", name="number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    story: Mapped[Story] = relationship(back_populates="revisions")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])


class StoryImage(Base):
    """An image of a story, checked by content (PNG/JPEG only); its bytes are the stored file `sha256` (files.py)."""

    __tablename__ = "story_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    caption: Mapped[str] = mapped_column(String(300), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    story: Mapped[Story] = relationship(back_populates="images")


class MonthlyIntroduction(Base):
    """A unit's introduction of one example in a month ("giới thiệu tối thiểu 01 gương điển hình tiên tiến tiêu biểu
    vào ngày 10 hàng tháng", 004 §V.1). `month` is the first day of the month; the deadline is its 10th."""

    __tablename__ = "monthly_introductions"
    __table_args__ = (
        UniqueConstraint("unit_id", "month", "nomination_id"),
        Index("ix_monthly_introductions_month_unit", "month", "unit_id"),
        CheckConstraint("introduced_on >= month", name="in_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)
    month: Mapped[dt.date] = mapped_column(Date)
    introduced_on: Mapped[dt.date] = mapped_column(Date)
    form: Mapped[str] = mapped_column(String(200), default="")  # "giao ban", "bản tin", "cổng thông tin" …
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    nomination: Mapped[Nomination] = relationship()


class PropagandaTheme(Base):
    """The yearly calendar of propaganda themes by month (000 §II.3), one row per department, year and month."""

    __tablename__ = "propaganda_themes"
    __table_args__ = (
        UniqueConstraint("department_id", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int]
    month: Mapped[int]
    theme: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
