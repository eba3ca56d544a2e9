"""JSON API: tokens, authentication, problem+json errors, the OpenAPI document."""
import pytest
from sqlalchemy import select

from models import AuditEvent

PROBLEM = "application/problem+json"


def test_token_success_and_login_audited(api, client, demo, db):
    r = client.post("/api/v1/auth/token", json={"username": "tp_pbgdpl", "password": demo.password})
    assert r.status_code == 200
    token = r.get_json()["token"]
    assert len(token) > 20
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    db.expire_all()
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
    assert [(e.actor_username, e.data.get("via")) for e in events] == [("tp_pbgdpl", "api")]


def test_wrong_password_is_401_problem_and_the_failure_is_committed(client, db):
    r = client.post("/api/v1/auth/token", json={"username": "admin", "password": "wrong-password"})
    assert r.status_code == 401
    assert r.content_type == PROBLEM
    body = r.get_json()
    assert body["status"] == 401 and body["title"] and "mật khẩu" in body["detail"]
    db.expire_all()
    failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
    assert [(e.actor_username, e.outcome) for e in failed] == [("admin", "refused")]


def test_unknown_user_is_401_too(client):
    r = client.post("/api/v1/auth/token", json={"username": "khongco", "password": "x"})
    assert r.status_code == 401 and r.content_type == PROBLEM


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YWRtaW46eA=="},
    {"Authorization": "Bearer " + "x" * 5000}, {"Authorization": "token abc"},
])
def test_missing_or_invalid_token_is_401_problem(client, headers):
    r = client.get("/api/v1/nominations", headers=headers)
    assert r.status_code == 401
    assert r.content_type == PROBLEM
    assert r.get_json()["status"] == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_issued_by_cli_function_works(api, client, demo, db):
    from workflow.administration.accounts import issue_token

    token = issue_token(db, demo.user("thanhtra"))
    db.commit()
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.get_json()["username"] == "thanhtra"


def test_me(api, demo, db):
    pbgdpl, stp = demo.unit("PBGDPL").id, demo.unit("STP").id
    db.rollback()  # SQLite: release the write lock (BEGIN IMMEDIATE) before the app's request
    r = api.as_("tp_pbgdpl").get("/me")
    assert r.status_code == 200
    me = r.get_json()
    assert me["username"] == "tp_pbgdpl"
    assert me["roles"] == ["unit_head"]
    assert me["unit_id"] == pbgdpl
    assert me["department_id"] == stp
    assert me["scope"]["kind"] == "unit" and me["scope"]["description"]
    assert {"id", "full_name"} <= set(me)
    admin = api.as_("admin").get("/me").get_json()
    assert admin["scope"]["kind"] == "all" and admin["roles"] == ["admin"]
    vp = api.as_("vanphong").get("/me").get_json()
    assert vp["roles"] == ["council_member", "secretariat"] and vp["scope"]["kind"] == "department"


def test_openapi_document(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3")
    assert doc["info"]["title"] == "Dienhinh API"  # ASCII: generated clients take their package name from it (issue 15)
    assert "Điển hình tiên tiến" in doc["info"]["description"]
    for path in ("/api/v1/nominations", "/api/v1/nominations/{nomination_id}/transitions", "/api/v1/auth/token",
                 "/api/v1/me", "/api/v1/units", "/api/v1/people", "/api/v1/campaigns", "/api/v1/audit",
                 "/api/v1/notifications"):
        assert path in doc["paths"], path
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["paths"]["/api/v1/auth/token"]["post"]["security"] == []
    body = doc["paths"]["/api/v1/nominations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("NominationCreate")
    assert "multipart/form-data" in doc["paths"]["/api/v1/nominations/{nomination_id}/attachments"]["post"][
        "requestBody"]["content"]


@pytest.mark.parametrize("method,path,status", [
    ("get", "/api/v1/does-not-exist", 404),
    ("post", "/api/v1/does-not-exist", 404),
    ("get", "/api/nothing", 404),
    ("delete", "/api/v1/me", 405),
    ("put", "/api/v1/nominations", 405),
    ("get", "/api/v1/nominations/99999999999999999999999", 404),
    ("get", "/api/v1/nominations/-1", 404),
    ("get", "/api/v1/nominations/abc", 404),
])
def test_routing_errors_are_problem_json(api, method, path, status):
    client = api.as_("admin")
    r = getattr(client.client, method)(path, headers=client._headers())
    assert r.status_code == status
    assert r.content_type == PROBLEM
    body = r.get_json()
    assert body["status"] == status and body["title"] and body["detail"]


def test_pages_keep_their_own_error_pages(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert r.content_type != PROBLEM


def test_unknown_id_is_404_problem(api):
    r = api.as_("admin").get("/nominations/987654")
    assert r.status_code == 404 and r.content_type == PROBLEM
    assert r.get_json()["detail"] == "Không tìm thấy hồ sơ."


def test_token_endpoint_is_rate_limited(make_app):
    app = make_app(SECRET_KEY="t", WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
    client = app.test_client()
    codes = [client.post("/api/v1/auth/token", json={"username": "admin", "password": "x"}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    r = client.post("/api/v1/auth/token", json={"username": "admin", "password": "x"})
    assert r.content_type == PROBLEM and r.get_json()["status"] == 429


def test_rate_limit_counts_per_username(make_app):
    app = make_app(SECRET_KEY="t", WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute",
                   RATELIMIT_LOGIN_IP="5 per minute")
    client = app.test_client()

    def attempt(username):
        return client.post("/api/v1/auth/token", json={"username": username, "password": "x"}).status_code

    assert [attempt("admin"), attempt("admin"), attempt("admin")] == [401, 401, 429]
    others = [attempt(u) for u in ("vanphong", "giamdoc", "botp", "hoidong1", "hoidong2")]
    assert others[0] == 401  # another account from the same address is not locked out by admin's failures
    assert others[-1] == 429  # but the per-address ceiling (5 per minute) holds across usernames


def test_an_expired_token_is_refused(api, db, demo):
    import datetime as dt

    from models import ApiToken

    token = api.as_("admin").tokens["admin"]
    assert api.as_("admin").get("/me").status_code == 200
    for row in db.scalars(select(ApiToken)):
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.commit()
    r = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
