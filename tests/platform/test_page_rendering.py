"""The templates' helpers made cheaper for the list page (issue 13) write exactly what they wrote before: dates as
strftime formatted them, pager links as url_for builds them, and every template compiled ahead of the first request."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from flask import request, url_for
from jinja2 import BaseLoader

from web import filters


@pytest.mark.parametrize("value", [
    dt.date(1, 1, 1), dt.date(999, 12, 31), dt.date(2024, 2, 29), dt.date(9999, 12, 31),
    dt.datetime(2025, 12, 31, 16, 59, 59, tzinfo=dt.UTC),  # 23:59 in Hanoi: still the 31st
    dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.UTC),  # 00:00 in Hanoi: the next year
    dt.datetime(2026, 3, 9, 8, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
])
def test_dates_are_written_as_strftime_wrote_them(value):
    local = value.astimezone(filters.TZ) if isinstance(value, dt.datetime) else value
    assert filters.vn_date(value) == local.strftime("%d/%m/%Y")
    if isinstance(value, dt.datetime):
        assert filters.vn_datetime(value) == local.strftime("%d/%m/%Y %H:%M")
    assert filters.vn_date(None) == filters.vn_datetime(None) == ""


@pytest.mark.parametrize("path", [
    "/nominations", "/nominations?page=3&state=registered,nurtured&q=a%26b", "/nominations?q=x&q=y&page=2",
    "/nominations/12?tab=history", "/showcase?year=2024&page=3&spage=800",
])
def test_pager_links_are_the_urls_url_for_builds(app, path):
    changes = [{"page": None}, {"page": 2}, {"page": ""}, {"page": 7}, {"spage": 801}, {"q": "mới"}, {"new": "1"}]
    for _ in range(2):  # the second round is answered from the remembered URLs
        with app.test_request_context(path):
            for change in changes:
                args = request.args.to_dict(flat=False)
                for key, value in change.items():
                    if value in (None, ""):
                        args.pop(key, None)
                    else:
                        args[key] = [str(value)]
                expected = url_for(request.endpoint, **(request.view_args or {}), **args)
                assert filters.url_with(**change) == expected, (path, change)
            for endpoint, values in (("main.home", {}), ("static", {"filename": "app.css"}),
                                     ("nominations.detail", {"nomination_id": 5}), ("main.home", {"_anchor": "x"})):
                assert filters.cached_url_for(endpoint, **values) == url_for(endpoint, **values)


class _Counting(BaseLoader):
    """The application's loader, counting the sources it reads (a compile reads one)."""

    def __init__(self, inner):
        self.inner, self.reads = inner, 0

    def get_source(self, environment, template):
        self.reads += 1
        return self.inner.get_source(environment, template)

    def list_templates(self):
        return self.inner.list_templates()


def test_every_template_is_compiled_before_the_first_request(app):
    loader = _Counting(app.jinja_env.loader)
    env = app.jinja_env.overlay(loader=loader, cache_size=400)  # an empty cache of its own
    count = filters.compile_templates(env)
    names = app.jinja_env.list_templates()
    assert count == len(names) == loader.reads > 60
    for name in names:  # served from the cache: no source read, nothing compiled again
        assert env.get_template(name).name == name
    assert loader.reads == count
    with pytest.raises(RuntimeError):
        filters.compile_templates(app.jinja_env.overlay(cache_size=10))


# ------------------------------------------------------------------------------------------------ the list's rows
# The rows as nominations/list.html wrote them before `filters.nomination_rows` (issue 13), word for word.
_ROWS_TEMPLATE = (
    "{% set nominations_path = url_for('nominations.index') %}"
    "{% set subject_labels, badge = labels.SUBJECT_TYPE_LABELS, state_badge_html %}"
    "{% for n in items %}{% set unit, previous = n.unit, n.unit.previous_name %}\n"
    "  <tr>\n"
    "    <td>{{ n.id }}</td>\n"
    '    <td><a href="{{ nominations_path }}/{{ n.id }}">{{ n.title }}</a></td>\n'
    "    <td>{{ subject_labels[n.subject_type] }}: {{ n.subject_name }}</td>\n"
    '    <td>{% if previous %}{{ unit.current_name }} <span class="text-body-secondary small">(trước đây: '
    "{{ previous }})</span>{% else %}{{ unit.name }}{% endif %}</td>\n"
    '    <td class="small">{{ n.campaign.name }}</td>\n'
    "    <td>{{ badge(n.state) }}</td>\n"
    '    <td class="small text-nowrap">{{ n.updated_at|vn_date }}</td>\n'
    "  </tr>\n"
    "  {% endfor %}")


def _rows():
    from workflow.nominations.queries import CampaignRef, NominationRow, PersonRef, UnitRef

    at = dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.UTC)
    units = [UnitRef(1, "VP", "Văn phòng Sở", "office"),
             UnitRef(2, "P1", "Phòng <Hành chính> & \"Tư pháp\"", "division", former="Phòng 'cũ'"),
             UnitRef(3, "P2", "Phòng Phổ biến", "division", successor="Phòng <Mới>"),
             UnitRef(4, "P3", "Phòng Đổi tên", "division", former="Phòng A", successor="Phòng B")]
    campaigns = [CampaignRef(7, "Phong trào <2025> & \"thi đua\"", "annual"),
                 CampaignRef(8, "Đợt 'đặc biệt'", "thematic")]
    rows = []
    for i, (state, subject_type, person) in enumerate([
            ("registered", "collective", None), ("nurtured", "individual", PersonRef(5, "Nguyễn <Văn> & 'A'")),
            ("submitted", "individual", None), ("withdrawn", "collective", PersonRef(6, "ignored")),
            ("no_such_state", "collective", None), ("recognised", "individual", PersonRef(7, "Lê \"Thu\""))]):
        rows.append(NominationRow(
            id=100 + i, state=state, version=1, subject_type=subject_type,
            title=["Hồ sơ <b>đậm</b>", "A & B", "\"quoted\" 'single'", "", "x" * 300, "Bình thường"][i],
            campaign_id=campaigns[i % 2].id, unit_id=units[i % 4].id, department_id=1,
            subject_person_id=person.id if person else None, created_at=at, updated_at=at + dt.timedelta(days=i),
            unit=units[i % 4], campaign=campaigns[i % 2], subject_person=person))
    return rows


@pytest.mark.parametrize("count", [0, 1, 6])
def test_list_rows_are_what_the_template_wrote(app, count):
    rows = _rows()[:count]
    with app.test_request_context("/nominations"):
        before = app.jinja_env.from_string(_ROWS_TEMPLATE).render(items=rows)
        path = url_for("nominations.index")
        assert str(filters.nomination_rows(rows, path)) == before
    with app.test_request_context("/nominations", base_url="http://localhost/prefix&x"):  # a script root to escape
        before = app.jinja_env.from_string(_ROWS_TEMPLATE).render(items=rows)
        assert str(filters.nomination_rows(rows, url_for("nominations.index"))) == before


def test_a_rows_html_is_kept_per_row_object_and_path_and_never_served_for_another(app, monkeypatch):
    """Issue 13, tenth increment: a row's HTML is kept per row object and path (`filters._rows_html`). Served again,
    it is the same text; another object (equal or changed), another path, are written from their own values; an
    entry found under an object's identity but made for another object (an identity reused) is not served (fails
    without the `is` check); a full keep is emptied and the rows still right."""
    rows = _rows()
    changed = [dataclasses.replace(r, title=r.title + " <mới>", state="recognised") for r in rows]
    with app.test_request_context("/nominations"):
        path = url_for("nominations.index")
        template = app.jinja_env.from_string(_ROWS_TEMPLATE)
        first = str(filters.nomination_rows(rows, path))
        assert all(filters._rows_html[(id(r), path)][0] is r for r in rows)
        assert str(filters.nomination_rows(rows, path)) == first == template.render(items=rows)
        assert str(filters.nomination_rows(changed, path)) == template.render(items=changed)
        equal = [dataclasses.replace(r) for r in rows]
        assert str(filters.nomination_rows(equal, path)) == first
        assert str(filters.nomination_rows(rows, "/khác&x")) == first.replace(f'href="{path}/', 'href="/khác&amp;x/')
        stranger = dataclasses.replace(rows[0], title="Khác")
        filters._rows_html[(id(stranger), path)] = (rows[0], "<tr>STALE</tr>")
        assert str(filters.nomination_rows([stranger], path)) == template.render(items=[stranger])
        monkeypatch.setattr(filters, "ROWS_HTML_KEPT", 2)
        fresh = [dataclasses.replace(r) for r in changed]
        assert str(filters.nomination_rows(fresh, path)) == template.render(items=changed)
        assert len(filters._rows_html) <= 2


def test_the_list_page_writes_its_rows_through_nomination_rows(app):
    """The template hands its rows to the helper (its HTML is there, not in list.html)."""
    source = app.jinja_env.loader.get_source(app.jinja_env, "nominations/list.html")[0]
    assert "nomination_rows(page.items, url_for('nominations.index'))" in source
    assert "{% for n in page.items %}" not in source
    form = app.jinja_env.loader.get_source(app.jinja_env, "nominations/_filters.html")[0]
    assert 'kept_html("nominations/_filters.html"' in source
    assert "choice_options(campaigns, campaign)" in form and "{% for c in campaigns %}" not in form


# The filters' options as nominations/list.html wrote them before `filters.choice_options`/`label_options`, word for
# word (the loop's variable and the query's value).
_CHOICES_TEMPLATE = ('{% for c in choices %}<option value="{{ c.id }}"{% if selected == c.id|string %} selected'
                     '{% endif %}>{{ c.name }}</option>{% endfor %}')
_LABELS_TEMPLATE = ('{% for code, label in table.items() %}<option value="{{ code }}"{% if selected == code %} '
                    'selected{% endif %}>{{ label }}</option>{% endfor %}')


def test_the_filters_options_are_the_templates_options(app):
    """Every selected value a query can carry (none, each id or code, an unknown one, a list of states, HTML-special
    text), on choices with HTML-special names, and each table of labels (the kept ones and another)."""
    from workflow import labels
    from workflow.choices import Choice

    env = app.jinja_env
    rows = (Choice(1, 'Phòng <Tư pháp> & "Hộ tịch"'), Choice(12, "Đợt 'một'"), Choice(3, "Ba"))
    for selected in ("", "1", "12", "3", "4", "01", "<b>", "1,12"):
        before = env.from_string(_CHOICES_TEMPLATE).render(choices=rows, selected=selected)
        assert str(filters.choice_options(rows, selected)) == before
        assert str(filters.choice_options((), selected)) == ""
    other = {"a<": "A & B", "b": '"B"'}
    for table in (labels.STATE_LABELS, labels.SUBJECT_TYPE_LABELS, other):
        for selected in ("", *table, "registered,nurtured", "bogus", "<script>", None):
            before = env.from_string(_LABELS_TEMPLATE).render(table=table, selected=selected)
            assert str(filters.label_options(table, selected)) == before, (table, selected)


# ------------------------------------------------------------------------------------------------ the environment
def _environments(app, templates: dict):
    """Jinja's own environment and the application's kind, on the same templates and globals."""
    from jinja2 import DictLoader
    from jinja2 import Environment as JinjaEnvironment

    ours = filters.Environment(app, loader=DictLoader(templates))
    theirs = JinjaEnvironment(loader=DictLoader(templates))
    return ours, theirs


def test_templates_read_the_environment_globals_themselves(app):
    ours, theirs = _environments(app, {"page.html": "{{ late() if late is defined else 'none' }}|{{ x }}"})
    for env in (ours, theirs):
        env.globals["x"] = "X"
        assert env.get_template("page.html").render() == "none|X"
        env.globals["late"] = lambda: "late"  # added after the template was loaded: seen, as Jinja's ChainMap sees it
        assert env.get_template("page.html").render() == "late|X"
        assert env.from_string("{{ x }}").render() == "X"
        own = env.from_string("{{ x }}{{ y }}", globals={"y": "Y"})  # a template's own globals overlay the env's
        assert own.render() == "XY" and "y" not in env.globals
    assert ours.get_template("page.html").globals is ours.globals  # no ChainMap to copy or compare per render
    with pytest.raises(TypeError):  # Jinja would write them into the cached template's globals: the env's here
        ours.get_template("page.html", globals={"y": "Y"})


def test_imports_and_contexts_see_what_jinja_gives_them(app):
    templates = {
        "macros.html": "{% macro m(a) %}[{{ a }}|{{ g1 }}|{{ v if v is defined else 'no v' }}]{% endmacro %}",
        "page.html": "{% from 'macros.html' import m %}{% import 'macros.html' as all with context %}"
                     "{{ m(1) }}{{ all.m(2) }}{{ v }}{{ g1 }}{% include 'inc.html' %}",
        "inc.html": "<{{ v }}{{ g1 }}>",
    }
    ours, theirs = _environments(app, templates)
    for env in (ours, theirs):
        env.globals["g1"] = "G"
    assert ours.get_template("page.html").render(v="V") == theirs.get_template("page.html").render(v="V") \
        == "[1|G|no v][2|G|V]VG<VG>"
    context = ours.get_template("page.html").new_context({"v": "V"})
    assert context.get_all() == theirs.get_template("page.html").new_context({"v": "V"}).get_all()
    assert context.globals_keys == set(ours.globals)


def test_template_calls_answer_as_jinja_does(app):
    from jinja2 import pass_context, pass_environment, pass_eval_context

    class Callable:
        @pass_context
        def __call__(self, context, suffix=""):
            return f"callable:{context['who']}{suffix}"

    def stops():
        raise StopIteration

    functions = {
        "plain": lambda a, b="b": f"plain:{a}{b}",
        "with_context": pass_context(lambda context, a: f"ctx:{context['who']}:{context.get('item')}:{a}"),
        "with_eval_context": pass_eval_context(lambda eval_ctx, a: f"eval:{eval_ctx.autoescape}:{a}"),
        "with_environment": pass_environment(lambda env, a: f"env:{type(env).__name__ != ''}:{a}"),
        "instance": Callable(), "stops": stops, "separator": ", ".join, "labels": {"a": "A"},
    }
    source = ("{{ plain(1) }} {{ plain(1, b=2) }} {{ with_context(3) }} {{ with_eval_context(4) }}"
              " {{ with_environment(5) }} {{ instance('!') }} [{{ stops() }}] {{ separator(['x', 'y']) }}"
              " {{ labels.get('a') }} {{ labels.items()|list }} {{ range(3)|list }}"
              "{% for item in [7, 8] %} {{ with_context(item) }}{% endfor %}"
              "{% set item = 9 %} {{ with_context('set') }} {{ 'a-b'.split('-') }}")
    ours, theirs = _environments(app, {"page.html": source})
    for env in (ours, theirs):
        env.globals.update(functions)
    expected = theirs.get_template("page.html").render(who="W")
    assert ours.get_template("page.html").render(who="W") == expected
    assert "ctx:W:9:set" in expected and "callable:W!" in expected and "[]" in expected  # the calls were made


# ------------------------------------------------------------------------------------------------ the pager
# `_macros.pagination` as its Jinja wrote the pager before `filters.pager` (issue 13), word for word.
_PAGER_MACRO = """{% macro pagination(page, noun='mục', param='page', label='Phân trang') -%}
<div class="d-flex flex-wrap justify-content-between align-items-center gap-2 mt-2">
  <p class="mb-0 text-body-secondary" data-testid="total">Tổng số: {{ page.total|vn_number }} {{ noun }}{% if page.pages > 1 %} — trang {{ page.page }}/{{ page.pages }}{% endif %}</p>
  {% if page.pages > 1 %}
  <nav aria-label="{{ label }}" class="d-print-none">
    <ul class="pagination pagination-sm mb-0">
      <li class="page-item{% if page.page <= 1 %} disabled{% endif %}">
        <a class="page-link" href="{{ url_with(**{param: page.page - 1 if page.page > 1 else None}) }}">‹ Trước</a></li>
      {% for p in range([1, page.page - 2]|max, [page.pages, page.page + 2]|min + 1) %}
      <li class="page-item{% if p == page.page %} active{% endif %}">
        <a class="page-link" href="{{ url_with(**{param: p if p > 1 else None}) }}"{% if p == page.page %} aria-current="page"{% endif %}>{{ p }}</a></li>
      {% endfor %}
      <li class="page-item{% if page.page >= page.pages %} disabled{% endif %}">
        <a class="page-link" href="{{ url_with(**{param: page.page + 1}) }}">Sau ›</a></li>
    </ul>
  </nav>
  {% endif %}
</div>
{%- endmacro %}"""  # noqa: E501


@pytest.mark.parametrize("path", [
    "/nominations", "/nominations?state=registered,nurtured&q=%3Cb%3E%26%22'&page=3", "/showcase?year=2024&spage=2",
])
def test_the_pager_is_what_the_macro_wrote(app, path):
    """Every window (first, second, middle, last pages; one page, none, 1,600), the query's other parameters kept
    and escaped, a noun and a label with HTML-special characters, another page parameter, a script root to escape;
    through the macro the other lists call and through the global the list page calls."""
    from workflow.nominations.queries import Page

    old = app.jinja_env.from_string(_PAGER_MACRO + "{{ pagination(page, *args, **kwargs) }}")
    new = app.jinja_env.from_string('{% from "_macros.html" import pagination %}'
                                    '{{ pagination(page, *args, **kwargs) }}')
    calls = [((), {}), (("hồ sơ",), {}), (("<b>&\"'",), {"label": "Trang <i>'\"&"}),
             (("bài viết",), {"param": "spage", "label": "Phân trang bài viết"}), ((), {"noun": "ủy quyền"})]
    pages = [(0, 1), (1, 1), (20, 1), (21, 1), (21, 2), (279, 1), (279, 2), (279, 3), (279, 7), (279, 13), (279, 14),
             (279, 15), (32000, 800), (32000, 1600), (100, 4)]
    for base_url in ("http://localhost/", "http://localhost/prefix&x"):
        with app.test_request_context(path, base_url=base_url):
            for total, number in pages:
                page = Page([], total, number, 20)
                for args, kwargs in calls:
                    before = old.render(page=page, args=args, kwargs=kwargs)
                    assert str(filters.pager(page, *args, **kwargs)) == before, (path, total, number, args, kwargs)
                    assert new.render(page=page, args=args, kwargs=kwargs) == before


# The loops of reports/_charts.html's `bar_chart` and of reports/dashboard.html's table of units as they were before
# `filters.bar_rows`, `bar_table_rows` and `unit_level_rows`, word for word.
_BARS_TEMPLATE = '''    {% for label, value, colour in rows %}
    {% set y = loop.index0 * 30 + 5 %}
    <text x="0" y="{{ y + 17 }}" font-size="13" fill="#212529">{{ label|truncate(34, True, '…') }}</text>
    <rect x="250" y="{{ y + 3 }}" width="{{ (330 * value / top)|round(1) if value else 0 }}" height="20" rx="3" fill="{{ colour }}" stroke="#495057" stroke-width="0.5"></rect>
    <text x="{{ 256 + (330 * value / top)|round(1) }}" y="{{ y + 18 }}" font-size="13" font-weight="600" fill="#212529">{{ value|vn_number }}</text>
    {% endfor %}
'''  # noqa: E501
_BAR_TABLE_TEMPLATE = '''  {% for label, value, colour in rows %}
  <tr><th scope="row" class="fw-normal">{{ label }}</th><td class="text-end">{{ value|vn_number }}</td></tr>
  {% endfor %}
'''
_UNIT_LEVELS_TEMPLATE = ('<tbody>{% for u in s.by_unit %}<tr><th scope="row" class="fw-normal">{{ u.name }}</th>'
                         '<td class="text-end">{{ u.total|vn_number }}</td><td class="text-end">{{ u.co_so|vn_number }}'
                         '</td><td class="text-end">{{ u.nganh|vn_number }}</td></tr>{% endfor %}</tbody>')


@pytest.mark.parametrize("count", [0, 1, 7, 240])
def test_the_reports_charts_and_tables_are_what_the_templates_wrote(app, count):
    from types import SimpleNamespace

    labels_ = ["Văn phòng Sở", "Phòng <Hành chính> & \"Tư pháp\" 'x'", "x" * 39, "y" * 40, "Phòng Phổ biến, giáo dục "
               "pháp luật tỉnh Lâm Đồng", "", "Năm 2025"]
    values = [0, 1, 7, 12345, 1234567, 3, 999]
    rows = [(labels_[i % 7] + (str(i) if i >= 7 else ""), values[i % 7] + i, ["#0d6efd", "<b>&"][i % 2])
            for i in range(count)]
    units = [SimpleNamespace(name=label, total=value, co_so=value // 3, nganh=value // 7) for label, value, _ in rows]
    for top in (1, 7, max([1] + [v for _, v, _ in rows])):
        with app.test_request_context("/reports"):
            env = app.jinja_env
            assert str(env.from_string("    {{ bar_rows(rows, top) }}\n").render(rows=rows, top=top)) == \
                env.from_string(_BARS_TEMPLATE).render(rows=rows, top=top)
            assert env.from_string("  {{ bar_table_rows(rows) }}\n").render(rows=rows) == \
                env.from_string(_BAR_TABLE_TEMPLATE).render(rows=rows)
            assert env.from_string("<tbody>{{ unit_level_rows(s.by_unit) }}</tbody>").render(
                s=SimpleNamespace(by_unit=units)) == env.from_string(_UNIT_LEVELS_TEMPLATE).render(
                s=SimpleNamespace(by_unit=units))
