"""Jinja filters and globals: dates as dd/mm/yyyy in Asia/Ho_Chi_Minh, state labels and colours."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from workflow import labels

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(TZ).strftime("%d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def vn_datetime(value) -> str:
    if value is None:
        return ""
    return value.astimezone(TZ).strftime("%d/%m/%Y %H:%M")


def vn_number(value) -> str:
    return f"{value:,}".replace(",", ".")


def register(app) -> None:
    app.add_template_filter(vn_date, "vn_date")
    app.add_template_filter(vn_datetime, "vn_datetime")
    app.add_template_filter(vn_number, "vn_number")
    app.jinja_env.globals.update(labels=labels)
