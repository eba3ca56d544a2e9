"""The audit trail, for auditors and administrators."""
from __future__ import annotations

from web.api import present
from web.api.base import actor, api_blueprint
from web.api.schemas import AuditArgsSchema, AuditEventPageSchema, ProblemSchema
from web.db import db
from workflow import audit_queries

blp = api_blueprint("api_audit", __name__, "Nhật ký hệ thống (chỉ Thanh tra và quản trị).")


@blp.route("/audit")
@blp.arguments(AuditArgsSchema, location="query")
@blp.response(200, AuditEventPageSchema)
@blp.alt_response(403, schema=ProblemSchema, content_type="application/problem+json",
                  description="Chỉ Thanh tra hoặc quản trị hệ thống")
def list_audit(args):
    """Nhật ký: mới nhất trước (id giảm dần)

    Lọc theo `object_type`, `object_id`, `actor` (tên đăng nhập hoặc id), `action` (chính xác, hoặc tiền tố kết thúc
    bằng dấu chấm), `since`, `until` (ngày hoặc thời điểm ISO 8601); `before_id` để phân trang theo khóa.
    """
    return present.page(audit_queries.list_audit_events(db(), actor(), **args), present.audit_event)
