"""How a request reaches PostgreSQL (issue 13, second increment): a GET that only reads sends its statements and
nothing else (no BEGIN/ROLLBACK around them, no pre-ping before them); what a GET writes is still one transaction;
a pooled connection the server closed is replaced without failing the next request. SQLite keeps its DEFERRED reads.

The API list once cost six round trips for three statements: a pre-ping, BEGIN, the caller, the total, the rows and
ROLLBACK. These tests fail if a GET's session opens a transaction again, if a write on a reader's session stops being
atomic, or if the pool's dead connections reach a request.
"""
from __future__ import annotations

import datetime as dt
import time

import pytest
from factories import nomination, uid
from sqlalchemy import event, func, insert, select, text, update

from models import ApiToken, CalendarDay, make_engine, make_session_factory
from models.base import is_autocommit_reader, needs_transaction, read_only_engine
from web.db import db as request_db
from web.db import perform
from workflow import clock
from workflow.administration import accounts
from workflow.errors import Forbidden

pytestmark = pytest.mark.fresh_db

DAYS = (dt.date(2031, 1, 6), dt.date(2031, 1, 7))


def _postgres_only(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("autocommit reads and the pool's dead connections are PostgreSQL's")


def _token(db, demo, username="vanphong") -> str:
    """A token whose use was just noted (the once-a-minute note would otherwise add its own connection)."""
    token = accounts.issue_token(db, demo.user(username), name="t")
    db.execute(update(ApiToken).where(ApiToken.user_id == uid(demo, username)).values(last_used_at=clock.now()))
    db.commit()
    return token


def _days_stored(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(CalendarDay).where(CalendarDay.day.in_(DAYS)))


class Transactions:
    """Each statement the engine runs, with the state of the server's transaction right after it."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _after(self, conn, _cursor, statement, *_args):
        raw = conn.connection.driver_connection
        self.seen.append((" ".join(statement.split())[:60], raw.info.transaction_status.name))

    def __enter__(self):
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self.seen

    def __exit__(self, *exc):
        event.remove(self.engine, "after_cursor_execute", self._after)


def test_an_api_read_runs_its_statements_outside_any_transaction(engine, db, demo, make_app):
    _postgres_only(engine)
    app = make_app()
    token = _token(db, demo)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    nid = nomination(db, demo, unit="HCTP").id
    db.commit()
    assert client.get("/api/v1/nominations", headers=headers).status_code == 200
    for path, statements in (("/api/v1/nominations", 2), (f"/api/v1/nominations/{nid}", None)):
        with Transactions(engine) as seen:
            r = client.get(path, headers=headers)
        assert r.status_code == 200
        assert seen and all(status == "IDLE" for _, status in seen), seen  # no BEGIN was sent, so no ROLLBACK either
        if statements is not None:
            # the caller, the total with the page's rows: no pre-ping, no BEGIN
            assert len(seen) == statements, seen
    assert engine.pool._pre_ping is False


def test_what_a_get_writes_through_perform_is_one_transaction(engine, db, demo, make_app):
    """perform() on a GET's autocommit session: the unit of work commits as a whole or leaves nothing, and the refusal
    it records after rolling back is written alone."""
    _postgres_only(engine)
    app = make_app()
    actor = demo.actor("admin")

    def two_days_then_fail(error):
        def work():
            session = request_db()
            session.execute(insert(CalendarDay).values(day=DAYS[0], is_working=False, name="a"))
            assert _days_stored(engine) == 0  # not visible to another connection before the commit
            session.execute(insert(CalendarDay).values(day=DAYS[1], is_working=False, name="b"))
            if error is not None:
                raise error
        return work

    for error in (RuntimeError("crash"), Forbidden("Không có quyền.")):
        with app.test_request_context("/api/v1/nominations", method="GET"):
            assert is_autocommit_reader(request_db().get_bind())
            with pytest.raises(type(error)):
                perform(two_days_then_fail(error), action="calendar.save_day", actor=actor, object_type="calendar_day")
        assert _days_stored(engine) == 0, error
    with engine.connect() as conn:
        refused = conn.scalar(text("SELECT count(*) FROM audit_events WHERE action = 'calendar.save_day'"))
    assert refused == 1  # the Forbidden one, audited in a transaction of its own

    with app.test_request_context("/api/v1/nominations", method="GET"):
        perform(two_days_then_fail(None), action="calendar.save_day", actor=actor)
    assert _days_stored(engine) == 2


def test_a_write_on_a_readers_session_outside_perform_begins_a_transaction(engine, db, demo, make_app):
    """A statement that needs a transaction begins one on the autocommit reader (never autocommitted alone)."""
    _postgres_only(engine)
    session = make_session_factory(read_only_engine(engine))()
    try:
        assert session.scalar(select(func.count()).select_from(CalendarDay)) is not None
        session.execute(insert(CalendarDay).values(day=DAYS[0], is_working=False, name="a"))
        session.execute(insert(CalendarDay).values(day=DAYS[1], is_working=False, name="b"))
        session.rollback()
    finally:
        session.close()
    assert _days_stored(engine) == 0


@pytest.mark.parametrize(("statement", "expected"), [
    ("SELECT id FROM nominations WHERE id = %(id)s", False),
    ("  select 1", False),
    ("SELECT id FROM nominations WHERE id = 1 FOR UPDATE OF nominations", True),
    ("SELECT id FROM audit_chain_heads FOR NO KEY UPDATE", True),
    ("SELECT pg_export_snapshot()", True),
    ("INSERT INTO calendar_days VALUES (1)", True),
    ("UPDATE api_tokens SET last_used_at = now()", True),
    ("WITH x AS (DELETE FROM t RETURNING id) SELECT * FROM x", True),
    ("WITH x AS (UPDATE t SET a = 1 RETURNING id) SELECT * FROM x", True),
    ("with x as (insert into t values (1) returning id) select * from x", True),
    ("WITH x AS (SELECT id FROM t FOR UPDATE) SELECT * FROM x", True),
    ("WITH capped AS (SELECT id, updated_at FROM nominations LIMIT 3) SELECT count(*) FROM capped", False),
    ("SET LOCAL lock_timeout = '200ms'", True),
    ("BEGIN", False),
    ("COMMIT", False),
])
def test_which_statements_need_a_transaction(statement, expected):
    assert needs_transaction(statement) is expected


def test_a_server_side_cursor_needs_a_transaction():
    assert needs_transaction("SELECT id FROM nominations", server_side_cursor=True)


def test_sqlite_reads_stay_deferred(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's reader")
    assert read_only_engine(engine).get_execution_options()["sqlite_begin"] == "DEFERRED"
    assert read_only_engine(engine) is read_only_engine(engine)  # built once per engine (readyz asks per request)


def test_the_next_requests_succeed_after_the_server_ends_the_pools_connections(engine, db, demo, make_app):
    """No pre-ping: the connections `pg_terminate_backend` ended are found closed at checkout and replaced."""
    _postgres_only(engine)
    name = "dienhinh_dead_pool_test"
    own = make_engine(engine.url.render_as_string(hide_password=False),
                      connect_args={"application_name": name}, pool_size=3)
    app = make_app()
    app.extensions["dienhinh.engine"] = own
    app.extensions["dienhinh.sessions"] = make_session_factory(own)
    app.extensions["dienhinh.read_sessions"] = make_session_factory(read_only_engine(own))
    token = _token(db, demo)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        for _ in range(2):
            assert client.get("/api/v1/me", headers=headers).status_code == 200
        with engine.connect() as admin:
            ended = admin.scalar(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE application_name = :n"), {"n": name})
            assert ended >= 1
            deadline = time.monotonic() + 10
            while admin.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                               {"n": name}) and time.monotonic() < deadline:
                time.sleep(0.05)
        assert own.pool.checkedin() >= 1  # the pool still holds the ended connections
        for _ in range(3):
            r = client.get("/api/v1/me", headers=headers)
            assert r.status_code == 200, r.get_data(as_text=True)
        r = client.get("/api/v1/nominations", headers=headers)
        assert r.status_code == 200
    finally:
        own.dispose()


class SessionsConnected:
    """How many times a Session began using a connection, and the pool's checkouts, while in the block."""

    def __init__(self, engine):
        self.engine, self.sessions, self.checkouts = engine, 0, 0

    def _began(self, *_args):
        self.sessions += 1

    def _checkout(self, *_args):
        self.checkouts += 1

    def __enter__(self):
        from sqlalchemy.orm import Session

        event.listen(Session, "after_begin", self._began)
        event.listen(self.engine.pool, "checkout", self._checkout)
        return self

    def __exit__(self, *exc):
        from sqlalchemy.orm import Session

        event.remove(Session, "after_begin", self._began)
        event.remove(self.engine.pool, "checkout", self._checkout)


def test_the_api_list_reads_on_one_connection_without_a_session(engine, db, demo, make_app):
    """Issue 13, seventh increment: the API's nominations list (a view marked `plain_reads`) reads its caller, its
    total and its rows on one reader's connection of the request's own (`web.db.reads`), never connecting a Session;
    its answers are those of the session's path, for every kind of reader. The detail too (eighth increment:
    `tests/nominations/test_detail_read.py`)."""
    _postgres_only(engine)
    from web.api import base

    app = make_app()
    nid = nomination(db, demo, unit="HCTP").id
    db.commit()
    tokens = {name: _token(db, demo, name) for name in ("vanphong", "tp_pbgdpl", "canbo1", "botp", "thanhtra")}
    client = app.test_client()
    paths = ("/api/v1/nominations", "/api/v1/nominations?per_page=3&page=2", "/api/v1/nominations?q=xyz",
             "/api/v1/nominations?state=registered,submitted")
    marked = set(base.PLAIN_READS)
    assert "api_nominations.list_nominations" in marked
    for name, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        for path in paths:
            with SessionsConnected(engine) as lean:
                answer = client.get(path, headers=headers)
            assert answer.status_code == 200, (name, path, answer.get_data(as_text=True))
            assert (lean.sessions, lean.checkouts) == (0, 1), (name, path)
            base.PLAIN_READS.clear()
            try:
                with SessionsConnected(engine) as through_session:
                    before = client.get(path, headers=headers)
            finally:
                base.PLAIN_READS.update(marked)
            assert through_session.sessions == 1
            assert answer.get_data() == before.get_data(), (name, path)
    headers = {"Authorization": f"Bearer {tokens['vanphong']}"}
    with SessionsConnected(engine) as detail:
        assert client.get(f"/api/v1/nominations/{nid}", headers=headers).status_code == 200
    assert (detail.sessions, detail.checkouts) == (0, 1)
    # refusals are unchanged: a bad token, a bad filter
    assert client.get("/api/v1/nominations", headers={"Authorization": "Bearer nope"}).status_code == 401
    bad = client.get("/api/v1/nominations?campaign=x", headers=headers)
    assert bad.status_code == 422 and bad.content_type.startswith("application/problem+json")


def test_a_deputy_under_delegation_lists_as_the_director_on_the_lean_path(engine, db, demo, make_app):
    """The list's caller read on the request's own connection (`web.db.reads`) is the same Actor: a delegation in force
    lends the director's scope, read through the request's session, which connects only for it."""
    _postgres_only(engine)
    from models import Delegation

    app = make_app()
    deputy = demo.user("hoidong1")
    token = _token(db, demo, "hoidong1")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    before = client.get("/api/v1/nominations", headers=headers)
    assert before.status_code == 200
    today = clock.today()
    db.add(Delegation(department_id=demo.unit("STP").id, director_id=uid(demo, "giamdoc"), deputy_id=deputy.id,
                      starts_on=today, ends_on=today + dt.timedelta(days=3), deputy_title="PHÓ GIÁM ĐỐC"))
    nomination(db, demo, unit="HCTP")
    db.commit()
    director = client.get("/api/v1/nominations", headers={"Authorization": f"Bearer {_token(db, demo, 'giamdoc')}"})
    with SessionsConnected(engine) as lean:
        delegated = client.get("/api/v1/nominations", headers=headers)
    assert delegated.status_code == 200 and lean.sessions == 1  # the delegation's director, loaded by the session
    assert delegated.get_json()["total"] == director.get_json()["total"] > before.get_json()["total"]


def test_the_request_ends_every_session_that_holds_something_and_leaves_an_empty_one(engine, db, demo, make_app):
    """`close_db` closes a request's session that holds a transaction, an object, or something added or deleted, and
    leaves one that holds nothing (the API list's, issue 13's tenth increment) as it is; after any of them the pool
    has every connection back, none of them in a transaction."""
    from sqlalchemy.orm import Session

    from models import Nomination, plain
    from web.db import close_db

    app = make_app()
    nid = nomination(db, demo, unit="HCTP").id
    db.commit()
    closed: list[Session] = []
    original = Session.close

    def spy(self):
        closed.append(self)
        return original(self)

    def ended(use) -> bool:
        closed.clear()
        with app.test_request_context("/api/v1/nominations"):
            session = request_db()
            use(session)
            close_db()
        assert engine.pool.checkedout() == 0
        if engine.dialect.name == "postgresql":
            for record in list(engine.pool._pool.queue):  # noqa: SLF001 - the pool's idle connections
                raw = record.driver_connection
                assert raw.info.transaction_status.name == "IDLE"
        return closed == [session]

    Session.close = spy
    try:
        assert not ended(lambda s: None)  # nothing held: left as it is
        assert ended(lambda s: s.connection())  # a transaction (and its connection)
        assert ended(lambda s: s.get(Nomination, nid))  # an object loaded
        # Objects without a transaction, alive at the request's end (the identity map holds them weakly): made of
        # plain rows (the API detail's, on the reader's connection), added, deleted.
        alive: list = []
        assert ended(lambda s: alive.append(plain.persistent(s, Nomination, {"id": nid})))
        assert ended(lambda s: s.add(CalendarDay(day=DAYS[0], is_working=False, name="x")))
        assert ended(lambda s: s.delete(plain.persistent(s, CalendarDay, {"day": DAYS[1]})))
        assert _days_stored(engine) == 0 and db.get(Nomination, nid) is not None  # nothing written
    finally:
        Session.close = original


def _modes(conn) -> tuple:
    """What a connection runs its statements in: psycopg's autocommit, and the isolation level the server applies."""
    raw = conn.connection.driver_connection
    return raw.autocommit, conn.exec_driver_sql("SHOW transaction_isolation").scalar()


def test_a_pooled_connection_is_in_the_mode_its_engine_asks_for_whoever_used_it_before(engine):
    """The reader's connections keep autocommit when they go back to the pool (`models.base._autocommit_as_asked`:
    no switch at every checkout and return); the one pooled connection, handed in turn to the reader, the writer and
    a connection that sets its own isolation level, is each time in the mode SQLAlchemy's own
    `isolation_level` option gives (compared with it), and a write after a read is one transaction. Fails if the
    reader's mode leaks to the writer (a write would commit statement by statement), or if it is reset at return."""
    _postgres_only(engine)
    url = engine.url.render_as_string(hide_password=False)
    own = make_engine(url, pool_size=1, max_overflow=0)
    try:
        reader = read_only_engine(own)
        library_reader = own.execution_options(isolation_level="AUTOCOMMIT")  # SQLAlchemy's own way, for comparison
        with library_reader.connect() as conn:
            expected_reader = _modes(conn)
            raw = conn.connection.driver_connection
        with own.connect() as conn:
            expected_writer = _modes(conn)
        assert expected_reader == (True, "read committed") and expected_writer == (False, "read committed")
        for _ in range(2):
            with reader.connect() as conn:
                assert conn.connection.driver_connection is raw  # the one pooled connection each time
                assert _modes(conn) == expected_reader
            assert raw.autocommit is True  # kept at return: the next read has nothing to switch
            session = make_session_factory(own)()
            try:
                session.execute(insert(CalendarDay).values(day=DAYS[0], is_working=False, name="a"))
                assert session.connection().connection.driver_connection is raw
                assert raw.autocommit is False
                session.execute(insert(CalendarDay).values(day=DAYS[1], is_working=False, name="b"))
                assert _days_stored(engine) == 0  # not committed statement by statement
                session.rollback()
            finally:
                session.close()
            assert _days_stored(engine) == 0
            with reader.connect() as conn:
                assert _modes(conn) == expected_reader
            with own.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
                assert _modes(conn) == (False, "repeatable read")
            with own.connect() as conn:
                assert _modes(conn) == expected_writer
    finally:
        own.dispose()


def test_a_transaction_begun_on_the_reader_is_rolled_back_when_its_connection_returns(engine):
    """A write on the reader begins a transaction (`_begin_before_writing`); not committed, the pool's reset at return
    rolls it back, so the connection (still in autocommit) comes back idle and nothing is written."""
    _postgres_only(engine)
    own = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
    try:
        reader = read_only_engine(own)
        with reader.connect() as conn:
            raw = conn.connection.driver_connection
            conn.execute(insert(CalendarDay).values(day=DAYS[0], is_working=False, name="a"))
            assert raw.info.transaction_status.name == "INTRANS"
        assert raw.info.transaction_status.name == "IDLE" and raw.autocommit is True
        assert _days_stored(engine) == 0
        with own.connect() as conn:
            assert _modes(conn) == (False, "read committed")
    finally:
        own.dispose()
