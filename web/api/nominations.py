"""Nominations (hồ sơ điển hình): list, register, read, edit, transitions, attachments, check-ins."""
from __future__ import annotations

from collections.abc import Callable

from models import Nomination
from web.api import present
from web.api.base import actor, api_blueprint, ctx, plain_reads, run
from web.api.schemas import (
    BINARY,
    MAX_ID,
    AcceptSchema,
    AttachmentSchema,
    AttachmentUploadSchema,
    CheckinCreateSchema,
    CheckinSchema,
    NominationArgsSchema,
    NominationCreateSchema,
    NominationDetailSchema,
    NominationPageSchema,
    NominationUpdateSchema,
    ProblemSchema,
    TransitionSchema,
)
from web.db import db, reads
from web.files import send_stored
from web.json_provider import document
from workflow import uploads
from workflow.errors import NotFound
from workflow.nominations import machine, queries, service

blp = api_blueprint("api_nominations", __name__, "Hồ sơ điển hình tiên tiến và quy trình xét.")

NID = f"<int(max={MAX_ID}):nomination_id>"
PROBLEM = {"schema": ProblemSchema, "content_type": "application/problem+json"}
TRANSITION_DATA = ("reason", "nurture_plan", "decision_number", "decision_date")


def _changed(session, who, change: Callable[[], Nomination]) -> Callable[[], dict]:
    """The unit of work of a change that answers with the detail: the change, then the detail built in the same
    transaction, before its commit. The rows the change locked and wrote are in the session, current, so nothing is
    read again (the nomination, its history row, the caller): the detail adds only what it shows beside them. The
    answer is exactly what the commit makes visible, even when another change follows at once, and SQLite takes its
    write lock once per request, not a second time for the reads after the commit. What the detail shows beside the
    row (history and its people, criteria, check-ins, attachments) is read in one statement (`queries.load_parts`),
    not four lazy loads and a fifth for the names."""
    def answer() -> dict:
        n = change()
        queries.load_parts(session, n)
        return present.nomination_detail(session, who, n)

    return answer


def _document(detail: dict, status: int = 200):
    """The detail as JSON without walking its schema (the schema documents it), in one orjson pass."""
    return document(detail, status)


@blp.route("/nominations")
@blp.arguments(NominationArgsSchema, location="query")
@blp.response(200, NominationPageSchema)
@plain_reads(blp)
def list_nominations(args):
    """Danh sách hồ sơ trong phạm vi của tài khoản

    Lọc theo `state` (một hoặc nhiều, cách nhau bởi dấu phẩy), `campaign`, `unit`, `subject_type`, `q` (không dấu).
    Đọc xa: `before_id` = `next_before_id` của trang trước (con trỏ theo id, không phải đếm lại từ đầu).
    """
    return document(present.nomination_page(queries.list_nominations(reads(), actor(), **args)))


@blp.route("/nominations", methods=["POST"])
@blp.arguments(NominationCreateSchema)
@blp.response(201, NominationDetailSchema)
@blp.alt_response(403, description="Không có quyền đăng ký cho đơn vị này", **PROBLEM)
def create_nomination(args):
    """Đăng ký điển hình (Thủ trưởng đơn vị cho đơn vị mình, hoặc Văn phòng Sở)"""
    session, who = db(), actor()
    return _document(run(_changed(session, who, lambda: service.create_nomination(session, who, context=ctx(), **args)),
                         action="nomination.create", object_type="nomination"), 201)


@blp.route(f"/nominations/{NID}")
@blp.response(200, NominationDetailSchema)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi của tài khoản", **PROBLEM)
@plain_reads(blp)
def get_nomination(nomination_id):
    """Hồ sơ: trạng thái, phiên bản, tiêu chí, điều kiện, thao tác được phép, lịch sử"""
    # A read starts on a fresh session: nothing to expire, all of it loaded at once. Its plain reads (the nomination
    # with its parts in one statement, a rule's records) run on the request's reader connection, the caller's too
    # (`plain_reads`, `web.db.reads`): the session holds the objects and connects only for an ORM read.
    session, who = db(), actor()
    return _document(present.nomination_detail(session, who, queries.load_detail(session, who, nomination_id)))


@blp.route(f"/nominations/{NID}", methods=["PATCH"])
@blp.arguments(NominationUpdateSchema)
@blp.response(200, NominationDetailSchema)
@blp.alt_response(409, description="Phiên bản đã cũ (version)", **PROBLEM)
def update_nomination(args, nomination_id):
    """Cập nhật hồ sơ (kèm `version`); `criteria` dạng {mã: {"met": true, "evidence": "..."}}"""
    session, who = db(), actor()
    version = args.pop("version")
    return _document(run(_changed(session, who, lambda: service.update_nomination(session, who, nomination_id, version,
                                                                                 context=ctx(), **args)),
                         action="nomination.update", object_type="nomination", object_id=nomination_id))


@blp.route(f"/nominations/{NID}/transitions", methods=["POST"])
@blp.arguments(TransitionSchema)
@blp.response(200, NominationDetailSchema)
@blp.alt_response(403, description="Không có vai trò/phạm vi cho thao tác", **PROBLEM)
@blp.alt_response(409, description="Phiên bản đã cũ hoặc thao tác không hợp lệ từ trạng thái hiện tại", **PROBLEM)
def transition(args, nomination_id):
    """Chuyển trạng thái hồ sơ (`action` là mã thao tác, kèm `version`)

    Lỗi 422 liệt kê trong `reasons` từng điều kiện chưa đạt (hồ sơ chưa đủ, quy tắc cứng không đạt, thiếu lý do...).
    """
    session, who = db(), actor()
    action = args["action"]
    data = {k: args[k] for k in TRANSITION_DATA if args.get(k) is not None}
    audit_action = f"nomination.{action}" if action in (*machine.TRIGGERS, "accept") else "nomination.transition"
    return _document(run(_changed(session, who, lambda: service.transition(session, who, nomination_id, action,
                                                                          args["version"], comment=args["comment"],
                                                                          context=ctx(), with_parts=True, **data)),
                         action=audit_action, object_type="nomination", object_id=nomination_id))


@blp.route(f"/nominations/{NID}/accept", methods=["POST"])
@blp.arguments(AcceptSchema)
@blp.response(200, NominationDetailSchema)
@blp.alt_response(403, description="Chỉ Văn phòng Sở của Sở", **PROBLEM)
@blp.alt_response(409, description="Phiên bản đã cũ, hồ sơ không ở trạng thái Chờ Hội đồng xét hoặc đã tiếp nhận",
                  **PROBLEM)
@blp.alt_response(422, description="Hồ sơ chưa đủ thành phần (danh mục kiểm tra trong `reasons`)", **PROBLEM)
def accept_nomination(args, nomination_id):
    """Tiếp nhận hồ sơ (Văn phòng Sở): hồ sơ đã trình, đủ thành phần theo danh mục kiểm tra

    Không đổi trạng thái (vẫn "Chờ Hội đồng xét"): ghi lịch sử "Tiếp nhận hồ sơ", nhật ký, thông báo cho đơn vị.
    Hồ sơ chưa đạt thì trả lại bằng `POST /nominations/{id}/transitions` với `action` = `return_for_revision`, `reason`.
    Lập chương trình phiên họp (`POST /council-sessions/{id}/agenda`) với hồ sơ chưa tiếp nhận cũng ghi nhận tiếp nhận.
    """
    session, who = db(), actor()
    return _document(run(_changed(session, who, lambda: service.accept_nomination(
        session, who, nomination_id, args["version"], comment=args["comment"], context=ctx())),
        action="nomination.accept", object_type="nomination", object_id=nomination_id))


@blp.route(f"/nominations/{NID}/attachments", methods=["POST"])
@blp.arguments(AttachmentUploadSchema, location="multipart")
@blp.response(201, AttachmentSchema)
@blp.alt_response(413, description="Tệp quá lớn", **PROBLEM)
def add_attachment(form, nomination_id):
    """Đính kèm tài liệu (multipart: `file`, `kind`, `internal`); loại tệp được kiểm tra theo nội dung

    `internal=true`: tài liệu nội bộ, không thuộc phần công khai mà công chức của Sở đọc trong thời gian công khai.
    """
    session, who = db(), actor()
    upload = form["file"]
    data = upload.read(uploads.MAX_BYTES + 1)
    item = run(lambda: service.add_attachment(session, who, nomination_id, kind=form["kind"],
                                              filename=upload.filename or "", data=data,
                                              internal=form.get("internal", False), context=ctx()),
               action="nomination.add_attachment", object_type="nomination", object_id=nomination_id)
    return present.attachment(item)


@blp.route(f"/nominations/{NID}/attachments/<int(max={MAX_ID}):attachment_id>")
@blp.doc(responses={200: {"description": "Nội dung tệp, theo kiểu của tệp đã tải lên",
                           "content": {media_type: {"schema": BINARY} for media_type in uploads.ALLOWED}}})
def download_attachment(nomination_id, attachment_id):
    """Tải tài liệu đính kèm"""
    session = db()
    who = actor()
    n = service.load(session, who, nomination_id)
    item = next((a for a in queries.visible_attachments(who, n) if a.id == attachment_id), None)
    stored = uploads.stat(session, item.sha256) if item is not None else None
    if stored is None:
        raise NotFound("Không tìm thấy tài liệu đính kèm.")
    return send_stored(stored, mimetype=item.content_type, as_attachment=True, download_name=item.filename)


@blp.route(f"/nominations/{NID}/checkins", methods=["POST"])
@blp.arguments(CheckinCreateSchema)
@blp.response(201, CheckinSchema)
def add_checkin(args, nomination_id):
    """Ghi nhận theo dõi bồi dưỡng (`note`, `date`)"""
    session, who = db(), actor()
    item = run(lambda: service.add_checkin(session, who, nomination_id, date=args.get("date"), note=args["note"],
                                           context=ctx()),
               action="nomination.add_checkin", object_type="nomination", object_id=nomination_id)
    return present.checkin(item)
