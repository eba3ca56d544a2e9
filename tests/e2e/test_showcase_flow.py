"""bientap writes and publishes a story about a recognised example in a real browser, then an anonymous visitor
finds it on the public showcase, with its script stripped. The example (Phòng Hành chính tư pháp, cơ sở) is
recognised through the services against the live server's database. Screenshots go to artifacts/."""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import DEMO_PASSWORD, Demo  # tests/conftest.py, importable as `conftest` under pytest

from models import make_session_factory
from workflow import clock, council, decisions, rules, service

SHOT_PREFIX = "showcase"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MEMBERS = ["giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"]

pytestmark = pytest.mark.browser


@pytest.fixture
def recognised(live_server, tmp_path):
    today = clock.today()
    with make_session_factory(live_server.engine)() as db:
        demo = Demo(db)
        head = demo.actor("tp_hctp")
        n = service.create_nomination(db, head, campaign_id=demo.campaign().id, subject_type="collective",
                                      unit_id=demo.unit("HCTP").id, title="Phòng Hành chính tư pháp",
                                      achievements="Giải quyết 100% hồ sơ hộ tịch đúng hạn.")
        n = service.transition(db, head, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch bồi dưỡng")
        answers = {c.code: {"met": True, "evidence": "Có minh chứng"}
                   for c in rules.criteria_for("collective", "annual")}
        n = service.update_nomination(db, head, n.id, n.version, criteria=answers)
        service.add_attachment(db, head, n.id, kind="achievement_report", filename="bao-cao.pdf", data=PDF,
                               storage_root=tmp_path)
        n = service.transition(db, head, n.id, "submit", n.version)
        council.council_for_department(db, demo.unit("STP").id).publicity_working_days = 0
        sec, director = demo.actor("vanphong"), demo.actor("giamdoc")
        s = council.schedule(db, sec, title="Phiên họp bình xét", date=today + dt.timedelta(days=7),
                             campaign_id=demo.campaign().id)
        council.set_agenda(db, sec, s.id, [n.id])
        council.publish(db, sec, s.id)
        council.record_attendance(db, sec, s.id, [demo.user(u).id for u in MEMBERS])
        council.open_session(db, director, s.id)
        for u in MEMBERS:
            council.cast_vote(db, demo.actor(u), s.id, nomination_id=n.id, choice="agree")
        council.close_session(db, director, s.id)
        decisions.issue(db, director, level="co_so", number=7, date=today, nomination_ids=[n.id])
        db.commit()
        return n.id


def test_editor_publishes_and_the_public_sees_it(page, shot, live_server, recognised):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập").fill("bientap")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{live_server}/stories")
    expect(page.get_by_test_id("empty")).to_be_visible()
    page.get_by_role("link", name="Viết bài").click()
    page.get_by_label("Điển hình được giới thiệu").select_option(str(recognised))
    page.get_by_label("Tiêu đề").fill("Phòng Hành chính tư pháp — tấm gương cải cách thủ tục")
    page.get_by_label("Nội dung (HTML)").fill('<p>Giải quyết <strong>100%</strong> hồ sơ đúng hạn.</p>'
                                              '<script>document.title="HACKED"</script>')
    page.get_by_label("Kênh đăng").select_option("bulletin")
    shot("01_form")
    page.get_by_role("button", name="Lưu bản nháp").click()
    expect(page.get_by_test_id("story-state")).to_contain_text("Bản nháp")
    expect(page.get_by_test_id("preview").locator("strong")).to_have_text("100%")
    page.get_by_label("Tôi đã xem trước và xác nhận xuất bản").check()
    page.get_by_role("button", name="Xuất bản").click()
    expect(page.get_by_test_id("story-state")).to_contain_text("Đã xuất bản")
    shot("02_published")

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Đăng xuất").click()
    page.goto(f"{live_server}/showcase")
    expect(page.get_by_test_id("examples")).to_contain_text("7/QĐ-STP")
    page.get_by_role("link", name="Phòng Hành chính tư pháp — tấm gương cải cách thủ tục").click()
    expect(page.get_by_test_id("story").locator("strong")).to_have_text("100%")
    assert page.title() != "HACKED"
    assert page.locator("script", has_text="HACKED").count() == 0
    shot("03_public")
