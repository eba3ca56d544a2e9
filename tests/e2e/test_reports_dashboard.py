"""The secretariat's statistics in a real browser: vanphong opens the dashboard, sees the charts (drawn as SVG, each
with its table of numbers) and the compliance table of the month, then records an introduction for a unit and sees
it marked "Đạt" with text, not colour alone. Screenshots go to artifacts/."""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import DEMO_PASSWORD  # tests/conftest.py, importable as `conftest` under pytest
from sqlalchemy import select

from models import Campaign, Nomination, StateChange, Unit, make_session_factory
from workflow import clock
from workflow.nominations.machine import stage_rank

SHOT_PREFIX = "reports"
pytestmark = pytest.mark.browser
PATH = ("registered", "nurtured", "submitted", "evaluated_co_so")


def _seed(engine) -> None:
    """Two nominations of STP (one a cơ sở example of PBGDPL) so the charts have bars."""
    with make_session_factory(engine)() as s:
        campaign = s.scalar(select(Campaign).where(Campaign.kind == "annual").order_by(Campaign.id))
        for code, path in (("PBGDPL", PATH), ("HCTP", PATH[:2])):
            unit = s.scalar(select(Unit).where(Unit.code == code))
            n = Nomination(campaign_id=campaign.id, department_id=unit.department_id, unit_id=unit.id,
                           subject_type="collective", subject_key=f"u:{unit.id}", title=f"Tập thể {unit.name}",
                           state=path[-1], furthest_stage=max(map(stage_rank, path)))
            s.add(n)
            s.flush()
            for i, state in enumerate(path, start=1):
                s.add(StateChange(nomination_id=n.id, version=i, action="step", to_state=state, data={}))
        s.commit()


def test_secretariat_sees_charts_and_records_an_introduction(page, shot, live_server):
    from playwright.sync_api import expect

    _seed(live_server.engine)
    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập").fill("vanphong")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Việc cần làm")).to_be_visible()

    page.goto(f"{live_server}/reports")
    expect(page.get_by_role("heading", name="Báo cáo, thống kê", exact=True)).to_be_visible()
    expect(page.get_by_test_id("total-count")).to_have_text("2")
    expect(page.get_by_role("img", name="Phễu từ đăng ký đến công nhận")).to_be_visible()
    expect(page.get_by_role("img", name="Số hồ sơ theo trạng thái")).to_be_visible()
    funnel = page.get_by_test_id("table-funnel")
    expect(funnel.get_by_role("row", name="Công nhận cấp cơ sở")).to_contain_text("1")
    compliance = page.get_by_test_id("compliance")
    expect(compliance.locator("tbody tr")).to_have_count(8)
    shot("01_dashboard")

    page.get_by_role("link", name="Giới thiệu điển hình hằng tháng").first.click()
    expect(page.get_by_role("heading", name="Giới thiệu điển hình hằng tháng")).to_be_visible()
    last_month = (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    page.goto(f"{live_server}/reports/monthly-introductions?month={last_month:%Y-%m}")
    page.select_option("#f-unit_id", label="Phòng Phổ biến, giáo dục pháp luật")
    page.select_option("#f-nomination_id", index=1)
    page.get_by_label("Ngày giới thiệu").fill(last_month.replace(day=5).strftime("%d/%m/%Y"))
    page.get_by_label("Hình thức giới thiệu").fill("Bản tin Tư pháp")
    page.get_by_role("button", name="Ghi nhận").click()
    expect(page.get_by_role("alert").filter(has_text="Đã ghi nhận")).to_be_visible()
    row = page.locator("[data-testid=compliance] tr[data-unit=PBGDPL]")
    expect(row).to_contain_text("Đạt")
    expect(row).to_contain_text("Bản tin Tư pháp")
    expect(page.locator("[data-testid=compliance] tr[data-unit=HCTP]")).to_contain_text("Không đạt")
    shot("02_introductions")
