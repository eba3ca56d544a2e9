"""The council step end to end through the services: publicity, agenda, attendance, secret ballot, close with
threshold and quota, the director's decision (issue 3, "Done when")."""
from __future__ import annotations

import datetime as dt

import pytest
from samples import PDF
from sqlalchemy import select

from models import AnonymousBallot, AuditEvent, BallotReceipt, BallotSlot
from workflow import clock
from workflow.council import ballots
from workflow.council import operations as council
from workflow.errors import Conflict, Forbidden, ValidationFailed
from workflow.nominations import rules, service
from workflow.proposals import decisions

MEMBERS = ["giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"]


def submitted(db, demo, tmp_path, head: str, unit: str, title: str):
    actor = demo.actor(head)
    n = service.create_nomination(db, actor, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit(unit).id, title=title, achievements="Thành tích nổi bật")
    n = service.transition(db, actor, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    answers = {c.code: {"met": True, "evidence": "Có"} for c in rules.criteria_for("collective", "annual")}
    n = service.update_nomination(db, actor, n.id, n.version, criteria=answers)
    service.add_attachment(db, actor, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    return service.transition(db, actor, n.id, "submit", n.version)


@pytest.fixture
def two_items(db, demo, tmp_path):
    a = submitted(db, demo, tmp_path, "tp_pbgdpl", "PBGDPL", "Phòng PBGDPL")
    b = submitted(db, demo, tmp_path, "tp_hctp", "HCTP", "Phòng HCTP")
    db.commit()
    return a, b


def open_session(db, demo, items, *, publicity_days=0):
    c = council.council_for_department(db, demo.unit("STP").id)
    c.publicity_working_days = publicity_days
    sec, director = demo.actor("vanphong"), demo.actor("giamdoc")
    s = council.schedule(db, sec, title="Phiên họp bình xét", date=dt.date.today() + dt.timedelta(days=30),
                         campaign_id=demo.campaign().id)
    council.set_agenda(db, sec, s.id, [n.id for n in items])
    council.publish(db, sec, s.id)
    council.record_attendance(db, sec, s.id, [demo.user(u).id for u in MEMBERS])
    council.open_session(db, director, s.id)
    return s


def test_quota_of_one_collective_threshold_and_decision(db, demo, two_items):
    a, b = two_items
    s = open_session(db, demo, [a, b])
    # PBGDPL: hoidong1 belongs to PBGDPL and is recused; 6 entitled, 5 agree = 83% ≥ 70%.
    # HCTP: 7 entitled, 6 agree = 86%: the higher share wins the single collective slot.
    for u in MEMBERS:
        if u != "hoidong1":
            council.cast_vote(db, demo.actor(u), s.id, nomination_id=a.id, choice="agree" if u != "hoidong5"
                              else "disagree")
        council.cast_vote(db, demo.actor(u), s.id, nomination_id=b.id, choice="agree" if u != "hoidong4"
                          else "abstain")
    with pytest.raises(Forbidden):
        council.cast_vote(db, demo.actor("hoidong1"), s.id, nomination_id=a.id, choice="agree")
    with pytest.raises(Conflict):
        council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=b.id, choice="disagree")
    with pytest.raises(Forbidden):
        council.cast_vote(db, demo.actor("tp_hctp"), s.id, nomination_id=b.id, choice="agree")
    council.close_session(db, demo.actor("giamdoc"), s.id)
    db.commit()
    items = {i.nomination_id: i for i in s.items}
    assert (items[b.id].agree, items[b.id].abstain, items[b.id].entitled, items[b.id].outcome) == (6, 1, 7, "passed")
    assert (items[a.id].agree, items[a.id].disagree, items[a.id].entitled) == (5, 1, 6)
    assert items[a.id].outcome == "quota_exceeded"
    assert a.state == "not_recognized" and b.state == "submitted"
    # The decision recognises the pass and refuses the failure.
    with pytest.raises(ValidationFailed):
        decisions.issue(db, demo.actor("giamdoc"), level="co_so", number="12/QĐ-STP", date=clock.today(),
                        nomination_ids=[a.id, b.id])
    d = decisions.issue(db, demo.actor("giamdoc"), level="co_so", number="12/QĐ-STP", date=clock.today(),
                        nomination_ids=[b.id])
    db.commit()
    assert b.state == "evaluated_co_so" and d.number == "12/QĐ-STP"
    with pytest.raises(ValidationFailed):  # the number is taken for this year
        decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=12, date=clock.today(),
                        nomination_ids=[b.id])


def test_nothing_links_a_member_to_a_choice(db, demo, two_items):
    a, _ = two_items
    s = open_session(db, demo, [a])
    council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=a.id, choice="disagree")
    db.commit()
    receipt = db.scalar(select(BallotReceipt))
    slots = db.scalars(select(BallotSlot)).all()
    assert len(slots) == 7  # one per member, whoever voted
    assert not {"choice", "created_at"} & set(BallotSlot.__table__.columns.keys())
    assert all("disagree" not in b.sealed and len(b.key) == 32 for b in slots)
    assert sorted(ballots.open_slot(b.item_id, b.key, b.sealed) for b in slots) == ["disagree"] + ["empty"] * 6
    assert set(AnonymousBallot.__table__.columns.keys()) == {"id", "item_id", "choice"}
    assert {c.name for c in BallotReceipt.__table__.columns} == {"id", "item_id", "member_user_id"}
    assert receipt.member_user_id == demo.user("hoidong2").id
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "council_session.vote_cast")).all()
    assert len(events) == 1 and "disagree" not in str(events[0].data)


def test_session_cannot_open_before_publicity_ends(db, demo, two_items):
    a, _ = two_items
    sec = demo.actor("vanphong")
    s = council.schedule(db, sec, title="Phiên họp", date=dt.date.today() + dt.timedelta(days=60),
                         campaign_id=demo.campaign().id)
    council.set_agenda(db, sec, s.id, [a.id])
    council.publish(db, sec, s.id)
    assert s.comments_until > dt.datetime.now(dt.UTC) + dt.timedelta(days=9)
    with pytest.raises(Conflict):
        council.open_session(db, demo.actor("giamdoc"), s.id)
    comment = council.add_comment(db, demo.actor("canbo1"), s.id, nomination_id=a.id, text="Đồng ý đề nghị.")
    assert comment.id


def test_below_quorum_nothing_is_applied(db, demo, two_items):
    a, _ = two_items
    s = open_session(db, demo, [a])
    council.record_attendance(db, demo.actor("vanphong"), s.id, [demo.user(u).id for u in MEMBERS[:4]])
    for u in MEMBERS[:4]:
        if u != "hoidong1":
            council.cast_vote(db, demo.actor(u), s.id, nomination_id=a.id, choice="agree")
    council.close_session(db, demo.actor("giamdoc"), s.id)
    assert s.quorum_met is False and s.items[0].outcome == "no_quorum" and a.state == "submitted"
