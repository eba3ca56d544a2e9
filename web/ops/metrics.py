"""Prometheus metrics (prometheus-client): HTTP requests by endpoint, method and status, their latencies, the
nominations' transitions (counted when the transaction that made them commits), and, read from the database at
scrape time, the outbox's depth and its failed messages.

Several gunicorn workers: set PROMETHEUS_MULTIPROC_DIR to an empty directory writable by the service before
gunicorn starts (and run it with `-c python:web.ops.gunicorn_conf`, which empties it at start and tells the
library when a worker exits); every worker writes its counters there and /metrics, whichever worker answers it,
adds them all up. Without it each worker would answer with its own counts only.
"""
from __future__ import annotations

import os
import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from models import OutboxMessage
from workflow import signals


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


if multiprocess_dir():  # the library writes a file per process there from the first sample on
    os.makedirs(multiprocess_dir(), exist_ok=True)

REQUESTS = Counter("dienhinh_http_requests", "HTTP requests answered, by endpoint, method and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("dienhinh_http_request_duration_seconds", "Time to answer an HTTP request, by endpoint.",
                    ["endpoint"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
TRANSITIONS = Counter("dienhinh_transitions", "Committed transitions of nominations, by action and new state.",
                      ["action", "to_state"])

_PENDING = "dienhinh.metrics.transitions"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# ------------------------------------------------------------------------------------------------ transitions
def on_transitioned(session, *, event, **_kw) -> None:
    """Receiver of workflow.signals.nomination_transitioned. The signal is sent inside the unit of work, which may
    still roll back: the step is kept in the session until it commits (counted) or its transaction ends otherwise
    (forgotten)."""
    session.info.setdefault(_PENDING, []).append(
        (event.change.action or "?", event.change.to_state or event.nomination.state))


def on_many_transitioned(session, *, event, **_kw) -> None:
    """Receiver of workflow.signals.nominations_transitioned: each step counted as its single transition would be."""
    for step in event.steps:
        on_transitioned(session, event=step)


def _count_committed(session) -> None:
    for key in session.info.pop(_PENDING, ()):
        counter = _transitions.get(key)
        if counter is None:  # as for the requests' counters (below): labels() locks and builds its key every call
            counter = _transitions[key] = TRANSITIONS.labels(action=key[0], to_state=key[1])
        counter.inc()


def _transaction_ended(session, transaction) -> None:
    if transaction.parent is None and _PENDING in session.info:  # the root transaction ended without a commit
        session.info.pop(_PENDING, None)


# Every session (the app's, the CLI's, the worker's): a dictionary look-up when nothing is pending.
if not event.contains(Session, "after_commit", _count_committed):
    event.listen(Session, "after_commit", _count_committed)
    event.listen(Session, "after_transaction_end", _transaction_ended)


# ------------------------------------------------------------------------------------ read at scrape time
class OutboxCollector(Collector):
    """The e-mail outbox, counted when Prometheus scrapes (never stale, nothing to update elsewhere)."""

    def __init__(self, session_factory):
        self.session_factory = session_factory

    def collect(self):
        up = GaugeMetricFamily("dienhinh_database_up", "1 when the database answered this scrape's queries.")
        try:
            with self.session_factory() as session:
                counts = dict(session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
        except Exception:  # noqa: BLE001 - a scrape reports the database down, never fails
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("dienhinh_outbox_depth", "E-mails waiting to be sent (pending or being sent).",
                                value=counts.get("pending", 0) + counts.get("sending", 0))
        yield GaugeMetricFamily("dienhinh_outbox_failed", "E-mails given up on (status failed).",
                                value=counts.get("failed", 0))


# ------------------------------------------------------------------------------------------------- requests
def _observe(response):
    """Counts the answered request and its latency, from when `web.ops.logs._start` (the first before-request hook)
    started it: one clock read and one hook serve the access line's duration and the histogram."""
    started = g.get("request_started")
    req = request._get_current_object()  # one context look-up, not three
    # Bounded labels only: a Flask endpoint name (never the raw path), a standard method (a client may send any token).
    endpoint = req.endpoint or "none"
    method = req.method if req.method in METHODS else "other"
    key = (endpoint, method, response.status_code)
    counter = _counters.get(key)
    if counter is None:  # prometheus-client's labels() takes a lock and builds the key on every call
        counter = _counters[key] = REQUESTS.labels(endpoint=endpoint, method=method, status=str(response.status_code))
    counter.inc()
    if started is not None:
        histogram = _histograms.get(endpoint)
        if histogram is None:
            histogram = _histograms[endpoint] = LATENCY.labels(endpoint=endpoint)
        histogram.observe(time.perf_counter() - started)
    return response


# The labelled children, per process: their keys are bounded like the labels (endpoints, methods, statuses; the
# lifecycle's actions and states).
_counters: dict = {}
_histograms: dict = {}
_transitions: dict = {}


def render(session_factory) -> bytes:
    """The exposition text: this process's metrics (every worker's in multiprocess mode), then the outbox's."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    outbox = CollectorRegistry(auto_describe=True)
    outbox.register(OutboxCollector(session_factory))
    return generate_latest(registry) + generate_latest(outbox)


def init_app(app: Flask) -> None:
    signals.nomination_transitioned.connect(on_transitioned, weak=False)  # idempotent
    signals.nominations_transitioned.connect(on_many_transitioned, weak=False)
    app.after_request(_observe)  # its start is `logs._start`'s (`ops.init_app` installs both)
