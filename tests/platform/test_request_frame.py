"""An API request's frame around its view (issue 13, ninth increment, "frame"): what was made cheaper still answers,
refuses and logs as before. On SQLite and PostgreSQL.

- The JSON body is parsed once: the text rule's tree is handed to the view's parser (webargs) when the parser would
  have read the same tree from the same bytes, and only then.
- The access line is the record `Logger.info` made, without walking the stack; the JSON formatter writes
  python-json-logger's line.
- A request id is `uuid4().hex`'s 32 digits; flask-login's remember hook runs when it has work.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
import sys
import uuid

import factories
import pytest
import webargs.core
from flask_login import LoginManager

from web import inputs
from web.ops import logs

STALE = 999_999  # a version no nomination has: the transition answers 409 after its arguments are parsed


@pytest.fixture
def nomination(api, db, demo):
    head, created = factories.registered_through_api(api, db, demo)
    return head, created["id"]


def _body(**fields) -> dict:
    return {"action": "submit", "version": STALE, "comment": "Trình hồ sơ – “điển hình” 2026", **fields}


HANDED, PARSED, REFUSED = "handed", "parsed", "refused"  # the tree handed on; parsed by webargs; 422 before the view

BODIES = [
    ("utf-8", json.dumps(_body(), ensure_ascii=False).encode(), HANDED),
    ("ascii escapes", json.dumps(_body()).encode(), HANDED),
    ("a number, a null, nested", json.dumps(_body(reason=None, decision_date="2026-01-02")).encode(), HANDED),
    ("unknown field", json.dumps(_body(extra={"a": [1, 2, {"b": "c"}]})).encode(), HANDED),
    ("not a dict", b"[1, 2, 3]", HANDED),
    ("utf-8 with a BOM", b"\xef\xbb\xbf" + json.dumps(_body(), ensure_ascii=False).encode(), PARSED),
    ("utf-16", json.dumps(_body(), ensure_ascii=False).encode("utf-16-le"), PARSED),
    ("crlf normalised", json.dumps(_body(comment="a\r\nb")).encode(), PARSED),
    ("nested 250 deep", json.dumps(_body(extra=json.loads("[" * 250 + "]" * 250))).encode(), PARSED),
    ("not json", b"{oops", PARSED),
    ("a nul", json.dumps(_body(comment="a\x00b")).encode(), REFUSED),
    ("a lone surrogate", json.dumps(_body(comment="\ud800")).encode(), REFUSED),
]


@pytest.mark.parametrize("name, raw, path", BODIES, ids=[b[0] for b in BODIES])
def test_a_json_body_is_parsed_once_and_the_view_reads_what_it_read_before(nomination, monkeypatch, name, raw, path):
    """The transition's body is parsed by the text rule (`web.inputs`) and, when the parser would read the same tree
    from the same bytes, not again by webargs: then webargs' `parse_json` is never called. Either way the answer is
    the one the parser's own reading gives (the hand-over switched off: `HANDED_OPENINGS = 0`)."""
    client, nid = nomination
    parsed = []
    parse_json = webargs.core.parse_json
    monkeypatch.setattr(webargs.core, "parse_json", lambda s, **kw: parsed.append(s) or parse_json(s, **kw))

    def post():
        r = client.post(f"/nominations/{nid}/transitions", data=raw, content_type="application/json")
        return r.status_code, r.headers.get("Content-Type"), r.get_data()

    answer = post()
    assert len(parsed) == (1 if path == PARSED else 0)
    assert answer[0] == (422 if path == REFUSED else answer[0]) and answer[0] in (400, 409, 422), answer
    monkeypatch.setattr(inputs, "HANDED_OPENINGS", 0)  # the parser reads the body itself, as before
    del parsed[:]
    assert post() == answer
    assert len(parsed) == (0 if path == REFUSED else 1)


def test_the_handed_tree_is_taken_once_and_only_for_the_same_bytes(app):
    """A second read of the body (another JSON argument) parses the bytes again, and a tree handed for other bytes
    (the body replaced meanwhile) is never taken."""
    from web.api.base import ApiBlueprint
    from web.api.schemas import TransitionSchema

    parser, schema = ApiBlueprint.ARGUMENTS_PARSER, TransitionSchema()
    body = json.dumps(_body()).encode()
    with app.test_request_context("/api/v1/x", method="POST", data=body, content_type="application/json"):
        from flask import request

        inputs.check_request()
        handed = getattr(request, inputs.PARSED_BODY)
        assert handed[0] is request.get_data(cache=True) and handed[1] == json.loads(body)
        assert parser.load_json(request, schema) is handed[1]
        again = parser.load_json(request, schema)
        assert again == handed[1] and again is not handed[1]
    with app.test_request_context("/api/v1/x", method="POST", data=body, content_type="application/json"):
        inputs.check_request()
        setattr(request, inputs.PARSED_BODY, (b"other bytes", {"other": "tree"}))
        assert parser.load_json(request, schema) == json.loads(body)


# ------------------------------------------------------------------------------------------- the access line
class _Custom:
    def __str__(self):
        return "tùy chỉnh"


def _records() -> list[logging.LogRecord]:
    def make(msg="%s %s", args=("GET", "/x"), extra=None, **kw):
        return logging.getLogger("dienhinh.test").makeRecord("dienhinh.test", kw.pop("level", logging.INFO), "f.py",
                                                            7, msg, args, kw.pop("exc_info", None), "fn",
                                                            extra, kw.pop("sinfo", None))

    try:
        raise ValueError("hỏng")
    except ValueError:
        exc_info = sys.exc_info()
    records = [
        make(),
        make(extra={"user": "vanphong", "method": "POST", "path": "/api/v1/nominations/1/transitions",
                    "status": 200, "duration_ms": 3.1, "remote_addr": "203.0.113.7"}),
        make("xin chào %s", ("thế giới",), extra={"user": None, "n": 10**20, "f": 1.5e-7, "flag": False}),
        make(extra={"when": dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), "day": dt.date(2026, 1, 2),
                    "at": dt.time(8, 30), "amount": decimal.Decimal("1.10"), "id": uuid.UUID(int=5),
                    "raw": b"\x00\xff", "obj": _Custom(), "items": [1, "hai", {"ba": None}],
                    "nested": {"k": ["v", 2.5]}}),
        make(extra={"time": "the record's own", "_private": 1, "request_id": "edge-1"}),
        make("%d%% xong", (50,), level=logging.WARNING),
        make({"event": "a dict message", "n": 1}, ()),
        make("lỗi", (), exc_info=exc_info),
        make("ngăn xếp", (), sinfo="Stack (most recent call last):\n  frame"),
        make(extra={"nan": float("nan"), "inf": float("inf"), "tab\tkey": "x\ny", "emoji": "🙂", "nul": "a\x00b"}),
    ]
    numbered = make()
    numbered.__dict__[1] = "a key that is not text"
    records.append(numbered)
    exc_text = make("đã định dạng", ())
    exc_text.exc_text = "Traceback: đã có sẵn"
    records.append(exc_text)
    return records


def test_the_json_formatter_writes_python_json_loggers_line():
    """`logs.json_formatter()` against python-json-logger's own JsonFormatter with the same arguments, over records of
    every shape a line can have (extras of every type, a dict message, an exception, a stack, private and non-text
    keys, an extra named like the timestamp): the same text."""
    from pythonjsonlogger.json import JsonFormatter

    ours = logs.json_formatter()
    library = JsonFormatter("{levelname}{name}{message}", style="{", timestamp="time",
                            rename_fields={"levelname": "level", "name": "logger"}, json_ensure_ascii=False)
    assert type(ours) is not JsonFormatter  # the shortcut is installed: the comparison below is not trivial
    for record in _records():
        for _ in range(2):  # formatting twice (record.message, exc_text cached by the first) changes nothing
            assert ours.format(record) == library.format(record), record.__dict__


def test_the_access_line_is_made_without_walking_the_stack(make_app, monkeypatch):
    """The access line's record names the place `Logger.findCaller` would name (this module, `_finish`, its line)
    without `findCaller` being called for it; every other field is what `ACCESS.info` gave it."""
    app = make_app(LOG_FORMAT="json")
    walked = []
    find_caller = logging.Logger.findCaller
    monkeypatch.setattr(logging.Logger, "findCaller",
                        lambda self, *a, **kw: walked.append(self.name) or find_caller(self, *a, **kw))
    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record)

    keep, level = Keep(), logs.ACCESS.level
    keep.addFilter(logs.RequestIdFilter())
    logs.ACCESS.addHandler(keep)
    logs.ACCESS.setLevel(logging.INFO)
    try:
        app.test_client().get("/healthz", headers={"X-Request-ID": "frame-1"})
    finally:
        logs.ACCESS.removeHandler(keep)
        logs.ACCESS.setLevel(level)
    (record,) = seen
    assert "dienhinh.access" not in walked
    code = logs._finish.__code__
    assert (record.pathname, record.funcName, record.module) == (code.co_filename, "_finish", "logs")
    assert code.co_firstlineno < record.lineno < code.co_firstlineno + 30
    assert (record.levelno, record.msg, record.args[:3]) == (logging.INFO, "%s %s %s %sms", ("GET", "/healthz", 200))
    assert record.getMessage().startswith("GET /healthz 200 ") and record.request_id == "frame-1"
    assert {k: getattr(record, k) for k in ("user", "method", "path", "status", "remote_addr")} == {
        "user": None, "method": "GET", "path": "/healthz", "status": 200, "remote_addr": "127.0.0.1"}
    assert record.duration_ms == record.args[3] and isinstance(record.duration_ms, float)


@pytest.mark.parametrize("random", [bytes(16), b"\xff" * 16, bytes(range(16)), bytes(range(240, 256))])
def test_a_new_request_id_is_uuid4_hex(monkeypatch, random):
    """The same 32 hex digits `uuid.uuid4().hex` makes of the same 16 random bytes (version and variant bits set)."""
    monkeypatch.setattr(logs.os, "urandom", lambda n: random[:n])
    assert logs.new_request_id() == uuid.UUID(bytes=random, version=4).hex
    assert logs.request_id_from(None) == logs.request_id_from("bad id") == logs.new_request_id()
    assert logs.request_id_from("edge-1") == "edge-1"


def test_the_remember_hook_runs_only_when_it_has_work(make_app, monkeypatch):
    """flask-login's `_update_remember_cookie` is not run for a request whose session holds no `_remember` mark
    (every API call, every page of a signed-in browser): it had nothing to do there. It still runs, and sets its
    cookie, when a session holds the mark, and on every request when `REMEMBER_COOKIE_REFRESH_EACH_REQUEST` is on."""
    ran = []
    update = LoginManager._update_remember_cookie
    monkeypatch.setattr(LoginManager, "_update_remember_cookie",
                        lambda self, response: ran.append(1) or update(self, response))
    app = make_app()
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/nominations").status_code == 401
    with client.session_transaction() as session:
        session["_user_id"] = "1"
    client.get("/healthz")
    assert ran == []
    with client.session_transaction() as session:
        session["_remember"] = "set"
    r = client.get("/healthz")
    assert ran == [1] and "remember_token=" in r.headers.get("Set-Cookie", "")
    app.config["REMEMBER_COOKIE_REFRESH_EACH_REQUEST"] = True
    client.get("/healthz")
    assert ran == [1, 1]
