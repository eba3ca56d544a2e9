"""The decision (Quyết định) and the council's minutes (Biên bản) as .docx, built from a real closed session and a real
issued decision through the services, then read back with python-docx."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt
from factories import deputy_director
from samples import PDF

from models import Decision, DecisionItem, Delegation
from workflow import clock, documents
from workflow.council import operations as council
from workflow.nominations import rules, service
from workflow.policy import actor_for
from workflow.proposals import decisions

MEMBERS = ["giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"]
ABSENT = "hoidong3"
CODES = ("passed", "failed", "quota_exceeded", "no_quorum", "co_so", "nganh", "collective", "individual", "chu_tich",
         "thuong_truc", "uy_vien", "agree", "abstain", "evaluated_co_so", "submitted")


# ------------------------------------------------------------------------------------------------ helpers
def submitted(db, demo, tmp_path, head: str, *, title: str, unit: str | None = None, person: str | None = None):
    """A nomination taken through nurture to "submitted" (as in test_council_flow), collective or individual."""
    actor = demo.actor(head)
    kind = "individual" if person else "collective"
    target = {"person_id": demo.person(person).id} if person else {"unit_id": demo.unit(unit).id}
    n = service.create_nomination(db, actor, campaign_id=demo.campaign().id, subject_type=kind, title=title,
                                  achievements="Hoàn thành xuất sắc nhiệm vụ; mô hình tuyên truyền pháp luật hiệu quả "
                                               "được nhân rộng. " * 8, **target)
    n = service.transition(db, actor, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    answers = {c.code: {"met": True, "evidence": "Có"} for c in rules.criteria_for(kind, "annual")}
    n = service.update_nomination(db, actor, n.id, n.version, criteria=answers)
    service.add_attachment(db, actor, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    return service.transition(db, actor, n.id, "submit", n.version)


def vote(db, demo, s, n, choices: dict[str, str]) -> None:
    for username, choice in choices.items():
        council.cast_vote(db, demo.actor(username), s.id, nomination_id=n.id, choice=choice)


@pytest.fixture
def closed(db, demo, tmp_path):
    """A closed session: 6 of 7 members present (hoidong3 absent), one public comment, three items:
    PBGDPL (hoidong1 recused): 4 agree, 1 disagree of 6 entitled = 66,67% < 70% → failed;
    HCTP: 5 agree, 1 abstain of 7 = 71,43% → passed (the one collective slot);
    Phan Thị Kim Oanh: 6 agree of 7 = 85,71% → passed."""
    a = submitted(db, demo, tmp_path, "tp_pbgdpl", title="Phòng PBGDPL – mô hình Tủ sách pháp luật", unit="PBGDPL")
    b = submitted(db, demo, tmp_path, "tp_hctp", title="Phòng HCTP – cải cách thủ tục hộ tịch", unit="HCTP")
    c = submitted(db, demo, tmp_path, "tp_hctp", title="Chị Phan Thị Kim Oanh – chuyên viên hộ tịch",
                  person="Phan Thị Kim Oanh")
    council.council_for_department(db, demo.unit("STP").id).publicity_working_days = 0
    sec, director = demo.actor("vanphong"), demo.actor("giamdoc")
    # Held today, the day it was scheduled for: the minutes and the decision cite the day it was held (opened).
    s = council.schedule(db, sec, title="Phiên họp bình xét điển hình", date=clock.today(),
                         campaign_id=demo.campaign().id, location="Phòng họp Sở Tư pháp")
    council.set_agenda(db, sec, s.id, [a.id, b.id, c.id])
    council.publish(db, sec, s.id)
    council.add_comment(db, demo.actor("canbo1"), s.id, nomination_id=b.id, now=s.comments_until,
                        text="Phòng HCTP giải quyết hồ sơ hộ tịch đúng hạn, xứng đáng được công nhận.")
    present = [u for u in MEMBERS if u != ABSENT]
    council.record_attendance(db, sec, s.id, [demo.user(u).id for u in present])
    council.open_session(db, director, s.id)
    vote(db, demo, s, a, {u: "disagree" if u == "hoidong5" else "agree" for u in present if u != "hoidong1"})
    vote(db, demo, s, b, {u: "abstain" if u == "hoidong4" else "agree" for u in present})
    vote(db, demo, s, c, dict.fromkeys(present, "agree"))
    council.close_session(db, director, s.id)
    db.commit()
    return SimpleNamespace(session=s, failed=a, collective=b, person=c)


def issue(db, actor, nominations, number: int):
    d = decisions.issue(db, actor, level="co_so", number=number, date=clock.today(),
                        nomination_ids=[n.id for n in nominations])
    db.commit()
    return d


def open_docx(data: bytes):
    assert data[:2] == b"PK"
    return docx.Document(io.BytesIO(data))


def lines(document) -> list[str]:
    """Every paragraph's text in document order, table cells included (the header and signatures are tables)."""
    out = []
    for p in document.element.body.iter(qn("w:p")):
        out.append("".join(t.text or "" for t in p.iter(qn("w:t"))))
    return out


def run_of(document, text: str):
    for p in document.element.body.iter(qn("w:p")):
        for r in p.iter(qn("w:r")):
            if "".join(t.text or "" for t in r.iter(qn("w:t"))) == text:
                return docx.text.run.Run(r, None)
    raise AssertionError(f"no run {text!r}")


def table_with(document, first_cell: str, second_cell: str):
    for table in document.tables:
        cells = [c.text for c in table.rows[0].cells]
        if cells[:2] == [first_cell, second_cell]:
            return table
    raise AssertionError(f"no table headed {first_cell!r}, {second_cell!r}")


# ------------------------------------------------------------------------------------------------ pure helpers
def test_vietnamese_dates_and_numbers_follow_the_seeds():
    assert documents.vn_date(dt.date(2023, 4, 27)) == "ngày 27 tháng 4 năm 2023"
    assert documents.vn_date(dt.date(2022, 1, 7)) == "ngày 07 tháng 01 năm 2022"
    assert documents.vn_date(dt.date(2023, 2, 17)) == "ngày 17 tháng 02 năm 2023"
    assert documents.vn_short_date(dt.date(2026, 3, 5)) == "05/3/2026"
    assert documents.vn_percent(Decimal("0.8333")) == "83,33%"
    assert documents.vn_percent(Decimal("0.6667")) == "66,67%"
    assert documents.vn_percent(Decimal("0.7")) == "70%"
    assert documents.vn_int(1234567) == "1.234.567"


# ------------------------------------------------------------------------------------------------ the decision
def test_decision_of_the_director(db, demo, closed):
    d = issue(db, demo.actor("giamdoc"), [closed.collective, closed.person], 12)
    document = open_docx(documents.decision_docx(db, d))
    text = lines(document)
    joined = "\n".join(text)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert document.styles["Normal"].font.name == "Times New Roman"
    for expected in ("UBND TỈNH AN GIANG", "SỞ TƯ PHÁP", "Số: 12/QĐ-STP", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", f"An Giang, {documents.vn_date(d.date)}", "QUYẾT ĐỊNH",
                     f"Về việc công nhận điển hình tiên tiến cấp cơ sở năm {d.date.year}", "GIÁM ĐỐC SỞ TƯ PHÁP",
                     "QUYẾT ĐỊNH:", "Nơi nhận:", "- Như Điều 3;", "- Lưu: VT, TĐKT.", "GIÁM ĐỐC", "Nguyễn Văn Giám"):
        assert expected in text, expected
    assert run_of(document, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").bold
    assert run_of(document, "Độc lập - Tự do - Hạnh phúc").bold
    assert run_of(document, f"An Giang, {documents.vn_date(d.date)}").italic
    nơi_nhận = run_of(document, "Nơi nhận:")
    assert nơi_nhận.bold and nơi_nhận.italic and nơi_nhận.font.size == Pt(12)
    assert run_of(document, "- Như Điều 3;").font.size == Pt(11)
    assert "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;" in text
    assert f"Căn cứ Kế hoạch số 79/KH-STP ngày 27/4/{d.date.year} của Sở Tư pháp;" in text
    session_day = documents.vn_short_date(closed.session.date)
    assert (f"Căn cứ kết quả bình xét của Hội đồng Thi đua – Khen thưởng Sở tại phiên họp ngày {session_day};"
            in text)
    assert "Theo đề nghị của Chánh Văn phòng Sở." in text
    article1 = next(t for t in text if t.startswith("Điều 1."))
    assert "01 tập thể và 01 cá nhân có tên trong danh sách kèm theo" in article1
    assert any(t.startswith("Điều 2.") and "kể từ ngày ký" in t for t in text)
    assert any(t.startswith("Điều 3. Chánh Văn phòng Sở, Thủ trưởng các phòng, đơn vị có liên quan") for t in text)
    assert "KT. GIÁM ĐỐC" not in text
    # The annex: collectives first, then individuals; the failed item is not there.
    assert (f"TẬP THỂ, CÁ NHÂN ĐƯỢC CÔNG NHẬN ĐIỂN HÌNH TIÊN TIẾN CẤP CƠ SỞ NĂM {d.date.year}") in text
    assert f"(Kèm theo Quyết định số 12/QĐ-STP {documents.vn_date(d.date)} của Giám đốc Sở Tư pháp)" in text
    annex = table_with(document, "TT", "Tên tập thể / Họ và tên")
    rows = [[c.text for c in r.cells] for r in annex.rows]
    assert rows[1][0] == "I. TẬP THỂ" and rows[2][:2] == ["1", "Phòng Hành chính tư pháp"]
    assert rows[3][0] == "II. CÁ NHÂN" and rows[4][:2] == ["1", "Phan Thị Kim Oanh"]
    assert rows[4][2] == "Chuyên viên, Phòng Hành chính tư pháp"
    assert len(rows[4][3]) <= 301 and rows[4][3].endswith("…")
    assert "Phòng Phổ biến, giáo dục pháp luật" not in joined
    assert "UBND" not in joined.split("DANH SÁCH")[1]
    assert not [c for c in CODES if c in joined]


def test_decision_signed_by_a_deputy_under_delegation(db, demo, closed):
    deputy = deputy_director(db, demo)
    today = clock.today()
    db.add(Delegation(department_id=demo.unit("STP").id, director_id=demo.user("giamdoc").id, deputy_id=deputy.id,
                      starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=1)))
    db.flush()
    d = issue(db, actor_for(db, deputy), [closed.collective], 13)
    assert d.on_behalf_of_id == demo.user("giamdoc").id
    text = lines(open_docx(documents.decision_docx(db, d)))
    kt = text.index("KT. GIÁM ĐỐC")
    assert text[kt + 1] == "PHÓ GIÁM ĐỐC"
    assert "Lê Thị Phó" in text[kt + 2:] and "Nguyễn Văn Giám" not in text
    assert "Số: 13/QĐ-STP" in text
    article1 = next(t for t in text if t.startswith("Điều 1."))
    assert "01 tập thể có tên trong danh sách" in article1 and "cá nhân có tên" not in article1


def test_decision_of_the_ministry(db, demo, closed):
    """Level ngành: the Ministry issues, nothing above it, signed "BỘ TRƯỞNG" (the ngành step is a later issue, so
    the row is written directly)."""
    d = Decision(level="nganh", issuer_id=demo.unit("BTP").id, year=2026, seq=100, number="100/QĐ-BTP",
                 date=dt.date(2026, 3, 5), summary="Về việc công nhận điển hình tiên tiến ngành Tư pháp",
                 signer_id=demo.user("botp").id, signer_title="BỘ TRƯỞNG")
    d.items.append(DecisionItem(nomination_id=closed.collective.id))
    db.add(d)
    db.commit()
    document = open_docx(documents.decision_docx(db, d))
    text = lines(document)
    joined = "\n".join(text)
    for expected in ("BỘ TƯ PHÁP", "Số: 100/QĐ-BTP", "Hà Nội, ngày 05 tháng 3 năm 2026", "BỘ TRƯỞNG BỘ TƯ PHÁP",
                     "BỘ TRƯỞNG", "Theo đề nghị của Vụ trưởng Vụ Thi đua – Khen thưởng.",
                     "(Kèm theo Quyết định số 100/QĐ-BTP ngày 05 tháng 3 năm 2026 của Bộ trưởng Bộ Tư pháp)"):
        assert expected in text, expected
    assert "UBND" not in joined and "Hội đồng Thi đua – Khen thưởng Sở tại phiên họp" not in joined
    assert any("ĐIỂN HÌNH TIÊN TIẾN NGÀNH TƯ PHÁP" in t for t in text)
    annex = table_with(document, "TT", "Tên tập thể / Họ và tên")
    assert annex.rows[2].cells[1].text == "Phòng Hành chính tư pháp"
    assert annex.rows[2].cells[2].text == "Sở Tư pháp tỉnh An Giang"


# ------------------------------------------------------------------------------------------------ the minutes
def test_minutes_of_a_closed_session(db, demo, closed):
    s = closed.session
    document = open_docx(documents.minutes_docx(db, s))
    text = lines(document)
    joined = "\n".join(text)
    for expected in ("SỞ TƯ PHÁP TỈNH AN GIANG", "HỘI ĐỒNG THI ĐUA – KHEN THƯỞNG", "Số: 1/BB-HĐTĐKT",
                     "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     f"An Giang, {documents.vn_date(s.date)}", "BIÊN BẢN", "THƯ KÝ", "CHỦ TỌA"):
        assert expected in text, expected
    assert "Họp Hội đồng Thi đua – Khen thưởng Sở Tư pháp xét công nhận" in text
    assert "2. Địa điểm: Phòng họp Sở Tư pháp." in text
    # Composition: six present with their functions, one absent; the quorum as recorded at the close.
    assert "1. Thành viên Hội đồng có mặt: 06 thành viên:" in text
    assert "- Nguyễn Văn Giám, Giám đốc Sở – Chủ tịch Hội đồng;" in text
    assert "- Lê Văn Phúc, Chuyên viên – Ủy viên thường trực Hội đồng;" in text
    absent = text.index("2. Thành viên vắng mặt: 01 thành viên:")
    assert text[absent + 1] == "- Đặng Văn Long, Trưởng phòng – Ủy viên Hội đồng;"
    assert any("có mặt 6/7 thành viên (85,71%); tỷ lệ tối thiểu theo quy chế: 66,67%" in t
               and "Phiên họp đủ điều kiện tiến hành." in t for t in text)
    assert any("đạt từ 70% trở lên" in t for t in text)
    # Publicity: the period, the count per item and the comment.
    assert "Tổng số ý kiến góp ý nhận được: 01." in text
    assert f"- Hồ sơ “{closed.collective.title}”: 01 ý kiến:" in text
    assert f"- Hồ sơ “{closed.failed.title}”: 00 ý kiến." in text
    assert any("giải quyết hồ sơ hộ tịch đúng hạn" in t and "Nguyễn Thị Lan" in t for t in text)
    # Every item with its tally, as numbers; recused members by name only.
    for n in (closed.failed, closed.collective, closed.person):
        assert any(t.endswith(n.title) for t in text), n.title
    assert "- Thành viên không tham gia biểu quyết vì liên quan đến hồ sơ: Huỳnh Văn Đức." in text
    assert any("4 phiếu đồng ý, 1 phiếu không đồng ý, 0 phiếu không biểu quyết; tỷ lệ đồng ý 66,67%" in t
               for t in text)
    assert "- Kết quả: Không đạt tỷ lệ biểu quyết." in text
    assert "- Kết quả: Đạt." in text
    table = table_with(document, "TT", "Hồ sơ")
    rows = {r.cells[1].text: [c.text for c in r.cells[2:]] for r in list(table.rows)[1:]}
    assert rows[closed.failed.title] == ["6", "1", "4", "1", "0", "66,67%", "Không đạt tỷ lệ biểu quyết"]
    assert rows[closed.collective.title] == ["7", "0", "5", "0", "1", "71,43%", "Đạt"]
    assert rows[closed.person.title] == ["7", "0", "6", "0", "0", "85,71%", "Đạt"]
    for values in rows.values():
        assert all(v.isdigit() for v in values[:5])
    # Quota and conclusion.
    assert "- Tập thể: chỉ tiêu của phong trào là 01 tập thể." in text
    assert "- Cá nhân: chỉ tiêu của phong trào là 02 cá nhân." in text
    assert "+ Xếp hạng 1: Phòng Hành chính tư pháp – tỷ lệ đồng ý 71,43% – Đạt." in text
    assert any(t.startswith("Hội đồng thống nhất đề nghị Giám đốc Sở") and "01 tập thể và 01 cá nhân" in t
               for t in text)
    assert any(t.startswith("Phiên họp kết thúc vào lúc ") for t in text)
    # Signatures: the secretary (standing member) and the chair.
    signatures = text[text.index("THƯ KÝ"):]
    assert "Lê Văn Phúc" in signatures and "Nguyễn Văn Giám" in signatures
    # The secret ballot: no member's name shares a line with a choice.
    names = [demo.user(u).full_name for u in MEMBERS]
    for line in text + ["|".join(c.text for c in r.cells) for t in document.tables for r in t.rows]:
        if any(name in line for name in names):
            assert "đồng ý" not in line.lower() and "biểu quyết:" not in line.lower(), line
    assert not [c for c in CODES if c in joined]


def test_minutes_before_the_session_closes(db, demo, tmp_path):
    n = submitted(db, demo, tmp_path, "tp_hctp", title="Phòng HCTP – cải cách thủ tục hộ tịch", unit="HCTP")
    sec = demo.actor("vanphong")
    s = council.schedule(db, sec, title="Phiên họp", date=dt.date(2030, 5, 6), campaign_id=demo.campaign().id)
    council.set_agenda(db, sec, s.id, [n.id])
    db.commit()
    text = lines(open_docx(documents.minutes_docx(db, s)))
    assert "An Giang, ngày 06 tháng 5 năm 2030" in text
    assert "- Chưa có kết quả." in text and "Chưa có kết quả." in text
    assert "Danh sách đề nghị chưa được công khai để lấy ý kiến." in text
    assert "Thành viên chưa được điểm danh: 07 thành viên:" in text
    assert any("có mặt 0/7 thành viên (0%)" in t and "không đủ điều kiện" in t for t in text)
    assert "Phiên họp chưa kết thúc." in text
    assert not any(t.startswith("Bảng tổng hợp") for t in text)
    assert "Số:       /BB-HĐTĐKT" in text  # a draft: the number comes with the close


def test_minutes_are_numbered_per_council_and_year(db, demo, closed, tmp_path):
    """Issue 15, finding 5: the Biên bản carries its number in the council's register, which restarts each year
    (DOCUMENTS.md); the first close of the year is 1, the next 2, and the number is kept once given."""
    first = closed.session
    assert (first.minutes_year, first.minutes_seq) == (first.date.year, 1)
    sec, director = demo.actor("vanphong"), demo.actor("giamdoc")
    dates = [first.date + dt.timedelta(days=1), dt.date(first.date.year + 1, 1, 15)]
    numbers = []
    for day, person in zip(dates, ("Huỳnh Văn Đức", "Nguyễn Thị Lan"), strict=True):
        n = submitted(db, demo, tmp_path, "tp_pbgdpl", title=f"{person} – chuyên viên", person=person)
        s = council.schedule(db, sec, title="Phiên họp", date=day, campaign_id=demo.campaign().id)
        council.set_agenda(db, sec, s.id, [n.id])
        council.publish(db, sec, s.id)
        council.record_attendance(db, sec, s.id, [demo.user(u).id for u in MEMBERS])
        opened = dt.datetime.combine(day, dt.time(9), tzinfo=clock.TZ)  # held on the day it was scheduled for
        council.open_session(db, director, s.id, now=opened)
        for u in MEMBERS:  # the ballots in (the subject's unit head recused): the close is not refused for want
            if council.recusal_reason(demo.user(u), n) is None:
                council.cast_vote(db, demo.actor(u), s.id, nomination_id=n.id, choice="abstain")
        council.close_session(db, director, s.id, now=opened + dt.timedelta(hours=2))
        numbers.append((s.minutes_year, s.minutes_seq))
        assert f"Số: {s.minutes_seq}/BB-HĐTĐKT" in lines(open_docx(documents.minutes_docx(db, s)))
    assert numbers == [(first.date.year, 2), (first.date.year + 1, 1)]
