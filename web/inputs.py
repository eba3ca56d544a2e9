"""The request boundary of the text rule (`workflow.inputs`): before any view runs, every query parameter, form
field, uploaded file name and JSON string (recursively, keys included) is checked. A refused text answers 422
naming the field — problem+json under /api/, a Vietnamese page showing what was typed elsewhere — and no view
sees it. Long texts arrive with their CRLF newlines normalised to LF.

The login's body (page and `/api/v1/auth/token`) is left to `accounts.authenticate`, which applies the same rule to the
username so that a refused login is still audited as a failed one.

A body refused for its size is read to its end before the 413 goes out (`read_refused_body`), so the proxy in front
receives the refusal instead of a reset connection."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request
from werkzeug.datastructures import ImmutableMultiDict

from web.api.problems import problem
from workflow import inputs

# Logins check their body themselves (their query parameters are checked here like any other).
LOGIN_ENDPOINTS = frozenset({"auth.login", "api_auth.token"})


def _check_multidict(data, errors: dict) -> ImmutableMultiDict | None:
    """The normalised copy of `data` (None when nothing changed); failures go into `errors`."""
    items, changed = [], False
    for key, value in data.items(multi=True):
        reason = inputs.problem(key, long=False)
        if reason:
            errors[inputs.visible(key)] = f"Tên trường: {reason}"
        long = inputs.is_long(key)
        reason = inputs.problem(value, long=long)
        if reason:
            errors.setdefault(inputs.visible(key), reason)
            items.append((key, value))
            continue
        normal = inputs.normalise(value, long=long)
        changed |= normal != value
        items.append((key, normal))
    return ImmutableMultiDict(items) if changed else None


# The request's JSON body as the text rule read it, for the view's parser (`web.api.base.StrictJsonParser`): the
# raw bytes it was read from (`Request.get_data`'s cached object) and the checked, normalised tree.
PARSED_BODY = "dienhinh_parsed_json"
HANDED_OPENINGS = 200  # at most this many `[` and `{`: nested too shallow for any recursion limit (see `_json_body`)


def _json_body(errors: dict) -> None:
    """Checks every string of a JSON body (keys included) and hands the checked tree on to the view's parser, which
    would otherwise parse the same bytes again and encode the tree once more to look for lone surrogates (issue 13:
    ~5% of a transition's frame). The tree is handed on only when the parser would have read the same tree from the
    same bytes: UTF-8 without a BOM (webargs decodes UTF-8 strictly, `json.loads` of bytes guesses UTF-16 or 32 and
    passes surrogates), nothing refused (a refused text answers 422 before any view) or normalised (its tree is
    also Flask's `get_json` cache: the parser keeps reading the normalised text into a tree of its own), and fewer
    than `HANDED_OPENINGS` arrays and objects, so the parser's own depth (deeper in the stack than this hook) could
    not have hit the recursion limit where this parse did not. The parser takes it once (a second read parses the
    bytes again); anything else is parsed by the view's parser as before."""
    req = request._get_current_object()
    if not req.is_json:
        return
    raw = req.get_data(cache=True)
    if not raw:
        return
    text = None
    if json.detect_encoding(raw) == "utf-8":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        body = json.loads(raw if text is None else text)
        normal = inputs.check_tree(body, "", errors)
    except (ValueError, RecursionError):
        return  # the view's parser answers 400 for a body that is not JSON (or nested beyond any schema)
    if normal != body:
        # webargs reads the cached raw body, Flask's get_json its own cache: both see the normalised text.
        req._cached_data = json.dumps(normal, ensure_ascii=False).encode()
        req._cached_json = (normal, normal)
    elif text is not None and not errors and raw.count(b"[") + raw.count(b"{") < HANDED_OPENINGS:
        setattr(req, PARSED_BODY, (raw, normal))


def check_request():
    req = request._get_current_object()  # one context look-up for the reads below
    if req.endpoint == "static":
        return None
    errors: dict[str, str] = {}
    if req.environ.get("QUERY_STRING") and req.args:  # no query string: no arguments to parse into an empty dict
        _check_multidict(req.args, errors)
    if req.method in ("POST", "PUT", "PATCH", "DELETE") and req.endpoint not in LOGIN_ENDPOINTS:
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = _check_multidict(request.form, errors)
            if form is not None:
                request.form = form
            for key, upload in request.files.items(multi=True):
                reason = inputs.problem(upload.filename or "", long=False)
                if reason:
                    errors.setdefault(inputs.visible(key), f"Tên tệp: {reason}")
        _json_body(errors)
    if not errors:
        return None
    err = inputs.refused(errors)
    if request.path.startswith("/api/"):
        return problem(422, err.detail, title="Dữ liệu không hợp lệ", reasons=err.reasons,
                       errors={k: [v] for k, v in errors.items()})
    typed = [(key, inputs.visible(value)) for key, value in request.form.items(multi=True)
             if key != "csrf_token" and "password" not in key]
    return render_template("input_refused.html", detail=err.detail, errors=errors, typed=typed,
                           back_url=_same_site(request.referrer)), 422


def _same_site(url: str | None) -> str | None:
    """The referring page when it is on this site (a path), else None: never a link to another host."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


REFUSED_BODY_READ = 2  # a body refused for its size is read to its end up to this many times the size allowed
CHUNK = 64 * 1024


def read_refused_body(response):
    """A body refused for its size (413, decided on its Content-Length before any of it is read) is read to its end
    and dropped before the refusal is sent. gunicorn closes the connection once it has answered, and a socket closed
    with data still unread is reset by the kernel: nginx, still sending the body it had buffered, then lost the answer
    and showed the user its own 502 page instead of the refusal (CI, 2026-11-30; `tests/platform/
    test_deploy_nginx.py`). Bounded: a body over `REFUSED_BODY_READ` × the limit is left unread, since no proxy in
    front lets one through (nginx's `client_max_body_size` is the limit plus 1 MB) and reading it would only serve a
    client that bypasses the proxy."""
    if response.status_code != 413:
        return response
    environ = request.environ
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    try:
        remaining = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        return response
    stream = environ.get("wsgi.input")
    if stream is None or remaining < 0 or remaining > REFUSED_BODY_READ * limit:
        return response
    try:
        while remaining > 0 and (chunk := stream.read(min(CHUNK, remaining))):
            remaining -= len(chunk)
    except OSError:  # the client went away: nothing left to answer
        pass
    return response


def init_app(app: Flask) -> None:
    app.before_request(check_request)
    app.after_request(read_refused_body)
