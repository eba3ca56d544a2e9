"""Prebuilt SELECTs read as plain tuples, below SQLAlchemy's execution pipeline, for the few reads every request makes.

Issue 13: on PostgreSQL a request's short indexed SELECT costs PostgreSQL ~0.1 ms and psycopg ~0.1 ms of CPU, and
SQLAlchemy ~0.2–0.4 ms more to run it (cache key, execution context, parameter processing, result metadata built from
`cursor.description` — 24 psycopg `Column` objects per statement of the list — and row objects). The statements a
request of every user runs (who is asking, the list's total and rows) are already built once; `PlainSelect` also
compiles them once per dialect and runs them on the session's own DBAPI connection, in the session's transaction,
with psycopg's tuples as rows. What SQLAlchemy did beyond that is kept:

- bind values of the statement's own constants (`'individual'`, a fence's `OFFSET 0`) and the types' bind and result
  processors (`UTCDateTime` hands back aware datetimes on both paths);
- the engine's `before_cursor_execute` / `after_cursor_execute` listeners are told of every statement, with a
  context of their own (`PlainExecution`), so what observes statements (the autocommit reader's BEGIN before a write,
  the tests' statement counts, the benchmark's profiler, Sentry's spans) sees these too; `handle_error` listeners are
  not told (the error is raised as SQLAlchemy's, below);
- the session's pending changes are flushed first (autoflush), as before an ORM query;
- a DBAPI error is raised as SQLAlchemy's (`sqlalchemy.exc.DBAPIError` subclasses: the pages' and the API's
  "database unavailable" handlers catch those), and a connection the server dropped is invalidated, not returned to
  the pool.

Only PostgreSQL (psycopg) takes this path. SQLite, and a statement whose compiled form needs SQLAlchemy at execution
time (an `IN` of values given per execution, a literal rendered per execution), run through `Connection.execute` as
before (an `IN` of the statement's own constants is expanded once): the rows are
the same tuples either way (`tests/platform/test_plain_select.py`)."""
from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select


class _Compiled:
    """One statement compiled for one dialect: its text, the values of its constant binds, and the processors its
    bind and result types need."""

    __slots__ = ("sql", "defaults", "bind_processors", "result_processors")  # result: (column index, processor)

    def __init__(self, sql: str, defaults: dict, bind_processors: dict, result_processors: tuple | None):
        self.sql = sql
        self.defaults = defaults
        self.bind_processors = bind_processors
        self.result_processors = result_processors


class PlainSelect:
    """A Core SELECT built once (at import, or once per shape behind a cache) and run as plain tuples."""

    __slots__ = ("statement", "prepare", "_compiled")

    def __init__(self, statement: Select, *, prepare: bool | None = None):
        """`prepare=False`: never a server-side prepared statement, so PostgreSQL plans it for each execution's values
        (a custom plan). For a statement whose best plan depends on its values (how many rows a scope matches): once
        prepared, PostgreSQL may switch to a generic plan estimated for "any" value. None: psycopg's default
        (prepared from the fifth execution on)."""
        self.statement = statement
        self.prepare = prepare
        # Per dialect object, held weakly: an id() key could be reused by another engine's dialect (SQLite after a
        # PostgreSQL engine is disposed) and hand it the other's compiled text.
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled | None] = weakref.WeakKeyDictionary()

    def _compile(self, dialect: Dialect) -> _Compiled | None:
        try:
            return self._compiled[dialect]
        except KeyError:
            pass
        compiled = self.statement.compile(dialect=dialect)
        plain: _Compiled | None = None
        binds = compiled.binds
        processors = {name: p for name, p in (compiled._bind_processors or {}).items() if p is not None}
        fixed = {name for name, b in binds.items() if not b.required}  # the statement's own values, NULL included
        expanding = [name for name, b in binds.items() if b.expanding]
        needs_sqlalchemy = (compiled.positional or getattr(compiled, "escaped_bind_names", None)
                            or any(b.literal_execute for b in binds.values())
                            # an IN of the request's values is expanded per execution (its length varies)
                            or any(name not in fixed or name in processors for name in expanding))
        if dialect.driver == "psycopg" and not needs_sqlalchemy:
            sql = compiled.string
            defaults = {name: binds[name].effective_value for name in fixed}
            if expanding:  # an IN of the statement's own constants: expanded once, its items bound as constants
                runtime = {name: None for name in binds if name not in fixed}
                state = compiled.construct_expanded_state(runtime)
                sql = state.statement
                defaults = {name: value for name, value in state.parameters.items() if name not in runtime}
            columns = [rc[3] for rc in compiled._result_columns]
            result = tuple((i, p) for i, p in enumerate(t._cached_result_processor(dialect, None) for t in columns)
                           if p is not None)
            plain = _Compiled(sql, defaults, processors, result or None)
        self._compiled[dialect] = plain
        return plain

    def all(self, session: Session | Connection, params: Mapping[str, Any]) -> list[tuple]:
        """The rows, as tuples, in the session's transaction (or its autocommit reader's connection). A caller running
        several statements may pass the session's `connection()` itself: asking the session for it costs more than
        psycopg takes to send a statement."""
        conn = connection(session) if isinstance(session, Session) else session
        plain = self._compile(conn.dialect)
        if plain is None:
            return [tuple(row) for row in conn.execute(self.statement, params)]
        bound = {**plain.defaults, **params}
        for name, process in plain.bind_processors.items():
            if name in bound:
                bound[name] = process(bound[name])
        rows = _run(conn, plain.sql, bound, self.prepare)
        processors = plain.result_processors
        if processors is None:
            return rows
        processed = []
        for row in rows:
            row = list(row)
            for i, process in processors:
                if row[i] is not None:
                    row[i] = process(row[i])
            processed.append(tuple(row))
        return processed

    def one_or_none(self, session: Session | Connection, params: Mapping[str, Any]) -> tuple | None:
        rows = self.all(session, params)
        return rows[0] if rows else None

    def scalar(self, session: Session | Connection, params: Mapping[str, Any]):
        rows = self.all(session, params)
        return rows[0][0] if rows else None


class PlainExecution:
    """What the engine's cursor listeners are handed as the execution context of a plain read, where SQLAlchemy hands
    its ExecutionContext: the attributes listeners read of one, and room for what they keep on it between
    `before_cursor_execute` and `after_cursor_execute` (Sentry's SQLAlchemy integration keeps its span there, and
    failed every plain read when handed None)."""

    compiled = None
    executemany = False
    isinsert = isupdate = isdelete = is_crud = False

    def __init__(self, conn: Connection, cursor, statement: str, parameters: dict):
        self.root_connection = self.connection = conn
        self.dialect, self.engine = conn.dialect, conn.engine
        self.cursor, self.statement, self.parameters = cursor, statement, [parameters]
        self.execution_options = conn.get_execution_options()


def connection(session: Session) -> Connection:
    """The session's connection, after the flush an ORM query would have made first (autoflush): a PlainSelect sees
    what the session has added or changed, as `session.execute` would."""
    session._autoflush()
    return session.connection()


def _run(conn: Connection, sql: str, params: dict, prepare: bool | None = None) -> list[tuple]:
    fairy = conn.connection
    raw = fairy.driver_connection
    dispatch = conn.dispatch
    observed = conn._has_events or conn.engine._has_events
    cursor = raw.cursor()
    try:
        if observed:
            context = PlainExecution(conn, cursor, sql, params)
            dispatch.before_cursor_execute(conn, cursor, sql, params, context, False)
        cursor.execute(sql, params, prepare=prepare)
        rows = cursor.fetchall()
        if observed:
            dispatch.after_cursor_execute(conn, cursor, sql, params, context, False)
        return rows
    except conn.dialect.loaded_dbapi.Error as err:
        disconnected = conn.dialect.is_disconnect(err, raw, cursor)
        if disconnected and not conn.invalidated:
            conn.invalidate(err)
        raise exc.DBAPIError.instance(sql, params, err, conn.dialect.loaded_dbapi.Error,
                                      connection_invalidated=disconnected, dialect=conn.dialect) from err
    finally:
        cursor.close()
