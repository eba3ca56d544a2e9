"""The hooks every request passes through (issue 13, fourth increment): what was made cheaper still does what it did.

flask-limiter's after_request and teardown now run only when a limited view checked its limit, and Flask-WTF's check
only for the methods it checks; these tests fail if either shortcut skips a request that needed the hook."""
from __future__ import annotations

import pytest
from flask.globals import request_ctx

from web.extensions import csrf

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def test_a_limited_view_still_answers_with_its_limit_headers_and_other_requests_without(make_app):
    app = make_app(SECRET_KEY="t", RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute",
                   RATELIMIT_LOGIN_IP="50 per minute")
    client = app.test_client()
    answers = [client.post("/login", data={"username": "vanphong", "password": "wrong"},
                           environ_base={"REMOTE_ADDR": "10.9.8.6"}) for _ in range(3)]
    assert [r.status_code for r in answers] == [401, 401, 429]
    for r in answers:
        assert all(name in r.headers for name in RATE_HEADERS), r.headers
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["1", "0", "0"]
    assert answers[2].headers["Retry-After"]
    # The state of the limited request was forgotten at its end: the next request, limited or not, starts afresh.
    healthz = client.get("/healthz")
    assert healthz.status_code == 200 and not any(name in healthz.headers for name in RATE_HEADERS)
    with app.test_request_context("/healthz"):
        app.preprocess_request()
        app.process_response(app.make_response("ok"))
        assert not hasattr(request_ctx._get_current_object(), "_limiter_request_context")


@pytest.mark.parametrize("method, checked", [("GET", False), ("HEAD", False), ("OPTIONS", False), ("POST", True)])
def test_the_csrf_check_runs_for_the_methods_it_checks(make_app, monkeypatch, method, checked):
    calls = []
    original = csrf.protect
    monkeypatch.setattr(csrf, "protect", lambda *a, **k: (calls.append(method), original(*a, **k))[1])
    client = make_app(SECRET_KEY="csrf", WTF_CSRF_ENABLED=True).test_client()
    r = client.open("/login", method=method, data={"username": "vanphong", "password": "x"})
    assert calls == ([method] if checked else [])
    if checked:
        assert r.status_code == 400  # no token: refused by Flask-WTF, as before
    else:
        assert r.status_code in (200, 405)
