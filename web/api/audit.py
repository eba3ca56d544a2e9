"""The audit trail, for auditors and administrators: the list, the chain's verification status (and a new incremental
check), and the exports of a filtered set as .csv and .xlsx."""
from __future__ import annotations

from flask import Response, current_app, send_file
from marshmallow import Schema, fields, validate

from notifications import audit_verify
from web.api import present
from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import MAX_ID, AuditArgsSchema, AuditEventPageSchema, ISODateTime, ProblemSchema, Text
from web.db import db
from workflow import audit_queries

blp = api_blueprint("api_audit", __name__, "Nhật ký hệ thống (chỉ Thanh tra và quản trị).")

API_CHECK_LIMIT = 200_000  # events one request checks; the next request goes on from there
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORBIDDEN = {"schema": ProblemSchema, "content_type": "application/problem+json",
             "description": "Chỉ Thanh tra hoặc quản trị hệ thống"}


class AuditExportArgsSchema(Schema):
    object_type = Text(40)
    object_id = fields.Integer(validate=validate.Range(min=0, max=MAX_ID))
    actor = Text(80, metadata={"description": "username or user id"})
    action = Text(60, metadata={"description": "exact action, or a prefix ending with '.' (e.g. 'nomination.')"})
    since = ISODateTime()
    until = ISODateTime(end_of_day=True)


class AuditVerificationSchema(Schema):
    id = fields.Integer()
    checked_at = fields.DateTime()
    checked_by = fields.String(allow_none=True)
    full = fields.Boolean(metadata={"description": "true: from the first event; false: from the last intact check"})
    ok = fields.Boolean()
    events_checked = fields.Integer(metadata={"description": "events known intact up to last_event_id"})
    last_event_id = fields.Integer(allow_none=True)
    first_bad_id = fields.Integer(allow_none=True)
    message = fields.String()


class AuditStatusSchema(Schema):
    checked = fields.Boolean(metadata={"description": "false: the chain was never checked"})
    latest = fields.Nested(AuditVerificationSchema, allow_none=True)


def verification(v) -> dict | None:
    if v is None:
        return None
    return {"id": v.id, "checked_at": v.checked_at, "checked_by": v.checked_by, "full": v.full, "ok": v.ok,
            "events_checked": v.events_checked, "last_event_id": v.last_event_id, "first_bad_id": v.first_bad_id,
            "message": v.message}


@blp.route("/audit")
@blp.arguments(AuditArgsSchema, location="query")
@blp.response(200, AuditEventPageSchema)
@blp.alt_response(403, **FORBIDDEN)
def list_audit(args):
    """Nhật ký: mới nhất trước (id giảm dần)

    Lọc theo `object_type`, `object_id`, `actor` (tên đăng nhập hoặc id), `action` (chính xác, hoặc tiền tố kết thúc
    bằng dấu chấm), `since`, `until` (ngày hoặc thời điểm ISO 8601); `before_id` để phân trang theo khóa.
    """
    return present.page(audit_queries.list_audit_events(db(), actor(), **args), present.audit_event)


@blp.route("/audit/verification")
@blp.response(200, AuditStatusSchema)
@blp.alt_response(403, **FORBIDDEN)
def verification_status():
    """Kết quả kiểm tra chuỗi nhật ký gần nhất (không kiểm tra lại)"""
    audit_queries.require_audit_reader(actor())
    latest = audit_verify.latest(db())
    return {"checked": latest is not None, "latest": verification(latest)}


@blp.route("/audit/verification", methods=["POST"])
@blp.response(201, AuditVerificationSchema)
@blp.alt_response(403, **FORBIDDEN)
def verify_chain():
    """Kiểm tra chuỗi nhật ký (nối tiếp từ lần kiểm tra toàn vẹn gần nhất) và lưu kết quả

    Kết quả `ok: false` vẫn là 201: lần kiểm tra đã được ghi lại, `first_bad_id` chỉ ra sự kiện đầu tiên không khớp.
    """
    who = actor()

    def call():
        audit_queries.require_audit_reader(who)
        return audit_verify.check(db(), checked_by=who.username, actor=who, context=ctx(), max_events=API_CHECK_LIMIT)

    return verification(run(call, action="audit.verify", object_type="audit_verification"))


def _export_query(args) -> dict:
    audit_queries.check_export(db(), actor(), args)
    return args


@blp.route("/audit/export.csv")
@blp.arguments(AuditExportArgsSchema, location="query")
@blp.alt_response(200, content_type="text/csv", description="CSV (UTF-8 có BOM), mới nhất trước")
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(422, schema=ProblemSchema, content_type="application/problem+json",
                  description="Bộ lọc không hợp lệ, hoặc hơn 100.000 sự kiện: cần thu hẹp bộ lọc")
def export_csv(args):
    """Xuất nhật ký đã lọc ra CSV (tối đa 100.000 sự kiện)"""
    query = _export_query(args)
    body = audit_queries.stream_csv(current_app.extensions["dienhinh.read_sessions"], query)
    return Response(body, headers={
        "Content-Disposition": f'attachment; filename="{audit_queries.export_filename("csv")}"',
        "Content-Type": "text/csv; charset=utf-8"})


@blp.route("/audit/export.xlsx")
@blp.arguments(AuditExportArgsSchema, location="query")
@blp.alt_response(200, content_type=XLSX, description="Bảng tính .xlsx, mới nhất trước")
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(422, schema=ProblemSchema, content_type="application/problem+json",
                  description="Bộ lọc không hợp lệ, hoặc hơn 100.000 sự kiện: cần thu hẹp bộ lọc")
def export_xlsx(args):
    """Xuất nhật ký đã lọc ra Excel .xlsx (tối đa 100.000 sự kiện)"""
    query = _export_query(args)
    out = audit_queries.xlsx_file(audit_queries.export_rows(db(), query))
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name=audit_queries.export_filename("xlsx"))
