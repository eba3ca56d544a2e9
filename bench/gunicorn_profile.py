"""gunicorn settings for `bench/http_bench.py --profile` only: production's hooks (web.ops.gunicorn_conf) plus, in
the one worker, a sampling profiler (pyinstrument) and a SQL statement counter around every request.

It is loaded with `-c /path/to/bench/gunicorn_profile.py` by the benchmark, never by `make serve` or the systemd unit:
the production path carries no hook and pays nothing. What a worker measured is written when it exits (SIGTERM) to
BENCH_PROFILE_OUT (a path prefix): `.json` (requests, statements per request, SQL time, CPU per request, one sample
request's statements, the top frames) and `.html` (pyinstrument's page, to drill down).
"""
from __future__ import annotations

import json
import os
import resource
import time
from collections import Counter

from models.base import is_autocommit_reader
from web.ops import gunicorn_conf
from web.ops.gunicorn_conf import child_exit, on_starting  # noqa: F401 - production's hooks, as `make serve` has them

OURS = ("/models/", "/workflow/", "/web/", "/notifications/")
SAMPLE_REQUEST = 20  # the statements of this request (warm caches) are kept as an example


class _Stats:
    def __init__(self):
        self.requests = 0
        self.statements = 0
        self.sql_seconds = 0.0
        self.wall_seconds = 0.0
        self.per_request = Counter()
        self.current: list[str] | None = None
        self.sample: list[str] = []
        self.t0 = 0.0
        self.round_trips = Counter()  # beyond the statements: checkouts, BEGIN/COMMIT/ROLLBACK sent


STATS = _Stats()
PROFILER = None


def _count_sql(engine) -> None:
    from sqlalchemy import event

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()
        if STATS.current is not None:
            STATS.current.append(" ".join(statement.split())[:300])

    def after(conn, cursor, statement, parameters, context, executemany):
        STATS.sql_seconds += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    def sent(conn, name):
        """Whether the server sees this BEGIN/COMMIT/ROLLBACK: SQLAlchemy signals them on an autocommit reader too
        (models.base.read_only_engine), where nothing is sent unless a transaction was begun for a write."""
        if not is_autocommit_reader(conn):
            return True
        if name == "begin":
            return False
        info = getattr(conn.connection.driver_connection, "info", None)
        return info is not None and info.transaction_status.name != "IDLE"

    for name in ("begin", "commit", "rollback"):
        event.listen(engine, name, lambda conn, name=name: sent(conn, name) and STATS.round_trips.update([name]))
    event.listen(engine.pool, "checkout", lambda *a: STATS.round_trips.update(["checkout"]))


class _Counting:
    """WSGI middleware: the statements and wall time of each request, the body included (a lazy load while a
    template streams still counts)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        STATS.current = []
        t0 = time.perf_counter()
        try:
            body = self.app(environ, start_response)
            yield from body
            if hasattr(body, "close"):
                body.close()
        finally:
            STATS.wall_seconds += time.perf_counter() - t0
            STATS.requests += 1
            STATS.statements += len(STATS.current)
            STATS.per_request[len(STATS.current)] += 1
            if STATS.requests == SAMPLE_REQUEST:
                STATS.sample = STATS.current
            STATS.current = None


def post_worker_init(worker) -> None:
    global PROFILER
    gunicorn_conf.post_worker_init(worker)  # production's own, first
    app = worker.wsgi
    engine = getattr(app, "extensions", {}).get("dienhinh.engine")
    if engine is not None:
        _count_sql(engine)
    worker.wsgi = _Counting(app)
    if os.environ.get("BENCH_PYINSTRUMENT", "1") == "1":
        from pyinstrument import Profiler

        PROFILER = Profiler(interval=0.0005)
        PROFILER.start()
    STATS.t0 = time.process_time()


def _function_table(root) -> tuple[float, list, list]:
    """(the requests' total time, the top functions by own time, our own functions by time including callees), from
    the frames under gunicorn's handle_request (the idle loop between requests is left out)."""
    requests = []

    def find(frame):
        if frame.function == "handle_request" and "gunicorn" in (frame.file_path or ""):
            requests.append(frame)
            return
        for child in frame.children:
            find(child)

    find(root)
    total = sum(f.time for f in requests) or 1e-9
    own: Counter = Counter()
    inclusive: Counter = Counter()

    def walk(frame, ancestors: frozenset):
        if frame.is_synthetic:  # pyinstrument's "[self]"/"[await]" leaves: already in their parent's own time
            return
        key = f"{frame.function} ({_short(frame.file_path)}:{frame.line_no})"
        own[key] += frame.time - sum(c.time for c in frame.children if not c.is_synthetic)
        if any(p in (frame.file_path or "") for p in OURS) and key not in ancestors:
            inclusive[key] += frame.time
        for child in frame.children:
            walk(child, ancestors | {key})

    for f in requests:
        walk(f, frozenset())
    return total, own.most_common(25), inclusive.most_common(25)


def _short(path: str | None) -> str:
    path = path or "?"
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    for marker in OURS:
        if marker in path:
            return marker.strip("/") + "/" + path.split(marker, 1)[1]
    return path


def worker_exit(server, worker) -> None:
    out = os.environ.get("BENCH_PROFILE_OUT")
    if not out:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = time.process_time() - STATS.t0
    result = {
        "requests": STATS.requests,
        "statements_per_request": STATS.statements / max(1, STATS.requests),
        "statements_histogram": {str(k): v for k, v in sorted(STATS.per_request.items())},
        "sql_ms_per_request": 1000 * STATS.sql_seconds / max(1, STATS.requests),
        "wall_ms_per_request": 1000 * STATS.wall_seconds / max(1, STATS.requests),
        "cpu_ms_per_request": 1000 * cpu / max(1, STATS.requests),
        "max_rss_kb": usage.ru_maxrss,
        "per_request": {k: v / max(1, STATS.requests) for k, v in sorted(STATS.round_trips.items())},
        "sample_statements": STATS.sample,
    }
    if PROFILER is not None:
        PROFILER.stop()
        session = PROFILER.last_session
        root = session.root_frame() if session else None
        if root is not None:
            total, own, inclusive = _function_table(root)
            result["profiled_seconds"] = total
            result["top_own"] = [(k, 100 * v / total) for k, v in own]
            result["top_ours_inclusive"] = [(k, 100 * v / total) for k, v in inclusive]
            with open(out + ".html", "w", encoding="utf-8") as fh:
                fh.write(PROFILER.output_html())
    with open(out + ".json", "w", encoding="utf-8") as fh:
        json.dump(result, fh, ensure_ascii=False, indent=1)
