"""What the signal receivers write beside a change: in-app notifications to whoever acts next, and the audit
trail — both in the same transaction as the change, so a rollback removes them too."""
from __future__ import annotations

import pytest
from samples import PDF
from sqlalchemy import func, select

from models import AuditEvent, Nomination, Notification, OutboxMessage, StateChange
from notifications import audit, outbox
from workflow.errors import DomainError
from workflow.nominations import rules, service


def _ready(db, demo, tmp_path):
    tp = demo.actor("tp_pbgdpl")
    n = service.create_nomination(db, tp, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng PBGDPL")
    n = service.update_nomination(db, tp, n.id, n.version, achievements="Thành tích", criteria={
        c.code: {"met": True, "evidence": "x"} for c in rules.criteria_for("collective", "annual")})
    service.add_attachment(db, tp, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    return service.transition(db, tp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")


def _notes(db, n, kind):
    return db.scalars(select(Notification).where(Notification.object_id == n.id, Notification.kind == kind)).all()


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_submit_tells_the_secretariat_of_the_department(db, demo, tmp_path):
    n = _ready(db, demo, tmp_path)
    n = service.transition(db, demo.actor("tp_pbgdpl"), n.id, "submit", n.version)
    notes = _notes(db, n, "nomination.submit")
    assert [x.user_id for x in notes] == [demo.user("vanphong").id]
    assert notes[0].link == f"/nominations/{n.id}" and notes[0].read_at is None
    assert "Chờ Hội đồng xét" in notes[0].body  # the state's label, never its code
    assert "submitted" not in notes[0].title + notes[0].body


def test_return_tells_the_unit_head_with_the_reason(db, demo, tmp_path):
    n = _ready(db, demo, tmp_path)
    n = service.transition(db, demo.actor("tp_pbgdpl"), n.id, "submit", n.version)
    n = service.transition(db, demo.actor("vanphong"), n.id, "return_for_revision", n.version,
                           reason="Thiếu số liệu")
    notes = _notes(db, n, "nomination.return_for_revision")
    assert [x.user_id for x in notes] == [demo.user("tp_pbgdpl").id]
    assert "Thiếu số liệu" in notes[0].body


def test_actor_is_not_notified_of_their_own_step(db, demo):
    vp = demo.actor("vanphong")
    n = service.create_nomination(db, vp, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng PBGDPL")
    service.transition(db, vp, n.id, "withdraw", n.version, reason="Đăng ký nhầm")
    assert [x.user_id for x in _notes(db, n, "nomination.withdraw")] == [demo.user("tp_pbgdpl").id]
    n2 = service.create_nomination(db, demo.actor("tp_hctp"), campaign_id=demo.campaign().id,
                                   subject_type="collective", unit_id=demo.unit("HCTP").id, title="Phòng HCTP")
    service.transition(db, demo.actor("tp_hctp"), n2.id, "withdraw", n2.version, reason="Rút")
    assert _notes(db, n2, "nomination.withdraw") == []


def test_email_is_queued_only_when_enabled(db, demo, tmp_path, monkeypatch):
    n = _ready(db, demo, tmp_path)
    monkeypatch.setitem(outbox.SETTINGS, "email_enabled", True)
    n = service.transition(db, demo.actor("tp_pbgdpl"), n.id, "submit", n.version)
    (note,) = _notes(db, n, "nomination.submit")
    (mail,) = db.scalars(select(OutboxMessage).where(OutboxMessage.notification_id == note.id)).all()
    assert mail.to_address == "vanphong@dienhinh.test" and mail.status == "pending"
    monkeypatch.setitem(outbox.SETTINGS, "email_enabled", False)
    n = service.transition(db, demo.actor("vanphong"), n.id, "return_for_revision", n.version, reason="Bổ sung")
    assert _count(db, OutboxMessage) == 1


def test_every_action_writes_an_audit_event(db, demo, tmp_path):
    tp, vp = demo.actor("tp_pbgdpl"), demo.actor("vanphong")
    n = _ready(db, demo, tmp_path)
    service.add_checkin(db, tp, n.id, date="2026-02-01", note="Theo dõi")
    n = service.transition(db, tp, n.id, "submit", n.version, comment="Trình Hội đồng")
    n = service.transition(db, vp, n.id, "return_for_revision", n.version, reason="Bổ sung")
    events = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "nomination", AuditEvent.object_id == n.id)
                        .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == [
        "nomination.create", "nomination.update", "nomination.add_attachment", "nomination.start_nurturing",
        "nomination.add_checkin", "nomination.submit", "nomination.return_for_revision",
    ]
    assert {e.outcome for e in events} == {"ok"}
    submit, ret = events[5], events[6]
    assert (submit.actor_username, submit.data["before"], submit.data["after"]) == (
        "tp_pbgdpl", {"state": "nurtured"}, {"state": "submitted"})
    assert submit.data["comment"] == "Trình Hội đồng" and submit.data["via"] == "cli"
    assert ret.actor_id == demo.user("vanphong").id and ret.data["data"]["reason"] == "Bổ sung"
    assert ret.data["version"] == n.version
    assert audit.verify(db).ok


def test_rollback_removes_the_change_with_its_audit_and_notifications(db, demo, tmp_path):
    before = {m: _count(db, m) for m in (Nomination, StateChange, AuditEvent, Notification)}
    n = _ready(db, demo, tmp_path)
    n = service.transition(db, demo.actor("tp_pbgdpl"), n.id, "submit", n.version)
    assert _count(db, AuditEvent) > before[AuditEvent] and _count(db, Notification) == before[Notification] + 1
    db.rollback()
    assert {m: _count(db, m) for m in before} == before


def test_a_refused_step_writes_nothing(db, demo, tmp_path):
    n = _ready(db, demo, tmp_path)
    db.commit()
    before = {m: _count(db, m) for m in (StateChange, AuditEvent, Notification)}
    for actor, action, data in (
        ("vanphong", "submit", {}),  # not the secretariat's step
        ("tp_pbgdpl", "return_for_revision", {"reason": "x"}),  # not from this state
        ("tp_pbgdpl", "withdraw", {}),  # no reason
    ):
        with pytest.raises(DomainError) as exc:
            service.transition(db, demo.actor(actor), n.id, action, n.version, **data)
        assert exc.value.status in (403, 409, 422)
    assert {m: _count(db, m) for m in before} == before
