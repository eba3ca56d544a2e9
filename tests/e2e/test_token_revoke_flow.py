"""canbo1 finds a script's API token under the user menu, revokes it after the confirmation page, and logs out from
the header; the cookie of that browser, replayed in a fresh one, no longer signs anyone in."""
from __future__ import annotations

import pytest
from conftest import DEMO_PASSWORD, open_user_menu  # tests/conftest.py, importable as `conftest` under pytest
from sqlalchemy import select

from models import ApiToken, User, make_session_factory
from workflow.administration import accounts

SHOT_PREFIX = "sessions"

pytestmark = pytest.mark.browser


@pytest.fixture
def script_token(live_server):
    with make_session_factory(live_server.engine)() as db:
        user = db.scalar(select(User).where(User.username == "canbo1"))
        secret, row = accounts.create_token(db, user, name="Bảng tính báo cáo tháng", expires_days=30)
        db.commit()
        return secret, row.id


def test_revoke_a_token_and_log_out(page, shot, live_server, script_token):
    from playwright.sync_api import expect

    secret, token_id = script_token
    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập").fill("canbo1")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    open_user_menu(page)
    page.get_by_role("link", name="Mã truy cập API").click()
    row = page.get_by_test_id(f"token-{token_id}")
    expect(row).to_contain_text("Bảng tính báo cáo tháng")
    expect(row).to_contain_text("Chưa dùng")
    assert secret not in page.content()
    shot("01_tokens")
    row.get_by_role("link", name="Thu hồi").click()
    expect(page.get_by_test_id("revoke-confirm")).to_be_visible()
    shot("02_confirm")
    page.get_by_test_id("revoke-confirm").click()
    expect(page.get_by_test_id("no-tokens")).to_be_visible()
    with make_session_factory(live_server.engine)() as db:
        assert db.get(ApiToken, token_id).revoked

    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    open_user_menu(page)
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    other = page.context.browser.new_context()
    try:
        other.add_cookies([cookie])
        replay = other.new_page()
        replay.goto(f"{live_server}/")
        expect(replay.get_by_label("Tên đăng nhập")).to_be_visible()  # sent back to the login page
        shot("03_logged_out")
    finally:
        other.close()
