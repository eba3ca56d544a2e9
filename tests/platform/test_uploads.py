"""Uploads are accepted or refused by their content, never by their name (workflow.uploads)."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from samples import PDF, docx, image, xlsx

from workflow import uploads
from workflow.errors import ValidationFailed

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


JPEG = image("JPEG", 8, 8, (200, 30, 30))
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 64
TEXT = "Báo cáo thành tích của Phòng Phổ biến, giáo dục pháp luật.\n".encode()


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(
        b"IEND", b"")


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return buf.getvalue()


@pytest.fixture(scope="module")
def office_files():
    return {"docx": docx("Báo cáo thành tích"), "xlsx": xlsx("Danh sách")}


@pytest.mark.parametrize(("data", "mime"), [(PDF, "application/pdf"), (JPEG, "image/jpeg")])
def test_accepted_by_content(data, mime):
    assert uploads.sniff(data) == mime


def test_png_accepted():
    assert uploads.sniff(_png()) == "image/png"


def test_docx_and_xlsx_accepted(office_files):
    assert uploads.sniff(office_files["docx"]) == DOCX
    assert uploads.sniff(office_files["xlsx"]) == XLSX


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(TEXT, id="plain-text"),
        pytest.param(EXE, id="exe-MZ"),
        pytest.param(b"<html><script>alert(1)</script></html>", id="html"),
        pytest.param(_zip(["a.txt"]), id="plain-zip"),
        pytest.param(_zip(["[Content_Types].xml", "ppt/presentation.xml"]), id="pptx-like"),
        pytest.param(b"PK\x03\x04 not really a zip", id="broken-zip"),
        pytest.param(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", id="gif"),
    ],
)
def test_refused_by_content(data):
    with pytest.raises(ValidationFailed) as exc:
        uploads.sniff(data)
    assert exc.value.reasons  # the user is told what is accepted


def test_empty_is_refused():
    with pytest.raises(ValidationFailed, match="rỗng"):
        uploads.sniff(b"")


def test_size_limit_is_ten_megabytes():
    at_limit = PDF + b"\0" * (uploads.MAX_BYTES - len(PDF))
    assert uploads.sniff(at_limit) == "application/pdf"
    with pytest.raises(ValidationFailed, match="10 MB"):
        uploads.sniff(at_limit + b"\0")
