"""Declarative base, naming convention and the engine/session factory.

Kept free of Flask so the CLI, the notification worker and the tests can open a session without an app.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
import select
import unicodedata
import weakref
from contextvars import ContextVar

from psycopg.pq import ConnStatus, TransactionStatus
from sqlalchemy import JSON, DateTime, MetaData, create_engine, event, exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_combine = dt.datetime.combine


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every backend and hands back aware UTC datetimes.

    SQLite has no time zone type; keeping the database naive-UTC everywhere makes the two backends behave the same.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use utcnow()")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        """`value.replace(tzinfo=dt.UTC)`, the same datetime (fields, fold, the `dt.UTC` object itself), made by
        `datetime.combine` of its own date and time: `replace` parses its keyword arguments on every call, ~0.85 µs
        against ~0.2 on Python 3.11, and every datetime every read hands back comes through here (issue 13: a list
        page's 40 took 43 µs of its client CPU; tests/platform/test_utc_datetime.py compares the two)."""
        if value is None:
            return None
        return aware_utc(value)


def aware_utc(value: dt.datetime) -> dt.datetime:
    """A naive UTC datetime as read from the database, marked UTC: `value.replace(tzinfo=dt.UTC)`, made by
    `datetime.combine` of its own date and time (see `UTCDateTime.process_result_value`)."""
    if type(value) is not dt.datetime:  # a subclass: `replace` keeps its class, `combine` would not
        return value.replace(tzinfo=dt.UTC)
    return _combine(value, value.time(), dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict: JSON, list: JSON}


# The instant `workflow.clock.travel` has set the clock to in this context (None: the real time). Held here, beside the
# column defaults that read it, because `models` imports nothing of ours; `workflow.clock` is its only writer.
CLOCK_OVERRIDE: ContextVar[dt.datetime | None] = ContextVar("dienhinh_clock_override", default=None)


def utcnow() -> dt.datetime:
    return CLOCK_OVERRIDE.get() or dt.datetime.now(dt.UTC)


def fold(text: str | None) -> str:
    """Accent-insensitive form used by `search_text` columns: NFD, marks removed, đ→d, lower case."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    # Deleted and overwritten content is zeroed in the file, not left in free space (secret ballot: the sealed slots
    # of a closed session must not survive their deletion; see the README's threat model).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
    # Let SQLAlchemy's "begin" event emit BEGIN IMMEDIATE (below) instead of pysqlite's deferred BEGIN.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn):
    """Takes SQLite's write lock at the start of every transaction (BEGIN IMMEDIATE), so two writers queue
    (busy_timeout) instead of the second failing on a stale snapshot: the SQLite counterpart of SELECT ... FOR
    UPDATE. Sessions that only read (page GETs) ask for a deferred BEGIN through `read_only_engine`, so a reader
    never holds the write lock."""
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


_IDLE = TransactionStatus.IDLE
_READERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def read_only_engine(engine: Engine) -> Engine:
    """The same engine and pool, for sessions that (mostly) only read, built once per engine.

    SQLite: their transactions begin DEFERRED, so a reader never holds the write lock.
    PostgreSQL: their connections run in autocommit, so a GET that only reads sends its SELECTs and nothing else (no
    BEGIN before them, no ROLLBACK after: two of a light read's five round trips). Each SELECT still sees one
    consistent snapshot, as it did under READ COMMITTED. The first statement that needs a transaction (a write, a row
    lock, a server-side cursor, SET, an exported snapshot) begins one first (`_begin_before_writing`), and
    `begin_transaction` begins one where a unit of work starts (web.db.perform): what a GET writes (a refusal, an
    audited export, a read receipt) is one transaction, committed or rolled back as a whole, exactly as before."""
    reader = _READERS.get(engine)
    if reader is None:
        if engine.dialect.name == "postgresql":
            reader = engine.execution_options(**{AUTOCOMMIT_READER: True})
            event.listen(reader, "before_cursor_execute", _begin_before_writing)
            event.listen(engine, "engine_connect", _autocommit_as_asked)
        else:
            reader = engine.execution_options(sqlite_begin="DEFERRED")
        _READERS[engine] = reader
    return reader


# The reader's execution option (models.base.read_only_engine): its connections run in autocommit.
AUTOCOMMIT_READER = "dienhinh_autocommit"


def is_autocommit_reader(bind) -> bool:
    """Whether an engine (or connection) is PostgreSQL's autocommit reader: its statements run outside a transaction
    until `_begin_before_writing` or `begin_transaction` begins one."""
    return bool(bind.get_execution_options().get(AUTOCOMMIT_READER))


def _autocommit_as_asked(conn) -> None:
    """Puts a connection just checked out of the engine's pool in the mode its engine asks for: autocommit for the
    reader, a transaction per unit of work for everything else. The mode is left as it is at return, and changed here
    only where it differs: the reader's connections keep autocommit between the reads that follow each other (most of
    a worker's requests), where SQLAlchemy's `isolation_level="AUTOCOMMIT"` option set it at every checkout and reset
    it at every return (~14 µs of CPU per request warm, issue 13). Every connection comes back to the pool idle (the
    pool's reset on return rolls back whatever was begun), so the switch is always allowed. A connection that sets
    its own isolation level (`Connection.execution_options(isolation_level=...)`: the backup's REPEATABLE READ) does
    it after this, and SQLAlchemy's reset at its return leaves it out of autocommit, as it was before; an engine made
    with SQLAlchemy's own option (`engine.execution_options(isolation_level=...)`) has set its connection's level
    before this runs, and it is left as that option made it."""
    options = conn._execution_options
    if "isolation_level" in options:
        return
    raw = conn.connection.driver_connection
    wanted = bool(options.get(AUTOCOMMIT_READER))
    if raw.autocommit is not wanted:
        raw.autocommit = wanted


# What a SELECT may contain that needs the transaction around it to last beyond the statement.
_NEEDS_TRANSACTION = (" FOR UPDATE", " FOR SHARE", " FOR NO KEY UPDATE", " FOR KEY SHARE", "PG_EXPORT_SNAPSHOT",
                      "PG_ADVISORY_XACT", "NEXTVAL(", "SET_CONFIG(")
_TRANSACTION_CONTROL = ("BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
# A WITH whose parts only read is a SELECT; one that writes (a data-modifying CTE) is not.
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b")


@functools.lru_cache(maxsize=4096)
def needs_transaction(statement: str, server_side_cursor: bool = False) -> bool:
    """Whether a statement run on an autocommit connection would behave differently outside a transaction: anything
    but a plain SELECT (writes, SET, LOCK, DDL; a WITH that writes), a SELECT that locks rows or holds a snapshot, a
    server-side cursor. A WITH that only reads is a SELECT: taken for a write, the list's statement (a CTE) opened a
    transaction on every request, and its rollback when the session closed, ~0.6 ms of the server's CPU.
    Remembered per statement text: a request's statements are the same few texts every time (built once), and the
    answer for a 1,500-character SELECT costs an upper-cased copy and eight scans of it."""
    head = statement.lstrip()[:9].upper()
    if head.startswith(_TRANSACTION_CONTROL):
        return False
    if server_side_cursor or not head.startswith(("SELECT", "WITH")):
        return True
    upper = statement.upper()
    if head.startswith("WITH") and _WRITES.search(upper):
        return True
    return any(marker in upper for marker in _NEEDS_TRANSACTION)


def _begin_before_writing(conn, cursor, statement, _parameters, _context, _executemany):
    """On an autocommit reader's connection, BEGIN before the first statement that needs a transaction; the session's
    commit or rollback (or the pool's reset when the connection returns) ends it."""
    raw = conn.connection.driver_connection
    if raw.info.transaction_status == _IDLE and needs_transaction(statement, getattr(cursor, "name", None) is not None):
        raw.execute("BEGIN")


def begin_transaction(session: Session) -> None:
    """Makes what the session runs from now until its commit or rollback one transaction, also on an autocommit
    reader (a GET's session on PostgreSQL): `web.db.perform` calls it before the unit of work. Elsewhere a no-op
    (the session's transaction already is one)."""
    if not is_autocommit_reader(session.get_bind()):
        return
    conn = session.connection()
    raw = conn.connection.driver_connection
    if raw.info.transaction_status == _IDLE:
        conn.exec_driver_sql("BEGIN")


CONNECT_TIMEOUT = 5  # seconds; a `connect_timeout` in the URL's query wins


def json_text(value) -> str:
    """How every JSON column is written, on both backends (SQLAlchemy's and psycopg's default, made explicit): the
    audit trail hashes the exact text stored in `audit_events.data` (PostgreSQL `json` keeps it verbatim)."""
    return json.dumps(value)


def database_url(url: str) -> str:
    """DATABASE_URL as SQLAlchemy reads it: PostgreSQL is driven by psycopg 3, so `postgresql://` and the older
    `postgres://` (Heroku, some hosting panels) both mean `postgresql+psycopg://`. Anything else is kept."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str, **kwargs) -> Engine:
    kwargs.setdefault("json_serializer", json_text)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 15, "check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    url = database_url(url)
    # No pre-ping (a `SELECT 1` round trip before every request's first statement): a pooled connection the server
    # closed is found without asking it, at checkout (`_drop_closed_connection`).
    kwargs.setdefault("pool_pre_ping", False)
    if url.startswith("postgresql") and "connect_timeout" not in make_url(url).query:
        # libpq waits for an unreachable host indefinitely by default: a page (and /readyz) should fail instead.
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT, **(kwargs.get("connect_args") or {})}
    if url.startswith("postgresql"):
        # No JIT compilation: it pays off for analytic queries of seconds, and this application's heaviest reads
        # (a report over 100k nominations, a page of the audit trail) last tens of milliseconds, where compiling
        # their plan cost up to 80 ms more than running it (bench/lists.py).
        args = kwargs.setdefault("connect_args", {})
        args["options"] = f"{args.get('options', '')} -c jit=off".strip()
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "checkout", _drop_closed_connection)
    return engine


def _drop_closed_connection(dbapi_connection, _record, _proxy):
    """Replaces the pool's pre-ping, without its round trip. A server that ends a connection (restart, failover,
    `pg_terminate_backend`, idle timeouts) sends a FATAL message and closes the socket, while an idle pooled
    connection (no transaction, no LISTEN) has nothing to read: a socket with input waiting, or one that cannot be
    polled, is discarded (DisconnectionError) and the pool checks out another, up to three times, before the request
    runs a statement on it. A rare notice from a live server costs one reconnection, never an error."""
    if dbapi_connection.closed or dbapi_connection.pgconn.status != ConnStatus.OK:
        raise exc.DisconnectionError("connection closed")
    try:
        readable, _, _ = select.select([dbapi_connection.pgconn.socket], [], [], 0)
    except Exception as err:  # noqa: BLE001 - a socket that cannot be polled is as good as closed
        raise exc.DisconnectionError(f"connection unusable: {err}") from err
    if readable:
        raise exc.DisconnectionError("the server sent something to an idle connection: closed, or closing")


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
