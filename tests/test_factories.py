"""The builders of tests/factories.py leave what they promise: a test relying on them states only what matters."""
from __future__ import annotations

import pytest
from factories import closed_session, item_of, nomination, nomination_in, proposed, recognised, story, user

from models import StateChange

STATES = ["registered", "nurtured", "submitted", "withdrawn", "not_recognized", "evaluated_co_so", "proposed_nganh",
          "recognized", "revoked"]


@pytest.mark.parametrize("state", STATES)
def test_a_nomination_in_any_state_through_the_services(db, demo, state):
    n = nomination_in(db, demo, state)
    db.flush()
    history = db.query(StateChange).filter_by(nomination_id=n.id).order_by(StateChange.version).all()
    assert n.state == state and history[-1].to_state == state
    assert history[-1].version == n.version  # each step's row is written at the version it made
    assert all(h.from_state == prev.to_state for prev, h in zip(history, history[1:], strict=False))


def test_an_individual_nomination(db, demo):
    n = nomination_in(db, demo, "submitted", person="Phan Thị Kim Oanh")
    assert (n.subject_type, n.state) == ("individual", "submitted")


def test_a_nomination_written_straight_carries_its_path(db, demo):
    n = nomination(db, demo, unit="PBGDPL", path=("registered", "nurtured", "submitted"))
    history = db.query(StateChange).filter_by(nomination_id=n.id).order_by(StateChange.version).all()
    assert [h.to_state for h in history] == ["registered", "nurtured", "submitted"] and n.state == "submitted"


def test_a_closed_session_with_its_votes(db, demo):
    a, b = nomination(db, demo, unit="HCTP"), nomination(db, demo, unit="PTP-CD")
    s = closed_session(db, demo, [a, b], agree={b.id: 0})
    assert s.state == "closed"
    assert item_of(s, a).agree == 7 and item_of(s, b).agree == 0


def test_a_submitted_proposal_and_a_published_story(db, demo):
    (n,) = recognised(db, demo, "HCTP")
    p = proposed(db, demo, [n])
    assert p.state == "submitted" and n.state == "proposed_nganh"
    assert story(db, demo, n, published=True).state == "published"


def test_a_user_with_roles(db, demo):
    u = user(db, "tp_moi", ["unit_head"], "HCTP")
    assert demo.actor("tp_moi").roles == {"unit_head"} and u.unit.code == "HCTP"
