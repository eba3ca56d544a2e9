"""Two people press the same button at the same moment: real threads, each with its own session and connection,
on SQLite (BEGIN IMMEDIATE) and PostgreSQL (SELECT ... FOR UPDATE). Exactly one wins; the others get 409."""
from __future__ import annotations

import threading

import pytest
from factories import race
from sqlalchemy import func, select

from models import AuditEvent, StateChange, User
from notifications import audit
from workflow.errors import Conflict
from workflow.nominations import service
from workflow.policy import actor_for

# Threads (or two requests) each with a connection of their own: the reseeded database, not one rolled-back connection.
pytestmark = pytest.mark.fresh_db

N = 8


def _race(session_factory, nomination_id, usernames, action, version, **data):
    def fire(session, actor):
        service.transition(session, actor, nomination_id, action, version, **data)

    return ["conflict" if r in ("Conflict", "StaleVersion") else r
            for r in race(session_factory, [(u, fire) for u in usernames], refused=(Conflict,))]


def test_same_transition_fired_by_eight_threads(db, demo, session_factory):
    n = service.create_nomination(db, demo.actor("tp_pbgdpl"), campaign_id=demo.campaign().id,
                                  subject_type="collective", unit_id=demo.unit("PBGDPL").id, title="Phòng PBGDPL")
    db.commit()
    nomination_id, events_before = n.id, db.scalar(select(func.count()).select_from(AuditEvent))
    db.close()  # release the connection (on SQLite, its write lock) before the race

    usernames = ["tp_pbgdpl", "vanphong"] * (N // 2)
    results = _race(session_factory, nomination_id, usernames, "start_nurturing", 1, nurture_plan="Kế hoạch")

    assert sorted(results) == ["conflict"] * (N - 1) + ["ok"], results
    with session_factory() as s:
        rows = s.scalars(select(StateChange).where(StateChange.nomination_id == nomination_id)
                         .order_by(StateChange.version)).all()
        assert [(r.action, r.version) for r in rows] == [("create", 1), ("start_nurturing", 2)]
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == events_before + 1
        result = audit.verify(s)
        assert result.ok, result


def test_different_transitions_racing_on_one_version(db, demo, session_factory):
    """A withdrawal and a start of nurturing on the same version: one of them, never both."""
    n = service.create_nomination(db, demo.actor("tp_pbgdpl"), campaign_id=demo.campaign().id,
                                  subject_type="collective", unit_id=demo.unit("PBGDPL").id, title="Phòng PBGDPL")
    db.commit()
    nomination_id = n.id
    db.close()
    barrier = threading.Barrier(2)
    outcome = {}

    def worker(action, data):
        with session_factory() as session:
            barrier.wait(timeout=10)
            actor = actor_for(session, session.scalar(select(User).where(User.username == "vanphong")))
            try:
                service.transition(session, actor, nomination_id, action, 1, **data)
                session.commit()
                outcome[action] = "ok"
            except Conflict:
                session.rollback()
                outcome[action] = "conflict"

    threads = [threading.Thread(target=worker, args=("withdraw", {"reason": "Rút"})),
               threading.Thread(target=worker, args=("start_nurturing", {"nurture_plan": "Kế hoạch"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcome.values()) == ["conflict", "ok"], outcome
    with session_factory() as s:
        winner = next(a for a, r in outcome.items() if r == "ok")
        rows = s.scalars(select(StateChange).where(StateChange.nomination_id == nomination_id)
                         .order_by(StateChange.version)).all()
        assert [r.action for r in rows] == ["create", winner]
        assert audit.verify(s).ok
