"""A council member votes from a phone (390×844) in a real browser: the session is prepared through the services
against the live server's database (two submitted dossiers, published, attendance taken, opened by the director);
hoidong2 logs in, follows the dashboard card to the ballot sheet, chooses on each item, reviews the sheet, confirms
and submits it once; "Đã bỏ phiếu" appears, never the choice, and the sheet cannot be submitted again. Screenshots go
to artifacts/."""
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
    """Issue 14, finding 3: no tap casts a vote; the sheet is filled, reviewed, confirmed, and goes in once."""
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
    page.wait_for_load_state("load")  # the stylesheets applied before anything is measured
    expect(page.get_by_test_id("progress")).to_contain_text("Có mặt 7/7")
    item = page.locator(f"#muc-{a}")
    agree = item.get_by_text("Đồng ý", exact=True)
    expect(agree).to_be_visible()
    box = agree.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # a large target for a thumb
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    shot("02_sheet")

    # A tap chooses, it does not vote: the item is still waiting and nothing is marked voted.
    agree.click()
    expect(item.locator(f"#choice-{a}-agree")).to_be_checked()
    expect(page.get_by_test_id("voted")).to_have_count(0)
    # Reviewing with an item left out: the browser keeps the member on the sheet (every item is required).
    page.get_by_role("button", name="Xem lại phiếu").click()
    assert re.search(rf"/council/sessions/{sid}/vote$", page.url)
    expect(page.get_by_test_id("review")).to_have_count(0)
    page.locator(f"#muc-{b}").get_by_text("Không ý kiến", exact=True).click()
    shot("03_filled")

    page.get_by_role("button", name="Xem lại phiếu").click()
    review = page.get_by_test_id("review")
    expect(review.locator(f"[data-review-item='{a}']")).to_contain_text("Đồng ý")
    expect(review.locator(f"[data-review-item='{b}']")).to_contain_text("Không ý kiến")
    expect(page.get_by_test_id("voted")).to_have_count(0)  # still nothing written
    shot("04_review")

    review.get_by_label("Tôi đã xem lại và xác nhận nộp phiếu biểu quyết.").check()
    review.get_by_role("button", name="Nộp phiếu").click()
    expect(page.get_by_role("alert").filter(has_text="Đã nộp phiếu biểu quyết (2 hồ sơ)")).to_be_visible()
    expect(page.get_by_test_id("submitted")).to_be_visible()
    expect(page.get_by_test_id("voted")).to_have_count(2)
    for nid in (a, b):
        text = page.locator(f"#muc-{nid}").inner_text()
        assert "Không đồng ý" not in text and "Không ý kiến" not in text  # the choice is not shown back
    # The sheet cannot be submitted again: no sheet, no review, no button to vote.
    expect(page.get_by_test_id("sheet")).to_have_count(0)
    expect(page.get_by_role("button", name="Xem lại phiếu")).to_have_count(0)
    expect(page.get_by_role("button", name="Nộp phiếu")).to_have_count(0)
    shot("05_submitted")

    # Sending the reviewed sheet again (a double submit, with the page's CSRF token) is refused, and says why.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    resend = page.request.post(f"{live_server}/council/sessions/{sid}/ballot", max_redirects=0, form={
        "csrf_token": token, f"choice-{a}": "disagree", f"choice-{b}": "disagree", "confirm": "yes"})
    assert resend.status == 409 and "đã nộp phiếu" in resend.text()
    page.reload()
    expect(page.get_by_test_id("voted")).to_have_count(2)
