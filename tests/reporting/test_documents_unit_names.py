"""Documents print each unit as it was named on the document's date (issue 16): a decision of 2024 and its
certificate keep the old name of a unit renamed in 2025, its department's old name too; today's documents the new."""
from __future__ import annotations

import datetime as dt
import io

import factories
import openpyxl
from sqlalchemy import select
from test_documents import closed, lines, open_docx  # noqa: F401 (closed is a fixture)

from models import Decision, DecisionItem
from workflow import documents
from workflow.administration import units as reorg


def test_a_2024_decision_prints_the_old_unit_name(db, demo):
    [n] = factories.recognised(db, demo, "HCTP", number="7/QĐ-STP", date=dt.date(2024, 12, 20))
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
    """The Biên bản of a session held before a rename keeps the names of that day: the department in its header, the
    collective's name in the items, the quota and the conclusion, an individual's unit; held on the effective date or
    later, the new ones."""
    s = closed.session
    hctp, department = closed.collective.unit, demo.unit("STP")
    admin = demo.actor("admin")
    day_after = (s.date + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    reorg.rename_unit(db, admin, hctp.id, {"effective_date": day_after, "name": "Phòng Đổi Tên Mới"})
    reorg.rename_unit(db, admin, department.id, {"effective_date": day_after, "name": "Sở Tư pháp tỉnh Đồng Tháp"})
    db.commit()
    text = "\n".join(lines(open_docx(documents.minutes_docx(db, s))))
    assert "SỞ TƯ PHÁP TỈNH AN GIANG" in text and "ĐỒNG THÁP" not in text.upper()
    assert "Tập thể: Phòng Hành chính tư pháp." in text
    assert "đơn vị: Phòng Hành chính tư pháp." in text
    assert "- Phòng Hành chính tư pháp (tập thể)." in text
    assert "Phòng Đổi Tên Mới" not in text
    s.date = s.date + dt.timedelta(days=1)  # held on the effective date: the new names
    text = "\n".join(lines(open_docx(documents.minutes_docx(db, s))))
    assert "SỞ TƯ PHÁP TỈNH ĐỒNG THÁP" in text and "Tập thể: Phòng Đổi Tên Mới." in text
    assert "đơn vị: Phòng Đổi Tên Mới." in text and "- Phòng Đổi Tên Mới (tập thể)." in text
    assert "Phòng Hành chính tư pháp" not in text
