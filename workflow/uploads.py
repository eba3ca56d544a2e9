"""Checks an uploaded file by its content (never by its name or the browser's claim) and stores it outside
the static folder, under its SHA-256."""
from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype

from workflow.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
ALLOWED = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


@dataclass(frozen=True)
class StoredFile:
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


def store(root: str | os.PathLike, data: bytes) -> StoredFile:
    mime = sniff(data)
    digest = hashlib.sha256(data).hexdigest()
    path = Path(root) / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return StoredFile(digest, len(data), mime)


def path_of(root: str | os.PathLike, sha256: str) -> Path:
    return Path(root) / sha256[:2] / sha256
