"""Official documents as .docx: the decision recognising advanced examples (Quyết định), the council's minutes
(Biên bản) and a department's proposal to the Minister (Tờ trình), laid out per Nghị định 30/2020/NĐ-CP
(DOCUMENTS.md): A4 portrait, Times New Roman, the two-column header (issuing body | Quốc hiệu, Tiêu ngữ), the centred
type and summary, the body, then "Nơi nhận" and the signer's block. The lists of a proposal and of a decision also
come as .xlsx (`proposal_xlsx`, `decision_xlsx`), every text cell neutralised against formula injection (`_safe_cell`).

Pure: every public function takes a SQLAlchemy session and a model object and returns the bytes of a .docx or .xlsx;
no Flask, no commit. The building blocks `issuer_of`, `_header`, `_title`, `_signer_block`, `_recipients` and
`_closing` are shared by every document so they all look the same.

Secret ballot: the minutes print counts only. Member names appear in the attendance and recusal lists, never next
to a choice, and the ballots themselves are never read here (the counts were stored when the session closed).
"""
from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    AgendaItem,
    Campaign,
    CouncilMember,
    CouncilSession,
    Decision,
    DecisionItem,
    Nomination,
    Proposal,
    PublicComment,
    Unit,
    User,
)
from workflow.council import FUNCTION_LABELS, OUTCOME_LABELS, TZ, active_members, recusal_reason, share
from workflow.decisions import nominations_of, symbol
from workflow.labels import SUBJECT_TYPE_LABELS

FONT = "Times New Roman"
BODY_SIZE = 14
HEADER_SIZE = 12  # superior body, issuing body, Quốc hiệu (12–13)
MOTTO_SIZE = 13  # Tiêu ngữ (13–14)
TEXT_WIDTH_CM = 16.5  # A4 (21 cm) less the 3 cm left and 1.5 cm right margins of ND 30
HEADER_COLUMNS_CM = (8.2, 9.5)  # 1,2 cm wider than the text, centred: a council's name fits on one line
MOTTO_WIDTH_CM = 6.1  # "Độc lập - Tự do - Hạnh phúc", bold 13 pt: the line under it is as long as the words
ACHIEVEMENT_CHARS = 300
LIST_ACHIEVEMENT_CHARS = 200  # narrower columns: the Tờ trình's list, a ngành decision's annex
LAW_BASES = (
    "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022",
    "Căn cứ Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định chi tiết thi hành một số "
    "điều của Luật Thi đua, khen thưởng",
)
# Elements that follow w:pBdr inside w:pPr (ECMA-376 order; Word rejects a document with them out of order).
_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
               "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
               "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
               "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
               "w:rPr", "w:sectPr", "w:pPrChange")
LEVEL_WORDS = {"co_so": "cấp cơ sở", "nganh": "ngành Tư pháp"}


# ------------------------------------------------------------------------------------------------ Vietnamese forms
def vn_day(day: int) -> str:
    """ND 30 writes days below 10 with a leading zero ("ngày 07"), as the seeds do."""
    return f"{day:02d}" if day < 10 else str(day)


def vn_month(month: int) -> str:
    """ND 30 pads only January and February ("tháng 01", "tháng 02" but "tháng 3"), as the seeds do."""
    return f"{month:02d}" if month <= 2 else str(month)


def vn_date(d: dt.date) -> str:
    """"ngày 27 tháng 4 năm 2023": the long form used in the place/date line and in references to documents."""
    return f"ngày {vn_day(d.day)} tháng {vn_month(d.month)} năm {d.year}"


def vn_short_date(d: dt.date) -> str:
    """"27/4/2023", "07/01/2022": the short form of the seeds' running text."""
    return f"{vn_day(d.day)}/{vn_month(d.month)}/{d.year}"


def vn_int(n: int) -> str:
    """Thousands separated by "." (1.234)."""
    return f"{n:,}".replace(",", ".")


def vn_count(n: int) -> str:
    """Counts of collectives and people are written on two digits in administrative texts ("01 tập thể")."""
    return f"{n:02d}"


def vn_percent(ratio: Decimal | float | None) -> str:
    """A ratio (0.8333) as "83,33%": decimal comma, two decimals, ",00" dropped so 0.7 reads "70%"."""
    if ratio is None:
        return "—"
    value = (Decimal(str(ratio)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = vn_int(int(value)) + "," + f"{value:.2f}".split(".")[1]
    return text.removesuffix(",00") + "%"


def vn_time(moment: dt.datetime) -> str:
    """"08 giờ 30 phút" in Vietnam's time zone (the database keeps UTC)."""
    local = moment.astimezone(TZ)
    return f"{local.hour:02d} giờ {local.minute:02d} phút"


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


def _excerpt(text: str | None, limit: int = ACHIEVEMENT_CHARS) -> str:
    """The first `limit` characters, cut at a word so the annex never ends mid-word."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,;.:") + "…"


# ------------------------------------------------------------------------------------------------ issuing body
@dataclass(frozen=True)
class Issuer:
    """What the header and the signer's block say about the body that issues a document."""

    superior: str | None  # "UBND TỈNH AN GIANG"; None for the Ministry
    body: str  # "SỞ TƯ PHÁP"
    short_name: str  # "Sở Tư pháp"
    head: str  # "GIÁM ĐỐC"
    symbol: str  # "STP"
    place: str  # "An Giang"

    @property
    def head_full(self) -> str:
        """"GIÁM ĐỐC SỞ TƯ PHÁP": the authority line above the legal bases of a decision."""
        return f"{self.head} {self.body}"

    @property
    def head_of(self) -> str:
        """"Giám đốc Sở Tư pháp": used in references such as "(Kèm theo Quyết định … của Giám đốc Sở Tư pháp)"."""
        return f"{self.head.capitalize()} {self.short_name}"


_LOCALITY = re.compile(r"\s+(tỉnh|thành phố)\s+(.+)$", re.IGNORECASE)


def issuer_of(unit: Unit) -> Issuer:
    """The header of a department ("UBND TỈNH AN GIANG" over "SỞ TƯ PHÁP") or of the Ministry ("BỘ TƯ PHÁP", nothing
    above). The body's name drops the province ("Sở Tư pháp tỉnh An Giang" → "SỞ TƯ PHÁP") because the superior line
    already names it."""
    match = _LOCALITY.search(unit.name)
    short_name = unit.name[:match.start()] if match else unit.name
    if unit.kind == "ministry":
        return Issuer(None, short_name.upper(), short_name, "BỘ TRƯỞNG", symbol(unit), unit.place or "Hà Nội")
    place = unit.place or (match.group(2) if match else "")
    locality = (match.group(1) if match else "tỉnh").upper()
    superior = f"UBND {locality} {place.upper()}" if place else None
    return Issuer(superior, short_name.upper(), short_name, "GIÁM ĐỐC", symbol(unit), place)


def _council_issuer(department: Unit) -> Issuer:
    """The council issues its own minutes ("…/BB-HĐTĐKT"): the department's full name sits above it as its parent."""
    base = issuer_of(department)
    return Issuer(department.name.upper(), "HỘI ĐỒNG THI ĐUA – KHEN THƯỞNG", "Hội đồng Thi đua – Khen thưởng",
                  "CHỦ TỊCH", "HĐTĐKT", base.place)


# ------------------------------------------------------------------------------------------------ docx primitives
def _new_document() -> Document:
    """A4 portrait with the margins of ND 30 (top/bottom 2 cm, left 3 cm, right 1.5 cm), Times New Roman 14, and
    page numbers centred at the top from the second page on."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    section.header_distance = Cm(1)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(BODY_SIZE)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:cs", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    _page_numbers(section)
    return doc


def _page_numbers(section) -> None:
    """ND 30: the page number, centred in the top margin, not on the first page."""
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    run.font.size = Pt(13)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _para(container, text: str = "", *, size: float | None = None, bold: bool = False, italic: bool = False,
          align=WD_ALIGN_PARAGRAPH.LEFT, before: float = 0, after: float = 0, indent_cm: float | None = None,
          keep_next: bool = False):
    """One paragraph of one run. A table cell's initial empty paragraph is reused so cells do not open with a blank
    line (every paragraph made here has a run, so only that initial one qualifies)."""
    paragraphs = container.paragraphs
    if isinstance(container, _Cell) and len(paragraphs) == 1 and not paragraphs[0].runs:
        p = paragraphs[0]
    else:
        p = container.add_paragraph()
    run = p.add_run(text)
    run.bold, run.italic = bold, italic
    if size is not None:
        run.font.size = Pt(size)
    fmt = p.paragraph_format
    p.alignment = align
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if indent_cm is not None:
        fmt.first_line_indent = Cm(indent_cm)
    fmt.keep_with_next = keep_next
    return p


def _body(doc, text: str, *, lead: str | None = None, italic: bool = False):
    """A justified body paragraph with a first-line indent (ND 30), optionally opened by a bold lead ("Điều 1.")."""
    p = _para(doc, "", align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=6, indent_cm=1.0)
    if lead:
        p.runs[0].text, p.runs[0].bold = lead + " ", True
    run = p.add_run(text)
    run.italic = italic
    return p


def _heading(doc, text: str, *, before: float = 6):
    """A bold section heading ("I. THÀNH PHẦN THAM DỰ") that stays with what follows."""
    return _para(doc, text, bold=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, before=before, after=6, indent_cm=1.0,
                 keep_next=True)


def _rule(container, width_cm: float, column_cm: float):
    """A thin centred line `width_cm` long: an empty 4 pt paragraph with a bottom border, narrowed by indents.
    ND 30 draws one under the issuing body, under the Tiêu ngữ and under a summary."""
    p = _para(container, "", size=1)
    margin = max((column_cm - width_cm) / 2, 0)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = Cm(margin)
    p.paragraph_format.line_spacing = Pt(4)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_PBDR)
    return p


def _table(doc, rows: int, widths_cm: Iterable[float], *, grid: bool = False):
    """A fixed-width table with narrow cell margins (0.1 cm, so short headers such as "TT" do not wrap). Widths go on
    the grid and on every cell: Word reads the cells, LibreOffice the grid. A table wider than the text (the header)
    is shifted left by half the excess so it stays centred on the page in both. `grid` gives it borders (annexes,
    results); layout tables (header, signatures) have none."""
    widths = list(widths_cm)
    table = doc.add_table(rows=rows, cols=len(widths))
    if grid:
        table.style = doc.styles["Table Grid"]
    table.autofit = False
    for col, width in zip(table.columns, widths, strict=True):
        col.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    tbl_pr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(Cm(0.1).twips)))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tbl_pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
    excess = sum(widths) - TEXT_WIDTH_CM
    if excess > 0:
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        indent = OxmlElement("w:tblInd")
        indent.set(qn("w:w"), str(-int(Cm(excess / 2).twips)))
        indent.set(qn("w:type"), "dxa")
        tbl_pr.insert_element_before(indent, "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                                     "w:tblCaption", "w:tblDescription", "w:tblPrChange")
    else:
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
    return table


def _row_flags(row, *, header: bool = False) -> None:
    """No row split over two pages; a header row repeats on every page of a long annex."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _cell(cell, text: str, *, size: float = 13, bold: bool = False, italic: bool = False,
          align=WD_ALIGN_PARAGRAPH.LEFT):
    return _para(cell, text, size=size, bold=bold, italic=italic, align=align, before=2, after=2)


def _page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _to_bytes(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------ shared blocks
def _header(doc, issuer: Issuer, number: str, date: dt.date | None) -> None:
    """The header of ND 30 as a borderless two-column table. Row 1: superior body (upper case), issuing body (upper
    case, bold, a short line under it) | Quốc hiệu (bold), Tiêu ngữ (bold, a line under it as long as the words).
    Row 2: "Số: 12/QĐ-STP" | the place and date in italics, so both sit on the same line as in the seeds.
    `number` is printed as given ("12/QĐ-STP", or "      /BB-HĐTĐKT" when the number is left blank); a missing
    `date` leaves the day and month blank for the signer to fill in."""
    left_w, right_w = HEADER_COLUMNS_CM
    table = _table(doc, 2, HEADER_COLUMNS_CM)
    left, right = table.rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    if issuer.superior:
        _para(left, issuer.superior, size=HEADER_SIZE, align=center)
    _para(left, issuer.body, size=HEADER_SIZE, bold=True, align=center)
    _rule(left, min(max(len(issuer.body) * 0.11, 1.5), left_w / 2), left_w)
    _para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=HEADER_SIZE, bold=True, align=center)
    _para(right, "Độc lập - Tự do - Hạnh phúc", size=MOTTO_SIZE, bold=True, align=center)
    _rule(right, MOTTO_WIDTH_CM, right_w)
    number_cell, date_cell = table.rows[1].cells
    _para(number_cell, f"Số: {number}", size=13, align=center, before=6)
    when = vn_date(date) if date else "ngày      tháng      năm      "
    _para(date_cell, f"{issuer.place}, {when}" if issuer.place else when.capitalize(), size=14, italic=True,
          align=center, before=6)


def _title(doc, kind: str, summary_lines: Iterable[str]) -> None:
    """The type in upper case bold ("QUYẾT ĐỊNH") and the summary in bold under it, with a short line (ND 30)."""
    _para(doc, kind, size=BODY_SIZE, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=0, keep_next=True)
    for line in summary_lines:
        _para(doc, line, size=BODY_SIZE, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, keep_next=True)
    _rule(doc, 3.5, TEXT_WIDTH_CM).paragraph_format.space_after = Pt(12)


def _recipients(cell, lines: Iterable[str]) -> None:
    """"Nơi nhận:" in bold italic 12 and the list in 11, as ND 30 lays out the bottom-left corner."""
    _para(cell, "Nơi nhận:", size=12, bold=True, italic=True)
    for line in lines:
        _para(cell, line, size=11)


def _signer_block(cell, *, capacity: str | None, title: str, name: str, subtitle: str | None = None) -> None:
    """The signer's block: an optional capacity ("KT. GIÁM ĐỐC", "TM. HỘI ĐỒNG") over the title ("PHÓ GIÁM ĐỐC"), both
    upper case bold; room for the signature and seal; the full name in bold. ND 30, Art. 13."""
    center = WD_ALIGN_PARAGRAPH.CENTER
    if capacity:
        _para(cell, capacity, size=BODY_SIZE, bold=True, align=center)
    _para(cell, title, size=BODY_SIZE, bold=True, align=center)
    if subtitle:
        _para(cell, subtitle, size=13, italic=True, align=center)
    for _ in range(4):
        _para(cell, "", size=BODY_SIZE, align=center)
    _para(cell, name, size=BODY_SIZE, bold=True, align=center)


def _closing(doc, left, right) -> None:
    """The bottom of a document as a borderless two-column table kept on one page. `left` and `right` fill a cell
    each (recipients | signer, or secretary | chair)."""
    _para(doc, "", after=0)
    table = _table(doc, 1, (7.5, 9.0))
    _row_flags(table.rows[0])
    left(table.rows[0].cells[0])
    right(table.rows[0].cells[1])


def _signature_capacity(decision: Decision | Proposal, issuer: Issuer) -> tuple[str | None, str]:
    """"KT. GIÁM ĐỐC" over "PHÓ GIÁM ĐỐC" when a deputy signed under delegation, else the head's title alone (a
    decision or a proposal: both record the signer's title and on whose behalf they signed)."""
    if decision.on_behalf_of_id:
        return f"KT. {issuer.head}", (decision.signer_title or f"PHÓ {issuer.head}").upper()
    return None, (decision.signer_title or issuer.head).upper()


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
        dates = list(dict.fromkeys(vn_short_date(s.date) for s in _judging_sessions(session, decision, nominations)))
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


def _position_and_unit(n: Nomination, *, with_department: bool) -> str:
    """"Chuyên viên, Phòng Hành chính tư pháp" for a person; the parent department for a collective at ngành level."""
    unit = n.unit
    department = unit.department if unit is not None and unit.department_id != unit.id else None
    parts: list[str] = []
    if n.subject_type == "individual":
        person = n.subject_person
        parts += [person.position] if person is not None and person.position else []
        parts += [unit.name] if unit is not None else []
    if department is not None and (with_department or n.subject_type == "collective"):
        parts.append(department.name)
    return ", ".join(parts)


def _department_of(session: Session, n: Nomination) -> Unit | None:
    """The department that proposed `n` (the Sở), whatever unit the subject belongs to."""
    return session.get(Unit, n.department_id) if n.department_id else None


def _by_department(session: Session, nominations: list[Nomination]) -> list[Nomination]:
    """A ngành list holds several departments: their rows stay together, departments in order of first appearance,
    items in their own order within each (a stable sort)."""
    order = {d: i for i, d in enumerate(dict.fromkeys(n.department_id for n in nominations))}
    return sorted(nominations, key=lambda n: order[n.department_id])


def _annex(doc, session: Session, decision: Decision, issuer: Issuer, nominations: list[Nomination],
           period: str) -> None:
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
            _cell(cells[1], n.subject_name, bold=n.subject_type == "collective")
            if nganh:
                department = _department_of(session, n)
                _cell(cells[2], department.name if department is not None else "")
                _cell(cells[3], _position_and_unit(n, with_department=False) if n.subject_type == "individual"
                      else "")
            else:
                _cell(cells[2], _position_and_unit(n, with_department=False))
            # Left-aligned: justified narrow cells open wide gaps. A ngành row has less room: a shorter excerpt.
            _cell(cells[-1], _excerpt(n.achievements, LIST_ACHIEVEMENT_CHARS if nganh else ACHIEVEMENT_CHARS))
    collectives = sum(1 for n in nominations if n.subject_type == "collective")
    _para(doc, f"Tổng số: {_subjects_phrase(collectives, len(nominations) - collectives)}.", italic=True, before=6)


def decision_docx(session: Session, decision: Decision) -> bytes:
    """The Quyết định công nhận điển hình tiên tiến (cấp cơ sở by the department, ngành Tư pháp by the Ministry) with
    its annex listing the recognised collectives and individuals."""
    issuer = issuer_of(decision.issuer)
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
                                   name=decision.signer.full_name if decision.signer else ""),
    )
    _annex(doc, session, decision, issuer, nominations, period)
    return _to_bytes(doc)


# ------------------------------------------------------------------------------------------------ the minutes
@dataclass(frozen=True)
class _Member:
    user: User
    function: str
    present: bool | None  # None: attendance not recorded yet


def _roster(session: Session, s: CouncilSession) -> list[_Member]:
    """The members the minutes speak of: those whose attendance was recorded (the council may have changed since),
    plus, while the session is not closed, active members not yet recorded. Chair first, then by function."""
    functions = {m.user_id: m for m in session.scalars(
        select(CouncilMember).where(CouncilMember.council_id == s.council_id))}
    roster = [_Member(session.get(User, a.user_id), functions[a.user_id].function if a.user_id in functions
                      else "uy_vien", a.present) for a in s.attendance]
    if s.state != "closed":
        recorded = {a.user_id for a in s.attendance}
        roster += [_Member(m.user, m.function, None) for m in active_members(session, s.council)
                   if m.user_id not in recorded]
    order = list(FUNCTION_LABELS)
    return sorted(roster, key=lambda m: (order.index(m.function) if m.function in order else len(order), m.user.id))


def _presiding(roster: list[_Member], function: str, fallback: str | None = None) -> _Member | None:
    """Who signs for a function: the holder if present, else a present holder of `fallback`, else the holder."""
    holders = [m for m in roster if m.function == function]
    present = [m for m in holders if m.present]
    if present:
        return present[0]
    backup = [m for m in roster if m.function == fallback and m.present] if fallback else []
    return (backup or holders or [None])[0]


def _member_line(m: _Member) -> str:
    """"Nguyễn Văn Giám, Giám đốc Sở – Chủ tịch Hội đồng": name, position, function. Never a choice."""
    person = m.user.person
    position = f", {person.position}" if person is not None and person.position else ""
    return f"- {m.user.full_name}{position} – {FUNCTION_LABELS.get(m.function, 'Ủy viên')} Hội đồng;"


def _time_place(doc, s: CouncilSession) -> None:
    _heading(doc, "I. THỜI GIAN, ĐỊA ĐIỂM")
    opened = f"Khai mạc lúc {vn_time(s.opened_at)}, {vn_date(_local_date(s.opened_at))}" if s.opened_at else \
        f"{vn_date(s.date).capitalize()}"
    _body(doc, f"{opened}.", lead="1. Thời gian:")
    _body(doc, f"{s.location}." if s.location else "Chưa ghi nhận.", lead="2. Địa điểm:")
    campaign = s.campaign
    if campaign is not None:
        _body(doc, f"{campaign.name}.", lead="3. Phong trào thi đua:")


def _composition(doc, s: CouncilSession, roster: list[_Member]) -> None:
    """Who was there and who was not, with their functions; then the quorum the session was judged by."""
    _heading(doc, "II. THÀNH PHẦN THAM DỰ")
    present = [m for m in roster if m.present]
    absent = [m for m in roster if m.present is False]
    unknown = [m for m in roster if m.present is None]
    _body(doc, f"{vn_count(len(present))} thành viên:" if present else "chưa ghi nhận.",
          lead="1. Thành viên Hội đồng có mặt:")
    for m in present:
        _body(doc, _member_line(m))
    _body(doc, f"{vn_count(len(absent))} thành viên:" if absent else "không có.", lead="2. Thành viên vắng mặt:")
    for m in absent:
        _body(doc, _member_line(m))
    if unknown:
        _body(doc, f"{vn_count(len(unknown))} thành viên:", lead="Thành viên chưa được điểm danh:")
        for m in unknown:
            _body(doc, _member_line(m))
    secretary = _presiding(roster, "thuong_truc")
    if secretary is not None:
        _body(doc, f"{secretary.user.full_name}, {FUNCTION_LABELS['thuong_truc']} Hội đồng.", lead="3. Thư ký:")
    _quorum(doc, s, roster)


def _quorum(doc, s: CouncilSession, roster: list[_Member]) -> None:
    """The quorum as recorded when the session closed (settings may change later); before that, provisional."""
    if s.state == "closed" and s.members_total is not None:
        present, total, required, met = s.present_count or 0, s.members_total, s.quorum_required, s.quorum_met
        note = ""
    else:
        present = sum(1 for m in roster if m.present)
        total, required = len(roster), s.council.quorum
        met = total > 0 and share(present, total) >= required
        note = " (tạm tính theo điểm danh hiện tại)"
    ratio = Decimal(present) / Decimal(total) if total else Decimal(0)
    verdict = "đủ" if met else "không đủ"
    _body(doc, f"có mặt {vn_int(present)}/{vn_int(total)} thành viên ({vn_percent(ratio)}); tỷ lệ tối thiểu theo "
               f"quy chế: {vn_percent(required)} tổng số thành viên Hội đồng. Phiên họp {verdict} điều kiện tiến "
               f"hành{note}.", lead="4. Số thành viên tham dự:")


def _publicity(doc, session: Session, s: CouncilSession) -> None:
    """When the list was public, and what was said: counts per item and the comments themselves (public)."""
    _heading(doc, "III. CÔNG KHAI DANH SÁCH VÀ Ý KIẾN GÓP Ý")
    if s.published_at is None:
        _body(doc, "Danh sách đề nghị chưa được công khai để lấy ý kiến.")
        return
    until = f" đến hết {vn_time(s.comments_until)}, {vn_date(_local_date(s.comments_until))}" \
        if s.comments_until else ""
    _body(doc, f"Danh sách các tập thể, cá nhân được đề nghị đã được công khai từ "
               f"{vn_date(_local_date(s.published_at))}{until} để lấy ý kiến.")
    comments = list(session.scalars(select(PublicComment).where(PublicComment.session_id == s.id)
                                    .order_by(PublicComment.created_at, PublicComment.id)))
    _body(doc, f"Tổng số ý kiến góp ý nhận được: {vn_count(len(comments))}.")
    for item in s.items:
        mine = [c for c in comments if c.nomination_id == item.nomination_id]
        _body(doc, f"- Hồ sơ “{item.nomination.title}”: {vn_count(len(mine))} ý kiến"
                   + (":" if mine else "."))
        for c in mine:
            author = c.author.full_name if c.author is not None else "Không rõ người góp ý"
            day = vn_short_date(_local_date(c.created_at))
            _body(doc, f"+ “{_excerpt(c.text, 500)}” (ý kiến của {author}, {day}).")


def _item_subject(n: Nomination) -> str:
    """"Tập thể: Phòng Hành chính tư pháp." or "Cá nhân: Phan Thị Kim Oanh, Chuyên viên; đơn vị: Phòng Hành chính tư
    pháp." (a collective is its own unit, so the unit is not repeated)."""
    label = SUBJECT_TYPE_LABELS.get(n.subject_type, "")
    if n.subject_type != "individual":
        return f"{label}: {n.subject_name}."
    person = n.subject_person
    position = f", {person.position}" if person is not None and person.position else ""
    unit = f"; đơn vị: {n.unit.name}" if n.unit is not None else ""
    return f"{label}: {n.subject_name}{position}{unit}."


def _outcome(item: AgendaItem) -> str:
    if item.outcome is None:
        return "Không xét"
    return OUTCOME_LABELS.get(item.outcome, "Không xác định")


def _results(doc, s: CouncilSession, roster: list[_Member], pass_threshold) -> None:
    """Per item: subject and unit, the counts (never who chose what), recused members by name (recusal is public),
    the share with a decimal comma, the outcome and its note; then a table of the same counts."""
    _heading(doc, "IV. NỘI DUNG VÀ KẾT QUẢ BÌNH XÉT")
    _body(doc, f"Chương trình phiên họp gồm {vn_count(len(s.items))} hồ sơ đề nghị, biểu quyết theo hình thức bỏ phiếu "
               "kín. Hồ sơ được "
               f"công nhận khi có số phiếu đồng ý đạt từ {vn_percent(pass_threshold)} trở lên so với tổng số thành "
               "viên Hội đồng có quyền biểu quyết đối với hồ sơ đó (không tính thành viên không tham gia biểu quyết "
               "vì liên quan đến hồ sơ).")
    closed = s.state == "closed"
    for pos, item in enumerate(s.items, start=1):
        n = item.nomination
        _para(doc, f"{pos}. {n.title}", bold=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=6, indent_cm=1.0,
              keep_next=True)
        _body(doc, _item_subject(n))
        recused = [m.user.full_name for m in roster if recusal_reason(m.user, n)]
        if recused:
            _body(doc, f"- Thành viên không tham gia biểu quyết vì liên quan đến hồ sơ: {', '.join(recused)}.")
        if not closed or item.entitled is None:
            _body(doc, "- Chưa có kết quả.")
            continue
        _body(doc, f"- Số thành viên có quyền biểu quyết: {vn_int(item.entitled)}; không tham gia biểu quyết: "
                   f"{vn_int(item.recused or 0)}. Kết quả: {vn_int(item.agree or 0)} phiếu đồng ý, "
                   f"{vn_int(item.disagree or 0)} phiếu không đồng ý, {vn_int(item.abstain or 0)} phiếu không biểu "
                   f"quyết; tỷ lệ đồng ý {vn_percent(item.share)}.")
        note = f" ({item.outcome_note.strip().rstrip('.')})" if item.outcome_note else ""
        _body(doc, f"{_outcome(item)}{note}.", lead="- Kết quả:")
    if closed:
        _results_table(doc, s)
    else:
        _body(doc, "Chưa có kết quả: phiên họp chưa kết thúc.", italic=True)


def _results_table(doc, s: CouncilSession) -> None:
    """The tally of every item at a glance. Only numbers: a column per choice, no column per member."""
    _para(doc, "Bảng tổng hợp kết quả biểu quyết", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=6,
          keep_next=True)
    widths = (0.8, 3.7, 1.7, 1.7, 1.3, 1.7, 1.7, 1.5, 2.4)
    heads = ("TT", "Hồ sơ", "Có quyền biểu quyết", "Không tham gia", "Đồng ý", "Không đồng ý", "Không biểu quyết",
             "Tỷ lệ đồng ý", "Kết quả")
    table = _table(doc, 1, widths, grid=True)
    _row_flags(table.rows[0], header=True)
    center = WD_ALIGN_PARAGRAPH.CENTER
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        _cell(cell, text, size=10.5, bold=True, align=center)
    for pos, item in enumerate(s.items, start=1):
        row = table.add_row()
        _row_flags(row)
        values = (str(pos), item.nomination.title, *(vn_int(v or 0) for v in (
            item.entitled, item.recused, item.agree, item.disagree, item.abstain)), vn_percent(item.share),
            _outcome(item))
        for i, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            _cell(cell, text, size=11, align=WD_ALIGN_PARAGRAPH.LEFT if i in (1, 8) else center)


def _quota(doc, s: CouncilSession) -> None:
    """How the campaign's quota per subject type was applied: items that met the threshold, ranked by share."""
    _heading(doc, "V. ÁP DỤNG CHỈ TIÊU")
    campaign = s.campaign
    quotas = campaign.quotas if campaign is not None else {}
    for subject_type in ("collective", "individual"):
        label = SUBJECT_TYPE_LABELS[subject_type].lower()
        quota = quotas.get(subject_type)
        limit = f"chỉ tiêu của phong trào là {vn_count(quota)} {label}" if quota is not None \
            else "phong trào không quy định chỉ tiêu"
        items = [i for i in s.items if i.nomination.subject_type == subject_type]
        if not items:
            continue
        _body(doc, f"- {SUBJECT_TYPE_LABELS[subject_type]}: {limit}.")
        if s.state != "closed" or not s.quorum_met:
            continue
        ranked = sorted((i for i in items if i.rank is not None), key=lambda i: i.rank)
        if not ranked:
            _body(doc, "+ Không có hồ sơ đạt tỷ lệ biểu quyết.")
        for i in ranked:
            _body(doc, f"+ Xếp hạng {i.rank}: {i.nomination.subject_name} – tỷ lệ đồng ý {vn_percent(i.share)} – "
                       f"{_outcome(i)}.")


def _conclusion(doc, s: CouncilSession, period: str) -> None:
    _heading(doc, "VI. KẾT LUẬN")
    if s.state != "closed":
        _body(doc, "Chưa có kết quả.")
        return
    if not s.quorum_met:
        _body(doc, "Phiên họp không đủ số thành viên tham dự theo quy định; kết quả biểu quyết không được áp dụng. "
                   "Các hồ sơ được đưa ra xét tại phiên họp khác.")
        return
    passed = [i.nomination for i in s.items if i.outcome == "passed"]
    collectives = sum(1 for n in passed if n.subject_type == "collective")
    if passed:
        _body(doc, f"Hội đồng thống nhất đề nghị Giám đốc Sở xem xét, công nhận điển hình tiên tiến cấp cơ sở {period} "
                   f"đối với {_subjects_phrase(collectives, len(passed) - collectives)}:")
        for n in passed:
            _body(doc, f"- {n.subject_name} ({SUBJECT_TYPE_LABELS.get(n.subject_type, '').lower()}).")
    else:
        _body(doc, "Không có hồ sơ đạt kết quả bình xét.")
    ties = [i for i in s.items if i.outcome == "tie"]
    if ties:
        _body(doc, f"Có {vn_count(len(ties))} hồ sơ bằng phiếu tại ngưỡng chỉ tiêu, chờ Chủ tịch Hội đồng quyết định.")


def _name(member: _Member | None) -> str:
    return member.user.full_name if member is not None else ""


def minutes_docx(session: Session, council_session: CouncilSession) -> bytes:
    """The Biên bản of a council session: time and place, composition and quorum, publicity and comments, each item's
    counts and outcome, the quota, the conclusion and the close, signed by the secretary and the presiding chair.
    Generated at any state; before the close the results read "Chưa có kết quả"."""
    s = council_session
    department = session.get(Unit, s.department_id)
    campaigns = [s.campaign] if s.campaign is not None else []
    period = _period(campaigns, s.date.year)
    roster = _roster(session, s)
    threshold = s.pass_threshold_applied if s.pass_threshold_applied is not None else s.council.pass_threshold
    doc = _new_document()
    _header(doc, _council_issuer(department), "      /BB-HĐTĐKT", s.date)
    body_name = issuer_of(department).short_name
    _title(doc, "BIÊN BẢN", [f"Họp Hội đồng Thi đua – Khen thưởng {body_name} xét công nhận",
                            f"điển hình tiên tiến cấp cơ sở {period}"])
    _time_place(doc, s)
    _composition(doc, s, roster)
    _publicity(doc, session, s)
    _results(doc, s, roster, threshold)
    _quota(doc, s)
    _conclusion(doc, s, period)
    if s.closed_at is not None:
        _body(doc, f"Phiên họp kết thúc vào lúc {vn_time(s.closed_at)}, {vn_date(_local_date(s.closed_at))}.")
    else:
        _body(doc, "Phiên họp chưa kết thúc.", italic=True)
    secretary = _presiding(roster, "thuong_truc")
    chair = _presiding(roster, "chu_tich", fallback="pho_chu_tich")
    _closing(
        doc,
        lambda cell: _signer_block(cell, capacity=None, title="THƯ KÝ", name=_name(secretary),
                                   subtitle=f"{FUNCTION_LABELS['thuong_truc']} Hội đồng"),
        lambda cell: _signer_block(cell, capacity=None, title="CHỦ TỌA", name=_name(chair),
                                   subtitle=f"{FUNCTION_LABELS[chair.function if chair else 'chu_tich']} Hội đồng"),
    )
    return _to_bytes(doc)


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
    department = proposal.department or session.get(Unit, proposal.department_id)
    issuer = issuer_of(department)
    nominations = [item.nomination for item in proposal.items]
    campaign = proposal.campaign or session.get(Campaign, proposal.campaign_id)
    year = proposal.date.year if proposal.date else (campaign.end_date.year if campaign else dt.date.today().year)
    period = _period([campaign] if campaign is not None else [], year)
    number = proposal.number if proposal.state != "draft" and proposal.number else f"      /TTr-{issuer.symbol}"
    return department, issuer, nominations, campaign, period, number


def _proposal_bases(session: Session, campaign: Campaign | None, decisions: Iterable[Decision], period: str
                    ) -> list[str]:
    """The law, its decree, the campaign's plan and every cơ sở decision that recognised an item."""
    lines = list(LAW_BASES)
    if campaign is not None and campaign.legal_basis:
        lines.append(f"Căn cứ {campaign.legal_basis.strip().rstrip(';.')}")
    for d in sorted(dict.fromkeys(decisions), key=lambda d: (d.date, d.id)):
        about = _summary(d, period)
        about = about[:1].lower() + about[1:]
        signer = issuer_of(d.issuer or session.get(Unit, d.issuer_id)).head_of
        lines.append(f"Căn cứ Quyết định số {d.number} {vn_date(d.date)} của {signer} {about}")
    return [line + (";" if i < len(lines) - 1 else ".") for i, line in enumerate(lines)]


def proposal_docx(session: Session, proposal: Proposal) -> bytes:
    """The Tờ trình of a department to the Minister asking for ngành recognition of its cơ sở examples, with the
    list of collectives and individuals as an annex. A draft has no number, no date and no name under the signature,
    and reads "(Dự thảo)" at the top."""
    department, issuer, nominations, campaign, period, number = _proposal_parts(session, proposal)
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
    _proposal_annex(doc, proposal, department, nominations, recognised, period, number)
    return _to_bytes(doc)


def _proposal_annex(doc, proposal: Proposal, department: Unit, nominations: list[Nomination],
                    recognised: dict[int, Decision], period: str, number: str) -> None:
    """The list "kèm theo" the Tờ trình: collectives (I) then individuals (II), each with the cơ sở decision that
    recognised it and a short excerpt of its achievements."""
    _page_break(doc)
    center = WD_ALIGN_PARAGRAPH.CENTER
    when = vn_date(proposal.date) if proposal.state != "draft" and proposal.date else BLANK_DATE.rstrip()
    _para(doc, "DANH SÁCH ĐỀ NGHỊ CÔNG NHẬN ĐIỂN HÌNH TIÊN TIẾN", bold=True, align=center, keep_next=True)
    _para(doc, f"NGÀNH TƯ PHÁP {period.upper()}", bold=True, align=center, keep_next=True)
    _para(doc, f"(Kèm theo Tờ trình số {number} {when} của {department.name})", italic=True, align=center,
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
            _cell(cells[1], n.subject_name, size=12, bold=subject_type == "collective")
            _cell(cells[2], _position_and_unit(n, with_department=False), size=12)
            _cell(cells[3], _decision_ref(recognised.get(n.id)), size=12)
            _cell(cells[4], _excerpt(n.achievements, LIST_ACHIEVEMENT_CHARS), size=12)
    collectives = sum(1 for n in nominations if n.subject_type == "collective")
    _para(doc, f"Tổng số: {_subjects_phrase(collectives, len(nominations) - collectives)}.", italic=True, before=6)


# ------------------------------------------------------------------------------------------------ lists as .xlsx
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value):
    """A text that a spreadsheet would run as a formula ("=HYPERLINK(…)", "+1", "-1", "@SUM", a leading tab or
    carriage return) is neutralised by a leading single quote (CSV/formula injection). Numbers, dates and other text
    pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_LEADS):
        return "'" + value
    return value


def _list_rows(session: Session, nominations: list[Nomination], *, with_department: bool) -> list[list]:
    from workflow.labels import STATE_LABELS

    recognised = _co_so_decisions(session, nominations)
    rows = []
    for pos, n in enumerate(nominations, start=1):
        department = _department_of(session, n)
        row = [pos, SUBJECT_TYPE_LABELS.get(n.subject_type, ""), n.subject_name, n.title,
               _position_and_unit(n, with_department=False)]
        if with_department:
            row.append(department.name if department is not None else "")
        row += [n.campaign.name if n.campaign is not None else "", STATE_LABELS.get(n.state, ""),
                _decision_ref(recognised.get(n.id))]
        rows.append(row)
    return rows


def _list_xlsx(title: str, reference: str, rows: list[list], *, with_department: bool) -> bytes:
    """One sheet "Danh sách": the title (merged), the document's number and date (merged), the header (bold,
    frozen, filtered, repeated on printed pages), then the rows; Times New Roman throughout, every text neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    columns = [("TT", 5), ("Loại (Tập thể/Cá nhân)", 12), ("Tên tập thể / Họ và tên", 30), ("Hồ sơ", 40),
               ("Đơn vị", 32)]
    if with_department:
        columns.append(("Sở", 28))
    columns += [("Phong trào", 36), ("Trạng thái", 22), ("Quyết định cấp cơ sở", 32)]
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    last = get_column_letter(len(columns))
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    def put(row: int, col: int, value, *, bold=False, italic=False, size=12, align="left", border=False):
        cell = ws.cell(row=row, column=col, value=_safe_cell(value))
        if isinstance(cell.value, str):
            cell.data_type = "s"  # never a formula, whatever openpyxl would infer
        cell.font = Font(name=FONT, size=size, bold=bold, italic=italic)
        cell.alignment = Alignment(horizontal=align, vertical="top" if row > 3 else "center", wrap_text=True)
        if border:
            cell.border = box
        return cell

    put(1, 1, title, bold=True, size=14, align="center")
    ws.merge_cells(f"A1:{last}1")
    put(2, 1, reference, italic=True, align="center")
    ws.merge_cells(f"A2:{last}2")
    ws.row_dimensions[1].height = 36
    ws.row_dimensions[2].height = 20
    for col, (head, width) in enumerate(columns, start=1):
        put(3, col, head, bold=True, align="center", border=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    for r, values in enumerate(rows, start=4):
        for col, value in enumerate(values, start=1):
            put(r, col, value, align="center" if col == 1 else "left", border=True)
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{last}{max(len(rows) + 3, 3)}"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def proposal_xlsx(session: Session, proposal: Proposal) -> bytes:
    """The list of a Tờ trình as a spreadsheet: collectives first, then individuals."""
    department, _issuer, nominations, _campaign, period, number = _proposal_parts(session, proposal)
    if proposal.state != "draft" and proposal.date:
        reference = f"Kèm theo Tờ trình số {number} ngày {vn_short_date(proposal.date)} của {department.name}"
    else:
        reference = f"Dự thảo tờ trình (chưa có số, ngày) của {department.name}"
    rows = _list_rows(session, _subject_order(nominations), with_department=False)
    return _list_xlsx(f"DANH SÁCH ĐỀ NGHỊ CÔNG NHẬN ĐIỂN HÌNH TIÊN TIẾN NGÀNH TƯ PHÁP {period.upper()}", reference,
                      rows, with_department=False)


def decision_xlsx(session: Session, decision: Decision) -> bytes:
    """The list of a decision as a spreadsheet; a ngành decision adds the "Sở" column and keeps departments
    together."""
    issuer = issuer_of(decision.issuer)
    nominations = nominations_of(session, decision)
    period = _period(_campaigns(session, nominations), decision.year)
    nganh = decision.level == "nganh"
    ordered = _subject_order(_by_department(session, nominations) if nganh else nominations)
    level = LEVEL_WORDS.get(decision.level, LEVEL_WORDS["co_so"]).upper()
    reference = f"Kèm theo Quyết định số {decision.number} ngày {vn_short_date(decision.date)} của {issuer.head_of}"
    return _list_xlsx(f"DANH SÁCH TẬP THỂ, CÁ NHÂN ĐƯỢC CÔNG NHẬN ĐIỂN HÌNH TIÊN TIẾN {level} {period.upper()}",
                      reference, _list_rows(session, ordered, with_department=nganh), with_department=nganh)
