"""The one place that reads the time, so that every "now" and every "today" agree and a test can move them.

`today()` is the department's calendar day. Deadlines, registration windows and "today" defaults follow Vietnamese
time (Asia/Ho_Chi_Minh), whatever time zone the server runs in: at 00:30 in Hà Nội it is already the next day there
while a UTC server still says yesterday (so `date.today()` on the server would be a day early for seven hours).
`now()` is the instant, aware and in UTC, as the database stores it.

`travel(instant)` sets both (and the model column defaults) to a past instant for the current context only (a
ContextVar: other threads and requests keep the real time): how `seed-demo`'s living department
(`workflow.administration.demo.seed_living`) plays last year and the last weeks through the real services, whose
rules ("not in the past", "registration open", "the publicity period has run") read this clock.

Callers write `clock.now()` / `clock.today()` (never `from workflow.clock import now`), so that one monkeypatch of
this module moves the whole application. A ruff banned-api rule (pyproject.toml, TID251) refuses `datetime.now`,
`datetime.utcnow`, `datetime.today` and `date.today` everywhere but here; the model column defaults
(`models.base.utcnow`) are the one other reader, since `models` imports nothing of ours.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from models.base import CLOCK_OVERRIDE

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> dt.datetime:
    return CLOCK_OVERRIDE.get() or dt.datetime.now(dt.UTC)


def today() -> dt.date:
    moved = CLOCK_OVERRIDE.get()
    return moved.astimezone(TZ).date() if moved is not None else dt.datetime.now(TZ).date()


@contextlib.contextmanager
def travel(instant: dt.datetime) -> Iterator[dt.datetime]:
    """Within the block, `now()` is `instant` (aware) and `today()` its day in Viet Nam, in this context only."""
    if instant.tzinfo is None:
        raise ValueError("clock.travel needs an aware datetime")
    token = CLOCK_OVERRIDE.set(instant.astimezone(dt.UTC))
    try:
        yield instant
    finally:
        CLOCK_OVERRIDE.reset(token)
