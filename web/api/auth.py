"""POST /api/v1/auth/token: a bearer token for a username and password (rate-limited, audited, expiring)."""
from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from web.api.base import api_blueprint, ctx
from web.api.schemas import ProblemSchema, TokenRequestSchema
from web.db import db
from web.extensions import limiter, login_attempt_key
from workflow.administration import accounts
from workflow.errors import AuthenticationFailed

blp = api_blueprint("api_auth", __name__, "Xác thực: cấp mã truy cập (bearer token).", public=True)

API_TOKEN_NAME = "API (đăng nhập bằng mật khẩu)"


class TokenIssueRequestSchema(TokenRequestSchema):
    name = fields.String(load_default="", validate=validate.Length(max=accounts.TOKEN_NAME_MAX),
                         metadata={"description": "Tên gợi nhớ của mã (ví dụ: tên chương trình dùng nó); tùy chọn"})


class IssuedTokenSchema(Schema):
    token = fields.String(required=True, metadata={"description": "Mã truy cập; chỉ trả về một lần, không lưu lại"})
    token_type = fields.String(dump_default="Bearer")
    id = fields.Integer(metadata={"description": "Số hiệu của mã (để thu hồi: DELETE /api/v1/me/tokens/{id})"})
    expires_at = fields.DateTime(metadata={"description": "Hết hạn lúc (ISO 8601, UTC); mặc định sau "
                                                          f"{accounts.DEFAULT_TOKEN_DAYS} ngày"})


@blp.route("/auth/token", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_IP"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], key_func=login_attempt_key)
@blp.arguments(TokenIssueRequestSchema)
@blp.response(200, IssuedTokenSchema)
@blp.alt_response(401, schema=ProblemSchema, content_type="application/problem+json",
                  description="Sai tên đăng nhập hoặc mật khẩu")
@blp.alt_response(429, schema=ProblemSchema, content_type="application/problem+json",
                  description="Quá nhiều lần đăng nhập")
@blp.doc(security=[])
def token(args):
    """Cấp mã truy cập

    Gửi `username` và `password`; dùng mã trả về trong tiêu đề `Authorization: Bearer <token>`. Mã hết hạn sau
    90 ngày (`expires_at`); chủ tài khoản xem và thu hồi mã tại GET/DELETE /api/v1/me/tokens. Mọi lần đăng nhập
    (thành công hay thất bại) và mọi lần cấp mã đều được ghi vào nhật ký.
    """
    session = db()
    try:
        user = accounts.authenticate(session, args["username"], args["password"], context=ctx())
    except AuthenticationFailed:
        session.commit()  # the auth.login_failed audit row stays even though the request fails
        raise
    value, row = accounts.create_token(session, user, name=args.get("name") or API_TOKEN_NAME, actor=user,
                                       context=ctx())
    session.commit()
    return {"token": value, "token_type": "Bearer", "id": row.id, "expires_at": row.expires_at}
