"""What every request pays before its view runs (issue 13, part D), on SQLite and PostgreSQL.

Found when profiling: a token-authenticated API request ran four statements to learn who was asking (the token, its
user, the user's roles, the delegation in force) and a page five (the session's user, roles, delegation, then the unit
the header shows). Now one statement loads the caller (`policy.caller_columns`), whichever way it signs in; these tests
fail if a look-up is split again or a lazy load creeps back into the header.
"""
from __future__ import annotations

import datetime as dt

import factories
import pytest
from factories import uid
from sqlalchemy import select, update
from statements import Statements

from models import ApiToken, Delegation, User
from web.extensions import limiter
from workflow import choices, clock, policy
from workflow.administration import accounts


def _used_just_now(db, demo, username):
    """The token-use note (last_used_at, at most once a minute) written, as after a first request: on PostgreSQL the
    note's own connection cannot see a token issued inside the test's transaction."""
    db.execute(update(ApiToken).where(ApiToken.user_id == uid(demo, username)).values(last_used_at=clock.now()))
    db.flush()


def test_an_api_request_by_token_runs_one_statement_to_know_its_caller(engine, db, demo, api):
    caller = api.as_("vanphong")
    assert caller.get("/me").status_code == 200
    _used_just_now(db, demo, "vanphong")
    accounts.forget_callers()  # the process keeps callers: a cold one reads the caller's statement
    with Statements(engine) as seen:
        r = caller.get("/me")
    assert r.status_code == 200 and r.get_json()["username"] == "vanphong"
    assert len(seen) == 1, seen  # /me itself reads nothing more than the caller
    assert "api_tokens" in seen[0] and "user_roles" in seen[0] and "delegations" in seen[0]
    assert "data_stamps" in seen[0]  # the accounts stamp, in the caller's snapshot
    with Statements(engine) as seen:  # kept: only the accounts stamp is read
        r = caller.get("/me")
    assert r.status_code == 200 and r.get_json()["username"] == "vanphong"
    assert len(seen) == 1 and "data_stamps" in seen[0] and "api_tokens" not in seen[0], seen


def test_an_api_list_by_token_runs_the_caller_then_its_page(engine, db, demo, api):
    caller = api.as_("vanphong")
    assert caller.get("/me/tokens").status_code == 200
    _used_just_now(db, demo, "vanphong")
    with Statements(engine) as seen:
        r = caller.get("/me/tokens")
    assert r.status_code == 200
    assert len(seen) == 3, seen  # the caller, the page's total, its rows


def test_a_page_by_session_cookie_runs_one_statement_to_know_its_caller(engine, client, login):
    assert login("vanphong").status_code == 302
    assert client.get("/lifecycles").status_code == 200
    with Statements(engine) as seen:
        r = client.get("/lifecycles")
    assert r.status_code == 200
    # The caller (user, roles, unit, delegation: the header shows the roles and the unit) with the header's unread
    # count: no lazy load of the roles or the unit while the header is rendered, no statement of the count's own.
    assert len(seen) == 1, seen
    assert "user_sessions" in seen[0] and "user_roles" in seen[0] and "units" in seen[0]
    assert "notifications" in seen[0]


def test_a_refused_token_costs_one_statement(engine, api):
    with Statements(engine) as seen:
        r = api.get("/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert len(seen) <= 1, seen  # the refusal itself writes nothing


@pytest.mark.parametrize("username", ["admin", "vanphong", "giamdoc", "hoidong1", "tp_pbgdpl", "botp", "thanhtra",
                                      "bientap", "canbo1"])
def test_the_one_statement_actor_is_actor_for(db, demo, username):
    """Token and session give the Actor `policy.actor_for` gives: the same user, roles, delegation."""
    user = db.scalar(select(User).where(User.username == username))
    expected = policy.actor_for(db, user)
    secret = accounts.start_session(db, user)
    token = accounts.issue_token(db, user, name="t")
    db.flush()
    by_session = accounts.actor_for_session(db, user.id, secret)
    by_token = accounts.caller_for_token(db, token).actor
    for actor in (by_session, by_token):
        assert (actor.user, actor.roles, actor.on_behalf_of, actor.delegation_title) == (
            expected.user, expected.roles, expected.on_behalf_of, expected.delegation_title)


def test_a_deputy_acts_for_the_director_only_while_the_delegation_is_in_force(db, demo, api):
    deputy = demo.user("hoidong1")
    today = clock.today()
    db.add(Delegation(department_id=demo.unit("STP").id, director_id=uid(demo, "giamdoc"), deputy_id=deputy.id,
                      starts_on=today - dt.timedelta(days=5), ends_on=today - dt.timedelta(days=1)))
    db.flush()
    caller = api.as_("hoidong1")
    me = caller.get("/me").get_json()
    assert policy.DIRECTOR not in me["roles"] and me["on_behalf_of"] is None  # ended yesterday
    db.add(Delegation(department_id=demo.unit("STP").id, director_id=uid(demo, "giamdoc"), deputy_id=deputy.id,
                      starts_on=today, ends_on=today + dt.timedelta(days=3), deputy_title="PHÓ GIÁM ĐỐC"))
    db.flush()
    me = caller.get("/me").get_json()
    assert policy.DIRECTOR in me["roles"] and me["on_behalf_of"]["id"] == uid(demo, "giamdoc")
    secret = accounts.start_session(db, deputy)
    actor = accounts.actor_for_session(db, deputy.id, secret)
    assert actor.has(policy.DIRECTOR) and actor.on_behalf_of.username == "giamdoc"
    assert actor.delegation_title == "PHÓ GIÁM ĐỐC"


def test_the_caller_is_refused_as_before(db, demo):
    """Revoked or expired token, locked account, ended session: no Actor."""
    user = demo.user("vanphong")
    secret = accounts.start_session(db, user)
    secret_other = accounts.start_session(db, demo.user("giamdoc"))
    token, row = accounts.create_token(db, user, name="t")
    db.flush()
    assert accounts.caller_for_token(db, token).token_id == row.id
    assert accounts.actor_for_session(db, user.id, secret_other) is None  # another user's session secret
    assert accounts.actor_for_session(db, user.id, None) is None
    row.expires_at = clock.now() - dt.timedelta(seconds=1)
    db.flush()
    assert accounts.caller_for_token(db, token) is None
    row.expires_at = clock.now() + dt.timedelta(days=1)
    row.revoked = True
    db.flush()
    assert accounts.caller_for_token(db, token) is None
    row.revoked = False
    user.active = False
    db.flush()
    assert accounts.caller_for_token(db, token) is None
    assert accounts.actor_for_session(db, user.id, secret) is None
    user.active = True
    accounts.end_session(db, secret)
    db.flush()
    assert accounts.actor_for_session(db, user.id, secret) is None


def test_no_rate_limit_check_runs_before_a_request_that_has_none_and_the_login_limit_still_holds(make_app):
    """The limits are on the views (logins); flask-limiter's check before every request is not installed
    (web.extensions.init_limiter), and the login's own limit still answers 429."""
    app = make_app(SECRET_KEY="t", RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute")
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
    client = app.test_client()
    statuses = [client.post("/login", data={"username": "vanphong", "password": "wrong"},
                            environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    assert client.get("/healthz").status_code == 200


def test_the_nominations_page_runs_three_statements(engine, db, demo, client, login):
    """The list page (issue 13): the caller with the header's unread count and the filters' data stamp, the list's
    total with the page's ids (one statement since the fifth increment), their rows (apart: joined to the choice of
    ids, PostgreSQL planned the rows anew on every request, at three times the cost of the round trip). The filters'
    campaigns, units and the "may register" offer are one statement at a page's first view, then kept while the
    stamp read with the caller is the same (`tests/platform/test_data_stamps.py`). It ran seven: the unread count and
    each of the three choices had a statement of its own, and the total and the ids were two; then four (the filters
    read on every view)."""
    for i, unit in enumerate(("VP", "TTR", "PBGDPL", "HCTP", "XDKT")):
        factories.nomination(db, demo, unit=unit, state="registered", title=f"Hồ sơ số {i}")
    assert login("vanphong").status_code == 302
    assert client.get("/nominations").status_code == 200  # the filters read (or kept by an earlier test: same stamp)
    with Statements(engine) as seen:
        r = client.get("/nominations?state=registered,nurtured&per_page=2&page=2")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Hồ sơ số 2<" in page and 'data-testid="unread-count"' in page
    assert len(seen) == 3, seen
    assert "user_sessions" in seen[0] and "notifications" in seen[0] and "data_stamps" in seen[0]
    assert 'value="registered,nurtured" selected' in page and "Đăng ký điển hình</a>" in page


@pytest.mark.parametrize("username", ["admin", "vanphong", "giamdoc", "hoidong1", "tp_pbgdpl", "botp", "thanhtra",
                                      "bientap", "canbo1"])
def test_the_list_pages_choices_in_one_statement_are_the_three_lists(db, demo, username):
    """`choices.list_filters` offers what filter_campaigns, filter_units and may_register_somewhere offer, in their
    order, for every kind of reader (a part of the union in the wrong order or the wrong scope fails here)."""
    actor = policy.actor_for(db, db.scalar(select(User).where(User.username == username)))
    offered = choices.list_filters(db, actor)
    assert [tuple(c) for c in offered.campaigns] == [tuple(c) for c in choices.filter_campaigns(db, actor)]
    assert [tuple(u) for u in offered.units] == [tuple(u) for u in choices.filter_units(db, actor)]
    assert offered.can_register == choices.may_register_somewhere(db, actor)


def test_the_api_builds_no_schema_per_request(db, demo, api, monkeypatch):
    """Found when profiling the API list: webargs built (and deep-copied the fields of) the query schema on every
    request, ~5% of its CPU. The schemas are built once; a request still parses and refuses as before."""
    import marshmallow

    client = api.as_("vanphong")
    assert client.get("/nominations?per_page=5").status_code == 200  # every lazy first use done
    built = []
    original = marshmallow.Schema.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(marshmallow.Schema, "__init__", counting)
    for query in ("per_page=5", "state=submitted&page=2", "q=lan"):
        assert client.get(f"/nominations?{query}").status_code == 200
    bad = client.get("/nominations?per_page=abc")
    assert bad.status_code in (400, 422) and bad.headers["Content-Type"].startswith("application/problem+json")
    assert built == []


def test_a_query_string_is_parsed_once_and_its_arguments_handed_out_anew(db, demo, app, api, monkeypatch):
    """Issue 13, seventh increment: the API's parser remembers what a schema loaded from a query string
    (`StrictJsonParser.parse`), so a list asked again is not parsed again; each request still gets arguments of its own,
    and a refused query string is parsed and refused every time."""
    from web.api import base
    from web.api.schemas import NominationArgsSchema

    schema = base._schema_instance(NominationArgsSchema)
    loads = []
    load = schema.load
    monkeypatch.setattr(schema, "load", lambda data, **kw: loads.append(dict(data)) or load(data, **kw))
    base.ApiBlueprint.ARGUMENTS_PARSER._query_memo.clear()
    caller = api.as_("vanphong")
    first = caller.get("/nominations?per_page=5&state=registered")
    again = caller.get("/nominations?per_page=5&state=registered")
    assert first.status_code == again.status_code == 200 and first.get_data() == again.get_data()
    assert len(loads) == 1
    parsed = base.ApiBlueprint.ARGUMENTS_PARSER._query_memo
    (remembered,) = parsed.values()
    assert remembered == {"page": 1, "per_page": 5, "state": "registered"}
    assert caller.get("/nominations?per_page=6&state=registered").status_code == 200
    assert len(loads) == 2  # another string, parsed
    for _ in range(2):
        refused = caller.get("/nominations?per_page=500")
        assert refused.status_code == 422 and refused.content_type.startswith("application/problem+json")
    assert len(loads) == 4 and len(parsed) == 2  # refused each time, never remembered
    # each request gets its own copy: a view changing its arguments changes nothing for the next request
    with app.test_request_context("/api/v1/nominations?per_page=5&state=registered"):
        from flask import request

        mine = base.ApiBlueprint.ARGUMENTS_PARSER.parse(schema, request, location="query")
        mine["per_page"] = 99
        assert base.ApiBlueprint.ARGUMENTS_PARSER.parse(schema, request, location="query")["per_page"] == 5
    assert len(loads) == 4
