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
    """dd/mm/yyyy, a datetime in Asia/Ho_Chi_Minh. Formatted by hand: what `strftime("%d/%m/%Y")` writes (the year
    unpadded, as glibc writes it), at a third of its cost — a list page formats a date per row."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(TZ)
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def vn_datetime(value) -> str:
    """dd/mm/yyyy hh:mm in Asia/Ho_Chi_Minh (`strftime("%d/%m/%Y %H:%M")`, formatted by hand as `vn_date`)."""
    if value is None:
        return ""
    value = value.astimezone(TZ)
    return f"{value.day:02d}/{value.month:02d}/{value.year} {value.hour:02d}:{value.minute:02d}"


def vn_number(value) -> str:
    return f"{value:,}".replace(",", ".")


def url_with(**changes) -> str:
    """The current page's URL with some query parameters replaced (None or "" removes one): pagination and
    filter links keep every other filter, so a list stays shareable and back-button safe. Remembered like
    `cached_url_for`'s paths (a pager asks for five of them per page, each a full `url_for` build otherwise)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    endpoint, view_args = request.endpoint, request.view_args or {}
    if current_app.url_default_functions:
        return url_for(endpoint, **view_args, **args)
    urls = current_app.extensions["dienhinh.urls"]
    # The values exactly as url_for receives them (view arguments first, then the query's lists, in order): the
    # same key is the same call, whose result depends only on them, the script root and the (fixed) URL map.
    key = (request.script_root, endpoint, "?", *view_args.items(), "?",
           *((name, *values) for name, values in args.items()))
    url = urls.get(key)
    if url is None:
        url = url_for(endpoint, **view_args, **args)
        if len(urls) >= URL_CACHE_SIZE:
            urls.clear()
        urls[key] = url
    return url


URL_CACHE_SIZE = 1024  # URLs kept per application: endpoints × static files (~150 today) and the lists' pager links


def cached_url_for(endpoint: str, **values) -> str:
    """`url_for` for templates, remembered for the URLs that depend only on the endpoint (and a static file's name):
    the header, the menus and the forms of every page ask for the same ~25 of them. A path is the script root plus
    the rule's path, so it is remembered per application and script root; anything else (`_external`, `_anchor`…,
    a rule's variables, an endpoint relative to the current blueprint, an application with URL-default functions)
    goes to `url_for`. The remembered URL is looked up first: only what passed those conditions is ever stored, so a
    hit needs no other check (a page makes ~28 of these calls)."""
    urls = current_app.extensions["dienhinh.urls"]
    key = (request.script_root, endpoint, *values.items())
    url = urls.get(key)
    if url is not None:
        return url
    if (values and endpoint != "static") or endpoint.startswith(".") or current_app.url_default_functions or any(
            name.startswith("_") for name in values):
        return url_for(endpoint, **values)
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


def compile_templates(env) -> int:
    """Compile every template into the environment's cache now. Production's workers do it at start-up
    (`web.wsgi`): ~1 s of CPU per worker there instead of in its first requests (a worker's first list page
    compiled its three templates: ~70 ms, ten times the page). The cache (Jinja's default, 400 templates) holds
    them all (~70): refused rather than compiling templates that would evict each other."""
    names = env.list_templates()
    if env.cache is None or len(names) > env.cache.capacity:
        raise RuntimeError(f"{len(names)} templates do not fit the Jinja cache")
    for name in names:
        env.get_template(name)
    return len(names)


def register(app) -> None:
    app.add_template_filter(vn_date, "vn_date")
    app.add_template_filter(vn_datetime, "vn_datetime")
    app.add_template_filter(vn_number, "vn_number")
    app.add_template_filter(date_field, "date_field")
    app.extensions["dienhinh.urls"] = {}
    app.jinja_env.globals.update(labels=labels, url_with=url_with, url_for=cached_url_for,
                                 state_badge_html=state_badge, pdf_available=pdf.available)
