"""The hottest reads run statements built once and bound per request (issue 13, second increment): the scope as a
prebuilt clause (`policy.scope_bound`) and the nomination list's two statements cached by their shape. These tests
fail if the prebuilt scope lets anyone see a row `policy.scope` hides (or hides one it shows), or if the list stops
reusing its statements and builds them again for every request."""
from __future__ import annotations

import datetime as dt

import pytest
from factories import nomination
from flask import jsonify
from sqlalchemy import select

from models import Nomination
from web.json_provider import document, json_ready
from workflow import policy
from workflow.errors import NotFound
from workflow.nominations import queries

USERS = ["admin", "vanphong", "giamdoc", "hoidong1", "tp_pbgdpl", "botp", "thanhtra", "bientap", "canbo1"]


@pytest.fixture
def nominations(db, demo):
    """Rows of two units, in states some readers see and others do not (the Ministry: recognised ones only), one
    of them about a person (the subject's own scope)."""
    return [nomination(db, demo, unit="HCTP", state="submitted"),
            nomination(db, demo, unit="PBGDPL", state="evaluated_co_so"),
            nomination(db, demo, person="Nguyễn Thị Lan", state="registered")]


@pytest.mark.parametrize("username", USERS)
def test_the_prebuilt_scope_reads_the_rows_the_scope_reads(db, demo, nominations, username):
    actor = demo.actor(username)
    for verb in ("view", "edit", "submit"):
        expected = set(db.scalars(select(Nomination.id).where(policy.scope(actor, "nomination", verb))))
        key, params = policy.scope_bound(actor, "nomination", verb)
        got = set(db.scalars(select(Nomination.id).where(policy.scope_clause(key)), params))
        assert got == expected, (username, verb)
    assert policy.scope_clause(key) is policy.scope_clause(policy.scope_bound(actor, "nomination", verb)[0])


@pytest.mark.parametrize("username", [*USERS, "tp_stp2", "phogiamdoc", None])
def test_every_prebuilt_scope_reads_what_its_scope_reads(db, demo, nominations, username):
    """`policy.load` opens every object through the prebuilt clause: for every object type with a table and every
    verb of the policy, the same rows as `policy.scope` (the demo's units, people, users, campaigns, councils and
    notifications, and the rows of the other types the tests add)."""
    actor = demo.actor(username) if username else None
    for (object_type, verb) in policy.POLICY:
        model = policy.KINDS[object_type].model
        if model is None:
            continue
        expected = set(db.scalars(select(model.id).where(policy.scope(actor, object_type, verb))))
        key, params = policy.scope_bound(actor, object_type, verb)
        got = set(db.scalars(select(model.id).where(policy.scope_clause(key)), params))
        assert got == expected, (username, object_type, verb)


def test_load_reuses_its_statement_and_still_hides_what_the_scope_hides(db, demo, nominations):
    hctp = nominations[0]
    policy._load_statement.cache_clear()
    for _ in range(3):
        assert queries.load_detail(db, demo.actor("vanphong"), hctp.id).id == hctp.id
    assert policy._load_statement.cache_info().misses == 1
    with pytest.raises(NotFound):
        queries.load_detail(db, demo.actor("tp_pbgdpl"), hctp.id)
    with pytest.raises(NotFound):
        queries.load_detail(db, demo.actor("tp_stp2"), hctp.id)
    with pytest.raises(NotFound):
        policy.load(db, demo.actor("vanphong"), "nomination", str(hctp.id))


def test_the_list_reuses_its_statements_and_binds_the_filters(db, demo, nominations):
    actor = demo.actor("vanphong")
    queries._page_statement.cache_clear()
    first = queries.list_nominations(db, actor, per_page=2, state="submitted,registered", q="50%_/x")
    assert first.total == 0
    for state in ("submitted", "registered", "submitted,registered"):
        p = queries.list_nominations(db, actor, per_page=1, state=state)
        assert p.total == sum(1 for n in nominations if n.state in state.split(","))
    info = queries._page_statement.cache_info()
    assert info.currsize == 2 and info.hits >= 2  # one shape with q=, one without: the values are bound


def test_like_patterns_escape_what_like_reads_as_wildcards():
    assert queries._like_pattern("50%_a/b") == "%50/%/_a//b%"


def test_the_api_documents_are_the_bytes_jsonify_wrote(app):
    """`json_provider.document` (one orjson pass, dates by orjson) writes what `jsonify(json_ready(doc))` wrote."""
    when = dt.datetime(2026, 11, 29, 17, 5, 3, 120, tzinfo=dt.UTC)
    doc = {"b": [when, when.replace(microsecond=0), dt.date(2026, 1, 2)], "a": {"đ": "Hồ sơ \u2028 <x>", "n": None},
           "items": [{"created_at": when, "id": 2**40, "ok": True, "x": 1.5}]}
    with app.test_request_context("/api/v1/nominations"):
        assert document(doc).get_data() == jsonify(json_ready(doc)).get_data()
        big = {"id": 2**70, "at": when}  # beyond orjson's integers: written the old way
        assert document(big).get_data() == jsonify(json_ready(big)).get_data()
