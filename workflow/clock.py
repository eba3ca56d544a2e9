"""The one place that reads the time, so that every "now" and every "today" agree and a test can move them.

`today()` is the department's calendar day. Deadlines, registration windows and "today" defaults follow Vietnamese
time (Asia/Ho_Chi_Minh), whatever time zone the server runs in: at 00:30 in Hà Nội it is already the next day there
while a UTC server still says yesterday (so `date.today()` on the server would be a day early for seven hours).
`now()` is the instant, aware and in UTC, as the database stores it.

Callers write `clock.now()` / `clock.today()` (never `from workflow.clock import now`), so that one monkeypatch of
this module moves the whole application. A ruff banned-api rule (pyproject.toml, TID251) refuses `datetime.now`,
`datetime.utcnow`, `datetime.today` and `date.today` everywhere but here; the model column defaults
(`models.base.utcnow`) are the one other reader, since `models` imports nothing of ours.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    return dt.datetime.now(TZ).date()
