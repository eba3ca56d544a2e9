"""Jinja filters and globals: dates as dd/mm/yyyy in Asia/Ho_Chi_Minh, state labels and colours."""
from __future__ import annotations

import datetime as dt
from types import BuiltinFunctionType, FunctionType
from zoneinfo import ZoneInfo

from flask import templating, url_for
from flask.globals import request_ctx
from jinja2 import runtime
from markupsafe import Markup, escape

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
    ctx = request_ctx._get_current_object()  # the request and the app once, not through their proxies per read
    args = ctx.request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return _url_with_args(ctx.app, ctx.request, args)


def _url_with_args(app, req, args: dict) -> str:
    """The current endpoint and view arguments with the query `args` (name → list of values), remembered."""
    endpoint, view_args = req.endpoint, req.view_args or {}
    if app.url_default_functions:
        return url_for(endpoint, **view_args, **args)
    urls = app.extensions["dienhinh.urls"]
    # The values exactly as url_for receives them (view arguments first, then the query's lists, in order): the
    # same key is the same call, whose result depends only on them, the script root and the (fixed) URL map.
    key = (req.script_root, endpoint, "?", *view_args.items(), "?",
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
    hit needs no other check (a page makes ~28 of these calls). The request context is resolved once: reading the
    application and the request through Flask's proxies cost ~3 µs of a hit's ~4 µs."""
    ctx = request_ctx._get_current_object()
    app = ctx.app
    urls = app.extensions["dienhinh.urls"]
    key = (ctx.request.script_root, endpoint, *values.items())
    url = urls.get(key)
    if url is not None:
        return url
    if (values and endpoint != "static") or endpoint.startswith(".") or app.url_default_functions or any(
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


def html_text(value) -> str:
    """`markupsafe.escape(value)` as a plain `str`, for text written into HTML in Python: the same five characters
    replaced the same way (`&` `<` `>` `'` `"`: `&amp;` `&lt;` `&gt;` `&#39;` `&#34;`), and an object with its own
    `__html__` (a Markup) written as it gives it. A text's `str.replace` passes cost a quarter of `escape`'s call
    and the `Markup` it builds (the list page writes ~100 texts)."""
    if type(value) is not str:
        return str(escape(value))
    if "&" in value:
        value = value.replace("&", "&amp;")
    return value.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace('"', "&#34;")


ROWS_HTML_KEPT = 1024  # rows' HTML kept per process, as many as `queries.ROWS_KEPT` rows; emptied when full
_rows_html: dict = {}  # (id(row), detail path) → (the row, its HTML)


def nomination_rows(items, detail_path: str) -> Markup:
    """The `<tr>`s of the nominations list: every text escaped as `{{ }}` escapes it, the id and the date (digits) as
    they are. Written here rather than in the template because a row there cost ~10 µs of Jinja's look-ups, escapes
    and yields (`environment.getattr`, `markupsafe.escape`, a generator step per `{{ }}`): twenty rows were a third of
    the page's rendering; here a row is one f-string. A detail's path is the list's path and the id
    (`/<int:nomination_id>` under the same prefix), so the page asks `url_for` once, not once per row.

    A row's HTML is kept per row object and path (issue 13, tenth increment: ~5 µs a row, twenty a page): the list's
    rows are frozen (`queries.NominationRow`) and an equal row of a later request is the same object
    (`queries._row` keeps them), so its HTML, a pure function of the row and the path, is written once. The key is
    the object's identity, checked against the object kept beside its HTML (`is`), which the entry keeps alive: an
    identity is never reused while its entry exists. A row made apart (a test's, another path's) is written anew."""
    path = None
    kept = _rows_html
    written: dict = {}  # the escaped texts that repeat from row to row (a unit's cell, a campaign, a subject kind)
    rows = []
    for n in items:
        key = (id(n), detail_path)
        entry = kept.get(key)
        if entry is not None and entry[0] is n:
            rows.append(entry[1])
            continue
        if path is None:
            path = html_text(detail_path)
        html = _nomination_row(n, path, written)
        if len(kept) >= ROWS_HTML_KEPT:
            kept.clear()
        kept[key] = (n, html)
        rows.append(html)
    return Markup("".join(rows))


def _nomination_row(n, path: str, written: dict) -> str:
    """One `<tr>` of `nomination_rows`, `path` the list's path already escaped. The units', campaigns' and subject
    kinds' texts repeat from row to row: each is escaped once per page (`written`)."""
    unit = n.unit
    unit_cell = written.get(("unit", unit))
    if unit_cell is None:
        previous = unit.previous_name
        unit_cell = written[("unit", unit)] = (
            f'{html_text(unit.current_name)} <span class="text-body-secondary small">(trước đây: '
            f'{html_text(previous)})</span>' if previous else html_text(unit.name))
    campaign = written.get(("campaign", n.campaign))
    if campaign is None:
        campaign = written[("campaign", n.campaign)] = html_text(n.campaign.name)
    subject_type = written.get(n.subject_type)
    if subject_type is None:
        subject_type = written[n.subject_type] = html_text(labels.SUBJECT_TYPE_LABELS.get(n.subject_type, ""))
    nid = n.id
    return (f'\n  <tr>\n    <td>{nid}</td>\n    <td><a href="{path}/{nid}">{html_text(n.title)}</a></td>'
            f'\n    <td>{subject_type}: {html_text(n.subject_name)}</td>\n    <td>{unit_cell}</td>'
            f'\n    <td class="small">{campaign}</td>\n    <td>{state_badge(n.state)}</td>'
            f'\n    <td class="small text-nowrap">{vn_date(n.updated_at)}</td>\n  </tr>\n  ')


def _bar_label(label) -> str:
    """`label|truncate(34, True, '…')` as `reports/_charts.html` wrote it (Jinja's leeway of 5 characters), escaped."""
    text = str(label)
    if len(text) > 39:
        text = text[:33] + "…"
    return html_text(text)


def bar_rows(rows, top) -> Markup:
    """The bars of a chart of `reports/_charts.html` (`bar_chart`): for each (label, value, colour), its label, its bar
    `330 * value / top` wide (rounded to a tenth, as Jinja's `round(1)`) and its value, the text the macro's loop wrote
    character for character (`tests/platform/test_page_rendering.py` keeps that loop and compares). Written here
    because the Ministry's chart of units is 240 bars: the loop's ~12 look-ups, escapes and yields a bar were a tenth
    of the reports page at 100k; the table under the chart is `bar_table_rows`."""
    out = []
    for i, (label, value, colour) in enumerate(rows):
        y = i * 30 + 5
        scaled = round(330 * value / top, 1)
        out.append(
            f'\n    \n    <text x="0" y="{y + 17}" font-size="13" fill="#212529">{_bar_label(label)}</text>'
            f'\n    <rect x="250" y="{y + 3}" width="{scaled if value else 0}" height="20" rx="3" '
            f'fill="{html_text(colour)}" stroke="#495057" stroke-width="0.5"></rect>'
            f'\n    <text x="{256 + scaled}" y="{y + 18}" font-size="13" font-weight="600" fill="#212529">'
            f'{html_text(vn_number(value))}</text>\n    ')
    return Markup("".join(out))


def bar_table_rows(rows) -> Markup:
    """The rows of the table under a chart of `reports/_charts.html`: each label and its value, as the loop wrote."""
    return Markup("".join(
        f'\n  <tr><th scope="row" class="fw-normal">{html_text(label)}</th><td class="text-end">'
        f'{html_text(vn_number(value))}</td></tr>\n  ' for label, value, _ in rows))


def unit_level_rows(units) -> Markup:
    """The rows of the reports page's "results by unit" table (`reports.UnitCount`s: name, total, cơ sở, ngành), as
    `reports/dashboard.html`'s loop wrote them: 240 rows for the Ministry."""
    return Markup("".join(
        f'<tr><th scope="row" class="fw-normal">{html_text(u.name)}</th><td class="text-end">'
        f'{html_text(vn_number(u.total))}</td><td class="text-end">{html_text(vn_number(u.co_so))}</td>'
        f'<td class="text-end">{html_text(vn_number(u.nganh))}</td></tr>' for u in units))


_CURRENT = ' aria-current="page"'


def pager(page, noun="mục", param="page", label="Phân trang") -> Markup:
    """The pager under a list (`_macros.pagination`, which calls this): the total, and when there is more than one
    page a window of five page links around the current one, each the current URL with `param` replaced
    (`url_with`). The HTML the macro's Jinja wrote, character for character (`tests/platform/test_page_rendering.py`
    keeps that text and compares), at a tenth of its cost: the macro was ~0.1 ms of a list page (five `url_with`,
    `max`/`min` filters, a loop, ~40 escapes and yields)."""
    current, pages = page.page, page.pages
    head = ('<div class="d-flex flex-wrap justify-content-between align-items-center gap-2 mt-2">\n'
            f'  <p class="mb-0 text-body-secondary" data-testid="total">Tổng số: {html_text(vn_number(page.total))} '
            f'{html_text(noun)}')
    if not pages > 1:
        return Markup(f"{head}</p>\n  \n</div>")
    ctx = request_ctx._get_current_object()
    app, req = ctx.app, ctx.request
    query = req.args.to_dict(flat=False)  # read once for the five links (`url_with` reads it per link)
    links: dict = {}

    def link(number) -> str:
        """`url_with(**{param: number})`, escaped."""
        url = links.get(number)
        if url is None:
            args = query.copy()
            if number is None:
                args.pop(param, None)
            else:
                args[param] = [str(number)]
            url = links[number] = html_text(_url_with_args(app, req, args))
        return url

    parts = [
        f'{head} — trang {html_text(current)}/{html_text(pages)}</p>\n  \n'
        f'  <nav aria-label="{html_text(label)}" class="d-print-none">\n'
        '    <ul class="pagination pagination-sm mb-0">\n'
        f'      <li class="page-item{" disabled" if current <= 1 else ""}">\n'
        f'        <a class="page-link" href="{link(current - 1 if current > 1 else None)}">'
        '‹ Trước</a></li>\n      ']
    for number in range(max(1, current - 2), min(pages, current + 2) + 1):
        here = number == current
        marks = (" active", _CURRENT) if here else ("", "")
        parts.append(
            f'\n      <li class="page-item{marks[0]}">\n'
            f'        <a class="page-link" href="{link(number if number > 1 else None)}"'
            f'{marks[1]}>{number}</a></li>\n      ')
    parts.append(
        f'\n      <li class="page-item{" disabled" if current >= pages else ""}">\n'
        f'        <a class="page-link" href="{link(current + 1)}">Sau ›</a></li>\n'
        '    </ul>\n  </nav>\n  \n</div>')
    return Markup("".join(parts))


def choice_options(choices, selected: str) -> Markup:
    """The `<option>`s of a filter's choices (rows of id and name: the list page's campaigns and units), the one whose
    id is `selected` (the query's text) marked: what `nominations/list.html` wrote per choice
    (`<option value="{{ c.id }}"{% if selected == c.id|string %} selected{% endif %}>{{ c.name }}</option>`), in one
    pass instead of Jinja's look-ups, escapes and yields per choice."""
    return Markup("".join(
        f'<option value="{escape(row[0])}"{" selected" if selected == str(row[0]) else ""}>{escape(row[1])}</option>'
        for row in choices))


def _label_options(table: dict, selected) -> str:
    return "".join(f'<option value="{escape(code)}"{" selected" if selected == code else ""}>{escape(label)}</option>'
                   for code, label in table.items())


# The list's state and subject filters offer fixed tables of the glossary: their options are written once for each
# value that marks one of them, and once marking none (any other value: "", a list of states, a wrong code).
_LABEL_OPTIONS = {id(table): (table, {value: Markup(_label_options(table, value)) for value in ("", *table)})
                  for table in (labels.STATE_LABELS, labels.SUBJECT_TYPE_LABELS)}


def label_options(table: dict, selected) -> Markup:
    """The `<option>`s of a table of labels (code → label), the one whose code equals `selected` marked: what
    `{% for code, label in table.items() %}<option value="{{ code }}"{% if selected == code %} selected{% endif %}>`
    `{{ label }}</option>{% endfor %}` writes."""
    kept = _LABEL_OPTIONS.get(id(table))
    if kept is None or kept[0] is not table or not isinstance(selected, str):
        return Markup(_label_options(table, selected))
    written = kept[1]
    return written.get(selected) or written[""]


KEPT_HTML_SIZE = 1024  # parts of pages kept per application (~2 KB each), forgotten all at once when full


def kept_html(name: str, /, **context) -> Markup:
    """The template `name` rendered with `context` alone, kept per application under its name, the script root and
    the context's values: a part of a page that shows the same for the same values (the list page's filter form for
    a scope's choices and a query's filters, the header's user menu) is drawn once, then served from memory. The
    template sees no page context, only `context` and the environment's globals, so the key names everything it can
    show but what the globals give: the globals a kept part may call must answer alike for every request of the
    script root (links, labels), never per user unless what they read of the user is itself in the context (the
    header's menu passes `policy.standing`, all its permission questions read). Values must be hashable (tuples, not
    lists)."""
    ctx = request_ctx._get_current_object()
    app = ctx.app
    kept = app.extensions["dienhinh.kept_html"]
    key = (name, ctx.request.script_root, *sorted(context.items()))
    html = kept.get(key)
    if html is None:
        html = Markup(app.jinja_env.get_template(name).render(context))
        if len(kept) >= KEPT_HTML_SIZE:
            kept.clear()
        kept[key] = html
    return html


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


class Context(runtime.Context):
    """Jinja's template context, whose `call` (every `f(…)` in a template: ~50 a page) goes straight to a plain
    function. Jinja first asks any callable, and its `__call__`, whether it wants the context, the evaluation context
    or the environment (`pass_context`…): four `hasattr`, two of them failing, ~1.5 µs a call. A Python function
    says so by an attribute of its own (`jinja_pass_arg`, in its `__dict__`) and a built-in function cannot say so;
    anything else (a macro, a method, a class, a decorated function) goes through Jinja's `call` as before."""

    def call(self, obj, /, *args, **kwargs):
        kind = type(obj)
        if kind is BuiltinFunctionType or (kind is FunctionType and "jinja_pass_arg" not in obj.__dict__):
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            try:
                return obj(*args, **kwargs)
            except StopIteration:  # as Jinja answers it
                return self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception")
        return super().call(obj, *args, **kwargs)


class Environment(templating.Environment):
    """Flask's Jinja environment, whose templates read the environment's globals themselves instead of through a
    `ChainMap` over them. Jinja overlays each template's own globals (none here: no template is loaded with any) on
    the environment's in a ChainMap, whose every look-up is a Python call: each render copies it into a new context
    (`dict(globals, **vars)`, ~30 µs for the ~35 globals) and each `{% from … import %}` compares the context's
    globals with it (~35 µs), about a tenth of a list page's rendering. The same dict means the same names and values,
    and a global added later is seen as before. A template loaded with globals of its own gets Jinja's ChainMap."""

    context_class = Context

    def make_globals(self, d):
        if not d:
            return self.globals
        return super().make_globals(d)

    def _load_template(self, name, globals):
        """Jinja updates a cached template's globals with any given to `get_template`: never the environment's."""
        if globals:
            raise TypeError("templates take no globals of their own here: pass them to render()")
        return super()._load_template(name, globals)


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
    app.extensions["dienhinh.kept_html"] = {}
    app.jinja_env.globals.update(labels=labels, url_with=url_with, url_for=cached_url_for,
                                 state_badge_html=state_badge, nomination_rows=nomination_rows, pager=pager,
                                 bar_rows=bar_rows, bar_table_rows=bar_table_rows, unit_level_rows=unit_level_rows,
                                 choice_options=choice_options, label_options=label_options, kept_html=kept_html,
                                 pdf_available=pdf.available)
