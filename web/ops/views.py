"""GET /healthz, /readyz and /metrics. Thin: the checks are in readiness.py, the metrics in metrics.py."""
from __future__ import annotations

import ipaddress

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from models.base import read_only_engine
from web.db import db
from web.extensions import limiter
from web.ops import metrics, readiness
from workflow import policy
from workflow.administration import accounts

bp = Blueprint("ops", __name__)

MAX_TOKEN_LENGTH = 512
# A request that came through a proxy carries one of these: it is not a loopback client, whatever the socket says.
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """The process answers. Touches nothing else (not the database): a restart would not fix a database."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """200 when this process can serve: the database answers within READINESS_TIMEOUT with its schema at head, and
    Redis answers when the rate limits are kept there; else 503 naming what failed."""
    # A reader's engine: on SQLite its transactions begin DEFERRED, so a probe never queues behind (or blocks) a writer.
    engine = read_only_engine(current_app.extensions["dienhinh.engine"])
    checks = {"database": lambda: readiness.database(engine)}
    if str(current_app.config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis://", "rediss://", "redis+")):
        checks["redis"] = lambda storage=limiter.storage: readiness.redis(storage)
    outcomes = readiness.run(checks, current_app.config.get("READINESS_TIMEOUT", 0.8))
    failed = [name for name, (ok, _detail) in outcomes.items() if not ok]
    body = {"status": "fail" if failed else "ok", "failed": failed,
            "checks": {name: detail for name, (_ok, detail) in outcomes.items()}}
    return _no_store(jsonify(body)), 503 if failed else 200


def _problem(status: int, detail: str, **headers):
    titles = {401: "Chưa xác thực", 403: "Không có quyền", 503: "Không sẵn sàng"}
    response = jsonify(type="about:blank", status=status, title=titles[status], detail=detail)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers.update(headers)
    return _no_store(response)


def _loopback() -> bool:
    try:
        direct = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
    return direct and not any(h in request.headers for h in FORWARDING_HEADERS)


@bp.get("/metrics")
@limiter.exempt
def prometheus_metrics():
    """Prometheus text. Answered to a client on this host (a scraper at 127.0.0.1, not a request forwarded by the
    proxy) or to the bearer token of an admin or an auditor."""
    if not _loopback():
        scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        token = token.strip()
        challenge = {"WWW-Authenticate": 'Bearer realm="dienhinh"'}
        if scheme.lower() != "bearer" or not token:
            return _problem(401, "Cần tiêu đề Authorization: Bearer <mã truy cập> của quản trị viên hoặc thanh tra.",
                            **challenge)
        try:
            user = accounts.user_for_token(db(), token) if len(token) <= MAX_TOKEN_LENGTH else None
        except SQLAlchemyError:
            return _problem(503, "Không kiểm tra được mã truy cập: cơ sở dữ liệu không trả lời.")
        if user is None:
            return _problem(401, "Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.", **challenge)
        if not set(policy.roles_for("metrics", "view")) & set(user.role_codes):
            return _problem(403, "Chỉ quản trị viên hoặc thanh tra được xem số liệu vận hành.")
    body = metrics.render(current_app.extensions["dienhinh.read_sessions"])
    response = current_app.response_class(body, mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
    return _no_store(response)
