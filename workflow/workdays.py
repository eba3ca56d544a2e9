"""Working days in Viet Nam: weekends and public holidays (Bộ luật Lao động 2019, Điều 112) excluded.

Two layers:
- built-in defaults: the statutory fixed holidays (1/1, 30/4, 1/5, 2/9 and the day next to it, a holiday falling on
  a weekend carried over to the next working day) and tables of the lunar holidays (Tết Nguyên đán, Giỗ Tổ Hùng
  Vương) for the years below. The Tết breaks of 2024–2026 follow the government's announcements; later years have
  only the statutory five days around the first lunar day, and a year outside the tables has no Tết break at all.
- the calendar recorded by the administrator (models.CalendarDay, /admin/calendar): the days off and make-up working
  days the government announces each year. A recorded working day wins over a default day off and over a weekend;
  a recorded day off adds one.

`load_calendar(session, years)` reads the recorded days once into a `Calendar`, whose methods are pure and fast.
The module-level `is_working_day` / `add_working_days` are the defaults alone (no recorded days).
`missing_years` names the years for which nobody knows the Tết break: the publicity period before a council
meeting (ND 98/2023, Art. 46) would then be counted wrong.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CalendarDay

D = dt.date

# Official Tết breaks as announced (inclusive); later years: the statutory five days around the first lunar day.
TET_BREAKS = {
    2024: (D(2024, 2, 8), D(2024, 2, 14)),
    2025: (D(2025, 1, 25), D(2025, 2, 2)),
    2026: (D(2026, 2, 14), D(2026, 2, 22)),
}
TET_FIRST_DAY = {2027: D(2027, 2, 6), 2028: D(2028, 1, 26), 2029: D(2029, 2, 13), 2030: D(2030, 2, 3)}
HUNG_KINGS = {  # 10/3 âm lịch
    2024: D(2024, 4, 18), 2025: D(2025, 4, 7), 2026: D(2026, 4, 26), 2027: D(2027, 4, 16),
    2028: D(2028, 4, 4), 2029: D(2029, 4, 23), 2030: D(2030, 4, 12),
}
# The first lunar day falls between 21/01 and 20/02, so any Tết break lies within these (month, day) bounds: a
# recorded day off inside them is taken as that year's Tết data (no other holiday falls there).
TET_WINDOW = ((1, 15), (2, 28))

NAME_NEW_YEAR = "Tết Dương lịch"
NAME_REUNIFICATION = "Ngày Chiến thắng (30/4)"
NAME_LABOUR = "Ngày Quốc tế Lao động (1/5)"
NAME_NATIONAL = "Quốc khánh (2/9)"
NAME_HUNG_KINGS = "Giỗ Tổ Hùng Vương (10/3 âm lịch)"
NAME_TET = "Tết Nguyên đán"


def has_builtin_tet(year: int) -> bool:
    return year in TET_BREAKS or year in TET_FIRST_DAY


def in_tet_window(day: dt.date) -> bool:
    return TET_WINDOW[0] <= (day.month, day.day) <= TET_WINDOW[1]


@lru_cache(maxsize=32)
def _default_days_off(year: int) -> tuple[tuple[dt.date, str], ...]:
    days: dict[dt.date, str] = {}
    national_second = D(year, 9, 1 if year == 2025 else 3)
    fixed = [(D(year, 1, 1), NAME_NEW_YEAR), (D(year, 4, 30), NAME_REUNIFICATION), (D(year, 5, 1), NAME_LABOUR),
             (D(year, 9, 2), NAME_NATIONAL), (national_second, NAME_NATIONAL)]
    if year in HUNG_KINGS:
        fixed.append((HUNG_KINGS[year], NAME_HUNG_KINGS))
    for day, name in fixed:
        days.setdefault(day, name)
        if day.weekday() >= 5:  # a holiday on a weekend is taken on the next working day (Điều 111.3)
            extra = day + dt.timedelta(days=1)
            while extra.weekday() >= 5 or extra in days:
                extra += dt.timedelta(days=1)
            days[extra] = f"Nghỉ bù {name}"
    if year in TET_BREAKS:
        start, end = TET_BREAKS[year]
    elif year in TET_FIRST_DAY:
        start, end = TET_FIRST_DAY[year] - dt.timedelta(days=1), TET_FIRST_DAY[year] + dt.timedelta(days=3)
    else:
        start = end = None
    if start is not None:
        day = start
        while day <= end:
            days.setdefault(day, NAME_TET)
            day += dt.timedelta(days=1)
    return tuple(sorted(days.items()))


def default_days_off(year: int) -> list[tuple[dt.date, str]]:
    """The built-in days off of `year` (weekend days included when a break spans them), by date, with a name."""
    return list(_default_days_off(year))


@lru_cache(maxsize=32)
def holidays(year: int) -> frozenset[dt.date]:
    return frozenset(day for day, _ in _default_days_off(year))


def _default_is_working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


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
    """The defaults with recorded days on top: `overrides` maps a day to whether it is worked."""

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
