"""Checks an uploaded file for what it claims to be, by its content (never by its name or the browser's claim), and
stores it in the database under its SHA-256 (models.files), so every application host serves it; reads it back a
chunk at a time.

The upload rules (`inspect`): a .docx/.xlsx is an OOXML package of that kind (its main part present with the right
content type in [Content_Types].xml) whose declared uncompressed size and compression ratio are bounded (zip bombs
are refused from the central directory, and what is read is capped while it streams); a PDF starts with `%PDF-` and
parses (pypdf) with at least one page; a PNG/JPEG decodes (Pillow) and is re-encoded without its metadata before it
is stored; any file with HTML/SVG/script markers in its first KB (a polyglot a browser could run) is refused."""
from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree import ElementTree  # expat refuses entity expansion bombs; the parts read are size-capped

import filetype
import pypdf
from PIL import Image, ImageOps
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import StoredFile, StoredFileChunk
from workflow.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
CHUNK_SIZE = 1024 * 1024  # bytes per stored_file_chunks row
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOWED = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    DOCX: ".docx",
    XLSX: ".xlsx",
}
# An OOXML package: its main part and that part's content type in [Content_Types].xml.
OOXML_MAIN = {
    DOCX: ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    XLSX: ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}
# Zip bombs: refused from the central directory's sizes, before anything is decompressed; what is read (the
# content types and the main part) is also capped while it streams, whatever the directory claims.
MAX_UNCOMPRESSED = 100 * 1024 * 1024  # total of the package's parts
MAX_RATIO = 100  # uncompressed / compressed, for the package and for any part over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_PARTS = 5000
MAX_PIXELS = 40_000_000  # an image larger than this is refused before it is decoded
SNIFF_WINDOW = 1024
# What a browser would run as a page if it were ever served as one: refused within the first KB of any file.
ACTIVE_MARKERS = (b"<html", b"<script", b"<svg", b"<!doctype", b"<body", b"<iframe", b"<object", b"<embed",
                  b"<meta", b"<?xml-stylesheet", b"javascript:")

_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_TYPE_LIST = "Chỉ chấp nhận tệp PDF, Word (.docx), Excel (.xlsx), PNG, JPEG — kiểm tra theo nội dung tệp."


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    content_type: str


def _refuse(detail: str, reason: str) -> ValidationFailed:
    return ValidationFailed(detail, [reason], {"file": reason})


def _read_capped(z: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """A part's bytes, read a block at a time and abandoned as soon as they pass `cap`."""
    out = bytearray()
    with z.open(info) as part:
        while block := part.read(64 * 1024):
            out += block
            if len(out) > cap:
                raise _refuse("Tệp Office bị từ chối: nội dung giải nén quá lớn (nghi là “zip bomb”).",
                              f"Phần {info.filename} giải nén vượt quá giới hạn cho phép.")
    return bytes(out)


def _office_type(data: bytes) -> str:
    """The kind of a .docx/.xlsx package, or ValidationFailed saying why it is not a valid one."""
    not_office = _refuse("Tệp không phải là tài liệu Word (.docx) hay bảng tính Excel (.xlsx) hợp lệ.", _TYPE_LIST)
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_office from None
    with z:
        infos = z.infolist()
        total = sum(i.file_size for i in infos)
        if len(infos) > MAX_PARTS or total > MAX_UNCOMPRESSED:
            raise _refuse("Tệp Office bị từ chối: dung lượng sau khi giải nén quá lớn (nghi là “zip bomb”).",
                          f"Tổng dung lượng giải nén tối đa {MAX_UNCOMPRESSED // (1024 * 1024)} MB, "
                          f"tối đa {MAX_PARTS} phần; tệp này khai {total:,} byte, {len(infos)} phần.")
        for info in infos:
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise _refuse("Tệp Office bị từ chối: tỉ lệ nén bất thường (nghi là “zip bomb”).",
                              f"Phần {info.filename} nén với tỉ lệ vượt quá {MAX_RATIO}:1.")
        if total > RATIO_FLOOR and total > MAX_RATIO * len(data):
            raise _refuse("Tệp Office bị từ chối: tỉ lệ nén bất thường (nghi là “zip bomb”).",
                          f"Tỉ lệ nén của cả tệp vượt quá {MAX_RATIO}:1.")
        by_name = {i.filename: i for i in infos}
        if "[Content_Types].xml" not in by_name:
            raise not_office
        try:
            types = ElementTree.fromstring(_read_capped(z, by_name["[Content_Types].xml"], 1024 * 1024))
        except (ElementTree.ParseError, zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise _refuse("Tệp Office hỏng: không đọc được [Content_Types].xml.", _TYPE_LIST) from None
        overrides = {(o.get("PartName") or "").lstrip("/"): o.get("ContentType")
                     for o in types.iter(f"{_TYPES_NS}Override")}
        for mime, (part, part_type) in OOXML_MAIN.items():
            if overrides.get(part) != part_type:
                continue
            if part not in by_name:
                raise _refuse("Tệp Office hỏng: thiếu phần nội dung chính.", f"Không có phần {part} trong gói.")
            try:
                ElementTree.fromstring(_read_capped(z, by_name[part], MAX_UNCOMPRESSED))
            except (ElementTree.ParseError, zipfile.BadZipFile, OSError, EOFError, zlib.error):
                raise _refuse("Tệp Office hỏng: phần nội dung chính không đọc được.",
                              f"Phần {part} không phải XML hợp lệ.") from None
            return mime
    raise _refuse("Tệp không phải là tài liệu Word (.docx) hay bảng tính Excel (.xlsx) hợp lệ.",
                  "Gói không có phần nội dung chính word/document.xml hoặc xl/workbook.xml đúng kiểu "
                  "trong [Content_Types].xml (tệp có macro hay mẫu .dotx/.xltx không được nhận).")


def _check_pdf(data: bytes) -> None:
    if not data.startswith(b"%PDF-"):
        raise _refuse("Tệp PDF không hợp lệ.", "Tệp PDF phải bắt đầu bằng “%PDF-”.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise _refuse("Tệp PDF có mật khẩu.", "Không nhận tệp PDF được bảo vệ bằng mật khẩu.")
            pages = len(reader.pages)
    except ValidationFailed:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many kinds of errors on a broken file
        raise _refuse("Tệp PDF hỏng, không đọc được.", "Không đọc được cấu trúc tệp PDF.") from None
    if pages < 1:
        raise _refuse("Tệp PDF không có trang nào.", "Tệp PDF phải có ít nhất một trang.")


def _reencode_image(data: bytes, mime: str) -> bytes:
    """The image decoded and written again in its own format (PNG or JPEG) without its metadata (EXIF, text
    chunks, comments: whatever else the file carried is gone), turned upright by its EXIF orientation."""
    broken = _refuse("Ảnh hỏng, không đọc được.", "Tệp ảnh không giải mã được.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format != {"image/png": "PNG", "image/jpeg": "JPEG"}[mime]:
                    raise broken
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise _refuse("Ảnh quá lớn.", f"Ảnh tối đa {MAX_PIXELS // 1_000_000} triệu điểm ảnh.")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                clean = image.copy()
                clean.info = {k: v for k, v in image.info.items() if k == "transparency"}  # no text, EXIF, comment
                out = io.BytesIO()
                if mime == "image/png":
                    clean.save(out, format="PNG")
                else:
                    if clean.mode not in ("RGB", "L", "CMYK"):
                        clean = clean.convert("RGB")
                    clean.save(out, format="JPEG", quality=90)
    except ValidationFailed:
        raise
    except Exception:  # noqa: BLE001 - Pillow raises many kinds of errors on a broken image
        raise broken from None
    return out.getvalue()


def _active_content(data: bytes) -> bool:
    head = data[:SNIFF_WINDOW].lower()
    return any(marker in head for marker in ACTIVE_MARKERS)


def inspect(data: bytes) -> tuple[str, bytes]:
    """The type of `data`, checked for what it claims to be, and the bytes to store: an image re-encoded, any other
    file as it came. ValidationFailed (422, in Vietnamese, naming why) otherwise."""
    if not data:
        raise ValidationFailed("Tệp tải lên rỗng.", ["Tệp không có nội dung."])
    if len(data) > MAX_BYTES:
        raise ValidationFailed("Tệp vượt quá dung lượng cho phép (10 MB).", ["Dung lượng tối đa 10 MB."])
    if _active_content(data):
        raise _refuse("Tệp bị từ chối: có nội dung trang web (HTML/script) có thể chạy trong trình duyệt.",
                      "Tệp chứa mã HTML, SVG hoặc script ở phần đầu (tệp “đa định dạng”).")
    kind = filetype.guess(data)
    mime = kind.mime if kind else None
    if mime == "application/zip" or (mime and "openxmlformats" in mime) or data[:2] == b"PK":
        return _office_type(data), data
    if mime not in ALLOWED:
        raise ValidationFailed("Loại tệp không được chấp nhận.", [_TYPE_LIST])
    if mime == "application/pdf":
        _check_pdf(data)
        return mime, data
    return mime, _reencode_image(data, mime)


def sniff(data: bytes) -> str:
    """The checked type of `data` (see `inspect`)."""
    return inspect(data)[0]


def store(session: Session, data: bytes) -> Stored:
    """Checks `data` by its content and stores it once per distinct content, in the caller's transaction (nothing is
    committed here: a refused action leaves no file behind). The chunks are inserted one statement each, so the
    bytes are not copied into ORM objects all at once. Two transactions storing the same new content at the same
    moment: the second waits on the primary key (PostgreSQL) or the write lock (SQLite), then finds it stored."""
    mime, data = inspect(data)
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
