"""bientap writes and publishes a story about a recognised example in a real browser, in the rich-text editor (Quill,
served by the project), then corrects the published story as a revision; an anonymous visitor finds it on the public
showcase and the example's own page, with nothing executable in it. The example (Phòng Hành chính tư pháp, cơ sở) is
recognised through the services against the live server's database. Screenshots go to artifacts/."""
from __future__ import annotations

import pytest
from conftest import DEMO_PASSWORD, Demo, open_user_menu  # tests/conftest.py, importable as `conftest` under pytest
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
    page.get_by_role("textbox", name="Tiêu đề").fill("Phòng Hành chính tư pháp — tấm gương cải cách thủ tục")
    # The editor replaced the textarea (JavaScript on): type, with bold from the keyboard and the toolbar.
    editor = page.get_by_role("textbox", name="Nội dung", exact=True)
    expect(editor).to_be_visible()
    expect(page.locator("textarea[name=body]")).to_be_hidden()
    editor.click()
    page.keyboard.type("Giải quyết ")
    page.get_by_role("button", name="In đậm").click()
    page.keyboard.type("100%")
    page.get_by_role("button", name="In đậm").click()
    page.keyboard.type(' hồ sơ đúng hạn. <script>document.title="HACKED"</script>')
    page.get_by_label("Kênh đăng").select_option("bulletin")
    shot("01_form")
    page.get_by_role("button", name="Lưu bản nháp").click()
    expect(page.get_by_test_id("story-state")).to_contain_text("Bản nháp")
    expect(page.get_by_test_id("preview").locator("strong")).to_have_text("100%")
    expect(page.get_by_test_id("preview")).to_contain_text("hồ sơ đúng hạn. <script>")  # typed text stays text
    expect(page.get_by_text("Đã loại bỏ khi lưu")).to_have_count(0)  # the editor sends only what is kept
    page.get_by_label("Tôi đã xem trước và xác nhận xuất bản").check()
    page.get_by_role("button", name="Xuất bản").click()
    expect(page.get_by_test_id("story-state")).to_contain_text("Đã xuất bản")
    shot("02_published")

    # A typo fixed in the published story: saved as a revision, published with its own confirmation.
    page.get_by_role("link", name="Sửa bài").click()
    expect(page.get_by_test_id("revision-notice")).to_be_visible()
    expect(page.locator("textarea[name=body]")).to_be_hidden()  # the editor has replaced the textarea
    editor = page.get_by_role("textbox", name="Nội dung", exact=True)
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Đã cập nhật.")
    page.get_by_role("button", name="Lưu bản sửa").click()
    expect(page.get_by_test_id("pending-revision")).to_contain_text("Đã cập nhật.")
    expect(page.get_by_test_id("story-state")).to_contain_text("Đã xuất bản")
    page.get_by_label("Tôi đã xem trước và xác nhận thay nội dung").check()
    page.get_by_role("button", name="Xuất bản bản sửa").click()
    expect(page.get_by_test_id("preview")).to_contain_text("Đã cập nhật.")
    expect(page.get_by_test_id("revisions")).to_contain_text("Đang hiển thị công khai")
    shot("02b_revised")

    open_user_menu(page)
    page.get_by_role("button", name="Đăng xuất").click()
    page.goto(f"{live_server}/showcase")
    expect(page.get_by_test_id("examples")).to_contain_text("7/QĐ-STP")
    page.get_by_role("link", name="Phòng Hành chính tư pháp — tấm gương cải cách thủ tục").click()
    expect(page.get_by_test_id("story").locator("strong")).to_have_text("100%")
    expect(page.get_by_test_id("story")).to_contain_text("Đã cập nhật.")
    assert page.title() != "HACKED"
    assert page.locator("script", has_text="HACKED").count() == 0
    shot("03_public")
    page.get_by_test_id("story").get_by_role("link", name="Phòng Hành chính tư pháp").first.click()
    expect(page.get_by_test_id("example")).to_contain_text("7/QĐ-STP")
    expect(page.get_by_test_id("stories")).to_contain_text("tấm gương cải cách thủ tục")
    shot("04_example")
