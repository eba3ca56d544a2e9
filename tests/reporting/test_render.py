"""Every .docx and .xlsx the system produces, rendered to PDF by LibreOffice as an integrator (or a văn thư) would open
it, and checked from the positions of the printed words (`pdftotext -bbox`):

- no word crosses the page margins (ND 30: left 3 cm, right 1.5 cm) nor, on the certificate, its decorative border;
- the signer's block stands in the right half of the page;
- no two words overlap (wrapped text spilling out of a row, a title clipped over its neighbour);
- each sheet prints one page wide (its first and last column headers on the same page) and no cell text is cut
  (every word of every cell is printed);
- formula-like text prints verbatim, without the apostrophe a stored quote would show.

The documents are built once for the module, through the services, on a SQLite database of their own (the render is
about the files, not the backend), and converted in ONE soffice call: LibreOffice is slow to start. Without soffice or
pdftotext the module skips, unless REQUIRE_LIBREOFFICE=1 (as .ci/run sets), which makes it fail.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from conftest import DEMO_PASSWORD, Demo, _test_settings
from samples import PDF

from models import Base, make_engine, make_session_factory
from web import create_app
from workflow import clock, documents
from workflow.administration import demo as demo_data
from workflow.administration import imports
from workflow.council import operations as council
from workflow.documents import pdf
from workflow.nominations import exports, rules, service
from workflow.proposals import decisions
from workflow.proposals import operations as proposals
from workflow.reporting import audit_queries, report_documents

MEMBERS = ["giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"]
FORMULAS = ("=1+1", "@SUM(A1)", "+cmd", "-2+3")
CM = 72 / 2.54  # PDF points per centimetre
SLACK = 2.0  # points: glyph side bearings, rounding of the layout


# ------------------------------------------------------------------------------------------------ tools
def _tools() -> tuple[str | None, str | None]:
    return shutil.which("soffice") or shutil.which("libreoffice"), shutil.which("pdftotext")


def need_libreoffice() -> tuple[str, str]:
    soffice, pdftotext = _tools()
    if soffice and pdftotext:
        return soffice, pdftotext
    reason = "LibreOffice (soffice) and poppler's pdftotext are needed to render the documents"
    if os.environ.get("REQUIRE_LIBREOFFICE") == "1":
        pytest.fail(f"REQUIRE_LIBREOFFICE=1 but {reason}")
    pytest.skip(reason)


@dataclasses.dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclasses.dataclass
class Rendered:
    name: str
    source: bytes
    pages: list[tuple[float, float]]  # (width, height) in points
    words: list[Word]

    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def find(self, phrase: str) -> list[Word]:
        """The words of the first printed occurrence of `phrase` (consecutive words)."""
        parts = phrase.split()
        for i in range(len(self.words) - len(parts) + 1):
            if [w.text for w in self.words[i:i + len(parts)]] == parts:
                return self.words[i:i + len(parts)]
        raise AssertionError(f"{self.name}: {phrase!r} is not printed")


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
_WORD = re.compile(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>')


def parse_bbox(xhtml: str) -> tuple[list[tuple[float, float]], list[Word]]:
    pages, words = [], []
    for chunk in xhtml.split("<page ")[1:]:
        m = _PAGE.match("<page " + chunk)
        pages.append((float(m.group(1)), float(m.group(2))))
        for w in _WORD.finditer(chunk):
            words.append(Word(len(pages) - 1, *(float(w.group(i)) for i in range(1, 5)), html.unescape(w.group(5))))
    return pages, words


def render_all(files: dict[str, bytes], folder: Path) -> dict[str, Rendered]:
    """Every file converted to PDF by one soffice run, by the product's own converter (`workflow.documents.pdf`, which
    the "Bản PDF" downloads use), then read back with pdftotext -bbox."""
    _soffice, pdftotext = need_libreoffice()
    pdfs = pdf.convert(files, timeout=600)
    result = {}
    for name, data in files.items():
        path = folder / (name.replace(".", "_") + ".pdf")
        path.write_bytes(pdfs[name])
        box = subprocess.run([pdftotext, "-bbox", str(path), "-"], check=True, capture_output=True, timeout=60)
        pages, words = parse_bbox(box.stdout.decode())
        result[name] = Rendered(name, data, pages, words)
    return result


# ------------------------------------------------------------------------------------------------ the documents
def _submitted(db, demo, head: str, *, title: str, unit: str | None = None, person: str | None = None,
               campaign=None):
    actor = demo.actor(head)
    kind = "individual" if person else "collective"
    target = {"person_id": demo.person(person).id} if person else {"unit_id": demo.unit(unit).id}
    n = service.create_nomination(db, actor, campaign_id=(campaign or demo.campaign()).id, subject_type=kind,
                                  title=title, achievements="Hoàn thành xuất sắc nhiệm vụ; mô hình tuyên truyền "
                                  "pháp luật hiệu quả được nhân rộng. " * 8, **target)
    n = service.transition(db, actor, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    answers = {c.code: {"met": True, "evidence": "Có"} for c in rules.criteria_for(kind, "annual")}
    n = service.update_nomination(db, actor, n.id, n.version, criteria=answers)
    service.add_attachment(db, actor, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    return service.transition(db, actor, n.id, "submit", n.version)


def build_documents(db, demo) -> dict[str, bytes]:
    """Every kind of document, as a department and the Ministry make them in one year: the council's minutes, the
    director's decision, the certificates of both levels, the Tờ trình, the Minister's decision covering several
    departments, the yearly and sơ kết/tổng kết reports, the nominations and audit exports, the import templates."""
    files: dict[str, bytes] = {}
    today = clock.today()
    collective = _submitted(db, demo, "tp_hctp", title=FORMULAS[0], unit="HCTP")
    person = _submitted(db, demo, "tp_hctp", title="Chị Phan Thị Kim Oanh – chuyên viên hộ tịch",
                        person="Phan Thị Kim Oanh")
    other = _submitted(db, demo, "tp_pbgdpl", title=FORMULAS[1], unit="PBGDPL")
    _submitted(db, demo, "tp_pbgdpl", title=FORMULAS[2], person="Nguyễn Thị Lan")
    council.council_for_department(db, demo.unit("STP").id).publicity_working_days = 0
    sec, director = demo.actor("vanphong"), demo.actor("giamdoc")
    s = council.schedule(db, sec, title="Phiên họp bình xét điển hình tiên tiến", date=today + dt.timedelta(days=30),
                         campaign_id=demo.campaign().id, location="Phòng họp Sở Tư pháp")
    council.set_agenda(db, sec, s.id, [collective.id, person.id, other.id])
    council.publish(db, sec, s.id)
    council.record_attendance(db, sec, s.id, [demo.user(u).id for u in MEMBERS])
    council.open_session(db, director, s.id)
    for n in (collective, person, other):
        for u in MEMBERS:
            if council.recusal_reason(demo.user(u), n) is None:
                council.cast_vote(db, demo.actor(u), s.id, nomination_id=n.id,
                                  choice="disagree" if n is other else "agree")
    council.close_session(db, director, s.id)
    files["bien-ban.docx"] = documents.minutes_docx(db, s)
    co_so = decisions.issue(db, director, level="co_so", number=12, date=today,
                            nomination_ids=[person.id, collective.id])
    files["quyet-dinh-co-so.docx"] = documents.decision_docx(db, co_so)
    files["quyet-dinh-co-so.xlsx"] = documents.decision_xlsx(db, co_so)
    files["giay-chung-nhan-co-so.docx"] = documents.certificate_docx(db, person)
    files["giay-chung-nhan-tap-the.docx"] = documents.certificate_docx(db, collective)
    p = proposals.create(db, sec, nomination_ids=[person.id, collective.id])
    files["to-trinh-du-thao.docx"] = documents.proposal_docx(db, p)
    proposals.submit(db, director, p.id, number=46, date=today)
    files["to-trinh.docx"] = documents.proposal_docx(db, p)
    files["to-trinh.xlsx"] = documents.proposal_xlsx(db, p)
    nganh = decisions.issue(db, demo.actor("botp"), level="nganh", number=100, date=today,
                            nomination_ids=[collective.id, person.id])
    files["quyet-dinh-nganh.docx"] = documents.decision_docx(db, nganh)
    files["quyet-dinh-nganh.xlsx"] = documents.decision_xlsx(db, nganh)
    files["giay-chung-nhan-nganh.docx"] = documents.certificate_docx(db, person)
    files["giay-chung-nhan-nganh-tap-the.docx"] = documents.certificate_docx(db, collective)
    db.commit()
    for who, key in (("giamdoc", "so"), ("tp_hctp", "don-vi")):
        files[f"bao-cao-nam-{key}.docx"] = report_documents.yearly_docx(db, demo.actor(who), year=today.year)[0]
        files[f"bao-cao-nam-{key}.xlsx"] = report_documents.yearly_xlsx(db, demo.actor(who), year=today.year)[0]
    period = demo.campaign("period")
    for stage in ("midterm", "final"):
        files[f"bao-cao-{stage}.docx"] = report_documents.period_docx(db, director, campaign=period.id, stage=stage)[0]
        files[f"bao-cao-{stage}.xlsx"] = report_documents.period_xlsx(db, director, campaign=period.id, stage=stage)[0]
    files["danh-sach-ho-so.xlsx"] = exports.nominations_xlsx(db, director, today=today)
    files["nhat-ky.xlsx"] = audit_queries.xlsx_file(audit_queries.export_rows(db, {})).getvalue()
    for kind in imports.KINDS:
        files[f"mau-nhap-{kind}.xlsx"] = imports.template_xlsx(kind)
    return files


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Rendered]:
    need_libreoffice()
    folder = tmp_path_factory.mktemp("render")
    engine = make_engine(f"sqlite:///{folder / 'render.db'}")
    Base.metadata.create_all(engine)
    create_app(_test_settings(engine, folder, {}))  # the links the services write in notifications
    try:
        with make_session_factory(engine)() as db:
            demo_data.seed(db, DEMO_PASSWORD)
            db.commit()
            files = build_documents(db, Demo(db))
            db.rollback()
        return render_all(files, folder)
    finally:
        engine.dispose()


DOCX = ("bien-ban.docx", "quyet-dinh-co-so.docx", "to-trinh-du-thao.docx", "to-trinh.docx", "quyet-dinh-nganh.docx",
        "bao-cao-nam-so.docx", "bao-cao-nam-don-vi.docx", "bao-cao-midterm.docx", "bao-cao-final.docx")
CERTIFICATES = ("giay-chung-nhan-co-so.docx", "giay-chung-nhan-tap-the.docx", "giay-chung-nhan-nganh.docx",
                "giay-chung-nhan-nganh-tap-the.docx")
XLSX = ("quyet-dinh-co-so.xlsx", "to-trinh.xlsx", "quyet-dinh-nganh.xlsx", "bao-cao-nam-so.xlsx",
        "bao-cao-nam-don-vi.xlsx", "bao-cao-midterm.xlsx", "bao-cao-final.xlsx", "danh-sach-ho-so.xlsx",
        "nhat-ky.xlsx", "mau-nhap-units.xlsx", "mau-nhap-people.xlsx")
SIGNERS = {"bien-ban.docx": "Nguyễn Văn Giám", "quyet-dinh-co-so.docx": "Nguyễn Văn Giám",
           "to-trinh.docx": "Nguyễn Văn Giám", "bao-cao-nam-so.docx": "Nguyễn Văn Giám",
           "bao-cao-nam-don-vi.docx": "Trương Văn Hùng", "bao-cao-midterm.docx": "Nguyễn Văn Giám",
           "bao-cao-final.docx": "Nguyễn Văn Giám", **dict.fromkeys(CERTIFICATES[:2], "Nguyễn Văn Giám")}


def test_every_document_is_rendered(rendered):
    assert set(rendered) == set(DOCX) | set(CERTIFICATES) | set(XLSX)
    for r in rendered.values():
        assert r.pages and r.words, f"{r.name}: nothing printed"


# ------------------------------------------------------------------------------------------------ checks
def overlaps(r: Rendered) -> list[tuple[Word, Word]]:
    """Pairs of words printed over each other (beyond a point of glyph overhang), page by page."""
    found = []
    by_page: dict[int, list[Word]] = {}
    for w in r.words:
        by_page.setdefault(w.page, []).append(w)
    for words in by_page.values():
        words.sort(key=lambda w: w.x0)
        for i, a in enumerate(words):
            for b in words[i + 1:]:
                if b.x0 >= a.x1 - 1:
                    break
                # line boxes include the font's ascent and descent: consecutive lines overlap by a little
                shared = min(a.y1, b.y1) - max(a.y0, b.y0)
                if shared > 0.4 * min(a.y1 - a.y0, b.y1 - b.y0) and min(a.x1, b.x1) - max(a.x0, b.x0) > 1:
                    found.append((a, b))
    return found


@pytest.mark.parametrize("name", DOCX)
def test_administrative_documents_stay_within_the_margins(rendered, name):
    """ND 30: A4 portrait, left 3 cm and right 1.5 cm; the header's two columns may reach 0,6 cm into each margin
    (HEADER_COLUMNS_CM), nothing further; the page number alone sits in the top margin."""
    r = rendered[name]
    for w in r.words:
        width, height = r.pages[w.page]
        assert width < height, f"{name}: page {w.page + 1} is not portrait"
        assert w.x0 >= 2.4 * CM - SLACK and w.x1 <= width - 0.9 * CM + SLACK, f"{name}: {w} crosses a side margin"
        assert w.y1 <= height - 2 * CM + SLACK, f"{name}: {w} runs into the bottom margin"
        if w.y0 < 2 * CM - SLACK:
            assert w.text.isdigit(), f"{name}: {w} runs into the top margin"
    assert not overlaps(r), f"{name}: words printed over each other: {overlaps(r)[:3]}"


@pytest.mark.parametrize("name", CERTIFICATES)
def test_certificates_stay_inside_their_border(rendered, name):
    """A4 landscape, one page, every word inside the 2 cm margins (the double border runs 24 pt from the edge); the
    number at the left, the signer's block in the right half."""
    r = rendered[name]
    assert len(r.pages) == 1, f"{name}: {len(r.pages)} pages"
    width, height = r.pages[0]
    assert width > height
    for w in r.words:
        assert 2 * CM - SLACK <= w.x0 and w.x1 <= width - 2 * CM + SLACK, f"{name}: {w} crosses the border"
        assert 2 * CM - SLACK <= w.y0 and w.y1 <= height - 2 * CM + SLACK, f"{name}: {w} crosses the border"
    number = r.find("Số:")[0]
    assert number.x1 < width / 2, f"{name}: the number is not at the left: {number}"
    assert not overlaps(r)


@pytest.mark.parametrize("name", sorted(SIGNERS))
def test_the_signers_block_stands_in_the_right_half(rendered, name):
    r = rendered[name]
    words = r.find(SIGNERS[name])
    width = r.pages[words[0].page][0]
    middle = (words[0].x0 + words[-1].x1) / 2
    assert all(w.x0 > width / 2 for w in words), f"{name}: the signer's name is not in the right half: {words}"
    if name in CERTIFICATES:
        # the centre of the right column: three quarters of the text width, give or take a centimetre
        assert abs(middle - (2 * CM + 0.75 * (width - 4 * CM))) < 1.5 * CM, f"{name}: signer at {middle}"


def _cell_texts(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row
            if c.value is not None and not isinstance(c.value, dt.date | dt.datetime)]


@pytest.mark.parametrize("name", XLSX)
def test_spreadsheets_print_every_word_one_page_wide(rendered, name):
    """Each sheet prints one page wide (the header's first and last columns on the same page), with every character
    of every cell printed (nothing clipped by a narrow column, a short row or an unmerged title; a long word such as a
    hash may wrap) and no word over another."""
    r = rendered[name]
    wb = openpyxl.load_workbook(io.BytesIO(r.source))
    printed = Counter("".join(w.text for w in r.words))
    expected = Counter("".join("".join(text.split()) for ws in wb.worksheets for text in _cell_texts(ws)))
    missing = expected - printed
    assert not missing, f"{name}: characters not printed: {dict(missing.most_common(10))}"
    # One page wide: the header row repeats on every printed page, and each page shows its first AND last column.
    ends = []
    for ws in wb.worksheets:
        header = max(ws.iter_rows(min_row=1, max_row=min(ws.max_row, 6)),
                     key=lambda row: sum(c.value is not None for c in row))
        heads = [str(c.value) for c in header if c.value is not None]
        ends.append((heads[0].split()[0], heads[-1].split()[-1]))
    for page in range(len(r.pages)):
        on_page = {w.text for w in r.words if w.page == page}
        assert not on_page or any(first in on_page and last in on_page for first, last in ends), \
            f"{name}: page {page + 1} lacks a header's first or last column: {ends}"
    for w in r.words:
        width, _height = r.pages[w.page]
        assert w.x0 >= 0 and w.x1 <= width, f"{name}: {w} off the page"
    assert not overlaps(r), f"{name}: words printed over each other: {overlaps(r)[:3]}"


@pytest.mark.parametrize("name", ("quyet-dinh-co-so.xlsx", "to-trinh.xlsx", "danh-sach-ho-so.xlsx"))
def test_formula_like_text_prints_verbatim(rendered, name):
    """A title that looks like a formula is printed as typed: no apostrophe shows, nothing is computed."""
    r = rendered[name]
    printed = {w.text for w in r.words}
    assert FORMULAS[0] in printed, f"{name}: {FORMULAS[0]!r} not printed as typed"
    assert not any(w.startswith("'") for w in printed), f"{name}: a quote is printed"


@pytest.mark.parametrize("name", ("bao-cao-midterm.docx", "bao-cao-final.docx"))
def test_the_period_prints_on_one_line_of_the_title(rendered, name):
    """The sơ kết/tổng kết title once printed "2021 –" at the end of a line and "2025" on the next."""
    words = rendered[name].find("giai đoạn 2021 – 2025")
    assert len({(w.page, round(w.y0)) for w in words}) == 1, words


@pytest.mark.parametrize("name", DOCX)
def test_a_total_row_never_opens_a_page(rendered, name):
    """"Tổng cộng" is printed under the rows it adds up, never alone at the top of the next page."""
    r = rendered[name]
    for i, w in enumerate(r.words):
        if w.text == "Tổng" and i + 1 < len(r.words) and r.words[i + 1].text == "cộng":
            above = [o for o in r.words if o.page == w.page and o.y1 <= w.y0 and o.y0 >= 2 * CM]
            assert above, f"{name}: 'Tổng cộng' opens page {w.page + 1}"


# ------------------------------------------------------------------------------------------------ PDF beside .docx
def test_official_documents_download_as_pdf_beside_the_docx(db, demo, client, login, monkeypatch):
    """Item 7: the decision's page offers its PDF, made by LibreOffice as above; without LibreOffice the page says
    only the .docx is offered, and asking for the PDF answers 404 with the reason."""
    need_libreoffice()
    d = _issued(db, demo)
    login("giamdoc")
    page = client.get(f"/decisions/{d.id}").get_data(as_text=True)
    assert f'href="/decisions/{d.id}/document?format=pdf"' in page
    r = client.get(f"/decisions/{d.id}/document?format=pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert r.headers["Content-Disposition"].startswith("attachment") and ".pdf" in r.headers["Content-Disposition"]
    monkeypatch.setattr(pdf, "soffice", lambda: None)
    page = client.get(f"/decisions/{d.id}").get_data(as_text=True)
    assert "format=pdf" not in page and "máy chủ chưa cài LibreOffice" in page
    r = client.get(f"/decisions/{d.id}/document?format=pdf")
    assert r.status_code == 404 and "LibreOffice" in r.get_data(as_text=True)
    assert client.get(f"/decisions/{d.id}/document").mimetype.endswith("wordprocessingml.document")


def _issued(db, demo):
    n = _submitted(db, demo, "tp_hctp", title="Phòng HCTP", unit="HCTP")
    council.council_for_department(db, demo.unit("STP").id).publicity_working_days = 0
    sec, director = demo.actor("vanphong"), demo.actor("giamdoc")
    s = council.schedule(db, sec, title="Phiên họp", date=dt.date.today() + dt.timedelta(days=30),
                         campaign_id=demo.campaign().id)
    council.set_agenda(db, sec, s.id, [n.id])
    council.publish(db, sec, s.id)
    council.record_attendance(db, sec, s.id, [demo.user(u).id for u in MEMBERS])
    council.open_session(db, director, s.id)
    for u in MEMBERS:
        if council.recusal_reason(demo.user(u), n) is None:
            council.cast_vote(db, demo.actor(u), s.id, nomination_id=n.id, choice="agree")
    council.close_session(db, director, s.id)
    d = decisions.issue(db, director, level="co_so", number=12, date=clock.today(), nomination_ids=[n.id])
    db.commit()
    return d
