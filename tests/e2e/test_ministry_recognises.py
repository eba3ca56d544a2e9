"""The Ministry's reviewer records the Minister's decision in a real browser (1366×768, the office PC): a cơ sở
example of STP is proposed through the services against the live server's database (council, the director's
decision, the secretariat's draft, the director's signed Tờ trình); botp logs in, opens "Bộ Tư pháp — Xét công nhận",
opens the proposal, ticks the item, types the decision's number and date, confirms and sees "Điển hình ngành Tư
pháp". Screenshots go to artifacts/."""
from __future__ import annotations

import re

import pytest
from conftest import DEMO_PASSWORD, Demo  # tests/conftest.py, importable as `conftest` under pytest
from e2e_examples import recognise_co_so

from models import make_session_factory
from workflow import clock
from workflow.proposals import operations as proposals

SHOT_PREFIX = "ministry_recognises"

pytestmark = pytest.mark.browser


@pytest.fixture
def proposed(live_server, tmp_path):
    """A proposed_nganh item in a submitted Tờ trình of STP, prepared through the services."""
    with make_session_factory(live_server.engine)() as db:
        demo = Demo(db)
        n = recognise_co_so(db, demo, tmp_path, decision_number=1)
        sec, director = demo.actor("vanphong"), demo.actor("giamdoc")
        p = proposals.create(db, sec, nomination_ids=[n.id])
        proposals.submit(db, director, p.id, number=46, date=clock.today())
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
    page.get_by_label("Ngày quyết định").fill(clock.today().strftime("%d/%m/%Y"))
    page.get_by_label("Tôi xác nhận ghi nhận quyết định công nhận").check()
    shot("03_filled")

    page.get_by_role("button", name="Công nhận", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="Quyết định số 100/QĐ-BTP")).to_be_visible()
    expect(page.locator(f"#muc-{nid}").get_by_test_id("outcome")).to_have_text("Điển hình ngành Tư pháp")
    expect(page.locator(f"#muc-{nid}")).to_contain_text("100/QĐ-BTP")
    shot("04_recognised")
