"""Login, logout and CSRF through the pages."""
import re

import pytest
from sqlalchemy import select

from models import AuditEvent


def test_login_success_shows_name_roles_and_unit(client, login):
    r = login("tp_pbgdpl")
    assert r.status_code == 302 and r.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Võ Minh Tuấn" in page
    assert "Thủ trưởng đơn vị" in page
    assert "Phòng Phổ biến, giáo dục pháp luật" in page
    assert 'lang="vi"' in page


def test_login_failure_keeps_username_and_is_audited(client, db):
    r = client.post("/login", data={"username": "tp_pbgdpl", "password": "sai-mat-khau"})
    assert r.status_code in (200, 401)
    page = r.get_data(as_text=True)
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page
    assert 'value="tp_pbgdpl"' in page
    db.expire_all()
    failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
    assert [e.actor_username for e in failed] == ["tp_pbgdpl"]
    assert client.get("/").status_code == 302  # still not signed in


def test_pages_need_login(client):
    r = client.get("/nominations")
    assert r.status_code == 302 and r.location.startswith("/login")


@pytest.mark.parametrize("target, expected", [
    ("/nominations", "/nominations"),
    ("https://evil.example/x", "/"),
    ("//evil.example/x", "/"),
])
def test_next_redirect_is_only_followed_on_this_site(client, demo, target, expected):
    r = client.post("/login", data={"username": "canbo1", "password": demo.password, "next": target})
    assert r.status_code == 302 and r.location == expected


def test_logout_ends_the_session(client, login):
    login("canbo1")
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_log_in(client, db, demo):
    demo.user("canbo1").active = False
    db.commit()
    r = client.post("/login", data={"username": "canbo1", "password": demo.password})
    assert r.status_code in (200, 401)
    assert client.get("/").status_code == 302


@pytest.fixture
def csrf_client(make_app):
    return make_app(SECRET_KEY="csrf", WTF_CSRF_ENABLED=True).test_client()


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_csrf_is_enforced_on_forms(csrf_client, demo):
    r = csrf_client.post("/login", data={"username": "tp_pbgdpl", "password": demo.password})
    assert r.status_code == 400
    assert "Phiên làm việc đã hết hạn" in r.get_data(as_text=True)
    token = _token(csrf_client.get("/login").get_data(as_text=True))
    r = csrf_client.post("/login", data={"username": "tp_pbgdpl", "password": demo.password, "csrf_token": token})
    assert r.status_code == 302
    # Signed in, a state-changing form without its token is still refused.
    r = csrf_client.post("/nominations/new", data={"title": "x"})
    assert r.status_code == 400


def test_the_kept_user_menu_carries_each_pages_own_csrf_token(make_app, demo):
    """The header's user menu is kept per its values (`web.main.views.user_menu`): two users of the same standing each
    get their own name and unit, and its logout form carries the token of the page's own session, which signs that
    session out (and not another's kept into the menu)."""
    app = make_app(SECRET_KEY="csrf", WTF_CSRF_ENABLED=True)
    clients = {}
    for username in ("tp_pbgdpl", "tp_hctp", "tp_pbgdpl"):
        client = app.test_client()
        token = _token(client.get("/login").get_data(as_text=True))
        assert client.post("/login", data={"username": username, "password": demo.password,
                                           "csrf_token": token}).status_code == 302
        clients.setdefault(username, []).append(client)
    tokens = set()
    for username, signed_in in clients.items():
        user = demo.user(username)
        for client in signed_in:
            page = client.get("/nominations").get_data(as_text=True)
            box = page[page.index('data-testid="user-menu"'):page.index("</header>")]
            assert user.full_name in box and user.unit.name in box, username
            tokens.add(_token(box))
    assert len(tokens) == 3  # each session its own
    first, second = clients["tp_pbgdpl"]
    token = _token(first.get("/nominations").get_data(as_text=True))
    assert first.post("/logout", data={"csrf_token": token}).status_code == 302
    assert first.get("/nominations").status_code == 302  # signed out
    assert second.get("/nominations").status_code == 200  # the other browser of the same user is not
    assert second.post("/logout", data={"csrf_token": token}).status_code == 400  # not its session's token


def test_the_user_menu_follows_a_rename_at_the_next_page(client, login, db, demo):
    db.commit()
    login("tp_pbgdpl")
    user = demo.user("tp_pbgdpl")
    assert user.full_name in client.get("/nominations").get_data(as_text=True)
    user.full_name = "Tên <mới> & 'khác'"
    db.commit()
    page = client.get("/nominations").get_data(as_text=True)
    assert "Tên &lt;mới&gt; &amp; &#39;khác&#39;" in page
