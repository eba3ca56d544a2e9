"""bientap writes and publishes a story about a recognised example in a real browser, then an anonymous visitor
finds it on the public showcase, with its script stripped. The example (Phòng Hành chính tư pháp, cơ sở) is
recognised through the services against the live server's database. Screenshots go to artifacts/."""
from __future__ import annotations

import pytest
from conftest import DEMO_PASSWORD, Demo  # tests/conftest.py, importable as `conftest` under pytest
from e2e_examples import recognise_co_so

from models import make_session_factory

SHOT_PREFIX = "showcase"

pytestmark = pytest.mark.browser


@pytest.fixture
def recognised(live_server, tmp_path):
    with make_session_factory(live_server.engine)() as db:
        n = recognise_co_so(db, Demo(db), tmp_path, decision_number=7)
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
