"""JSON API: the director submitting the same Tờ trình twice at the same moment, each request on its own thread, test
client, session and database connection (SQLite: BEGIN IMMEDIATE; PostgreSQL: the proposal's row lock). Exactly one
submit succeeds; every item is proposed once (one `propose_nganh` history row each)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from test_api_council import ok
from test_api_council_concurrency import race
from test_api_proposals import co_so_examples, create

from models import Proposal, StateChange
from notifications import audit
from workflow import clock

# Threads (or two requests) each with a connection of their own: the reseeded database, not one rolled-back connection.
pytestmark = pytest.mark.fresh_db


def test_director_submits_twice_at_once(app, api, db, demo, tmp_path, session_factory):
    a, b = co_so_examples(db, demo, tmp_path, units=("HCTP", "XDKT"))
    pid = ok(create(api, [a, b]), 201)["id"]
    api.as_("giamdoc")  # the token first, outside the race
    body = {"number": "46/TTr-STP", "date": clock.today().isoformat()}
    results = race(app, api.tokens, [("giamdoc", f"/proposals/{pid}/submit", body)] * 2)
    statuses = sorted(r[0] for r in results)
    assert statuses[0] == 200 and statuses[1] in (409, 422), results
    winner = next(body for status, body in results if status == 200)
    assert winner["state"] == "submitted" and {i["state"] for i in winner["items"]} == {"proposed_nganh"}
    with session_factory() as s:
        rows = dict(s.execute(select(StateChange.nomination_id, func.count()).where(
            StateChange.action == "propose_nganh").group_by(StateChange.nomination_id)).all())
        assert rows == {a: 1, b: 1}
        assert s.scalar(select(func.count()).select_from(Proposal).where(Proposal.state == "submitted")) == 1
        assert audit.verify(s).ok
