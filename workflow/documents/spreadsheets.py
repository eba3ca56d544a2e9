"""Part of workflow.documents (see its docstring)."""
from __future__ import annotations

import io
from collections.abc import Callable

from sqlalchemy.orm import Session

from models import Decision, Nomination, Proposal, Unit
from workflow.documents.common import (
    FONT,
    LEVEL_WORDS,
    _xlsx_cell,
    fit_widths,
    issuer_of,
    print_one_page_wide,
    row_height,
    vn_short_date,
)
from workflow.documents.decision import (
    _by_department,
    _campaigns,
    _department_of,
    _period,
    _position_and_unit,
    _subject_name,
    names_on,
)
from workflow.documents.proposal import _co_so_decisions, _decision_ref, _proposal_parts, _subject_order
from workflow.labels import STATE_LABELS, SUBJECT_TYPE_LABELS
from workflow.proposals.decisions import nominations_of


# ------------------------------------------------------------------------------------------------ lists as .xlsx
def _list_rows(session: Session, nominations: list[Nomination], *, with_department: bool,
               names: Callable[[Unit | None], str]) -> list[list]:
    """The rows of a list, each unit named as of the document's date (`names`)."""
    recognised = _co_so_decisions(session, nominations)
    rows = []
    for pos, n in enumerate(nominations, start=1):
        department = _department_of(session, n)
        row = [pos, SUBJECT_TYPE_LABELS.get(n.subject_type, ""), _subject_name(n, names), n.title,
               _position_and_unit(n, with_department=False, names=names)]
        if with_department:
            row.append(names(department))
        row += [n.campaign.name if n.campaign is not None else "", STATE_LABELS.get(n.state, ""),
                _decision_ref(recognised.get(n.id))]
        rows.append(row)
    return rows


def _list_xlsx(title: str, reference: str, rows: list[list], *, with_department: bool) -> bytes:
    """One sheet "Danh sách": the title and the document's number and date, each merged across the table and wrapped,
    the header (bold, frozen, filtered, repeated on printed pages), then the rows; Times New Roman throughout. Column
    widths come from the content, row heights from the wrapped text, and it prints one A4 landscape page wide. Text is
    kept as typed (`_xlsx_cell`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    columns = [("TT", 5, 5), ("Loại (Tập thể/Cá nhân)", 10, 12), ("Tên tập thể / Họ và tên", 18, 30),
               ("Hồ sơ", 20, 40), ("Đơn vị", 18, 32)]
    if with_department:
        columns.append(("Sở", 16, 28))
    columns += [("Phong trào", 18, 36), ("Trạng thái", 12, 22), ("Quyết định cấp cơ sở", 18, 32)]
    heads = [head for head, _min, _max in columns]
    widths = fit_widths([heads, *rows], [lo for _h, lo, _hi in columns], [hi for _h, _lo, hi in columns])
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    last = get_column_letter(len(columns))
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    def put(row: int, col: int, value, *, bold=False, italic=False, size=12, align="left", border=False):
        cell = _xlsx_cell(ws.cell(row=row, column=col), value)
        cell.font = Font(name=FONT, size=size, bold=bold, italic=italic)
        cell.alignment = Alignment(horizontal=align, vertical="top" if row > 3 else "center", wrap_text=True)
        if border:
            cell.border = box
        return cell

    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, (text, size, bold, italic) in enumerate(((title, 14, True, False), (reference, 12, False, True)),
                                                     start=1):
        put(row, 1, text, bold=bold, italic=italic, size=size, align="center")
        ws.merge_cells(f"A{row}:{last}{row}")
        ws.row_dimensions[row].height = row_height([(text, sum(widths), size, bold)])
    for col, head in enumerate(heads, start=1):
        put(3, col, head, bold=True, align="center", border=True)
    ws.row_dimensions[3].height = row_height([(h, w, 12, True) for h, w in zip(heads, widths, strict=True)])
    for r, values in enumerate(rows, start=4):
        for col, value in enumerate(values, start=1):
            put(r, col, value, align="center" if col == 1 else "left", border=True)
        ws.row_dimensions[r].height = row_height([(v, w, 12, False) for v, w in zip(values, widths, strict=True)])
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{last}{max(len(rows) + 3, 3)}"
    print_one_page_wide(ws, header_row=3)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def proposal_xlsx(session: Session, proposal: Proposal) -> bytes:
    """The list of a Tờ trình as a spreadsheet: collectives first, then individuals."""
    department, _issuer, nominations, _campaign, period, number, names = _proposal_parts(session, proposal)
    if proposal.state != "draft" and proposal.date:
        reference = f"Kèm theo Tờ trình số {number} ngày {vn_short_date(proposal.date)} của {names(department)}"
    else:
        reference = f"Dự thảo tờ trình (chưa có số, ngày) của {names(department)}"
    rows = _list_rows(session, _subject_order(nominations), with_department=False, names=names)
    return _list_xlsx(f"DANH SÁCH ĐỀ NGHỊ CÔNG NHẬN ĐIỂN HÌNH TIÊN TIẾN NGÀNH TƯ PHÁP {period.upper()}", reference,
                      rows, with_department=False)


def decision_xlsx(session: Session, decision: Decision) -> bytes:
    """The list of a decision as a spreadsheet; a ngành decision adds the "Sở" column and keeps departments
    together."""
    names = names_on(session, decision.date)
    issuer = issuer_of(decision.issuer, name=names(decision.issuer))
    nominations = nominations_of(session, decision)
    period = _period(_campaigns(session, nominations), decision.year)
    nganh = decision.level == "nganh"
    ordered = _subject_order(_by_department(session, nominations) if nganh else nominations)
    level = LEVEL_WORDS.get(decision.level, LEVEL_WORDS["co_so"]).upper()
    reference = f"Kèm theo Quyết định số {decision.number} ngày {vn_short_date(decision.date)} của {issuer.head_of}"
    return _list_xlsx(f"DANH SÁCH TẬP THỂ, CÁ NHÂN ĐƯỢC CÔNG NHẬN ĐIỂN HÌNH TIÊN TIẾN {level} {period.upper()}",
                      reference, _list_rows(session, ordered, with_department=nganh, names=names),
                      with_department=nganh)
