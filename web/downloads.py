"""Office documents made on request (.docx, .xlsx), sent the same way by every page: an ASCII file name every browser
and Windows keeps, and never sniffed as something else. The API's responses use the same file names. A .docx is sent
as PDF instead when the page asks `?format=pdf` (LibreOffice on the server: `workflow.documents.pdf`)."""
from __future__ import annotations

import io
import re
import unicodedata

from flask import Response, request, send_file

from workflow.documents import pdf

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
MIMETYPES = {"docx": DOCX, "xlsx": XLSX, "pdf": PDF}


def ascii_filename(text: str, ext: str = "docx") -> str:
    """Vietnamese letters without their marks (đ → d), anything else → '-', at most 80 characters before the
    extension."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80] or "van-ban"
    return f"{text}.{ext}"


def wants_pdf() -> bool:
    return request.args.get("format") == "pdf"


def send_document(data: bytes, stem: str, ext: str) -> Response:
    """The file as an attachment; a .docx asked for as PDF (`?format=pdf`) is converted first (404 with the reason
    when the server has no LibreOffice)."""
    if ext == "docx" and wants_pdf():
        data, ext = pdf.docx_to_pdf(data), "pdf"
    response = send_file(io.BytesIO(data), mimetype=MIMETYPES[ext], as_attachment=True,
                         download_name=ascii_filename(stem, ext), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
