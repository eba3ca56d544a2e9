"""gunicorn settings for Prometheus multiprocess mode: `gunicorn -c python:web.ops.gunicorn_conf ...`.

With PROMETHEUS_MULTIPROC_DIR set (an empty directory of the service user, e.g. /run/dienhinh/metrics), every
worker writes its metrics there and /metrics adds them up. The directory is emptied when gunicorn starts (stale
files of a previous run would be counted again), and a worker's live gauges are dropped when it exits.
Other settings (workers, bind) still come from the command line.

Each worker, once it has loaded the application, takes what it holds then out of the garbage collector's sight
(`post_worker_init`), and once more after its first requests (`post_request`).

Before anything else the master checks every setting (`web.config.load`, the path `create_app` takes): a missing or
malformed one stops gunicorn with one line naming it, before any worker is started (each would print it again).
"""
from __future__ import annotations

import os
import shutil


def _dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server) -> None:
    _check_settings()
    path = _dir()
    if path:
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            full = os.path.join(path, name)
            if os.path.isdir(full):
                shutil.rmtree(full)
            else:
                os.remove(full)


def _check_settings() -> None:
    import sys

    from web import default_instance_path
    from web.config import EXIT_APP_LOAD, ConfigError, error_line, load

    try:
        load(default_instance_path())
    except ConfigError as err:
        print(error_line(err), file=sys.stderr, flush=True)
        sys.exit(EXIT_APP_LOAD)


def child_exit(server, worker) -> None:
    if _dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    """Freezes (`gc.freeze`) what the worker holds once the application is loaded: the modules, the app, SQLAlchemy's
    and Jinja's structures, ~250,000 objects that live as long as the process. Python's full collection walked them
    all, 110–130 ms on the 2-core bench machine, and a page that loads a few hundred rows set one off every dozen
    requests: the director's decisions at 100k nominations answered in 31 ms at the median and 148 ms at the 95th
    percentile (issue 13: p95 < 50 ms). Frozen, such a collection takes 1.5–3.5 ms. A frozen object is never
    collected, so the garbage present at that moment is collected first."""
    freeze_heap()


WARMED_UP = 500  # requests of a worker after which what they built to last is frozen too (`post_request`)
_served = 0


def post_request(worker, req, environ, resp) -> None:
    """Once, after a worker's first `WARMED_UP` requests (the response sent, the request's objects gone), freezes
    again what those requests built to last: the templates compiled at their first render, SQLAlchemy's compiled
    statements, the kept menus, forms and choices. Unfrozen, they made the heap a full collection walks grow back,
    and one request in twenty of a page of a few hundred rows took ~40 ms more (`bench/README.md`, "Eighth
    increment, all parts merged": with the collector off in `bench/lists.py`, 0 of 85 cases over 50 ms at p95,
    1–2 with it). Once only: a long-lived worker keeps collecting what later requests leave in cycles."""
    global _served
    _served += 1
    if _served == WARMED_UP:
        freeze_heap()


def freeze_heap() -> None:
    """Collects the garbage present now (a frozen object is never collected), then takes every object left out of
    the collector's sight for the life of the process."""
    import gc

    gc.collect()
    gc.freeze()
