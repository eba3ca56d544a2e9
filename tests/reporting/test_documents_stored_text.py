"""No document or export fails on stored text (issue 11, item 5). Rows stored before the text rule may hold control
characters ("Phòng\\u000bPBGDPL" was accepted by PATCH and then made the department's .xlsx export answer 500 for
everyone; campaign fields broke yearly.docx): every .docx and .xlsx writer drops what XML refuses
(`workflow.inputs.xml_safe`), so each document and export of a real recognised dossier renders. Legal text — Vietnamese,
tabs and newlines in long texts — goes through unchanged."""
from __future__ import annotations

import io

import docx
import openpyxl
import pytest
from sqlalchemy import select
from test_documents_proposal import recognised  # noqa: F401 - a fixture

from models import Campaign, CouncilSession, PublicComment, Unit
from workflow import inputs

LEGACY = "\x0b\x1f\x0c"  # what PostgreSQL stores and XML refuses (PostgreSQL refuses NUL itself)


def test_xml_safe_keeps_legal_text_and_drops_what_xml_refuses():
    legal = "Phòng Phổ biến, giáo dục pháp luật\t– “Tủ sách”\n2.\tĐạt 100%\r\n😀 ₫"
    assert inputs.xml_safe(legal) == legal
    assert inputs.xml_safe("Phòng\x0bPBGDPL\x00\x1f\ufffe") == "PhòngPBGDPL"
    assert inputs.xml_safe(12) == 12 and inputs.xml_safe(None) is None


def _poison(db, recognised):  # noqa: F811
    """Control characters written straight into the rows (as before the rule): titles, names, campaign fields,
    the council session, a comment, the unit's name."""
    for n in (recognised.collective, recognised.person):
        n.title = f"Hồ sơ{LEGACY}điển hình"
        n.achievements = f"1.\tTuyên truyền{LEGACY} 120 buổi;\n2.\tBiên soạn tài liệu."
    campaign = db.get(Campaign, recognised.collective.campaign_id)
    campaign.name += LEGACY
    campaign.legal_basis = f"Luật Thi đua, khen thưởng{LEGACY} 2022;\nNghị định 98/2023/NĐ-CP"
    campaign.award_forms = f"Giấy khen{LEGACY}"
    db.scalar(select(Unit).where(Unit.code == "HCTP")).name = f"Phòng{LEGACY}Hành chính tư pháp"
    for s in db.scalars(select(CouncilSession)):
        s.title, s.location = f"Phiên họp{LEGACY}", f"Phòng họp{LEGACY}"
    for c in db.scalars(select(PublicComment)):
        c.text = f"Ý kiến{LEGACY}"
    recognised.proposal.title = f"Tờ trình{LEGACY}"
    db.commit()


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _xlsx_text(data: bytes) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                     if v is not None)


def test_every_document_and_export_renders_over_legacy_control_characters(db, demo, api, recognised):  # noqa: F811
    _poison(db, recognised)
    period = demo.campaign("period")
    period.name, period.legal_basis = f"Phong trào 2021–2025{LEGACY}", f"Kế hoạch{LEGACY}\nsố 79/KH-STP"
    db.commit()
    year = recognised.today.year
    ids = {"decision": recognised.co_so.id, "proposal": recognised.proposal.id,
           "session": db.scalar(select(CouncilSession.id)), "nomination": recognised.collective.id,
           "campaign": period.id}
    db.rollback()
    documents = {
        "giamdoc": [f"/decisions/{ids['decision']}/document", f"/decisions/{ids['decision']}/list.xlsx",
                    f"/council-sessions/{ids['session']}/minutes", f"/proposals/{ids['proposal']}/document",
                    f"/proposals/{ids['proposal']}/list.xlsx", f"/nominations/{ids['nomination']}/certificate.docx",
                    "/exports/nominations.xlsx", f"/reports/yearly.docx?year={year}",
                    f"/reports/yearly.xlsx?year={year}",
                    f"/reports/period.docx?campaign={ids['campaign']}&stage=final",
                    f"/reports/period.xlsx?campaign={ids['campaign']}&stage=final"],
        "tp_hctp": ["/exports/nominations.xlsx", f"/reports/yearly.docx?year={year}"],
    }
    rendered = 0
    for username, paths in documents.items():
        client = api.as_(username)
        for path in paths:
            r = client.get(path)
            assert r.status_code == 200, (username, path, r.status_code, r.get_data(as_text=True)[:300])
            data = r.get_data()
            text = _xlsx_text(data) if ".xlsx" in path else _docx_text(data)
            assert not any(ch in text for ch in LEGACY), path
            rendered += 1
    assert rendered == 13


@pytest.mark.parametrize("ext", ["docx", "xlsx"])
def test_the_yearly_report_renders_over_legacy_campaign_fields(db, demo, api, ext):
    campaign = demo.campaign("annual")
    campaign.name, campaign.legal_basis = f"Phong trào{LEGACY}", f"Luật{LEGACY}"
    year = campaign.start_date.year
    db.commit()
    r = api.as_("vanphong").get(f"/reports/yearly.{ext}?year={year}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
