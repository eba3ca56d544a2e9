"""A close's cost does not grow with its agenda (issue 13): the statements a close runs are the same for 5 items as
for 50 — ballots, tallies, rejections with their history and audit rows, the results told — and after a big close
the audit chains verify, each rejection written as its single transition would have written it."""
from __future__ import annotations

import pytest
from factories import close, entitled, open_session, unlimited, vote
from sqlalchemy import event, func, select

from models import AuditEvent, Nomination, Notification, Person, StateChange, fold
from notifications import audit
from workflow.council import operations as council
from workflow.errors import Conflict
from workflow.nominations import service

UNITS = ("HCTP", "PTP-LX", "PTP-CD", "PBGDPL", "TTR")


def _nominations(db, demo, count: int, tag: str, *, state: str = "submitted", units=UNITS) -> list[Nomination]:
    """`count` individual nominations in `state` of new people of several units (so several unit heads are told)."""
    campaign = demo.campaign()
    ns = []
    for k in range(count):
        unit = demo.unit(units[k % len(units)])
        name = f"Người thử {tag} {k}"
        p = Person(full_name=name, sort_key=fold(name), search_text=fold(name), unit_id=unit.id)
        db.add(p)
        db.flush()
        n = Nomination(campaign_id=campaign.id, department_id=unit.department_id, unit_id=unit.id,
                       subject_type="individual", subject_person_id=p.id, subject_key=f"p:{p.id}", title=name,
                       achievements="Thành tích", state=state)
        db.add(n)
        db.flush()
        db.add(StateChange(nomination_id=n.id, version=1, action="create", to_state=state, data={}))
        ns.append(n)
    db.flush()
    return ns


def _closed(db, demo, count: int, tag: str):
    """A session of `count` items, the first two passed by every entitled member, the others without a vote (they
    fail and are rejected), closed while the statements sent to the database are recorded."""
    unlimited(demo)
    items = _nominations(db, demo, count, tag)
    s = open_session(db, demo, items)
    for n in items[:2]:
        vote(db, demo, s, n, len(entitled(demo, n)))
    statements = []
    bind = db.connection().engine

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(bind, "before_cursor_execute", seen)
    try:
        close(db, demo, s)
    finally:
        event.remove(bind, "before_cursor_execute", seen)
    assert s.state == "closed"
    return s, items, statements


def test_a_close_runs_as_many_statements_for_50_items_as_for_5(db, demo):
    _, _, few = _closed(db, demo, 5, "a")
    s, items, many = _closed(db, demo, 50, "b")
    assert [i.outcome for i in s.items] == ["passed"] * 2 + ["failed"] * 48
    assert {n.state for n in items[2:]} == {"not_recognized"}
    assert abs(len(many) - len(few)) <= 3, (len(few), len(many))
    # Not one query per item for the ballots, the unit heads, the nominations or the transitions.
    assert len(many) < 50, len(many)


def test_the_audit_chains_verify_after_a_big_close(db, demo):
    s, items, _ = _closed(db, demo, 50, "c")
    rows = db.scalars(select(AuditEvent).where(AuditEvent.chain == f"dept:{s.department_id}")
                      .order_by(AuditEvent.seq.desc()).limit(49)).all()[::-1]
    assert [r.action for r in rows] == ["nomination.reject_co_so"] * 48 + ["council_session.closed"]
    assert [r.object_id for r in rows[:-1]] == [n.id for n in items[2:]]
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + 49))
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    # version 3: 2 is the acceptance the agenda recorded (issue 14)
    assert rows[0].data == {"before": {"state": "submitted"}, "after": {"state": "not_recognized"}, "version": 3,
                            "comment": council.OUTCOME_LABELS["failed"], "data": {"session_id": str(s.id)},
                            "on_behalf_of": None, "via": "cli"}
    history = db.scalars(select(StateChange).where(StateChange.action == "reject_co_so",
                                                   StateChange.nomination_id.in_([n.id for n in items]))).all()
    assert len(history) == 48 and {(h.version, h.to_state) for h in history} == {(3, "not_recognized")}
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "council.closed", Notification.object_id.in_([n.id for n in items]))) > 0
    result = audit.verify(db, mac_key=audit.mac_key())
    assert result.ok, result


def test_a_batch_of_steps_is_all_or_none(db, demo):
    """transition_many refuses the whole batch for one stale version, before anything is written; with the right
    versions every step is taken, each with its history and audit row."""
    ns = _nominations(db, demo, 3, "d", state="registered", units=("HCTP",))
    head = demo.actor("tp_hctp")
    stale = [service.Step(ns[0].id, 1), service.Step(ns[1].id, 2), service.Step(ns[2].id, 1)]
    before = db.scalar(select(func.count()).select_from(StateChange))
    with pytest.raises(Conflict) as err:
        service.transition_many(db, head, stale, "withdraw", reason="Rút hồ sơ")
    assert err.value.current_version == 1 and err.value.reasons == [service.STALE_REASON]
    assert db.scalar(select(func.count()).select_from(StateChange)) == before
    assert {db.scalar(select(Nomination.state).where(Nomination.id == n.id)) for n in ns} == {"registered"}
    done = service.transition_many(db, head, [service.Step(n.id, 1, f"Lần {k}") for k, n in enumerate(ns)],
                                   "withdraw", reason="Rút hồ sơ")
    assert [(n.state, n.version) for n in done] == [("withdrawn", 2)] * 3
    rows = db.execute(select(StateChange.nomination_id, StateChange.version, StateChange.comment, StateChange.data)
                      .where(StateChange.action == "withdraw").order_by(StateChange.id)).all()
    assert rows == [(n.id, 2, f"Lần {k}", {"reason": "Rút hồ sơ"}) for k, n in enumerate(ns)]
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "nomination.withdraw")
                        .order_by(AuditEvent.seq)).all()
    assert [e.object_id for e in events] == [n.id for n in ns]
    assert audit.verify(db, mac_key=audit.mac_key()).ok
