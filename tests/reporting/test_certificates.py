"""The certificate (Giấy chứng nhận điển hình tiên tiến) of a recognised example: .docx (A4 landscape), the print
view and the API; cơ sở from the department's decision, ngành from the Ministry's; 404 out of scope, 422 if not
recognised."""
from __future__ import annotations

from docx.oxml.ns import qn
from test_documents import lines, open_docx, submitted
from test_documents_proposal import nganh, recognised  # noqa: F401  (fixtures)

from workflow import documents


def test_co_so_certificate_docx(db, demo, recognised):  # noqa: F811
    year, day = recognised.today.year, documents.vn_short_date(recognised.today)
    document = open_docx(documents.certificate_docx(db, recognised.person))
    text = lines(document)
    section = document.sections[0]
    assert section.page_width > section.page_height  # A4 landscape
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "GIÁM ĐỐC SỞ TƯ PHÁP TỈNH AN GIANG", "GIẤY CHỨNG NHẬN",
                     f"ĐIỂN HÌNH TIÊN TIẾN CẤP CƠ SỞ NĂM {year}", "Cá nhân:", "Phan Thị Kim Oanh",
                     f"Theo Quyết định số 12/QĐ-STP ngày {day} của Giám đốc Sở Tư pháp.",
                     f"An Giang, {documents.vn_date(recognised.today)}", "GIÁM ĐỐC", "Nguyễn Văn Giám",
                     f"Số: 12.01/{year}/GCN-STP"):
        assert expected in text, expected
    assert not any(t.startswith("KT.") for t in text)
    assert any(t.startswith("Đã có thành tích xuất sắc") and demo.campaign().name in t for t in text)
    # The collective is second in the decision: its own number; its department printed under its name.
    c = documents.certificate(db, recognised.collective)
    assert (c.number, c.subject_label, c.name) == (f"12.02/{year}/GCN-STP", "Tập thể", "Phòng Hành chính tư pháp")
    assert c.details == "Sở Tư pháp tỉnh An Giang"


def test_deputy_signature_is_kept(db, demo, recognised):  # noqa: F811
    d = recognised.co_so
    d.on_behalf_of_id, d.signer_title = demo.user("giamdoc").id, "PHÓ GIÁM ĐỐC"
    db.flush()
    c = documents.certificate(db, recognised.person)
    assert (c.capacity, c.signer_title) == ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")
    text = lines(open_docx(documents.certificate_docx(db, recognised.person)))
    assert text.index("KT. GIÁM ĐỐC") + 1 == text.index("PHÓ GIÁM ĐỐC")


def test_nganh_certificate(db, demo, recognised, nganh):  # noqa: F811
    db.refresh(recognised.person)
    assert recognised.person.state == "recognized"
    c = documents.certificate(db, recognised.person)
    assert c.level == "nganh" and c.authority == "BỘ TRƯỞNG BỘ TƯ PHÁP"
    assert c.level_line.startswith("ĐIỂN HÌNH TIÊN TIẾN NGÀNH TƯ PHÁP")
    assert c.decision_ref.startswith("Theo Quyết định số 100/QĐ-BTP")
    assert c.number.endswith("/GCN-BTP") and c.signer_title == "BỘ TRƯỞNG"


def test_pages_and_api(client, login, api, db, demo, recognised, tmp_path):  # noqa: F811
    person = recognised.person.id
    other = submitted(db, demo, tmp_path, "tp_pbgdpl", title="Phòng PBGDPL", unit="PBGDPL").id
    db.commit()
    db.rollback()  # release SQLite's lock before requests
    login("tp_hctp")
    detail = client.get(f"/nominations/{person}").get_data(as_text=True)
    assert f'href="/nominations/{person}/certificate"' in detail
    r = client.get(f"/nominations/{person}/certificate")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "GIẤY CHỨNG NHẬN" in html and "Phan Thị Kim Oanh" in html
    assert "certificate.css" in html and "data-print" in html and "navbar" not in html and "<script>" not in html
    css = client.get("/static/certificate.css")
    assert "size: A4 landscape" in css.get_data(as_text=True)
    css.close()
    r = client.get(f"/nominations/{person}/certificate.docx")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert r.headers["Content-Disposition"].startswith("attachment")
    login("tp_pbgdpl")  # not in scope: the certificate does not exist for them
    assert client.get(f"/nominations/{person}/certificate").status_code == 404
    assert client.get(f"/nominations/{person}/certificate.docx").status_code == 404
    not_yet = client.get(f"/nominations/{other}/certificate")  # submitted, not recognised
    assert not_yet.status_code == 422 and "chưa được công nhận" in not_yet.get_data(as_text=True)
    assert "/certificate" not in client.get(f"/nominations/{other}").get_data(as_text=True)
    r = api.as_("vanphong").get(f"/nominations/{person}/certificate.docx")
    assert r.status_code == 200 and r.mimetype.endswith("wordprocessingml.document")
    assert api.as_("tp_pbgdpl").get(f"/nominations/{person}/certificate.docx").status_code == 404
    r = api.as_("tp_pbgdpl").get(f"/nominations/{other}/certificate.docx")
    assert r.status_code == 422 and r.mimetype == "application/problem+json"


def test_the_signature_table_spans_the_landscape_text_width(db, demo, recognised):  # noqa: F811
    """Issue 15, finding 2: the table under the certificate was measured against the portrait text width, so it was
    shifted 4,6 cm left (over the border) and the signer's block stood in the middle. It spans the landscape text."""
    document = open_docx(documents.certificate_docx(db, recognised.person))
    table = document.tables[-1]
    assert table._tbl.tblPr.find(qn("w:tblInd")) is None
    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    assert abs(sum(c.width for c in table.columns) - text_width) < 1000  # EMU
