"""The responses' JSON (web.json_provider, orjson) is the document Flask's own provider wrote: same keys in the same
order, same values, the same dates; only non-ASCII text travels as UTF-8 instead of \\u escapes."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from flask.json.provider import DefaultJSONProvider

from web.json_provider import JSONProvider


@dataclasses.dataclass
class Point:
    x: int
    label: str


SAMPLES = [
    {"title": "Phòng Phổ biến, giáo dục pháp luật — tập thể", "z": 1, "a": [1.5, None, True, False, 0.1, 1e16],
     "nested": {"đ": "Đ", "b": {"c": []}}, "emoji": "🏅", "tab\tkey": "line\nbreak \"quoted\" \\ </script>"},
    {"when": dt.datetime(2026, 11, 29, 14, 0, tzinfo=dt.UTC), "day": dt.date(2026, 1, 31), "id": uuid.UUID(int=7),
     "amount": Decimal("12.50"), "point": Point(3, "Hà Nội"), "big": 2**63 - 1, "neg": -(2**63)},
    [{"b": 2, "a": 1}, "x", 3],
    {1: "one", 2: "two"},
    "Chỉ một chuỗi",
    None,
]


@pytest.fixture
def providers(app):
    return JSONProvider(app), DefaultJSONProvider(app)


@pytest.mark.parametrize("obj", SAMPLES)
def test_the_same_document_as_flask_wrote(app, providers, obj):
    fast, flask_own = providers
    with app.app_context():
        ours, theirs = fast.response(obj), flask_own.response(obj)
    assert ours.mimetype == theirs.mimetype == "application/json"
    assert ours.get_data().endswith(b"\n")
    assert json.loads(ours.get_data()) == json.loads(theirs.get_data())
    # The same key order (sorted), at every level.
    assert json.dumps(json.loads(ours.get_data())) == json.dumps(json.loads(theirs.get_data()))


def test_non_ascii_text_is_sent_as_utf8(app, providers):
    with app.app_context():
        body = providers[0].response({"name": "Sở Tư pháp"}).get_data()
    assert body == '{"name":"Sở Tư pháp"}\n'.encode()


def test_what_orjson_cannot_write_is_written_by_json_as_before(app, providers):
    fast, flask_own = providers
    for obj in ({"lone": "\ud800"}, {"huge": 2**70}):
        with app.app_context():
            assert fast.response(obj).get_data() == flask_own.response(obj).get_data()


def test_what_nothing_can_write_still_fails(app, providers):
    with app.app_context(), pytest.raises(TypeError):
        providers[0].response({"x": object()})


def test_the_app_answers_with_it(app, client):
    assert isinstance(app.json, JSONProvider)
    r = client.get("/healthz")
    assert r.get_json() == {"status": "ok"} and r.get_data() == b'{"status":"ok"}\n'
