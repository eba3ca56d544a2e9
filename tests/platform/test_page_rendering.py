"""The templates' helpers made cheaper for the list page (issue 13) write exactly what they wrote before: dates as
strftime formatted them, pager links as url_for builds them, and every template compiled ahead of the first request."""
from __future__ import annotations

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
