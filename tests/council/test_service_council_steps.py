"""The steps after submission with a real council session deciding (issue 3): who may take them, what they write
(award records), revocation, and the director's delegation. Only the signed proposal to the Ministry (issue 4, still
to come) is stubbed in, through workflow.council.results.listed_in_submitted_proposal."""
# ruff: noqa: F811 - `db` is the rolled-back fixture of test_council_helpers, imported here
from __future__ import annotations

import datetime as dt

import pytest
from factories import deputy_director
from sqlalchemy import select
from test_council_helpers import (  # noqa: F401 (db: the fixtures)
    MEMBERS,
    NOW,
    close,
    db,
    entitled,
    item_of,
    open_session,
    submit_via_service,
    vote,
)

from models import AuditEvent, AwardRecord, Decision, Delegation, StateChange
from workflow.council import results as council_results
from workflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflow.nominations import rules, service
from workflow.policy import actor_for
from workflow.proposals import decisions

CO_SO = {"decision_number": "120/QĐ-STP", "decision_date": "2026-11-20"}
NGANH = {"decision_number": "2100/QĐ-BTP", "decision_date": "2026-11-24"}


@pytest.fixture
def proposal(monkeypatch):
    """What the lookup of the signed proposal (issue 4) answers."""
    state = {"listed": False}
    monkeypatch.setattr(council_results, "listed_in_submitted_proposal", lambda session, n, data: state["listed"])
    return state


@pytest.fixture
def submitted(db, demo, tmp_path):
    return submit_via_service(db, demo, tmp_path, "tp_pbgdpl", unit="PBGDPL", title="Phòng PBGDPL")


def council_decides(db, demo, n, *, passed: bool, present=tuple(MEMBERS), at=NOW):
    """A session judging `n` alone: every entitled member present agrees, or only one does."""
    s = open_session(db, demo, [n], present=present, now=at)
    voters = [u for u in entitled(demo, n) if u in present]
    vote(db, demo, s, n, len(voters) if passed else 1, 0 if passed else len(voters) - 1, voters=voters)
    close(db, demo, s, now=at + dt.timedelta(hours=1))
    return item_of(s, n)


def _awards(db, n):
    return db.scalars(select(AwardRecord).where(AwardRecord.nomination_id == n.id).order_by(AwardRecord.id)).all()


def test_recognition_needs_a_passed_vote_and_a_dated_decision(db, demo, submitted):
    gd = demo.actor("giamdoc")
    with pytest.raises(ValidationFailed):  # no council has judged it
        service.transition(db, gd, submitted.id, "recognize_co_so", submitted.version, **CO_SO)
    item = council_decides(db, demo, submitted, passed=True, present=MEMBERS[:4])
    assert item.outcome == "no_quorum"
    with pytest.raises(ValidationFailed):  # a session without quorum decided nothing
        service.transition(db, gd, submitted.id, "recognize_co_so", submitted.version, **CO_SO)
    item = council_decides(db, demo, submitted, passed=True, at=NOW + dt.timedelta(days=1))
    assert (item.outcome, item.entitled, item.agree) == ("passed", 6, 6)  # hoidong1 (PBGDPL) recused
    for bad in ({"decision_number": "120/QĐ-STP"}, {**CO_SO, "decision_date": "20/11/2026"},
                {**CO_SO, "decision_number": " "}):
        with pytest.raises(ValidationFailed):
            service.transition(db, gd, submitted.id, "recognize_co_so", submitted.version, **bad)
    with pytest.raises(Forbidden):  # the secretariat prepares, the director signs
        service.transition(db, demo.actor("vanphong"), submitted.id, "recognize_co_so", submitted.version, **CO_SO)
    with pytest.raises(ValidationFailed):  # a passed item is not rejected by hand
        service.transition(db, gd, submitted.id, "reject_co_so", submitted.version)
    with pytest.raises(ValidationFailed) as err:  # a recognition is the act of a numbered decision, never bare
        service.transition(db, gd, submitted.id, "recognize_co_so", submitted.version, **CO_SO)
    assert any("Quyết định" in r for r in err.value.reasons) and submitted.state == "submitted"
    d = decisions.issue(db, gd, level="co_so", number=CO_SO["decision_number"], date=CO_SO["decision_date"],
                        nomination_ids=[submitted.id])
    n = submitted
    assert n.state == "evaluated_co_so"
    assert n.history[-1].data == {**CO_SO, "decision_id": str(d.id)}
    (award,) = _awards(db, n)
    assert (award.unit_id, award.person_id, award.title, award.level, award.year, award.decision_number) == (
        demo.unit("PBGDPL").id, None, "dien_hinh_co_so", "co_so", demo.campaign().end_date.year, "120/QĐ-STP")


def test_failed_vote_ends_the_nomination_and_frees_the_subject(db, demo, submitted):
    item = council_decides(db, demo, submitted, passed=False)
    assert (item.outcome, submitted.state) == ("failed", "not_recognized")
    step = submitted.history[-1]
    assert (step.action, step.actor_id, step.to_state) == ("reject_co_so", demo.user("giamdoc").id, "not_recognized")
    assert _awards(db, submitted) == []
    with pytest.raises(Conflict):  # final: the decision cannot bring it back
        service.transition(db, demo.actor("giamdoc"), submitted.id, "recognize_co_so", submitted.version, **CO_SO)
    again = service.create_nomination(db, demo.actor("tp_pbgdpl"), campaign_id=demo.campaign().id,
                                      subject_type="collective", unit_id=demo.unit("PBGDPL").id, title="Lần hai")
    assert again.state == "registered"


def test_sector_path_to_recognition_and_revocation(db, demo, proposal, submitted):
    gd, botp = demo.actor("giamdoc"), demo.actor("botp")
    council_decides(db, demo, submitted, passed=True)
    with pytest.raises(NotFound):  # the ministry sees nothing before the department recognises it
        service.transition(db, botp, submitted.id, "recognize_nganh", submitted.version, **NGANH)
    decisions.issue(db, gd, level="co_so", number=CO_SO["decision_number"], date=dt.date(2026, 11, 20),
                    nomination_ids=[submitted.id])
    n = submitted
    assert n.state == "evaluated_co_so"
    assert [r.result for r in rules.evaluate(db, n, "propose")] == ["pass"]
    with pytest.raises(ValidationFailed):
        service.transition(db, gd, n.id, "propose_nganh", n.version)  # not in a signed proposal yet
    proposal["listed"] = True
    n = service.transition(db, gd, n.id, "propose_nganh", n.version)
    assert n.state == "proposed_nganh"
    with pytest.raises(Forbidden):
        service.transition(db, gd, n.id, "recognize_nganh", n.version, **NGANH)
    n = service.transition(db, botp, n.id, "reject_nganh", n.version, reason="Chưa nổi bật")
    assert n.state == "evaluated_co_so"  # the cơ sở recognition stands
    n = service.transition(db, gd, n.id, "propose_nganh", n.version)
    with pytest.raises(ValidationFailed):  # the Minister's decision is recorded as a decision, never bare
        service.transition(db, botp, n.id, "recognize_nganh", n.version, **NGANH)
    decisions.issue(db, botp, level="nganh", number=NGANH["decision_number"], date=NGANH["decision_date"],
                    nomination_ids=[n.id])
    assert n.state == "recognized"
    assert [(a.title, a.level, a.revoked, a.decision_number) for a in _awards(db, n)] == [
        ("dien_hinh_co_so", "co_so", False, "120/QĐ-STP"), ("dien_hinh_nganh", "bo", False, "2100/QĐ-BTP")]
    with pytest.raises(Forbidden):  # from `recognized` only the Ministry revokes
        service.transition(db, gd, n.id, "revoke", n.version, reason="Gian dối", decision_number="9/QĐ")
    with pytest.raises(ValidationFailed):
        service.transition(db, botp, n.id, "revoke", n.version, reason="Gian dối")
    n = service.transition(db, botp, n.id, "revoke", n.version, reason="Gian dối", decision_number="9/QĐ-BTP")
    assert n.state == "revoked"
    assert [a.revoked for a in _awards(db, n)] == [True, True]
    steps = [h.version for h in n.history][1:]  # after the dossier edit, one version per step
    assert steps == list(range(steps[0], n.version + 1))


def test_director_revokes_a_co_so_recognition_the_ministry_cannot(db, demo, submitted):
    gd = demo.actor("giamdoc")
    council_decides(db, demo, submitted, passed=True)
    decisions.issue(db, gd, level="co_so", number=15, date=dt.date(2026, 11, 20), nomination_ids=[submitted.id])
    n = submitted
    with pytest.raises(Forbidden):  # a cơ sở recognition is revoked by the director only
        service.transition(db, demo.actor("botp"), n.id, "revoke", n.version, reason="Sai", decision_number="1")
    n = service.transition(db, gd, n.id, "revoke", n.version, reason="Hồ sơ không trung thực",
                           decision_number="16/QĐ-STP")
    assert n.state == "revoked" and all(a.revoked for a in _awards(db, n))
    assert n.history[-1].data == {"reason": "Hồ sơ không trung thực", "decision_number": "16/QĐ-STP"}


def test_deputy_signs_under_delegation_and_both_are_named(db, demo, submitted, tmp_path):
    deputy = deputy_director(db, demo, "council_member")
    director = demo.user("giamdoc")
    today = dt.date.today()
    db.add(Delegation(department_id=demo.unit("STP").id, director_id=director.id, deputy_id=deputy.id,
                      starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=1)))
    db.flush()
    expired = actor_for(db, deputy, today=today + dt.timedelta(days=2))
    assert not expired.signs and expired.on_behalf_of is None  # the director role as a deputy: no signing
    acting = actor_for(db, deputy, today=today)
    assert "director" in acting.roles and acting.signs and acting.on_behalf_of.id == director.id
    other = submit_via_service(db, demo, tmp_path, "tp_hctp", unit="HCTP", title="Phòng HCTP")
    demo.campaign().quota_collective = None
    s = open_session(db, demo, [submitted, other])
    vote(db, demo, s, submitted, 6)
    vote(db, demo, s, other, 7)
    close(db, demo, s)
    # One decision for one nomination...
    decisions.issue(db, acting, level="co_so", number=CO_SO["decision_number"], date=CO_SO["decision_date"],
                    nomination_ids=[submitted.id])
    n = submitted
    change = db.scalar(select(StateChange).where(StateChange.nomination_id == n.id,
                                                 StateChange.action == "recognize_co_so"))
    assert (change.actor_id, change.on_behalf_of_id) == (deputy.id, director.id)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "nomination.recognize_co_so"))
    assert (event.actor_username, event.data["on_behalf_of"]) == ("phogiamdoc", "giamdoc")
    # ... and another, which names both people too.
    d = decisions.issue(db, acting, level="co_so", number="121/QĐ-STP", date=today, nomination_ids=[other.id])
    assert (d.signer_id, d.on_behalf_of_id, d.signer_title) == (deputy.id, director.id, "PHÓ GIÁM ĐỐC")
    assert db.get(Decision, d.id).on_behalf_of.username == "giamdoc"
    assert other.history[-1].on_behalf_of_id == director.id and _awards(db, other)[0].unit_id == demo.unit("HCTP").id
