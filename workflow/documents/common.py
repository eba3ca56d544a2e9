"""Part of workflow.documents (see its docstring)."""
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

from models import Decision, Proposal, Unit
from workflow.council.operations import TZ
from workflow.inputs import xml_safe
from workflow.proposals.decisions import symbol

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


def issuer_of(unit: Unit, *, name: str | None = None) -> Issuer:
    """The header of a department ("UBND TỈNH AN GIANG" over "SỞ TƯ PHÁP") or of the Ministry ("BỘ TƯ PHÁP", nothing
    above). The body's name drops the province ("Sở Tư pháp tỉnh An Giang" → "SỞ TƯ PHÁP") because the superior line
    already names it. `name`: the unit's name as of the document's date (`decision.names_on`), if not today's."""
    full_name = name or unit.name
    match = _LOCALITY.search(full_name)
    short_name = full_name[:match.start()] if match else full_name
    if unit.kind == "ministry":
        return Issuer(None, short_name.upper(), short_name, "BỘ TRƯỞNG", symbol(unit), unit.place or "Hà Nội")
    place = unit.place or (match.group(2) if match else "")
    locality = (match.group(1) if match else "tỉnh").upper()
    superior = f"UBND {locality} {place.upper()}" if place else None
    return Issuer(superior, short_name.upper(), short_name, "GIÁM ĐỐC", symbol(unit), place)


def _council_issuer(department: Unit, *, name: str | None = None) -> Issuer:
    """The council issues its own minutes ("…/BB-HĐTĐKT"): the department's full name sits above it as its parent.
    `name`: the department's name as of the session's date (`decision.names_on`), if not today's."""
    base = issuer_of(department, name=name)
    return Issuer((name or department.name).upper(), "HỘI ĐỒNG THI ĐUA – KHEN THƯỞNG", "Hội đồng Thi đua – Khen thưởng",
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
    run = p.add_run(xml_safe(text))
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
        p.runs[0].text, p.runs[0].bold = xml_safe(lead) + " ", True
    run = p.add_run(xml_safe(text))
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


def _table(doc, rows: int, widths_cm: Iterable[float], *, grid: bool = False, text_width_cm: float = TEXT_WIDTH_CM):
    """A fixed-width table with narrow cell margins (0.1 cm, so short headers such as "TT" do not wrap). Widths go on
    the grid and on every cell: Word reads the cells, LibreOffice the grid. A table wider than the text (the header)
    is shifted left by half the excess so it stays centred on the page in both. `grid` gives it borders (annexes,
    results); layout tables (header, signatures) have none. `text_width_cm` is the page's own text width: a
    landscape page (the certificate) must say so, or its table is measured against the portrait text and shifted
    into the margin."""
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
    excess = sum(widths) - text_width_cm
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
    """"KT. GIÁM ĐỐC" over "PHÓ GIÁM ĐỐC" when a deputy signed under delegation, "KT. BỘ TRƯỞNG" over "THỨ TRƯỞNG"
    when a Deputy Minister signed a ngành decision (`signed_as_deputy`), else the head's title alone (a decision or a
    proposal: both record the signer's title and on whose behalf they signed)."""
    if getattr(decision, "signed_as_deputy", False):
        return f"KT. {issuer.head}", (decision.signer_title or "THỨ TRƯỞNG").upper()
    if decision.on_behalf_of_id:
        return f"KT. {issuer.head}", (decision.signer_title or f"PHÓ {issuer.head}").upper()
    return None, (decision.signer_title or issuer.head).upper()


# ------------------------------------------------------------------------------------------------ spreadsheet cells
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value) -> bool:
    """Text a spreadsheet would run as a formula ("=HYPERLINK(…)", "+1", "-1", "@SUM", a leading tab or return)."""
    return isinstance(value, str) and value.startswith(_FORMULA_LEADS)


def _safe_cell(value):
    """For CSV, which has no cell types: a formula-like text is neutralised by a leading single quote (CSV/formula
    injection). Numbers, dates and other text pass unchanged. What XML refuses (a control character stored before the
    text rule) is removed (`workflow.inputs.xml_safe`), so one old row cannot break a file. An .xlsx keeps the text
    as typed instead (`_xlsx_cell`)."""
    value = xml_safe(value)
    if formula_like(value):
        return "'" + value
    return value


def _xlsx_cell(cell, value):
    """Puts `value` in an .xlsx cell, its text verbatim: stored as a string (never a formula, whatever openpyxl would
    infer), without the control characters XML cannot hold (cleaned before openpyxl sees them: it refuses them), and
    when it looks like a formula with the quote-prefix style, so neither Excel nor LibreOffice runs it when someone
    edits the cell. Nothing is added to the value: a stored apostrophe would be shown and printed. Returns `cell`."""
    if isinstance(value, str):
        cell.value = xml_safe(value)
        cell.data_type = "s"
        if formula_like(cell.value):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


# What a spreadsheet cell's text needs on paper. Column widths are in Excel's units (the width of a "0" of the default
# Calibri 11, 7 px); a Times New Roman character averages half its size in points, an upper-case one 0.72.
_PX_PER_WIDTH = 7.0
_LINE_HEIGHT = 1.25  # a line of text in points per point of font size, as LibreOffice and Excel lay it out


def _char_px(text: str, size: float, bold: bool = False) -> float:
    letters = [c for c in text if c.isalpha()]
    upper = bool(letters) and sum(c.isupper() for c in letters) > len(letters) / 2
    return size * 96 / 72 * ((0.72 if upper else 0.5) + (0.04 if bold else 0))


def text_width(text, size: float = 12, *, bold: bool = False, longest_word: bool = False) -> float:
    """The column width (Excel's units) that holds `text` on one line, or its longest word."""
    text = "" if text is None else str(text)
    parts = text.split() if longest_word else text.split("\n")
    longest = max((len(p) for p in parts), default=0)
    return longest * _char_px(text, size, bold) / _PX_PER_WIDTH + 1.5


def text_lines(text, width: float, size: float = 12, *, bold: bool = False) -> int:
    """How many lines `text` wraps to in a column `width` wide (greedy word wrap, a long word broken)."""
    text = "" if text is None else str(text)
    per_line = max(int((width * _PX_PER_WIDTH - 6) / _char_px(text, size, bold)), 1)
    lines = 0
    for paragraph in text.split("\n"):
        count, used = 1, 0
        for word in paragraph.split():
            if used and used + 1 + len(word) <= per_line:
                used += 1 + len(word)
                continue
            if used:
                count += 1
            used = len(word)
            while used > per_line:
                count, used = count + 1, used - per_line
        lines += count
    return max(lines, 1)


def row_height(cells, size: float = 12) -> float:
    """The height (points) of a row whose wrapped cells are (text, column width, font size, bold): its tallest cell.
    LibreOffice keeps a stored height when it converts or prints, so a row must be given the height its text needs."""
    lines = max((text_lines(text, width, sz, bold=bold) * sz for text, width, sz, bold in cells), default=size)
    return round(lines * _LINE_HEIGHT + 4, 1)


def fit_widths(rows, minimum: list[float], maximum: list[float], size: float = 12) -> list[float]:
    """Column widths from content: wide enough for each column's longest line up to `maximum` (then the text wraps),
    never narrower than its longest word nor `minimum`."""
    widths = list(minimum)
    for row in rows:
        for i, value in enumerate(row[:len(widths)]):
            if value is None:
                continue
            whole = min(text_width(value, size), maximum[i])
            widths[i] = max(widths[i], whole, min(text_width(value, size, longest_word=True), maximum[i]))
    return [round(w, 1) for w in widths]


def print_one_page_wide(ws, *, header_row: int | None, landscape: bool = True) -> None:
    """A4, fit to one page wide (as many pages down as needed), the header row repeated on every printed page.
    On a write-only sheet this must run before the first row is appended."""
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"
