"""Working days in Viet Nam (workflow.workdays): weekends and public holidays excluded, the publicity period of a
council session is counted with them."""
from __future__ import annotations

import datetime as dt

import pytest

from workflow import workdays

D = dt.date


@pytest.mark.parametrize(("start", "count", "expected"), [
    (D(2026, 3, 6), 1, D(2026, 3, 9)),     # Friday + 1 = Monday
    (D(2026, 3, 7), 1, D(2026, 3, 9)),     # from a Saturday, the first working day is Monday
    (D(2026, 3, 9), 5, D(2026, 3, 16)),    # a full week
    (D(2026, 2, 13), 1, D(2026, 2, 23)),   # Tết 2026: 14–22/02 skipped
    (D(2026, 2, 10), 10, D(2026, 3, 3)),   # 3 days before Tết, 7 after it
    (D(2026, 4, 29), 1, D(2026, 5, 4)),    # 30/4 (Thu) and 1/5 (Fri) skipped
    (D(2026, 4, 24), 1, D(2026, 4, 28)),   # Giỗ Tổ 26/4/2026 is a Sunday: Monday 27/4 is off instead
    (D(2027, 4, 29), 1, D(2027, 5, 4)),    # 1/5/2027 is a Saturday: Monday 3/5 is off
    (D(2027, 12, 31), 1, D(2028, 1, 4)),   # 1/1/2028 is a Saturday: Monday 3/1 is off (across the year)
    (D(2026, 8, 28), 1, D(2026, 9, 3)),    # Quốc khánh 2026: 31/8 (bridge, worked on Saturday 22/8), 1/9 and 2/9
    (D(2028, 4, 28), 1, D(2028, 5, 3)),    # 30/4/2028 is a Sunday, 1/5 a holiday: 2/5 is off too
])
def test_add_working_days(start, count, expected):
    assert workdays.add_working_days(start, count) == expected


@pytest.mark.parametrize("start", [D(2026, 3, 6), D(2026, 3, 7), D(2026, 2, 17), D(2026, 5, 1)])
def test_count_zero_returns_the_start_even_on_a_day_off(start):
    assert workdays.add_working_days(start, 0) == start


def test_the_whole_tet_break_of_2026_is_off():
    day = D(2026, 2, 14)
    while day <= D(2026, 2, 22):
        assert not workdays.is_working_day(day), day
        day += dt.timedelta(days=1)
    assert workdays.is_working_day(D(2026, 2, 13)) and workdays.is_working_day(D(2026, 2, 23))


@pytest.mark.parametrize(("day", "working"), [
    (D(2026, 4, 30), False), (D(2026, 5, 1), False), (D(2026, 5, 4), True),
    (D(2026, 4, 26), False), (D(2026, 4, 27), False),  # weekend holiday and the day it moves to
    (D(2028, 1, 1), False), (D(2028, 1, 3), False), (D(2028, 1, 4), True),
    (D(2027, 5, 3), False), (D(2027, 5, 4), True),
    (D(2026, 3, 7), False), (D(2026, 3, 8), False), (D(2026, 3, 10), True),
])
def test_is_working_day(day, working):
    assert workdays.is_working_day(day) is working


def test_weekend_holidays_move_to_the_next_free_working_day():
    # Quốc khánh is 2/9 and one day next to it (1/9 in the base): 2/9/2028 is a Saturday, taken on Monday 4/9.
    assert {D(2028, 9, 1), D(2028, 9, 2), D(2028, 9, 4)} <= workdays.holidays(2028)
    assert workdays.add_working_days(D(2028, 8, 31), 1) == D(2028, 9, 5)
    # 1/5/2027 is a Saturday: Monday 3/5 is off, and 30/4 (Friday) stays where it is.
    assert {D(2027, 4, 30), D(2027, 5, 3)} <= workdays.holidays(2027)


def test_counting_never_lands_on_a_day_off():
    day = D(2026, 1, 1)
    for _ in range(260):
        nxt = workdays.add_working_days(day, 1)
        assert workdays.is_working_day(nxt) and nxt > day
        between = day + dt.timedelta(days=1)
        while between < nxt:
            assert not workdays.is_working_day(between)
            between += dt.timedelta(days=1)
        day = nxt


# ------------------------------------------------------------------------------------------------ recorded days
def test_without_overrides_a_calendar_is_the_defaults():
    cal = workdays.Calendar()
    day = D(2026, 1, 1)
    while day <= D(2027, 12, 31):
        assert cal.is_working_day(day) is workdays.is_working_day(day), day
        day += dt.timedelta(days=1)
    assert cal.add_working_days(D(2026, 2, 10), 10) == workdays.add_working_days(D(2026, 2, 10), 10) == D(2026, 3, 3)


def test_a_recorded_working_saturday_counts():
    saturday = D(2026, 3, 7)
    cal = workdays.Calendar({saturday: True})
    assert cal.is_working_day(saturday) and not workdays.is_working_day(saturday)
    assert cal.add_working_days(D(2026, 3, 6), 1) == saturday
    assert cal.add_working_days(D(2026, 3, 6), 2) == D(2026, 3, 9)
    assert workdays.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 9)  # the module functions ignore it


def test_a_recorded_bridge_day_does_not_count():
    bridge = D(2026, 3, 9)  # a Monday
    cal = workdays.Calendar({bridge: False})
    assert not cal.is_working_day(bridge) and workdays.is_working_day(bridge)
    assert cal.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 10)
    assert cal.add_working_days(D(2026, 3, 9), 5) == D(2026, 3, 16)  # counting from it is unchanged


def test_a_recorded_working_day_wins_over_a_default_day_off():
    # 21/02/2026 (Saturday) is inside the built-in Tết break; recorded as worked, it counts.
    cal = workdays.Calendar({D(2026, 2, 21): True})
    assert not workdays.is_working_day(D(2026, 2, 21)) and cal.is_working_day(D(2026, 2, 21))
    assert cal.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 21)


def test_a_calendar_cannot_be_changed_after_it_is_built():
    overrides = {D(2026, 3, 9): False}
    cal = workdays.Calendar(overrides)
    overrides[D(2026, 3, 10)] = False
    assert cal.is_working_day(D(2026, 3, 10))
    with pytest.raises(TypeError):
        cal.overrides[D(2026, 3, 11)] = False


def test_built_in_defaults_are_named_and_cover_tet():
    defaults = dict(workdays.default_days_off(2026))
    assert defaults[D(2026, 1, 1)] == "Tết Dương lịch"
    assert "Tết Nguyên Đán" in defaults[D(2026, 2, 16)] and "Tết Nguyên Đán" in defaults[D(2026, 2, 14)]
    assert "nghỉ bù" in defaults[D(2026, 4, 27)]  # Giỗ Tổ on Sunday 26/4
    assert set(defaults) == workdays.holidays(2026)
    assert workdays.has_builtin_tet(2100) and not workdays.has_builtin_tet(2101)
    assert workdays.holidays(2101) == frozenset()  # beyond the base: nothing (missing_years flags it)


# ------------------------------------------------------------------------------------------------ the base layer
def test_2_may_2028_is_a_day_off():
    """Bộ luật Lao động 2019, Điều 112 lists the public holidays (30/4 and 1/5 among them) and Điều 111 khoản 3
    carries a holiday that falls on the weekly day of rest to the next working day. 30/4/2028 is a Sunday and Monday
    1/5 is itself a holiday, so the next working day — the day off in lieu of 30/4 — is Tuesday 2/5/2028; Wednesday
    3/5 is the first working day. (The old table put the substitute on 1/5, where it was lost.)"""
    assert D(2028, 4, 30).weekday() == 6
    for day in (D(2028, 4, 29), D(2028, 4, 30), D(2028, 5, 1), D(2028, 5, 2)):
        assert not workdays.is_working_day(day), day
    assert workdays.is_working_day(D(2028, 4, 28)) and workdays.is_working_day(D(2028, 5, 3))


@pytest.mark.parametrize("year", range(2027, 2101))
def test_every_year_to_2100_has_tet_and_the_statutory_days(year):
    """Điều 112: 11 days a year (1/1; 5 days of Tết; Giỗ Tổ; 30/4; 1/5; 2/9 and a day next to it) — each taken on a
    weekday, a weekend one carried to the next working day — so at least 11 weekdays off, Tết among them."""
    days_off = workdays.holidays(year)
    tet = {d for d in days_off if workdays.in_tet_window(d)}
    assert len(tet) >= 4, (year, sorted(tet))
    assert len({d for d in days_off if d.weekday() < 5}) >= 11, year
    assert {D(year, 1, 1), D(year, 4, 30), D(year, 5, 1), D(year, 9, 2)} <= days_off
    assert workdays.add_working_days(D(year, 3, 1), 60) > D(year, 3, 1)


@pytest.mark.parametrize(("start", "end", "last_before", "first_after"), [
    (D(2024, 2, 8), D(2024, 2, 14), D(2024, 2, 7), D(2024, 2, 15)),
    (D(2025, 1, 25), D(2025, 2, 2), D(2025, 1, 24), D(2025, 2, 3)),
    (D(2026, 2, 14), D(2026, 2, 22), D(2026, 2, 13), D(2026, 2, 23)),
])
def test_the_announced_tet_breaks_of_2024_to_2026_are_kept(start, end, last_before, first_after):
    """The government's announced breaks (weekends included) are kept where `holidays` lists only weekdays."""
    day = start
    while day <= end:
        assert day in workdays.holidays(day.year) and not workdays.is_working_day(day), day
        day += dt.timedelta(days=1)
    assert workdays.add_working_days(last_before, 1) == first_after


def test_announced_make_up_saturdays_are_worked():
    # 2024: 29/4 off, worked on Saturday 4/5; 2025: 2/5 off, worked on Saturday 26/4; 2026: 31/8 off, Saturday 22/8.
    for off, worked in ((D(2024, 4, 29), D(2024, 5, 4)), (D(2025, 5, 2), D(2025, 4, 26)),
                        (D(2026, 8, 31), D(2026, 8, 22))):
        assert not workdays.is_working_day(off) and workdays.is_working_day(worked), worked
        assert (worked, f"Làm bù cho ngày nghỉ {off:%d/%m/%Y}") in workdays.default_working_days(worked.year)
    assert workdays.add_working_days(D(2026, 8, 21), 1) == D(2026, 8, 22)
    # A recorded day off cancels a base make-up day.
    assert not workdays.Calendar({D(2026, 8, 22): False}).is_working_day(D(2026, 8, 22))
