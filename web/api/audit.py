"""The audit trail, for auditors and administrators: the list, the chain's verification status (and a new incremental
check), and the exports of a filtered set as .csv and .xlsx."""
from __future__ import annotations

import base64

from flask import Response, current_app, send_file
from marshmallow import Schema, fields, validate

from notifications import audit_checkpoints, audit_verify
from web.api import present
from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import (
    BINARY,
    MAX_ID,
    MAX_PER_PAGE,
    AuditArgsSchema,
    AuditEventPageSchema,
    ISODateTime,
    PageArgsSchema,
    ProblemSchema,
    Text,
    page_of,
)
from web.audit_trail import check_options, signing_key
from web.db import db
from workflow.reporting import audit_queries

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
    chain = fields.String(allow_none=True, metadata={
        "description": "null: the summary of one check; else the chain (\"dept:<unit id>\", \"ministry\", "
                       "\"system\", \"legacy\")"})
    last_seq = fields.Integer(allow_none=True, metadata={"description": "position in the chain known intact"})
    first_bad_seq = fields.Integer(allow_none=True)
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
    latest = fields.Nested(AuditVerificationSchema, allow_none=True,
                           metadata={"description": "the summary of the latest check (every chain and checkpoint)"})
    chains = fields.List(fields.Nested(AuditVerificationSchema), metadata={"description": "latest result per chain"})
    newest_checkpoint_at = fields.DateTime(allow_none=True)


class CheckpointArgsSchema(PageArgsSchema):
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_PER_PAGE))
    chain = Text(40)
    after_id = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_ID),
                              metadata={"description": "only checkpoints with a larger id (to archive the new ones)"})


class CheckpointSchema(Schema):
    id = fields.Integer()
    chain = fields.String()
    seq = fields.Integer(metadata={"description": "position of the chain's head when signed"})
    hash = fields.String(metadata={"description": "hash of the event at that position (hex SHA-256)"})
    time = fields.String(metadata={"description": "signing time, ISO 8601 UTC (\"…Z\"), as signed"})
    key_id = fields.String(metadata={"description": "first 16 hex digits of SHA-256 of the raw public key"})
    signature = fields.String(metadata={
        "description": "base64 Ed25519 signature of the UTF-8 JSON {\"chain\",\"hash\",\"seq\",\"time\"} with "
                       "sorted keys and no spaces"})


CheckpointPageSchema = page_of(CheckpointSchema, "CheckpointPage")


class AuditEventListSchema(AuditEventPageSchema):
    total_exact = fields.Boolean(metadata={
        "description": "false: more than 10,000 events match a filter beyond action, object_type and outcome "
                       "(actor, object_id, since, until, before_id) and `total` is an estimate (at least the events "
                       "up to this page); page on until a page is shorter than `per_page`, or by `before_id`. A "
                       "filter by action, object_type and outcome alone is always counted exactly"})


class PublicKeySchema(Schema):
    algorithm = fields.String(metadata={"description": "Ed25519"})
    key_id = fields.String()
    pem = fields.String(metadata={"description": "SubjectPublicKeyInfo, PEM"})
    raw_base64 = fields.String(metadata={"description": "the 32-byte raw public key, base64"})


def verification(v) -> dict | None:
    if v is None:
        return None
    return {"id": v.id, "checked_at": v.checked_at, "checked_by": v.checked_by, "full": v.full, "ok": v.ok,
            "events_checked": v.events_checked, "last_event_id": v.last_event_id, "first_bad_id": v.first_bad_id,
            "message": v.message, "chain": v.chain, "last_seq": v.last_seq, "first_bad_seq": v.first_bad_seq}


@blp.route("/audit")
@blp.arguments(AuditArgsSchema, location="query")
@blp.response(200, AuditEventListSchema)
@blp.alt_response(403, **FORBIDDEN)
def list_audit(args):
    """Nhật ký: mới nhất trước (id giảm dần)

    Lọc theo `object_type`, `object_id`, `actor` (tên đăng nhập hoặc id), `action` (chính xác, hoặc tiền tố kết thúc
    bằng dấu chấm), `since`, `until` (ngày hoặc thời điểm ISO 8601); `before_id` để phân trang theo khóa.
    Lọc theo `action`, `object_type`, `outcome` (hoặc không lọc): `total` luôn chính xác, trang sâu vẫn nhanh. Có
    thêm bộ lọc khác mà trên 10.000 sự kiện khớp: `total` là số ước tính (`total_exact: false`).
    """
    result = audit_queries.list_audit_events(db(), actor(), **args)
    return {**present.page(result, present.audit_event), "total_exact": result.total_exact}


class AuditOptionSchema(Schema):
    value = fields.String()
    label = fields.String()


class AuditActionGroupSchema(Schema):
    label = fields.String()
    options = fields.List(fields.Nested(AuditOptionSchema), metadata={
        "description": "the first option of a family is its prefix (\"nomination.\": every action of the family)"})


class AuditFilterOptionsSchema(Schema):
    actions = fields.List(fields.Nested(AuditActionGroupSchema))
    object_types = fields.List(fields.Nested(AuditOptionSchema))
    outcomes = fields.List(fields.Nested(AuditOptionSchema))


@blp.route("/audit/filters")
@blp.response(200, AuditFilterOptionsSchema)
@blp.alt_response(403, **FORBIDDEN)
def filter_options():
    """Các lựa chọn của bộ lọc nhật ký (như trang /audit): thao tác có trong nhật ký theo nhóm, loại đối tượng, kết
    quả — mỗi lựa chọn một lần, với tên tiếng Việt"""
    return audit_queries.filter_options(db(), actor())


@blp.route("/audit/verification")
@blp.response(200, AuditStatusSchema)
@blp.alt_response(403, **FORBIDDEN)
def verification_status():
    """Kết quả kiểm tra chuỗi nhật ký gần nhất (không kiểm tra lại)"""
    audit_queries.require_audit_reader(actor())
    session = db()
    latest = audit_verify.latest(session)
    newest = audit_verify.newest_checkpoint(session)
    return {"checked": latest is not None, "latest": verification(latest),
            "chains": [verification(v) for v in audit_verify.latest_per_chain(session)],
            "newest_checkpoint_at": newest.signed_at if newest is not None else None}


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
        return audit_verify.check(db(), checked_by=who.username, actor=who, context=ctx(), max_events=API_CHECK_LIMIT,
                                  **check_options(strict=False))

    return verification(run(call, action="audit.verify", object_type="audit_verification"))


CHECKPOINT_FORBIDDEN = dict(FORBIDDEN, description="Chỉ Thanh tra, quản trị hoặc chuyên viên của Bộ")


@blp.route("/audit/checkpoints")
@blp.arguments(CheckpointArgsSchema, location="query")
@blp.response(200, CheckpointPageSchema)
@blp.alt_response(403, **CHECKPOINT_FORBIDDEN)
def list_checkpoints(args):
    """Các điểm kiểm tra đã ký (đầu mỗi chuỗi nhật ký), cũ trước, theo trang; `after_id` để chỉ lấy điểm mới

    Danh sách theo trang như mọi danh sách khác (`page`, `per_page` ≤ 100, mặc định 100; `total`).

    Mỗi điểm kiểm tra là chữ ký Ed25519 trên JSON `{"chain","hash","seq","time"}` (khóa sắp xếp, không khoảng
    trắng); kiểm chữ ký bằng khóa công khai ở `GET /audit/public-key`. Lưu trữ chúng ở nơi khác để phát hiện nhật
    ký bị cắt bớt hoặc dựng lại.
    """
    result = audit_queries.list_checkpoints(db(), actor(), chain=args.get("chain"), after_id=args["after_id"],
                                            page=args["page"], per_page=args["per_page"])
    return {"items": [{"id": c.id, "chain": c.chain, "seq": c.seq, "hash": c.hash,
                       "time": audit_checkpoints.iso(c.signed_at), "key_id": c.key_id, "signature": c.signature}
                      for c in result.items],
            "total": result.total, "page": result.page, "per_page": result.per_page}


@blp.route("/audit/public-key")
@blp.response(200, PublicKeySchema)
@blp.alt_response(403, **CHECKPOINT_FORBIDDEN)
def public_key():
    """Khóa công khai Ed25519 để kiểm chữ ký các điểm kiểm tra (PEM và base64 của 32 byte)"""
    audit_queries.require_checkpoint_reader(actor())
    key = signing_key().public_key()
    return {"algorithm": "Ed25519", "key_id": audit_checkpoints.key_id(key), "pem": audit_checkpoints.public_pem(key),
            "raw_base64": base64.b64encode(audit_checkpoints.public_raw(key)).decode()}


def _export_query(args) -> dict:
    audit_queries.check_export(db(), actor(), args)
    return args


@blp.route("/audit/export.csv")
@blp.arguments(AuditExportArgsSchema, location="query")
@blp.alt_response(200, schema=BINARY, content_type="text/csv", description="CSV (UTF-8 có BOM), mới nhất trước")
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
@blp.alt_response(200, schema=BINARY, content_type=XLSX, description="Bảng tính .xlsx, mới nhất trước")
@blp.alt_response(403, **FORBIDDEN)
@blp.alt_response(422, schema=ProblemSchema, content_type="application/problem+json",
                  description="Bộ lọc không hợp lệ, hoặc hơn 100.000 sự kiện: cần thu hẹp bộ lọc")
def export_xlsx(args):
    """Xuất nhật ký đã lọc ra Excel .xlsx (tối đa 100.000 sự kiện)"""
    query = _export_query(args)
    out = audit_queries.xlsx_file(audit_queries.export_rows(db(), query))
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name=audit_queries.export_filename("xlsx"))
