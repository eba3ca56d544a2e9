"""Part of workflow.documents (see its docstring)."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Campaign, Decision, DecisionItem, Nomination, Proposal, Unit
from workflow import clock
from workflow.documents.common import (
    LAW_BASES,
    LIST_ACHIEVEMENT_CHARS,
    TEXT_WIDTH_CM,
    _body,
    _cell,
    _closing,
    _excerpt,
    _header,
    _new_document,
    _page_break,
    _para,
    _recipients,
    _row_flags,
    _rule,
    _signature_capacity,
    _signer_block,
    _table,
    _title,
    _to_bytes,
    issuer_of,
    vn_date,
    vn_short_date,
)
from workflow.documents.decision import (
    _period,
    _position_and_unit,
    _subject_name,
    _subjects_phrase,
    _summary,
    names_on,
)

# ------------------------------------------------------------------------------------------------ the proposal
DRAFT_MARK = "(Dự thảo)"
BLANK_DATE = "ngày      tháng      năm      "
PROPOSAL_RECIPIENTS = ("- Như trên;", "- Giám đốc, các Phó Giám đốc Sở;", "- Lưu: VT, TĐKT.")


def _co_so_decisions(session: Session, nominations: list[Nomination]) -> dict[int, Decision]:
    """The cơ sở decision that recognised each nomination (the latest if there were several)."""
    ids = [n.id for n in nominations]
    if not ids:
        return {}
    rows = session.execute(
        select(DecisionItem.nomination_id, Decision).join(Decision, DecisionItem.decision_id == Decision.id)
        .where(Decision.level == "co_so", DecisionItem.nomination_id.in_(ids))
        .order_by(Decision.date, Decision.id))
    return {nomination_id: decision for nomination_id, decision in rows}


def _decision_ref(d: Decision | None) -> str:
    """"Quyết định số 12/QĐ-STP ngày 05/3/2026": how a list cites the cơ sở recognition."""
    return f"Quyết định số {d.number} ngày {vn_short_date(d.date)}" if d is not None else ""


def _subject_order(nominations: list[Nomination]) -> list[Nomination]:
    """Collectives first, then individuals, each in its own order (the lists' "I. TẬP THỂ", "II. CÁ NHÂN")."""
    return sorted(nominations, key=lambda n: n.subject_type != "collective")


def _proposal_parts(session: Session, proposal: Proposal):
    """The department, its header, the items, the campaign, the period, the number, and each unit's name as of the
    Tờ trình's date (today's for a draft)."""
    department = proposal.department or session.get(Unit, proposal.department_id)
    names = names_on(session, proposal.date if proposal.state != "draft" else None)
    issuer = issuer_of(department, name=names(department))
    nominations = [item.nomination for item in proposal.items]
    campaign = proposal.campaign or session.get(Campaign, proposal.campaign_id)
    year = proposal.date.year if proposal.date else (campaign.end_date.year if campaign else clock.today().year)
    period = _period([campaign] if campaign is not None else [], year)
    number = proposal.number if proposal.state != "draft" and proposal.number else f"      /TTr-{issuer.symbol}"
    return department, issuer, nominations, campaign, period, number, names


def _proposal_bases(session: Session, campaign: Campaign | None, decisions: Iterable[Decision], period: str
                    ) -> list[str]:
    """The law, its decree, the campaign's plan and every cơ sở decision that recognised an item."""
    lines = list(LAW_BASES)
    if campaign is not None and campaign.legal_basis:
        lines.append(f"Căn cứ {campaign.legal_basis.strip().rstrip(';.')}")
    for d in sorted(dict.fromkeys(decisions), key=lambda d: (d.date, d.id)):
        about = _summary(d, period)
        about = about[:1].lower() + about[1:]
        issuer = d.issuer or session.get(Unit, d.issuer_id)
        signer = issuer_of(issuer, name=names_on(session, d.date)(issuer)).head_of
        lines.append(f"Căn cứ Quyết định số {d.number} {vn_date(d.date)} của {signer} {about}")
    return [line + (";" if i < len(lines) - 1 else ".") for i, line in enumerate(lines)]


def proposal_docx(session: Session, proposal: Proposal) -> bytes:
    """The Tờ trình of a department to the Minister asking for ngành recognition of its cơ sở examples, with the
    list of collectives and individuals as an annex. A draft has no number, no date and no name under the signature,
    and reads "(Dự thảo)" at the top."""
    department, issuer, nominations, campaign, period, number, names = _proposal_parts(session, proposal)
    draft = proposal.state == "draft"
    recognised = _co_so_decisions(session, nominations)
    collectives = sum(1 for n in nominations if n.subject_type == "collective")
    who = _subjects_phrase(collectives, len(nominations) - collectives)
    doc = _new_document()
    if draft:
        _para(doc, DRAFT_MARK, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, after=6)
    _header(doc, issuer, number, None if draft else proposal.date)
    _title(doc, "TỜ TRÌNH", [f"Về việc đề nghị Bộ trưởng Bộ Tư pháp công nhận điển hình tiên tiến ngành Tư pháp "
                             f"{period}"])
    _para(doc, "Kính gửi: Bộ trưởng Bộ Tư pháp (qua Vụ Thi đua – Khen thưởng)", align=WD_ALIGN_PARAGRAPH.CENTER,
          after=12, keep_next=True)
    for line in _proposal_bases(session, campaign, recognised.values(), period):
        _body(doc, line)
    campaign_name = f" trong phong trào “{campaign.name}”" if campaign is not None else ""
    _body(doc, f"Trên cơ sở kết quả bình xét của Hội đồng Thi đua – Khen thưởng {issuer.short_name} và kết quả công "
               f"nhận điển hình tiên tiến cấp cơ sở{campaign_name}, {issuer.short_name} đã lựa chọn các tập thể, cá "
               "nhân tiêu biểu, đáp ứng tiêu chuẩn điển hình tiên tiến ngành Tư pháp để đề nghị Bộ trưởng xem xét.")
    _body(doc, f"{issuer.short_name} kính đề nghị Bộ trưởng Bộ Tư pháp xem xét, công nhận điển hình tiên tiến ngành "
               f"Tư pháp {period} cho {who} (có danh sách kèm theo).")
    cited = list(dict.fromkeys(d.number for d in recognised.values()))
    decisions_text = f"; Quyết định số {', '.join(cited)} công nhận điển hình tiên tiến cấp cơ sở" if cited else ""
    _body(doc, f"Danh sách đề nghị; báo cáo thành tích của {who}; Biên bản họp Hội đồng Thi đua – Khen thưởng "
               f"{issuer.short_name}{decisions_text}.", lead="Hồ sơ kèm theo:")
    _body(doc, f"{issuer.short_name} kính trình Bộ trưởng Bộ Tư pháp xem xét, quyết định./.")
    capacity, title = _signature_capacity(proposal, issuer)
    name = "" if draft or proposal.signer is None else proposal.signer.full_name
    _closing(
        doc,
        lambda cell: _recipients(cell, PROPOSAL_RECIPIENTS),
        lambda cell: _signer_block(cell, capacity=capacity, title=title, name=name),
    )
    _proposal_annex(doc, proposal, department, nominations, recognised, period, number, names)
    return _to_bytes(doc)


def _proposal_annex(doc, proposal: Proposal, department: Unit, nominations: list[Nomination],
                    recognised: dict[int, Decision], period: str, number: str,
                    names: Callable[[Unit | None], str]) -> None:
    """The list "kèm theo" the Tờ trình: collectives (I) then individuals (II), each with the cơ sở decision that
    recognised it and a short excerpt of its achievements."""
    _page_break(doc)
    center = WD_ALIGN_PARAGRAPH.CENTER
    when = vn_date(proposal.date) if proposal.state != "draft" and proposal.date else BLANK_DATE.rstrip()
    _para(doc, "DANH SÁCH ĐỀ NGHỊ CÔNG NHẬN ĐIỂN HÌNH TIÊN TIẾN", bold=True, align=center, keep_next=True)
    _para(doc, f"NGÀNH TƯ PHÁP {period.upper()}", bold=True, align=center, keep_next=True)
    _para(doc, f"(Kèm theo Tờ trình số {number} {when} của {names(department)})", italic=True, align=center,
          keep_next=True)
    _rule(doc, 3.5, TEXT_WIDTH_CM).paragraph_format.space_after = Pt(12)
    widths = (1.0, 3.9, 3.5, 3.3, 4.8)
    heads = ("TT", "Tên tập thể / Họ và tên", "Đơn vị", "Đã được công nhận cấp cơ sở", "Thành tích tiêu biểu")
    table = _table(doc, 1, widths, grid=True)
    _row_flags(table.rows[0], header=True)
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        _cell(cell, text, size=12, bold=True, align=center)
    for heading, subject_type in (("I. TẬP THỂ", "collective"), ("II. CÁ NHÂN", "individual")):
        members = [n for n in nominations if n.subject_type == subject_type]
        if not members:
            continue
        row = table.add_row()
        _row_flags(row)
        _cell(row.cells[0].merge(row.cells[-1]), heading, size=12, bold=True)
        for i, n in enumerate(members, start=1):
            row = table.add_row()
            _row_flags(row)
            cells = row.cells
            _cell(cells[0], str(i), size=12, align=center)
            _cell(cells[1], _subject_name(n, names), size=12, bold=subject_type == "collective")
            _cell(cells[2], _position_and_unit(n, with_department=False, names=names), size=12)
            _cell(cells[3], _decision_ref(recognised.get(n.id)), size=12)
            _cell(cells[4], _excerpt(n.achievements, LIST_ACHIEVEMENT_CHARS), size=12)
    collectives = sum(1 for n in nominations if n.subject_type == "collective")
    _para(doc, f"Tổng số: {_subjects_phrase(collectives, len(nominations) - collectives)}.", italic=True, before=6)


