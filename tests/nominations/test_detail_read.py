"""The API detail's read (issue 13, eighth increment): `GET /api/v1/nominations/{id}` reads its caller, and the
nomination with its parts in one statement, on the request's reader connection (`web.db.reads`), never connecting
its Session; the answer is byte for byte what the two statements through the session answered, for readers of every
scope, refusals (404) included; and the row and its parts are one snapshot, so a step committed while the detail is
read is either wholly in the answer or not at all."""
from __future__ import annotations

import re

import pytest
from conftest import DEMO_PASSWORD
from factories import nomination, nurtured, registered, submitted, uid
from sqlalchemy import event, select, update

from models import ApiToken, User
from web.api import base
from workflow import clock, policy
from workflow.administration import accounts
from workflow.nominations import queries, service
from workflow.policy import actor_for

pytestmark = pytest.mark.fresh_db

READERS = ("vanphong", "tp_hctp", "tp_pbgdpl", "canbo1", "botp", "thanhtra", "admin", "hoidong1", "tp_stp2")
ENDPOINT = "api_nominations.get_nomination"


def _postgres_only(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the reader's own connection is PostgreSQL's autocommit reader")


def _token(db, demo, username: str) -> str:
    """A token whose use was just noted (the once-a-minute note would add a connection of its own)."""
    token = accounts.issue_token(db, demo.user(username), name="t")
    db.execute(update(ApiToken).where(ApiToken.user_id == uid(demo, username)).values(last_used_at=clock.now()))
    db.commit()
    return token


def _two_statements(session, actor, nomination_id, *, reads=None):
    """The detail's read before this increment: the row through the policy's load, then its parts, on the session."""
    n = policy.load(session, actor, "nomination", nomination_id, parents=queries.PARENTS)
    queries.load_parts(session, n)
    return n


def _unsigned(html: bytes) -> bytes:
    """A page without its forms' CSRF tokens: each carries the second it was signed in."""
    return re.sub(rb'name="csrf_token" value="[^"]+"', b'name="csrf_token"', html)


class Counted:
    """Statements run, Sessions that began on a connection, and pool checkouts, while in the block."""

    def __init__(self, engine):
        self.engine, self.statements, self.sessions, self.checkouts = engine, [], 0, 0

    def _statement(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement)

    def _began(self, *_args):
        self.sessions += 1

    def _checkout(self, *_args):
        self.checkouts += 1

    def __enter__(self):
        from sqlalchemy.orm import Session

        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(Session, "after_begin", self._began)
        event.listen(self.engine.pool, "checkout", self._checkout)
        return self

    def __exit__(self, *exc):
        from sqlalchemy.orm import Session

        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(Session, "after_begin", self._began)
        event.remove(self.engine.pool, "checkout", self._checkout)


def test_the_api_detail_reads_in_one_statement_beside_its_caller_without_a_session(engine, db, demo, make_app,
                                                                                   monkeypatch):
    """Two statements (the caller; the row with its parts), one connection, no Session; the same bytes as the
    session's two statements for every reader, a whole dossier, a bare one and another department's alike. Fails when
    the detail is not marked `plain_reads`, or reads its parts apart, or the one statement answers differently."""
    _postgres_only(engine)
    app = make_app()
    whole = nurtured(db, demo, "tp_hctp", unit="HCTP")  # criteria, an attachment, history with its people
    service.add_checkin(db, demo.actor("tp_hctp"), whole.id, date=clock.today(), note="Kiểm tra giữa kỳ")
    on_the_desk = submitted(db, demo, "tp_pbgdpl", unit="PBGDPL")
    bare = nomination(db, demo, unit="XDKT", state="registered")
    db.commit()
    ids = (whole.id, on_the_desk.id, bare.id, 10**9)
    tokens = {name: _token(db, demo, name) for name in READERS}
    client = app.test_client()
    assert ENDPOINT in base.PLAIN_READS
    seen = set()
    for name, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        for nid in ids:
            with Counted(engine) as lean:
                answer = client.get(f"/api/v1/nominations/{nid}", headers=headers)
            seen.add(answer.status_code)
            monkeypatch.setattr(queries, "load_detail", _two_statements)
            base.PLAIN_READS.discard(ENDPOINT)
            try:
                with Counted(engine) as through_session:
                    before = client.get(f"/api/v1/nominations/{nid}", headers=headers)
            finally:
                base.PLAIN_READS.add(ENDPOINT)
                monkeypatch.undo()
            assert answer.status_code == before.status_code, (name, nid)
            assert answer.get_data() == before.get_data(), (name, nid)
            if answer.status_code == 200 and answer.get_json()["part"] == "whole":
                # the caller, the nomination with its parts, a collective's discipline records (a rule's, plain)
                assert len(lean.statements) == len(through_session.statements) - 1, (name, nid, lean.statements)
                assert (lean.sessions, lean.checkouts) == (0, 1), (name, nid)
                assert through_session.sessions == 1
            elif answer.status_code == 404:
                assert (len(lean.statements), lean.sessions, lean.checkouts) == (2, 0, 1), (name, nid)
    assert seen == {200, 404}
    assert bare.id and on_the_desk.id


def test_the_detail_is_one_snapshot_when_a_step_commits_while_it_is_read(engine, db, demo, make_app, session_factory):
    """A step committed by someone else right after the detail's first read of the nomination: the answer shows the
    dossier before the step or after it, never its state and version before with the step already in its history (as
    the row and its parts read by two autocommit statements did)."""
    _postgres_only(engine)
    app = make_app()
    n = registered(db, demo, "tp_hctp", unit="HCTP")
    db.commit()
    nid, token = n.id, _token(db, demo, "vanphong")
    fired = []

    def step_meanwhile(_conn, _cursor, statement, *_args):
        if fired or "FROM nominations" not in statement:
            return
        fired.append(statement)
        with session_factory() as other:
            head = actor_for(other, other.scalar(select(User).where(User.username == "tp_hctp")))
            service.transition(other, head, nid, "start_nurturing", 1, nurture_plan="Kế hoạch")
            other.commit()

    event.listen(engine, "after_cursor_execute", step_meanwhile)
    try:
        answer = app.test_client().get(f"/api/v1/nominations/{nid}", headers={"Authorization": f"Bearer {token}"})
    finally:
        event.remove(engine, "after_cursor_execute", step_meanwhile)
    assert fired and answer.status_code == 200
    detail = answer.get_json()
    last = detail["history"][-1]
    assert (detail["version"], detail["state"]) == (last["version"], last["to_state"]) == (1, "registered")


def test_the_detail_page_reads_on_the_readers_connection_without_a_session(engine, db, demo, make_app, monkeypatch):
    """The page `/nominations/{id}` shares the read: its caller (the signed-in session's), the nomination with its
    parts and a rule's records on one reader connection, its Session never connected; the same page as through the
    session, for readers of the whole dossier and of none (404)."""
    _postgres_only(engine)
    from web.nominations import views

    app = make_app()
    whole = nurtured(db, demo, "tp_hctp", unit="HCTP")
    other = nomination(db, demo, unit="XDKT", state="registered")
    db.commit()
    client = app.test_client()
    for name in ("vanphong", "tp_hctp", "giamdoc"):
        client.post("/logout")
        assert client.post("/login", data={"username": name, "password": DEMO_PASSWORD}).status_code in (302, 303)
        for nid in (whole.id, other.id, 10**9):
            path = f"/nominations/{nid}"
            page, before, lean, through_session = _lean_and_through_session(client, engine, monkeypatch, views, path)
            assert page.status_code == before.status_code, (name, nid)
            assert _unsigned(page.get_data()) == _unsigned(before.get_data()), (name, nid)
            assert (lean.sessions, lean.checkouts) == (0, 1), (name, nid, lean.statements)
            assert through_session.sessions == 1
            assert len(lean.statements) == len(through_session.statements)


LIST_PATHS = ("/nominations", "/nominations?page=2&per_page=5", "/nominations?state=submitted",
              "/nominations?q=%3Cscript%3E%26%22", "/nominations?unit=999999", "/nominations?page=999")


def test_the_list_page_reads_on_the_readers_connection_without_a_session(engine, db, demo, make_app, monkeypatch):
    """The page `/nominations` (issue 13, tenth increment) reads as the detail page does: its caller and its page of
    rows on one reader connection, its Session never connected; the same page as through the session, statement for
    statement, for readers of a department, a unit, the Ministry and none, filtered, paged and empty. Fails when the
    list page is not in `READER_LENT` (its session connects: one Session, and a second checkout)."""
    _postgres_only(engine)
    from web.nominations import views

    app = make_app()
    nurtured(db, demo, "tp_hctp", unit="HCTP")
    submitted(db, demo, "tp_pbgdpl", unit="PBGDPL")
    nomination(db, demo, unit="XDKT", state="registered")
    db.commit()
    client = app.test_client()
    for name in ("vanphong", "tp_hctp", "botp", "canbo1", "admin"):
        client.post("/logout")
        assert client.post("/login", data={"username": name, "password": DEMO_PASSWORD}).status_code in (302, 303)
        for path in LIST_PATHS:
            page, before, lean, through_session = _lean_and_through_session(client, engine, monkeypatch, views, path)
            assert page.status_code == before.status_code == 200, (name, path)
            assert _unsigned(page.get_data()) == _unsigned(before.get_data()), (name, path)
            assert (lean.sessions, lean.checkouts) == (0, 1), (name, path, lean.statements)
            assert (through_session.sessions, through_session.checkouts) == (1, 1), (name, path)
            assert lean.statements == through_session.statements, (name, path)


def _lean_and_through_session(client, engine, monkeypatch, views, path):
    """`path` read twice after a warm-up read, counted: as the page reads it (on the reader's connection), then with
    the reader taken away from the view's module (through the request's session, as before). Returns both answers
    and both counts."""
    client.get(path)
    with Counted(engine) as lean:
        page = client.get(path)
    monkeypatch.setattr(views, "reads", lambda: None)
    try:
        with Counted(engine) as through_session:
            before = client.get(path)
    finally:
        monkeypatch.undo()
    return page, before, lean, through_session
