"""The steps after submission, with the council's result and the signed proposal stubbed in
(workflow.council_results answers "nothing recorded" until the council feature lands): who may take them,
what they write (award records), and the director's delegation."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import AuditEvent, AwardRecord, Delegation, StateChange
from workflow import council_results, rules, service
from workflow.accounts import create_user
from workflow.errors import Forbidden, NotFound, ValidationFailed
from workflow.permissions import actor_for

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CO_SO = {"decision_number": "120/QĐ-STP", "decision_date": "2026-11-20"}
NGANH = {"decision_number": "2100/QĐ-BTP", "decision_date": "2026-11-24"}


@pytest.fixture
def council(monkeypatch):
    """Set what the council and the proposal lookups answer."""
    state = {"outcome": None, "listed": False}
    monkeypatch.setattr(council_results, "outcome", lambda session, n: state["outcome"])
    monkeypatch.setattr(council_results, "listed_in_submitted_proposal", lambda session, n, data: state["listed"])
    return state


@pytest.fixture
def submitted(db, demo, tmp_path):
    tp = demo.actor("tp_pbgdpl")
    n = service.create_nomination(db, tp, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng PBGDPL")
    n = service.update_nomination(db, tp, n.id, n.version, achievements="Thành tích", criteria={
        c.code: {"met": True, "evidence": "x"} for c in rules.criteria_for("collective", "annual")})
    service.add_attachment(db, tp, n.id, kind="achievement_report", filename="bc.pdf", data=PDF,
                           storage_root=tmp_path)
    n = service.transition(db, tp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    return service.transition(db, tp, n.id, "submit", n.version)


def _awards(db, n):
    return db.scalars(select(AwardRecord).where(AwardRecord.nomination_id == n.id).order_by(AwardRecord.id)).all()


def test_recognition_needs_a_passed_vote_and_a_dated_decision(db, demo, council, submitted):
    gd = demo.actor("giamdoc")
    council["outcome"] = "failed"
    with pytest.raises(ValidationFailed):
        service.transition(db, gd, submitted.id, "recognize_co_so", submitted.version, **CO_SO)
    council["outcome"] = "passed"
    for bad in ({"decision_number": "120/QĐ-STP"}, {**CO_SO, "decision_date": "20/11/2026"},
                {**CO_SO, "decision_number": " "}):
        with pytest.raises(ValidationFailed):
            service.transition(db, gd, submitted.id, "recognize_co_so", submitted.version, **bad)
    with pytest.raises(Forbidden):  # the secretariat prepares, the director signs
        service.transition(db, demo.actor("vanphong"), submitted.id, "recognize_co_so", submitted.version, **CO_SO)
    n = service.transition(db, gd, submitted.id, "recognize_co_so", submitted.version, **CO_SO)
    assert n.state == "evaluated_co_so"
    assert n.history[-1].data == CO_SO
    (award,) = _awards(db, n)
    assert (award.unit_id, award.person_id, award.title, award.level, award.year, award.decision_number) == (
        demo.unit("PBGDPL").id, None, "dien_hinh_co_so", "co_so", demo.campaign().end_date.year, "120/QĐ-STP")


def test_failed_vote_ends_the_nomination_and_frees_the_subject(db, demo, council, submitted):
    council["outcome"] = "failed"
    n = service.transition(db, demo.actor("giamdoc"), submitted.id, "reject_co_so", submitted.version)
    assert n.state == "not_recognized" and _awards(db, n) == []
    again = service.create_nomination(db, demo.actor("tp_pbgdpl"), campaign_id=demo.campaign().id,
                                      subject_type="collective", unit_id=demo.unit("PBGDPL").id, title="Lần hai")
    assert again.state == "registered"


def test_sector_path_to_recognition_and_revocation(db, demo, council, submitted):
    gd, botp = demo.actor("giamdoc"), demo.actor("botp")
    council["outcome"] = "passed"
    with pytest.raises(NotFound):  # the ministry sees nothing before the department recognises it
        service.transition(db, botp, submitted.id, "recognize_nganh", submitted.version, **NGANH)
    n = service.transition(db, gd, submitted.id, "recognize_co_so", submitted.version, **CO_SO)
    assert [r.result for r in rules.evaluate(db, n, "propose")] == ["pass"]
    with pytest.raises(ValidationFailed):
        service.transition(db, gd, n.id, "propose_nganh", n.version)  # not in a signed proposal yet
    council["listed"] = True
    n = service.transition(db, gd, n.id, "propose_nganh", n.version)
    assert n.state == "proposed_nganh"
    with pytest.raises(Forbidden):
        service.transition(db, gd, n.id, "recognize_nganh", n.version, **NGANH)
    n = service.transition(db, botp, n.id, "reject_nganh", n.version, reason="Chưa nổi bật")
    assert n.state == "evaluated_co_so"  # the cơ sở recognition stands
    n = service.transition(db, gd, n.id, "propose_nganh", n.version)
    n = service.transition(db, botp, n.id, "recognize_nganh", n.version, **NGANH)
    assert n.state == "recognized"
    assert [(a.title, a.level, a.revoked) for a in _awards(db, n)] == [
        ("dien_hinh_co_so", "co_so", False), ("dien_hinh_nganh", "bo", False)]
    with pytest.raises(Forbidden):  # from `recognized` only the Ministry revokes
        service.transition(db, gd, n.id, "revoke", n.version, reason="Gian dối", decision_number="9/QĐ")
    with pytest.raises(ValidationFailed):
        service.transition(db, botp, n.id, "revoke", n.version, reason="Gian dối")
    n = service.transition(db, botp, n.id, "revoke", n.version, reason="Gian dối", decision_number="9/QĐ-BTP")
    assert n.state == "revoked"
    assert [a.revoked for a in _awards(db, n)] == [True, True]
    steps = [h.version for h in n.history][1:]  # after the dossier edit, one version per step
    assert steps == list(range(steps[0], n.version + 1))


def test_director_revokes_a_co_so_recognition_the_ministry_cannot(db, demo, council, submitted):
    council["outcome"] = "passed"
    gd = demo.actor("giamdoc")
    n = service.transition(db, gd, submitted.id, "recognize_co_so", submitted.version, **CO_SO)
    with pytest.raises(Forbidden):
        service.transition(db, demo.actor("botp"), n.id, "revoke", n.version, reason="Sai", decision_number="1")
    n = service.transition(db, gd, n.id, "revoke", n.version, reason="Hồ sơ không trung thực",
                           decision_number="15/QĐ-STP")
    assert n.state == "revoked" and all(a.revoked for a in _awards(db, n))
    assert n.history[-1].data == {"reason": "Hồ sơ không trung thực", "decision_number": "15/QĐ-STP"}


def test_deputy_signs_under_delegation_and_both_are_named(db, demo, council, submitted):
    deputy = create_user(db, "phogiamdoc", roles=["council_member"], password="deputy-pass-1", unit_code="STP",
                         person_id=demo.person("Lê Thị Phó").id)
    director = demo.user("giamdoc")
    today = dt.date.today()
    db.add(Delegation(department_id=demo.unit("STP").id, director_id=director.id, deputy_id=deputy.id,
                      starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=1)))
    db.flush()
    assert "director" not in actor_for(db, deputy, today=today + dt.timedelta(days=2)).roles  # expired
    acting = actor_for(db, deputy, today=today)
    assert "director" in acting.roles and acting.on_behalf_of.id == director.id
    council["outcome"] = "passed"
    n = service.transition(db, acting, submitted.id, "recognize_co_so", submitted.version, **CO_SO)
    change = db.scalar(select(StateChange).where(StateChange.nomination_id == n.id,
                                                 StateChange.action == "recognize_co_so"))
    assert (change.actor_id, change.on_behalf_of_id) == (deputy.id, director.id)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "nomination.recognize_co_so"))
    assert (event.actor_username, event.data["on_behalf_of"]) == ("phogiamdoc", "giamdoc")
