"""Council sessions (phiên họp bình xét): schedule, agenda, publicity and comments, attendance, the secret ballot,
close with quorum, threshold and quota, the chair's tie-break, and the minutes.

The ballot is secret: nothing here answers who chose what. A vote is acknowledged without its choice, the session
shows how many have voted on each item and, to the caller, which items they voted on; results (totals) only once
the session is closed and only to the council, the secretariat, the director and auditors."""
from __future__ import annotations

from flask import current_app

from web.api import present
from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import (
    BINARY,
    DOCX,
    MAX_ID,
    PDF,
    AgendaSetSchema,
    AttendanceSetSchema,
    BallotReceiptSchema,
    BallotSheetSchema,
    CloseSessionSchema,
    CommentCreateSchema,
    CommentSchema,
    CouncilSessionArgsSchema,
    CouncilSessionCancelSchema,
    CouncilSessionCreateSchema,
    CouncilSessionDetailSchema,
    CouncilSessionPageSchema,
    CouncilSessionUpdateSchema,
    DocumentFormatArgsSchema,
    ProblemSchema,
    TieBreakSchema,
    VoteReceiptSchema,
    VoteSchema,
)
from web.db import db
from web.downloads import api_file, ascii_filename
from workflow import documents
from workflow.council import ballot_sheet, scheduling
from workflow.council import operations as council
from workflow.errors import Forbidden

blp = api_blueprint("api_council_sessions", __name__, "Phiên họp Hội đồng Thi đua – Khen thưởng và biểu quyết kín.")

SID = f"<int(max={MAX_ID}):session_id>"
PROBLEM = {"schema": ProblemSchema, "content_type": "application/problem+json"}


def _detail(session_id: int) -> dict:
    """The session as the caller sees it now (fresh from the database, after any change just committed)."""
    session = db()
    session.expire_all()
    who = actor()
    return present.council_session_detail(session, who, council.load_session(session, who, session_id))


def _step(session_id: int, action: str, fn) -> dict:
    run(fn, action=f"council_session.{action}", object_type="council_session", object_id=session_id)
    return _detail(session_id)


@blp.route("/council-sessions")
@blp.arguments(CouncilSessionArgsSchema, location="query")
@blp.response(200, CouncilSessionPageSchema)
def list_sessions(args):
    """Phiên họp của Hội đồng (mới nhất trước), lọc theo `state` (ví dụ `cancelled`: phiên đã hủy); người ngoài Hội
    đồng chỉ thấy phiên đã công khai danh sách"""
    return present.page(council.list_sessions(db(), actor(), **args), present.council_session_summary)


@blp.route("/council-sessions", methods=["POST"])
@blp.arguments(CouncilSessionCreateSchema)
@blp.response(201, CouncilSessionDetailSchema)
@blp.alt_response(403, description="Chỉ Văn phòng Sở (Thường trực Hội đồng)", **PROBLEM)
def create_session(args):
    """Lên lịch phiên họp (Văn phòng Sở): `title`, `date`, `campaign_id`, `location`"""
    session, who = db(), actor()
    s = run(lambda: council.schedule(session, who, context=ctx(), **args), action="council_session.schedule",
            object_type="council_session")
    return _detail(s.id)


@blp.route(f"/council-sessions/{SID}")
@blp.response(200, CouncilSessionDetailSchema)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi của tài khoản", **PROBLEM)
def get_session(session_id):
    """Phiên họp: chương trình, góp ý, điểm danh, số đã biểu quyết; sau khi kết thúc, kết quả (cho Hội đồng,
    Văn phòng Sở, Giám đốc, Thanh tra)"""
    return _detail(session_id)


@blp.route(f"/council-sessions/{SID}", methods=["PATCH"])
@blp.arguments(CouncilSessionUpdateSchema)
@blp.response(200, CouncilSessionDetailSchema)
@blp.alt_response(409, description="Phiên họp đã khai mạc, đã hủy, hoặc đã thay đổi sau `version` gửi lên", **PROBLEM)
@blp.alt_response(422, description="Ngày họp đã qua, hoặc trước khi hết thời hạn công khai (lý do trong `reasons`)",
                  **PROBLEM)
def update_session(args, session_id):
    """Dời lịch (ngày, giờ, địa điểm) hoặc sửa tên phiên họp chưa khai mạc (Văn phòng Sở), kèm `version` đang xem;
    thành viên Hội đồng được thông báo"""
    session, who = db(), actor()
    return _step(session_id, "reschedule",
                 lambda: scheduling.reschedule(session, who, session_id, context=ctx(), **args))


@blp.route(f"/council-sessions/{SID}/cancel", methods=["POST"])
@blp.arguments(CouncilSessionCancelSchema)
@blp.response(200, CouncilSessionDetailSchema)
@blp.alt_response(409, description="Phiên họp đã khai mạc hoặc đã hủy", **PROBLEM)
@blp.alt_response(422, description="Thiếu lý do hủy", **PROBLEM)
def cancel_session(args, session_id):
    """Hủy phiên họp chưa khai mạc (Văn phòng Sở) với `reason`; hồ sơ trong chương trình trở lại danh sách chờ xét,
    thành viên Hội đồng được thông báo"""
    session, who = db(), actor()
    return _step(session_id, "cancel", lambda: scheduling.cancel(session, who, session_id, context=ctx(), **args))


@blp.route(f"/council-sessions/{SID}/agenda", methods=["POST"])
@blp.arguments(AgendaSetSchema)
@blp.response(200, CouncilSessionDetailSchema)
@blp.alt_response(422, description="Có hồ sơ không đưa vào được (lý do trong `reasons`)", **PROBLEM)
def set_agenda(args, session_id):
    """Lập chương trình phiên họp (Văn phòng Sở): `nomination_ids` theo thứ tự; trước khi công khai"""
    session, who = db(), actor()
    return _step(session_id, "set_agenda", lambda: council.set_agenda(session, who, session_id, args["nomination_ids"],
                                                                     context=ctx()))


@blp.route(f"/council-sessions/{SID}/publish", methods=["POST"])
@blp.response(200, CouncilSessionDetailSchema)
@blp.alt_response(409, description="Đã công khai", **PROBLEM)
def publish(session_id):
    """Công khai danh sách để lấy ý kiến (Văn phòng Sở) đến `comments_until`; trước thời điểm đó không khai mạc được"""
    session, who = db(), actor()
    return _step(session_id, "publish", lambda: council.publish(session, who, session_id, context=ctx()))


@blp.route(f"/council-sessions/{SID}/comments", methods=["POST"])
@blp.arguments(CommentCreateSchema)
@blp.response(201, CommentSchema)
@blp.alt_response(409, description="Ngoài thời gian nhận góp ý", **PROBLEM)
def add_comment(args, session_id):
    """Góp ý về một hồ sơ trong danh sách công khai (công chức, viên chức của Sở): `nomination_id`, `text`"""
    session, who = db(), actor()
    c = run(lambda: council.add_comment(session, who, session_id, context=ctx(), **args),
            action="council_session.comment", object_type="council_session", object_id=session_id)
    return present.public_comment(c)


@blp.route(f"/council-sessions/{SID}/attendance", methods=["POST"])
@blp.arguments(AttendanceSetSchema)
@blp.response(200, CouncilSessionDetailSchema)
def record_attendance(args, session_id):
    """Điểm danh (Văn phòng Sở): `present` là mã người dùng của các thành viên có mặt"""
    session, who = db(), actor()
    return _step(session_id, "attendance",
                 lambda: council.record_attendance(session, who, session_id, args["present"], context=ctx()))


@blp.route(f"/council-sessions/{SID}/open", methods=["POST"])
@blp.response(200, CouncilSessionDetailSchema)
@blp.alt_response(409, description="Chưa công khai, chưa hết thời hạn công khai, hoặc không ở trạng thái chờ",
                  **PROBLEM)
def open_session(session_id):
    """Khai mạc phiên họp (Giám đốc Sở, Chủ tịch Hội đồng)"""
    session, who = db(), actor()
    return _step(session_id, "open", lambda: council.open_session(session, who, session_id, context=ctx()))


@blp.route(f"/council-sessions/{SID}/votes", methods=["POST"])
@blp.arguments(VoteSchema)
@blp.response(201, VoteReceiptSchema)
@blp.alt_response(403, description="Không phải thành viên, chưa điểm danh có mặt, hoặc phải tránh biểu quyết",
                  **PROBLEM)
@blp.alt_response(409, description="Đã biểu quyết hồ sơ này, hoặc phiên họp không trong thời gian biểu quyết",
                  **PROBLEM)
def vote(args, session_id):
    """Biểu quyết kín một hồ sơ: `nomination_id`, `choice` (`agree`/`disagree`/`abstain`)

    Câu trả lời không nhắc lại lựa chọn; mỗi thành viên biểu quyết một lần cho mỗi hồ sơ."""
    session, who = db(), actor()
    run(lambda: council.cast_vote(session, who, session_id, nomination_id=args["nomination_id"],
                                  choice=args["choice"], context=ctx()),
        action="council_session.vote", object_type="council_session", object_id=session_id)
    return {"nomination_id": args["nomination_id"], "voted": True}


@blp.route(f"/council-sessions/{SID}/ballot", methods=["POST"])
@blp.arguments(BallotSheetSchema)
@blp.response(201, BallotReceiptSchema)
@blp.alt_response(403, description="Không phải thành viên, hoặc chưa điểm danh có mặt", **PROBLEM)
@blp.alt_response(409, description="Đã nộp phiếu (hoặc đã biểu quyết từng hồ sơ), hoặc phiên họp không trong thời "
                                   "gian biểu quyết", **PROBLEM)
@blp.alt_response(422, description="Thiếu, thừa hoặc sai lựa chọn (lý do từng hồ sơ trong `reasons`)", **PROBLEM)
def submit_ballot(args, session_id):
    """Nộp phiếu biểu quyết kín cả phiên họp một lần: `choices` = {mã hồ sơ: `agree`/`disagree`/`abstain`} cho mọi
    hồ sơ thành viên được biểu quyết

    Tất cả hoặc không: một hồ sơ thiếu, thừa hay sai lựa chọn thì không ghi phiếu nào. Câu trả lời không nhắc lại
    lựa chọn; nộp lần thứ hai bị từ chối (409)."""
    session, who = db(), actor()
    run(lambda: ballot_sheet.submit_ballot(session, who, session_id, args["choices"], context=ctx()),
        action="council_session.ballot", object_type="council_session", object_id=session_id)
    s = council.load_session(session, who, session_id)
    return {"submitted": True, "nomination_ids": sorted(council.voted_items(session, s, who.id))}


@blp.route(f"/council-sessions/{SID}/close", methods=["POST"])
@blp.arguments(CloseSessionSchema, required=False)
@blp.response(200, CouncilSessionDetailSchema)
@blp.alt_response(409, description="Chưa đủ số phiếu theo tỷ lệ tối thiểu, hoặc còn thành viên có mặt chưa bỏ phiếu "
                                   "mà chưa xác nhận (`confirm_missing`)", **PROBLEM)
def close_session(args, session_id):
    """Kết thúc phiên họp (Giám đốc Sở): kiểm phiếu, áp dụng tỷ lệ có mặt, tỷ lệ đạt và chỉ tiêu; trả về kết quả

    Bị từ chối khi số phiếu đã nộp chưa đạt tỷ lệ tối thiểu; khi còn thành viên có mặt chưa bỏ phiếu, cần
    `confirm_missing: true` (biên bản ghi số thành viên có mặt không bỏ phiếu)."""
    session, who = db(), actor()
    confirm = bool((args or {}).get("confirm_missing", False))
    run(lambda: council.close_session(session, who, session_id, confirm_missing=confirm, context=ctx()),
        action="council_session.close", object_type="council_session", object_id=session_id)
    council.purge_after_close(current_app.extensions["dienhinh.engine"])  # old sealed versions out of the files
    return _detail(session_id)


@blp.route(f"/council-sessions/{SID}/tie-break", methods=["POST"])
@blp.arguments(TieBreakSchema)
@blp.response(200, CouncilSessionDetailSchema)
def tie_break(args, session_id):
    """Chủ tịch Hội đồng quyết định các hồ sơ bằng phiếu tại ngưỡng chỉ tiêu: `nomination_ids` được chọn"""
    session, who = db(), actor()
    return _step(session_id, "tie_break",
                 lambda: council.resolve_tie(session, who, session_id, args["nomination_ids"], context=ctx()))


@blp.route(f"/council-sessions/{SID}/minutes")
@blp.arguments(DocumentFormatArgsSchema, location="query")
@blp.response(200, BINARY, description="Biên bản họp (.docx)", content_type=DOCX)
@blp.alt_response(200, schema=BINARY, description="Biên bản họp (.docx; PDF khi `format=pdf`)", content_type=PDF)
@blp.alt_response(403, description="Không thuộc Hội đồng, Văn phòng Sở, Giám đốc Sở, Thanh tra", **PROBLEM)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi của tài khoản, hoặc máy chủ chưa cài "
                                   "LibreOffice (format=pdf)", **PROBLEM)
def minutes(_args, session_id):
    """Biên bản phiên họp (.docx, hoặc PDF với `format=pdf`): cho Hội đồng, Văn phòng Sở, Giám đốc Sở và Thanh tra
    (biên bản ghi kết quả)"""
    session, who = db(), actor()
    s = council.load_session(session, who, session_id)
    if not council.can_see_results(who, s):
        raise Forbidden("Không có quyền xem biên bản phiên họp.",
                        ["Biên bản (có kết quả biểu quyết) chỉ dành cho Hội đồng, Văn phòng Sở, Giám đốc Sở và "
                         "Thanh tra."])
    data = documents.minutes_docx(session, s)
    return api_file(data, ascii_filename(f"bien-ban-phien-hop-{s.id}-{s.date:%Y%m%d}", "docx"))
