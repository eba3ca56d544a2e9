"""The whole life of an example in a real browser (issue 14, "Done when"): on a database seeded as `seed-demo` seeds
it (the base demo and the living department) with no setting changed, the accounts of CONTRACT.md walk one new
dossier through the pages: register, nurture, submit, accept, publicity, ballot sheets on a phone, close, decision,
Tờ trình, Ministry, story, showcase.

No shortcut around a rule: the council's publicity period stays the decree's default (10 working days). The served
app reads the time through `workflow.clock` like everything else; this module's server wraps each request in
`clock.travel(...)` (the clock is a ContextVar, so it must be set inside the request's own thread), and the test moves
that instant forward between steps (`walk.travel`) as the days of a real month pass: the dossier is registered and
its list published on DAY, the session meets on the first working day after the period has run. The living demo is
seeded on its own SQLite file, the way `tests/administration/test_living_demo.py` seeds it (a fixed late-year
working day); its ready session (the README's tour) is left alone: this walk schedules a session of its own.
Screenshots of every step go to artifacts/ (prefix `whole_life`)."""
from __future__ import annotations

import contextlib
import datetime as dt
import re
import socket
import threading
from dataclasses import dataclass

import pytest
from conftest import ARTIFACTS, DEMO_PASSWORD, Demo  # tests/conftest.py, importable as `conftest` under pytest
from samples import PDF

from models import Base, make_engine, make_session_factory
from notifications import outbox
from workflow import clock, workdays
from workflow.administration import demo as demo_data
from workflow.administration import demo_living
from workflow.council import ballots
from workflow.council import operations as council

SHOT_PREFIX = "whole_life"
TITLE = "Phòng Phổ biến, giáo dục pháp luật – “Ngày pháp luật” ở trường học"
SESSION_TITLE = "Phiên họp bình xét điển hình tiên tiến (đợt 3)"
STORY_TITLE = "Phòng Phổ biến, giáo dục pháp luật: đưa “Ngày pháp luật” vào từng trường học"
MINISTRY_NUMBER = "215/QĐ-BTP"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
OFFICE = {"viewport": {"width": 1366, "height": 768}}
at = demo_living.at

# A fixed late-year working day of the current year, as test_living_demo picks it: the whole walk (about three weeks
# of the calendar) stays inside the current campaign's year.
DAY = clock.today().replace(month=11, day=24)
while DAY.weekday() >= 5:
    DAY += dt.timedelta(days=1)

pytestmark = pytest.mark.browser


class Clocked:
    """WSGI middleware: each request runs at `now` (the walk's day), in the request's own thread."""

    def __init__(self, wsgi_app, now: dt.datetime):
        self.wsgi_app, self.now = wsgi_app, now

    def __call__(self, environ, start_response):
        with clock.travel(self.now):
            body = self.wsgi_app(environ, start_response)
            try:
                return list(body)  # the body is made inside the moved clock too
            finally:
                if hasattr(body, "close"):
                    body.close()


@dataclass
class Walk:
    """The served walk: its URL, the clock its requests read, and the days the test has worked out."""

    url: str
    clocked: Clocked
    campaign: int  # the current annual campaign of STP
    publicity_end: dt.date  # the last of the period's working days, counted from DAY
    meeting: dt.date  # the first working day after it

    def travel(self, instant: dt.datetime) -> None:
        self.clocked.now = instant


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    """The app served on a free loopback port, on a SQLite file seeded like `seed-demo` on DAY."""
    from werkzeug.serving import make_server

    from web import create_app

    saved_ballots, saved_outbox = dict(ballots._STATE), dict(outbox.SETTINGS)  # create_app sets them process-wide
    path = tmp_path_factory.mktemp("whole_life") / "live.db"
    eng = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(eng)
    app = create_app({"ENGINE": eng, "SECRET_KEY": "walk", "RATELIMIT_ENABLED": False,
                      "BALLOT_KEY": "whole-life-ballot-key"})
    with clock.travel(at(DAY, 7)), make_session_factory(eng)() as s:
        demo_data.seed(s, DEMO_PASSWORD)
        made = demo_living.seed_living(s)
        assert made.notes == [], made.notes
        s.flush()
        demo = Demo(s)
        campaign = demo.campaign().id
        # The period is the council's own setting, left at its default; the meeting is the first working day after.
        c = council.council_for_department(s, demo.unit("STP").id)
        assert c.publicity_working_days == 10
        cal = workdays.load_calendar(s, (DAY.year, DAY.year + 1))
        publicity_end = cal.add_working_days(DAY, c.publicity_working_days)
        meeting = publicity_end + dt.timedelta(days=1)
        while not cal.is_working_day(meeting):
            meeting += dt.timedelta(days=1)
        s.commit()
    clocked = Clocked(app.wsgi_app, at(DAY, 8))
    app.wsgi_app = clocked
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Walk(f"http://127.0.0.1:{port}", clocked, campaign, publicity_end, meeting)
    server.shutdown()
    eng.dispose()
    ballots._STATE.clear()
    ballots._STATE.update(saved_ballots)
    outbox.SETTINGS.clear()
    outbox.SETTINGS.update(saved_outbox)


@pytest.fixture
def as_user(browser, walk):
    """`with as_user("vanphong") as page:` a fresh browser context logged in as that account (office PC unless
    `phone=True`); the context is closed after the block."""
    @contextlib.contextmanager
    def open_as(username: str, *, phone: bool = False):
        from playwright.sync_api import expect

        context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **(PHONE if phone else OFFICE))
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            page.goto(f"{walk.url}/login")
            page.get_by_label("Tên đăng nhập").fill(username)
            page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            expect(page.get_by_role("heading", name="Việc cần làm")).to_be_visible()
            yield page
        finally:
            context.close()

    return open_as


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{SHOT_PREFIX}_{name}.png"), full_page=True)


def test_the_whole_life_of_an_example(browser, walk, as_user):
    from playwright.sync_api import expect

    # ---------------------------------------------------------------- 1. the unit head registers, nurtures, submits
    walk.travel(at(DAY, 8))
    with as_user("tp_pbgdpl") as page:
        page.get_by_role("link", name="Đăng ký điển hình").first.click()
        page.get_by_label("Phong trào, đợt thi đua").select_option(str(walk.campaign))
        page.get_by_label("Tập thể", exact=True).check()
        page.get_by_label("Tập thể được đề nghị").select_option(label="Phòng Phổ biến, giáo dục pháp luật")
        page.get_by_label("Tên hồ sơ điển hình").fill(TITLE)
        page.get_by_label("Thành tích nổi bật").fill("Đưa “Ngày pháp luật” vào 48 trường học; 12.000 lượt học sinh.")
        shot(page, "01_register")
        page.get_by_role("button", name="Đăng ký", exact=True).click()
        expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
        expect(page.locator("[aria-current=step]")).to_contain_text("Đã đăng ký")
        nomination_url = page.url
        nid = int(nomination_url.rstrip("/").rsplit("/", 1)[1])

        card = page.locator("[data-action=start_nurturing]")
        card.get_by_label("Kế hoạch bồi dưỡng").fill("Dự giờ tiết “Ngày pháp luật”; kiểm tra số liệu hằng quý.")
        card.get_by_role("button", name="Bắt đầu bồi dưỡng").click()
        expect(page.locator("[aria-current=step]")).to_contain_text("Đang bồi dưỡng")

        page.get_by_role("link", name="Chỉnh sửa hồ sơ").click()
        expect(page.get_by_role("button", name="Lưu hồ sơ")).to_be_visible()
        assert page.get_by_role("radiogroup").count() >= 3  # the plan's criteria for a collective
        for group in page.get_by_role("radiogroup").all():
            group.get_by_label("Đạt", exact=True).check()
        for evidence in page.get_by_label("Minh chứng, giải trình").all():
            evidence.fill("Báo cáo thành tích, mục II.")
        shot(page, "02_criteria")
        page.get_by_role("button", name="Lưu hồ sơ").click()
        expect(page.get_by_role("heading", name=TITLE)).to_be_visible()

        page.get_by_label("Loại tài liệu").select_option(label="Báo cáo thành tích")
        page.get_by_label(re.compile(r"^Tệp\b")).set_input_files(
            {"name": "bao-cao-thanh-tich.pdf", "mimeType": "application/pdf", "buffer": PDF})
        page.get_by_role("button", name="Tải lên").click()
        expect(page.get_by_role("link", name="bao-cao-thanh-tich.pdf")).to_be_visible()

        submit = page.locator("[data-action=submit]")
        submit.get_by_label("Tôi xác nhận thực hiện “Trình Hội đồng xét” đối với hồ sơ này.").check()
        submit.get_by_role("button", name="Trình Hội đồng xét").click()
        expect(page.locator("[aria-current=step]")).to_contain_text("Chờ Hội đồng xét")
        expect(page.get_by_test_id("not-accepted")).to_be_visible()
        shot(page, "03_submitted")

    # ---------------------------------------------------------------- 2. the secretariat accepts it
    walk.travel(at(DAY, 10))
    with as_user("vanphong") as page:
        page.goto(nomination_url)
        accept = page.locator("[data-action=accept]")
        expect(accept.get_by_test_id("checklist")).not_to_contain_text("Chưa đạt")
        accept.get_by_role("button", name="Tiếp nhận hồ sơ").click()
        expect(page.get_by_test_id("accepted")).to_contain_text("Văn phòng Sở đã tiếp nhận hồ sơ")
        shot(page, "04_accepted")

    # ---------------------------------------------------------------- 3. a session with it on the agenda, published
        page.goto(f"{walk.url}/council/sessions/new")
        page.get_by_label("Tiêu đề phiên họp").fill(SESSION_TITLE)
        page.get_by_label("Ngày họp").fill(f"{walk.meeting:%d/%m/%Y}")  # as the form shows it
        page.get_by_label("Giờ họp").fill("08:00")
        page.get_by_label("Phong trào, đợt thi đua").select_option(str(walk.campaign))
        page.get_by_label("Địa điểm").fill("Phòng họp Sở Tư pháp")
        page.get_by_role("button", name="Lên lịch").click()
        expect(page.get_by_role("heading", name=SESSION_TITLE)).to_be_visible()
        expect(page.get_by_test_id("session-date")).to_contain_text(f"{walk.meeting:%d/%m/%Y}, lúc 08:00")
        session_url = page.url
        page.get_by_label(TITLE).check()
        page.get_by_role("button", name="Lưu chương trình").click()
        expect(page.get_by_role("alert").filter(has_text="Đã lập chương trình phiên họp: 1 hồ sơ.")).to_be_visible()
        expect(page.get_by_role("link", name=TITLE)).to_be_visible()
        page.get_by_label("Tôi xác nhận công khai danh sách.").check()
        page.get_by_role("button", name="Công khai danh sách").click()
        # The decree's 10 working days from DAY, to the end of their last day.
        expect(page.get_by_test_id("publicity")).to_contain_text(f"đến {walk.publicity_end:%d/%m/%Y} 23:59")
        shot(page, "05_published")

    walk.travel(at(DAY, 14))
    with as_user("canbo1") as page:
        # Staff are told the list is open, and the notice leads to it.
        page.get_by_role("link", name=re.compile(r"^Thông báo")).click()
        page.get_by_role("link", name=f"Công khai danh sách lấy ý kiến: {SESSION_TITLE}").click()
        assert page.url.split("#")[0].split("?")[0] == session_url
        page.get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
        expect(page.get_by_text("Đưa “Ngày pháp luật” vào 48 trường học")).to_be_visible()
        page.go_back()
        page.get_by_label("Góp ý về hồ sơ này").fill("Đề nghị nêu rõ số trường học ở vùng sâu, vùng xa.")
        page.get_by_role("button", name="Gửi góp ý").click()
        expect(page.get_by_role("alert").filter(has_text="Đã gửi góp ý")).to_be_visible()
        shot(page, "06_comment")

    # ---------------------------------------------------------------- 4. the meeting, on the first day it may open
    sid = int(session_url.rstrip("/").rsplit("/", 1)[1])
    walk.travel(at(walk.meeting, 8))
    with as_user("vanphong") as page:
        page.goto(session_url)
        for member in page.get_by_role("group", name="Đánh dấu thành viên có mặt").get_by_role("checkbox").all():
            member.check()
        page.get_by_role("button", name="Lưu điểm danh").click()
        expect(page.get_by_role("alert").filter(has_text="Đã ghi nhận điểm danh: 7 thành viên có mặt.")).to_be_visible()
        shot(page, "07_attendance")

    walk.travel(at(walk.meeting, 8, 30))
    with as_user("giamdoc") as page:
        page.goto(session_url)
        page.get_by_label("Tôi xác nhận khai mạc phiên họp.").check()
        page.get_by_role("button", name="Khai mạc phiên họp").click()
        expect(page.locator("[aria-current=step]")).to_contain_text("Họp, biểu quyết")
        shot(page, "08_opened")

    # Each member on a phone: the dashboard leads to the sheet; a tap only chooses; the sheet is reviewed, confirmed
    # and submitted once. hoidong1 belongs to PBGDPL: recused, with no sheet to fill.
    for number, member in enumerate(demo_living.MEMBERS, start=1):
        walk.travel(at(walk.meeting, 9, 5 * number))
        with as_user(member, phone=True) as page:
            if member == "hoidong1":
                page.goto(f"{walk.url}/council/sessions/{sid}/vote")
                expect(page.locator(f"#muc-{nid}").get_by_test_id("recused")).to_be_visible()
                expect(page.get_by_test_id("sheet")).to_have_count(0)
                shot(page, f"09_{number}_{member}_recused")
                continue
            page.locator("[data-card=council_vote]").get_by_role("link", name="Mở").click()
            assert page.url.endswith(f"/council/sessions/{sid}/vote")
            expect(page.get_by_test_id("progress")).to_contain_text("Có mặt 7/7")
            page.wait_for_load_state("load")  # the stylesheets applied before the width is measured
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
            page.locator(f"#muc-{nid}").get_by_text("Đồng ý", exact=True).click()
            expect(page.get_by_test_id("voted")).to_have_count(0)  # a tap chooses; nothing is cast yet
            page.get_by_role("button", name="Xem lại phiếu").click()
            review = page.get_by_test_id("review")
            expect(review.locator(f"[data-review-item='{nid}']")).to_contain_text("Đồng ý")
            review.get_by_label("Tôi đã xem lại và xác nhận nộp phiếu biểu quyết.").check()
            shot(page, f"09_{number}_{member}_review")
            review.get_by_role("button", name="Nộp phiếu").click()
            expect(page.get_by_role("alert").filter(has_text="Đã nộp phiếu biểu quyết (1 hồ sơ)")).to_be_visible()
            expect(page.locator(f"#muc-{nid}").get_by_test_id("voted")).to_have_text("✓ Đã bỏ phiếu")
            expect(page.get_by_role("button", name="Nộp phiếu")).to_have_count(0)  # once
            shot(page, f"09_{number}_{member}_submitted")

    walk.travel(at(walk.meeting, 10, 30))
    with as_user("giamdoc") as page:
        page.goto(session_url)
        expect(page.get_by_text("Đề nghị nêu rõ số trường học ở vùng sâu, vùng xa.")).to_be_visible()  # staff's word
        page.get_by_label("Tôi xác nhận kết thúc phiên họp.").check()
        # Every present member who may vote has submitted: no second confirmation is asked.
        expect(page.get_by_test_id("ballots-in")).to_contain_text(
            "Đã nộp phiếu: 6/7 thành viên có mặt (1 thành viên không tham gia biểu quyết hồ sơ nào)")
        expect(page.get_by_label(re.compile("chưa bỏ phiếu"))).to_have_count(0)
        shot(page, "10_before_close")
        page.get_by_role("button", name="Kết thúc phiên họp").click()
        result = page.get_by_test_id("results").get_by_role("row").filter(has_text=TITLE)
        expect(result).to_contain_text("100%")  # six agreeing of the six entitled
        expect(result).to_contain_text("Đạt")
        shot(page, "11_closed")

    # ---------------------------------------------------------------- 5. decision, Tờ trình, Ministry, story, showcase
        walk.travel(at(walk.meeting, 14))
        page.goto(session_url)
        page.get_by_role("link", name="Ban hành quyết định công nhận").first.click()
        page.get_by_label(TITLE).check()
        decision_number = page.get_by_label("Số quyết định").input_value() + "/QĐ-STP"
        expect(page.get_by_label("Ngày ký")).not_to_have_value("")
        page.get_by_label("Tôi xác nhận ký quyết định công nhận các hồ sơ đã chọn.").check()
        shot(page, "12_decision")
        page.get_by_role("button", name="Ký quyết định").click()
        expect(page.get_by_text(decision_number).first).to_be_visible()
        page.goto(nomination_url)
        expect(page.locator("[aria-current=step]")).to_contain_text("Điển hình cấp cơ sở")
        expect(page.get_by_test_id("certificate-link")).to_be_visible()
        shot(page, "13_recognised_co_so")

    walk.travel(at(walk.meeting, 16))
    with as_user("tp_pbgdpl") as page:
        # The unit head was told when its dossier went public and of the council's result.
        page.get_by_role("link", name=re.compile(r"^Thông báo")).click()
        notices = page.locator("main")
        listed = f"Hồ sơ của đơn vị được công khai lấy ý kiến: {SESSION_TITLE}"
        expect(notices.get_by_role("link", name=listed)).to_be_visible()
        expect(notices.get_by_role("link", name=f"Kết quả bình xét: {TITLE}")).to_be_visible()
        shot(page, "13b_unit_head_notified")

    proposal_day = walk.meeting + dt.timedelta(days=1)
    while proposal_day.weekday() >= 5:
        proposal_day += dt.timedelta(days=1)
    walk.travel(at(proposal_day, 9))
    with as_user("vanphong") as page:
        page.get_by_role("link", name="Tờ trình").first.click()
        page.get_by_role("link", name="Lập tờ trình").click()
        page.locator(f"#muc-{nid}").get_by_role("checkbox").check()
        shot(page, "14_proposal_draft")
        page.get_by_role("button", name="Lập dự thảo tờ trình").click()
        expect(page.locator(f"#muc-{nid}")).to_be_visible()
        proposal_url = page.url

    walk.travel(at(proposal_day, 15))
    with as_user("giamdoc") as page:
        # The director is told a Tờ trình awaits the signature, and the notice leads to it.
        page.get_by_role("link", name=re.compile(r"^Thông báo")).click()
        page.get_by_role("link", name=re.compile(r"^Tờ trình chờ ký: ")).first.click()
        assert page.url.split("#")[0] == proposal_url
        proposal_number = page.get_by_label("Số tờ trình").input_value() + "/TTr-STP"
        page.get_by_label("Tôi xác nhận ký và gửi tờ trình đến Bộ Tư pháp.").check()
        page.get_by_role("button", name="Ký và trình Bộ").click()
        expect(page.get_by_test_id("locked")).to_be_visible()
        shot(page, "15_proposal_signed")

    ministry_day = proposal_day + dt.timedelta(days=1)
    while ministry_day.weekday() >= 5:
        ministry_day += dt.timedelta(days=1)
    walk.travel(at(ministry_day, 10))
    with as_user("botp") as page:
        page.get_by_role("link", name="Bộ Tư pháp xét").first.click()
        page.get_by_role("link", name=proposal_number).click()
        item = page.locator(f"#muc-{nid}")
        item.get_by_role("checkbox").check()
        page.get_by_label("Số quyết định").fill(MINISTRY_NUMBER)
        page.get_by_label("Ngày quyết định").fill(ministry_day.strftime("%d/%m/%Y"))
        page.get_by_label("Tôi xác nhận ghi nhận quyết định công nhận").check()
        page.get_by_role("button", name="Công nhận", exact=True).click()
        expect(page.locator(f"#muc-{nid}").get_by_test_id("outcome")).to_have_text("Điển hình ngành Tư pháp")
        shot(page, "16_ministry")

    walk.travel(at(ministry_day, 15))
    with as_user("bientap") as page:
        # The editor is told the example was recognised (at cơ sở, then at ngành).
        page.get_by_role("link", name=re.compile(r"^Thông báo")).click()
        expect(page.get_by_role("link", name=re.compile(rf"mới được công nhận: {re.escape(TITLE)}$"))).to_have_count(2)
        shot(page, "17_editor_notified")
        page.goto(f"{walk.url}/stories")
        page.get_by_role("link", name="Viết bài").click()
        page.get_by_label("Điển hình được giới thiệu").select_option(str(nid))
        page.get_by_role("textbox", name="Tiêu đề").fill(STORY_TITLE)
        expect(page.locator("textarea[name=body]")).to_be_hidden()  # the editor has replaced the textarea
        editor = page.get_by_role("textbox", name="Nội dung", exact=True)
        editor.click()
        page.keyboard.type("48 trường học, 12.000 lượt học sinh: ")
        page.get_by_role("button", name="In đậm").click()
        page.keyboard.type("“Ngày pháp luật”")
        page.get_by_role("button", name="In đậm").click()
        page.keyboard.type(" thành nếp sinh hoạt của nhà trường.")
        shot(page, "17b_story_form")
        page.get_by_role("button", name="Lưu bản nháp").click()
        expect(page.get_by_test_id("story-state")).to_contain_text("Bản nháp")
        page.get_by_label("Tôi đã xem trước và xác nhận xuất bản").check()
        page.get_by_role("button", name="Xuất bản").click()
        expect(page.get_by_test_id("story-state")).to_contain_text("Đã xuất bản")
        shot(page, "18_story_published")

    # The public, logged out: the showcase lists the example with both decisions, and its story.
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **OFFICE)
    try:
        page = context.new_page()
        page.goto(f"{walk.url}/showcase")
        examples = page.get_by_test_id("examples")
        row = examples.get_by_role("row").filter(has_text=TITLE)
        expect(row).to_contain_text("Điển hình ngành Tư pháp")
        expect(row).to_contain_text(MINISTRY_NUMBER)
        expect(page.get_by_test_id("stories").get_by_role("link", name=STORY_TITLE)).to_be_visible()
        shot(page, "19_showcase")
        page.get_by_test_id("stories").get_by_role("link", name=STORY_TITLE).click()
        expect(page.get_by_test_id("story").locator("strong")).to_have_text("“Ngày pháp luật”")
        shot(page, "20_story_public")
    finally:
        context.close()
