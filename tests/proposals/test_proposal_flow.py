"""Proposal to the Ministry and recognition at ngành level through the services (issue 4, "Done when")."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from test_council_flow import MEMBERS, open_session, submitted

from models import AwardRecord, Notification
from workflow import clock
from workflow.council import operations as council
from workflow.errors import Conflict, Forbidden, ValidationFailed
from workflow.nominations import service
from workflow.proposals import decisions
from workflow.proposals import operations as proposals


def recognised_co_so(db, demo, tmp_path):
    a = submitted(db, demo, tmp_path, "tp_hctp", "HCTP", "Phòng HCTP")
    s = open_session(db, demo, [a])
    for u in MEMBERS:
        council.cast_vote(db, demo.actor(u), s.id, nomination_id=a.id, choice="agree")
    council.close_session(db, demo.actor("giamdoc"), s.id)
    decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=1, date=clock.today(), nomination_ids=[a.id])
    db.commit()
    return a


def test_propose_and_recognise_at_nganh_level(db, demo, tmp_path):
    a = recognised_co_so(db, demo, tmp_path)
    with pytest.raises(Forbidden):
        proposals.create(db, demo.actor("giamdoc"), nomination_ids=[a.id])
    p = proposals.create(db, demo.actor("vanphong"), nomination_ids=[a.id])
    with pytest.raises(Forbidden):
        proposals.submit(db, demo.actor("vanphong"), p.id, number=46, date=clock.today())
    proposals.submit(db, demo.actor("giamdoc"), p.id, number="46/TTr-STP", date=clock.today())
    db.commit()
    assert (p.state, p.number, a.state) == ("submitted", "46/TTr-STP", "proposed_nganh")
    with pytest.raises(Conflict):
        proposals.set_items(db, demo.actor("vanphong"), p.id, [a.id])
    assert db.scalar(select(Notification).where(Notification.kind == "proposal.submitted",
                                                Notification.user_id == demo.user("botp").id))
    with pytest.raises(Forbidden):
        decisions.issue(db, demo.actor("giamdoc"), level="nganh", number=100, date=clock.today(),
                        nomination_ids=[a.id])
    decisions.issue(db, demo.actor("botp"), level="nganh", number="100/QĐ-BTP", date=clock.today(),
                    nomination_ids=[a.id])
    db.commit()
    assert a.state == "recognized"
    titles = {r.title for r in db.scalars(select(AwardRecord).where(AwardRecord.nomination_id == a.id))}
    assert titles == {"dien_hinh_co_so", "dien_hinh_nganh"}


def test_reject_nganh_leaves_the_co_so_recognition(db, demo, tmp_path):
    a = recognised_co_so(db, demo, tmp_path)
    p = proposals.create(db, demo.actor("vanphong"), nomination_ids=[a.id])
    proposals.submit(db, demo.actor("giamdoc"), p.id, number=47, date=clock.today())
    n = service.transition(db, demo.actor("botp"), a.id, "reject_nganh", a.version, reason="Chưa tiêu biểu")
    db.commit()
    assert n.state == "evaluated_co_so"
    # A later proposal may list it again: the closed item no longer blocks it.
    assert proposals.create(db, demo.actor("vanphong"), nomination_ids=[a.id]).id


def test_items_that_are_not_co_so_examples_are_refused_with_the_reason(db, demo, tmp_path):
    n = submitted(db, demo, tmp_path, "tp_hctp", "HCTP", "Phòng HCTP")
    with pytest.raises(ValidationFailed) as err:
        proposals.create(db, demo.actor("vanphong"), nomination_ids=[n.id])
    assert "Điển hình cấp cơ sở" in err.value.reasons[0]
