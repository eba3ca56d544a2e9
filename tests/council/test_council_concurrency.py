"""Votes at the same moment (issue 3), with real threads each on its own session and connection, on SQLite
(BEGIN IMMEDIATE) and PostgreSQL (row locks): every vote counted exactly once, a double vote is one success and one
Conflict, and a close never misses a vote in flight. These tests commit, so they use conftest's `db`."""
from __future__ import annotations

import threading

import pytest
from factories import race
from sqlalchemy import func, select
from test_council_helpers import MEMBERS, nominate, open_session

from models import AuditEvent, BallotReceipt, BallotSlot, User
from notifications import audit
from workflow.council import ballots
from workflow.council import operations as council
from workflow.errors import Conflict, Forbidden
from workflow.policy import actor_for

# Threads (or two requests) each with a connection of their own: the reseeded database, not one rolled-back connection.
pytestmark = pytest.mark.fresh_db


def filled_slots(session, item_id: int) -> int:
    """Slots of an open item that hold a choice (the tests hold the ballot key)."""
    rows = session.execute(select(BallotSlot.key, BallotSlot.sealed).where(BallotSlot.item_id == item_id))
    return sum(ballots.open_slot(item_id, k, v) != ballots.EMPTY for k, v in rows)


def _race(session_factory, session_id, nomination_id, usernames):
    def vote(session, actor):
        council.cast_vote(session, actor, session_id, nomination_id=nomination_id, choice="agree")

    return race(session_factory, [(u, vote) for u in usernames], refused=(Conflict, Forbidden))


def _prepared(db, demo, unit):
    n = nominate(db, demo, unit=unit)
    s = open_session(db, demo, [n])
    db.commit()
    ids = (s.id, n.id)
    db.close()  # release the connection (on SQLite, its write lock) before the race
    return ids


def test_seven_members_vote_at_the_same_moment(db, demo, session_factory):
    session_id, nomination_id = _prepared(db, demo, "PBGDPL")  # hoidong1 is recused
    results = _race(session_factory, session_id, nomination_id, MEMBERS)
    assert dict(zip(MEMBERS, results, strict=True)) == {u: ("Forbidden" if u == "hoidong1" else "ok")
                                                         for u in MEMBERS}
    with session_factory() as s:
        director = actor_for(s, s.scalar(select(User).where(User.username == "giamdoc")))
        closed = council.close_session(s, director, session_id)
        s.commit()
        (item,) = closed.items
        assert (item.agree, item.disagree, item.abstain, item.entitled) == (6, 0, 0, 6)
        assert s.scalar(select(func.count()).select_from(BallotReceipt)) == 6
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "council_session.vote_cast")) == 6
        assert audit.verify(s).ok


def test_one_member_voting_twice_at_the_same_moment(db, demo, session_factory):
    session_id, nomination_id = _prepared(db, demo, "HCTP")
    results = _race(session_factory, session_id, nomination_id, ["hoidong2", "hoidong2"])
    assert sorted(results) == ["Conflict", "ok"], results
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(BallotReceipt)) == 1
        (item_id,) = s.scalars(select(BallotSlot.item_id).distinct()).all()
        assert filled_slots(s, item_id) == 1
        assert audit.verify(s).ok


def test_a_vote_in_flight_when_the_session_closes_is_counted(db, demo, session_factory):
    """The close waits for a vote already being cast: no ballot ever lands in a closed session uncounted."""
    session_id, nomination_id = _prepared(db, demo, "HCTP")
    # 4 ballots in already: the vote in flight is the quorum's 5th, so a close that did not wait for it is refused
    _race(session_factory, session_id, nomination_id, ["giamdoc", "vanphong", "hoidong1", "hoidong3"])
    voter = session_factory()
    actor = actor_for(voter, voter.scalar(select(User).where(User.username == "hoidong2")))
    council.cast_vote(voter, actor, session_id, nomination_id=nomination_id, choice="agree")  # not yet committed
    closed = {}

    def closer():
        with session_factory() as s:
            director = actor_for(s, s.scalar(select(User).where(User.username == "giamdoc")))
            try:
                result = council.close_session(s, director, session_id, confirm_missing=True)
                s.commit()
                closed["agree"] = result.items[0].agree
            except Exception as exc:  # noqa: BLE001 - reported in the assertion
                s.rollback()
                closed["error"] = repr(exc)

    thread = threading.Thread(target=closer)
    thread.start()
    thread.join(timeout=0.5)  # long enough for an unguarded close to finish without the vote
    voter.commit()
    voter.close()
    thread.join(timeout=30)
    assert not thread.is_alive() and "error" not in closed, closed
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(BallotReceipt)) == 5
        assert closed["agree"] == 5

