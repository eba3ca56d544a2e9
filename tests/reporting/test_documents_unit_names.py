"""Documents print each unit as it was named on the document's date (issue 16): a decision of 2024 and its
certificate keep the old name of a unit renamed in 2025, its department's old name too; today's documents the new."""
from __future__ import annotations

import datetime as dt
import io

import factories
import openpyxl
from sqlalchemy import select
from test_documents import closed, lines, open_docx  # noqa: F401 (closed is a fixture)
from test_reports import FULL, docx_text, make

from models import Decision, DecisionItem
from workflow import documents
from workflow.administration import units as reorg
from workflow.council.queries import held_on
from workflow.reporting import report_documents


def test_a_2024_decision_prints_the_old_unit_name(db, demo):
    [n] = factories.recognised(db, demo, "HCTP", number="7/QĐ-STP", date=dt.date(2024, 12, 20),
                               now=dt.datetime(2024, 12, 19, 2, 0, tzinfo=dt.UTC))  # the council met the day before
    decision = db.scalar(select(Decision).join(DecisionItem, DecisionItem.decision_id == Decision.id)
                         .where(DecisionItem.nomination_id == n.id))
    unit, department = n.unit, decision.issuer
    old_unit, old_department = unit.name, department.name
    admin = demo.actor("admin")
    reorg.rename_unit(db, admin, unit.id, {"effective_date": "01/07/2025", "name": "Phòng Đổi Tên Mới"})
    reorg.rename_unit(db, admin, department.id, {"effective_date": "01/07/2025",
                                                 "name": "Sở Tư pháp tỉnh Đồng Tháp"})
    text = "\n".join(lines(open_docx(documents.decision_docx(db, decision))))
    assert old_unit in text and "Phòng Đổi Tên Mới" not in text
    assert "UBND TỈNH AN GIANG" in text and "ĐỒNG THÁP" not in text.upper()
    assert old_department == "Sở Tư pháp tỉnh An Giang"
    cert = documents.certificate(db, n)
    assert cert.name == old_unit and "AN GIANG" in cert.authority
    cert_text = "\n".join(lines(open_docx(documents.certificate_docx(db, n))))
    assert old_unit in cert_text and "Phòng Đổi Tên Mới" not in cert_text
    sheet = openpyxl.load_workbook(io.BytesIO(documents.decision_xlsx(db, decision)))
    cells = " ".join(str(c.value) for row in sheet.active.iter_rows() for c in row if c.value is not None)
    assert old_unit in cells and "Phòng Đổi Tên Mới" not in cells
    decision.date = dt.date(2025, 7, 1)  # on the effective date: the new names
    text = "\n".join(lines(open_docx(documents.decision_docx(db, decision))))
    assert "Phòng Đổi Tên Mới" in text and "ĐỒNG THÁP" in text.upper()


def test_the_minutes_name_units_as_on_the_day_the_council_sat(db, demo, closed):  # noqa: F811
    """The Biên bản of a session held before a rename keeps the names of the day it was held (opened): the department
    in its header, the collective's name in the items, the quota and the conclusion, an individual's unit; held on the
    effective date or later, the new ones. The day it was held counts, not the day it was planned for."""
    s = closed.session
    held = held_on(s)
    hctp, department = closed.collective.unit, demo.unit("STP")
    admin = demo.actor("admin")
    day_after = (held + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    reorg.rename_unit(db, admin, hctp.id, {"effective_date": day_after, "name": "Phòng Đổi Tên Mới"})
    reorg.rename_unit(db, admin, department.id, {"effective_date": day_after, "name": "Sở Tư pháp tỉnh Đồng Tháp"})
    s.date = held + dt.timedelta(days=5)  # planned for after the rename: the plan does not name the units
    db.commit()
    text = "\n".join(lines(open_docx(documents.minutes_docx(db, s))))
    assert "SỞ TƯ PHÁP TỈNH AN GIANG" in text and "ĐỒNG THÁP" not in text.upper()
    assert "Tập thể: Phòng Hành chính tư pháp." in text
    assert "đơn vị: Phòng Hành chính tư pháp." in text
    assert "- Phòng Hành chính tư pháp (tập thể)." in text
    assert "Phòng Đổi Tên Mới" not in text
    s.opened_at = s.opened_at + dt.timedelta(days=1)  # held on the effective date: the new names
    text = "\n".join(lines(open_docx(documents.minutes_docx(db, s))))
    assert "SỞ TƯ PHÁP TỈNH ĐỒNG THÁP" in text and "Tập thể: Phòng Đổi Tên Mới." in text
    assert "đơn vị: Phòng Đổi Tên Mới." in text and "- Phòng Đổi Tên Mới (tập thể)." in text
    assert "Phòng Hành chính tư pháp" not in text


def _period_with_two_units(db, demo):
    """The 2021–2025 period campaign (reviewed 15/12/2025) with a dossier of PBGDPL and one of HCTP recognised at cơ
    sở in 2024; then, after the period, HCTP renamed (01/01/2026), PBGDPL merged into it (01/02/2026) and the
    department renamed (01/01/2026)."""
    period = demo.campaign("period")
    period.midterm_review_date, period.final_review_date = dt.date(2023, 6, 11), dt.date(2025, 12, 15)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    pb = make(db, demo, unit="PBGDPL", campaign=period, path=FULL[:4], start=start)
    hctp = make(db, demo, unit="HCTP", campaign=period, path=FULL[:4], start=start)
    db.commit()
    admin = demo.actor("admin")
    reorg.rename_unit(db, admin, hctp.unit_id, {"effective_date": "01/01/2026", "name": "Phòng Đổi Tên Mới"})
    reorg.rename_unit(db, admin, demo.unit("STP").id, {"effective_date": "01/01/2026",
                                                       "name": "Sở Tư pháp tỉnh Đồng Tháp"})
    reorg.merge_units(db, admin, pb.unit_id, {"effective_date": "01/02/2026", "into_id": hctp.unit_id})
    db.commit()
    assert pb.unit_id != hctp.unit_id  # a recognised example stays with the unit it was recognised for
    return period


def test_a_period_report_names_units_as_they_were_in_the_period(db, demo, api):
    """Tổng kết of 2021–2025 written after the reorganisation: the by-unit table, the examples and the API's figures
    name HCTP as it was named in the period, and PBGDPL, merged away since, still has its row; the department reports
    under the name it bore on the report's date (15/12/2025)."""
    period = _period_with_two_units(db, demo)
    vp = demo.actor("vanphong")
    data, d = report_documents.period_docx(db, vp, campaign=period.id, stage="final", today=dt.date(2026, 3, 5))
    text = docx_text(data)
    assert "Phòng Hành chính tư pháp" in text and "Phòng Phổ biến, giáo dục pháp luật" in text
    assert "Phòng Đổi Tên Mới" not in text and "ĐỒNG THÁP" not in text.upper()
    assert "Sở Tư pháp tỉnh An Giang báo cáo tổng kết" in text
    rows = {r[0]: r[1:] for r in report_documents.unit_rows(d)}
    assert rows["Phòng Hành chính tư pháp"] == (1, 1, 0) and rows["Phòng Phổ biến, giáo dục pháp luật"] == (1, 1, 0)
    xlsx, _ = report_documents.period_xlsx(db, vp, campaign=period.id, stage="final", today=dt.date(2026, 3, 5))
    cells = " ".join(str(c.value) for ws in openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets
                     for row in ws.iter_rows() for c in row if c.value is not None)
    assert "Phòng Hành chính tư pháp" in cells and "Phòng Đổi Tên Mới" not in cells
    payload = report_documents.report_data(d)
    assert {u["name"] for u in payload["summary"]["by_unit"]} == {"Phòng Hành chính tư pháp",
                                                                  "Phòng Phổ biến, giáo dục pháp luật"}
    assert payload["reporter"] == "Sở Tư pháp tỉnh An Giang"


def test_a_yearly_report_names_units_as_on_the_last_day_of_its_year(db, demo):
    """The 2025 report written in March 2026: its tables name the units as on 31/12/2025; the department issuing it
    today does so under today's name."""
    _period_with_two_units(db, demo)
    data, d = report_documents.yearly_docx(db, demo.actor("vanphong"), year=2025, today=dt.date(2026, 3, 5))
    text = docx_text(data)
    assert "Phòng Hành chính tư pháp" in text and "Phòng Phổ biến, giáo dục pháp luật" in text
    assert "Phòng Đổi Tên Mới" not in text
    assert "Sở Tư pháp tỉnh Đồng Tháp báo cáo kết quả" in text and "của Sở Tư pháp tỉnh Đồng Tháp./." in text
    assert d.covered_until == dt.date(2025, 12, 31)
    data, d = report_documents.yearly_docx(db, demo.actor("vanphong"), year=2025, today=dt.date(2025, 11, 5))
    assert d.covered_until == dt.date(2025, 11, 5) and "Phòng Hành chính tư pháp" in docx_text(data)
