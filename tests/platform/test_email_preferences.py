"""Each user chooses which families of notifications also come by e-mail; the inbox always gets them all."""
from __future__ import annotations

from sqlalchemy import func, select

from models import AuditEvent, EmailOptOut, Notification, OutboxMessage
from notifications import outbox
from notifications.inbox import notify
from workflow.administration import preferences
from workflow.errors import ValidationFailed


def _mails(db, user) -> int:
    return db.scalar(select(func.count()).select_from(OutboxMessage)
                     .where(OutboxMessage.to_address == user.email)) or 0


def test_everything_is_mailed_until_a_family_is_switched_off(db, demo, monkeypatch):
    monkeypatch.setitem(outbox.SETTINGS, "email_enabled", True)
    vp, gd = demo.user("vanphong"), demo.user("giamdoc")
    assert all(preferences.email_preferences(db, demo.actor("vanphong")).values())
    preferences.set_email_preferences(db, demo.actor("vanphong"), {"reminder": False})
    notify(db, [vp, gd], kind="reminder.monthly_example", title="Nhắc việc")
    notify(db, [vp, gd], kind="council.opened", title="Khai mạc")
    db.flush()
    # vanphong: the reminder in the inbox only, the council event by mail too; giamdoc: both mailed.
    assert db.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == vp.id)) == 2
    assert _mails(db, vp) == 1 and _mails(db, gd) == 2
    subjects = db.scalars(select(OutboxMessage.subject).where(OutboxMessage.to_address == vp.email)).all()
    assert subjects == ["[Điển hình] Khai mạc"]


def test_setting_is_audited_and_unknown_families_are_refused_whole(db, demo):
    actor = demo.actor("tp_pbgdpl")
    values = preferences.set_email_preferences(db, actor, {"council": False, "decision": False})
    assert values["council"] is False and values["decision"] is False and values["nomination"] is True
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "account.email_preferences")).one()
    assert event.actor_id == actor.id and event.data["changes"] == {"council": [True, False], "decision": [True, False]}
    try:
        preferences.set_email_preferences(db, actor, {"council": True, "sports": False})
    except ValidationFailed as err:
        assert "sports" in err.field_errors
    else:
        raise AssertionError("an unknown family must be refused")
    assert preferences.email_preferences(db, actor)["council"] is False  # nothing half-written
    # Switching back on removes the opt-out row.
    preferences.set_email_preferences(db, actor, {"council": True, "decision": True})
    assert db.scalar(select(func.count()).select_from(EmailOptOut)) == 0


def test_page_shows_and_saves_the_choice(client, login, demo, db):
    db.commit()
    login("tp_hctp")
    page = client.get("/account/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nhận thông báo qua e-mail" in html and 'name="email_reminder"' in html and "checked" in html
    # Unticking everything but decisions.
    r = client.post("/account/notifications", data={"email_decision": "1"}, follow_redirects=True)
    assert r.status_code == 200 and "Đã lưu lựa chọn" in r.get_data(as_text=True)
    db.rollback()
    values = preferences.email_preferences(db, demo.actor("tp_hctp"))
    assert values == {"nomination": False, "council": False, "decision": True, "proposal": False,
                      "propagation": False, "reminder": False}


def test_page_needs_login_and_csrf_on_post(app, client, db):
    db.commit()
    assert client.get("/account/notifications").status_code in (302, 401)


def test_api_reads_and_updates_own_preferences(api, db, demo):
    db.commit()
    r = api.as_("canbo1").get("/me/notification-preferences")
    assert r.status_code == 200
    body = r.get_json()
    assert body["email"]["reminder"] is True and "reminder" in body["categories"]
    r = api.as_("canbo1").put("/me/notification-preferences", json={"email": {"reminder": False}})
    assert r.status_code == 200 and r.get_json()["email"]["reminder"] is False
    r = api.as_("canbo1").put("/me/notification-preferences", json={"email": {"votes": False}})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    r = api.as_("canbo1").put("/me/notification-preferences", json={"email": {"reminder": "no"}})
    assert r.status_code == 422
    # Someone else's choice is untouched.
    assert api.as_("tp_hctp").get("/me/notification-preferences").get_json()["email"]["reminder"] is True


def test_mark_all_read_by_page_and_api(api, client, login, db, demo):
    user = demo.user("tp_ptpcd")
    notify(db, [user], kind="council.opened", title="A")
    notify(db, [user], kind="council.opened", title="B")
    db.commit()
    r = api.as_("tp_ptpcd").post("/notifications/read-all")
    assert r.status_code == 200 and r.get_json() == {"marked": 2}
    assert api.as_("tp_ptpcd").get("/notifications?unread=true").get_json()["total"] == 0
    notify(db, [user], kind="council.opened", title="C")
    db.commit()
    login("tp_ptpcd")
    r = client.post("/notifications/read-all", follow_redirects=True)
    assert "Đã đánh dấu 1 thông báo" in r.get_data(as_text=True)
