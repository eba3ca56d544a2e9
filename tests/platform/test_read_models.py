"""Read models in `workflow` (issue 12, "Deliver" 2): what a page or the API shows is what the service enforces.

Each test here names a drift that existed between an edge (a page, the API) and the service: the offered action the
service refused, the agenda candidates the page hid and the service accepted, the proposal refusals the page
re-computed, the Minister's per-item outcome only the page knew."""
# ruff: noqa: F811 - `db` is the rolled-back fixture of test_council_helpers, imported here
from __future__ import annotations

import datetime as dt

import pytest
from test_council_helpers import (  # noqa: F401 (db: the fixtures)
    NOW,
    close,
    db,
    entitled,
    nominate,
    open_session,
    schedule,
    vote,
)

from workflow.council import operations as council
from workflow.errors import ValidationFailed
from workflow.nominations import service
from workflow.proposals import operations as proposals

CO_SO = {"decision_number": "120/QĐ-STP", "decision_date": "2026-11-20"}


def passed(db, demo, n, *, now=NOW):
    """A closed session in which every entitled member agreed on `n` (which then waits for the decision)."""
    demo.campaign().quota_collective = demo.campaign().quota_individual = None
    s = open_session(db, demo, [n], now=now)
    vote(db, demo, s, n, len(entitled(demo, n)))
    close(db, demo, s, now=now + dt.timedelta(hours=2))
    return s


# ------------------------------------------------------------------------------ recognition is a decision's act
def test_recognize_co_so_is_offered_exactly_as_the_service_answers(db, demo):
    n = nominate(db, demo, unit="HCTP")
    passed(db, demo, n)
    gd = demo.actor("giamdoc")
    offer = {o.code: o for o in service.available_actions(db, gd, n)}["recognize_co_so"]
    with pytest.raises(ValidationFailed) as refused:
        service.transition(db, gd, n.id, "recognize_co_so", n.version, **CO_SO)
    assert not offer.allowed
    assert list(offer.reasons) == refused.value.reasons
    assert any("Quyết định" in r for r in offer.reasons)
    assert n.state == "submitted"


# ------------------------------------------------------------------------------ agenda candidates
def test_set_agenda_refuses_what_the_candidates_leave_out(db, demo):
    """An item the council passed (or tied on) in a closed session waits for the director's decision: it is not a
    candidate for a new agenda, and the service refuses it there too."""
    n = nominate(db, demo, unit="HCTP")
    other = nominate(db, demo, unit="PTP-LX")
    passed(db, demo, n)
    s = schedule(db, demo, [other], publish=False, now=NOW + dt.timedelta(days=1))
    candidates = council.agenda_candidates(db, s)
    assert [c.id for c in candidates] == [other.id]
    with pytest.raises(ValidationFailed) as refused:
        council.set_agenda(db, demo.actor("vanphong"), s.id, [other.id, n.id])
    assert any(f"Hồ sơ số {n.id}" in r for r in refused.value.reasons)
    assert [i.nomination_id for i in s.items] == [other.id]


# ------------------------------------------------------------------------------ proposal candidates
def test_proposal_candidates_carry_the_refusals_the_service_gives(db, demo):
    """The page's candidates re-computed the ngành rules in their own words; they now carry item_refusals, the
    reasons `create` refuses with."""
    n = nominate(db, demo, unit="HCTP", state="evaluated_co_so")  # no recognize_co_so step: a hard rule fails
    (row,) = [r for r in proposals.candidates(db, demo.unit("STP").id) if r.n.id == n.id]
    assert row.refusals
    with pytest.raises(ValidationFailed) as refused:
        proposals.create(db, demo.actor("vanphong"), nomination_ids=[n.id])
    assert refused.value.reasons == row.refusals
