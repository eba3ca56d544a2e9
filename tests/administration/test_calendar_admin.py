"""The administrator's calendar of days off and make-up working days (/admin/calendar,
workflow.administration.calendar): admins only, validated, audited; recorded days move the council's publicity
deadline; a year without Tết data is flagged on the admin page and on the council session page."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from test_council_helpers import NOW, nominate, schedule

from models import AuditEvent, CalendarDay
from workflow import clock, workdays
from workflow.administration import calendar as calendar_admin
from workflow.council import operations as council
from workflow.errors import Forbidden, NotFound, ValidationFailed

VN = dt.timezone(dt.timedelta(hours=7))
D = dt.date
WARNING_2031 = "Chưa có lịch nghỉ Tết năm 2031: thời hạn công khai có thể tính sai."


def recorded(db) -> dict[D, tuple[bool, str]]:
    db.expire_all()
    return {d.day: (d.is_working, d.name) for d in db.scalars(select(CalendarDay))}


def calendar_events(db) -> list[tuple[str, int, dict]]:
    return [(e.action, e.object_id, e.data) for e in db.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "calendar_day", AuditEvent.outcome != "refused")
        .order_by(AuditEvent.id))]


def add(db, demo, day, is_working, name, user="admin"):
    row = calendar_admin.save_day(db, demo.actor(user), {"day": day, "is_working": is_working, "name": name})
    db.commit()
    return row


# ------------------------------------------------------------------------------------------------ pages
def test_admin_adds_updates_and_deletes_days(client, login, db):
    login("admin")
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "Lịch mặc định của hệ thống năm 2026" in page and "Tết Nguyên đán" in page and "16/02/2026" in page
    r = client.post("/admin/calendar", data={"day": "02/01/2026", "is_working": "0", "name": "Nghỉ bù Tết Dương lịch",
                                             "year": "2026"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/calendar?year=2026")
    r = client.post("/admin/calendar", data={"day": "10/01/2026", "is_working": "1",
                                             "name": "Làm bù cho ngày 02/01", "year": "2026"})
    assert r.status_code == 302
    assert recorded(db) == {D(2026, 1, 2): (False, "Nghỉ bù Tết Dương lịch"),
                            D(2026, 1, 10): (True, "Làm bù cho ngày 02/01")}
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    for text in ("02/01/2026", "Thứ Sáu", "Nghỉ bù Tết Dương lịch", "10/01/2026", "Thứ Bảy", "Làm bù",
                 "Ngày đã ghi nhận năm 2026 (2)"):
        assert text in page, text
    assert "Ngày đã ghi nhận năm 2027 (0)" in client.get("/admin/calendar?year=2027").get_data(as_text=True)

    # The same date again updates it.
    r = client.post("/admin/calendar", data={"day": "02/01/2026", "is_working": "0", "name": "Nghỉ Tết Dương lịch"})
    assert r.status_code == 302
    assert recorded(db)[D(2026, 1, 2)] == (False, "Nghỉ Tết Dương lịch")

    # Deleting asks for the confirmation box first.
    r = client.post("/admin/calendar/2026-01-02/delete", data={"year": "2026"})
    assert r.status_code == 422 and "Vui lòng đánh dấu ô xác nhận" in r.get_data(as_text=True)
    assert D(2026, 1, 2) in recorded(db)
    r = client.post("/admin/calendar/2026-01-02/delete", data={"year": "2026", "confirm": "yes"})
    assert r.status_code == 302
    assert set(recorded(db)) == {D(2026, 1, 10)}
    assert client.post("/admin/calendar/2026-01-02/delete", data={"confirm": "yes"}).status_code == 404
    assert client.post("/admin/calendar/not-a-day/delete", data={"confirm": "yes"}).status_code == 404

    events = calendar_events(db)
    assert [(a, o) for a, o, _ in events] == [
        ("admin.calendar_day_create", 20260102), ("admin.calendar_day_create", 20260110),
        ("admin.calendar_day_update", 20260102), ("admin.calendar_day_delete", 20260102)]
    assert events[0][2] == {"day": "2026-01-02", "is_working": False, "name": "Nghỉ bù Tết Dương lịch", "via": "web"}
    assert events[2][2]["changes"] == {"name": {"before": "Nghỉ bù Tết Dương lịch", "after": "Nghỉ Tết Dương lịch"}}
    assert events[3][2]["name"] == "Nghỉ Tết Dương lịch"
    actor_ids = set(db.scalars(select(AuditEvent.actor_id).where(AuditEvent.object_type == "calendar_day")))
    assert actor_ids == {db.scalar(select(CalendarDay.updated_by_id))}


def test_saving_the_same_values_writes_no_audit_event(db, demo):
    add(db, demo, "2026-01-02", False, "Nghỉ bù")
    add(db, demo, "2026-01-02", "0", " Nghỉ bù ")
    assert [a for a, _, _ in calendar_events(db)] == ["admin.calendar_day_create"]


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"day": "31/02/2026", "is_working": "0", "name": "Nghỉ"}, "day", "Ngày không hợp lệ."),
    ({"day": "", "is_working": "0", "name": "Nghỉ"}, "day", "Bắt buộc nhập."),
    ({"day": "01/01/1999", "is_working": "0", "name": "Nghỉ"}, "day", "Năm phải từ 2000 đến 2100."),
    ({"day": "02/01/2026", "is_working": "1", "name": "Làm bù"}, "day",
     "Ngày làm việc ghi thêm phải là thứ Bảy, Chủ nhật (làm bù) hoặc một ngày nghỉ có sẵn cần sửa (02/01/2026 là "
     "thứ sáu, vốn là ngày làm việc)."),
    ({"day": "04/01/2026", "is_working": "0", "name": "Nghỉ"}, "day",
     "Ngày nghỉ phải là ngày từ thứ Hai đến thứ Sáu (04/01/2026 là chủ nhật, đã là ngày nghỉ hằng tuần)."),
    ({"day": "02/01/2026", "name": "Nghỉ"}, "is_working", "Bắt buộc chọn."),
    ({"day": "02/01/2026", "is_working": "maybe", "name": "Nghỉ"}, "is_working", "Lựa chọn không hợp lệ."),
    ({"day": "02/01/2026", "is_working": "0", "name": "   "}, "name", "Bắt buộc nhập."),
    ({"day": "02/01/2026", "is_working": "0", "name": "x" * 201}, "name", "Tối đa 200 ký tự."),
])
def test_invalid_input_is_422_with_a_vietnamese_message_and_writes_nothing(client, login, db, data, field, message):
    login("admin")
    r = client.post("/admin/calendar", data=dict(data, year="2026"))
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert message in page and f'id="{field}-error"' in page
    assert "Thông tin chưa hợp lệ" in page
    assert recorded(db) == {}
    assert calendar_events(db) == []
    refused = db.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "admin.calendar_day_save", AuditEvent.outcome == "refused"))
    assert refused == 1  # the refusal itself is in the audit trail


def test_a_long_name_of_200_characters_is_accepted(db, demo):
    add(db, demo, "2026-01-02", False, "x" * 200)
    assert recorded(db)[D(2026, 1, 2)] == (False, "x" * 200)


@pytest.mark.parametrize("year", ["abc", "1999", "2101"])
def test_an_invalid_year_is_422(client, login, year):
    login("admin")
    r = client.get(f"/admin/calendar?year={year}")
    assert r.status_code == 422 and "Năm không hợp lệ." in r.get_data(as_text=True)


@pytest.mark.parametrize("username", ["tp_pbgdpl", "vanphong", "giamdoc", "thanhtra"])
def test_non_admins_are_refused(client, login, db, demo, username):
    login(username)
    assert client.get("/admin/calendar").status_code == 403
    r = client.post("/admin/calendar", data={"day": "02/01/2026", "is_working": "0", "name": "Nghỉ"})
    assert r.status_code == 403
    add(db, demo, "2026-01-05", False, "Nghỉ")
    login(username)
    assert client.post("/admin/calendar/2026-01-05/delete", data={"confirm": "yes"}).status_code == 403
    assert set(recorded(db)) == {D(2026, 1, 5)}
    with pytest.raises(Forbidden):
        calendar_admin.save_day(db, demo.actor(username), {"day": "2026-01-02", "is_working": "0", "name": "N"})
    with pytest.raises(Forbidden):
        calendar_admin.delete_day(db, demo.actor(username), "2026-01-05")
    with pytest.raises(Forbidden):
        calendar_admin.year_calendar(db, demo.actor(username), 2026)


def test_service_refuses_unknown_days_and_bad_input(db, demo):
    admin = demo.actor("admin")
    with pytest.raises(NotFound):
        calendar_admin.delete_day(db, admin, "2026-01-02")
    with pytest.raises(ValidationFailed) as err:
        calendar_admin.save_day(db, admin, {"day": "2026-01-02", "is_working": True, "name": "Làm bù"})
    assert "day" in err.value.field_errors


def test_a_built_in_weekday_off_can_be_corrected_to_a_working_day(db, demo):
    from workflow import workdays

    day = workdays.holidays(2026) and sorted(d for d in workdays.holidays(2026) if d.weekday() < 5)[0]
    calendar_admin.save_day(db, demo.actor("admin"), {"day": day.isoformat(), "is_working": True,
                                                      "name": "Sửa lịch: đi làm"})
    assert not workdays.is_working_day(day)  # the base alone still says day off
    assert workdays.load_calendar(db, [2026]).is_working_day(day)


def test_a_base_make_up_saturday_can_be_recorded_as_a_day_off(client, login, db, demo):
    """22/08/2026 is a make-up Saturday in the base (for the bridge day 31/8): the page lists it, and should the
    announcement change, the administrator records it as a day off; an ordinary Saturday is still refused."""
    login("admin")
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "22/08/2026" in page and "Làm bù" in page
    assert workdays.is_working_day(D(2026, 8, 22))
    add(db, demo, "2026-08-22", False, "Không làm bù")
    assert not workdays.load_calendar(db, [2026]).is_working_day(D(2026, 8, 22))
    with pytest.raises(ValidationFailed):
        calendar_admin.save_day(db, demo.actor("admin"), {"day": "2026-08-29", "is_working": False, "name": "x"})


# ------------------------------------------------------------------------------------------------ the deadline
def test_load_calendar_reads_only_the_years_asked_for(db, demo):
    add(db, demo, "2026-06-03", False, "Nghỉ")
    add(db, demo, "2027-06-05", True, "Làm bù")
    cal = workdays.load_calendar(db, [2026])
    assert dict(cal.overrides) == {D(2026, 6, 3): False}
    both = workdays.load_calendar(db, [2026, 2027])
    assert both.is_working_day(D(2027, 6, 5)) and not both.is_working_day(D(2026, 6, 3))
    assert workdays.load_calendar(db, []).overrides == {}


def test_the_publicity_deadline_moves_with_recorded_days(db, demo):
    sec = demo.actor("vanphong")
    # NOW is Monday 01/06/2026: 10 working days end on Monday 15/06/2026 by the defaults.
    plain = schedule(db, demo, [nominate(db, demo, unit="HCTP")], publicity_days=10, date=D(2026, 6, 20))
    assert plain.comments_until == dt.datetime(2026, 6, 15, 23, 59, 59, tzinfo=VN)

    add(db, demo, "2026-06-03", False, "Nghỉ đột xuất")  # a day off inside the period: one day later
    s = schedule(db, demo, [nominate(db, demo, unit="PTP-LX")], publicity_days=10, date=D(2026, 6, 20),
                 publish=False)
    council.publish(db, sec, s.id, now=NOW)
    assert s.comments_until == dt.datetime(2026, 6, 16, 23, 59, 59, tzinfo=VN)

    add(db, demo, "2026-06-06", True, "Làm bù cho ngày 03/6")  # a worked Saturday: back to Monday 15/06
    again = schedule(db, demo, [nominate(db, demo, unit="PTP-CD")], publicity_days=10, date=D(2026, 6, 20),
                     publish=False)
    council.publish(db, sec, again.id, now=NOW)
    assert again.comments_until == dt.datetime(2026, 6, 15, 23, 59, 59, tzinfo=VN)


def test_a_recorded_day_off_can_push_the_deadline_onto_the_meeting_day(db, demo):
    s = schedule(db, demo, [nominate(db, demo, unit="HCTP")], publicity_days=10, date=D(2026, 6, 16),
                 publish=False)
    add(db, demo, "2026-06-03", False, "Nghỉ đột xuất")
    with pytest.raises(ValidationFailed) as err:
        council.publish(db, demo.actor("vanphong"), s.id, now=NOW)
    assert "16/06/2026" in err.value.reasons[0] and s.published_at is None


def test_publishing_from_the_page_uses_the_recorded_days(client, login, db, demo, monkeypatch):
    s = schedule(db, demo, [nominate(db, demo, unit="HCTP")], publicity_days=10, date=D(2026, 6, 20),
                 publish=False)
    db.commit()
    login("admin")
    assert client.post("/admin/calendar", data={"day": "03/06/2026", "is_working": "0",
                                                "name": "Nghỉ đột xuất"}).status_code == 302
    monkeypatch.setattr(clock, "now", lambda: NOW)
    login("vanphong")
    r = client.post(f"/council/sessions/{s.id}/publish", data={"confirm": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert "16/06/2026 23:59" in client.get(f"/council/sessions/{s.id}").get_data(as_text=True)


# ------------------------------------------------------------------------------------------------ missing years
def test_the_base_knows_tet_up_to_2100(db):
    assert workdays.missing_years(db, range(clock.today().year, 2101)) == []
    assert workdays.missing_years(db, [2100, 2101]) == [2101]


@pytest.fixture
def base_ends_in_2030(monkeypatch):
    """The warnings below are what an administrator sees once the base runs out (after 2100): to test them on
    ordinary years, pretend it ends in 2030 (its caches are emptied before and after)."""
    workdays._base.cache_clear()
    workdays.holidays.cache_clear()
    monkeypatch.setattr(workdays, "LAST_YEAR", 2030)
    yield
    monkeypatch.undo()
    workdays._base.cache_clear()
    workdays.holidays.cache_clear()


@pytest.mark.usefixtures("base_ends_in_2030")
def test_missing_years_are_those_without_any_tet_data(db, demo):
    assert workdays.missing_years(db, [2024, 2029, 2030, 2031, 2032]) == [2031, 2032]
    add(db, demo, "2031-05-02", False, "Nghỉ bù 30/4")  # not Tết
    add(db, demo, "2031-01-25", True, "Làm bù")  # a worked Saturday is not a day off
    assert workdays.missing_years(db, [2031, 2032]) == [2031, 2032]
    add(db, demo, "2031-01-22", False, "Tết Nguyên đán")
    assert workdays.missing_years(db, [2030, 2031, 2032]) == [2032]


@pytest.mark.usefixtures("base_ends_in_2030")
def test_the_admin_page_warns_about_a_year_without_tet(client, login, db, demo, monkeypatch):
    login("admin")
    assert "Chưa có lịch nghỉ Tết" not in client.get("/admin/calendar?year=2026").get_data(as_text=True)
    page = client.get("/admin/calendar?year=2031").get_data(as_text=True)
    assert WARNING_2031 in page and "Hãy nhập lịch nghỉ theo thông báo của Chính phủ." in page
    monkeypatch.setattr(clock, "today", lambda: D(2030, 3, 1))  # next year 2031 is missing, whatever year is shown
    assert WARNING_2031 in client.get("/admin/calendar?year=2030").get_data(as_text=True)
    add(db, demo, "2031-01-22", False, "Tết Nguyên đán")
    page = client.get("/admin/calendar?year=2031").get_data(as_text=True)
    assert "Chưa có lịch nghỉ Tết" not in page and "Tết Nguyên đán" in page


@pytest.mark.usefixtures("base_ends_in_2030")
def test_the_council_page_warns_about_this_or_next_year_without_tet(client, login, db, demo, monkeypatch):
    s = schedule(db, demo, [nominate(db, demo, unit="HCTP")], publicity_days=10, date=D(2026, 6, 20),
                 publish=False)
    db.commit()
    login("vanphong")
    monkeypatch.setattr(clock, "today", lambda: D(2026, 6, 1))
    assert "Chưa có lịch nghỉ Tết" not in client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
    monkeypatch.setattr(clock, "today", lambda: D(2030, 6, 1))
    assert WARNING_2031 in client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
    add(db, demo, "2031-01-22", False, "Tết Nguyên đán")
    assert "Chưa có lịch nghỉ Tết" not in client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
