"""Checks an uploaded file by its content (never by its name or the browser's claim) and stores it in the database
under its SHA-256 (models.files), so every application host serves it; reads it back a chunk at a time."""
from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import filetype
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import StoredFile, StoredFileChunk
from workflow.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
CHUNK_SIZE = 1024 * 1024  # bytes per stored_file_chunks row
ALLOWED = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    content_type: str


def _office_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("word/") for n in names):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if any(n.startswith("xl/") for n in names):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def sniff(data: bytes) -> str:
    if not data:
        raise ValidationFailed("Tệp tải lên rỗng.", ["Tệp không có nội dung."])
    if len(data) > MAX_BYTES:
        raise ValidationFailed("Tệp vượt quá dung lượng cho phép (10 MB).", ["Dung lượng tối đa 10 MB."])
    kind = filetype.guess(data)
    mime = kind.mime if kind else None
    if mime == "application/zip" or (mime and "openxmlformats" in mime) or data[:2] == b"PK":
        mime = _office_type(data)
    if mime not in ALLOWED:
        raise ValidationFailed(
            "Loại tệp không được chấp nhận.",
            ["Chỉ chấp nhận tệp PDF, Word (.docx), Excel (.xlsx), PNG, JPEG — kiểm tra theo nội dung tệp."],
        )
    return mime


def store(session: Session, data: bytes) -> Stored:
    """Checks `data` by its content and stores it once per distinct content, in the caller's transaction (nothing is
    committed here: a refused action leaves no file behind). The chunks are inserted one statement each, so the
    bytes are not copied into ORM objects all at once. Two transactions storing the same new content at the same
    moment: the second waits on the primary key (PostgreSQL) or the write lock (SQLite), then finds it stored."""
    mime = sniff(data)
    digest = hashlib.sha256(data).hexdigest()
    if session.get(StoredFile, digest) is None:
        try:
            with session.begin_nested():
                session.add(StoredFile(sha256=digest, size=len(data), content_type=mime, chunk_size=CHUNK_SIZE))
                session.flush()
                view = memoryview(data)
                for seq, start in enumerate(range(0, len(data), CHUNK_SIZE)):
                    session.execute(insert(StoredFileChunk).values(
                        sha256=digest, seq=seq, data=bytes(view[start:start + CHUNK_SIZE])))
        except IntegrityError:
            if session.get(StoredFile, digest) is None:  # not the same content stored concurrently: a real error
                raise
    return Stored(digest, len(data), mime)


def stat(session: Session, sha256: str) -> StoredFile | None:
    """The stored file with this hash, or None (a row whose file was missing when files moved into the database)."""
    return session.get(StoredFile, sha256) if sha256 else None


class StoredFileReader(io.RawIOBase):
    """A stored file as a read-only, seekable binary stream that fetches one chunk at a time, each through a session
    of its own opened and closed for that chunk: a download to a slow client holds no connection (and not the
    request's session, closed when the view returns) between chunks, and a Range request seeks to its chunk."""

    def __init__(self, session_factory: Callable[[], Session], sha256: str, size: int, chunk_size: int):
        super().__init__()
        self._factory, self.sha256, self.size, self.chunk_size = session_factory, sha256, size, chunk_size
        self._pos, self._seq, self._chunk = 0, -1, b""

    @classmethod
    def of(cls, session_factory: Callable[[], Session], stored: StoredFile) -> StoredFileReader:
        return cls(session_factory, stored.sha256, stored.size, stored.chunk_size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def _load(self, seq: int) -> bytes:
        with self._factory() as session:
            data = session.scalar(select(StoredFileChunk.data).where(StoredFileChunk.sha256 == self.sha256,
                                                                     StoredFileChunk.seq == seq))
            session.rollback()
        if data is None:
            raise OSError(f"stored file {self.sha256}: chunk {seq} is missing")
        return bytes(data)

    def readinto(self, buffer) -> int:
        """Fills `buffer` (across chunk boundaries) up to the end of the file."""
        view, done = memoryview(buffer).cast("B"), 0
        while done < len(view) and self._pos < self.size:
            seq, offset = divmod(self._pos, self.chunk_size)
            if seq != self._seq:
                self._chunk, self._seq = self._load(seq), seq
            piece = self._chunk[offset:offset + len(view) - done]
            if not piece:
                raise OSError(f"stored file {self.sha256}: chunk {seq} is shorter than expected")
            view[done:done + len(piece)] = piece
            done += len(piece)
            self._pos += len(piece)
        return done

    def close(self) -> None:
        self._chunk = b""
        super().close()


def read_all(session: Session, sha256: str) -> bytes:
    """The whole content at once (tests, small files); downloads stream with StoredFileReader instead."""
    return b"".join(session.scalars(select(StoredFileChunk.data).where(StoredFileChunk.sha256 == sha256)
                                    .order_by(StoredFileChunk.seq)))
