"""The password rule (workflow.administration.passwords): at least 10 characters, not whitespace only, not containing
the username (case-insensitive), not in zxcvbn's list of common passwords — the same in every entry point: `users
create` (workflow.administration.accounts.create_user; the process itself in test_cli.py), the admin's create and reset
pages and the user's own password change page. The demo data alone is exempt."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditEvent, User
from workflow.administration import accounts, passwords
from workflow.errors import ValidationFailed

GOOD = "Song-Hau-chay-qua-7"
# (password, what the message must name) for a user called "canbo1" / "canbo_moi"
WEAK = [
    ("password", "danh sách mật khẩu phổ biến"),
    ("        ", "khoảng trắng"),
    ("            ", "khoảng trắng"),  # 12 spaces: long enough, still whitespace only
    ("ngan-7", "tối thiểu 10 ký tự"),
    ("qwertyuiop", "danh sách mật khẩu phổ biến"),  # 10 characters but common
    ("Password123", "danh sách mật khẩu phổ biến"),  # case does not matter
]


def _own_name(username: str) -> str:
    return f"{username.upper()}-mat-khau-2026"  # contains the username, in another case


# ------------------------------------------------------------------------------------------------------ the rule
@pytest.mark.parametrize(("password", "message"), WEAK + [(_own_name("canbo1"), "tên đăng nhập")])
def test_the_rule_names_what_is_wrong(password, message):
    found = passwords.problems(password, username="canbo1")
    assert found and any(message in p for p in found), found
    with pytest.raises(ValidationFailed) as err:
        passwords.check(password, username="canbo1")
    assert err.value.status == 422 and message in err.value.field_errors["password"]


def test_a_good_password_passes_and_the_list_is_the_shipped_one():
    assert passwords.problems(GOOD, username="canbo1") == []
    assert passwords.check(GOOD, username="canbo1") == GOOD
    common = passwords.common_passwords()
    assert len(common) >= 10_000 and {"password", "qwertyuiop", "1234567890"} <= common


# ------------------------------------------------------------------------------------------------------ CLI path
@pytest.mark.parametrize(("password", "message"), WEAK + [(_own_name("canbo_moi"), "tên đăng nhập")])
def test_create_user_refuses_a_weak_password(db, password, message):
    with pytest.raises(ValidationFailed) as err:
        accounts.create_user(db, "canbo_moi", roles=["staff"], password=password, unit_code="PBGDPL")
    assert any(message in r for r in err.value.reasons), err.value.reasons
    assert db.scalar(select(User.id).where(User.username == "canbo_moi")) is None


def test_create_user_accepts_a_good_password(db):
    user = accounts.create_user(db, "canbo_moi", roles=["staff"], password=GOOD, unit_code="PBGDPL")
    assert accounts.authenticate(db, "canbo_moi", GOOD).id == user.id


def test_only_the_demo_data_is_exempt(db):
    with pytest.raises(ValidationFailed):
        accounts.create_user(db, "demo_x", roles=["admin"], password="demo1234")
    user = accounts.create_user(db, "demo_x", roles=["admin"], password="demo1234", demo_password=True)
    assert accounts.authenticate(db, "demo_x", "demo1234").id == user.id
    with pytest.raises(ValidationFailed):  # even the demo needs a password
        accounts.create_user(db, "demo_y", roles=["admin"], password="   ", demo_password=True)


# ------------------------------------------------------------------------------------------------------ admin pages
def _create(client, demo, username, password):
    return client.post("/admin/users/new", data={
        "username": username, "full_name": "Cán bộ mới", "roles": ["staff"], "unit_id": str(demo.unit("PBGDPL").id),
        "password": password, "active": "on"})


@pytest.mark.parametrize(("password", "message"), WEAK + [(_own_name("canbo_moi"), "tên đăng nhập")])
def test_admin_create_page_refuses_a_weak_password(client, login, db, demo, password, message):
    login("admin")
    r = _create(client, demo, "canbo_moi", password)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(select(User.id).where(User.username == "canbo_moi")) is None


def test_admin_create_page_accepts_a_good_password(client, login, db, demo):
    login("admin")
    assert _create(client, demo, "canbo_moi", GOOD).status_code == 302
    login("canbo_moi", GOOD)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(("password", "message"), WEAK + [(_own_name("canbo1"), "tên đăng nhập")])
def test_admin_reset_refuses_a_weak_password(client, login, db, demo, password, message):
    login("admin")
    user = demo.user("canbo1")
    before = user.password_hash
    r = client.post(f"/admin/users/{user.id}/password", data={"new_password": password})
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, user.id).password_hash == before


def test_admin_reset_accepts_a_good_password(client, login, demo):
    login("admin")
    user = demo.user("canbo1")
    assert client.post(f"/admin/users/{user.id}/password", data={"new_password": GOOD}).status_code == 302
    assert login("canbo1", GOOD).status_code == 302
    assert client.get("/").status_code == 200


# ------------------------------------------------------------------------------------------------------ own password
def _change(client, current, new, confirm=None):
    return client.post("/account/password", data={"current_password": current, "new_password": new,
                                                   "confirm_password": new if confirm is None else confirm})


def test_the_password_page_is_for_signed_in_users(client, login):
    assert client.get("/account/password").status_code == 302  # to /login
    login("canbo1")
    page = client.get("/account/password").get_data(as_text=True)
    assert "Đổi mật khẩu" in page and 'name="current_password"' in page and passwords.RULE in page


@pytest.mark.parametrize(("password", "message"), WEAK + [(_own_name("canbo1"), "tên đăng nhập")])
def test_the_password_page_refuses_a_weak_password(client, login, db, demo, password, message):
    login("canbo1")
    before = demo.user("canbo1").password_hash
    r = _change(client, demo.password, password)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    db.expire_all()
    assert demo.user("canbo1").password_hash == before


def test_the_password_page_checks_the_current_password_and_the_confirmation(client, login, demo):
    login("canbo1")
    r = _change(client, "sai-mat-khau-cu", GOOD)
    assert r.status_code == 422 and "Mật khẩu hiện tại không đúng" in r.get_data(as_text=True)
    r = _change(client, demo.password, GOOD, GOOD + "x")
    assert r.status_code == 422 and "chưa khớp" in r.get_data(as_text=True)


def test_the_password_page_changes_the_password(client, login, db, demo):
    login("canbo1")
    r = _change(client, demo.password, GOOD)
    assert r.status_code == 302
    db.expire_all()
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "account.password_change")) is not None
    assert login("canbo1", demo.password).status_code == 401
    assert login("canbo1", GOOD).status_code == 302


def test_guessing_the_current_password_is_rate_limited(make_app, demo):
    """A stolen session must not be a way to guess the account's password: RATELIMIT_LOGIN applies per user."""
    app = make_app(SECRET_KEY="t", RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
    client = app.test_client()
    assert client.post("/login", data={"username": "canbo1", "password": demo.password}).status_code == 302
    codes = [_change(client, f"doan-mat-khau-{i}", GOOD).status_code for i in range(4)]
    assert codes == [422, 422, 422, 429]
