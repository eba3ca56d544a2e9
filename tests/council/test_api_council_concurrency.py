"""JSON API: members voting at the same moment, each request on its own thread, test client, session and database
connection (SQLite: BEGIN IMMEDIATE; PostgreSQL: row locks and the receipts' unique constraint). Every vote is
counted exactly once; a member racing themselves gets one 201 and one 409; a vote racing the close is either
counted or refused, never accepted and lost."""
from __future__ import annotations

import pytest
from factories import run_together
from sqlalchemy import func, select
from test_api_council import MEMBERS, council_refs, ok, open_with_everyone, submitted

from models import AgendaItem, AnonymousBallot, BallotReceipt, BallotSlot
from notifications import audit
from workflow.council import ballots as sealed

# Threads (or two requests) each with a connection of their own: the reseeded database, not one rolled-back connection.
pytestmark = pytest.mark.fresh_db


@pytest.fixture
def ref(demo, db):
    return council_refs(demo, db)


def race(app, tokens: dict, calls: list[tuple[str, str, dict | None]]) -> list:
    """Fires every (username, path, body) POST at once, each from its own thread and test client."""
    def post(username, path, body):
        def call():
            r = app.test_client().post("/api/v1" + path, json=body,
                                       headers={"Authorization": f"Bearer {tokens[username]}"})
            return r.status_code, r.get_json()
        return call

    return [(None, r[1]) if isinstance(r, tuple) and r[:1] == ("exception",) else r
            for r in run_together([post(*c) for c in calls])]


def prepared(api, ref):
    b = submitted(api, ref, "tp_hctp", ref.hctp, "Phòng Hành chính tư pháp")
    s = open_with_everyone(api, ref, [b])
    for u in MEMBERS:
        api.as_(u)  # tokens first, outside the race
    return b, s["id"], api.tokens


def counts(session_factory, session_id):
    with session_factory() as s:
        item = s.scalar(select(AgendaItem.id).where(AgendaItem.session_id == session_id))
        receipts = s.scalar(select(func.count()).select_from(BallotReceipt).where(BallotReceipt.item_id == item))
        # sealed in slots while the session is open, anonymous ballots once it is closed
        ballots = sum(sealed.open_slot(item, k, v) != sealed.EMPTY for k, v in s.execute(
            select(BallotSlot.key, BallotSlot.sealed).where(BallotSlot.item_id == item))) + s.scalar(
            select(func.count()).select_from(AnonymousBallot).where(AnonymousBallot.item_id == item))
        assert audit.verify(s).ok
        return receipts, ballots


def test_six_members_vote_at_once_and_one_races_themselves(app, api, ref, session_factory):
    b, sid, tokens = prepared(api, ref)
    six = [u for u in MEMBERS if u != "giamdoc"]
    results = race(app, tokens, [(u, f"/council-sessions/{sid}/votes", {"nomination_id": b, "choice": "agree"})
                                 for u in six])
    assert results == [(201, {"nomination_id": b, "voted": True})] * 6, results

    results = race(app, tokens, [("giamdoc", f"/council-sessions/{sid}/votes",
                                  {"nomination_id": b, "choice": "disagree"})] * 2)
    assert sorted(r[0] for r in results) == [201, 409], results
    problem = next(body for status, body in results if status == 409)
    assert problem["status"] == 409 and "disagree" not in str(problem)
    assert counts(session_factory, sid) == (7, 7)

    s = ok(api.as_("giamdoc").post(f"/council-sessions/{sid}/close"))
    (result,) = s["results"]
    assert (result["agree"], result["disagree"], result["abstain"], result["entitled"]) == (6, 1, 0, 7)
    assert result["outcome"] == "passed"


def test_votes_racing_the_close_are_counted_or_refused(app, api, ref, session_factory):
    b, sid, tokens = prepared(api, ref)
    calls = [(u, f"/council-sessions/{sid}/votes", {"nomination_id": b, "choice": "agree"})
             for u in MEMBERS if u != "giamdoc"]
    # The director never votes: the close confirms closing without present members' ballots.
    calls.append(("giamdoc", f"/council-sessions/{sid}/close", {"confirm_missing": True}))
    results = race(app, tokens, calls)
    statuses = [r[0] for r in results[:-1]]
    assert set(statuses) <= {201, 409}, results
    if results[-1][0] == 409:  # the close came before the quorum's 5 ballots: refused, nothing closed
        assert "Chưa đủ số phiếu" in results[-1][1]["detail"] and statuses == [201] * 6, results
        ok(api.as_("giamdoc").post(f"/council-sessions/{sid}/close", json={"confirm_missing": True}))
    else:
        assert results[-1][0] == 200, results[-1]
    accepted = statuses.count(201)
    (result,) = ok(api.as_("vanphong").get(f"/council-sessions/{sid}"))["results"]
    assert result["agree"] == accepted  # every acknowledged vote is in the tally, no refused one is
    assert counts(session_factory, sid) == (accepted, accepted)
