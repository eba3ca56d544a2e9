"""The administrator's calendar of days off and make-up working days (models.CalendarDay).

The government announces each year's Tết break, bridge days and make-up Saturdays; the administrator records them
here and `workflow.workdays` lays them over its base (the `holidays` package's calendar of Viet Nam). Admin only;
every change emits its event (workflow.events.CalendarDay*), audited with object_type "calendar_day" and object_id
the day as the number yyyymmdd; the caller commits.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import CalendarDay
from workflow import clock, events, inputs, signals, workdays
from workflow.administration.operations import require
from workflow.context import CLI, Context
from workflow.errors import Conflict, NotFound
from workflow.policy import Actor

YEAR_MIN, YEAR_MAX = 2000, 2100
NAME_LIMIT = 200
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
KIND_LABELS = {False: "Nghỉ", True: "Làm bù"}


def weekday_label(day: dt.date) -> str:
    return WEEKDAYS[day.weekday()]


def object_id(day: dt.date) -> int:
    """The audit trail's object_id of a calendar day: 2026-02-16 → 20260216."""
    return events.day_number(day)


def missing_warning(years: list[int]) -> str | None:
    if not years:
        return None
    return (f"Chưa có lịch nghỉ Tết năm {', '.join(str(y) for y in years)}: thời hạn công khai có thể tính sai. "
            "Hãy nhập lịch nghỉ theo thông báo của Chính phủ.")


def current_warning(session: Session, today: dt.date | None = None) -> str | None:
    """The warning for this year and next (for every page that shows a publicity deadline; no permission needed:
    it only says whether a year's Tết break is known)."""
    today = today or clock.today()
    return missing_warning(workdays.missing_years(session, (today.year, today.year + 1)))


@dataclass(frozen=True)
class DefaultDay:
    day: dt.date
    name: str
    overridden: bool  # a recorded day replaces it
    is_working: bool = False  # a weekend day the base counts as worked (làm bù)


@dataclass(frozen=True)
class YearCalendar:
    year: int
    days: list[CalendarDay]
    defaults: list[DefaultDay]
    missing: list[int]  # among this year, the current year and the next one

    @property
    def warning(self) -> str | None:
        return missing_warning(self.missing)


def parse_year(value, *, default: int | None = None) -> int:
    year = inputs.one("year", inputs.integer, value, detail="Năm không hợp lệ.", required=default is None,
                      minimum=YEAR_MIN, maximum=YEAR_MAX)
    return default if year is None else year


def year_calendar(session: Session, actor: Actor, year, *, today: dt.date | None = None) -> YearCalendar:
    """The days recorded for `year` (bounded by the year, so not paginated), the built-in defaults for reference
    and the years without Tết data among `year`, the current year and the next."""
    require(actor, "manage", "calendar")
    today = today or clock.today()
    year = parse_year(year, default=today.year)
    days = list(session.scalars(select(CalendarDay).where(CalendarDay.day >= dt.date(year, 1, 1),
                                                          CalendarDay.day <= dt.date(year, 12, 31))
                                .order_by(CalendarDay.day)))
    recorded = {d.day for d in days}
    defaults = sorted([DefaultDay(day, name, day in recorded) for day, name in workdays.default_days_off(year)]
                      + [DefaultDay(day, name, day in recorded, True)
                         for day, name in workdays.default_working_days(year)], key=lambda d: d.day)
    missing = workdays.missing_years(session, {year, today.year, today.year + 1})
    return YearCalendar(year, days, defaults, missing)


def _is_working(data: dict, form: inputs.Form) -> bool | None:
    value = data.get("is_working")
    if isinstance(value, bool):
        return value
    if value in (None, ""):
        form.add("is_working", "Bắt buộc chọn.")
        return None
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    form.add("is_working", "Lựa chọn không hợp lệ.")
    return None


def _validated(data: dict) -> tuple[dt.date, bool, str]:
    form = inputs.Form()
    day = form.date("day", data.get("day"), required=True)
    if day is not None and not YEAR_MIN <= day.year <= YEAR_MAX:
        form.add("day", f"Năm phải từ {YEAR_MIN} đến {YEAR_MAX}.")
    is_working = _is_working(data, form)
    name = form.text("name", data.get("name"), limit=NAME_LIMIT, required=True)
    if "day" not in form and day is not None and is_working is not None:
        weekend = day.weekday() >= 5
        # A working day on a weekday only corrects a built-in day off (a lunar date remembered wrong).
        if is_working and not weekend and day not in workdays.holidays(day.year):
            form.add("day", f"Ngày làm việc ghi thêm phải là thứ Bảy, Chủ nhật (làm bù) hoặc một ngày nghỉ có sẵn "
                            f"cần sửa ({day:%d/%m/%Y} là {weekday_label(day).lower()}, vốn là ngày làm việc).")
        elif not is_working and weekend and day not in workdays.weekend_workdays(day.year):
            form.add("day", f"Ngày nghỉ phải là ngày từ thứ Hai đến thứ Sáu ({day:%d/%m/%Y} là "
                            f"{weekday_label(day).lower()}, đã là ngày nghỉ hằng tuần).")
    form.check()
    return day, is_working, name


def save_day(session: Session, actor: Actor, data: dict, *, context: Context = CLI) -> CalendarDay:
    """Records a day off or a make-up working day, or updates the one recorded on that date."""
    require(actor, "manage", "calendar")
    day, is_working, name = _validated(data)
    row = session.get(CalendarDay, day, with_for_update=True)
    if row is None:
        row = CalendarDay(day=day, is_working=is_working, name=name, updated_by_id=actor.id, updated_at=clock.now())
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            raise Conflict("Ngày này vừa được người khác ghi nhận.",
                           [f"Ngày {day:%d/%m/%Y} đã có trong lịch. Vui lòng tải lại trang."]) from None
        signals.emit(session, events.CalendarDayCreated(day=day, is_working=is_working, name=name, actor=actor,
                                                        context=context))
        return row
    changes = {}
    for key, value in (("is_working", is_working), ("name", name)):
        before = getattr(row, key)
        if before != value:
            changes[key] = {"before": before, "after": value}
            setattr(row, key, value)
    if changes:
        row.updated_by_id, row.updated_at = actor.id, clock.now()
        session.flush()
        signals.emit(session, events.CalendarDayUpdated(day=day, changes=changes, actor=actor, context=context))
    return row


def delete_day(session: Session, actor: Actor, day, *, context: Context = CLI) -> None:
    require(actor, "manage", "calendar")
    form = inputs.Form()
    parsed = form.date("day", day, required=True)
    row = session.get(CalendarDay, parsed, with_for_update=True) if parsed is not None else None
    if row is None:
        raise NotFound("Không tìm thấy ngày này trong lịch đã ghi nhận.")
    deleted = events.CalendarDayDeleted(day=parsed, is_working=row.is_working, name=row.name, actor=actor,
                                        context=context)
    session.delete(row)
    session.flush()
    signals.emit(session, deleted)

