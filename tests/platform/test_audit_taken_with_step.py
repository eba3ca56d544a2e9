"""The API's transition takes its audit chain's position with its step (PostgreSQL: one statement for the step, the
detail's parts and the take; the audit then only inserts). The chain's guarantees hold: two transitions of one
department at once queue on the chain's head and never fork it, a lost race takes nothing, and a position taken and
not appended at can never be committed (it would be a gap)."""
from __future__ import annotations

import threading
import time

import pytest
from conftest import Demo
from sqlalchemy import select

from models import AuditChainHead, AuditEvent, Nomination, Person, Unit, User
from models.audit import TAKEN, PositionNotAppended
from notifications import audit
from workflow import policy, signals
from workflow.errors import StaleVersion
from workflow.nominations import service

pytestmark = pytest.mark.fresh_db  # sessions of their own, committed: the reseeded database


@pytest.fixture
def pg(engine, db):
    if engine.dialect.name != "postgresql":
        pytest.skip("the take with the step is PostgreSQL's (SQLite serialises every writer with BEGIN IMMEDIATE)")
    db.commit()
    return engine


def _actor(session, username="tp_pbgdpl"):
    return policy.actor_for(session, session.scalar(select(User).where(User.username == username)))


def _registered(session_factory, count: int) -> list[tuple[int, int, str]]:
    """`count` new registered nominations of the PBGDPL unit (department STP): (id, version, chain)."""
    made = []
    with session_factory() as s:
        demo = Demo(s)
        actor = _actor(s)
        for i in range(count):
            n = service.create_nomination(s, actor, campaign_id=demo.campaign().id, subject_type="individual",
                                          person_id=_person(s, i, actor), title=f"Cá nhân {i}")
            made.append((n.id, n.version, audit.chain_for(s, department_id=n.department_id)))
        s.commit()
    return made


def _person(session, i: int, actor) -> int:
    """The i-th active person of PBGDPL other than the actor (nobody registers themselves)."""
    unit = session.scalar(select(Unit).where(Unit.code == "PBGDPL"))
    people = session.scalars(select(Person.id).where(Person.unit_id == unit.id, Person.active.is_(True),
                                                     Person.id != actor.person_id).order_by(Person.id)).all()
    return people[i]


def _seqs(session, chain: str) -> list[int]:
    return list(session.scalars(select(AuditEvent.seq).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)))


def _nurture(session, nid: int, version: int):
    return service.transition(session, _actor(session), nid, "start_nurturing", version,
                              nurture_plan="Kế hoạch bồi dưỡng.", with_parts=True)


def test_the_event_is_appended_at_the_position_the_step_took(pg, session_factory):
    (nid, version, chain), = _registered(session_factory, 1)
    with session_factory() as s:
        head = s.get(AuditChainHead, chain)
        before_seq, before_hash = head.seq, head.hash
        s.rollback()
        _nurture(s, nid, version)
        assert not s.info.get(TAKEN)  # consumed by the transition's own event
        s.commit()
    with session_factory() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq.desc()).limit(1))
        assert (event.action, event.object_id, event.seq, event.prev_hash) == (
            "nomination.start_nurturing", nid, before_seq + 1, before_hash)
        assert s.get(AuditChainHead, chain).hash == event.hash
        seqs = _seqs(s, chain)
        assert seqs == list(range(1, len(seqs) + 1))
        assert audit.verify(s).ok


def test_two_transitions_of_one_department_at_once_queue_and_never_fork_the_chain(pg, session_factory):
    (first_id, first_v, chain), (second_id, second_v, _) = _registered(session_factory, 2)
    first = session_factory()
    done = {}

    def second():
        with session_factory() as s:
            _nurture(s, second_id, second_v)
            s.commit()
            done["ok"] = True

    try:
        _nurture(first, first_id, first_v)  # holds its chain's head until it commits
        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.5)
        assert "ok" not in done  # the second step's statement waits on the head the first one took
        first.commit()
    finally:
        first.close()
    t.join(10)
    assert done.get("ok")
    with session_factory() as s:
        events = s.execute(select(AuditEvent.object_id, AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash)
                           .where(AuditEvent.chain == chain).order_by(AuditEvent.seq)).all()
        assert [e.object_id for e in events[-2:]] == [first_id, second_id]
        assert events[-1].prev_hash == events[-2].hash and events[-1].seq == events[-2].seq + 1
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert audit.verify(s).ok


def test_a_stale_version_takes_no_position(pg, session_factory):
    (nid, version, chain), = _registered(session_factory, 1)
    with session_factory() as s:
        seq = s.get(AuditChainHead, chain).seq
        s.rollback()
        with pytest.raises(StaleVersion):
            _nurture(s, nid, version + 1)
        assert not s.info.get(TAKEN)
        s.rollback()
    with session_factory() as s:
        assert s.get(AuditChainHead, chain).seq == seq


def test_a_position_taken_and_not_appended_at_is_never_committed(pg, session_factory):
    """Without the audit receiver (here disconnected: a misconfiguration), the step's position is left unused:
    the commit refuses it, and nothing of the transition is written."""
    (nid, version, chain), = _registered(session_factory, 1)
    with session_factory() as s:
        seq = s.get(AuditChainHead, chain).seq
        s.rollback()
        signals.nomination_transitioned.disconnect(audit.on_event)
        try:
            _nurture(s, nid, version)
            assert s.info.get(TAKEN) == {chain: (seq + 1, s.get(AuditChainHead, chain).hash)}
            with pytest.raises(PositionNotAppended):
                s.commit()
        finally:
            signals.nomination_transitioned.connect(audit.on_event, weak=False)
        s.rollback()
        assert not s.info.get(TAKEN)
    with session_factory() as s:
        assert s.get(AuditChainHead, chain).seq == seq
        assert s.scalar(select(Nomination.state).where(Nomination.id == nid)) == "registered"
        assert audit.verify(s).ok
