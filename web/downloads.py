"""Office documents made on request (.docx, .xlsx), sent the same way by every page and by the API: an ASCII file
name every browser and Windows keeps, never sniffed as something else, never cached. A .docx is sent as PDF instead
when the caller asks (`?format=pdf`, or an API client's `Accept: application/pdf`): LibreOffice on the server
(`workflow.documents.pdf`), and without it the same refusal everywhere (404 with the reason; problem+json in the API).
This module is the one home of that decision: pages call `send_document`, the API `api_file`."""
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
FORMATS = ("docx", "pdf")  # what `?format=` may ask of an official document (the API documents and enforces it)


def ascii_filename(text: str, ext: str = "docx") -> str:
    """Vietnamese letters without their marks (đ → d), anything else → '-', at most 80 characters before the
    extension."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80] or "van-ban"
    return f"{text}.{ext}"


def wants_pdf() -> bool:
    """Whether the caller asks for a .docx as PDF: `?format=pdf`; without `format`, an Accept header that prefers
    application/pdf to the .docx (a browser's `*/*` keeps the .docx)."""
    asked = request.args.get("format")
    if asked is not None:
        return asked == "pdf"
    return request.accept_mimetypes.best_match([DOCX, PDF]) == PDF


def as_requested(data: bytes, ext: str) -> tuple[bytes, str]:
    """The file in the format asked for: a .docx asked for as PDF is converted by LibreOffice; without LibreOffice
    `pdf.convert` refuses (NotFound, 404, "Máy chủ chưa cài LibreOffice…"). Anything else is sent as it is."""
    if ext == "docx" and wants_pdf():
        return pdf.docx_to_pdf(data), "pdf"
    return data, ext


def _negotiated(response: Response, ext: str) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if ext in ("docx", "pdf"):
        response.vary.add("Accept")  # the same URL answers a .docx or its PDF by the Accept header
    return response


def send_document(data: bytes, stem: str, ext: str) -> Response:
    """A page's download: the file as an attachment, a .docx asked for as PDF converted first (`as_requested`)."""
    data, ext = as_requested(data, ext)
    response = send_file(io.BytesIO(data), mimetype=MIMETYPES[ext], as_attachment=True,
                         download_name=ascii_filename(stem, ext), max_age=0)
    return _negotiated(response, ext)


def api_file(data: bytes, filename: str) -> Response:
    """An API download named `filename` (ASCII, "quyet-dinh-12-2026.docx"): a .docx asked for as PDF is converted
    (`as_requested`) and named ".pdf"; private, never stored by a cache."""
    stem, _, ext = filename.rpartition(".")
    data, ext = as_requested(data, ext)
    response = Response(data, mimetype=MIMETYPES[ext])
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{ext}"'
    response.headers["Cache-Control"] = "private, no-store"
    return _negotiated(response, ext)
