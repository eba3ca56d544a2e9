"""The hooks every request passes through (issue 13, fourth increment): what was made cheaper still does what it did.

flask-limiter's after_request and teardown now run only when a limited view checked its limit, and Flask-WTF's check
only for the methods it checks; these tests fail if either shortcut skips a request that needed the hook."""
from __future__ import annotations

import itsdangerous
import pytest
from flask import app as flask_app
from flask.globals import request_ctx
from flask.sessions import SecureCookieSessionInterface
from webargs.flaskparser import FlaskParser

from web.api.base import ApiBlueprint
from web.extensions import csrf
from web.security import SessionInterface

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


QUERIES = ["", "page=2", "per_page=5&page=1", "state=registered,nurtured&q=hung&unit=3", "campaign=1&campaign=2",
           "unknown=1&page=x", "page=", "before_id=-1", "q=" + "a" * 300, "year=2030&month=13", "format=pdf",
           "action=nomination.&object_type=nomination&before_id=5", "from=2030-01-01&until=2029-01-01",
           "state=bogus", "subject_type=individual&subject_type=collective", "ids=1,2,3&kind=x"]


def _query_schemas(app):
    """Every schema an API view reads from the query string, as the views use it (one instance per class)."""
    seen = {}
    for view in app.view_functions.values():
        for parameter in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
            if isinstance(parameter, dict) and parameter.get("in") == "query":
                seen[type(parameter["schema"])] = parameter["schema"]
    return list(seen.values())


def _parse(parser, schema, app, query):
    with app.test_request_context(f"/api/v1/x?{query}"):
        try:
            return "ok", parser.parse(schema, location="query")
        except Exception as err:  # noqa: BLE001 - the refusal itself is compared
            return type(err).__name__, getattr(err, "data", {}).get("messages"), getattr(err, "code", None)


def test_the_query_parser_reads_what_webargs_own_proxy_reads(app):
    """The API's parser reads a query string through a proxy that answers an absent parameter without an exception
    and keeps each schema's list-valued keys; webargs' own proxy (the parser's before) must read the same values and
    refuse the same way, for every query schema of the API."""
    class WebargsProxyParser(type(ApiBlueprint.ARGUMENTS_PARSER)):
        def _makeproxy(self, multidict, schema, *, cls=None):
            return FlaskParser._makeproxy(self, multidict, schema)

    ours, theirs = ApiBlueprint.ARGUMENTS_PARSER, WebargsProxyParser()
    schemas = _query_schemas(app)
    assert len(schemas) >= 10
    for schema in schemas:
        for query in QUERIES + [f"{name}=1&{name}=2" for name in schema.fields]:
            assert _parse(ours, schema, app, query) == _parse(theirs, schema, app, query), (type(schema), query)


def _session_round(interface, app, cookie, change):
    """Opens the session of a request carrying `cookie`, applies `change` to it, saves it: what the response says."""
    headers = {"Cookie": cookie} if cookie is not None else {}
    with app.test_request_context("/x", headers=headers) as ctx:
        session = interface.open_session(app, ctx.request)
        opened = dict(session)
        change(session)
        response = app.response_class("ok")
        interface.save_session(app, session, response)
        return opened, sorted(response.headers.items())


def test_sessions_open_and_save_as_flasks_own_interface(app, monkeypatch):
    """web.security.SessionInterface answers cookie-less requests and untouched empty sessions without Flask's
    look-ups; the sessions it opens and the headers it writes must be Flask's for every case."""
    # One signing time for both interfaces' cookies: a second boundary between the two rounds changed the signature.
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: 1_767_225_600)
    flasks = SecureCookieSessionInterface()
    signed = flasks.get_signing_serializer(app).dumps({"_user_id": "7", "_fresh": True})
    changes = {
        "untouched": lambda s: None,
        # Reading through flask.session marks the session accessed (Flask's RequestContext.session), as Flask-Login's
        # after_request does on every request.
        "read": lambda s: (setattr(s, "accessed", True), s.get("_user_id")),
        "emptied": lambda s: s.clear(),
        "set": lambda s: s.__setitem__("k", "v"),
        "remember probe": lambda s: (setattr(s, "accessed", True), "_remember" in s),
    }
    for cookie in (None, "", "other=1", f"session={signed}", "session=forged.value", f"a=b; session={signed}"):
        for name, change in changes.items():
            ours = _session_round(app.session_interface, app, cookie, change)
            theirs = _session_round(flasks, app, cookie, change)
            assert ours == theirs, (cookie, name)
    assert isinstance(app.session_interface, SessionInterface)


def _open(app, cookie):
    with app.test_request_context("/x", headers={"Cookie": f"session={cookie}"}) as ctx:
        return app.session_interface.open_session(app, ctx.request)


def test_a_cookie_verified_before_is_not_verified_again_and_still_ages(app, monkeypatch):
    """A session cookie's text, once verified, maps to what it held (web.security.SessionInterface): the second
    request with it verifies nothing, yet gets its own copy of the session, an empty session once the signature is
    older than the session's lifetime (or from the future), as itsdangerous answers."""
    now = [1_767_225_600]
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: now[0])
    signed = app.session_interface.get_signing_serializer(app).dumps({"_user_id": "7", "sid": "s", "_fresh": True})
    assert dict(_open(app, signed)) == {"_user_id": "7", "sid": "s", "_fresh": True}
    verified = []
    original = itsdangerous.URLSafeTimedSerializer.loads
    monkeypatch.setattr(itsdangerous.URLSafeTimedSerializer, "loads",
                        lambda self, *a, **k: (verified.append(1), original(self, *a, **k))[1])
    first = _open(app, signed)
    first["_user_id"] = "8"  # a request's own change reaches neither the kept session nor the next request
    assert dict(_open(app, signed)) == {"_user_id": "7", "sid": "s", "_fresh": True} and verified == []
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    now[0] += lifetime
    assert dict(_open(app, signed))["_user_id"] == "7"
    now[0] += 1
    assert dict(_open(app, signed)) == {}  # expired: refused though kept
    now[0] -= lifetime + 2
    assert dict(_open(app, signed)) == {}  # signed in the future
    assert verified == []
    forged = signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")
    assert dict(_open(app, forged)) == {}
    once = len(verified)
    assert once and dict(_open(app, forged)) == {} and len(verified) == 2 * once  # never kept: verified each time


def test_a_session_holding_more_than_plain_values_is_verified_each_time(app):
    """A session holding a list (flashed messages) is not kept: a request appending to the list in place would
    change what the next request with the same cookie opens."""
    signed = app.session_interface.get_signing_serializer(app).dumps({"_user_id": "7", "_flashes": [["info", "a"]]})
    session = _open(app, signed)
    session["_flashes"].append(["info", "b"])
    assert _open(app, signed)["_flashes"] == [["info", "a"]]


def test_new_keys_forget_the_verified_cookies(app):
    """A cookie verified under the former SECRET_KEY is refused once the key changes (and accepted under a fallback
    naming the former key, as Flask accepts it)."""
    old_key = app.secret_key
    signed = app.session_interface.get_signing_serializer(app).dumps({"_user_id": "7"})
    assert dict(_open(app, signed)) == {"_user_id": "7"}
    try:
        app.secret_key = "another key"
        assert dict(_open(app, signed)) == {}
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        assert dict(_open(app, signed)) == {"_user_id": "7"}
    finally:
        app.secret_key = old_key
        app.config.pop("SECRET_KEY_FALLBACKS", None)


def test_the_pages_csrf_token_is_flask_wtfs(app, monkeypatch):
    """`web.extensions.csrf_token` (the templates' `csrf_token()`) keeps the serialised raw token and signs it per
    page: the token must be the one Flask-WTF's `generate_csrf` makes for the same session, key and second, at every
    second and under every key, and pass Flask-WTF's check; a session without a raw token gets one, as before."""
    from flask import g, session
    from flask_wtf.csrf import generate_csrf, validate_csrf

    from web.extensions import csrf_token

    now = [1_767_225_600]
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: now[0])
    assert app.jinja_env.globals["csrf_token"] is csrf_token
    for key in ("first key", "second key", "first key"):
        monkeypatch.setattr(app, "secret_key", key)
        for second in (0, 1, 3600):
            now[0] = 1_767_225_600 + second
            with app.test_request_context("/"):
                ours = csrf_token()
                assert session["csrf_token"] and csrf_token() == ours == g.csrf_token
                raw = session["csrf_token"]
            for _ in range(2):
                with app.test_request_context("/"):
                    session["csrf_token"] = raw
                    theirs = generate_csrf()
                with app.test_request_context("/"):
                    session["csrf_token"] = raw
                    assert csrf_token() == theirs, (key, second)
                    validate_csrf(theirs)
    rendered = app.jinja_env.from_string("{{ csrf_token() }}")
    with app.test_request_context("/"):
        assert rendered.render() == g.csrf_token


def test_ensure_sync_is_asked_once_per_function_and_still_wraps_async_ones(make_app, monkeypatch):
    """`web.App.ensure_sync` keeps Flask's answer per function: a request asks about the same hooks and views again,
    and `inspect.iscoroutinefunction` is not run for them again; an `async def` function is still handed to
    `async_to_sync` (wrapped) as Flask does, never returned as it is."""
    app = make_app()  # its own: nothing kept yet
    asked = []
    real = flask_app.iscoroutinefunction
    monkeypatch.setattr(flask_app, "iscoroutinefunction", lambda f: asked.append(f) or real(f))
    client = app.test_client()
    client.get("/healthz")
    first = len(asked)
    assert first > 0
    client.get("/healthz")
    assert len(asked) == first  # the second request's hooks and view: all answered from what was kept

    async def view():
        return "x"

    wrapped = []
    monkeypatch.setattr(type(app), "async_to_sync", lambda self, f: wrapped.append(f) or (lambda *a, **k: "sync"))
    assert app.ensure_sync(view) is not view and wrapped == [view]

    def plain():
        return "y"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
