"""The inspector (thanhtra) reviews the audit trail in a real browser: a failed login of tp_pbgdpl and an update of
her nomination are on the trail; thanhtra checks the chain ("Kiểm tra lại"), filters by actor, opens the update's
detail with its before/after and sees the chain's status there. Screenshots go to artifacts/."""
from __future__ import annotations

import pytest
from conftest import DEMO_PASSWORD, Demo  # tests/conftest.py, importable as `conftest` under pytest

from models import make_session_factory
from workflow.context import Context
from workflow.nominations import service

SHOT_PREFIX = "audit_page"

pytestmark = pytest.mark.browser


def _prepare(live_server) -> None:
    with make_session_factory(live_server.engine)() as db:
        demo = Demo(db)
        tp = demo.actor("tp_pbgdpl")
        ctx = Context(ip="10.20.30.40", user_agent="Trình duyệt văn phòng", via="web")
        n = service.create_nomination(db, tp, campaign_id=demo.campaign().id, subject_type="collective",
                                      unit_id=demo.unit("PBGDPL").id, title="Tên ban đầu", context=ctx)
        service.update_nomination(db, tp, n.id, n.version, title="Tên sau khi sửa", context=ctx)
        db.commit()


def _login(page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_inspector_filters_by_actor_opens_a_detail_and_sees_the_chain_status(page, shot, live_server):
    from playwright.sync_api import expect

    _prepare(live_server)
    _login(page, live_server, "tp_pbgdpl", "mat-khau-sai")
    expect(page.get_by_role("alert").first).to_be_visible()  # the failed login's message
    _login(page, live_server, "thanhtra")
    expect(page.get_by_role("heading", name="Việc cần làm")).to_be_visible()

    page.goto(f"{live_server}/audit")
    expect(page.get_by_role("heading", name="Nhật ký hệ thống")).to_be_visible()
    status = page.get_by_test_id("chain-status")
    expect(status).to_contain_text("chưa kiểm tra")
    status.get_by_role("button", name="Kiểm tra lại").click()
    expect(page.get_by_test_id("chain-status")).to_contain_text("Chuỗi nhật ký toàn vẹn — kiểm tra lúc")
    expect(page.get_by_test_id("checkpoint-age")).to_contain_text("Chưa có điểm kiểm tra đã ký nào")
    page.get_by_text("Kết quả theo từng chuỗi").click()  # one row per chain: the department's, the system's
    chains = page.get_by_test_id("chain-results").locator("tbody tr")
    expect(chains.filter(has_text="Sở Tư pháp tỉnh An Giang")).to_contain_text("Toàn vẹn")
    expect(chains.filter(has_text="Toàn hệ thống")).to_contain_text("Toàn vẹn")
    shot("01_checked")

    page.get_by_label("Người thực hiện").fill("tp_pbgdpl")
    page.get_by_role("button", name="Lọc", exact=True).click()
    rows = page.get_by_test_id("audit-events").locator("tbody tr")
    expect(rows).to_have_count(3)  # the failed login, the registration and the update
    for i in range(3):
        expect(rows.nth(i).locator("td").nth(1)).to_contain_text("tp_pbgdpl")
    expect(rows.filter(has_text="Đăng nhập thất bại")).to_have_count(1)
    expect(page.get_by_test_id("total")).to_contain_text("Tổng số: 3 sự kiện")
    shot("02_filtered")

    rows.filter(has_text="Cập nhật hồ sơ").get_by_role("link", name="Chi tiết").click()
    expect(page.get_by_role("heading", name="Cập nhật hồ sơ")).to_be_visible()
    diff = page.get_by_test_id("diff")
    expect(diff).to_contain_text("Tên ban đầu")
    expect(diff).to_contain_text("Tên sau khi sửa")
    expect(page.get_by_test_id("event-fields")).to_contain_text("10.20.30.40")
    expect(page.get_by_test_id("chain-status")).to_contain_text("Chuỗi nhật ký toàn vẹn")
    shot("03_detail")
