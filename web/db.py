"""One SQLAlchemy session per request (one request = one transaction), and the unit-of-work helper that
records a refused action in its own transaction after rolling the action back."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g, request
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from models import plain
from models.base import begin_transaction, is_autocommit_reader
from workflow import refusals
from workflow.context import Context
from workflow.errors import DomainError

T = TypeVar("T")


READ_METHODS = ("GET", "HEAD", "OPTIONS")


def db() -> Session:
    """The request's session. Reads (GET) get a reader's (`models.base.read_only_engine`): on SQLite its transaction
    begins DEFERRED, so a page being rendered never holds the write lock that actions take with BEGIN IMMEDIATE; on
    PostgreSQL it reads in autocommit (no BEGIN/ROLLBACK round trips), and what a GET writes goes through `perform`,
    which makes it one transaction."""
    ctx_g = g._get_current_object()  # one context look-up: a request asks for its session ~10 times
    session = ctx_g.get("db")
    if session is None:
        key = "dienhinh.read_sessions" if request and request.method in READ_METHODS else "dienhinh.sessions"
        session = ctx_g.db = current_app.extensions[key]()
    return session


def reads() -> Session | Connection:
    """What a read request's plain statements (`models.plain.PlainSelect`) run on when its view needs no ORM object
    (`web.api.base.plain_reads`: the API's nominations list): on PostgreSQL's autocommit reader, a Connection of that
    reader of the request's own (`g.reads`), checked out once and returned at its end, without a Session around it. A
    Session's connection costs its transaction's bookkeeping on checkout and on close (~0.19 ms of the list's ~1.8 ms
    of CPU in a request, measured alternately in one process: bench/README.md, "Seventh increment"), and these reads
    need none of it: each SELECT of an autocommit connection sees its own snapshot, as it does through the session.

    The request's session (`db()`) still exists for what asks for it (an Actor's user or its unit's predecessors, a
    delegation's director): made when asked, it connects only if used, on a connection of its own. Where the session
    is already connected, or the reader is not autocommit (SQLite's DEFERRED reader, a test's session on its
    connection), the session itself is the answer: its reads see its own snapshot and what it has pending.

    The request's session is lent that connection (`models.plain.connection`): its own plain reads (the API detail's
    nomination with its parts, a rule's records) run there too while it has no transaction and nothing pending, so a
    view holds ORM objects made of plain rows (`policy.load`) without the session ever connecting."""
    ctx_g = g._get_current_object()
    conn = ctx_g.get("reads")
    if conn is not None:
        return conn
    session = ctx_g.get("db")
    if session is not None and session.in_transaction():
        return session
    if request.method in READ_METHODS:
        engine = _autocommit_reader(current_app.extensions["dienhinh.read_sessions"])
        if engine is not None:
            conn = ctx_g.reads = engine.connect()
            db().info[plain.READS] = conn
            return conn
    return db()


def _autocommit_reader(factory: sessionmaker) -> Engine | None:
    bind = factory.kw.get("bind")
    if isinstance(bind, Engine) and is_autocommit_reader(bind):
        return bind
    return None


def close_db(exc=None) -> None:
    """Ends the request's session: `close()` rolls back what was not committed and returns the connection to the pool
    (a rollback() first would also expire every object the request loaded, only for them to be discarded). A reader's
    connection of its own (`reads`) goes back to the pool too.

    A session that holds nothing — no transaction (so no connection, nothing added or deleted: adding or deleting
    begins one) and no object: the API list's, whose reads all ran on `reads`, or a 401's — is left as it is: its
    `close()` would only replace its empty identity map (~15 µs of a request's CPU, issue 13), and nothing refers to
    it after the request."""
    ctx_g = g._get_current_object()
    conn = ctx_g.pop("reads", None)
    session = ctx_g.pop("db", None)
    if session is not None:
        session.info.pop(plain.READS, None)  # the lent connection goes back to the pool below: never lent again
        if session.in_transaction() or session.identity_map:
            session.close()
    if conn is not None:
        conn.close()


def request_context(via: str = "web") -> Context:
    return Context(ip=request.remote_addr, user_agent=request.headers.get("User-Agent", "")[:500], via=via)


def perform(fn: Callable[[], T], *, action: str, actor=None, object_type: str | None = None,
            object_id: int | None = None, via: str = "web") -> T:
    """Runs `fn` and commits; on a DomainError rolls back, writes the refusal to the audit trail, re-raises. Each of
    the two is one transaction, on a GET's autocommit reader too (`begin_transaction`): the GETs that write (the
    audited exports, the read receipts of notifications, the refusals of a reading action) all come through here."""
    session = db()
    begin_transaction(session)
    try:
        result = fn()
        session.commit()
        return result
    except DomainError as err:
        session.rollback()
        if err.status != 404:  # a 404 reveals nothing and is not an attempted action on a visible object
            begin_transaction(session)
            refusals.record(session, actor=actor, action=action, object_type=object_type, object_id=object_id,
                            error=err, context=request_context(via))
            session.commit()
        raise
