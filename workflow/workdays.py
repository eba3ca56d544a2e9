"""Working days in Viet Nam: weekends and public holidays (Bộ luật Lao động 2019, Điều 112) excluded.

The lunar holidays (Tết Nguyên đán, Giỗ Tổ Hùng Vương) move every year; their dates below follow the government's
yearly announcements where known and the statutory 5 days of Tết otherwise. Check them each year: the publicity
period before a council meeting (ND 98/2023, Art. 46) is counted with them.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

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


@lru_cache(maxsize=32)
def holidays(year: int) -> frozenset[dt.date]:
    days: set[dt.date] = set()
    fixed = [D(year, 1, 1), D(year, 4, 30), D(year, 5, 1), D(year, 9, 2), D(year, 9, 1 if year == 2025 else 3)]
    if year in HUNG_KINGS:
        fixed.append(HUNG_KINGS[year])
    for day in fixed:
        days.add(day)
        if day.weekday() >= 5:  # a holiday on a weekend is taken on the next working day (Điều 111.3)
            extra = day + dt.timedelta(days=1)
            while extra.weekday() >= 5 or extra in days:
                extra += dt.timedelta(days=1)
            days.add(extra)
    if year in TET_BREAKS:
        start, end = TET_BREAKS[year]
    elif year in TET_FIRST_DAY:
        start, end = TET_FIRST_DAY[year] - dt.timedelta(days=1), TET_FIRST_DAY[year] + dt.timedelta(days=3)
    else:
        start = end = None
    if start is not None:
        day = start
        while day <= end:
            days.add(day)
            day += dt.timedelta(days=1)
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The date of the `count`-th working day after `start` (`start` itself when count is 0)."""
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
