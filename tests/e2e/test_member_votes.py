"""A council member votes from a phone (390×844) in a real browser: the session is prepared through the services
against the live server's database (two submitted dossiers, published, attendance taken, opened by the director);
hoidong2 logs in, follows the dashboard card to the voting screen, taps "Đồng ý" on one item and sees
"Đã bỏ phiếu" there, never the choice. Screenshots go to artifacts/."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import DEMO_PASSWORD, Demo  # tests/conftest.py, importable as `conftest` under pytest
from samples import PDF

from models import make_session_factory
from workflow.council import operations as council
from workflow.nominations import rules, service

SHOT_PREFIX = "member_votes"


@pytest.fixture
def browser_context_args() -> dict:
    """A council member's phone in the meeting room."""
    return {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


MEMBERS = ["giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"]

pytestmark = pytest.mark.browser


def _submitted(db, demo, storage, head: str, unit: str, title: str) -> int:
    actor = demo.actor(head)
    n = service.create_nomination(db, actor, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit(unit).id, title=title,
                                  achievements="Tổ chức 120 hội nghị phổ biến pháp luật cho 9.000 lượt người.")
    n = service.transition(db, actor, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch bồi dưỡng")
    answers = {c.code: {"met": True, "evidence": "Có minh chứng"} for c in rules.criteria_for("collective", "annual")}
    n = service.update_nomination(db, actor, n.id, n.version, criteria=answers)
    service.add_attachment(db, actor, n.id, kind="achievement_report", filename="bao-cao.pdf", data=PDF)
    return service.transition(db, actor, n.id, "submit", n.version).id


@pytest.fixture
def open_session(live_server, tmp_path):
    """An open session with two items on the live server's database, prepared through the services."""
    with make_session_factory(live_server.engine)() as db:
        demo = Demo(db)
        a = _submitted(db, demo, tmp_path, "tp_pbgdpl", "PBGDPL", "Phòng Phổ biến, giáo dục pháp luật")
        b = _submitted(db, demo, tmp_path, "tp_hctp", "HCTP", "Phòng Hành chính tư pháp")
        c = council.council_for_department(db, demo.unit("STP").id)
        c.publicity_working_days = 0
        sec = demo.actor("vanphong")
        s = council.schedule(db, sec, title="Phiên họp bình xét điển hình tiên tiến",
                             date=dt.date.today() + dt.timedelta(days=7), campaign_id=demo.campaign().id)
        council.set_agenda(db, sec, s.id, [a, b])
        council.publish(db, sec, s.id)
        council.record_attendance(db, sec, s.id, [demo.user(u).id for u in MEMBERS])
        council.open_session(db, demo.actor("giamdoc"), s.id)
        db.commit()
        return s.id, a, b


def test_member_votes_on_a_phone(page, shot, live_server, open_session):
    from playwright.sync_api import expect

    sid, a, b = open_session
    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập").fill("hoidong2")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    waiting = page.locator("[data-card=council_vote]")
    expect(waiting.get_by_test_id("count")).to_have_text("2")
    shot("01_dashboard")

    waiting.get_by_role("link", name="Mở").click()
    assert re.search(rf"/council/sessions/{sid}/vote$", page.url)
    expect(page.get_by_test_id("progress")).to_contain_text("Có mặt 7/7")
    item = page.locator(f"#muc-{a}")
    agree = item.get_by_role("button", name="Đồng ý", exact=True)
    expect(agree).to_be_visible()
    box = agree.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # a large target for a thumb
    shot("02_ballot")

    agree.click()
    expect(page.locator(f"#muc-{a}").get_by_test_id("voted")).to_have_text("✓ Đã bỏ phiếu")
    voted = page.locator(f"#muc-{a}")
    text = voted.inner_text()
    for word in ("Đồng ý", "Không đồng ý", "Không ý kiến"):
        assert word not in text
    assert voted.locator("button").count() == 0
    expect(page.get_by_role("alert").filter(has_text="Đã bỏ phiếu cho hồ sơ")).to_be_visible()
    expect(page.get_by_test_id("remaining")).to_contain_text("còn 1 hồ sơ")
    shot("03_voted")

    voted.get_by_role("link", name="Hồ sơ tiếp theo chưa biểu quyết").click()
    expect(page.locator(f"#muc-{b}").get_by_role("button", name="Không ý kiến")).to_be_visible()
    shot("04_next_item")
