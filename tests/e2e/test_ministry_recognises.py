"""The Ministry's reviewer records the Minister's decision in a real browser (1366×768, the office PC): a cơ sở
example of STP is proposed through the services against the live server's database (council, the director's
decision, the secretariat's draft, the director's signed Tờ trình); botp logs in, opens "Bộ Tư pháp — Xét công nhận",
opens the proposal, ticks the item, types the decision's number and date, confirms and sees "Điển hình ngành Tư
pháp". Screenshots go to artifacts/."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import DEMO_PASSWORD, Demo  # tests/conftest.py, importable as `conftest` under pytest

from models import make_session_factory
from workflow import council, decisions, proposals, rules, service

SHOT_PREFIX = "ministry_recognises"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MEMBERS = ["giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"]

pytestmark = pytest.mark.browser



@pytest.fixture
def proposed(live_server, tmp_path):
    """A proposed_nganh item in a submitted Tờ trình of STP, prepared through the services."""
    today = dt.date.today()
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
        decisions.issue(db, director, level="co_so", number=1, date=today, nomination_ids=[n.id])
        p = proposals.create(db, sec, nomination_ids=[n.id])
        proposals.submit(db, director, p.id, number=46, date=today)
        db.commit()
        return p.id, n.id





def test_ministry_reviewer_recognises_a_proposed_item(page, shot, live_server, proposed):
    from playwright.sync_api import expect

    pid, nid = proposed
    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập").fill("botp")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("[data-card=ministry_awaiting]").get_by_test_id("count")).to_have_text("1")
    shot("01_dashboard")

    page.get_by_role("link", name="Bộ Tư pháp xét").click()
    assert page.url.endswith("/ministry")
    expect(page.get_by_test_id("ministry-proposals")).to_contain_text("Sở Tư pháp tỉnh An Giang")
    shot("02_workspace")

    page.get_by_role("link", name="46/TTr-STP").click()
    assert re.search(rf"/ministry/proposals/{pid}$", page.url)
    item = page.locator(f"#muc-{nid}")
    expect(item).to_contain_text("Đã đề nghị cấp ngành")
    item.get_by_role("checkbox").check()
    page.get_by_label("Số quyết định").fill("100/QĐ-BTP")
    page.get_by_label("Ngày quyết định").fill(dt.date.today().strftime("%d/%m/%Y"))
    page.get_by_label("Tôi xác nhận ghi nhận quyết định công nhận").check()
    shot("03_filled")

    page.get_by_role("button", name="Công nhận", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="Quyết định số 100/QĐ-BTP")).to_be_visible()
    expect(page.locator(f"#muc-{nid}").get_by_test_id("outcome")).to_have_text("Điển hình ngành Tư pháp")
    expect(page.locator(f"#muc-{nid}")).to_contain_text("100/QĐ-BTP")
    shot("04_recognised")
