"""Operations: liveness (/healthz), readiness (/readyz), Prometheus metrics (/metrics), the request id, the access
log and optional error reporting (SENTRY_DSN). None of it needs a login or counts against a rate limit; /metrics
answers loopback or an admin/auditor token only."""
from __future__ import annotations

from flask import Flask

from web.ops import errors, logs, metrics
from web.ops.views import bp


def init_app(app: Flask) -> None:
    logs.init_app(app)
    errors.init_app(app)  # after the request id: events carry it
    metrics.init_app(app)
    app.register_blueprint(bp)
