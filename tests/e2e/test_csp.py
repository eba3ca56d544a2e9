"""The Content-Security-Policy in a real browser (issue 11, item 3): the main pages of every area, loaded by Chromium
under the policy the application sends, record no violation (neither a `securitypolicyviolation` event nor a console
message), and what runs on them still works — Bootstrap's dropdowns and collapse, htmx's requests and swaps, the
registration form's toggles."""
from __future__ import annotations

import pytest
from conftest import DEMO_PASSWORD, Demo  # tests/conftest.py, importable as `conftest` under pytest
from e2e_examples import recognise_co_so
from samples import image
from sqlalchemy import select

from models import CouncilSession, Decision, make_session_factory
from workflow.propagation import stories

SHOT_PREFIX = "csp"

pytestmark = pytest.mark.browser

# Kept on the window by an init script (Playwright injects it outside the page's policy) until the next navigation.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


def _prepare(live_server, tmp_path) -> dict:
    """A recognised example (council session, decision), and a published story about it with an image."""
    with make_session_factory(live_server.engine)() as db:
        demo = Demo(db)
        n = recognise_co_so(db, demo, tmp_path, decision_number=31)
        editor = demo.actor("bientap")
        story = stories.create(db, editor, nomination_id=n.id, title="Tấm gương Phòng Hành chính tư pháp",
                               body="<p>Nội dung <strong>nổi bật</strong></p>", channel="portal")
        stories.add_image(db, editor, story.id, data=image(), filename="anh.png", caption="Ảnh tập thể")
        stories.publish(db, editor, story.id)
        db.commit()
        return {"nomination": n.id, "story": story.id, "session": db.scalar(select(CouncilSession.id)),
                "decision": db.scalar(select(Decision.id))}


def _login(page, live_server, username: str) -> None:
    page.context.clear_cookies()  # the previous user's session
    page.goto(f"{live_server}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")


def test_main_pages_load_without_a_csp_violation_and_still_work(page, shot, live_server, tmp_path):
    from playwright.sync_api import expect

    ids = _prepare(live_server, tmp_path)
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
    page.add_init_script(LISTEN)
    visited: list[str] = []

    def visit(path: str) -> None:
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status < 500, (path, response and response.status)
        assert "frame-ancestors 'none'" in (response.headers.get("content-security-policy") or ""), path
        page.wait_for_load_state("load")
        violations = page.evaluate("window.__violations")
        assert violations == [], (path, violations)
        visited.append(path)

    for path in ("/login", "/showcase", f"/showcase/stories/{ids['story']}"):
        visit(path)
    expect(page.locator(".showcase-image, figure img").first).to_be_visible()  # the story's image, under the CSP
    visit(f"/showcase/examples/{ids['nomination']}")

    pages = {
        "admin": ["/", "/nominations", f"/nominations/{ids['nomination']}",
                  f"/nominations/{ids['nomination']}/certificate", "/admin", "/admin/users", "/admin/calendar",
                  "/audit", "/reports", "/reports/themes", "/account/password", "/account/notifications",
                  "/notifications"],
        "giamdoc": ["/", "/council/sessions", f"/council/sessions/{ids['session']}", "/decisions",
                    f"/decisions/{ids['decision']}", "/proposals", "/reports", "/reports/monthly-introductions"],
        "tp_pbgdpl": ["/nominations/new", "/reports/monthly-introductions"],
        "bientap": ["/stories", f"/stories/{ids['story']}", "/stories/new", f"/stories/{ids['story']}/edit"],
        "botp": ["/ministry"],
    }
    for username, paths in pages.items():
        _login(page, live_server, username)
        for path in paths:
            visit(path)

        # Bootstrap's dropdown (Popper positions it through the CSSOM, which the policy allows).
        page.goto(f"{live_server}/")
        menu = page.get_by_test_id("user-menu")
        menu.click()
        expect(page.get_by_role("link", name="Đổi mật khẩu")).to_be_visible()
        shot(f"{username}_user_menu")
        page.keyboard.press("Escape")
        expect(page.get_by_role("link", name="Đổi mật khẩu")).to_be_hidden()
        page.get_by_role("button", name="Tuyên truyền").or_(page.get_by_role("link", name="Tuyên truyền")).click()
        expect(page.get_by_role("link", name="Điển hình tiêu biểu (trang công khai)")).to_be_visible()

    # htmx: configured not to inject a <style> nor to evaluate code, and its requests and swaps work.
    config = page.evaluate("({styles: htmx.config.includeIndicatorStyles, evalOk: htmx.config.allowEval})")
    assert config == {"styles": False, "evalOk": False}
    swapped = page.evaluate("""async () => {
      const target = document.createElement("div");
      target.id = "htmx-probe";
      document.body.appendChild(target);
      await htmx.ajax("GET", "/healthz", {target: "#htmx-probe", swap: "innerHTML"});
      return target.textContent;
    }""")
    assert '"status"' in swapped and "ok" in swapped
    # Bootstrap's collapse: the header's menu on a narrow screen.
    page.set_viewport_size({"width": 400, "height": 800})
    nav_link = page.locator("#menu-chinh").get_by_role("link", name="Hồ sơ điển hình", exact=True)
    expect(nav_link).to_be_hidden()
    page.get_by_role("button", name="Mở menu").click()
    expect(nav_link).to_be_visible()

    refused = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    assert refused == [], refused
    assert not [line for line in console if line.startswith("pageerror")], console
    assert len(visited) >= 30
