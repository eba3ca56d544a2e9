"""The certificate (Giấy chứng nhận điển hình tiên tiến) of one recognised example, as .docx (A4 landscape) and as
the data of the printable HTML view.

Which decision it certifies: a nomination evaluated at cơ sở level (evaluated_co_so, proposed_nganh) holds the
department's cơ sở certificate, from the latest cơ sở decision that lists it; a nomination recognised by the Ministry
(recognized) holds the ngành Tư pháp certificate, from the latest ngành decision. The signer's block is the
decision's ("GIÁM ĐỐC", or "KT. GIÁM ĐỐC" over "PHÓ GIÁM ĐỐC" when a deputy signed under delegation; "BỘ TRƯỞNG", or
"KT. BỘ TRƯỞNG" over "THỨ TRƯỞNG", with the name recorded for a Minister's decision — never the reviewer who recorded
it), the place and date are the decision's. The certificate number is derived, so it is stable and unique per issuing
body: "{decision seq}.{position of the nomination in the decision, 2 digits}/{year}/GCN-{symbol}", e.g.
12.02/2026/GCN-STP.

Pure: a session and a nomination in, a `Certificate` or the bytes of a .docx out; permission is the caller's.
"""
from __future__ import annotations

from dataclasses import dataclass

from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Decision, DecisionItem, Nomination
from workflow.documents.common import (
    LEVEL_WORDS,
    _new_document,
    _para,
    _row_flags,
    _rule,
    _signature_capacity,
    _table,
    _to_bytes,
    issuer_of,
    vn_date,
    vn_short_date,
)
from workflow.documents.decision import (
    _campaigns,
    _period,
    _position_and_unit,
    _signer_name,
    _subject_name,
    names_on,
)
from workflow.errors import ValidationFailed
from workflow.inputs import xml_safe

# The state a nomination is in → the level of the decision its certificate cites.
CERTIFICATE_LEVEL = {"evaluated_co_so": "co_so", "proposed_nganh": "co_so", "recognized": "nganh"}
PAGE_WIDTH_CM, PAGE_HEIGHT_CM, MARGIN_CM = 29.7, 21.0, 2.0
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM


@dataclass(frozen=True)
class Certificate:
    nomination_id: int
    level: str  # co_so | nganh
    number: str  # "12.02/2026/GCN-STP"
    authority: str  # "GIÁM ĐỐC SỞ TƯ PHÁP TỈNH AN GIANG"
    level_line: str  # "ĐIỂN HÌNH TIÊN TIẾN CẤP CƠ SỞ NĂM 2026"
    subject_type: str  # collective | individual
    subject_label: str  # "Tập thể" | "Cá nhân"
    name: str  # the unit's name, or the person's full name
    details: str  # "Chuyên viên, Phòng Hành chính tư pháp, Sở Tư pháp tỉnh An Giang"
    achievement: str  # "Đã có thành tích xuất sắc, tiêu biểu trong phong trào thi đua “…”."
    decision_ref: str  # "Theo Quyết định số 12/QĐ-STP ngày 05/3/2026 của Giám đốc Sở Tư pháp"
    place_date: str  # "An Giang, ngày 05 tháng 3 năm 2026"
    capacity: str | None  # "KT. GIÁM ĐỐC" when a deputy signed
    signer_title: str  # "GIÁM ĐỐC" / "PHÓ GIÁM ĐỐC"
    signer_name: str


def certificate_level(n: Nomination) -> str | None:
    """"co_so" or "nganh" when `n` holds a certificate in its current state, else None."""
    return CERTIFICATE_LEVEL.get(n.state)


def _recognising_decision(session: Session, n: Nomination, level: str) -> Decision | None:
    return session.scalars(
        select(Decision).join(DecisionItem, DecisionItem.decision_id == Decision.id)
        .where(DecisionItem.nomination_id == n.id, Decision.level == level)
        .order_by(Decision.date.desc(), Decision.id.desc()).limit(1)
    ).first()


def _position_in(session: Session, decision: Decision, n: Nomination) -> int:
    ids = session.scalars(select(DecisionItem.nomination_id).where(DecisionItem.decision_id == decision.id)
                          .order_by(DecisionItem.id)).all()
    return ids.index(n.id) + 1 if n.id in ids else 1


def certificate(session: Session, n: Nomination) -> Certificate:
    """The certificate of `n`; ValidationFailed (422) if `n` is not recognised or its decision is missing."""
    level = certificate_level(n)
    if level is None:
        raise ValidationFailed("Hồ sơ chưa được công nhận điển hình tiên tiến: chưa có giấy chứng nhận.",
                               ["Giấy chứng nhận chỉ cấp cho hồ sơ đã được công nhận cấp cơ sở hoặc cấp ngành."])
    decision = _recognising_decision(session, n, level)
    if decision is None:
        raise ValidationFailed("Không tìm thấy quyết định công nhận của hồ sơ: chưa in được giấy chứng nhận.",
                               ["Hồ sơ chưa có trong quyết định công nhận nào ở cấp tương ứng."])
    names = names_on(session, decision.date)  # the units as they were named on the decision's date
    issuer = issuer_of(decision.issuer, name=names(decision.issuer))
    period = _period(_campaigns(session, [n]), decision.year)
    capacity, title = _signature_capacity(decision, issuer)
    seq = f"{decision.seq}.{_position_in(session, decision, n):02d}/{decision.year}/GCN-{issuer.symbol}"
    campaign = n.campaign.name.strip() if n.campaign is not None else ""
    achievement = ("Đã có thành tích xuất sắc, tiêu biểu trong phong trào thi đua "
                   + (f"“{campaign}”" if campaign else period) + ".")
    return Certificate(
        nomination_id=n.id, level=level, number=seq,
        authority=f"{issuer.head} {names(decision.issuer).upper()}",
        level_line=f"ĐIỂN HÌNH TIÊN TIẾN {LEVEL_WORDS[level].upper()} {period.upper()}",
        subject_type=n.subject_type, subject_label="Tập thể" if n.subject_type == "collective" else "Cá nhân",
        name=_subject_name(n, names), details=_position_and_unit(n, with_department=True, names=names),
        achievement=achievement,
        decision_ref=f"Theo Quyết định số {decision.number} ngày {vn_short_date(decision.date)} của {issuer.head_of}",
        place_date=f"{issuer.place}, {vn_date(decision.date)}" if issuer.place else vn_date(decision.date).capitalize(),
        capacity=capacity, signer_title=title,
        signer_name=_signer_name(decision),
    )


# ------------------------------------------------------------------------------------------------ .docx
def _landscape_document():
    """A4 landscape, 2 cm margins all round, a double page border (one page: the page number of _new_document is
    never printed on a first page)."""
    doc = _new_document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin = section.bottom_margin = Cm(MARGIN_CM)
    section.left_margin = section.right_margin = Cm(MARGIN_CM)
    borders = OxmlElement("w:pgBorders")
    borders.set(qn("w:offsetFrom"), "page")
    for side in ("top", "left", "bottom", "right"):
        b = OxmlElement(f"w:{side}")
        b.set(qn("w:val"), "double")
        b.set(qn("w:sz"), "18")
        b.set(qn("w:space"), "24")
        b.set(qn("w:color"), "8B0000")
        borders.append(b)
    sect_pr = section._sectPr
    # pgBorders follows pgMar (and pgSz) in CT_SectPr; insert it right after pgMar.
    pg_mar = sect_pr.find(qn("w:pgMar"))
    if pg_mar is not None:
        pg_mar.addnext(borders)
    else:
        sect_pr.append(borders)
    return doc


def _red(p) -> None:
    for run in p.runs:
        run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)


def certificate_docx(session: Session, n: Nomination) -> bytes:
    c = certificate(session, n)
    doc = _landscape_document()
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=13, bold=True, align=center, after=0)
    _para(doc, "Độc lập - Tự do - Hạnh phúc", size=14, bold=True, align=center, after=0)
    _rule(doc, 6.1, TEXT_WIDTH_CM).paragraph_format.space_after = Pt(12)
    _para(doc, c.authority, size=15, bold=True, align=center, after=0)
    _para(doc, "CẤP", size=14, align=center, after=6)
    _red(_para(doc, "GIẤY CHỨNG NHẬN", size=30, bold=True, align=center, after=0))
    _red(_para(doc, c.level_line, size=18, bold=True, align=center, after=12))
    _para(doc, f"{c.subject_label}:", size=14, italic=True, align=center, after=0)
    _para(doc, c.name, size=22, bold=True, align=center, after=0)
    if c.details:
        _para(doc, c.details, size=15, align=center, after=6)
    _para(doc, c.achievement, size=15, italic=True, align=center, after=0)
    _para(doc, c.decision_ref + ".", size=13, italic=True, align=center, after=6)
    table = _table(doc, 1, (11.0, TEXT_WIDTH_CM - 11.0), text_width_cm=TEXT_WIDTH_CM)
    _row_flags(table.rows[0])
    left, right = table.rows[0].cells
    _para(left, "", size=13)
    _para(left, f"Số: {c.number}", size=13, align=center, before=24)
    _para(right, c.place_date, size=14, italic=True, align=center)
    if c.capacity:
        _para(right, c.capacity, size=14, bold=True, align=center, after=0)
    _para(right, c.signer_title, size=14, bold=True, align=center)
    for _ in range(3):
        _para(right, "", size=14, align=center, after=0)
    _para(right, c.signer_name, size=14, bold=True, align=center)
    doc.core_properties.title = xml_safe(f"Giấy chứng nhận điển hình tiên tiến — {c.name}")
    return _to_bytes(doc)
