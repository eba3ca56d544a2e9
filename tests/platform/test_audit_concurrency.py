"""Appends in one department never wait for another department's open transaction (PostgreSQL: a row lock per
chain head instead of one global lock), and concurrent appends keep every chain intact."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from models import AuditEvent, User
from notifications import audit

# Threads (or two requests) each with a connection of their own: the reseeded database, not one rolled-back connection.
pytestmark = pytest.mark.fresh_db


@pytest.fixture
def pg(engine, db):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks per chain are PostgreSQL's; SQLite serialises every writer (BEGIN IMMEDIATE)")
    db.commit()
    return engine


def _user(session, username):
    return session.scalar(select(User).where(User.username == username))


def test_a_slow_transaction_in_one_department_does_not_delay_another(pg, session_factory):
    slow = session_factory()
    other = session_factory()
    try:
        audit.append(slow, action="test.slow", actor=_user(slow, "tp_pbgdpl"))  # dept STP, left open
        slow.flush()
        # With one global lock this would wait for `slow` and hit the timeout instead of committing.
        other.execute(text("SET LOCAL lock_timeout = '2s'"))
        started = time.monotonic()
        ev = audit.append(other, action="test.fast", actor=_user(other, "tp_stp2"))  # dept STP2
        other.commit()
        assert time.monotonic() - started < 1.0
        assert ev.chain != slow.scalar(select(AuditEvent.chain).where(AuditEvent.action == "test.slow"))
        # The same department does wait: the head of its chain is locked until `slow` ends.
        other.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            audit.append(other, action="test.same", actor=_user(other, "canbo1"))  # PBGDPL, dept STP
        other.rollback()
        slow.commit()
    finally:
        slow.close()
        other.close()
    with session_factory() as s:
        assert audit.verify(s).ok


def test_first_appends_to_a_new_chain_race_safely(pg, session_factory):
    first = session_factory()
    audit.append(first, action="test.first", chain="dept:999001")  # inserts the head row, not committed
    first.flush()
    done = {}

    def second():
        with session_factory() as s:
            done["seq"] = audit.append(s, action="test.second", chain="dept:999001").seq
            s.commit()

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.3)
    assert "seq" not in done  # waiting on the first transaction's head row
    first.commit()
    first.close()
    t.join(10)
    assert done["seq"] == 2
    with session_factory() as s:
        seqs = list(s.scalars(select(AuditEvent.seq).where(AuditEvent.chain == "dept:999001")
                              .order_by(AuditEvent.seq)))
        assert seqs == [1, 2] and audit.verify(s).ok


def test_concurrent_appends_keep_every_chain_intact(pg, session_factory):
    errors = []

    def writer(n):
        try:
            for i in range(15):
                with session_factory() as s:
                    audit.append(s, action="test.concurrent", chain=f"dept:{999100 + n % 3}", data={"i": i})
                    audit.append(s, action="test.concurrent", chain=f"dept:{999100 + n % 3}", data={"i": -i})
                    s.commit()
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with session_factory() as s:
        assert audit.verify(s).ok
        for c in range(3):
            seqs = list(s.scalars(select(AuditEvent.seq).where(AuditEvent.chain == f"dept:{999100 + c}")
                                  .order_by(AuditEvent.seq)))
            assert seqs == list(range(1, 61))
