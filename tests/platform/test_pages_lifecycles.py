"""The lifecycle page: every signed-in user sees each lifecycle drawn from its table, with labels and citations."""
from __future__ import annotations

import re
from html import escape

import pytest

from workflow import lifecycles


def test_anonymous_is_sent_to_the_login(client):
    r = client.get("/lifecycles")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


@pytest.mark.parametrize("username", ["admin", "tp_hctp", "botp", "bientap", "canbo1"])
def test_every_account_sees_every_lifecycle_with_its_citations(client, login, username):
    assert login(username).status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert 'href="/lifecycles"' in home  # linked from the user menu of every page
    r = client.get("/lifecycles")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    for view in lifecycles.ALL:
        section = re.search(rf'data-testid="lifecycle-{view.key}".*?</section>', page, re.S).group(0)
        assert section.count("<svg") == 1
        for step in view.steps:
            row = re.search(rf'<tr data-trigger="{step.code}">.*?</tr>', section, re.S).group(0)
            assert view.action_labels[step.code] in row
            assert escape(step.cite) in row
        for state in view.states:
            assert view.state_labels[state] in section
