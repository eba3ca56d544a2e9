"""Logs through the standard `logging` module: one line per record, JSON (python-json-logger) or text
(LOG_FORMAT), each carrying the request id of the request it was written in; and the access log, one line per
request on the `dienhinh.access` logger: time, request id, user, method, path, status, duration in ms.

The request id is the client's or the proxy's `X-Request-ID` when it is a plausible id (1–128 characters of
letters, digits and `-_.:`; nginx's `$request_id` is 32 hex digits), else a new one; it is given back in the
response's `X-Request-ID`.
"""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request, session

ACCESS = logging.getLogger("dienhinh.access")
REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_HANDLER_MARK = "_dienhinh_handler"


def request_id_from(value: str | None) -> str:
    if value and _VALID_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


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
    from pythonjsonlogger.json import JsonFormatter

    # Every `extra` of a record becomes a key; `time` is ISO 8601 in UTC.
    return JsonFormatter("{levelname}{name}{message}", style="{", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger"}, json_ensure_ascii=False)


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
    ctx_g.request_started = time.perf_counter()
    ctx_g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))


def _finish(response):
    """The request id header and the access line. The request and `g` are looked up once: each attribute read through
    Flask's proxies costs a context-variable look-up, and this hook read eleven of them on every request."""
    req, ctx_g = request._get_current_object(), g._get_current_object()
    response.headers[REQUEST_ID_HEADER] = ctx_g.get("request_id") or request_id_from(None)
    started = ctx_g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    method, path, status = req.method, req.path, response.status_code
    ACCESS.info(
        "%s %s %s %sms", method, path, status, duration_ms,
        extra={"user": _user(req, ctx_g), "method": method, "path": path, "status": status,
               "duration_ms": duration_ms, "remote_addr": req.remote_addr},
    )
    return response


def init_app(app: Flask) -> None:
    # Tests leave the process's logging alone unless they ask (LOG_CONFIGURE=True); the access hooks run always.
    if app.config.get("LOG_CONFIGURE", not app.testing):
        configure(app.config.get("LOG_FORMAT", "text"), app.config.get("LOG_LEVEL", "INFO"))
    # First of all before_request hooks (CSRF's included), so a request refused by one still has its id and time.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
