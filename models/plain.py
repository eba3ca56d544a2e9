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
time (an `IN` of values given per execution, a literal rendered per execution, a numeric column, whose result
processor depends on the driver's type code), run through `Connection.execute` as before (an `IN` of the statement's
own constants is expanded once): the rows are the same tuples either way (`tests/platform/test_plain_select.py`).

`PlainLoad` and `persistent` make the session's persistent ORM objects of such rows, as the ORM's load makes them
(`tests/platform/test_plain_load.py`)."""
from __future__ import annotations

import functools
import re
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from psycopg import RawCursor
from sqlalchemy import Numeric, Table, and_, cast, exc, exists, inspect, literal_column, null, select, union_all
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import MANYTOONE, Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import CompoundSelect


class _Compiled:
    """One statement compiled for one dialect: its text, the values of its constant binds, and the processors its
    bind and result types need."""

    # result_processors: (column index, processor) pairs
    __slots__ = ("sql", "defaults", "bind_processors", "result_processors", "pieces", "positional")

    def __init__(self, sql: str, defaults: dict, bind_processors: dict, result_processors: tuple | None,
                 pieces: tuple | None = None):
        self.sql = sql
        self.defaults = defaults
        self.bind_processors = bind_processors
        self.result_processors = result_processors
        self.pieces = pieces  # `inline`: the text split at its placeholders, (text, name, text, name, ..., text)
        # Not inline: the text in PostgreSQL's own placeholders, converted once (see `_positional`).
        self.positional = None if pieces is not None else _positional(sql)


def _positional(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """A compiled text's `%(name)s` placeholders as PostgreSQL's `$1, $2 …` (a name used twice is one parameter),
    `%%` as `%`, encoded once, and the names in their parameters' order: what psycopg's query conversion makes of it,
    made once per statement instead of once per execution. psycopg converts a text on every execution and keeps the
    result only for texts of at most 4,096 bytes (`psycopg._queries.MAX_CACHED_STATEMENT_LENGTH`): the API
    transition's step statement (4.5 kB) was split by its regular expression on every request, ~60 µs of CPU, more
    than the statement's own execution on the client (issue 13). Run by psycopg's `RawCursor` (`_run`)."""
    pieces = _PLACEHOLDER.split(sql)
    names: list[str] = []
    chunks = []
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            chunks.append(piece.replace("%%", "%"))
        else:
            if piece not in names:
                names.append(piece)
            chunks.append(f"${names.index(piece) + 1}")
    return "".join(chunks).encode(), tuple(names)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_WORD = re.compile(r"[A-Za-z0-9_]*")


def _literal(value) -> str | None:
    """A value as an SQL literal, for the values `inline` writes into a statement's text: an integer, or a word of
    letters, digits and underscores (a state's name, the statement's own constants such as `'individual'`), which need
    no escaping. None for anything else: it stays a parameter."""
    kind = type(value)
    if kind is int:  # not bool (an int subclass that a boolean column must receive as such)
        return str(value)
    if kind is str and _WORD.fullmatch(value):
        return f"'{value}'"
    return None


def inlinable(value) -> bool:
    """Whether `PlainSelect(inline=True)` writes this value into a statement's text (else it stays a parameter)."""
    return _literal(value) is not None


class PlainSelect:
    """A Core SELECT built once (at import, or once per shape behind a cache) and run as plain tuples."""

    __slots__ = ("statement", "prepare", "inline", "_compiled")

    def __init__(self, statement: Select, *, prepare: bool | None = None, inline: bool = False):
        """`prepare=False`: never a server-side prepared statement, so PostgreSQL plans it for each execution's values
        (a custom plan). For a statement whose best plan depends on its values (how many rows a scope matches): once
        prepared, PostgreSQL may switch to a generic plan estimated for "any" value. None: psycopg's default
        (prepared from the fifth execution on).

        `inline=True` (PostgreSQL): the execution's integers and plain words are written into the statement's text
        (`_literal`), the other values stay parameters. Such a statement's best plan depends on its values, and
        planning it costs more than running it: the nominations list's page statement is planned in ~0.3–0.8 ms of
        the server's CPU and runs in ~0.1. Written out, the same request sends the same text (a secretariat's first
        page, a unit head's), which psycopg prepares on its fifth execution on a connection; a prepared statement
        without parameters has one plan, made for its own values, and PostgreSQL keeps it: the statement is then run
        without parsing or planning it. A text seen fewer times (a deep page, a rare filter) costs what it cost
        before. psycopg keeps at most `prepared_max` (100) statements prepared per connection, the least recently
        used deallocated first. A text that still has parameters (a search's words) is run with `prepare`."""
        self.statement = statement
        self.prepare = prepare
        self.inline = inline
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
        columns = [rc[3] for rc in compiled._result_columns]
        needs_sqlalchemy = (compiled.positional or getattr(compiled, "escaped_bind_names", None)
                            or any(b.literal_execute for b in binds.values())
                            # a numeric column's result processor depends on the driver's type code of the column
                            or any(isinstance(t, Numeric) for t in columns)
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
            result = tuple((i, p) for i, p in enumerate(t._cached_result_processor(dialect, None) for t in columns)
                           if p is not None)
            pieces = tuple(_PLACEHOLDER.split(sql)) if self.inline else None
            plain = _Compiled(sql, defaults, processors, result or None, pieces)
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
        if plain.pieces is None:
            rows = _run(conn, plain.sql, bound, self.prepare, positional=plain.positional)
        else:
            sql, left = _inlined(plain.pieces, bound)
            rows = _run(conn, sql, left, self.prepare if left else None, kept=False)  # a text per execution
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


def _inlined(pieces: tuple, bound: dict) -> tuple[str, dict]:
    """`pieces` (a text split at its `%(name)s` placeholders) joined again with the values `_literal` writes out, and
    the parameters left. With none left, the text is prepared by psycopg's rule (`prepare` None), see `inline`."""
    text, params = [pieces[0]], {}
    for i in range(1, len(pieces), 2):
        name = pieces[i]
        value = bound[name]
        literal = _literal(value)
        if literal is None:
            params[name] = value
            text.append(f"%({name})s")
        else:
            text.append(literal)
        text.append(pieces[i + 1])
    return "".join(text), params


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


READS = "dienhinh.plain.reads"  # Session.info: the connection its plain reads run on while it has no transaction


def connection(session: Session | Connection) -> Connection:
    """The session's connection, after the flush an ORM query would have made first (autoflush): a PlainSelect sees
    what the session has added or changed, as `session.execute` would. A Connection is its own (a read without a
    session: `web.db.reads`).

    A session lent a reader's connection (`info[READS]`: `web.db.reads`, the autocommit reader's connection of a
    request that only reads) runs its plain reads there as long as it has no transaction and nothing to flush: each
    such read is a statement in autocommit, as it would be on the session's own autocommit connection, without the
    session's connection (a second checkout, its transaction's bookkeeping). Once the session connects (an ORM load,
    a unit of work's `begin_transaction`) or holds changes, its reads are its own again."""
    if not isinstance(session, Session):
        return session
    lent = session.info.get(READS)
    if lent is not None and not session.in_transaction() and session._is_clean():
        return lent
    session._autoflush()
    return session.connection()


def execute(conn: Connection, sql: str, params: dict) -> list[tuple]:
    """Driver SQL (psycopg's `%(name)s` parameters, values already as the driver takes them) on `conn`, its rows as
    tuples: `Connection.exec_driver_sql` without SQLAlchemy's execution context and result (~0.1 ms of CPU per
    statement, as much as psycopg's own work), the engine's listeners told and errors raised as SQLAlchemy's as for a
    PlainSelect. PostgreSQL only (the audit append's statements; `PlainSelect` for built statements)."""
    return _run(conn, sql, params)


_CURSORS = "dienhinh.plain_cursors"
_RAW_CURSOR = RawCursor  # runs a text in `$n` placeholders with its parameters in order: no conversion
CURSORS_KEPT = 32  # per DBAPI connection: more than the distinct plain statements a request runs


def _cursor(fairy, raw, sql: str | bytes | None, factory=None):
    """The DBAPI connection's own psycopg cursor for this statement text (None: the one for texts made per execution,
    `PlainSelect(inline=True)`), made once and kept in the connection's pool record `info` (which lives as long as the
    DBAPI connection: cleared when it is closed or invalidated).

    Issue 13: a cursor created and closed around every statement cost ~15 µs of the ~60 µs a short statement's client
    side takes, and a cursor that runs the same text object again keeps its transformer (the parameters' dumpers, the
    result columns' loaders), which psycopg otherwise builds anew for every execution: ~10 µs more per statement. The
    texts are the prebuilt statements' own (`_Compiled.sql`) and driver SQL constants, so they are few; the least
    recently used beyond `CURSORS_KEPT` is closed (a cursor holds its last result until it runs again). A cursor
    belongs to one DBAPI connection, which one thread uses at a time (the pool's checkout); a map of another
    connection (the record reconnected) or a closed cursor is replaced."""
    info = fairy.info
    kept = info.get(_CURSORS)
    if kept is None or kept[0] is not raw:
        kept = info[_CURSORS] = (raw, OrderedDict())
    cursors = kept[1]
    cursor = cursors.get(sql)
    if cursor is None or cursor.closed:
        cursor = cursors[sql] = raw.cursor() if factory is None else factory(raw)
        if len(cursors) > CURSORS_KEPT:
            cursors.popitem(last=False)[1].close()
    else:
        cursors.move_to_end(sql)
    return cursor


def _run(conn: Connection, sql: str, params: dict, prepare: bool | None = None, *, kept: bool = True,
         positional: tuple[bytes, tuple[str, ...]] | None = None) -> list[tuple]:
    """`sql` with `params` on the connection's kept cursor for that text; with `positional` (`_positional(sql)`) the
    converted text and its parameters in order run on a `RawCursor` (the listeners still see `sql` and `params`)."""
    fairy = conn.connection
    raw = fairy.driver_connection
    dispatch = conn.dispatch
    observed = conn._has_events or conn.engine._has_events
    if positional is None:
        cursor = _cursor(fairy, raw, sql if kept else None)
    else:  # kept by its converted text (bytes): never a cursor of the same text's %(name)s form
        cursor = _cursor(fairy, raw, positional[0], _RAW_CURSOR)
    try:
        if observed:
            context = PlainExecution(conn, cursor, sql, params)
            dispatch.before_cursor_execute(conn, cursor, sql, params, context, False)
        if positional is None:
            cursor.execute(sql, params, prepare=prepare)
        else:
            cursor.execute(positional[0], [params[name] for name in positional[1]], prepare=prepare)
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


# ------------------------------------------------------------------------------------------------ objects
class PlainLoad:
    """One mapped object by a prebuilt SELECT of its table, with many-to-one parents joined (`parents`: relationship
    names), read through `PlainSelect` and made into persistent objects of the session as the ORM's load of
    `select(model).options(joinedload(parent), ...)` makes them.

    Issue 13: every detail and every change opens its nomination through `policy.load`, and the ORM's load of a row
    with its three parents (59 columns) was a quarter of the API detail's CPU: psycopg's `Column` per column of
    `cursor.description`, SQLAlchemy's result metadata, its row processors built per execution, the loading context.
    What the ORM's load leaves is kept, and `tests/platform/test_plain_load.py` compares it with the ORM's:

    - the objects are persistent in the session's identity map, with every column loaded and committed, the parents
      set on their relationships (None for a NULL key) and every other relationship left to its lazy load;
    - a parent already in the session is the one used: its unloaded attributes filled from the row, or with
      `refresh` (the lock's `populate_existing`) all of them overwritten and its relationships reset, as the ORM does;
    - the session's pending changes are flushed first (autoflush).

    The object itself already in the session (`usable` is False), a class with load listeners, or a mapping this does
    not know (`simple` is False: inheritance, expressions or deferred columns, eager relationships, a composite key)
    go through the ORM's load, which the caller keeps beside this."""

    __slots__ = ("_plain", "_entities", "_cls", "_beside")

    def __init__(self, model, where, *, parents: tuple[str, ...] = (), lock: bool | str = False,
                 beside: Select | CompoundSelect | None = None, beside_order: tuple[str, ...] = ()):
        """`beside`: a SELECT of other rows read in the same statement, after the object's row, and only when the
        object's row is read (`one_beside`), ordered by its columns named in `beside_order`."""
        mapper = inspect(model)
        table = mapper.local_table
        entities = [_Entity(mapper, table, None, 0)]
        source = table
        for name in parents:
            prop = mapper.relationships[name]
            if prop.direction is not MANYTOONE or prop.secondary is not None:
                raise ValueError(f"{name}: not a many-to-one relationship")
            alias = prop.mapper.local_table.alias(f"{table.name}_{name}")
            on = and_(*(alias.corresponding_column(remote) == local for local, remote in prop.local_remote_pairs))
            source = source.join(alias, on, isouter=not inner_join(prop))
            entities.append(_Entity(prop.mapper, alias, name, sum(len(e.keys) for e in entities)))
        stmt = select(*(c for e in entities for c in e.columns)).select_from(source).where(where)
        if lock:
            stmt = stmt.with_for_update(read=lock == "share", of=table)
        self._beside = beside is not None
        if beside is not None:
            if lock:
                raise ValueError("a locked load reads nothing beside its row")
            stmt = _with_beside(stmt, beside, beside_order)
        self._plain = PlainSelect(stmt)
        self._entities = tuple(entities)
        self._cls = mapper.class_

    @staticmethod
    def simple(model, parents: tuple[str, ...] = ()) -> bool:
        """Whether this object and these parents can be built from plain rows exactly as the ORM loads them."""
        mapper = inspect(model)
        mappers = [mapper] + [mapper.relationships[name].mapper for name in parents if name in mapper.relationships]
        return len(mappers) == len(parents) + 1 and all(_simple_mapper(m) for m in mappers)

    def usable(self, session: Session, object_id) -> bool:
        """False when the ORM's load must do it: the object is in the session already (the ORM's rules for a row of an
        object it holds — kept as it is, refreshed, its eager attributes filled — stay the ORM's), or a class listens
        to its loads."""
        return ((self._cls, (object_id,), None) not in session.identity_map
                and not session.dispatch.loaded_as_persistent
                and not any(e.manager.dispatch.load for e in self._entities))

    HELD = object()  # `one_or_none`'s answer when the ORM's load must read the object (`usable` is False)

    def one_or_none(self, session: Session, params: Mapping[str, Any], object_id, *, refresh: bool = False):
        """The object `object_id` of the statement's first row (None without a row), its parents set, all persistent
        in `session`; `HELD` when the ORM's load must do it (`usable`, asked once the session's pending changes are
        flushed, as they are before the ORM's load: a flush may put the object in the session). `refresh`: the
        parents already in the session are overwritten from the row (`populate_existing`, which a lock asks for)."""
        conn = connection(session)
        if not self.usable(session, object_id):
            return self.HELD
        if self._beside:
            raise TypeError("a load with rows beside its own is read by `one_beside`")
        return self._object(session, self._plain.one_or_none(conn, params), refresh)

    def one_beside(self, session: Session, params: Mapping[str, Any], object_id) -> tuple[Any, list[tuple]]:
        """`one_or_none` of a load with `beside` rows: (the object or None, the rows of `beside`, each as its own
        columns), both of one statement, so of one snapshot; no `beside` rows without the object's. (`HELD`, []) when
        the ORM's load must read the object: the caller then reads the rows beside it on its own."""
        conn = connection(session)
        if not self.usable(session, object_id):
            return self.HELD, []
        rows = self._plain.all(conn, params)
        if not rows:
            return None, []
        width = 1 + self._entities[-1].end
        return self._object(session, rows[0][1:width], False), [r[width:] for r in rows[1:]]

    def _object(self, session: Session, row, refresh: bool):
        if row is None:
            return None
        identity = session.identity_map
        main, *parents = self._entities
        obj, state = main.new(session, identity, row)
        dict_ = state.dict
        for e in parents:
            dict_[e.name] = e.get(session, identity, row, refresh)
        return obj


def _with_beside(stmt: Select, beside: Select | CompoundSelect, order: tuple[str, ...]) -> CompoundSelect:
    """`stmt` (one row) and the rows of `beside` in one statement: `stmt`'s row first, then `beside`'s ordered by
    `order`, and these only if `stmt` has its row (`EXISTS`: nothing is read beside a row the scope refuses). One
    column set: a leading 0 or 1 (which of the two), `stmt`'s columns, `beside`'s; each row's other columns are NULLs
    cast to their column's type (PostgreSQL types a UNION's columns pairwise, and two bare NULLs make text)."""
    target = stmt.with_only_columns(*(c.label(f"c{i}") for i, c in enumerate(stmt.selected_columns))).cte("target")
    rows = beside.subquery("beside")
    own = [c for c in target.c]
    other = [c for c in rows.c]
    first = select(literal_column("0").label("beside_"), *own, *(cast(null(), c.type).label(c.name) for c in other))
    second = (select(literal_column("1"), *(cast(null(), c.type) for c in own), *other)
              .where(exists(select(literal_column("1")).select_from(target))))
    return union_all(first, second).order_by(literal_column("beside_"), *(literal_column(name) for name in order))


class _Entity:
    """One mapped class's columns in a PlainLoad's row: where they start, their attribute keys, how to build it."""

    __slots__ = ("mapper", "manager", "name", "keys", "columns", "start", "end", "pk", "cls", "lazy")

    def __init__(self, mapper, selectable, name: str | None, start: int):
        self.mapper, self.manager, self.name, self.cls = mapper, mapper.class_manager, name, mapper.class_
        props = list(mapper.column_attrs)
        self.keys = tuple(p.key for p in props)
        self.columns = tuple(selectable.corresponding_column(p.columns[0]) for p in props)
        self.start, self.end = start, start + len(props)
        self.pk = start + props.index(mapper.get_property_by_column(mapper.primary_key[0]))
        self.lazy = tuple(r.key for r in mapper.relationships)  # all lazy ("select"): `_simple_mapper`

    def new(self, session: Session, identity, row):
        """A new persistent object of this row, as `loading._instance` makes one: attached to the session's identity
        map, its columns loaded (and nothing pending to write)."""
        return _attached(session, identity, self.manager, (self.cls, (row[self.pk],), None),
                         zip(self.keys, row[self.start:self.end], strict=True))

    def get(self, session: Session, identity, row, refresh: bool):
        """The row's object of this class: None for a NULL key (an outer join's missing parent), the session's own
        if it holds one — its unloaded attributes filled from the row, or all of them with `refresh` — else new."""
        pk = row[self.pk]
        if pk is None:
            return None
        present = identity.get((self.cls, (pk,), None))
        if present is None:
            return self.new(session, identity, row)[0]
        state = instance_state(present)
        dict_ = state.dict
        values = zip(self.keys, row[self.start:self.end], strict=True)
        if refresh:  # `_populate_full` under populate_existing: every column, lazy relationships reset, committed
            dict_.update(values)
            for key in self.lazy:
                state._reset(dict_, key)
            state._commit_all(dict_, identity)
        else:  # `_populate_partial`: only what is not loaded (expired after a commit, say)
            unloaded = state.unloaded
            dict_.update((k, v) for k, v in values if k in unloaded)
            state._commit(dict_, unloaded)
        return present


def inner_join(prop) -> bool:
    """Whether a many-to-one parent is joined to its child with an inner join: its key is never NULL. PlainLoad's
    statement and the ORM's load of the same object (`joinedload(innerjoin=…)`, `policy.load`) both ask here, so both
    read the same rows."""
    return all(not local.nullable for local, _ in prop.local_remote_pairs)


def _simple_mapper(mapper, *, composite: bool = False) -> bool:
    """A class whose ORM load is its table's columns, each into its attribute, and nothing more (a key of one column
    unless `composite`)."""
    table = mapper.local_table
    return (mapper.inherits is None and mapper.polymorphic_on is None and not mapper.always_refresh
            and isinstance(table, Table) and (composite or len(mapper.primary_key) == 1)
            and all(len(p.columns) == 1 and p.columns[0].table is table and not p.deferred
                    and p.strategy_key == (("deferred", False), ("instrument", True))
                    for p in mapper.column_attrs)
            and all(r.lazy == "select" for r in mapper.relationships))


def persistent(session: Session, model, values: dict):
    """The session's object of this row of `model`'s table: the one the session holds, as it is, else a new persistent
    object with these column values, as the ORM's load makes one (in the identity map, nothing pending, any column not
    given expired, relationships left to their lazy loads). For reads that have the rows already, as plain values,
    and hand them on as the objects a relationship holds (`queries.load_parts`): ~5 times cheaper than constructing
    the object and `make_transient_to_detached` + `Session.add` (each value set through the attribute's events)."""
    cls, keys, pk = _shape(model)
    identity = session.identity_map
    key = (cls, tuple([values[k] for k in pk]), None)
    present = identity.get(key)
    if present is not None:
        return present
    obj, state = _attached(session, identity, inspect(model).class_manager, key, values)
    if len(values) != len(keys):
        state._expire_attributes(state.dict, keys.difference(values))
    return obj


def set_collections(obj, values: Mapping[str, list]) -> None:
    """`set_committed_value(obj, key, items)` for each collection of `values`, committed together: each collection
    made as the ORM makes one (its own type, its adapter, the `init_collection` event), the items put in without
    events, the attributes then committed once. Issue 13: a detail's four parts (`queries.set_parts`, the API detail
    and the transition's answer) cost ~5 µs each through `set_committed_value` in a loop, most of it per call (the
    instance's state looked up, the commit's set operations); together ~40% less. An object holding pending changes
    of one of these collections (items added through a backref while it was not loaded) is left to
    `set_committed_value`, which merges them in."""
    state = instance_state(obj)
    pending = state.__dict__.get("_pending_mutations")
    if pending and not pending.keys().isdisjoint(values):
        for key, items in values.items():
            set_committed_value(obj, key, items)
        return
    dict_, manager = state.dict, state.manager
    for key, items in values.items():
        adapter, collection = manager[key].impl._initialize_collection(state)
        if items:
            adapter.append_multiple_without_event(items)
        dict_[key] = collection
    state._commit(dict_, tuple(values))


def attach_written(session: Session, obj) -> None:
    """Makes `obj`, a new (transient) object whose row a plain statement of `session`'s transaction has just inserted
    (its primary key set), persistent in the session as the flush leaves an object it inserted: in the identity map,
    every attribute set committed (nothing pending), the others expired (loaded when read). What
    `make_transient_to_detached` and `Session.add` do together, without the add's walk of the relationships' cascades
    and its attach events, which find nothing to do for such an object (no related object loaded, no listener).
    Issue 13: the transition's history row (`service._record_step`), ~45 µs of its application CPU."""
    state = instance_state(obj)
    if state.key is not None or state.session_id is not None:
        raise exc.InvalidRequestError("attach_written(): the object must be transient")
    key = state.mapper._identity_key_from_state(state)
    if None in key[1]:
        raise exc.InvalidRequestError("attach_written(): the object's primary key is not set")
    state._commit_all(state.dict)
    state._expire_attributes(state.dict, state.unloaded)
    state.key = key
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, key)


def _attached(session: Session, identity, manager, key: tuple, values):
    """A new object of `manager`'s class with these column values, persistent in `session` under `key`: what
    `loading._instance` does for a row of an object the session does not hold (its values set in its `__dict__`,
    as loaded, so nothing is pending)."""
    obj = manager.new_instance()
    state = instance_state(obj)
    state.dict.update(values)
    state.key = key
    state.session_id = session.hash_key
    identity._add_unpresent(state, key)
    return obj, state


@functools.cache
def _shape(model) -> tuple[type, frozenset, tuple]:
    mapper = inspect(model)
    if not _simple_mapper(mapper, composite=True):
        raise ValueError(f"{model.__name__}: not a plain mapping")
    return (mapper.class_, frozenset(p.key for p in mapper.column_attrs),
            tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key))
