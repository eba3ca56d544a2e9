"""An operation over nominations of two departments (a ngành decision) appends to two audit chains. Two such
operations appending in opposite orders used to hold one chain's head each and wait for the other's: PostgreSQL's
DeadlockDetected, answered 503. `service.lock_nominations` now has the audit lock every chain it will write, sorted,
before anything is written, so the second operation waits for the first instead of deadlocking."""
# ruff: noqa: F811 - `db` is conftest's committed fixture (several connections)
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from test_council_helpers import nominate

from models import AuditEvent, Nomination, Unit
from notifications import audit
from workflow.nominations import service

# Threads (or two requests) each with a connection of their own: the reseeded database, not one rolled-back connection.
pytestmark = pytest.mark.fresh_db


@pytest.fixture
def pg(engine, db):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks per chain are PostgreSQL's; SQLite serialises every writer (BEGIN IMMEDIATE)")
    return engine


def _other_department_nomination(db, demo, key: str) -> Nomination:
    stp2 = db.scalar(select(Unit).where(Unit.code == "STP2-VP"))
    n = nominate(db, demo, unit="TTR")
    n.department_id, n.unit_id, n.subject_key = stp2.department_id, stp2.id, key
    db.flush()
    return n


def test_two_operations_over_two_departments_do_not_deadlock_on_the_chains(pg, db, demo, session_factory):
    a_far, a_home = _other_department_nomination(db, demo, "far-a"), nominate(db, demo, unit="HCTP")
    b_far, b_home = _other_department_nomination(db, demo, "far-b"), nominate(db, demo, unit="XDKT")
    db.commit()
    far, home = (audit.chain_for(db, department_id=n.department_id) for n in (a_far, a_home))
    assert far != home
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def operation(ids, first_chain, second_chain, name):
        with session_factory() as s:
            try:
                service.lock_nominations(s, ids)
                audit.append(s, action=f"test.{name}.1", chain=first_chain)
                s.flush()
                try:  # both hold their first chain here, unless the second already waits for the first's locks
                    barrier.wait(timeout=1.5)
                except threading.BrokenBarrierError:
                    pass
                audit.append(s, action=f"test.{name}.2", chain=second_chain)
                s.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                s.rollback()
                errors.append(f"{name}: {exc!r}")

    threads = [threading.Thread(target=operation, args=([a_far.id, a_home.id], far, home, "a")),
               threading.Thread(target=operation, args=([b_far.id, b_home.id], home, far, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    with session_factory() as s:
        written = set(s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))))
        assert written == {"test.a.1", "test.a.2", "test.b.1", "test.b.2"}
        assert audit.verify(s).ok
