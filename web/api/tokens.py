"""The caller's own API tokens: list them, revoke one (GET /me/tokens, DELETE /me/tokens/{id})."""
from __future__ import annotations

from marshmallow import Schema, fields

from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import MAX_ID, PageArgsSchema, ProblemSchema, page_of
from web.db import db
from workflow.administration import accounts

blp = api_blueprint("api_tokens", __name__, "Mã truy cập (bearer token) của tài khoản đang dùng.")
PROBLEM = {"schema": ProblemSchema, "content_type": "application/problem+json"}


class ApiTokenSchema(Schema):
    """A token as its owner sees it: never its secret (only its SHA-256 is stored)."""

    id = fields.Integer()
    name = fields.String(metadata={"description": "Tên gợi nhớ"})
    created_at = fields.DateTime(metadata={"description": "Cấp lúc (ISO 8601, UTC)"})
    last_used_at = fields.DateTime(allow_none=True,
                                   metadata={"description": "Dùng lần cuối (chính xác đến phút); null: chưa dùng"})
    expires_at = fields.DateTime(metadata={"description": "Hết hạn lúc"})


ApiTokenPageSchema = page_of(ApiTokenSchema, "ApiTokenPage")


def token(row) -> dict:
    return {"id": row.id, "name": row.name, "created_at": row.created_at, "last_used_at": row.last_used_at,
            "expires_at": row.expires_at}


@blp.route("/me/tokens")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, ApiTokenPageSchema)
def list_tokens(args):
    """Các mã truy cập còn hiệu lực của tài khoản (mới nhất trước); không bao giờ trả lại chính mã"""
    p = accounts.list_tokens(db(), actor(), **args)
    return {"items": [token(t) for t in p.items], "total": p.total, "page": p.page, "per_page": p.per_page}


@blp.route(f"/me/tokens/<int(max={MAX_ID}):token_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, description="Không có, đã hết hạn, đã thu hồi hoặc là mã của tài khoản khác", **PROBLEM)
def revoke_token(token_id):
    """Thu hồi một mã truy cập của mình (có thể là chính mã đang dùng); từ đó mã bị từ chối (401). Ghi vào nhật ký"""
    session, who = db(), actor()
    run(lambda: accounts.revoke_token(session, who, token_id, context=ctx()), action="account.token_revoke",
        object_type="user", object_id=who.id)
    return None
