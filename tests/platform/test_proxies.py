"""Behind a proxy (issue 11, item 2): with TRUSTED_PROXIES=N the client's address from X-Forwarded-For is what the
audit trail records and what the login limits count, and X-Forwarded-Proto decides Secure cookies and HSTS; with 0
(the default) a client's forwarding headers are ignored. A limit reached from one address never locks the account out
for another address."""
from __future__ import annotations

import pytest
from conftest import DEMO_PASSWORD
from sqlalchemy import select

from models import AuditEvent
from web.config import ConfigError, trusted_proxies

CLIENT_A, CLIENT_B = "203.0.113.7", "198.51.100.23"


def via_proxy(client_addr: str, proto: str = "http") -> dict:
    """What nginx sends (`$proxy_add_x_forwarded_for`): whatever the client claimed, then the address it saw."""
    return {"X-Forwarded-For": f"10.9.9.9, {client_addr}", "X-Forwarded-Proto": proto}


def login_events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_the_forwarded_client_address_reaches_the_audit_trail(make_app, db):
    client = make_app(TRUSTED_PROXIES=1).test_client()
    client.post("/login", data={"username": "giamdoc", "password": "sai-mat-khau"}, headers=via_proxy(CLIENT_A))
    r = client.post("/login", data={"username": "giamdoc", "password": DEMO_PASSWORD}, headers=via_proxy(CLIENT_B))
    assert r.status_code == 302
    client.post("/api/v1/auth/token", json={"username": "botp", "password": "x"}, headers=via_proxy(CLIENT_B))
    assert [(e.actor_username, e.ip) for e in login_events(db, "auth.login_failed")] == [
        ("giamdoc", CLIENT_A), ("botp", CLIENT_B)]
    assert [e.ip for e in login_events(db, "auth.login")] == [CLIENT_B]


def test_without_trusted_proxies_a_forwarded_address_is_ignored(make_app, db):
    client = make_app().test_client()  # TRUSTED_PROXIES defaults to 0
    client.post("/login", data={"username": "giamdoc", "password": "sai"}, headers=via_proxy(CLIENT_A, "https"))
    assert [e.ip for e in login_events(db, "auth.login_failed")] == ["127.0.0.1"]


def test_a_lock_out_from_one_address_leaves_the_account_open_to_another(make_app, db):
    """The finding: 25 wrong passwords for giamdoc from one client made the director's right password answer 429 from
    another client, because every request came from the proxy's address."""
    client = make_app(TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute",
                      RATELIMIT_LOGIN_IP="50 per minute").test_client()

    def attempt(addr, password="sai-mat-khau", path="/login"):
        body = {"username": "giamdoc", "password": password}
        sent = {"data": body} if path == "/login" else {"json": body}
        return client.post(path, headers=via_proxy(addr), **sent).status_code

    assert [attempt(CLIENT_A) for _ in range(4)] == [401, 401, 401, 429]
    assert attempt(CLIENT_A, DEMO_PASSWORD) == 429  # the guesser's address stays locked for this account
    assert attempt(CLIENT_B, DEMO_PASSWORD) == 302  # the director, from elsewhere, signs in
    assert attempt(CLIENT_B, DEMO_PASSWORD, "/api/v1/auth/token") == 200
    assert [attempt(CLIENT_A, path="/api/v1/auth/token") for _ in range(4)] == [401, 401, 401, 429]


def test_without_trusted_proxies_rotating_the_forwarded_address_does_not_escape_the_limit(make_app, db):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute").test_client()
    codes = [client.post("/login", data={"username": "giamdoc", "password": "sai"},
                         headers=via_proxy(f"192.0.2.{i}")).status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]


def session_cookie(response) -> str:
    cookies = [v for v in response.headers.getlist("Set-Cookie") if v.startswith("session=")]
    assert cookies, response.headers
    return cookies[0]


def test_over_https_the_session_cookie_is_secure_and_hsts_is_sent(make_app, db):
    client = make_app(TRUSTED_PROXIES=1).test_client()
    r = client.post("/login", data={"username": "giamdoc", "password": DEMO_PASSWORD},
                    headers=via_proxy(CLIENT_A, "https"))
    assert r.status_code == 302
    assert "; Secure" in session_cookie(r)
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" in client.get("/", headers=via_proxy(CLIENT_A, "https")).headers


def test_a_browser_signs_in_over_https_through_the_proxy_with_csrf_on(make_app, db):
    """Over HTTPS Flask-WTF also checks that a POST's Referer is this site: the same-origin Referrer-Policy keeps it."""
    import re

    client = make_app(TRUSTED_PROXIES=1, WTF_CSRF_ENABLED=True).test_client()
    # nginx to gunicorn is plain HTTP; X-Forwarded-Proto tells the application the browser used HTTPS.
    page = client.get("/login", headers=via_proxy(CLIENT_A, "https"), base_url="http://dienhinh.example")
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    body = {"username": "giamdoc", "password": DEMO_PASSWORD, "csrf_token": token}
    headers = {**via_proxy(CLIENT_A, "https"), "Referer": "https://dienhinh.example/login"}
    r = client.post("/login", data=body, headers=headers, base_url="http://dienhinh.example")
    assert r.status_code == 302 and "; Secure" in session_cookie(r)
    assert [e.ip for e in login_events(db, "auth.login")] == [CLIENT_A]


def test_over_plain_http_no_secure_cookie_and_no_hsts(make_app, db):
    client = make_app(TRUSTED_PROXIES=1).test_client()
    r = client.post("/login", data={"username": "giamdoc", "password": DEMO_PASSWORD}, headers=via_proxy(CLIENT_A))
    assert "Secure" not in session_cookie(r)
    assert "Strict-Transport-Security" not in r.headers


def test_a_client_claiming_https_without_a_trusted_proxy_gets_no_hsts(make_app, db):
    client = make_app().test_client()
    r = client.post("/login", data={"username": "giamdoc", "password": DEMO_PASSWORD},
                    headers=via_proxy(CLIENT_A, "https"))
    assert "Secure" not in session_cookie(r)
    assert "Strict-Transport-Security" not in r.headers


def test_session_cookie_secure_forces_the_flag(make_app, db):
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    r = client.post("/login", data={"username": "giamdoc", "password": DEMO_PASSWORD})
    assert "; Secure" in session_cookie(r)
    assert "Strict-Transport-Security" not in r.headers  # HSTS means nothing over plain HTTP


@pytest.mark.parametrize("raw,value", [(None, 0), ("", 0), ("0", 0), ("1", 1), (" 2 ", 2)])
def test_trusted_proxies_values(raw, value):
    assert trusted_proxies(raw) == value


@pytest.mark.parametrize("raw", ["-1", "yes", "1.5", "6", "999999999999"])
def test_a_bad_trusted_proxies_is_one_line_naming_it(raw):
    with pytest.raises(ConfigError, match="^TRUSTED_PROXIES must be"):
        trusted_proxies(raw)
