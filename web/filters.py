"""Jinja filters and globals: dates as dd/mm/yyyy in Asia/Ho_Chi_Minh, state labels and colours."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for
from markupsafe import Markup

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


URL_CACHE_SIZE = 512  # paths kept per application (endpoints × static files: ~150 in all today)


def cached_url_for(endpoint: str, **values) -> str:
    """`url_for` for templates, remembered for the URLs that depend only on the endpoint (and a static file's name):
    the header, the menus and the forms of every page ask for the same ~25 of them. A path is the script root plus
    the rule's path, so it is remembered per application and script root; anything else (`_external`, `_anchor`…,
    a rule's variables, an endpoint relative to the current blueprint, an application with URL-default functions)
    goes to `url_for`."""
    if (values and endpoint != "static") or endpoint.startswith(".") or current_app.url_default_functions or any(
            key.startswith("_") for key in values):
        return url_for(endpoint, **values)
    urls = current_app.extensions["dienhinh.urls"]
    key = (request.script_root, endpoint, *values.items())
    url = urls.get(key)
    if url is None:
        if len(urls) >= URL_CACHE_SIZE:
            urls.clear()
        url = urls[key] = url_for(endpoint, **values)
    return url


def _badge(state: str) -> Markup:
    return Markup('<span class="badge state-badge text-bg-{}">{}</span>').format(
        labels.STATE_COLOURS.get(state, "secondary"), labels.STATE_LABELS.get(state, state))


_BADGES = {state: _badge(state) for state in labels.STATE_LABELS}


def state_badge(state) -> Markup:
    """The state badge (same colour everywhere, label always written): `_macros.state_badge` and the lists' rows.
    Built once per state: a list page draws twenty of them."""
    badge = _BADGES.get(state)
    return badge if badge is not None else _badge(state)


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
    app.extensions["dienhinh.urls"] = {}
    app.jinja_env.globals.update(labels=labels, url_with=url_with, url_for=cached_url_for,
                                 state_badge_html=state_badge, pdf_available=pdf.available)
