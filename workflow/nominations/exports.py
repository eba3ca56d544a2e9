"""Exports: the nominations list, with the filters of the list page (GET /nominations), as .xlsx.

The rows come from the very query of the list (`queries.nominations_query`: the caller's scope, then the filters),
streamed in batches into an openpyxl write-only workbook, so a large export holds neither every ORM object nor every
cell in memory at once. Labels are Vietnamese (state, subject type), dates dd/mm/yyyy (Vietnamese calendar day), and
every text cell is kept as typed and written as a string, never as a formula; a formula-like one (= + - @) also gets
the quote-prefix style (`workflow.documents.common._xlsx_cell`).
"""
from __future__ import annotations

import io

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Campaign, Nomination, Unit
from workflow.administration import unit_history
from workflow.documents.certificate import certificate, certificate_docx
from workflow.documents.common import FONT, _local_date, _xlsx_cell, print_one_page_wide, row_height
from workflow.labels import STATE_LABELS, SUBJECT_TYPE_LABELS
from workflow.nominations import service
from workflow.nominations.queries import nominations_query
from workflow.policy import Actor

SHEET = "Hồ sơ điển hình"
TITLE = "DANH SÁCH HỒ SƠ ĐIỂN HÌNH TIÊN TIẾN"
COLUMNS = (  # (header, width)
    ("Số hồ sơ", 9), ("Loại đối tượng", 12), ("Tên tập thể / Họ và tên", 30), ("Chức vụ", 22), ("Hồ sơ", 42),
    ("Đơn vị", 32), ("Sở", 28), ("Phong trào, đợt thi đua", 36), ("Trạng thái", 24), ("Ngày đăng ký", 13),
    ("Cập nhật lần cuối", 13),
)
HEADER_ROW = 3
BATCH = 500
DATE_FORMAT = "dd/mm/yyyy"


def _filter_summary(session: Session, filters: dict) -> str:
    parts = []
    if filters.get("state"):
        states = [s for s in str(filters["state"]).split(",") if s]
        parts.append("Trạng thái: " + ", ".join(STATE_LABELS.get(s, s) for s in states))
    for key, model, label in (("campaign", Campaign, "Phong trào"), ("unit", Unit, "Đơn vị")):
        value = filters.get(key)
        if value not in (None, ""):
            obj = session.get(model, int(value))  # already validated as an integer by nominations_query
            parts.append(f"{label}: {obj.name if obj is not None else value}")
    if filters.get("subject_type"):
        parts.append("Đối tượng: " + SUBJECT_TYPE_LABELS.get(filters["subject_type"], filters["subject_type"]))
    if filters.get("q"):
        parts.append(f"Từ khóa: “{filters['q']}”")
    return "Bộ lọc: " + ("; ".join(parts) if parts else "không (tất cả hồ sơ trong phạm vi của tài khoản)")


def rows(session: Session, actor: Actor, **filters):
    """The export's data rows, in the list's order (newest first), fetched BATCH at a time."""
    stmt = nominations_query(actor, **filters).order_by(Nomination.id.desc()).options(
        selectinload(Nomination.unit), selectinload(Nomination.campaign), selectinload(Nomination.subject_person))
    departments = dict(session.execute(select(Unit.id, Unit.name).where(Unit.kind == "department")).all())
    listed = unit_history.listed_names(session)  # "Tên mới (trước đây: Tên cũ)", as the list page shows a unit
    for n in session.scalars(stmt.execution_options(yield_per=BATCH)):
        person = n.subject_person if n.subject_type == "individual" else None
        yield [
            n.id, SUBJECT_TYPE_LABELS.get(n.subject_type, n.subject_type), n.subject_name,
            (person.position or "") if person is not None else "", n.title,
            listed.get(n.unit_id, n.unit.name) if n.unit is not None else "", departments.get(n.department_id, ""),
            n.campaign.name if n.campaign is not None else "", STATE_LABELS.get(n.state, n.state),
            _local_date(n.created_at) if n.created_at else None, _local_date(n.updated_at) if n.updated_at else None,
        ]


def nominations_xlsx(session: Session, actor: Actor, *, today, **filters) -> bytes:
    """The scoped, filtered nominations as one sheet: title and the filters applied (each merged across the table and
    wrapped), the header (bold, frozen, filtered, repeated on printed pages), one row per nomination, each as high as
    its wrapped text; printed one A4 landscape page wide. `filters`: state, campaign, unit, subject_type, q (as GET
    /nominations). The rows stream (write-only), so the widths are the columns' own, not measured."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    filters = {k: v for k, v in filters.items() if v not in (None, "")}
    data = rows(session, actor, **filters)  # a generator: the filters are validated on the first next()
    first = next(data, None)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    widths = [width for _head, width in COLUMNS]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    print_one_page_wide(ws, header_row=HEADER_ROW)
    bold, normal = Font(name=FONT, size=12, bold=True), Font(name=FONT, size=12)
    wrap = Alignment(vertical="top", wrap_text=True)
    last = get_column_letter(len(COLUMNS))

    def cell(value, *, font=normal, date=False):
        c = _xlsx_cell(WriteOnlyCell(ws), value)
        c.font, c.alignment = font, wrap
        if date:
            c.number_format = DATE_FORMAT
        return c

    def line(row: int, values: list, *, font=normal, size=12, merged=False) -> None:
        """One row, its height fitted to its wrapped text (set before the row is written: rows stream)."""
        if merged:
            ws.merged_cells.add(f"A{row}:{last}{row}")
            ws.row_dimensions[row].height = row_height([(values[0], sum(widths), size, font.b)], size)
        else:
            ws.row_dimensions[row].height = row_height(
                [(v, w, size, font.b) for v, w in zip(values, widths, strict=False) if isinstance(v, str)], size)
        ws.append([cell(v, font=font, date=not merged and i >= 9) for i, v in enumerate(values)])

    line(1, [TITLE], font=Font(name=FONT, size=14, bold=True), size=14, merged=True)
    line(2, [f"{_filter_summary(session, filters)}. Ngày xuất: {today:%d/%m/%Y}."],
         font=Font(name=FONT, size=12, italic=True), merged=True)
    line(HEADER_ROW, [head for head, _width in COLUMNS], font=bold)
    count = 0
    for values in ([first] if first is not None else []), data:
        for values_row in values:
            count += 1
            line(HEADER_ROW + count, values_row)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(count, 1)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------ certificates
def certificate_of(session: Session, actor: Actor, nomination_id: int):
    """(nomination, Certificate) for a user who may see the nomination: 404 if they may not (its existence is not
    revealed), 422 if it is not recognised (no certificate in its state)."""
    n = service.load(session, actor, nomination_id)
    return n, certificate(session, n)


def certificate_docx_of(session: Session, actor: Actor, nomination_id: int) -> tuple[bytes, str]:
    """The .docx of the certificate and an ASCII file stem ("giay-chung-nhan-12"), with the checks of
    `certificate_of`."""
    n, _c = certificate_of(session, actor, nomination_id)
    return certificate_docx(session, n), f"giay-chung-nhan-{n.id}"
