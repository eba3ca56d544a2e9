"""Submitting a proposal at the same moment (issue 4), with real threads each on its own session and connection,
on SQLite (BEGIN IMMEDIATE) and PostgreSQL (row locks): exactly one submission wins, the other is refused with a
Conflict or a ValidationFailed (never a raw database error), and every item has exactly one propose_nganh step.
These tests commit from several connections, so they use conftest's `db` (a freshly seeded database)."""
from __future__ import annotations

import pytest
from factories import race
from sqlalchemy import func, select
from test_proposals_core import DAY, co_so_example

from models import AuditEvent, Decision, Nomination, Proposal, StateChange
from notifications import audit
from workflow.errors import Conflict, ValidationFailed
from workflow.proposals import decisions
from workflow.proposals import operations as proposals

# Threads (or two requests) each with a connection of their own: the reseeded database, not one rolled-back connection.
pytestmark = pytest.mark.fresh_db


def _race(session_factory, calls, username="giamdoc", errors=None):
    """Each call (a function of session and actor) as `username`, all released at once: "ok" or the domain error's
    name for each (the errors kept in `errors` when given)."""
    return race(session_factory, [(username, c) for c in calls], refused=(Conflict, ValidationFailed), errors=errors)


def submitting(proposal_id, number):
    return lambda session, actor: proposals.submit(session, actor, proposal_id, number=number, date=DAY)


def _drafts(db, demo, groups):
    ids = []
    for units in groups:
        items = [co_so_example(db, demo, unit=u) for u in units]
        ids.append((proposals.create(db, demo.actor("vanphong"), nomination_ids=[n.id for n in items]).id,
                    [n.id for n in items]))
    db.commit()
    db.close()  # release the connection (on SQLite, its write lock) before the race
    return ids


def _steps(s, nomination_id):
    return s.scalar(select(func.count()).select_from(StateChange).where(
        StateChange.nomination_id == nomination_id, StateChange.action == "propose_nganh"))


def test_the_same_draft_submitted_twice_at_once(db, demo, session_factory):
    ((pid, items),) = _drafts(db, demo, [("HCTP", "PTP-LX", "XDKT")])
    results = _race(session_factory, [submitting(pid, 46), submitting(pid, 46)])
    assert sorted(results)[1] == "ok" and sorted(results)[0] in ("Conflict", "ValidationFailed"), results
    with session_factory() as s:
        p = s.get(Proposal, pid)
        assert (p.state, p.number) == ("submitted", "46/TTr-STP")
        assert [_steps(s, n) for n in items] == [1, 1, 1]
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "proposal.submit")) == 1
        assert audit.verify(s).ok


def test_two_drafts_with_the_same_number_at_once(db, demo, session_factory):
    """Two proposals of one department, one number: one is numbered, the other refused as a duplicate (or a lost
    race), and its items stay where they were."""
    (p1, items1), (p2, items2) = _drafts(db, demo, [("HCTP", "PTP-LX"), ("XDKT", "TGPL")])
    errors: list = []
    results = _race(session_factory, [submitting(p1, 46), submitting(p2, 46)], errors=errors)
    assert sorted(results) == ["ValidationFailed", "ok"], results
    # Refused like any duplicate, with the next free number (PostgreSQL: the unique index caught it).
    assert errors[0].field_errors == {"number": "Trùng số"} and "số tiếp theo là 47" in errors[0].reasons[0]
    won, lost = ((p1, items1), (p2, items2)) if results[0] == "ok" else ((p2, items2), (p1, items1))
    with session_factory() as s:
        assert s.get(Proposal, won[0]).number == "46/TTr-STP"
        assert (s.get(Proposal, lost[0]).state, s.get(Proposal, lost[0]).seq) == ("draft", None)
        assert [_steps(s, n) for n in won[1]] == [1, 1] and [_steps(s, n) for n in lost[1]] == [0, 0]
        assert audit.verify(s).ok


def test_two_departments_recorded_in_one_ministers_decision_at_once(db, demo, session_factory):
    """Two reviewers record the same Minister's decision (number and date) for two departments' proposals at the
    same moment: both land in one decision, nothing is refused."""
    from test_proposals_core import stp2

    campaign, sec2, director2 = stp2(db, demo)
    a = co_so_example(db, demo, unit="HCTP")
    x = co_so_example(db, demo, unit="STP2-VP", campaign=campaign)
    p1 = proposals.create(db, demo.actor("vanphong"), nomination_ids=[a.id])
    proposals.submit(db, demo.actor("giamdoc"), p1.id, number=46, date=DAY)
    p2 = proposals.create(db, sec2, nomination_ids=[x.id])
    proposals.submit(db, director2, p2.id, number=46, date=DAY)
    ids = (a.id, x.id)
    db.commit()
    db.close()

    def recording(nomination_id):
        return lambda session, actor: decisions.issue(session, actor, level="nganh", number="100/QĐ-BTP", date=DAY,
                                                      nomination_ids=[nomination_id])

    results = _race(session_factory, [recording(i) for i in ids], username="botp")
    assert results == ["ok", "ok"], results
    with session_factory() as s:
        (d,) = s.scalars(select(Decision)).all()
        assert sorted(i.nomination_id for i in d.items) == sorted(ids)
        assert {s.get(Nomination, i).state for i in ids} == {"recognized"}
        assert audit.verify(s).ok
