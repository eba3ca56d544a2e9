"""Browser hardening (issue 11, item 3): every response carries a strict Content-Security-Policy, framing is refused,
types are not sniffed, the referrer stays on the site; HSTS only over HTTPS. A response with a policy of its own (a
story image: `default-src 'none'; sandbox`) keeps it. No template carries what the policy would refuse (inline
scripts, event-handler attributes, style attributes)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Response
from test_pages_every_role import ACCOUNTS, PAGES
from test_stories import example, png, write  # noqa: F401 (example: a fixture)

from web import security
from workflow.propagation import stories

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
# Every page without a parameter (the URL map's GET rules) and the walk of test_pages_every_role, plus a 404, a static
# file, the JSON API and its error.
MORE = ["/login", "/council", "/council/sessions", "/council/sessions/new", "/decisions", "/decisions/new", "/ministry",
        "/proposals", "/proposals/new", "/nominations/new", "/account/password", "/admin", "/admin/calendar",
        "/admin/campaigns", "/admin/campaigns/new", "/admin/people", "/admin/people/new", "/admin/units",
        "/admin/units/new", "/admin/users", "/admin/users/new", "/no-such-page", "/static/app.css",
        "/api/v1/nominations", "/api/v1/no-such-thing", "/api/openapi.json", "/healthz"]
EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def assert_hardened(response, where) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert directives.get("frame-ancestors") == "'none'", (where, csp)
    assert directives.get("script-src") == "'self'" and directives.get("style-src") == "'self'", (where, csp)
    assert directives.get("object-src") == "'none'" and directives.get("default-src") == "'self'", (where, csp)
    assert "unsafe" not in csp, (where, csp)
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (where, name, response.headers.get(name))
    assert "Strict-Transport-Security" not in response.headers, where  # plain HTTP in the test client


@pytest.mark.parametrize("username", [None, *ACCOUNTS])
def test_every_page_to_every_account_carries_the_headers(client, login, db, username):
    db.commit()
    if username:
        assert login(username).status_code == 302
    for path in dict.fromkeys(PAGES + MORE):
        r = client.get(path)
        assert r.status_code < 500, (username, path, r.status_code)
        assert_hardened(r, (username, path, r.status_code))
        r.close()


def test_refusals_and_redirects_carry_them_too(client, db):
    db.commit()
    r = client.post("/login", data={"username": "giamdoc", "password": "sai"})
    assert r.status_code == 401
    assert_hardened(r, "failed login")
    assert_hardened(client.get("/nominations"), "redirect to login")
    assert_hardened(client.post("/api/v1/auth/token", data="{", content_type="application/json"), "bad JSON")


def test_a_story_image_keeps_its_own_policy(client, login, db, demo, example):  # noqa: F811
    story = write(db, demo, example)
    image = stories.add_image(db, demo.actor("bientap"), story.id, data=png(), filename="anh.png", caption="Ảnh")
    db.commit()
    login("bientap")
    r = client.get(f"/stories/{story.id}/images/{image.id}")
    assert r.status_code == 200
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
    r.close()


def test_a_route_setting_its_own_headers_keeps_them(app):
    with app.test_request_context("/"):
        response = Response(headers={"Content-Security-Policy": "sandbox", "Referrer-Policy": "no-referrer"})
        security.security_headers(response)
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_carries_what_the_policy_refuses(template):
    text = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.S)  # Jinja comments
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>: move it to web/static"
    assert not re.search(r"<style\b", text), "a <style> block: move it to web/static/app.css"
    assert not re.search(r"\sstyle\s*=", text), "a style= attribute: use a class from web/static/app.css"
    assert not re.search(r"\son[a-z]+\s*=", text), "an event-handler attribute: bind it in web/static/app.js"
    assert not re.search(r"\shx-on|\bjavascript:|\bjs:", text), "htmx may not evaluate code (allowEval is false)"


def test_the_api_answers_do_not_vary_by_cookie_and_the_pages_do(client, login, api, db):
    """The JSON API answers a bearer token or nothing, never the session cookie: a cache between it and its clients
    must not be told the answer differs per cookie (`Vary: Cookie` came from flask-login's remember hook looking at the
    session on every response). A page's answer does depend on the cookie and keeps saying so — even when the browser
    sends a session cookie to the API, which ignores it."""
    db.commit()
    for r in (api.as_("vanphong").get("/nominations"), api.get("/nominations"), api.get("/no-such-thing"),
              client.post("/api/v1/auth/token", json={"username": "vanphong", "password": "sai"})):
        assert "cookie" not in r.headers.get("Vary", "").lower(), (r.request.path, r.status_code, r.headers)
    assert "cookie" in client.get("/login").headers.get("Vary", "").lower()
    assert login("vanphong").status_code == 302
    assert "cookie" in client.get("/nominations").headers.get("Vary", "").lower()
    assert client.get_cookie("session") is not None
    r = client.get("/api/v1/nominations")
    assert r.status_code == 401 and "cookie" not in r.headers.get("Vary", "").lower()
