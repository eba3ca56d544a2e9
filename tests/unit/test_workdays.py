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
    (D(2026, 9, 1), 1, D(2026, 9, 4)),     # Quốc khánh 2/9 and 3/9
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
    # 2/9/2028 is a Saturday and 3/9 a Sunday: they are taken on Monday 4/9 and Tuesday 5/9.
    assert {D(2028, 9, 4), D(2028, 9, 5)} <= workdays.holidays(2028)
    assert workdays.add_working_days(D(2028, 9, 1), 1) == D(2028, 9, 6)
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
    assert defaults[D(2026, 2, 16)] == "Tết Nguyên đán"
    assert defaults[D(2026, 4, 27)].startswith("Nghỉ bù")  # Giỗ Tổ on Sunday 26/4
    assert set(defaults) == workdays.holidays(2026)
    assert workdays.has_builtin_tet(2030) and not workdays.has_builtin_tet(2031)
    assert not any(workdays.in_tet_window(d) for d in workdays.holidays(2031))  # no Tết break outside the tables
