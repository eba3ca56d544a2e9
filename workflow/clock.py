"""The department's calendar day. Deadlines, registration windows and "today" defaults follow Vietnamese time
(Asia/Ho_Chi_Minh), whatever time zone the server runs in: at 00:30 in Hà Nội it is already the next day there
while a UTC server still says yesterday."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> dt.date:
    return dt.datetime.now(TZ).date()
