"""Part of workflow.documents (see its docstring)."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AgendaItem, Campaign, CouncilSession, Decision, Nomination, Unit
from workflow.administration import unit_history
from workflow.council.queries import held_on
from workflow.documents.common import (
    ACHIEVEMENT_CHARS,
    LAW_BASES,
    LEVEL_WORDS,
    LIST_ACHIEVEMENT_CHARS,
    TEXT_WIDTH_CM,
    Issuer,
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
    vn_count,
    vn_date,
    vn_short_date,
)
from workflow.labels import UNIT_KIND_LABELS
from workflow.proposals.decisions import nominations_of


# ------------------------------------------------------------------------------------------------ the decision
def _campaigns(session: Session, nominations: list[Nomination]) -> list[Campaign]:
    ids = list(dict.fromkeys(n.campaign_id for n in nominations))
    return [session.get(Campaign, i) for i in ids]


def _period(campaigns: list[Campaign], fallback_year: int) -> str:
    """"năm 2026" for a yearly campaign, "giai đoạn 2021-2025" for a period; the decision's year otherwise."""
    if len(campaigns) == 1:
        c = campaigns[0]
        if c.start_date.year == c.end_date.year:
            return f"năm {c.start_date.year}"
        return f"giai đoạn {c.start_date.year}-{c.end_date.year}"
    return f"năm {fallback_year}"


def _summary(decision: Decision, period: str) -> str:
    level = LEVEL_WORDS.get(decision.level, LEVEL_WORDS["co_so"])
    text = (decision.summary or f"Về việc công nhận điển hình tiên tiến {level}").strip()
    return text if re.search(r"(năm \d{4}|giai đoạn)", text) else f"{text} {period}"


def _judging_sessions(session: Session, decision: Decision, nominations: list[Nomination]) -> list[CouncilSession]:
    """The closed sessions whose vote passed these nominations: the decision cites the council's result."""
    if decision.session_id:
        return [session.get(CouncilSession, decision.session_id)]
    ids = [n.id for n in nominations]
    if not ids:
        return []
    return list(session.scalars(
        select(CouncilSession).join(AgendaItem)
        .where(AgendaItem.nomination_id.in_(ids), AgendaItem.outcome == "passed", CouncilSession.state == "closed",
               CouncilSession.department_id == decision.issuer_id)
        .distinct().order_by(CouncilSession.date, CouncilSession.id)
    ))


def _legal_bases(session: Session, decision: Decision, nominations: list[Nomination],
                 campaigns: list[Campaign]) -> list[str]:
    """The "Căn cứ …" lines: the law and its decree, the campaigns' plans, the council's session (co_so) or the
    departments' proposals (nganh), and the proposing office. Italic, ";" between them and "." at the end."""
    lines = list(LAW_BASES)
    if decision.level == "nganh":
        departments = dict.fromkeys(n.campaign.department.name for n in nominations if n.campaign.department)
        lines += [f"Xét đề nghị của Giám đốc {name}" for name in departments]
        lines.append("Theo đề nghị của Vụ trưởng Vụ Thi đua – Khen thưởng")
    else:
        lines += [f"Căn cứ {c.legal_basis.strip().rstrip(';.')}" for c in campaigns if c.legal_basis]
        judging = _judging_sessions(session, decision, nominations)
        dates = list(dict.fromkeys(vn_short_date(held_on(s)) for s in judging))
        if dates:
            lines.append("Căn cứ kết quả bình xét của Hội đồng Thi đua – Khen thưởng Sở tại phiên họp ngày "
                         + " và ngày ".join(dates))
        lines.append("Theo đề nghị của Chánh Văn phòng Sở")
    return [line + (";" if i < len(lines) - 1 else ".") for i, line in enumerate(lines)]


def _subjects_phrase(collectives: int, individuals: int) -> str:
    parts = [f"{vn_count(n)} {label}" for n, label in ((collectives, "tập thể"), (individuals, "cá nhân")) if n]
    return " và ".join(parts) or "các tập thể, cá nhân"


def _articles(doc, decision: Decision, issuer: Issuer, nominations: list[Nomination], period: str) -> None:
    level = LEVEL_WORDS.get(decision.level, LEVEL_WORDS["co_so"])
    collectives = sum(1 for n in nominations if n.subject_type == "collective")
    who = _subjects_phrase(collectives, len(nominations) - collectives)
    _body(doc, f"Công nhận điển hình tiên tiến {level} {period} đối với {who} có tên trong danh sách kèm theo "
               "Quyết định này.", lead="Điều 1.")
    _body(doc, "Quyết định này có hiệu lực kể từ ngày ký.", lead="Điều 2.")
    if decision.level == "nganh":
        executors = "Chánh Văn phòng Bộ, Vụ trưởng Vụ Thi đua – Khen thưởng, Thủ trưởng các cơ quan, đơn vị"
    else:
        executors = f"Chánh Văn phòng {issuer.short_name.split()[0]}, Thủ trưởng các phòng, đơn vị"
    _body(doc, f"{executors} có liên quan và các tập thể, cá nhân có tên tại Điều 1 chịu trách nhiệm thi hành "
               "Quyết định này.", lead="Điều 3.")


def _today_name(unit: Unit | None) -> str:
    return unit.name if unit is not None else ""


def names_on(session: Session, date: dt.date | None) -> Callable[[Unit | None], str]:
    """Each unit's name as it was on `date` (workflow.administration.unit_history: a decision of 2024 prints the
    name the unit bore then, not today's), remembered for one document."""
    cache: dict[int, str] = {}

    def name(unit: Unit | None) -> str:
        if unit is None:
            return ""
        if unit.id not in cache:
            found = unit_history.unit_name_on(session, unit.id, date)
            cache[unit.id] = found.name if found is not None else unit.name
        return cache[unit.id]

    return name


def _subject_name(n: Nomination, names: Callable[[Unit | None], str] = _today_name) -> str:
    if n.subject_type == "individual" and n.subject_person is not None:
        return n.subject_person.full_name
    return names(n.unit)


def _position_and_unit(n: Nomination, *, with_department: bool,
                       names: Callable[[Unit | None], str] = _today_name) -> str:
    """"Chuyên viên, Phòng Hành chính tư pháp" for a person; the parent department for a collective at ngành level.
    `names` gives each unit's name as of the document's date (`names_on`)."""
    unit = n.unit
    department = unit.department if unit is not None and unit.department_id != unit.id else None
    parts: list[str] = []
    if n.subject_type == "individual":
        person = n.subject_person
        parts += [person.position] if person is not None and person.position else []
        parts += [names(unit)] if unit is not None else []
    if department is not None and (with_department or n.subject_type == "collective"):
        parts.append(names(department))
    return ", ".join(parts)


def _collective_kind(n: Nomination) -> str:
    """A collective's "Chức vụ, đơn vị" in a ngành list: what kind of unit it is within its Sở ("Phòng, đơn vị thuộc
    Sở", "Phòng Tư pháp cấp huyện"), the Sở being in its own column."""
    return UNIT_KIND_LABELS.get(n.unit.kind, "") if n.unit is not None else ""


def _department_of(session: Session, n: Nomination) -> Unit | None:
    """The department that proposed `n` (the Sở), whatever unit the subject belongs to."""
    return session.get(Unit, n.department_id) if n.department_id else None


def _by_department(session: Session, nominations: list[Nomination]) -> list[Nomination]:
    """A ngành list holds several departments: their rows stay together, departments in order of first appearance,
    items in their own order within each (a stable sort)."""
    order = {d: i for i, d in enumerate(dict.fromkeys(n.department_id for n in nominations))}
    return sorted(nominations, key=lambda n: order[n.department_id])


def _annex(doc, session: Session, decision: Decision, issuer: Issuer, nominations: list[Nomination],
           period: str, names: Callable[[Unit | None], str] = _today_name) -> None:
    """The list "kèm theo" the decision: collectives (I) then individuals (II), numbered within each part. A ngành
    decision covers several departments: it gets a "Sở" column and each department's rows stay together."""
    _page_break(doc)
    nganh = decision.level == "nganh"
    level = LEVEL_WORDS.get(decision.level, LEVEL_WORDS["co_so"]).upper()
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, "DANH SÁCH", bold=True, align=center, keep_next=True)
    _para(doc, f"TẬP THỂ, CÁ NHÂN ĐƯỢC CÔNG NHẬN ĐIỂN HÌNH TIÊN TIẾN {level} {period.upper()}", bold=True,
          align=center, keep_next=True)
    _para(doc, f"(Kèm theo Quyết định số {decision.number} {vn_date(decision.date)} của {issuer.head_of})",
          italic=True, align=center, keep_next=True)
    _rule(doc, 3.5, TEXT_WIDTH_CM).paragraph_format.space_after = Pt(12)
    if nganh:
        widths: tuple[float, ...] = (1.0, 3.9, 3.2, 3.2, 5.2)
        heads: tuple[str, ...] = ("TT", "Tên tập thể / Họ và tên", "Sở", "Chức vụ, đơn vị", "Thành tích tiêu biểu")
        nominations = _by_department(session, nominations)
    else:
        widths = (1.1, 4.4, 4.0, 7.0)
        heads = ("TT", "Tên tập thể / Họ và tên", "Đơn vị / Chức vụ", "Thành tích tiêu biểu")
    table = _table(doc, 1, widths, grid=True)
    _row_flags(table.rows[0], header=True)
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        _cell(cell, text, bold=True, align=center)
    groups = (("I. TẬP THỂ", "collective"), ("II. CÁ NHÂN", "individual"))
    for heading, subject_type in groups:
        members = [n for n in nominations if n.subject_type == subject_type]
        if not members:
            continue
        row = table.add_row()
        _row_flags(row)
        merged = row.cells[0].merge(row.cells[-1])
        _cell(merged, heading, bold=True)
        for i, n in enumerate(members, start=1):
            row = table.add_row()
            _row_flags(row)
            cells = row.cells
            _cell(cells[0], str(i), align=center)
            _cell(cells[1], _subject_name(n, names), bold=n.subject_type == "collective")
            if nganh:
                department = _department_of(session, n)
                _cell(cells[2], names(department))
                _cell(cells[3], _position_and_unit(n, with_department=False, names=names)
                      if n.subject_type == "individual" else _collective_kind(n))
            else:
                _cell(cells[2], _position_and_unit(n, with_department=False, names=names))
            # Left-aligned: justified narrow cells open wide gaps. A ngành row has less room: a shorter excerpt.
            _cell(cells[-1], _excerpt(n.achievements, LIST_ACHIEVEMENT_CHARS if nganh else ACHIEVEMENT_CHARS))
    collectives = sum(1 for n in nominations if n.subject_type == "collective")
    _para(doc, f"Tổng số: {_subjects_phrase(collectives, len(nominations) - collectives)}.", italic=True, before=6)


def _signer_name(decision: Decision) -> str:
    """The name printed under a decision's signature: the name recorded for it; else the signing user's for a
    department's decision; blank for a Minister's decision recorded without a name — the reviewer who recorded it
    did not sign it (the Minister or a Deputy Minister signs on paper)."""
    if decision.signed_by_name:
        return decision.signed_by_name
    if decision.level == "nganh" or decision.signer is None:
        return ""
    return decision.signer.full_name


def decision_docx(session: Session, decision: Decision) -> bytes:
    """The Quyết định công nhận điển hình tiên tiến (cấp cơ sở by the department, ngành Tư pháp by the Ministry) with
    its annex listing the recognised collectives and individuals."""
    names = names_on(session, decision.date)
    issuer = issuer_of(decision.issuer, name=names(decision.issuer))
    nominations = nominations_of(session, decision)
    campaigns = _campaigns(session, nominations)
    period = _period(campaigns, decision.year)
    doc = _new_document()
    _header(doc, issuer, decision.number, decision.date)
    _title(doc, "QUYẾT ĐỊNH", [_summary(decision, period)])
    _para(doc, issuer.head_full, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=12, keep_next=True)
    for line in _legal_bases(session, decision, nominations, campaigns):
        _body(doc, line, italic=True)
    _para(doc, "QUYẾT ĐỊNH:", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=12, keep_next=True)
    _articles(doc, decision, issuer, nominations, period)
    capacity, title = _signature_capacity(decision, issuer)
    store = "Lưu: VT, Vụ TĐKT." if decision.level == "nganh" else "Lưu: VT, TĐKT."
    _closing(
        doc,
        lambda cell: _recipients(cell, ["- Như Điều 3;", f"- {store}"]),
        lambda cell: _signer_block(cell, capacity=capacity, title=title,
                                   name=_signer_name(decision)),
    )
    _annex(doc, session, decision, issuer, nominations, period, names)
    return _to_bytes(doc)


