"""Office documents made on request (.docx, .xlsx), sent the same way by every page: an ASCII file name every browser
and Windows keeps, and never sniffed as something else. The API's responses use the same file names."""
from __future__ import annotations

import io
import re
import unicodedata

from flask import Response, send_file

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ascii_filename(text: str, ext: str = "docx") -> str:
    """Vietnamese letters without their marks (đ → d), anything else → '-', at most 80 characters before the
    extension."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80] or "van-ban"
    return f"{text}.{ext}"


def send_document(data: bytes, stem: str, ext: str) -> Response:
    response = send_file(io.BytesIO(data), mimetype=DOCX if ext == "docx" else XLSX, as_attachment=True,
                         download_name=ascii_filename(stem, ext), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
