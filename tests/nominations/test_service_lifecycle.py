"""The transition service end to end on every backend: the unit head's path from registration to withdrawal,
the history it leaves, and what a stale or incomplete request gets instead."""
from __future__ import annotations

import pytest
from samples import PDF
from sqlalchemy import func, select

from models import AuditEvent, StateChange
from workflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflow.nominations import rules, service


def _criteria(n) -> dict:
    return {c.code: {"met": True, "evidence": f"Minh chứng {c.code}"}
            for c in rules.criteria_for(n.subject_type, n.campaign.kind)}


def _collective(db, demo, unit="PBGDPL", actor="tp_pbgdpl"):
    return service.create_nomination(db, demo.actor(actor), campaign_id=demo.campaign().id,
                                     subject_type="collective", unit_id=demo.unit(unit).id,
                                     title=f"Tập thể {unit}")


def _complete_dossier(db, demo, n, tmp_path, actor="tp_pbgdpl"):
    a = demo.actor(actor)
    n = service.update_nomination(db, a, n.id, n.version, achievements="Hoàn thành xuất sắc nhiệm vụ năm.",
                                  criteria=_criteria(n))
    service.add_attachment(db, a, n.id, kind="achievement_report", filename="bao-cao.pdf", data=PDF)
    return n


def _history(db, n):
    return db.scalars(select(StateChange).where(StateChange.nomination_id == n.id)
                      .order_by(StateChange.version)).all()


def _audit_count(db) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent))


def test_unit_head_path_register_nurture_submit_return_resubmit_withdraw(db, demo, tmp_path):
    tp, vp = demo.actor("tp_pbgdpl"), demo.actor("vanphong")
    n = _collective(db, demo)
    assert (n.state, n.version) == ("registered", 1)
    n = _complete_dossier(db, demo, n, tmp_path)
    assert rules.dossier_gaps(n) == []
    steps = [
        (tp, "start_nurturing", {"nurture_plan": "Bồi dưỡng mô hình mới"}, "nurtured"),
        (tp, "submit", {}, "submitted"),
        (vp, "return_for_revision", {"reason": "Bổ sung số liệu năm"}, "nurtured"),
        (tp, "submit", {"comment": "Đã bổ sung"}, "submitted"),
        (tp, "withdraw", {"reason": "Đơn vị xin rút"}, "withdrawn"),
    ]
    for actor, action, data, dest in steps:
        before = n.version
        n = service.transition(db, actor, n.id, action, before, **data)
        assert (n.state, n.version) == (dest, before + 1)
        last = _history(db, n)[-1]
        assert (last.action, last.to_state, last.version, last.actor_id) == (action, dest, n.version, actor.id)
    db.commit()

    history = _history(db, n)
    assert [(h.action, h.from_state, h.to_state) for h in history] == [
        ("create", None, "registered"),
        ("start_nurturing", "registered", "nurtured"),
        ("submit", "nurtured", "submitted"),
        ("return_for_revision", "submitted", "nurtured"),
        ("submit", "nurtured", "submitted"),
        ("withdraw", "submitted", "withdrawn"),
    ]
    # Versions strictly increase; each transition is exactly one step after the previous row
    # (the dossier edit between create and start_nurturing bumped the version once).
    versions = [h.version for h in history]
    assert versions == sorted(set(versions)) and versions[-1] == n.version
    assert [b - a for a, b in zip(versions[1:], versions[2:], strict=False)] == [1, 1, 1, 1]
    returned = history[3]
    assert returned.comment == "Bổ sung số liệu năm" and returned.data["reason"] == "Bổ sung số liệu năm"
    assert history[1].data["nurture_plan"] == "Bồi dưỡng mô hình mới"
    assert history[4].comment == "Đã bổ sung"
    assert n.nurture_plan == "Bồi dưỡng mô hình mới"


def test_stale_version_is_a_conflict_and_leaves_no_trace(db, demo):
    tp = demo.actor("tp_pbgdpl")
    n = _collective(db, demo)
    n = service.transition(db, tp, n.id, "start_nurturing", 1, nurture_plan="Kế hoạch")
    db.commit()
    rows, events = len(_history(db, n)), _audit_count(db)
    with pytest.raises(Conflict) as exc:
        service.transition(db, tp, n.id, "withdraw", 1, reason="Rút")
    # In the user's words (issue 14, finding 7), the current version carried for a client to reload
    assert exc.value.status == 409 and exc.value.current_version == 2
    assert "phiên bản" not in (exc.value.detail + " ".join(exc.value.reasons)).lower()
    assert (n.state, n.version) == ("nurtured", 2)
    assert len(_history(db, n)) == rows and _audit_count(db) == events


def test_version_is_required(db, demo):
    n = _collective(db, demo)
    with pytest.raises(ValidationFailed):
        service.transition(db, demo.actor("tp_pbgdpl"), n.id, "start_nurturing", None, nurture_plan="x")
    with pytest.raises(ValidationFailed):
        service.transition(db, demo.actor("tp_pbgdpl"), n.id, "start_nurturing", "abc", nurture_plan="x")
    assert n.state == "registered"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_return_and_withdraw_need_a_reason(db, demo, tmp_path, reason):
    tp, vp = demo.actor("tp_pbgdpl"), demo.actor("vanphong")
    n = _complete_dossier(db, demo, _collective(db, demo), tmp_path)
    n = service.transition(db, tp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    n = service.transition(db, tp, n.id, "submit", n.version)
    rows = len(_history(db, n))
    for actor, action in ((vp, "return_for_revision"), (tp, "withdraw"), (vp, "withdraw")):
        with pytest.raises(ValidationFailed) as exc:
            service.transition(db, actor, n.id, action, n.version, reason=reason)
        assert any("lý do" in r for r in exc.value.reasons)
    assert (n.state, len(_history(db, n))) == ("submitted", rows)


def test_start_nurturing_needs_a_plan_unless_one_is_recorded(db, demo):
    tp = demo.actor("tp_pbgdpl")
    n = _collective(db, demo)
    with pytest.raises(ValidationFailed) as exc:
        service.transition(db, tp, n.id, "start_nurturing", n.version)
    assert any("kế hoạch bồi dưỡng" in r for r in exc.value.reasons)
    n = service.update_nomination(db, tp, n.id, n.version, nurture_plan="Kế hoạch đã ghi trong hồ sơ")
    n = service.transition(db, tp, n.id, "start_nurturing", n.version)
    assert n.state == "nurtured"


def test_submit_is_refused_until_the_dossier_is_complete(db, demo, tmp_path):
    tp = demo.actor("tp_pbgdpl")
    n = _collective(db, demo)
    n = service.transition(db, tp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    with pytest.raises(ValidationFailed) as exc:
        service.transition(db, tp, n.id, "submit", n.version)
    assert "Chưa đính kèm báo cáo thành tích." in exc.value.reasons
    assert n.state == "nurtured"
    options = {o.code: o for o in service.available_actions(db, tp, n)}
    assert set(options) == {"submit", "withdraw"}
    assert not options["submit"].allowed and "Chưa đính kèm báo cáo thành tích." in options["submit"].reasons
    n = _complete_dossier(db, demo, n, tmp_path)
    options = {o.code: o for o in service.available_actions(db, tp, n)}
    assert options["submit"].allowed and options["submit"].reasons == ()
    assert service.transition(db, tp, n.id, "submit", n.version).state == "submitted"


def test_trigger_not_valid_from_the_current_state_is_a_conflict(db, demo):
    tp = demo.actor("tp_pbgdpl")
    n = _collective(db, demo)
    with pytest.raises(Conflict):
        service.transition(db, tp, n.id, "submit", n.version)
    with pytest.raises(Conflict):
        service.transition(db, tp, n.id, "return_for_revision", n.version, reason="x")
    assert (n.state, n.version) == ("registered", 1)


def test_unknown_action_is_invalid_input(db, demo):
    n = _collective(db, demo)
    for action in ("to_recognized", "trigger", "create", ""):
        with pytest.raises(ValidationFailed):
            service.transition(db, demo.actor("tp_pbgdpl"), n.id, action, n.version)
    assert n.state == "registered"


def test_nothing_moves_after_withdrawal(db, demo):
    tp, vp = demo.actor("tp_pbgdpl"), demo.actor("vanphong")
    n = _collective(db, demo)
    n = service.transition(db, tp, n.id, "withdraw", n.version, reason="Rút")
    assert service.available_actions(db, tp, n) == [] and service.available_actions(db, vp, n) == []
    with pytest.raises(Conflict):
        service.transition(db, vp, n.id, "start_nurturing", n.version, nurture_plan="x")
    with pytest.raises(Forbidden):  # and the dossier is frozen
        service.update_nomination(db, tp, n.id, n.version, title="Đổi tên")


# ---------------------------------------------------------------------------------------- steps of the council
def _submitted(db, demo, tmp_path):
    tp = demo.actor("tp_pbgdpl")
    n = _complete_dossier(db, demo, _collective(db, demo), tmp_path)
    n = service.transition(db, tp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    return service.transition(db, tp, n.id, "submit", n.version)


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("recognize_co_so", {"decision_number": "12/QĐ-STP", "decision_date": "2026-11-20"}),
        ("reject_co_so", {}),
    ],
)
def test_director_decisions_fail_closed_without_a_council_result(db, demo, tmp_path, action, data):
    n = _submitted(db, demo, tmp_path)
    rows = len(_history(db, n))
    with pytest.raises(ValidationFailed) as exc:
        service.transition(db, demo.actor("giamdoc"), n.id, action, n.version, **data)
    assert exc.value.reasons and any("Hội đồng" in r for r in exc.value.reasons)
    assert (n.state, len(_history(db, n))) == ("submitted", rows)
    options = {o.code: o for o in service.available_actions(db, demo.actor("giamdoc"), n)}
    assert set(options) == {"recognize_co_so", "reject_co_so"}
    assert not any(o.allowed for o in options.values())


def test_propose_nganh_fails_closed_even_for_the_director(db, demo, tmp_path, monkeypatch):
    from workflow.council import results as council_results

    n = _submitted(db, demo, tmp_path)
    monkeypatch.setattr(council_results, "outcome", lambda session, nom: "passed")
    gd = demo.actor("giamdoc")
    from workflow.proposals import decisions

    decisions.issue(db, gd, level="co_so", number="12/QĐ-STP", date="2026-11-20", nomination_ids=[n.id])
    with pytest.raises(ValidationFailed) as exc:
        service.transition(db, gd, n.id, "propose_nganh", n.version)
    assert any("Tờ trình" in r for r in exc.value.reasons)
    assert n.state == "evaluated_co_so"


@pytest.mark.parametrize("stop", ["registered", "nurtured", "submitted", "withdrawn"])
def test_revoke_is_not_reachable_before_recognition(db, demo, tmp_path, stop):
    tp = demo.actor("tp_pbgdpl")
    n = _complete_dossier(db, demo, _collective(db, demo), tmp_path)
    path = {"nurtured": [("start_nurturing", {"nurture_plan": "x"})],
            "submitted": [("start_nurturing", {"nurture_plan": "x"}), ("submit", {})],
            "withdrawn": [("withdraw", {"reason": "x"})]}.get(stop, [])
    for action, data in path:
        n = service.transition(db, tp, n.id, action, n.version, **data)
    assert n.state == stop
    for username in ("giamdoc", "vanphong", "admin", "thanhtra"):  # all can see it: 409, not a permission question
        actor = demo.actor(username)
        assert "revoke" not in {o.code for o in service.available_actions(db, actor, n)}
        with pytest.raises(Conflict):
            service.transition(db, actor, n.id, "revoke", n.version, reason="Sai", decision_number="1/QĐ")
    with pytest.raises(NotFound):  # the ministry does not even see a dossier that never reached it
        service.transition(db, demo.actor("botp"), n.id, "revoke", n.version, reason="Sai", decision_number="1/QĐ")
    assert n.state == stop
