"""File contents (attachments, story images) kept in the database, content-addressed: one `stored_files` row per
distinct content (its SHA-256), the bytes in `stored_file_chunks` of `chunk_size` bytes (the last one shorter), so
any application host serves any file, one database backup holds everything, and a file is written and read a chunk
at a time. Rows referring to a file (`attachments.sha256`, `story_images.sha256`) name it by its hash."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class StoredFile(Base):
    __tablename__ = "stored_files"
    __table_args__ = (CheckConstraint("size > 0 AND chunk_size > 0", name="positive_sizes"),)

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    chunk_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StoredFileChunk(Base):
    """Chunk `seq` (from 0) of a stored file: bytes [seq * chunk_size, (seq + 1) * chunk_size)."""

    __tablename__ = "stored_file_chunks"

    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("stored_files.sha256", ondelete="CASCADE"),
                                        primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
