"""The ballot sheet at the same moment, with real threads each on its own session and connection (SQLite BEGIN
IMMEDIATE, PostgreSQL row locks): a member's double submit is one sheet and one Conflict, a sheet racing the same
member's per-item vote leaves exactly one of them, and sheets of several members and their per-item votes on the
same items neither deadlock nor lose a ballot. These tests commit, so they use conftest's `db`."""
from __future__ import annotations

import pytest
from factories import race
from sqlalchemy import func, select
from test_council_helpers import MEMBERS, nominate, open_session

from models import BallotReceipt, BallotSlot
from notifications import audit
from workflow.council import ballot_sheet, ballots
from workflow.council import operations as council
from workflow.errors import Conflict

pytestmark = pytest.mark.fresh_db


def _prepared(db, demo):
    a, b = nominate(db, demo, unit="HCTP"), nominate(db, demo, unit="PTP-LX")
    s = open_session(db, demo, [a, b])
    db.commit()
    ids = (s.id, a.id, b.id)
    db.close()  # release the connection (on SQLite, its write lock) before the race
    return ids


def _sheet(session_id, choices):
    def call(session, actor):
        ballot_sheet.submit_ballot(session, actor, session_id, choices)
    return call


def _filled(session) -> int:
    rows = session.execute(select(BallotSlot.item_id, BallotSlot.key, BallotSlot.sealed)).all()
    return sum(ballots.open_slot(i, k, v) != ballots.EMPTY for i, k, v in rows)


def test_a_double_submit_is_one_sheet_and_one_conflict(db, demo, session_factory):
    sid, a, b = _prepared(db, demo)
    sheet = _sheet(sid, {str(a): "agree", str(b): "disagree"})
    results = race(session_factory, [("hoidong2", sheet), ("hoidong2", sheet)], refused=(Conflict,))
    assert sorted(results) == ["Conflict", "ok"], results
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(BallotReceipt)) == 2
        assert _filled(s) == 2
        assert audit.verify(s).ok


def test_a_sheet_racing_its_own_vote_leaves_one_of_them(db, demo, session_factory):
    sid, a, b = _prepared(db, demo)

    def vote(session, actor):
        council.cast_vote(session, actor, sid, nomination_id=b, choice="agree")

    results = race(session_factory, [("hoidong2", _sheet(sid, {str(a): "agree", str(b): "agree"})),
                                     ("hoidong2", vote)], refused=(Conflict,))
    assert sorted(results) == ["Conflict", "ok"], results
    with session_factory() as s:
        receipts = s.scalar(select(func.count()).select_from(BallotReceipt))
        assert receipts == (2 if results[0] == "ok" else 1)  # the whole sheet, or the one vote: never a mix
        assert _filled(s) == receipts


def test_sheets_and_votes_of_the_whole_council_at_once(db, demo, session_factory):
    """Three sheets (each locking both items, in id order) and four per-item votes (one item each, one request)."""
    sid, a, b = _prepared(db, demo)

    def vote(session, actor):
        council.cast_vote(session, actor, sid, nomination_id=b, choice="disagree")

    calls = [(u, _sheet(sid, {str(a): "agree", str(b): "abstain"}) if i % 2 else vote) for i, u in enumerate(MEMBERS)]
    assert race(session_factory, calls) == ["ok"] * len(MEMBERS)
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(BallotReceipt)) == 3 * 2 + 4
        assert _filled(s) == 3 * 2 + 4
        assert audit.verify(s).ok
