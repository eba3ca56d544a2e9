"""Uploads are checked for what they claim (issue 11, item 7): each finding of the review, built here, is refused;
genuine files are accepted, images re-encoded without their metadata."""
from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib

import pytest
from PIL import Image
from samples import PDF, docx, xlsx

from workflow import uploads
from workflow.errors import ValidationFailed

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = b"<html><body><script>fetch('/api/v1/me').then(r=>r.text()).then(alert)</script></body></html>"
GIB = 1024 ** 3


def _image(fmt: str, **save) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (20, 120, 200)).save(buf, format=fmt, **save)
    return buf.getvalue()


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return buf.getvalue()


def _zip_bomb(name: str, size: int, *, declared: int | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """A zip whose part `name` inflates to `size` zero bytes (1 GiB: about 1 MB on the wire), built without ever
    holding or compressing the whole: one fully flushed deflate block of 1 MiB of zeros is independent of what
    precedes it, so the stream is that block repeated, closed by an empty final block."""
    block_size = 1024 * 1024
    assert size % block_size == 0
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = block.compress(b"\0" * block_size) + block.flush(zlib.Z_FULL_FLUSH)
    stream = one * (size // block_size) + zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = 0
    zeros = b"\0" * block_size
    for _ in range(size // block_size):
        crc = zlib.crc32(zeros, crc)
    declared = size if declared is None else declared
    entries = [(n.encode(), b, zlib.crc32(b), len(b), len(b), 0) for n, b in (extra or {}).items()]
    entries.append((name.encode(), stream, crc, declared, len(stream), 8))
    out, central = io.BytesIO(), io.BytesIO()
    for raw_name, body, entry_crc, usize, csize, method in entries:
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, entry_crc, csize, usize,
                              len(raw_name), 0) + raw_name + body)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, entry_crc, csize,
                                  usize, len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name)
    start, directory = out.tell(), central.getvalue()
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), start, 0))
    return out.getvalue()


CONTENT_TYPES_DOCX = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                      b'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                      b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')


def _png_html_polyglot() -> bytes:
    """A valid PNG carrying an HTML page in a tEXt chunk right after its header: it decodes as an image, and a
    browser sniffing it as HTML would run the script."""
    png = _image("PNG")
    chunk_body = b"Comment\0" + HTML
    chunk = struct.pack(">I", len(chunk_body)) + b"tEXt" + chunk_body + struct.pack(">I", zlib.crc32(b"tEXt" +
                                                                                                    chunk_body))
    ihdr_end = 8 + 25
    return png[:ihdr_end] + chunk + png[ihdr_end:]


# ------------------------------------------------------------------------------------------------ genuine files
@pytest.fixture(scope="module")
def genuine():
    return {"docx": docx("Báo cáo thành tích của Phòng Phổ biến, giáo dục pháp luật"),
            "xlsx": xlsx("Danh sách điển hình"), "png": _image("PNG"), "jpeg": _image("JPEG"), "pdf": PDF}


@pytest.mark.parametrize(("kind", "mime"), [("docx", DOCX), ("xlsx", XLSX), ("pdf", "application/pdf"),
                                            ("png", "image/png"), ("jpeg", "image/jpeg")])
def test_genuine_files_are_accepted(genuine, kind, mime):
    assert uploads.sniff(genuine[kind]) == mime


def test_office_files_are_stored_as_they_came(genuine):
    assert uploads.inspect(genuine["docx"]) == (DOCX, genuine["docx"])


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_images_are_re_encoded_without_their_metadata(fmt):
    exif = Image.Exif()
    exif[0x010E] = "Máy ảnh của ai đó, GPS 10.77N"  # ImageDescription
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (20, 120, 200)).save(buf, format=fmt, exif=exif.tobytes())
    original = buf.getvalue()
    assert b"GPS 10.77N" in original
    mime, stored = uploads.inspect(original)
    assert mime == f"image/{fmt.lower()}"
    assert b"GPS 10.77N" not in stored
    with Image.open(io.BytesIO(stored)) as again:
        assert again.format == fmt and again.size == (16, 12)
        assert not again.getexif()


# ------------------------------------------------------------------------------------------------ the findings
def test_a_zip_with_only_content_types_named_docx_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        uploads.sniff(_zip({"[Content_Types].xml": CONTENT_TYPES_DOCX}))
    assert "word/document.xml" in " ".join(exc.value.reasons)


def test_a_zip_with_word_folder_but_no_main_part_type_is_refused():
    with pytest.raises(ValidationFailed, match="Word"):
        uploads.sniff(_zip({"[Content_Types].xml": b"<Types/>", "word/x.txt": b"x"}))


def test_a_docx_whose_main_part_is_not_xml_is_refused():
    with pytest.raises(ValidationFailed, match="nội dung chính"):
        uploads.sniff(_zip({"[Content_Types].xml": CONTENT_TYPES_DOCX, "word/document.xml": b"not xml <"}))


def test_a_one_gib_zip_bomb_is_refused_without_inflating_it():
    bomb = _zip_bomb("word/document.xml", GIB, extra={"[Content_Types].xml": CONTENT_TYPES_DOCX})
    assert len(bomb) < 2 * 1024 * 1024  # about 1 MB on the wire
    started = time.perf_counter()
    with pytest.raises(ValidationFailed, match="zip bomb"):
        uploads.sniff(bomb)
    assert time.perf_counter() - started < 1.0  # read from the central directory, not inflated


def test_a_bomb_that_lies_in_its_central_directory_is_refused_without_inflating_it():
    """The directory claims 1 KiB for a part that inflates to 256 MiB: the read stops at the claimed size (and the
    streaming cap), the CRC does not match, the file is refused — quickly, nothing was inflated beyond that."""
    bomb = _zip_bomb("word/document.xml", 256 * 1024 * 1024, declared=1024,
                     extra={"[Content_Types].xml": CONTENT_TYPES_DOCX})
    started = time.perf_counter()
    with pytest.raises(ValidationFailed):
        uploads.sniff(bomb)
    assert time.perf_counter() - started < 1.0


def test_a_high_ratio_part_is_refused_even_under_the_total():
    body = b"<w:document/>" + b" " * (20 * 1024 * 1024)
    with pytest.raises(ValidationFailed, match="tỉ lệ nén"):
        uploads.sniff(_zip({"[Content_Types].xml": CONTENT_TYPES_DOCX, "word/document.xml": body}))


def test_a_pdf_html_polyglot_is_refused():
    polyglot = b"%PDF-1.4\n" + HTML + b"\n" + PDF[9:]
    with pytest.raises(ValidationFailed, match="HTML"):
        uploads.sniff(polyglot)


def test_html_with_a_pdf_after_it_is_refused():
    with pytest.raises(ValidationFailed):
        uploads.sniff(HTML + b"\n" + PDF)


def test_a_png_html_polyglot_is_refused():
    polyglot = _png_html_polyglot()
    with Image.open(io.BytesIO(polyglot)) as image:  # a real PNG
        image.load()
    with pytest.raises(ValidationFailed, match="HTML"):
        uploads.sniff(polyglot)


def test_html_deep_inside_an_image_is_gone_after_re_encoding():
    png = _image("PNG")
    chunk_body = b"Comment\0" + b"x" * 2048 + HTML
    chunk = struct.pack(">I", len(chunk_body)) + b"tEXt" + chunk_body + struct.pack(">I", zlib.crc32(b"tEXt" +
                                                                                                    chunk_body))
    deep = png[:33] + chunk + png[33:]
    mime, stored = uploads.inspect(deep)
    assert mime == "image/png" and b"<script" not in stored


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.4\nnothing else", id="pdf-header-only"),
        pytest.param(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
                     id="pdf-without-pages"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, id="png-header-only"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\0" * 64 + b"\xff\xd9", id="jpeg-header-only"),
    ],
)
def test_files_that_do_not_parse_are_refused(data):
    with pytest.raises(ValidationFailed) as exc:
        uploads.sniff(data)
    assert exc.value.reasons


def test_a_decompression_bomb_image_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 100)
    with pytest.raises(ValidationFailed, match="Ảnh quá lớn"):
        uploads.sniff(_image("PNG"))
