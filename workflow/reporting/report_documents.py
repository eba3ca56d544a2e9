"""The reports of the plans (004 §V): the yearly report (Báo cáo kết quả công tác xây dựng, nhân rộng điển hình
tiên tiến năm YYYY — a unit's to the Văn phòng by 20/10, the department's to Sở Nội vụ by 30/10) and the sơ kết / tổng
kết report of a period campaign, as .docx in the ND 30/2020 layout (the shared blocks of `workflow.documents`) and as
.xlsx.

`yearly(...)` and `period(...)` gather the figures (through `workflow.reporting.reports`, so in the caller's scope)
into a
`ReportData`; `report_docx` and `report_xlsx` print it. The evaluation parts (ưu điểm, hạn chế, phương hướng) are left
as dotted lines for the drafter: the system fills in the numbers, people write the judgement.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import Campaign, Nomination, Person, PropagandaTheme, Unit
from models.nominations import subject_name_of
from workflow import clock, numbering, policy
from workflow.administration import unit_history
from workflow.documents import (
    FONT,
    Issuer,
    _body,
    _cell,
    _closing,
    _header,
    _heading,
    _new_document,
    _recipients,
    _row_flags,
    _signer_block,
    _table,
    _title,
    _to_bytes,
    issuer_of,
)
from workflow.documents.common import _xlsx_cell, fit_widths, print_one_page_wide, row_height
from workflow.errors import Forbidden, NotFound, ValidationFailed
from workflow.labels import STATE_LABELS, SUBJECT_TYPE_LABELS
from workflow.nominations.machine import RECOGNISED_STATES
from workflow.nominations.queries import int_filter
from workflow.policy import Actor
from workflow.propagation import introductions, themes
from workflow.reporting import reports

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
STAGES = {"midterm": "Sơ kết", "final": "Tổng kết"}
EXAMPLE_STATES = RECOGNISED_STATES
MAX_EXAMPLES = 2000
DOTS = "…" * 40
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ReportData:
    kind: str  # yearly | period
    department: Unit
    unit: Unit | None
    summary_line: str  # "Kết quả công tác xây dựng, nhân rộng điển hình tiên tiến năm 2026"
    scope_text: str  # "năm 2026", "giai đoạn 2021 – 2025 (từ 01/01/2021 đến 20/5/2023)"
    opening: str
    summary: reports.Summary
    examples: list[Nomination]
    date: dt.date
    deadline: dt.date | None
    recipients: list[str]
    signer_title: str
    signer_name: str
    months: list[dict] = field(default_factory=list)  # yearly: the monthly introductions and themes
    number: int | None = None  # "Số: 15/BC-STP": the number the văn thư gave it in the register; blank if none yet
    campaign: Campaign | None = None
    stage: str | None = None
    year: int | None = None
    # Issue 16, names as of a date: the reporting department and unit as named on the report's date (the body that
    # issues it), and every unit its tables and examples list as named on the last day the report covers (a unit
    # renamed after the period prints the name it bore in it; a unit merged away keeps its own).
    department_name: str = ""
    unit_name: str = ""
    covered_until: dt.date | None = None
    unit_names: dict[int, str] = field(default_factory=dict)

    @property
    def reporter(self) -> str:
        if self.unit is not None:
            return self.unit_name or self.unit.name
        return self.department_name or self.department.name

    def name_of(self, unit: Unit | None) -> str:
        """A listed unit's name on the last day the report covers."""
        if unit is None:
            return ""
        return self.unit_names.get(unit.id, unit.name)

    @property
    def symbol(self) -> str:
        return report_symbol(self.department, self.unit)

    @property
    def number_text(self) -> str | None:
        """"15/BC-STP" as the .docx prints it after "Số:" and the API gives it; None while the register gave none.
        The one home of the report's number: the pages, the documents and the API read it here."""
        return f"{self.number}/{self.symbol}" if self.number else None

    @property
    def file_stem(self) -> str:
        who = self.unit.code if self.unit else self.department.code
        if self.kind == "yearly":
            return f"Bao cao dien hinh tien tien nam {self.year} {who}"
        return f"Bao cao {STAGES[self.stage]} {self.campaign.start_date.year}-{self.campaign.end_date.year} {who}"


# ------------------------------------------------------------------------------------------------ scope
def _head_name(session: Session, unit: Unit) -> str:
    return session.scalar(select(Person.full_name).where(Person.unit_id == unit.id, Person.is_unit_head.is_(True),
                                                         Person.active.is_(True)).order_by(Person.id)) or ""


def _across(actor: Actor) -> bool:
    return policy.widest_scope(actor, "draw_up", "report") == policy.ALL


def is_unit_report(actor: Actor) -> bool:
    """A unit head reports for their unit only; whoever also reports for a department reports for the department."""
    return policy.widest_scope(actor, "draw_up", "report") == policy.UNIT


def report_scope(session: Session, actor: Actor, department=None) -> tuple[Unit, Unit | None]:
    """(department, unit): the secretariat and the director report for their department, the admin and the auditor
    for the one they name (or the first), a unit head for their unit only."""
    widest = policy.widest_scope(actor, "draw_up", "report")
    if widest == policy.DEPARTMENT and actor.department_id is not None:
        if department not in (None, "") and str(department) != str(actor.department_id):
            raise Forbidden("Không có quyền lập báo cáo của Sở khác.", ["Chỉ lập báo cáo của Sở mình."])
        return session.get(Unit, actor.department_id), None
    if widest == policy.ALL:
        return themes.department_for(session, actor, department), None
    if widest == policy.UNIT and actor.unit_id is not None:
        unit = session.get(Unit, actor.unit_id)
        if unit is None or unit.department_id is None:
            raise Forbidden("Đơn vị không thuộc Sở nào.", ["Đơn vị không thuộc Sở nào."])
        return session.get(Unit, unit.department_id), unit
    raise Forbidden("Không có quyền lập báo cáo.", policy.refusals(actor, "draw_up", "report") or
                    [policy.rule("report", "draw_up").reason])


def _examples(session: Session, base, limit: int = MAX_EXAMPLES) -> list[Nomination]:
    ids = select(base.c.id).where(base.c.state.in_(EXAMPLE_STATES))
    return list(session.scalars(
        select(Nomination).where(Nomination.id.in_(ids))
        .options(joinedload(Nomination.unit), joinedload(Nomination.subject_person))
        .order_by(Nomination.unit_id, Nomination.subject_type, Nomination.id).limit(limit)).unique())


def _signer(session: Session, department: Unit, unit: Unit | None) -> tuple[str, str]:
    if unit is not None:
        return "THỦ TRƯỞNG ĐƠN VỊ", _head_name(session, unit)
    return "GIÁM ĐỐC", _head_name(session, department)


# ------------------------------------------------------------------------------------------------ gathering
def report_symbol(department: Unit, unit: Unit | None) -> str:
    """The report's type and body after its number: "BC-STP" for a department's, "BC-PBGDPL" (the unit's code, as
    its header names it) for a unit's."""
    return f"BC-{unit.code}" if unit is not None else f"BC-{numbering.body_symbol(department)}"


def _number(number, department: Unit, unit: Unit | None) -> int | None:
    """The report's number in its issuer's register ("15" or "15/BC-STP"), when the drafter gives one: a report is
    drawn up on demand, so the register (the văn thư's) says which number it takes; none leaves "Số" blank."""
    if number in (None, ""):
        return None
    return numbering.parse(number, doc_type="BC", issuer=unit or department,
                           body=report_symbol(department, unit).removeprefix("BC-"))


def _names(session: Session, d: ReportData) -> ReportData:
    """Fills in the names as of the report's dates (see `ReportData`): two statements for the listed units, one or two
    for the reporter."""
    own = unit_history.names_as_of(session, [d.department.id, *([d.unit.id] if d.unit else [])], d.date)
    d.department_name = own.get(d.department.id, d.department.name)
    d.unit_name = own.get(d.unit.id, d.unit.name) if d.unit else ""
    listed = [u.unit_id for u in d.summary.by_unit] + [n.unit_id for n in d.examples if n.unit_id is not None]
    d.unit_names = unit_history.names_as_of(session, listed, d.covered_until)
    return d


def _opening_who(session: Session, dep: Unit, unit: Unit | None, day: dt.date) -> str:
    """The reporter as named on the report's date, for the opening sentence."""
    return unit_history.names_as_of(session, [(unit or dep).id], day).get((unit or dep).id, (unit or dep).name)


def yearly(session: Session, actor: Actor, *, year, department=None, today: dt.date | None = None,
           number=None) -> ReportData:
    today = today or clock.today()
    year = reports.parse_year(year) or today.year
    dep, unit = report_scope(session, actor, department)
    seq = _number(number, dep, unit)
    s = reports.summary(session, actor, year=year, department=dep.id, unit=unit.id if unit else None)
    base = reports.base_query(actor, year=year, department_id=dep.id, unit_id=unit.id if unit else None).subquery()
    cal = _calendar_for(session, dep, year)
    overview = introductions.year_overview(session, dep.id, year, unit_id=unit.id if unit else None, today=today)
    for row, month in zip(overview, cal.months, strict=True):
        row["theme"] = month.theme
    campaigns = list(session.scalars(select(Campaign).where(
        Campaign.department_id == dep.id, Campaign.end_date >= dt.date(year, 1, 1),
        Campaign.end_date <= dt.date(year, 12, 31)).order_by(Campaign.id)))
    bases = "; ".join(c.legal_basis for c in campaigns if c.legal_basis)
    opening = (f"Thực hiện {bases}, " if bases else "Thực hiện kế hoạch xây dựng, nhân rộng điển hình tiên tiến, ") + \
        f"{_opening_who(session, dep, unit, today)} báo cáo kết quả công tác xây dựng, nhân rộng điển hình tiên tiến " \
        f"năm {year} như sau:"
    recipients = (["- Văn phòng Sở (để tổng hợp);", "- Lưu: VT."] if unit else
                  ["- Sở Nội vụ (để tổng hợp);", "- Bộ Tư pháp (Vụ Thi đua – Khen thưởng);",
                   "- Giám đốc, các Phó Giám đốc Sở;", "- Lưu: VT, VP."])
    title, name = _signer(session, dep, unit)
    return _names(session, ReportData(
        kind="yearly", department=dep, unit=unit,
        summary_line=f"Kết quả công tác xây dựng, nhân rộng điển hình tiên tiến năm {year}",
        scope_text=f"năm {year}", opening=opening, summary=s, examples=_examples(session, base), date=today,
        deadline=dt.date(year, 10, 20 if unit else 30), recipients=recipients, signer_title=title, signer_name=name,
        months=overview, year=year, number=seq, covered_until=min(today, dt.date(year, 12, 31))))


def _calendar_for(session: Session, dep: Unit, year: int):
    """The department's calendar of the year, read for the report whoever asks (a unit head included)."""
    rows = {t.month: t for t in session.scalars(select(PropagandaTheme).where(
        PropagandaTheme.department_id == dep.id, PropagandaTheme.year == year))}
    months = [themes.Month(m, rows[m].theme, rows[m].note) if m in rows else themes.Month(m) for m in range(1, 13)]
    return themes.Calendar(dep, year, months)


def period_cutoff(c: Campaign, stage: str, today: dt.date) -> dt.date:
    """The last day a sơ kết / tổng kết covers: its review date when set; else today (sơ kết) or the period's end."""
    if stage == "midterm":
        day = c.midterm_review_date or min(today, c.end_date)
    else:
        day = c.final_review_date or c.end_date
    return min(day, today)


def period(session: Session, actor: Actor, *, campaign, stage, today: dt.date | None = None,
           number=None) -> ReportData:
    today = today or clock.today()
    if stage not in STAGES:
        raise ValidationFailed("Loại báo cáo không hợp lệ.", ["stage: midterm (sơ kết) hoặc final (tổng kết)."],
                               {"stage": "midterm hoặc final"})
    campaign_id = int_filter(campaign, "campaign")
    if campaign_id is None:
        raise ValidationFailed("Chưa chọn phong trào.", ["campaign là bắt buộc."], {"campaign": "Bắt buộc"})
    c = session.get(Campaign, campaign_id)
    if c is None:
        raise NotFound("Không tìm thấy phong trào, đợt thi đua.")
    dep, unit = report_scope(session, actor, c.department_id if _across(actor) else None)
    if c.department_id != dep.id:
        raise NotFound("Không tìm thấy phong trào, đợt thi đua.")
    if c.kind != "period":
        raise ValidationFailed("Chỉ lập báo cáo sơ kết, tổng kết cho phong trào theo giai đoạn.",
                               [f"“{c.name}” không phải phong trào theo giai đoạn."],
                               {"campaign": "Không phải giai đoạn"})
    seq = _number(number, dep, unit)
    cutoff = period_cutoff(c, stage, today)
    until = dt.datetime.combine(cutoff, dt.time.max, tzinfo=TZ)
    s = reports.summary(session, actor, campaign=c.id, unit=unit.id if unit else None, until=until)
    base = reports.base_query(actor, campaign_id=c.id, unit_id=unit.id if unit else None, until=until).subquery()
    label = STAGES[stage]
    span = f"giai đoạn {c.start_date.year} – {c.end_date.year}"
    review = c.midterm_review_date if stage == "midterm" else c.final_review_date
    date = min(review, today) if review else today
    reporter = _opening_who(session, dep, unit, date)
    opening = (f"Thực hiện {c.legal_basis}, " if c.legal_basis else "") + \
        f"{reporter} báo cáo {label.lower()} công tác xây dựng, nhân rộng điển hình tiên tiến {span} " \
        f"(số liệu từ ngày {c.start_date:%d/%m/%Y} đến ngày {cutoff:%d/%m/%Y}) như sau:"
    opening = opening[0].upper() + opening[1:]
    recipients = (["- Văn phòng Sở (để tổng hợp);", "- Lưu: VT."] if unit else
                  ["- Sở Nội vụ (để tổng hợp);", "- Bộ Tư pháp (Vụ Thi đua – Khen thưởng);",
                   "- Giám đốc, các Phó Giám đốc Sở;", "- Lưu: VT, VP."])
    title, name = _signer(session, dep, unit)
    return _names(session, ReportData(
        kind="period", department=dep, unit=unit,
        summary_line=f"{label} công tác xây dựng, nhân rộng điển hình tiên tiến {span}",
        scope_text=f"{span} (từ {c.start_date:%d/%m/%Y} đến {cutoff:%d/%m/%Y})", opening=opening, summary=s,
        examples=_examples(session, base), date=date, deadline=review, recipients=recipients, signer_title=title,
        signer_name=name, campaign=c, stage=stage, number=seq, covered_until=cutoff))


# ------------------------------------------------------------------------------------------------ figures as rows
def _level_label(state: str) -> str:
    return "Điển hình ngành Tư pháp" if state == "recognized" else "Điển hình cấp cơ sở"


def funnel_rows(d: ReportData) -> list[tuple[str, int]]:
    return [(reports.FUNNEL_LABELS[st], n) for st, n in d.summary.funnel]


def state_rows(d: ReportData) -> list[tuple[str, int]]:
    return [(STATE_LABELS[st], n) for st, n in d.summary.by_state.items()]


UNIT_HEAD = ["Đơn vị", "Số hồ sơ", "Công nhận cấp cơ sở", "Công nhận cấp ngành"]


def unit_rows(d: ReportData) -> list[tuple[str, int, int, int]]:
    """Per unit: its nominations, and how many of them were recognised at cơ sở and at ngành level (reached, as the
    text's funnel counts them: one recognised at ngành level was recognised at cơ sở first), then the totals, which
    are the text's figures."""
    rows = [(d.unit_names.get(u.unit_id, u.name), u.total, u.reached.get("evaluated_co_so", 0),
             u.reached.get("recognized", 0)) for u in d.summary.by_unit]
    f = dict(d.summary.funnel)
    return rows + [("Tổng cộng", d.summary.total, f["evaluated_co_so"], f["recognized"])]


def example_rows(d: ReportData) -> list[tuple[str, str, str, str]]:
    return [(SUBJECT_TYPE_LABELS.get(n.subject_type, n.subject_type),
             subject_name_of(n.subject_type, n.subject_person.full_name if n.subject_person is not None else None,
                             d.name_of(n.unit)),
             d.name_of(n.unit), _level_label(n.state)) for n in d.examples]


def month_rows(d: ReportData) -> list[tuple[str, str, str, int]]:
    rows = []
    for m in d.months:
        status = f"{m['met']}/{m['units']}" if m["due"] else f"{m['met']}/{m['units']} (chưa đến hạn)"
        rows.append((f"Tháng {m['month']}", m.get("theme") or "", status, m["introductions"]))
    return rows


def narrative(d: ReportData) -> str:
    s, f = d.summary, dict(d.summary.funnel)
    who = "đơn vị" if d.unit else "Sở"
    return (f"Trong {d.scope_text}, {who} đã phát hiện, đăng ký {f['registered']} điển hình "
            f"({s.by_subject_type['collective']} tập thể, {s.by_subject_type['individual']} cá nhân); "
            f"{f['nurtured']} điển hình được bồi dưỡng; {f['submitted']} hồ sơ được trình Hội đồng Thi đua – Khen "
            f"thưởng xét; {f['evaluated_co_so']} điển hình được công nhận cấp cơ sở; {f['proposed_nganh']} điển hình "
            f"được đề nghị Bộ trưởng Bộ Tư pháp công nhận và {f['recognized']} điển hình được công nhận điển hình "
            "tiên tiến ngành Tư pháp.")


# ------------------------------------------------------------------------------------------------ .docx
KEEP_TOGETHER_ROWS = 20


def title_lines(summary_line: str) -> list[str]:
    """The summary under "BÁO CÁO" in two lines, the period on its own ("giai đoạn 2021 – 2025", "năm 2026"): left to
    wrap, the line broke inside the period ("2021 –" over "2025")."""
    for marker in (" giai đoạn ", " năm "):
        head, sep, tail = summary_line.rpartition(marker)
        if sep and head:
            return [head, sep.strip() + " " + tail]
    return [summary_line]


def report_docx(d: ReportData) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    base = issuer_of(d.department, name=d.department_name or None)
    if d.unit is not None:
        issuer = Issuer((d.department_name or d.department.name).upper(), d.reporter.upper(), d.reporter,
                        "THỦ TRƯỞNG ĐƠN VỊ",
                        d.unit.code, base.place)
    else:
        issuer = base
    doc = _new_document()
    _header(doc, issuer, d.number_text or f"      /{d.symbol}", d.date)
    _title(doc, "BÁO CÁO", title_lines(d.summary_line))
    _body(doc, d.opening)
    center = WD_ALIGN_PARAGRAPH.CENTER

    def table(head: list[str], widths: list[float], rows: list[tuple]):
        """A grid table; a short one (a page at most) is kept on one page, so its total never stands alone on the
        next; a long one keeps its header with the first row and its last row ("Tổng cộng") with the one before."""
        t = _table(doc, 1 + len(rows), widths, grid=True)
        _row_flags(t.rows[0], header=True)
        for cell, text in zip(t.rows[0].cells, head, strict=True):
            _cell(cell, text, bold=True, align=center)
        for r, values in enumerate(rows, start=1):
            _row_flags(t.rows[r])
            for c, (cell, value) in enumerate(zip(t.rows[r].cells, values, strict=True)):
                _cell(cell, str(value), align=center if isinstance(value, int) or c == 0 else WD_ALIGN_PARAGRAPH.LEFT)
        kept = range(len(rows)) if len(rows) <= KEEP_TOGETHER_ROWS else (0, len(rows) - 1)
        for r in kept:
            for cell in t.rows[r].cells:
                for p in cell.paragraphs:
                    p.paragraph_format.keep_with_next = True
        doc.add_paragraph()

    _heading(doc, "I. KẾT QUẢ THỰC HIỆN")
    _heading(doc, "1. Phát hiện, bồi dưỡng, xây dựng điển hình tiên tiến", before=0)
    _body(doc, narrative(d))
    table(["TT", "Giai đoạn", "Số lượng"], [1.2, 11.3, 4.0],
          [(i, label, n) for i, (label, n) in enumerate(funnel_rows(d), start=1)])
    _heading(doc, "2. Tình trạng hồ sơ điển hình hiện nay", before=0)
    table(["TT", "Trạng thái", "Số lượng"], [1.2, 11.3, 4.0],
          [(i, label, n) for i, (label, n) in enumerate(state_rows(d), start=1)] +
          [("", "Tổng cộng", d.summary.total)])
    if d.unit is None:
        _heading(doc, "3. Kết quả theo đơn vị", before=0)
        rows = [("" if name == "Tổng cộng" else i, name, total, co_so, nganh)
                for i, (name, total, co_so, nganh) in enumerate(unit_rows(d), start=1)]
        if d.summary.by_unit:
            table(["TT", *UNIT_HEAD], [1.2, 7.3, 2.3, 2.9, 2.8], rows)
        else:
            _body(doc, "Chưa có hồ sơ điển hình nào.", italic=True)
    number = 3 if d.unit else 4
    if d.kind == "yearly":
        _heading(doc, f"{number}. Tuyên truyền, giới thiệu điển hình hằng tháng", before=0)
        _body(doc, "Mỗi đơn vị giới thiệu tối thiểu 01 gương điển hình tiên tiến tiêu biểu vào ngày 10 hằng tháng "
                   "(cột “Đơn vị đạt” ghi số đơn vị đã giới thiệu đúng hạn trên tổng số đơn vị).")
        table(["Tháng", "Chủ đề tuyên truyền", "Đơn vị đạt", "Lượt giới thiệu"], [2.2, 8.8, 3.0, 2.5],
              month_rows(d))
        number += 1
    _heading(doc, f"{number}. Danh sách điển hình tiên tiến được công nhận", before=0)
    rows = [(i, *values) for i, values in enumerate(example_rows(d), start=1)]
    if rows:
        table(["TT", "Loại", "Tên tập thể / Họ và tên", "Đơn vị", "Mức công nhận"], [1.0, 2.2, 5.3, 4.5, 3.5], rows)
    else:
        _body(doc, "Chưa có điển hình được công nhận.", italic=True)
    _heading(doc, "II. ĐÁNH GIÁ CHUNG")
    for line in ("1. Ưu điểm: ", "2. Hạn chế, nguyên nhân: "):
        _body(doc, line + DOTS)
    _heading(doc, "III. PHƯƠNG HƯỚNG, NHIỆM VỤ VÀ KIẾN NGHỊ, ĐỀ XUẤT")
    _body(doc, DOTS)
    _body(doc, f"Trên đây là báo cáo {d.summary_line[0].lower() + d.summary_line[1:]} của {d.reporter}./.")
    _closing(doc, lambda cell: _recipients(cell, d.recipients),
             lambda cell: _signer_block(cell, capacity=None, title=d.signer_title, name=d.signer_name))
    return _to_bytes(doc)


# ------------------------------------------------------------------------------------------------ .xlsx
def report_xlsx(d: ReportData) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    def sheet(ws, title: str, head: list[str], widths: list[int], rows: list[tuple]):
        """A titled table: the title and the reporter merged across it and wrapped, widths from the content (the
        given widths are maxima), each row as high as its wrapped text, printed one A4 page wide."""
        widths = fit_widths([head, *rows], [6] * len(head), widths)
        last = chr(64 + len(head))

        def put(row, col, value, *, bold=False, italic=False, border=False, size=12):
            cell = _xlsx_cell(ws.cell(row=row, column=col), value)
            cell.font = Font(name=FONT, size=size, bold=bold, italic=italic)
            cell.alignment = Alignment(vertical="top", wrap_text=True, horizontal="center" if row < 3 else None)
            if border:
                cell.border = box

        for row, (text, size, bold, italic) in enumerate(((title, 14, True, False),
                                                          (f"{d.reporter} — {d.scope_text}", 12, False, True)),
                                                         start=1):
            put(row, 1, text, bold=bold, italic=italic, size=size)
            ws.merge_cells(f"A{row}:{last}{row}")
            ws.row_dimensions[row].height = row_height([(text, sum(widths), size, bold)])
        for col, (text, width) in enumerate(zip(head, widths, strict=True), start=1):
            put(3, col, text, bold=True, border=True)
            ws.column_dimensions[chr(64 + col)].width = width
        ws.row_dimensions[3].height = row_height([(h, w, 12, True) for h, w in zip(head, widths, strict=True)])
        for r, values in enumerate(rows, start=4):
            for col, value in enumerate(values, start=1):
                put(r, col, value, border=True)
            ws.row_dimensions[r].height = row_height(
                [(v, w, 12, False) for v, w in zip(values, widths, strict=True) if isinstance(v, str)])
        ws.freeze_panes = "A4"
        print_one_page_wide(ws, header_row=3, landscape=False)

    ws = wb.active
    ws.title = "Tổng hợp"
    s = d.summary
    overview = [("Giai đoạn", label, n) for label, n in funnel_rows(d)]
    overview += [("Trạng thái", label, n) for label, n in state_rows(d)]
    overview += [("Đối tượng", SUBJECT_TYPE_LABELS[k], n) for k, n in s.by_subject_type.items()]
    overview += [("Mức công nhận", reports.LEVEL_LABELS[k], n) for k, n in s.by_level.items()]
    overview += [("Năm", str(y), n) for y, n in s.by_year]
    overview.append(("Tổng số hồ sơ", "", s.total))
    sheet(ws, f"BÁO CÁO {d.summary_line.upper()}", ["Nhóm", "Chỉ tiêu", "Số lượng"], [18, 48, 12], overview)
    sheet(wb.create_sheet("Theo đơn vị"), "Kết quả theo đơn vị", UNIT_HEAD, [50, 12, 14, 14], unit_rows(d))
    if d.kind == "yearly":
        sheet(wb.create_sheet("Giới thiệu hằng tháng"), "Giới thiệu điển hình hằng tháng (hạn ngày 10)",
              ["Tháng", "Chủ đề tuyên truyền", "Đơn vị đạt", "Lượt giới thiệu"], [12, 60, 22, 16], month_rows(d))
    sheet(wb.create_sheet("Danh sách điển hình"), "Danh sách điển hình tiên tiến được công nhận",
          ["TT", "Loại", "Tên tập thể / Họ và tên", "Đơn vị", "Mức công nhận"], [6, 12, 40, 45, 28],
          [(i, *values) for i, values in enumerate(example_rows(d), start=1)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def report_data(d: ReportData) -> dict:
    """The report as the API answers it: its number as the .docx prints it (`number_text`), its head, and the
    figures its tables print (`reports.summary_data` of the same summary, its units named as the tables name them)."""
    summary = reports.summary_data(d.summary)
    for row in summary["by_unit"]:
        row["name"] = d.unit_names.get(row["unit_id"], row["name"])
    return {
        "kind": d.kind, "number": d.number, "number_text": d.number_text, "symbol": d.symbol,
        "title": f"Báo cáo {d.summary_line[0].lower() + d.summary_line[1:]}", "scope": d.scope_text,
        "department_id": d.department.id, "unit_id": d.unit.id if d.unit else None, "reporter": d.reporter,
        "date": d.date, "deadline": d.deadline, "year": d.year, "campaign_id": d.campaign.id if d.campaign else None,
        "stage": d.stage, "recipients": list(d.recipients), "signer_title": d.signer_title,
        "signer_name": d.signer_name, "summary": summary,
    }


def yearly_docx(session: Session, actor: Actor, **kw) -> tuple[bytes, ReportData]:
    d = yearly(session, actor, **kw)
    return report_docx(d), d


def yearly_xlsx(session: Session, actor: Actor, **kw) -> tuple[bytes, ReportData]:
    d = yearly(session, actor, **kw)
    return report_xlsx(d), d


def period_docx(session: Session, actor: Actor, **kw) -> tuple[bytes, ReportData]:
    d = period(session, actor, **kw)
    return report_docx(d), d


def period_xlsx(session: Session, actor: Actor, **kw) -> tuple[bytes, ReportData]:
    d = period(session, actor, **kw)
    return report_xlsx(d), d
