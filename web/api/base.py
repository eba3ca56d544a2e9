"""What every API blueprint shares: bearer-token authentication, problem+json errors, the unit of work."""
from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import marshmallow as ma
from flask import current_app, g, request
from flask_smorest import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from web.api.problems import register_handlers
from web.current import current_actor
from web.db import READ_METHODS, db, perform, reads, request_context
from web.inputs import PARSED_BODY
from web.security import answer_without_cookies
from workflow import clock
from workflow.administration import accounts
from workflow.errors import AuthenticationFailed
from workflow.policy import Actor

T = TypeVar("T")
URL_PREFIX = "/api/v1"
MAX_TOKEN_LENGTH = 512
BLUEPRINTS: list[Blueprint] = []
BODY_METHODS = ("PUT", "PATCH")  # a replacement or a change: never without a body (POSTs name their required fields)
NO_BODY = "Thiếu nội dung: cần một đối tượng JSON (Content-Type: application/json)."
SQLITE_BUSY_TIMEOUT_MS = 15000  # models.base's PRAGMA busy_timeout, restored after a token-use note
log = logging.getLogger(__name__)


QUERY_MEMO = 256  # query strings remembered with their parsed arguments (`StrictJsonParser.parse`)
_PLAIN_VALUES = frozenset({int, str, bool, float, type(None)})


class StrictJsonParser(FlaskParser):
    """webargs' parser, also refusing (400) what json.loads accepts but nothing downstream can hold: nesting deep
    enough to exhaust the recursion limit, and lone UTF-16 surrogates ("\\ud800") that no database can store."""

    def _raw_load_json(self, req):
        """webargs' read of the JSON body. The tree `web.inputs` parsed and checked from these same bytes is taken
        instead of parsing them again (once: `inputs.PARSED_BODY`): it is what webargs would read (UTF-8, as webargs
        decodes it), and the text rule passed every string and key of it, so it holds no lone surrogate, and it is
        nested too shallow to exhaust the recursion limit — the two refusals below cannot apply to it."""
        handed = req.__dict__.pop(PARSED_BODY, None)
        if handed is not None and is_json_request(req) and handed[0] is req.get_data(cache=True):
            return handed[1]
        try:
            data = super()._raw_load_json(req)
        except RecursionError as exc:
            return self._handle_invalid_json_error(exc, req)
        if data is core.missing:
            return data
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError) as exc:
            return self._handle_invalid_json_error(exc, req)
        return data

    def load_json(self, req, schema):
        """A PUT or PATCH without a JSON body is refused (400) rather than read as `{}`: "change nothing" answered 200
        to a client that forgot its body, and the document says the body is required."""
        data = super().load_json(req, schema)
        if data is core.missing and req.method in BODY_METHODS:
            abort(400, messages={"json": [NO_BODY]})
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._query_memo: OrderedDict = OrderedDict()

    def parse(self, argmap, req=None, *, location=None, unknown=core._UNKNOWN_DEFAULT_PARAM, validate=None, **kwargs):
        """webargs' parse; a query string parsed once by a schema is remembered (the `QUERY_MEMO` most recent), so the
        same request (a list's first page, `?page=2`) is not parsed again: what a schema loads from a query string
        depends on that string alone (`web.inputs`' text rule refused a bad one before the view). A copy of the
        arguments is handed out every time; only a load of plain values (numbers, text, booleans, None) is kept, and
        a refused string is parsed (and refused) again every time. Issue 13: webargs and marshmallow took ~55 µs of a
        list request's CPU."""
        if location != "query" or validate is not None or not isinstance(argmap, ma.Schema):
            return super().parse(argmap, req, location=location, unknown=unknown, validate=validate, **kwargs)
        req = req if req is not None else self.get_default_request()
        key = (argmap, unknown, req.query_string)
        memo = self._query_memo
        data = memo.get(key)
        if data is None:
            data = super().parse(argmap, req, location=location, unknown=unknown, **kwargs)
            if type(data) is not dict or not all(type(v) in _PLAIN_VALUES for v in data.values()):
                return data
            memo[key] = data
            if len(memo) > QUERY_MEMO:
                memo.popitem(last=False)
        else:
            memo.move_to_end(key)
        return dict(data)

    # "multipart": one multipart/form-data body, its files and its fields read by one schema, so the document
    # describes the whole body (an upload's `file` beside its `kind`) and a generated client sends both.
    __location_map__ = dict(FlaskParser.__location_map__, multipart="load_multipart")

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)

    def _makeproxy(self, multidict, schema, *, cls=MultiDictProxy):
        """webargs' proxy over the query string, form or headers, without its two costs per request: a look-up of a
        parameter the request does not carry raised (and caught) Werkzeug's BadRequestKeyError — once per field of
        the schema, eight for the nominations list — and the schema's list-valued fields were collected anew."""
        if cls is not MultiDictProxy:
            return super()._makeproxy(multidict, schema, cls=cls)
        return _QuietProxy(multidict, schema, known_multi_fields=tuple(self.KNOWN_MULTI_FIELDS))


class _QuietProxy(MultiDictProxy):
    """A MultiDictProxy answering `missing` for an absent key without asking the multidict (whose `get` raises and
    catches a KeyError to say the same), its multi-valued keys kept per schema instance (the API's schemas are built
    once: `_schema_instance`)."""

    _multiple_keys: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _collect_multiple_keys(self, schema):
        known = _QuietProxy._multiple_keys.setdefault(schema, {})
        keys = known.get(self.known_multi_fields)
        if keys is None:
            keys = known[self.known_multi_fields] = frozenset(super()._collect_multiple_keys(schema))
        return keys

    def __getitem__(self, key):
        if key not in self.data:
            return ma.missing
        return super().__getitem__(key)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictJsonParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = dict(Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                                 multipart="multipart/form-data")

    def arguments(self, schema, *args, **kwargs):
        """As flask-smorest's, with one instance per schema class: given a class, webargs builds a new schema (and
        deep-copies its fields) on every request, ~5% of a list request's CPU. Loading keeps no state in the schema,
        so one instance serves every request (the document names it by its class as before)."""
        return super().arguments(_schema_instance(schema) if isinstance(schema, type) else schema, *args, **kwargs)


@functools.cache
def _schema_instance(schema_class):
    return schema_class()


# Endpoints (`blueprint.view`) whose view reads plain statements on `web.db.reads`: their caller is read there too.
PLAIN_READS: set[str] = set()


def plain_reads(blp: Blueprint):
    """Marks a view of `blp` as reading plain statements (`web.db.reads`, which the request's session is lent for its
    own plain reads), so the bearer's caller is read the same way and the request's session never connects unless
    something asks it for more (an ORM read: a rule's records, a lazy load)."""
    def mark(view):
        PLAIN_READS.add(f"{blp.name}.{view.__name__}")
        return view

    return mark


def authenticate_bearer() -> None:
    """before_request of the protected blueprints: `Authorization: Bearer <token>` → g.api_user and g.actor (one
    statement: `accounts.caller_for_token`, the caller's or, when the process keeps it, the accounts stamp's), else
    401. The request and `g` are looked up once (each read through Flask's proxies is a context-variable look-up)."""
    req, ctx_g = request._get_current_object(), g._get_current_object()
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("Chưa đăng nhập: cần tiêu đề Authorization: Bearer <mã truy cập>.",
                                   ["Lấy mã truy cập tại POST /api/v1/auth/token."])
    if len(token) > MAX_TOKEN_LENGTH:
        caller = None
    elif req.endpoint in PLAIN_READS:  # the view reads without the ORM: so does its caller (web.db.reads)
        session = db()
        source = reads()
        caller = accounts.caller_for_token(session, token, reads=source if source is not session else None)
    else:
        caller = accounts.caller_for_token(db(), token)
    if caller is None:
        raise AuthenticationFailed("Mã truy cập không hợp lệ, đã hết hạn, đã bị thu hồi hoặc tài khoản đã bị khóa.",
                                   ["Lấy mã truy cập mới tại POST /api/v1/auth/token."])
    ctx_g.api_user = caller.actor.who  # who is asking, for the access log: the ORM User is loaded only if a view asks
    ctx_g.api_token_id = caller.token_id
    ctx_g.actor = caller.actor  # loaded with the token in one statement: web.current never reloads it
    if accounts.token_use_due(caller):
        now = clock.now()
        if note_token_use(caller.token_id, now):
            accounts.token_use_noted(caller, now)


def note_token_use(token_id: int, now: dt.datetime | None = None) -> bool:
    """Writes the token's `last_used_at` (at most once a minute) without ever making a request wait for it. SQLite: a
    write request already holds the write lock, so its own transaction carries the note; a read tries the lock on a
    connection of its own without the busy timeout. PostgreSQL: a short transaction of its own that waits at most
    200 ms for the row. When the database is busy the note is skipped (a later request writes it): "last used" is a
    hint for the token's owner, never a reason to slow down or fail a request. True when written (a write request
    on SQLite: in its own transaction, which a refusal rolls back; the next note is then a minute later)."""
    engine = current_app.extensions["dienhinh.engine"]
    sqlite = engine.dialect.name == "sqlite"
    if sqlite and request.method not in READ_METHODS:
        accounts.record_token_use(db(), token_id, now)
        return True
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            if sqlite:
                raw.execute("PRAGMA busy_timeout=0")
            try:
                with Session(bind=conn) as session:
                    if not sqlite:
                        session.execute(text("SET LOCAL lock_timeout = '200ms'"))
                    accounts.record_token_use(session, token_id, now)
                    session.commit()
            finally:
                if sqlite:
                    raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    except SQLAlchemyError as err:
        log.debug("last_used_at of token %s not written: %s", token_id, err)
        return False
    return True


def api_blueprint(name: str, import_name: str, description: str, *, public: bool = False) -> Blueprint:
    blp = ApiBlueprint(name, import_name, url_prefix=URL_PREFIX, description=description)
    blp.before_request(answer_without_cookies)
    if not public:
        blp.before_request(authenticate_bearer)
    register_handlers(blp)
    BLUEPRINTS.append(blp)
    return blp


def actor() -> Actor:
    a = current_actor()
    if a is None:  # authenticate_bearer ran: only reachable if a view is registered without it
        raise AuthenticationFailed("Chưa đăng nhập.")
    return a


def ctx():
    return request_context("api")


def run(fn: Callable[[], T], *, action: str, object_type: str | None = None, object_id: int | None = None) -> T:
    """One mutation = one transaction; a refusal is rolled back and audited (web.db.perform)."""
    return perform(fn, action=action, actor=actor(), object_type=object_type, object_id=object_id, via="api")
