"""Sessions and API tokens end when they should (issue 11, item 4), on SQLite and PostgreSQL.

Findings reproduced: a cookie copied before /logout still worked after it; GET /logout logged out (no CSRF); an
admin's password reset and a deactivation revoked neither sessions nor tokens; tokens never expired, could not be
listed or revoked; `dienhinh users token` was not audited.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import ApiToken, AuditEvent, UserSession
from web.cli import main as cli_main
from workflow.administration import accounts
from workflow.administration import operations as admin

PROBLEM = "application/problem+json"
NEW_PASSWORD = "Hoa-sen-nở-2026"
DEMO_PASSWORD = "demo-pass-123"  # tests/conftest.py


def _sign_in(app, username: str, password: str = DEMO_PASSWORD) -> FlaskClient:
    """A new browser signed in as `username`."""
    browser = app.test_client()
    r = browser.post("/login", data={"username": username, "password": password})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert browser.get("/").status_code == 200
    return browser


def _signed_in(browser: FlaskClient) -> bool:
    r = browser.get("/")
    assert r.status_code in (200, 302)
    return r.status_code == 200


def _copy_cookie(browser: FlaskClient) -> str:
    return browser.get_cookie("session").value


def _with_cookie(app, value: str) -> FlaskClient:
    """Another browser that replays a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


def _token(client, username: str, password: str = DEMO_PASSWORD) -> dict:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def _me(client, token: str):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def _refused(client, token: str) -> bool:
    r = _me(client, token)
    if r.status_code == 401:
        assert r.content_type == PROBLEM and r.get_json()["status"] == 401
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        return True
    assert r.status_code == 200
    return False


def _events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# ------------------------------------------------------------------------------------------------------ logout
def test_a_cookie_copied_before_logout_is_refused_after_it(app):
    browser = _sign_in(app, "canbo1")
    copied = _copy_cookie(browser)
    assert _signed_in(_with_cookie(app, copied))  # the copy works while the session lives
    r = browser.post("/logout")
    assert r.status_code == 302 and r.location.startswith("/login")
    assert not _signed_in(browser)
    thief = _with_cookie(app, copied)
    r = thief.get("/")
    assert r.status_code == 302 and r.location.startswith("/login")
    assert thief.get("/api/v1/me").status_code == 401  # the API never accepts a cookie either


def test_logout_ends_only_this_browsers_session(app, db, demo):
    office, home = _sign_in(app, "canbo1"), _sign_in(app, "canbo1")
    office.post("/logout")
    assert not _signed_in(office)
    assert _signed_in(home)
    db.expire_all()
    assert db.scalar(select(UserSession.id).where(UserSession.user_id == demo.user("canbo1").id)) is not None


def test_get_logout_does_not_log_out_but_offers_the_form(app):
    browser = _sign_in(app, "canbo1")
    r = browser.get("/logout")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert 'method="post"' in page and 'action="/logout"' in page and "Đăng xuất" in page
    assert _signed_in(browser)
    anonymous = app.test_client().get("/logout")
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login")


def test_the_header_logs_out_with_a_post_form(app):
    page = _sign_in(app, "canbo1").get("/").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/logout"[^>]*>(.*?)</form>', page, re.S)
    assert form and 'name="csrf_token"' in form.group(1) and "Đăng xuất" in form.group(1)
    assert 'href="/logout"' not in page


@pytest.fixture
def csrf_app(make_app):
    return make_app(SECRET_KEY="csrf", WTF_CSRF_ENABLED=True)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_logout_needs_its_csrf_token(csrf_app):
    browser = csrf_app.test_client()
    token = _csrf(browser.get("/login").get_data(as_text=True))
    r = browser.post("/login", data={"username": "canbo1", "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    assert browser.post("/logout").status_code == 400  # a forged cross-site POST without the token
    assert _signed_in(browser)
    token = _csrf(browser.get("/").get_data(as_text=True))
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not _signed_in(browser)


def test_a_cookie_without_a_server_session_is_refused(app, demo):
    """A cookie signed with the right key that names a user but no live session (as every cookie issued before
    server-side sessions did, or as a remember-me cookie alone would) signs nobody in."""
    uid = str(demo.user("admin").id)
    forged = app.test_client()
    with forged.session_transaction() as s:
        s["_user_id"], s["_fresh"] = uid, True
    assert not _signed_in(forged)
    with forged.session_transaction() as s:
        s["sid"] = "not-a-live-session"
    assert not _signed_in(forged)


# ------------------------------------------------------------------------------- password changes, deactivation
def test_an_admins_password_reset_ends_every_session_and_token(app, client, db, demo):
    victim = _sign_in(app, "canbo1")
    copied = _copy_cookie(victim)
    token = _token(client, "canbo1")["token"]
    uid = demo.user("canbo1").id
    administrator = _sign_in(app, "admin")
    r = administrator.post(f"/admin/users/{uid}/password", data={"new_password": NEW_PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert not _signed_in(victim)
    assert not _signed_in(_with_cookie(app, copied))
    assert _refused(client, token)
    assert _signed_in(administrator)  # the admin's own session is untouched
    assert _signed_in(_sign_in(app, "canbo1", NEW_PASSWORD))
    [event] = _events(db, "admin.user_password_reset")
    assert event.data["sessions_ended"] == 1 and event.data["tokens_revoked"] == 1


def test_deactivation_ends_sessions_and_tokens_for_good(app, client, db, demo):
    browser = _sign_in(app, "canbo1")
    token = _token(client, "canbo1")["token"]
    user, actor = demo.user("canbo1"), demo.actor("admin")
    form = {"full_name": user.full_name, "roles": sorted(user.role_codes), "unit_id": user.unit_id,
            "email": user.email, "person_id": user.person_id}
    admin.update_user(db, actor, user.id, {**form, "active": ""})
    db.commit()
    assert not _signed_in(browser) and _refused(client, token)
    admin.update_user(db, demo.actor("admin"), user.id, {**form, "active": "on"})  # unlocked again
    db.commit()
    assert not _signed_in(browser)  # ... the old session and token stay dead
    assert _refused(client, token)
    [event] = [e for e in _events(db, "admin.user_update") if "active" in e.data["changes"]][:1]
    assert event.data["sessions_ended"] == 1 and event.data["tokens_revoked"] == 1


def test_changing_ones_own_password_ends_the_other_sessions_and_tokens(app, client):
    here, elsewhere = _sign_in(app, "canbo1"), _sign_in(app, "canbo1")
    copied = _copy_cookie(here)
    token = _token(client, "canbo1")["token"]
    r = here.post("/account/password", data={"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
                                             "confirm_password": NEW_PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert _signed_in(here)  # this browser continues, on a new session
    assert not _signed_in(elsewhere)
    assert not _signed_in(_with_cookie(app, copied))  # even a copy of this browser's cookie from before
    assert _refused(client, token)


def test_the_workflow_password_change_ends_sessions_and_tokens(db, demo):
    user = demo.user("canbo1")
    accounts.start_session(db, user)
    accounts.issue_token(db, user)
    accounts.change_password(db, user.id, {"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
                                           "confirm_password": NEW_PASSWORD})
    db.commit()
    assert db.scalar(select(UserSession.id).where(UserSession.user_id == user.id)) is None
    assert not db.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))).all()


# ------------------------------------------------------------------------------------------------------ tokens
def test_api_tokens_expire_after_90_days_by_default(client, db):
    before = dt.datetime.now(dt.UTC)
    body = _token(client, "canbo1")
    assert set(body) >= {"token", "token_type", "id", "expires_at"}
    expires = dt.datetime.fromisoformat(body["expires_at"])
    expires = expires if expires.tzinfo else expires.replace(tzinfo=dt.UTC)
    assert dt.timedelta(days=90) <= expires - before <= dt.timedelta(days=90, minutes=5)
    assert not _refused(client, body["token"])
    row = db.get(ApiToken, body["id"])
    row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.commit()
    assert _refused(client, body["token"])
    assert "hết hạn" in _me(client, body["token"]).get_json()["detail"]


def test_issuing_a_token_through_the_api_is_audited(client, db, demo):
    body = _token(client, "tp_pbgdpl")
    [event] = _events(db, "account.token_issue")
    assert event.actor_username == "tp_pbgdpl" and event.object_id == demo.user("tp_pbgdpl").id
    assert event.data["token_id"] == body["id"] and event.data["via"] == "api"
    assert body["token"] not in str(event.data)


@pytest.mark.fresh_db  # a token's use is noted on a connection of its own (web.api.base.note_token_use)
def test_the_owner_lists_tokens_without_their_secrets(client, db):
    first, second = _token(client, "canbo1"), _token(client, "canbo1")
    other = _token(client, "tp_pbgdpl")
    auth = {"Authorization": f"Bearer {first['token']}"}
    r = client.get("/api/v1/me/tokens", headers=auth)
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 2 and body["page"] == 1
    assert [t["id"] for t in body["items"]] == [second["id"], first["id"]]  # newest first
    assert set(body["items"][0]) == {"id", "name", "created_at", "last_used_at", "expires_at"}
    text = r.get_data(as_text=True)
    assert first["token"] not in text and second["token"] not in text and other["token"] not in text
    again = client.get("/api/v1/me/tokens", headers=auth).get_json()["items"]
    used = {t["id"]: t["last_used_at"] for t in again}
    assert used[first["id"]] is not None and used[second["id"]] is None  # the requests above used the first one


def test_the_owner_revokes_a_token_through_the_api(client, db, demo):
    keep, drop = _token(client, "canbo1"), _token(client, "canbo1")
    other = _token(client, "tp_pbgdpl")
    auth = {"Authorization": f"Bearer {keep['token']}"}
    r = client.delete(f"/api/v1/me/tokens/{other['id']}", headers=auth)  # someone else's: as if absent
    assert r.status_code == 404 and r.content_type == PROBLEM
    assert not _refused(client, other["token"])
    r = client.delete(f"/api/v1/me/tokens/{drop['id']}", headers=auth)
    assert r.status_code == 204
    assert _refused(client, drop["token"]) and not _refused(client, keep["token"])
    assert client.delete(f"/api/v1/me/tokens/{drop['id']}", headers=auth).status_code == 404  # already revoked
    assert [t["id"] for t in client.get("/api/v1/me/tokens", headers=auth).get_json()["items"]] == [keep["id"]]
    [event] = _events(db, "account.token_revoke")
    assert event.actor_username == "canbo1" and event.data["token_id"] == drop["id"]
    # A token may revoke itself.
    assert client.delete(f"/api/v1/me/tokens/{keep['id']}", headers=auth).status_code == 204
    assert _refused(client, keep["token"])


@pytest.mark.parametrize("path", ["/me/tokens/abc", "/me/tokens/-1", "/me/tokens/99999999999999999999"])
def test_revoking_a_bad_id_is_a_clear_404(client, path):
    token = _token(client, "canbo1")["token"]
    r = client.delete("/api/v1" + path, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404 and r.content_type == PROBLEM


def test_the_owner_revokes_a_token_on_the_account_page(app, client, db, demo):
    body = _token(client, "canbo1")
    browser = _sign_in(app, "canbo1")
    page = browser.get("/account/tokens").get_data(as_text=True)
    assert f'data-testid="token-{body["id"]}"' in page and body["token"] not in page
    assert "API (đăng nhập bằng mật khẩu)" in page
    confirm = browser.get(f"/account/tokens/{body['id']}/revoke")
    assert confirm.status_code == 200 and "Thu hồi mã" in confirm.get_data(as_text=True)
    assert not _refused(client, body["token"])  # the confirmation page changes nothing
    r = browser.post(f"/account/tokens/{body['id']}/revoke")
    assert r.status_code == 302 and r.location == "/account/tokens"
    assert _refused(client, body["token"])
    assert f'data-testid="token-{body["id"]}"' not in browser.get("/account/tokens").get_data(as_text=True)
    other = _token(client, "tp_pbgdpl")
    assert browser.get(f"/account/tokens/{other['id']}/revoke").status_code == 404
    assert browser.post(f"/account/tokens/{other['id']}/revoke").status_code == 404
    assert not _refused(client, other["token"])
    assert [e.data["token_id"] for e in _events(db, "account.token_revoke")] == [body["id"]]


def test_the_account_page_needs_a_login(client):
    r = client.get("/account/tokens")
    assert r.status_code == 302 and r.location.startswith("/login")


# ---------------------------------------------------------------------------------------------- command line
def _cli(app, db, *args):
    db.rollback()  # SQLite: the test's transaction must not hold the write lock the command needs
    return app.test_cli_runner().invoke(cli_main, list(args))


def test_cli_token_expires_as_asked_and_is_audited(app, client, db, demo):
    r = _cli(app, db, "users", "token", "canbo1", "--expires-days", "5")
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[0]
    assert not _refused(client, token)
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == accounts._digest(token)))
    assert dt.timedelta(days=5) - dt.timedelta(minutes=5) <= row.expires_at - dt.datetime.now(dt.UTC) \
        <= dt.timedelta(days=5)
    [event] = _events(db, "account.token_issue")
    assert event.actor_id is None and event.object_id == demo.user("canbo1").id
    assert event.data["via"] == "cli" and event.data["token_id"] == row.id
    default = _cli(app, db, "users", "token", "canbo1")
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == accounts._digest(default.stdout.splitlines()[0])))
    assert row.expires_at - row.created_at == dt.timedelta(days=90)


@pytest.mark.parametrize("days", ["0", "-3", "abc", "99999"])
def test_cli_refuses_a_bad_expiry(app, db, days):
    r = _cli(app, db, "users", "token", "canbo1", "--expires-days", days)
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert db.scalar(select(ApiToken.id)) is None


def test_cli_revoke_tokens(app, client, db, demo):
    mine, theirs = _token(client, "canbo1"), _token(client, "tp_pbgdpl")
    second = _token(client, "canbo1")
    r = _cli(app, db, "users", "revoke-tokens", "canbo1")
    assert r.exit_code == 0, r.output
    assert "2" in r.stdout
    assert _refused(client, mine["token"]) and _refused(client, second["token"])
    assert not _refused(client, theirs["token"])
    [event] = _events(db, "account.tokens_revoke_all")
    assert event.object_id == demo.user("canbo1").id and event.data["tokens_revoked"] == 2
    assert event.data["via"] == "cli"
    unknown = _cli(app, db, "users", "revoke-tokens", "nobody")
    assert unknown.exit_code == 2 and "nobody" in unknown.output


# ------------------------------------------------------------------------------------------------------ OpenAPI
def test_the_token_endpoints_are_documented(client):
    doc = client.get("/api/openapi.json").get_json()
    assert "get" in doc["paths"]["/api/v1/me/tokens"]
    assert "delete" in doc["paths"]["/api/v1/me/tokens/{token_id}"]
    issued = doc["paths"]["/api/v1/auth/token"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    name = issued["$ref"].rsplit("/", 1)[-1]
    assert {"token", "expires_at"} <= set(doc["components"]["schemas"][name]["properties"])


# ------------------------------------------------------------------------------------------- bad input, every role
@pytest.mark.parametrize("name", ["x" * 101, ["liste"], {"a": 1}, 7, "tên\x00có NUL", "tên\x1bđiều khiển"])
def test_a_bad_token_name_is_422_never_500(client, db, name):
    r = client.post("/api/v1/auth/token", json={"username": "canbo1", "password": DEMO_PASSWORD, "name": name})
    assert r.status_code == 422 and r.content_type == PROBLEM, r.get_data(as_text=True)
    db.rollback()
    assert db.scalar(select(ApiToken.id)) is None


def test_a_token_may_carry_a_name(client, db):
    body = _token_named(client, "Cổng thông tin tỉnh")
    auth = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/me/tokens", headers=auth).get_json()["items"][0]["name"] == "Cổng thông tin tỉnh"


def _token_named(client, name):
    r = client.post("/api/v1/auth/token", json={"username": "canbo1", "password": DEMO_PASSWORD, "name": name})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


@pytest.mark.parametrize("query", ["page=abc", "page=0", "per_page=0", "per_page=100000", "page=%00"])
def test_bad_list_parameters_are_422(client, query):
    token = _token(client, "canbo1")["token"]
    r = client.get(f"/api/v1/me/tokens?{query}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422 and r.content_type == PROBLEM


@pytest.mark.parametrize("username", ["admin", "vanphong", "giamdoc", "tp_pbgdpl", "botp", "thanhtra", "canbo1"])
def test_every_account_reaches_its_tokens_and_the_logout_page(app, username):
    browser = _sign_in(app, username)
    assert browser.get("/account/tokens").status_code == 200
    assert browser.get("/account/tokens?page=abc").status_code == 422
    assert browser.get("/logout").status_code == 200
    assert browser.get("/account/tokens/999999/revoke").status_code == 404
    assert 'href="/account/tokens"' in browser.get("/").get_data(as_text=True)


def test_signing_in_again_ends_the_browsers_previous_session(app, db, demo):
    browser = _sign_in(app, "canbo1")
    copied = _copy_cookie(browser)
    assert browser.post("/login", data={"username": "tp_pbgdpl", "password": DEMO_PASSWORD}).status_code == 302
    assert not _signed_in(_with_cookie(app, copied))  # the first login's cookie is dead
    assert _signed_in(browser)
    db.expire_all()
    assert db.scalar(select(UserSession.id).where(UserSession.user_id == demo.user("canbo1").id)) is None


def test_a_remember_me_cookie_alone_signs_nobody_in(app, demo):
    """flask-login would load a user from a valid `remember_token` cookie; the application never sets one, and one
    made with the right key still needs a live server-side session."""
    from flask_login.utils import encode_cookie

    with app.test_request_context():
        value = encode_cookie(str(demo.user("admin").id))
    browser = app.test_client()
    browser.set_cookie("remember_token", value)
    assert not _signed_in(browser)
