"""Logs through the standard `logging` module: one line per record, JSON (python-json-logger) or text
(LOG_FORMAT), each carrying the request id of the request it was written in; and the access log, one line per
request on the `dienhinh.access` logger: time, request id, user, method, path, status, duration in ms.

The request id is the client's or the proxy's `X-Request-ID` when it is a plausible id (1–128 characters of
letters, digits and `-_.:`; nginx's `$request_id` is 32 hex digits), else a new one; it is given back in the
response's `X-Request-ID`.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import re
import sys
import time

from flask import Flask, g, has_request_context, request, session

ACCESS = logging.getLogger("dienhinh.access")
REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_HANDLER_MARK = "_dienhinh_handler"


def request_id_from(value: str | None) -> str:
    if value and _VALID_ID.fullmatch(value):
        return value
    return new_request_id()


def new_request_id() -> str:
    """`uuid.uuid4().hex`, the same 32 hex digits (16 random bytes, the version-4 and RFC 4122 variant bits set),
    without building a `UUID` object: most requests come without an id of their own and get one of these."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # variant RFC 4122
    return raw.hex()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record written during a request (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record is written (test runners and debuggers swap it), unless a
    stream was set explicitly (`setStream`)."""

    _fixed = None

    @property
    def stream(self):
        return self._fixed or sys.stderr

    @stream.setter
    def stream(self, value):
        self._fixed = None if value is sys.stderr else value


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def json_formatter() -> logging.Formatter:
    # Every `extra` of a record becomes a key; `time` is ISO 8601 in UTC.
    return _json_formatter_class()("{levelname}{name}{message}", style="{", timestamp="time",
                                   rename_fields={"levelname": "level", "name": "logger"}, json_ensure_ascii=False)


@functools.cache
def _json_formatter_class() -> type[logging.Formatter]:
    """python-json-logger's JsonFormatter, writing the same line with less work per record (issue 13: the access
    line's formatting was ~40–60 µs of a request's CPU, in a request's cold caches):

    - a record of text (no exception, no stack, not a dict message: every access line and nearly every other line)
      is gathered in one pass — the format's fields renamed, then the record's own attributes that are not the
      library's reserved ones nor private, in the record's order, then the time — where the library goes through
      `add_fields`, `merge_record_extra`, a rename per key and its hooks, for the same dictionary;
    - the time is written as its ISO 8601 text there, the text the library's encoder writes for the `datetime` it
      puts there (`isoformat()`, through the encoder's `default`: a call back into Python from the C encoder);
    - one encoder serves every record, instead of `json.dumps(..., cls=JsonEncoder)` building one per record, with
      the same options (`ensure_ascii`, `indent`, the library's `default` for whatever else a record carries).

    Anything else (an exception, a stack, a dict message, the library's options this formatter does not use) goes
    the library's way. tests/platform/test_ops.py compares the two formatters' lines over records of every shape."""
    from pythonjsonlogger.json import JsonFormatter

    class Formatter(JsonFormatter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._encode = None
            if (self.json_serializer is json.dumps and self.json_default is None and self.json_encoder is not None
                    and isinstance(self.timestamp, str) and not self.defaults and not self.static_fields
                    and not self.rename_fields_keep_missing and not self.prefix
                    and "asctime" not in self._required_fields):
                self._encode = self.json_encoder(ensure_ascii=self.json_ensure_ascii, indent=self.json_indent).encode
                self._fields = [(field, self.rename_fields.get(field, field)) for field in self._required_fields]
                self._time_key = self.rename_fields.get(self.timestamp, self.timestamp)

        def format(self, record: logging.LogRecord) -> str:
            if (self._encode is None or isinstance(record.msg, dict) or record.exc_info or record.exc_text
                    or record.stack_info):
                return super().format(record)
            record.message = record.getMessage()
            attributes = record.__dict__
            rename, skip = self.rename_fields.get, self._skip_fields
            log_data = {name: attributes.get(field) for field, name in self._fields}
            for key, value in attributes.items():
                if key not in skip and not (hasattr(key, "startswith") and key.startswith("_")):
                    log_data[rename(key, key)] = value
            log_data[self._time_key] = dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat()
            return self._encode(self.process_log_record(log_data))

    return Formatter


def configure(log_format: str, level: str = "INFO") -> logging.Handler:
    """One handler on the root logger (stderr: gunicorn's error log, the journal under systemd). Idempotent: a
    second call (another create_app in the same process) replaces the handler it installed before."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = StderrHandler()
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(json_formatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # A line per state callback; Alembic's chatter (init-db says itself what it did, on stdout).
    for noisy in ("transitions", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler


def _user(req, ctx_g) -> str | None:
    """Who made the request, without a database query (the access log must work while the database is down):
    the user Flask-Login or the API already loaded, else the id kept in the session cookie."""
    user = ctx_g.get("api_user") or ctx_g.get("_login_user")
    username = getattr(user, "username", None)
    if username:
        return username
    user_id = session.get("_user_id") if req.cookies else None
    return f"id:{user_id}" if user_id else None


def _start() -> None:
    ctx_g = g._get_current_object()
    ctx_g.request_started = time.perf_counter()  # also the start of the request's latency (`metrics._observe`)
    ctx_g.request_id = request_id_from(request.environ.get(REQUEST_ID_ENVIRON))


REQUEST_ID_ENVIRON = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")  # the header as WSGI names it


def _finish(response):
    """The request id header and the access line. The request and `g` are looked up once: each attribute read through
    Flask's proxies costs a context-variable look-up, and this hook read eleven of them on every request.

    The line is the record `ACCESS.info(...)` would make, handed to the logger's handlers as `Logger._log` hands it,
    without `Logger.findCaller` walking the stack to learn what is known here (this file, this function, this line):
    the same fields for every handler and formatter."""
    req, ctx_g = request._get_current_object(), g._get_current_object()
    response.headers[REQUEST_ID_HEADER] = ctx_g.get("request_id") or request_id_from(None)
    started = ctx_g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    if not ACCESS.isEnabledFor(logging.INFO):
        return response
    method, path, status = req.method, req.path, response.status_code
    extra = {"user": _user(req, ctx_g), "method": method, "path": path, "status": status,
             "duration_ms": duration_ms, "remote_addr": req.remote_addr}
    ACCESS.handle(ACCESS.makeRecord(ACCESS.name, logging.INFO, _FILE, sys._getframe().f_lineno, "%s %s %s %sms",
                                    (method, path, status, duration_ms), None, "_finish", extra))
    return response


_FILE = _finish.__code__.co_filename  # what `findCaller` names as the access line's file


def init_app(app: Flask) -> None:
    # Tests leave the process's logging alone unless they ask (LOG_CONFIGURE=True); the access hooks run always.
    if app.config.get("LOG_CONFIGURE", not app.testing):
        configure(app.config.get("LOG_FORMAT", "text"), app.config.get("LOG_LEVEL", "INFO"))
    # First of all before_request hooks (CSRF's included), so a request refused by one still has its id and time.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
