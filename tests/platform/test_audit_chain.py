"""The audit trail is tamper-evident: `notifications.audit.verify` and `dienhinh audit verify` find an edited or a
removed event and name it. On PostgreSQL the append-only trigger is switched off first (`as_dba`), as the
database's administrator could."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update

from models import AuditEvent, Nomination
from models.base import json_text
from notifications import audit
from workflow import clock, refusals
from workflow.context import Context
from workflow.errors import Forbidden
from workflow.nominations import service


@pytest.fixture
def trail(db, demo):
    """A few real actions, committed: create, update, start_nurturing, withdraw. Returns the event ids in order."""
    tp = demo.actor("tp_pbgdpl")
    n = service.create_nomination(db, tp, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng PBGDPL")
    n = service.update_nomination(db, tp, n.id, n.version, achievements="Thành tích")
    n = service.transition(db, tp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    service.transition(db, demo.actor("vanphong"), n.id, "withdraw", n.version, reason="Rút")
    db.commit()
    ids = list(db.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
    db.commit()  # end the read transaction (on SQLite it holds the write lock)
    assert len(ids) == 4
    return ids


def _verify(session_factory, db):
    db.commit()  # verify from another connection, as the CLI does
    with session_factory() as s:
        return audit.verify(s)


def test_chain_verifies_after_actions(trail, session_factory, db):
    result = _verify(session_factory, db)
    assert (result.ok, result.checked, result.bad_id) == (True, len(trail), None)
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert events[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert {e.chain for e in events} == {f"dept:{db.scalar(select(Nomination.department_id))}"}


def test_empty_trail_verifies(db, session_factory):
    assert _verify(session_factory, db).ok


@pytest.mark.parametrize("position", [0, 1, -1])
def test_editing_an_event_is_detected_and_named(trail, db, session_factory, position, as_dba):
    target = trail[position]
    as_dba(db)
    db.execute(update(AuditEvent).where(AuditEvent.id == target).values(data={"state": "recognized"}))
    db.commit()
    result = _verify(session_factory, db)
    assert (result.ok, result.bad_id) == (False, target)
    assert "hash" in result.problem


def test_editing_a_plain_column_by_sql_is_detected(trail, db, session_factory, as_dba):
    as_dba(db)
    db.execute(text("UPDATE audit_events SET actor_username = 'admin' WHERE id = :id"), {"id": trail[2]})
    db.commit()
    assert _verify(session_factory, db).bad_id == trail[2]


def test_rehashing_an_edited_event_breaks_the_next_link(trail, db, session_factory, as_dba):
    """A forger who recomputes the edited row's own hash still breaks the link from the next row."""
    as_dba(db)
    ev = db.get(AuditEvent, trail[1])
    ev.actor_username = "admin"
    new_hash = audit.compute_hash(ev.prev_hash, ev)
    db.execute(update(AuditEvent).where(AuditEvent.id == trail[1]).values(actor_username="admin", hash=new_hash))
    db.commit()
    result = _verify(session_factory, db)
    assert (result.ok, result.bad_id) == (False, trail[2])


def test_deleting_a_middle_event_is_detected(trail, db, session_factory, as_dba):
    as_dba(db)
    db.execute(delete(AuditEvent).where(AuditEvent.id == trail[1]))
    db.commit()
    result = _verify(session_factory, db)
    assert (result.ok, result.bad_id) == (False, trail[2])
    assert result.problem == audit.GAP and result.chain == f"dept:{db.scalar(select(Nomination.department_id))}"


def test_verify_streams_in_batches(trail, session_factory, db, as_dba):
    db.commit()
    with session_factory() as s:
        assert audit.verify(s, batch=1).checked == len(trail)
    as_dba(db)
    db.execute(text("UPDATE audit_events SET action = 'x' WHERE id = :id"), {"id": trail[3]})
    db.commit()
    with session_factory() as s:
        assert audit.verify(s, batch=2).bad_id == trail[3]


def test_verify_leaves_the_callers_session_alone(trail, db, demo):
    """verify streams through the caller's session; it must not drop the caller's own objects from it
    (a change made after the check would silently not be saved)."""
    n = db.scalar(select(Nomination))
    assert audit.verify(db).ok
    n.title = "Đổi tên sau khi kiểm tra"
    db.commit()
    db.expire_all()
    assert db.scalar(select(Nomination.title)) == "Đổi tên sau khi kiểm tra"


def test_refusals_are_recorded_on_the_chain(db, demo, session_factory):
    try:
        service.create_nomination(db, demo.actor("tp_hctp"), campaign_id=demo.campaign().id,
                                  subject_type="collective", unit_id=demo.unit("PBGDPL").id, title="x")
    except Forbidden as err:
        db.rollback()
        refusals.record(db, actor=demo.actor("tp_hctp"), action="nomination.create", object_type="nomination",
                        object_id=None, error=err, context=Context(ip="10.0.0.7", user_agent="pytest", via="api"))
        db.commit()
    event = db.scalar(select(AuditEvent).where(AuditEvent.outcome == "refused"))
    assert (event.actor_username, event.action, event.ip, event.data["status"], event.data["via"]) == (
        "tp_hctp", "nomination.create", "10.0.0.7", 403, "api")
    assert event.data["reasons"]
    assert _verify(session_factory, db).ok


# ------------------------------------------------------------------------------------------------ the CLI
def _cli(app, *args):
    from web.cli import main

    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


@pytest.mark.fresh_db  # the parallel walk's processes read an exported snapshot: not from a savepoint
def test_cli_audit_verify(app, trail, db, as_dba):
    db.commit()
    ok = _cli(app, "audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert str(len(trail)) in ok.output
    as_dba(db)
    db.execute(text("UPDATE audit_events SET action = 'nomination.recognize_nganh' WHERE id = :id"),
               {"id": trail[2]})
    db.commit()
    broken = _cli(app, "audit", "verify")
    assert broken.exit_code != 0
    assert f"#{trail[2]}" in broken.output  # the event id, and its chain and position
    assert "dept:" in broken.output and "#3" in broken.output


def test_canonical_form_of_edge_values(db, session_factory, monkeypatch):
    """NULLs, separators and Vietnamese text in every field, a time with no microseconds: the event verifies, and on
    PostgreSQL the form the database builds for the verifier is exactly the one the application hashed."""
    import datetime as dt

    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 3, 1, 7, 0, 0, tzinfo=dt.UTC))
    audit.append(db, action="test.edge", actor_username="Người ~ dùng:7", data={"ý kiến": ["~", "3:abc", None, 1.5]},
                 context=Context(ip=None, user_agent="UA: ~ \"x\" ư", via="api"))
    monkeypatch.undo()
    audit.append(db, action="test.edge", object_type="nomination", object_id=0, data={},
                 context=Context(ip="::1", user_agent="", via="web"))
    # What COPY's text format escapes (the verifier's PostgreSQL stream): backslash, tab, newline, CR, \b \f \v.
    audit.append(db, action="test.edge", actor_username="a\\b\tc", data={"s": "x\\y\n\tz\r\b\f\v \\N"},
                 context=Context(ip=None, user_agent="tab\there\nnewline \\N \\", via="web"))
    db.commit()
    with session_factory() as s:
        assert audit.verify(s, mac_key=audit.mac_key()).ok
        if s.get_bind().dialect.name == "postgresql":
            walks = audit.walk_chains_pg(s, {"system": (0, audit.GENESIS)}, mac_key=audit.mac_key())
            assert walks["system"].ok and walks["system"].checked == 3, walks
        if s.get_bind().dialect.name == "postgresql":
            events = s.scalars(select(AuditEvent).where(AuditEvent.chain == "system").order_by(AuditEvent.seq)).all()
            forms = [r[4] for r in s.execute(audit._WALK_PG, {"chain": "system", "after": 0, "size": 10})]
            assert forms == [audit.canonical_fields(
                e.chain, e.seq, e.created_at, e.actor_id, e.actor_username, e.action, e.outcome, e.object_type,
                e.object_id, e.ip, e.user_agent, s.scalar(select(audit.data_text_column(s))
                                                         .where(AuditEvent.id == e.id))) for e in events]


@pytest.mark.fresh_db  # the parallel walk's processes read an exported snapshot: not from a savepoint
def test_a_parallel_walk_checks_the_links_across_its_segments(db, session_factory, as_dba):
    """`dienhinh audit verify --jobs 2` (PostgreSQL): the events split by id into two segments, each hashed by its own
    process in one exported snapshot. It finds what one pass finds, also at the first event of a chain after the
    boundary (whose link only the join of the segments checks)."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("parallel segments read one exported snapshot (PostgreSQL)")
    for i in range(30):
        audit.append(db, action="test.parallel", chain=f"dept:{999500 + i % 3}", data={"i": i})
    db.commit()
    starts = {c: (0, audit.GENESIS) for c in audit.chains(db) if c != audit.LEGACY}
    one = audit.walk_chains_pg(db, starts, mac_key=audit.mac_key())
    two = audit.walk_chains_pg(db, starts, mac_key=audit.mac_key(), jobs=2, min_parallel=0)
    db.commit()
    assert all(w.ok for w in two.values()) and {c: (w.checked, w.last_seq, w.last_hash) for c, w in two.items()} == {
        c: (w.checked, w.last_seq, w.last_hash) for c, w in one.items()}
    assert sum(w.checked for w in two.values()) >= 30
    lo, hi = db.execute(text("SELECT min(id), max(id) FROM audit_events")).one()
    boundary = lo + (hi - lo) // 2
    first_after = db.execute(select(AuditEvent.chain, AuditEvent.seq).where(
        AuditEvent.id > boundary, AuditEvent.chain == "dept:999501").order_by(AuditEvent.id).limit(1)).one()
    db.commit()
    as_dba(db)
    db.execute(update(AuditEvent).where(AuditEvent.chain == first_after.chain, AuditEvent.seq == first_after.seq)
               .values(prev_hash="f" * 64))
    db.commit()
    one = audit.walk_chains_pg(db, starts, mac_key=audit.mac_key())
    two = audit.walk_chains_pg(db, starts, mac_key=audit.mac_key(), jobs=2, min_parallel=0)
    db.commit()
    bad = two[first_after.chain]
    assert not bad.ok and (bad.bad_seq, bad.problem) == (first_after.seq, audit.BROKEN_LINK)
    assert (one[first_after.chain].bad_seq, one[first_after.chain].problem) == (bad.bad_seq, bad.problem)
    assert all(w.ok for c, w in two.items() if c != first_after.chain)


_KEYS = st.one_of(st.text(max_size=8), st.integers(-5, 20))
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
                    st.dates(), st.datetimes(), st.decimals(allow_nan=False, places=2), st.uuids())
_DATA = st.recursive(_LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                                                      st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_KEYS, _DATA, max_size=6))
def test_an_events_data_is_stored_and_hashed_as_the_same_text_in_one_pass(data):
    """`audit.data_text` (one json.dumps) gives the exact text the append stored and hashed before it, `json_text` of
    `_jsonable` (dumps, loads, dumps): the same sorted keys at every level, the same str() of what JSON cannot hold,
    the same escapes (Vietnamese text above all), the same refusal of keys that cannot be sorted together."""
    try:
        before = json_text(audit._jsonable(data))
    except TypeError:
        with pytest.raises(TypeError):
            audit.data_text(data)
        return
    assert audit.data_text(data) == before


def test_an_events_data_text_keeps_vietnamese_escaped_as_before():
    data = {"nurture_plan": "Kế hoạch bồi dưỡng điển hình", "via": "api", "b": {"z": 1, "a": [1, "Đ"]}}
    assert audit.data_text(data) == json_text(audit._jsonable(data))
    assert "\\u1ebf" in audit.data_text(data)
