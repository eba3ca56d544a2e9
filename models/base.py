"""Declarative base, naming convention and the engine/session factory.

Kept free of Flask so the CLI, the notification worker and the tests can open a session without an app.
"""
from __future__ import annotations

import datetime as dt
import json
import unicodedata

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


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
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict: JSON, list: JSON}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


def read_only_engine(engine: Engine) -> Engine:
    """The same engine and pool, for sessions that only read: on SQLite their transactions begin DEFERRED."""
    return engine.execution_options(sqlite_begin="DEFERRED")


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
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql") and "connect_timeout" not in make_url(url).query:
        # libpq waits for an unreachable host indefinitely by default: a page (and /readyz) should fail instead.
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT, **(kwargs.get("connect_args") or {})}
    if url.startswith("postgresql"):
        # No JIT compilation: it pays off for analytic queries of seconds, and this application's heaviest reads
        # (a report over 100k nominations, a page of the audit trail) last tens of milliseconds, where compiling
        # their plan cost up to 80 ms more than running it (bench/lists.py).
        args = kwargs.setdefault("connect_args", {})
        args["options"] = f"{args.get('options', '')} -c jit=off".strip()
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
