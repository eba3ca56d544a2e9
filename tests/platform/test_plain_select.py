"""`models.plain.PlainSelect` (issue 13, fourth increment): prebuilt SELECTs run on the session's DBAPI connection on
PostgreSQL. What a caller relies on is that nothing differs from running the same statement through SQLAlchemy: the
same rows (aware datetimes included), the statement's own constants bound, the same transaction, the engine's
listeners told, and SQLAlchemy's exceptions (the pages' "database unavailable" handler catches those)."""
from __future__ import annotations

import datetime as dt

import factories
import pytest
from sqlalchemy import BigInteger, Integer, bindparam, event, exc, func, literal_column, select, text

from models import Nomination, Unit, plain
from models.plain import PlainSelect
from workflow.nominations import queries


def _rows_as_sqlalchemy_reads_them(db, statement, params):
    return [tuple(r) for r in db.connection().execute(statement, params)]


def test_rows_are_those_sqlalchemy_reads(db, demo):
    for i, unit in enumerate(("VP", "TTR", "HCTP")):
        factories.nomination(db, demo, unit=unit, state="registered", title=f"Hồ sơ <{i}> 'x' %s")
    stmt = (select(Nomination.id, Nomination.title, Nomination.created_at, Unit.name, Nomination.subject_person_id)
            .join(Unit, Unit.id == Nomination.unit_id)
            .where((Nomination.subject_type == "collective") | (Nomination.subject_type == "individual"),
                   Nomination.state == "registered", Nomination.id > bindparam("above", type_=Integer))
            .order_by(Nomination.id.desc()).limit(10))
    plain = PlainSelect(stmt)
    dialect = db.get_bind().dialect
    assert (plain._compile(dialect) is not None) == (dialect.driver == "psycopg")  # the plain path on PostgreSQL
    rows = plain.all(db, {"above": 0})
    assert rows and rows == _rows_as_sqlalchemy_reads_them(db, stmt, {"above": 0})
    assert all(isinstance(r, tuple) for r in rows)
    created = rows[0][2]
    assert isinstance(created, dt.datetime) and created.tzinfo is dt.UTC  # UTCDateTime's result processor ran
    assert any("%s" in r[1] for r in rows)  # a value holding the driver's placeholder text is only a value
    assert plain.all(db, {"above": 10**9}) == []
    assert plain.scalar(db, {"above": 0}) == rows[0][0]
    assert plain.one_or_none(db, {"above": 10**9}) is None


def test_the_list_reads_what_the_statements_read_through_sqlalchemy(db, demo):
    """The list's own statements (the total with the page's ids, the rows by ids), bound as `list_nominations` binds
    them."""
    for i, unit in enumerate(("VP", "TTR", "PBGDPL", "HCTP")):
        factories.nomination(db, demo, unit=unit, state="registered", title=f"Hồ sơ {i}")
    actor = demo.actor("vanphong")
    shape, params = queries._bound_conditions(actor)
    bound = {**params, "limit": 3, "offset": 1, "reach": 4}
    for cursor in (False, True):
        for with_rows in (False, True):  # the page's ids, or the page's rows beside them (issue 13, seventh increment)
            page = queries._page_statement(shape, cursor=cursor, rows=with_rows)
            at = {**bound, "before_id": 10**9} if cursor else bound
            assert page.all(db, at) == _rows_as_sqlalchemy_reads_them(db, page.statement, at)
    rows = queries._page_statement(shape, cursor=False).all(db, bound)
    chosen = [r[1] for r in rows]
    assert len(chosen) == 3 and rows[0][0] >= 4
    by_ids = queries._rows_by_ids(db.get_bind().dialect.name)
    assert by_ids.all(db, {"ids": chosen}) == _rows_as_sqlalchemy_reads_them(db, by_ids.statement, {"ids": chosen})
    joined = queries._page_statement(shape, cursor=False, rows=True).all(db, bound)
    assert [r[1:] for r in joined] == by_ids.all(db, {"ids": chosen})  # the same rows either way
    empty = queries._page_statement(shape, cursor=False, rows=True).all(db, {**bound, "offset": 10**6})
    assert len(empty) == 1 and empty[0][0] == rows[0][0] and set(empty[0][1:]) == {None}  # the total alone


def test_it_reads_inside_the_sessions_transaction(db, demo):
    """A row the session wrote and has not committed is seen: the same connection, the same transaction."""
    n = factories.nomination(db, demo, unit="HCTP", state="registered", title="Chưa ghi hẳn")
    db.flush()
    plain = PlainSelect(select(Nomination.title).where(Nomination.id == bindparam("id")))
    assert plain.scalar(db, {"id": n.id}) == "Chưa ghi hẳn"


def test_the_engines_listeners_are_told(db, engine):
    seen = []

    def listen(_conn, _cursor, statement, parameters, _context, _many):
        if not statement.startswith("SAVEPOINT"):  # the test's own transaction
            seen.append(statement)

    plain = PlainSelect(select(func.count()).select_from(Nomination).where(Nomination.id > bindparam("above")))
    event.listen(engine, "before_cursor_execute", listen)
    try:
        plain.scalar(db, {"above": 5})
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert len(seen) == 1 and "count(*)" in seen[0].lower()


def test_errors_are_sqlalchemys(db):
    """A statement the server refuses raises SQLAlchemy's exception class, as `Connection.execute` would (the
    pages' and the API's handlers map `sqlalchemy.exc` errors), and the session can go on after its rollback."""
    plain = PlainSelect(select(literal_column("1")).select_from(text("no_such_table"))
                        .where(literal_column("1") == bindparam("one", type_=Integer)))
    with pytest.raises(exc.DBAPIError) as raised:
        plain.all(db, {"one": 1})
    assert isinstance(raised.value, exc.ProgrammingError | exc.OperationalError)
    assert "no_such_table" in str(raised.value)
    db.rollback()
    assert PlainSelect(select(literal_column("2"))).scalar(db, {}) == 2


def test_only_psycopg_takes_the_plain_path(db):
    """SQLite, and statements whose compiled form needs SQLAlchemy at execution (an expanding IN), go through
    `Connection.execute`; the psycopg path holds the compiled text."""
    dialect = db.get_bind().dialect
    expanding = PlainSelect(select(Nomination.id).where(Nomination.state.in_(bindparam("s", expanding=True))))
    assert expanding._compile(dialect) is None
    plain = PlainSelect(select(Nomination.id).where(Nomination.id == bindparam("id")))
    compiled = plain._compile(dialect)
    assert (compiled is not None) == (dialect.driver == "psycopg")
    assert expanding.all(db, {"s": ["registered"]}) == _rows_as_sqlalchemy_reads_them(
        db, expanding.statement, {"s": ["registered"]})


def test_a_detail_reads_its_parts_as_sqlalchemy_reads_them(db, demo):
    """`load_parts`' union (history with its JSON data and people, criteria, check-ins, attachments) and the rules'
    discipline look-up, read plainly, equal what SQLAlchemy reads."""
    from workflow.nominations import rules

    n = factories.nomination(db, demo, unit="HCTP", state="nurtured", title="Có lịch sử")
    db.flush()
    stmt = queries._PARTS_PLAIN
    rows = stmt.all(db, {"nid": n.id})
    assert rows and rows == _rows_as_sqlalchemy_reads_them(db, stmt.statement, {"nid": n.id})
    assert any(r[0] == queries._HISTORY for r in rows)
    found = rules._DISCIPLINED_IN_UNIT
    params = {"unit_id": n.unit_id, "start": dt.date(2000, 1, 1), "end": dt.date(2100, 1, 1)}
    assert found.all(db, params) == _rows_as_sqlalchemy_reads_them(db, found.statement, params)


def test_pending_changes_are_flushed_first(db, demo):
    """As before an ORM query (autoflush): what the session added is seen without an explicit flush."""
    n = factories.nomination(db, demo, unit="HCTP", state="registered", title="Cũ")
    db.flush()
    n.title = "Mới, chưa flush"
    plain = PlainSelect(select(Nomination.title).where(Nomination.id == bindparam("id")))
    assert plain.scalar(db, {"id": n.id}) == "Mới, chưa flush"


def test_an_in_of_the_statements_own_constants_is_expanded_once(db, demo):
    """`IN ('division', 'district_office')` written in the statement: the plain path expands it when compiling (its
    length never changes); the rows are SQLAlchemy's."""
    stmt = (select(Unit.id, Unit.name).where(Unit.kind.in_(["division", "district_office"]),
                                             Unit.id > bindparam("above", type_=Integer)).order_by(Unit.id))
    plain = PlainSelect(stmt)
    dialect = db.get_bind().dialect
    compiled = plain._compile(dialect)
    assert (compiled is not None) == (dialect.driver == "psycopg")
    if compiled is not None:
        assert "POSTCOMPILE" not in compiled.sql
    rows = plain.all(db, {"above": 0})
    assert rows and rows == _rows_as_sqlalchemy_reads_them(db, stmt, {"above": 0})


def test_listeners_keep_what_they_need_on_the_context(db, engine):
    """Sentry's SQLAlchemy integration (installed process-wide once SENTRY_DSN is set) keeps its span on the
    execution context between the two events: a plain read hands listeners a context they can write to and read back,
    as `Connection.execute` does (handed None, every plain read failed with AttributeError)."""
    kept = []

    def before(_conn, _cursor, _statement, _parameters, context, _many):
        context._span_of_a_listener = "span"

    def after(_conn, _cursor, _statement, _parameters, context, _many):
        kept.append(getattr(context, "_span_of_a_listener", None))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        assert PlainSelect(select(literal_column("3"))).scalar(db, {}) == 3
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    assert kept and set(kept) == {"span"}


def test_a_connection_keeps_a_cursor_per_plain_statement(engine):
    """Issue 13, sixth increment: plain statements reuse their DBAPI connection's cursor for their text (creating and
    closing one per statement, and psycopg's transformer made anew for every execution, were ~40% of a short
    statement's client CPU). The rows are the same statement after statement, after a statement the server refused,
    and on the new DBAPI connection that replaces an invalidated one; the least recently used cursor beyond
    `CURSORS_KEPT` is closed."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the plain path is psycopg's")
    cursors = []

    def listen(_conn, cursor, *_args):
        cursors.append(cursor)

    by_id = PlainSelect(select(bindparam("id", type_=BigInteger), func.upper(bindparam("word"))))
    count = PlainSelect(select(func.count()).select_from(Nomination))
    failing = PlainSelect(select(literal_column("1")).select_from(text("no_such_table")))
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with engine.connect() as conn:
            total = count.scalar(conn, {})
            ids = [7, 70000, 7_000_000_000]  # a small, a larger and a bigint value through the same cursor
            expected = {i: [(i, f"W{i}")] for i in ids}
            cursors.clear()
            for i in ids + ids:
                assert by_id.all(conn, {"id": i, "word": f"w{i}"}) == expected[i] and count.scalar(conn, {}) == total
            by_id_cursor, count_cursor = cursors[0], cursors[1]
            assert by_id_cursor is not count_cursor  # one per text
            assert cursors[::2] == [by_id_cursor] * 6 and cursors[1::2] == [count_cursor] * 6  # each reused
            conn.begin()  # the plain statements ran in psycopg's transaction, which SQLAlchemy's rollback ends
            with pytest.raises(exc.DBAPIError):
                failing.all(conn, {})
            conn.rollback()
            assert by_id.all(conn, {"id": ids[0], "word": f"w{ids[0]}"}) == expected[ids[0]]
            assert cursors[-1] is by_id_cursor and not by_id_cursor.closed
            for n in range(plain.CURSORS_KEPT):  # as many other texts: the oldest kept cursors are closed
                assert PlainSelect(select(literal_column(str(n)))).scalar(conn, {}) == n
            assert by_id_cursor.closed and count_cursor.closed
            assert by_id.all(conn, {"id": ids[0], "word": f"w{ids[0]}"}) == expected[ids[0]]
            assert cursors[-1] is not by_id_cursor
            old_raw, old_cursor = conn.connection.driver_connection, cursors[-1]
            conn.invalidate()  # the DBAPI connection closed: the pool record's info (and its cursors) go with it
            # a new DBAPI connection, its own cursor
            assert by_id.all(conn, {"id": ids[1], "word": f"w{ids[1]}"}) == expected[ids[1]]
            assert conn.connection.driver_connection is not old_raw and cursors[-1] is not old_cursor
            assert cursors[-1].connection is conn.connection.driver_connection
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _sent(engine, run) -> list[tuple[str, object]]:
    """The statements `run` sends, as the driver receives them (text, parameters)."""
    seen = []

    def listen(_conn, _cursor, statement, parameters, _context, _many):
        if not statement.startswith(("SAVEPOINT", "RELEASE")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return seen


def test_inline_writes_integers_and_words_into_the_text_and_nothing_else(db, demo, engine):
    """`inline=True`: integers and plain words are written into the text (one text per request, which psycopg
    prepares and PostgreSQL plans once for its values); anything else — a quote, a percent sign, a space, a bool, a
    date — stays a parameter, so a value can never become SQL."""
    factories.nomination(db, demo, unit="VP", state="registered", title="Hồ sơ 'một'; DROP TABLE nominations; --")
    stmt = (select(Nomination.id, Nomination.title)
            .where(Nomination.state == bindparam("state"), Nomination.id > bindparam("above", type_=Integer),
                   Nomination.title != bindparam("title"), Nomination.subject_type == "collective")
            .order_by(Nomination.id.desc()).limit(bindparam("limit", type_=Integer)))
    inline, plain = PlainSelect(stmt, inline=True), PlainSelect(stmt)
    hostile = ("x' OR '1'='1", "a%s", "50%", "two words", "dấu", "")
    for title in hostile:
        params = {"state": "registered", "above": 0, "title": title, "limit": 5}
        rows = inline.all(db, params)
        assert rows and rows == plain.all(db, params) == _rows_as_sqlalchemy_reads_them(db, stmt, params)
    if db.get_bind().dialect.driver != "psycopg":
        return  # elsewhere the statement runs through SQLAlchemy, its values bound as always
    for title in hostile:
        [(sql, params)] = _sent(engine, lambda t=title: inline.all(
            db, {"state": "registered", "above": 7, "title": t, "limit": 5}))
        assert "'registered'" in sql and "> 7" in sql and "'collective'" in sql and "LIMIT 5" in sql
        if title == "":
            assert params == {} and "!= ''" in sql  # an empty word is a word
        else:
            assert params == {"title": title} and title not in sql  # the value is sent apart, never as text
    [(sql, params)] = _sent(engine, lambda: inline.all(db, {"state": "registered", "above": True, "title": "t",
                                                              "limit": 5}))
    assert params == {"above": True}  # a bool is not written as an integer


def test_a_repeated_list_is_run_prepared_without_planning_it_again(app, db, demo):
    """The list's page statement of the same request sends the same text, without parameters, which psycopg prepares
    on its fifth execution: from then on PostgreSQL runs it with its cached plan (`pg_prepared_statements` counts
    the plans it made and reused)."""
    if db.get_bind().dialect.driver != "psycopg":
        pytest.skip("server-side prepared statements: PostgreSQL")
    factories.nomination(db, demo, unit="VP", state="registered", title="Hồ sơ")
    actor = demo.actor("vanphong")
    for _ in range(8):
        page = queries.list_nominations(db, actor)
    assert page.total >= 1
    prepared = db.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'SELECT counted.total%'"
    )).all()
    assert len(prepared) == 1
    generic, custom = prepared[0]
    assert generic >= 3 and custom == 0  # one plan, made once and reused: no parameters to plan it for


def test_a_search_is_planned_for_its_words_every_time(app, db, demo):
    """A search's words stay parameters, and its text is never prepared: PostgreSQL's generic plan of a pattern it
    does not know cannot use the trigram index (it read every row)."""
    if db.get_bind().dialect.driver != "psycopg":
        pytest.skip("server-side prepared statements: PostgreSQL")
    n = factories.nomination(db, demo, unit="VP", state="registered", title="Gương sáng")
    n.search_text = "guong sang"
    db.flush()
    actor = demo.actor("vanphong")
    for _ in range(8):
        assert queries.list_nominations(db, actor, q="guong").total == 1
    assert db.execute(text(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT counted.total%'")).scalar() == 0


def test_a_text_is_converted_to_postgresqls_placeholders_as_psycopg_converts_it():
    """Issue 13, seventh increment: a prebuilt statement's `%(name)s` text is turned into PostgreSQL's `$n` once
    (`plain._positional`), not by psycopg on every execution (which keeps its conversion only for texts up to 4 kB:
    the API transition's step statement is longer). The conversion is psycopg's own: a name used twice is one
    parameter, `%%` is a literal `%`, other text is left alone."""
    from psycopg._queries import _query2pg_nocache  # psycopg's own conversion, the reference

    for sql in ("SELECT 1",
                "SELECT %(a)s::INTEGER, %(b)s, %(a)s WHERE x LIKE 'a%%' || %(c)s AND y = '$1'",
                "SELECT %(x_1)s, %(x_10)s, %(x_1)s %% 2"):
        converted, order = plain._positional(sql)
        expected, _formats, expected_order, _parts = _query2pg_nocache(sql.encode(), "utf-8")
        assert converted == expected
        assert list(order) == (expected_order or [])

