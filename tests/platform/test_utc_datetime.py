"""`models.base.UTCDateTime` hands back what `value.replace(tzinfo=dt.UTC)` made before issue 13's tenth increment
(`datetime.combine` of the value's own date and time, ~4× cheaper on Python 3.11): the same fields, fold, class and
`dt.UTC` object, through the type's own result processor on both dialects."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from models.base import UTCDateTime, aware_utc

VALUES = [
    dt.datetime(2026, 11, 30, 15, 30, 1, 123456),
    dt.datetime(2026, 11, 30),
    dt.datetime(1, 1, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    dt.datetime(2024, 2, 29, 12, 0, 0, 1),
    dt.datetime(2026, 10, 25, 1, 30, fold=1),
]


class _Subclass(dt.datetime):
    pass


def _same(a, b) -> None:
    assert a == b
    assert type(a) is type(b)
    assert a.tzinfo is b.tzinfo is dt.UTC
    assert (a.year, a.month, a.day, a.hour, a.minute, a.second, a.microsecond, a.fold) == (
        b.year, b.month, b.day, b.hour, b.minute, b.second, b.microsecond, b.fold)
    assert a.isoformat() == b.isoformat()


@pytest.mark.parametrize("value", VALUES + [_Subclass(2026, 1, 2, 3, 4, 5, 6)])
def test_a_read_datetime_is_the_one_replace_made(value):
    _same(UTCDateTime().process_result_value(value, postgresql.dialect()), value.replace(tzinfo=dt.UTC))


def test_none_stays_none():
    assert UTCDateTime().process_result_value(None, postgresql.dialect()) is None


@pytest.mark.parametrize("dialect", [postgresql.psycopg.dialect(), sqlite.pysqlite.dialect()],
                         ids=["postgresql", "sqlite"])
def test_the_types_result_processor_hands_back_aware_utc(dialect):
    """The processor SQLAlchemy builds from the type (its implementation's processor first: SQLite's text → datetime),
    as every read of the ORM and `models.plain.PlainSelect` run it."""
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    for value in VALUES:
        raw = value.isoformat(sep=" ") if dialect.name == "sqlite" else value
        expected = value.replace(tzinfo=dt.UTC)
        if dialect.name == "sqlite":
            expected = expected.replace(fold=0)  # SQLite's text keeps no fold
        _same(process(raw), expected)


@pytest.mark.parametrize("value", VALUES + [_Subclass(2026, 1, 2, 3, 4, 5, 6)])
def test_a_list_rows_naive_time_is_marked_as_the_type_marks_it(value):
    """`aware_utc`: what the list's rows (`queries._row`) mark their two times with, read naive to be kept (issue 13):
    the type's own conversion."""
    _same(aware_utc(value), value.replace(tzinfo=dt.UTC))
