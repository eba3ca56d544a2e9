"""The Tờ trình to the Minister (.docx), the lists as .xlsx, and the ngành decision that covers several departments,
built through the services (cơ sở recognition, proposal, submit, ngành decision) and read back with python-docx and
openpyxl."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from types import SimpleNamespace

import openpyxl
import pytest
from docx.shared import Pt
from factories import deputy_director
from test_documents import lines, open_docx, run_of, submitted, table_with

from models import Decision, DecisionItem, Delegation, Proposal
from workflow import clock, documents
from workflow.council import operations as council
from workflow.nominations import service
from workflow.policy import actor_for
from workflow.proposals import decisions
from workflow.proposals import operations as proposals

MEMBERS = ["giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"]
EVIL = '=HYPERLINK("https://example.com/x","Bấm vào đây")'


@pytest.fixture
def recognised(db, demo, tmp_path):
    """A collective (HCTP, its dossier titled like a spreadsheet formula) and an individual (Phan Thị Kim Oanh) passed
    by the council and recognised cơ sở by decision 12/QĐ-STP, then put in a draft proposal by the secretariat."""
    collective = submitted(db, demo, tmp_path, "tp_hctp", title=EVIL, unit="HCTP")
    person = submitted(db, demo, tmp_path, "tp_hctp", title="Chị Phan Thị Kim Oanh – chuyên viên hộ tịch",
                       person="Phan Thị Kim Oanh")
    council.council_for_department(db, demo.unit("STP").id).publicity_working_days = 0
    sec, director = demo.actor("vanphong"), demo.actor("giamdoc")
    s = council.schedule(db, sec, title="Phiên họp bình xét", date=dt.date.today() + dt.timedelta(days=30),
                         campaign_id=demo.campaign().id)
    council.set_agenda(db, sec, s.id, [collective.id, person.id])
    council.publish(db, sec, s.id)
    council.record_attendance(db, sec, s.id, [demo.user(u).id for u in MEMBERS])
    council.open_session(db, director, s.id)
    for n in (collective, person):
        for u in MEMBERS:
            council.cast_vote(db, demo.actor(u), s.id, nomination_id=n.id, choice="agree")
    council.close_session(db, director, s.id)
    today = clock.today()
    co_so = decisions.issue(db, director, level="co_so", number=12, date=today,
                            nomination_ids=[person.id, collective.id])
    # The secretariat lists the individual first: the documents still put collectives first.
    p = proposals.create(db, sec, nomination_ids=[person.id, collective.id])
    db.commit()
    return SimpleNamespace(collective=collective, person=person, co_so=co_so, proposal=p, today=today)


def submit(db, actor, p: Proposal, number=46) -> Proposal:
    proposals.submit(db, actor, p.id, number=number, date=clock.today())
    db.commit()
    return p


def cells(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def sheet(data: bytes):
    assert data[:2] == b"PK"
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Danh sách"]
    return wb["Danh sách"]


def values(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


# ------------------------------------------------------------------------------------------------ the Tờ trình
def test_draft_proposal(db, demo, recognised):
    year = recognised.today.year
    document = open_docx(documents.proposal_docx(db, recognised.proposal))
    text = lines(document)
    joined = "\n".join(text)
    assert text[0] == "(Dự thảo)"
    for expected in ("UBND TỈNH AN GIANG", "SỞ TƯ PHÁP", "Số:       /TTr-STP", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "An Giang, ngày      tháng      năm      ", "TỜ TRÌNH",
                     f"Về việc đề nghị Bộ trưởng Bộ Tư pháp công nhận điển hình tiên tiến ngành Tư pháp năm {year}",
                     "Kính gửi: Bộ trưởng Bộ Tư pháp (qua Vụ Thi đua – Khen thưởng)",
                     "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
                     f"Căn cứ Kế hoạch số 79/KH-STP ngày 27/4/{year} của Sở Tư pháp;",
                     f"Căn cứ Quyết định số 12/QĐ-STP {documents.vn_date(recognised.today)} của Giám đốc Sở Tư pháp "
                     f"về việc công nhận điển hình tiên tiến cấp cơ sở năm {year}.",
                     f"Sở Tư pháp kính đề nghị Bộ trưởng Bộ Tư pháp xem xét, công nhận điển hình tiên tiến ngành Tư "
                     f"pháp năm {year} cho 01 tập thể và 01 cá nhân (có danh sách kèm theo).",
                     "Nơi nhận:", "- Như trên;", "- Giám đốc, các Phó Giám đốc Sở;", "- Lưu: VT, TĐKT.", "GIÁM ĐỐC"):
        assert expected in text, expected
    assert any(t.startswith("Hồ sơ kèm theo: ") and "Quyết định số 12/QĐ-STP" in t for t in text)
    assert run_of(document, "TỜ TRÌNH").bold
    kính_gửi = next(p for p in document.paragraphs if p.text.startswith("Kính gửi:"))
    assert kính_gửi.alignment == 1  # centred
    assert run_of(document, "- Như trên;").font.size == Pt(11)
    # A draft is not signed: no name, no number in the annex either.
    assert "Nguyễn Văn Giám" not in joined and "KT. GIÁM ĐỐC" not in text
    assert ("(Kèm theo Tờ trình số       /TTr-STP ngày      tháng      năm của Sở Tư pháp tỉnh An Giang)"
            in text)
    annex = table_with(document, "TT", "Tên tập thể / Họ và tên")
    rows = cells(annex)
    assert rows[0] == ["TT", "Tên tập thể / Họ và tên", "Đơn vị", "Đã được công nhận cấp cơ sở",
                       "Thành tích tiêu biểu"]
    assert rows[1][0] == "I. TẬP THỂ" and rows[3][0] == "II. CÁ NHÂN"


def test_submitted_proposal(db, demo, recognised):
    p = submit(db, demo.actor("giamdoc"), recognised.proposal)
    year, day = p.date.year, documents.vn_short_date(recognised.today)
    document = open_docx(documents.proposal_docx(db, p))
    text = lines(document)
    assert "(Dự thảo)" not in text
    for expected in ("Số: 46/TTr-STP", f"An Giang, {documents.vn_date(p.date)}", "GIÁM ĐỐC", "Nguyễn Văn Giám",
                     "DANH SÁCH ĐỀ NGHỊ CÔNG NHẬN ĐIỂN HÌNH TIÊN TIẾN", f"NGÀNH TƯ PHÁP NĂM {year}",
                     f"(Kèm theo Tờ trình số 46/TTr-STP {documents.vn_date(p.date)} của Sở Tư pháp tỉnh An Giang)"):
        assert expected in text, expected
    signature = text[text.index("Nơi nhận:"):]
    assert signature.index("GIÁM ĐỐC") < signature.index("Nguyễn Văn Giám")
    assert "KT. GIÁM ĐỐC" not in text
    rows = cells(table_with(document, "TT", "Tên tập thể / Họ và tên"))
    assert rows[1][0] == "I. TẬP THỂ"
    assert rows[2][:4] == ["1", "Phòng Hành chính tư pháp", "Sở Tư pháp tỉnh An Giang",
                           f"Quyết định số 12/QĐ-STP ngày {day}"]
    assert rows[3][0] == "II. CÁ NHÂN"
    assert rows[4][:4] == ["1", "Phan Thị Kim Oanh", "Chuyên viên, Phòng Hành chính tư pháp",
                           f"Quyết định số 12/QĐ-STP ngày {day}"]
    assert len(rows[4][4]) <= documents.LIST_ACHIEVEMENT_CHARS + 1 and rows[4][4].endswith("…")
    assert "Tổng số: 01 tập thể và 01 cá nhân." in text


def test_proposal_signed_by_a_deputy_under_delegation(db, demo, recognised):
    deputy = deputy_director(db, demo)
    today = clock.today()
    db.add(Delegation(department_id=demo.unit("STP").id, director_id=demo.user("giamdoc").id, deputy_id=deputy.id,
                      starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=1)))
    db.flush()
    p = submit(db, actor_for(db, deputy), recognised.proposal, number="47/TTr-STP")
    assert p.on_behalf_of_id == demo.user("giamdoc").id
    text = lines(open_docx(documents.proposal_docx(db, p)))
    kt = text.index("KT. GIÁM ĐỐC")
    assert text[kt + 1] == "PHÓ GIÁM ĐỐC"
    assert "Lê Thị Phó" in text[kt + 2:] and "Nguyễn Văn Giám" not in text
    assert "Số: 47/TTr-STP" in text


def test_period_campaign_reads_giai_doan(db, demo):
    """A proposal of the period campaign (built in memory: its ngành rules are another test's business)."""
    p = Proposal(department=demo.unit("STP"), campaign=demo.campaign("period"), title="Đề nghị", state="draft")
    text = lines(open_docx(documents.proposal_docx(db, p)))
    assert ("Về việc đề nghị Bộ trưởng Bộ Tư pháp công nhận điển hình tiên tiến ngành Tư pháp giai đoạn 2021-2025"
            in text)
    assert "NGÀNH TƯ PHÁP GIAI ĐOẠN 2021-2025" in text


# ------------------------------------------------------------------------------------------------ a ngành decision
@pytest.fixture
def nganh(db, demo, recognised, tmp_path):
    """Decision 100/QĐ-BTP: first recorded for a Khánh Hòa individual (written directly: that department has no
    council in the demo), then extended through the service with An Giang's two items, then a Khánh Hòa collective."""
    submit(db, demo.actor("giamdoc"), recognised.proposal)
    head = demo.actor("tp_stp2")
    other = demo.campaign(department="STP2")
    hoa = service.create_nomination(db, head, campaign_id=other.id, subject_type="individual",
                                    person_id=demo.person("Trần Văn Hòa").id, title="Anh Trần Văn Hòa",
                                    achievements="Tham mưu tốt công tác văn phòng.")
    office = service.create_nomination(db, head, campaign_id=other.id, subject_type="collective",
                                       unit_id=demo.unit("STP2-VP").id, title="Văn phòng Sở Khánh Hòa",
                                       achievements="Đơn vị dẫn đầu khối.")
    today = clock.today()
    d = Decision(level="nganh", issuer_id=demo.unit("BTP").id, year=today.year, seq=100, number="100/QĐ-BTP",
                 date=today, summary="Về việc công nhận điển hình tiên tiến ngành Tư pháp",
                 signer_id=demo.user("botp").id, signer_title="BỘ TRƯỞNG")
    d.items.append(DecisionItem(nomination_id=hoa.id))
    db.add(d)
    db.flush()
    decisions.issue(db, demo.actor("botp"), level="nganh", number=100, date=today,
                    nomination_ids=[recognised.collective.id, recognised.person.id])
    d.items.append(DecisionItem(nomination_id=office.id))
    db.commit()
    return d


def test_nganh_decision_of_several_departments(db, demo, recognised, nganh):
    document = open_docx(documents.decision_docx(db, nganh))
    text = lines(document)
    assert "Xét đề nghị của Giám đốc Sở Tư pháp tỉnh Khánh Hòa;" in text
    assert "Xét đề nghị của Giám đốc Sở Tư pháp tỉnh An Giang;" in text
    article1 = next(t for t in text if t.startswith("Điều 1."))
    assert "ngành Tư pháp" in article1 and "02 tập thể và 02 cá nhân" in article1
    rows = cells(table_with(document, "TT", "Tên tập thể / Họ và tên"))
    assert rows[0][:4] == ["TT", "Tên tập thể / Họ và tên", "Sở", "Chức vụ, đơn vị"]
    # Each part lists a department's rows together, departments in the order they entered the decision.
    assert rows[1][0] == "I. TẬP THỂ"
    assert [r[1:3] for r in rows[2:4]] == [["Văn phòng Sở Tư pháp tỉnh Khánh Hòa", "Sở Tư pháp tỉnh Khánh Hòa"],
                                           ["Phòng Hành chính tư pháp", "Sở Tư pháp tỉnh An Giang"]]
    # Issue 15, finding 5: a collective's "Chức vụ, đơn vị" cell was left empty; it says what kind of unit it is.
    assert [r[3] for r in rows[2:4]] == ["Phòng, đơn vị thuộc Sở"] * 2
    assert rows[4][0] == "II. CÁ NHÂN"
    assert [r[:4] for r in rows[5:7]] == [
        ["1", "Trần Văn Hòa", "Sở Tư pháp tỉnh Khánh Hòa", "Chuyên viên, Văn phòng Sở Tư pháp tỉnh Khánh Hòa"],
        ["2", "Phan Thị Kim Oanh", "Sở Tư pháp tỉnh An Giang", "Chuyên viên, Phòng Hành chính tư pháp"]]

    ws = sheet(documents.decision_xlsx(db, nganh))
    data = values(ws)
    assert data[2] == ["TT", "Loại (Tập thể/Cá nhân)", "Tên tập thể / Họ và tên", "Hồ sơ", "Đơn vị", "Sở",
                       "Phong trào", "Trạng thái", "Quyết định cấp cơ sở"]
    assert data[1][0] == (f"Kèm theo Quyết định số 100/QĐ-BTP ngày {documents.vn_short_date(nganh.date)} "
                          "của Bộ trưởng Bộ Tư pháp")
    assert [(r[0], r[1], r[2], r[5]) for r in data[3:]] == [
        (1, "Tập thể", "Văn phòng Sở Tư pháp tỉnh Khánh Hòa", "Sở Tư pháp tỉnh Khánh Hòa"),
        (2, "Tập thể", "Phòng Hành chính tư pháp", "Sở Tư pháp tỉnh An Giang"),
        (3, "Cá nhân", "Trần Văn Hòa", "Sở Tư pháp tỉnh Khánh Hòa"),
        (4, "Cá nhân", "Phan Thị Kim Oanh", "Sở Tư pháp tỉnh An Giang")]
    assert data[4][7] == "Điển hình ngành Tư pháp"
    assert data[4][8] == f"Quyết định số 12/QĐ-STP ngày {documents.vn_short_date(recognised.today)}"
    assert data[3][8] is None  # Khánh Hòa's office has no cơ sở decision in the demo


# ------------------------------------------------------------------------------------------------ lists as .xlsx
def test_proposal_list_as_a_spreadsheet(db, demo, recognised):
    year = recognised.today.year
    draft = values(sheet(documents.proposal_xlsx(db, recognised.proposal)))
    assert draft[1][0] == "Dự thảo tờ trình (chưa có số, ngày) của Sở Tư pháp tỉnh An Giang"
    p = submit(db, demo.actor("giamdoc"), recognised.proposal)
    data = documents.proposal_xlsx(db, p)
    ws = sheet(data)
    rows = values(ws)
    assert rows[0][0] == f"DANH SÁCH ĐỀ NGHỊ CÔNG NHẬN ĐIỂN HÌNH TIÊN TIẾN NGÀNH TƯ PHÁP NĂM {year}"
    assert "A1:H1" in {str(r) for r in ws.merged_cells.ranges} and "A2:H2" in {str(r) for r in ws.merged_cells.ranges}
    assert rows[1][0] == (f"Kèm theo Tờ trình số 46/TTr-STP ngày {documents.vn_short_date(p.date)} "
                          "của Sở Tư pháp tỉnh An Giang")
    assert rows[2] == ["TT", "Loại (Tập thể/Cá nhân)", "Tên tập thể / Họ và tên", "Hồ sơ", "Đơn vị", "Phong trào",
                       "Trạng thái", "Quyết định cấp cơ sở"]
    decision = f"Quyết định số 12/QĐ-STP ngày {documents.vn_short_date(recognised.today)}"
    campaign = demo.campaign().name
    assert rows[3] == [1, "Tập thể", "Phòng Hành chính tư pháp", EVIL, "Sở Tư pháp tỉnh An Giang", campaign,
                       "Đã đề nghị cấp ngành", decision]
    assert rows[4][:3] == [2, "Cá nhân", "Phan Thị Kim Oanh"] and rows[4][7] == decision
    assert len(rows) == 5
    # Layout: a frozen, bold header, Times New Roman, widths set.
    assert ws.freeze_panes == "A4"
    assert all(c.font.bold for c in ws[3]) and ws["A1"].font.bold
    assert {c.font.name for row in ws.iter_rows() for c in row if c.value is not None} == {"Times New Roman"}
    assert ws.column_dimensions["C"].width >= 25 and ws.column_dimensions["A"].width <= 6
    # The formula stays text, as typed: a string with the quote-prefix style, no cell of the workbook a formula.
    assert ws["D4"].data_type == "s" and ws["D4"].quotePrefix and not ws["C4"].quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+2", "'=1+2"), ("+84 912", "'+84 912"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\r=1", "'\r=1"), (EVIL, "'" + EVIL), ("Phòng Hành chính tư pháp", "Phòng Hành chính tư pháp"),
    ("a=1", "a=1"), ("", ""), (3, 3), (None, None), (dt.date(2026, 3, 5), dt.date(2026, 3, 5)),
])
def test_safe_cell(value, expected):
    assert documents._safe_cell(value) == expected
