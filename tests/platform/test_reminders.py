"""Deadline reminders (`dienhinh reminders send`, seed 004 §V): who is reminded, on which days, exactly once."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from models import Notification, OutboxMessage, ReminderLog, User
from notifications.reminders import send
from workflow import clock

UNIT_HEADS = {"tp_pbgdpl", "tp_hctp", "tp_ptpcd", "tp_stp2"}
Y = clock.today().year


def _reminded(db, kind: str | None = None) -> list[str]:
    stmt = select(User.username).join(Notification, Notification.user_id == User.id)
    stmt = stmt.where(Notification.kind.like("reminder.%") if kind is None else Notification.kind == kind)
    return sorted(db.scalars(stmt))


def _notes(db, kind: str) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


def test_unit_report_reminds_every_unit_head_once_on_15_october(db):
    assert send(db, dt.date(Y, 10, 15)) == 4
    db.commit()
    assert _reminded(db, "reminder.yearly_report_unit") == sorted(UNIT_HEADS)
    note = _notes(db, "reminder.yearly_report_unit")[0]
    assert f"20/10/{Y}" in note.title and "Văn phòng" in note.title
    assert "Còn 5 ngày" in note.body
    assert db.scalar(select(func.count()).select_from(ReminderLog)) == 4


def test_running_twice_the_same_day_queues_nothing_more(db):
    assert send(db, dt.date(Y, 10, 15)) == 4
    db.commit()
    outbox = db.scalar(select(func.count()).select_from(OutboxMessage))
    assert send(db, dt.date(Y, 10, 15)) == 0
    db.commit()
    assert len(_reminded(db)) == 4
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == outbox


def test_unit_report_on_the_day_is_a_second_reminder(db):
    send(db, dt.date(Y, 10, 15))
    assert send(db, dt.date(Y, 10, 20)) == 4
    db.commit()
    last = _notes(db, "reminder.yearly_report_unit")[-1]
    assert "Hôm nay là hạn cuối" in last.body


def test_office_report_reminds_the_secretariat_on_25_october(db):
    assert send(db, dt.date(Y, 10, 25)) >= 1
    db.commit()
    assert _reminded(db, "reminder.yearly_report_office") == ["vanphong"]
    note = _notes(db, "reminder.yearly_report_office")[0]
    assert f"30/10/{Y}" in note.title and "Sở Nội vụ" in note.title
    assert _reminded(db, "reminder.yearly_report_unit") == []


def test_monthly_example_on_the_5th_and_the_10th(db):
    assert send(db, dt.date(Y, 3, 5)) == 4
    assert send(db, dt.date(Y, 3, 10)) == 4
    assert send(db, dt.date(Y, 3, 10)) == 0
    db.commit()
    notes = _notes(db, "reminder.monthly_example")
    assert len(notes) == 8
    assert {n.user_id for n in notes} == set(db.scalars(select(User.id).where(User.username.in_(UNIT_HEADS))))
    assert all(f"10/03/{Y}" in n.title for n in notes)


def test_registration_deadline_seven_days_before(db, demo):
    campaign = demo.campaign("annual")
    campaign.registration_deadline = dt.date(Y, 6, 20)
    db.commit()
    assert send(db, dt.date(Y, 6, 13)) == 3  # the unit heads of STP only, not STP2's
    db.commit()
    assert _reminded(db, "reminder.campaign_registration") == ["tp_hctp", "tp_pbgdpl", "tp_ptpcd"]
    note = _notes(db, "reminder.campaign_registration")[0]
    assert note.object_type == "campaign" and note.object_id == campaign.id
    assert f"20/06/{Y}" in note.title and "Còn 7 ngày" in note.body
    assert send(db, dt.date(Y, 6, 14)) == 0
    assert send(db, dt.date(Y, 6, 20)) == 3


def test_evaluation_deadline_reminds_the_secretariat(db, demo):
    campaign = demo.campaign("annual")
    campaign.evaluation_deadline = dt.date(Y, 7, 8)
    db.commit()
    assert send(db, dt.date(Y, 7, 1)) == 1
    db.commit()
    assert _reminded(db, "reminder.campaign_evaluation") == ["vanphong"]


def test_nothing_on_an_ordinary_day(db):
    assert send(db, dt.date(Y, 3, 17)) == 0
    assert send(db, dt.date(Y, 10, 16)) == 0
    db.commit()
    assert _reminded(db) == []


def test_cli_send_with_today(app, db):
    from web.cli import main

    db.rollback()  # no open transaction while the command writes (SQLite's write lock)
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["reminders", "send", "--today", f"{Y}-10-15"])
    assert result.exit_code == 0, result.output
    assert "Đã tạo 4 nhắc việc" in result.output
    again = runner.invoke(main, ["reminders", "send", "--today", f"{Y}-10-15"])
    assert again.exit_code == 0, again.output
    assert "Đã tạo 0 nhắc việc" in again.output
    assert _reminded(db, "reminder.yearly_report_unit") == sorted(UNIT_HEADS)


def test_cli_rejects_a_bad_date(app, db):
    from web.cli import main

    db.rollback()
    result = app.test_cli_runner().invoke(main, ["reminders", "send", "--today", "15/10/2026"])
    assert result.exit_code != 0


def _period(db):
    from models import Campaign

    return db.scalar(select(Campaign).where(Campaign.kind == "period"))


def test_midterm_review_reminds_secretariat_and_department_unit_heads_14_7_and_0_days_before(db):
    campaign = _period(db)
    review = campaign.midterm_review_date
    assert review == dt.date(2023, 6, 11)  # seed 000 §1.4, set by the demo
    for lead in (14, 7, 0):
        send(db, review - dt.timedelta(days=lead))
    assert send(db, review - dt.timedelta(days=3)) == 0  # not a reminder day
    db.commit()
    notes = _notes(db, "reminder.campaign_midterm_review")
    people = sorted({n.user_id for n in notes})
    names = sorted(db.scalars(select(User.username).where(User.id.in_(people))))
    # STP's secretariat and STP's unit heads; Khánh Hòa's unit head is not told of An Giang's review.
    assert names == sorted({"vanphong", "tp_pbgdpl", "tp_hctp", "tp_ptpcd"})
    assert len(notes) == 3 * len(names)
    assert "sơ kết" in notes[0].title and "11/06/2023" in notes[0].title
    assert "Còn 14 ngày" in notes[0].body and "Hôm nay là hạn cuối" in notes[-1].body


def test_final_review_is_reminded_once_however_often_it_runs(db):
    campaign = _period(db)
    day = campaign.final_review_date - dt.timedelta(days=7)
    first = send(db, day)
    assert first == 4 and send(db, day) == 0
    db.commit()
    assert {n.title for n in _notes(db, "reminder.campaign_final_review")} == {
        f"Nhắc việc: tổng kết “{campaign.name}” ngày {campaign.final_review_date:%d/%m/%Y}"}


def test_campaign_without_review_dates_is_not_reminded(db):
    campaign = _period(db)
    day = campaign.midterm_review_date
    campaign.midterm_review_date = None
    db.flush()
    send(db, day)
    assert _notes(db, "reminder.campaign_midterm_review") == []
