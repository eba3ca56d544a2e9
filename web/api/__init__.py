"""The JSON API under /api/v1 (CONTRACT.md, "JSON API"), documented as OpenAPI 3 at /api/openapi.json.

flask-smorest validates input with the marshmallow schemas of `web.api.schemas` and generates the document from
them. Every error under /api/ is application/problem+json (`web.api.problems`). Views are thin: parse, call the
workflow, serialise (`web.api.present`).
"""
from __future__ import annotations

from flask import Flask

from web.api import (
    audit,
    auth,
    campaigns,
    council_sessions,
    councils,
    decisions,
    delegations,
    directory,
    exports,
    inbox,
    nominations,
    proposals,
    reports,
    stories,
    tokens,
)
from web.api.base import BLUEPRINTS
from web.api.problems import ProblemApi, problem_fallback
from web.extensions import csrf

MODULES = (auth, directory, campaigns, nominations, audit, inbox, councils, council_sessions, decisions,
           proposals, exports, stories, reports, tokens, delegations)

API_SETTINGS = {
    "API_TITLE": "Điển hình tiên tiến API",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
}


def init_app(app: Flask) -> ProblemApi:
    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    api = ProblemApi(spec_kwargs={
        "info": {"description": "API của hệ thống quản lý điển hình tiên tiến ngành Tư pháp. Xác thực bằng "
                                "`Authorization: Bearer <token>` (POST /api/v1/auth/token). Lỗi trả về "
                                "`application/problem+json`."},
        "security": [{"bearerAuth": []}],
    })
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
        csrf.exempt(blp)
    app.after_request(problem_fallback)
    app.extensions["dienhinh.api"] = api
    return api
