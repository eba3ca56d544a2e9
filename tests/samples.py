"""Genuine sample files for upload tests: uploads are checked by content (a PDF must parse, an image must decode and
is re-encoded, an .docx/.xlsx must be a real package of its kind), so hand-made fakes no longer pass."""
from __future__ import annotations

import io

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
       b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
       b"startxref\n164\n%%EOF\n")


def image(fmt: str = "PNG", width: int = 1, height: int = 1, color=(30, 90, 160)) -> bytes:
    """A PNG or JPEG Pillow wrote (uploads re-encode images: a PNG like this one comes back byte for byte)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format=fmt)
    return buf.getvalue()


def docx(text: str = "Báo cáo thành tích") -> bytes:
    import docx as python_docx

    d = python_docx.Document()
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def xlsx(text: str = "Danh sách") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = text
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
