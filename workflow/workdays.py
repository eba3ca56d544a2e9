"""Working days in Viet Nam: weekends and public holidays (Bộ luật Lao động 2019, Điều 112) excluded.

Two layers:
- the base: the `holidays` package's calendar of Viet Nam (`holidays.VN`, in Vietnamese), maintained upstream,
  from 1901 to 2100: the fixed holidays (1/1, 30/4, 1/5, 2/9 and the day next to it, 24/11 from 2026), the lunar
  ones (Tết Nguyên đán, Giỗ Tổ Hùng Vương) computed for every year, a holiday falling on a weekend carried to the
  next working day (Điều 111 khoản 3: 30/4/2028 is a Sunday and 1/5 a holiday, so the day off is Tuesday 2/5), and
  the bridge days and make-up Saturdays the government announced (`weekend_workdays`: worked). On top of it the
  Tết breaks of 2024–2026 as the government announced them (`TET_BREAKS`, weekends included), where the package
  lists only the weekdays.
- the calendar recorded by the administrator (models.CalendarDay, /admin/calendar): the days off and make-up working
  days the government announces each year. A recorded working day wins over a base day off and over a weekend;
  a recorded day off adds one (or cancels a base make-up day).

`load_calendar(session, years)` reads the recorded days once into a `Calendar`, whose methods are pure and fast.
The module-level `is_working_day` / `add_working_days` are the base alone (no recorded days).
`missing_years` names the years for which nobody knows the Tết break (after 2100, where the base ends): the
publicity period before a council meeting (ND 98/2023, Art. 46) would then be counted wrong.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import holidays as holidays_lib
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CalendarDay

D = dt.date

# The years the base covers: those of the `holidays` package's Viet Nam calendar (its lunar tables end in 2100).
FIRST_YEAR = holidays_lib.VN.start_year
LAST_YEAR = holidays_lib.VN.end_year

# The Tết breaks as the government announced them (inclusive, weekends included); `holidays` has the weekdays.
TET_BREAKS = {
    2024: (D(2024, 2, 8), D(2024, 2, 14)),
    2025: (D(2025, 1, 25), D(2025, 2, 2)),
    2026: (D(2026, 2, 14), D(2026, 2, 22)),
}
# The first lunar day falls between 21/01 and 20/02, so any Tết break lies within these (month, day) bounds: a
# recorded day off inside them is taken as that year's Tết data (no other holiday falls there).
TET_WINDOW = ((1, 15), (2, 28))

NAME_TET = "Nghỉ Tết Nguyên Đán"
NAME_WORKED = "Làm bù"


def has_builtin_tet(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def in_tet_window(day: dt.date) -> bool:
    return TET_WINDOW[0] <= (day.month, day.day) <= TET_WINDOW[1]


@lru_cache(maxsize=256)
def _base(year: int) -> tuple[tuple[tuple[dt.date, str], ...], frozenset[dt.date]]:
    """(days off of `year` by date with their Vietnamese names, weekend days worked instead) of the base layer."""
    if not has_builtin_tet(year):
        return (), frozenset()
    calendar = holidays_lib.country_holidays("VN", years=year, language="vi")
    days = {day: name for day, name in calendar.items() if day.year == year}
    if year in TET_BREAKS:
        start, end = TET_BREAKS[year]
        day = start
        while day <= end:
            days.setdefault(day, NAME_TET)
            day += dt.timedelta(days=1)
    worked = frozenset(day for day in calendar.weekend_workdays if day.year == year)
    return tuple(sorted(days.items())), worked


def default_days_off(year: int) -> list[tuple[dt.date, str]]:
    """The base days off of `year` (weekend days included when a break spans them), by date, with a name."""
    return list(_base(year)[0])


def default_working_days(year: int) -> list[tuple[dt.date, str]]:
    """The weekend days of `year` the base counts as worked (make-up days for a bridge day), by date, named after
    the day off they pay for when the base names it ("Ngày nghỉ (thay cho ngày 22/08/2026)")."""
    days_off = _base(year)[0]
    named = []
    for day in sorted(_base(year)[1]):
        paid = [off for off, name in days_off if f"{day:%d/%m/%Y}" in name]
        named.append((day, f"{NAME_WORKED} cho ngày nghỉ {paid[0]:%d/%m/%Y}" if paid else NAME_WORKED))
    return named


@lru_cache(maxsize=256)
def holidays(year: int) -> frozenset[dt.date]:
    return frozenset(day for day, _ in _base(year)[0])


def weekend_workdays(year: int) -> frozenset[dt.date]:
    return _base(year)[1]


def _default_is_working(day: dt.date) -> bool:
    if day.weekday() >= 5:
        return day in weekend_workdays(day.year)
    return day not in holidays(day.year)


def _add(is_working, start: dt.date, count: int) -> dt.date:
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working(day):
            remaining -= 1
    return day


@dataclass(frozen=True)
class Calendar:
    """The base with recorded days on top: `overrides` maps a day to whether it is worked."""

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    def is_working_day(self, day: dt.date) -> bool:
        recorded = self.overrides.get(day)
        return _default_is_working(day) if recorded is None else recorded

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The date of the `count`-th working day after `start` (`start` itself when count is 0)."""
        return _add(self.is_working_day, start, count)


DEFAULTS = Calendar()


def load_calendar(session: Session, years: Iterable[int]) -> Calendar:
    """The calendar with the days recorded for `years` (one query)."""
    years = sorted(set(years))
    if not years:
        return DEFAULTS
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.is_working)
        .where(CalendarDay.day >= D(years[0], 1, 1), CalendarDay.day <= D(years[-1], 12, 31))
    ).all()
    wanted = set(years)
    return Calendar({day: is_working for day, is_working in rows if day.year in wanted})


def missing_years(session: Session, years: Iterable[int]) -> list[int]:
    """The years among `years` with no built-in Tết entry and no recorded day off in the Tết window."""
    candidates = sorted({y for y in years if not has_builtin_tet(y)})
    if not candidates:
        return []
    rows = session.scalars(
        select(CalendarDay.day).where(CalendarDay.is_working.is_(False),
                                      CalendarDay.day >= D(candidates[0], *TET_WINDOW[0]),
                                      CalendarDay.day <= D(candidates[-1], *TET_WINDOW[1]))
    )
    recorded = {day.year for day in rows if in_tet_window(day)}
    return [y for y in candidates if y not in recorded]


def is_working_day(day: dt.date) -> bool:
    """By the built-in defaults only (no recorded days)."""
    return _default_is_working(day)


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The date of the `count`-th working day after `start` (`start` itself when count is 0), by the defaults only."""
    return _add(_default_is_working, start, count)
