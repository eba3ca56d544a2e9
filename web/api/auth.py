"""POST /api/v1/auth/token: a bearer token for a username and password (rate-limited, audited)."""
from __future__ import annotations

from flask import current_app

from web.api.base import api_blueprint, ctx
from web.api.schemas import ProblemSchema, TokenRequestSchema, TokenSchema
from web.db import db
from web.extensions import limiter, login_attempt_key
from workflow import accounts
from workflow.errors import AuthenticationFailed

blp = api_blueprint("api_auth", __name__, "Xác thực: cấp mã truy cập (bearer token).", public=True)


@blp.route("/auth/token", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_IP"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], key_func=login_attempt_key)
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, schema=ProblemSchema, content_type="application/problem+json",
                  description="Sai tên đăng nhập hoặc mật khẩu")
@blp.alt_response(429, schema=ProblemSchema, content_type="application/problem+json",
                  description="Quá nhiều lần đăng nhập")
@blp.doc(security=[])
def token(args):
    """Cấp mã truy cập

    Gửi `username` và `password`; dùng mã trả về trong tiêu đề `Authorization: Bearer <token>`.
    Mọi lần đăng nhập (thành công hay thất bại) đều được ghi vào nhật ký.
    """
    session = db()
    try:
        user = accounts.authenticate(session, args["username"], args["password"], context=ctx())
    except AuthenticationFailed:
        session.commit()  # the auth.login_failed audit row stays even though the request fails
        raise
    value = accounts.issue_token(session, user)
    session.commit()
    return {"token": value, "token_type": "Bearer"}
