"""Jinja filters and globals: dates as dd/mm/yyyy in Asia/Ho_Chi_Minh, state labels and colours."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import request, url_for

from workflow import labels
from workflow.documents import pdf

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


def url_with(**changes) -> str:
    """The current page's URL with some query parameters replaced (None or "" removes one): pagination and
    filter links keep every other filter, so a list stays shareable and back-button safe."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def date_field(value) -> str:
    """A date as typed in a form field: dd/mm/yyyy. Accepts a date, an ISO string or what the user typed (kept
    as is, so a wrong value is shown back for correction)."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    try:
        return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def register(app) -> None:
    app.add_template_filter(vn_date, "vn_date")
    app.add_template_filter(vn_datetime, "vn_datetime")
    app.add_template_filter(vn_number, "vn_number")
    app.add_template_filter(date_field, "date_field")
    app.jinja_env.globals.update(labels=labels, url_with=url_with, pdf_available=pdf.available)
