"""A unit head's real path in a real browser: log in, register a collective nomination for PBGDPL, start
nurturing it with a plan, and find it waiting on the "Việc cần làm" dashboard. Screenshots go to artifacts/."""
from __future__ import annotations

import re

import pytest
from conftest import DEMO_PASSWORD  # tests/conftest.py, importable as `conftest` under pytest

SHOT_PREFIX = "unit_head"
TITLE = "Phòng PBGDPL — điển hình trong phổ biến, giáo dục pháp luật"

pytestmark = pytest.mark.browser


def test_unit_head_registers_nurtures_and_sees_it_waiting(page, shot, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập").fill("tp_pbgdpl")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    shot("01_login")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Việc cần làm")).to_be_visible()
    expect(page.locator("header")).to_contain_text("Võ Minh Tuấn")
    shot("02_dashboard_before")

    page.get_by_role("link", name="Đăng ký điển hình").first.click()
    expect(page.get_by_role("heading", name="Đăng ký điển hình")).to_be_visible()
    campaign = page.locator("#f-campaign_id option").nth(1).get_attribute("value")
    page.select_option("#f-campaign_id", campaign)
    page.get_by_label("Tập thể", exact=True).check()
    expect(page.locator("#f-person_id")).to_be_hidden()  # the person select is for individuals only
    page.select_option("#f-unit_id", label="Phòng Phổ biến, giáo dục pháp luật")
    page.get_by_label("Tên hồ sơ điển hình").fill(TITLE)
    page.get_by_label("Thành tích nổi bật").fill("Tổ chức 120 hội nghị phổ biến pháp luật cho 9.000 lượt người.")
    shot("03_register_form")
    page.get_by_role("button", name="Đăng ký", exact=True).click()

    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.locator("[aria-current=step]")).to_contain_text("Đã đăng ký")
    shot("04_registered")
    card = page.locator("[data-action=start_nurturing]")
    card.get_by_label("Kế hoạch bồi dưỡng").fill("Hỗ trợ xây dựng mô hình “Ngày pháp luật”; kiểm tra hằng quý.")
    card.get_by_role("button", name="Bắt đầu bồi dưỡng").click()
    expect(page.locator("[aria-current=step]")).to_contain_text("Đang bồi dưỡng")
    expect(page.get_by_role("alert").filter(has_text="Đã thực hiện")).to_be_visible()
    shot("05_nurtured")

    page.get_by_role("link", name="Việc cần làm").first.click()
    waiting = page.locator("[data-card=to_submit]")
    expect(waiting.get_by_test_id("count")).to_have_text("1")
    expect(waiting.get_by_role("link", name=TITLE)).to_be_visible()
    shot("06_dashboard_after")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.reload()
    expect(waiting.get_by_role("link", name=TITLE)).to_be_visible()
    shot("07_dashboard_phone")
    waiting.get_by_role("link", name=TITLE).click()
    assert re.search(r"/nominations/\d+$", page.url)
