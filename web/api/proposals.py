"""Proposals (Tờ trình) to the Minister: the secretariat drafts one from cơ sở examples that pass the ngành rules, the
director signs and submits it (all items become `proposed_nganh`, or none does); once submitted it is locked and
visible to the Ministry, which decides item by item (POST /decisions level `nganh`, or the `reject_nganh` transition).
Also the lists (.xlsx) of a proposal and of a decision."""
from __future__ import annotations

from web.api import present
from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import (
    BINARY,
    DOCX,
    MAX_ID,
    PDF,
    XLSX,
    DocumentFormatArgsSchema,
    NextNumberSchema,
    ProblemSchema,
    ProposalArgsSchema,
    ProposalCreateSchema,
    ProposalItemsSchema,
    ProposalNextNumberArgsSchema,
    ProposalPageSchema,
    ProposalSchema,
    ProposalSubmitSchema,
)
from web.db import db
from web.downloads import api_file, ascii_filename
from web.json_provider import document as json_document
from workflow import clock, documents, policy
from workflow.errors import Forbidden
from workflow.proposals import decisions
from workflow.proposals import operations as proposals

blp = api_blueprint("api_proposals", __name__,
                    "Tờ trình đề nghị Bộ trưởng công nhận điển hình tiên tiến ngành Tư pháp.")

PID = f"<int(max={MAX_ID}):proposal_id>"
DID = f"<int(max={MAX_ID}):decision_id>"
PROBLEM = {"schema": ProblemSchema, "content_type": "application/problem+json"}


def _detail(proposal_id: int) -> dict:
    """The proposal as the caller sees it now (fresh from the database, after any change just committed)."""
    session = db()
    session.expire_all()
    who = actor()
    return present.proposal(session, proposals.load(session, who, proposal_id), who)


def _stem(p) -> str:
    return f"to-trinh-{p.number}-{p.date:%Y}" if p.number else f"du-thao-to-trinh-{p.id}"


@blp.route("/proposals")
@blp.arguments(ProposalArgsSchema, location="query")
@blp.response(200, ProposalPageSchema)
def list_proposals(args):
    """Tờ trình: của Sở mình (Văn phòng, Giám đốc, Hội đồng); Bộ thấy tờ trình đã trình của mọi Sở; quản trị và
    Thanh tra thấy tất cả. Lọc theo `state` (`draft`/`submitted`), `department`"""
    session = db()
    page = proposals.list_proposals(session, actor(), **args)
    rows = proposals.items_of(session, page.items)
    # Written in one orjson pass, as the nominations list is: `present.proposal` builds exactly the schema's fields, and
    # walking ~600 items with their rules through marshmallow cost 17–28 ms of CPU for the Ministry's page at 100k.
    return json_document(present.page(page, lambda p: present.proposal(session, p, rows=rows[p.id])))


@blp.route("/proposals", methods=["POST"])
@blp.arguments(ProposalCreateSchema)
@blp.response(201, ProposalSchema)
@blp.alt_response(403, description="Chỉ Văn phòng Sở", **PROBLEM)
@blp.alt_response(422, description="Có hồ sơ không phải điển hình cấp cơ sở hoặc không đạt tiêu chí ngành (lý do "
                                   "trong `reasons`)", **PROBLEM)
def create_proposal(args):
    """Lập dự thảo tờ trình (Văn phòng Sở): `nomination_ids` (điển hình cấp cơ sở đạt các tiêu chí ngành), `title`"""
    session, who = db(), actor()
    p = run(lambda: proposals.create(session, who, context=ctx(), **args), action="proposal.create",
            object_type="proposal")
    return _detail(p.id)


@blp.route("/proposals/next-number")
@blp.arguments(ProposalNextNumberArgsSchema, location="query")
@blp.response(200, NextNumberSchema)
@blp.alt_response(403, description="Tài khoản không thuộc Sở nào", **PROBLEM)
def next_number(args):
    """Số tờ trình tiếp theo của Sở trong năm (`year`, mặc định năm nay)"""
    session, who = db(), actor()
    if who.department_id is None or policy.widest_scope(who, "view", "proposal") != policy.DEPARTMENT:
        raise Forbidden("Không có quyền xem số tờ trình.", ["Chỉ Văn phòng Sở, Giám đốc Sở và Hội đồng của Sở."])
    department = decisions.issuer_for(session, who, "co_so")
    year = args.get("year") or clock.today().year
    n = proposals.next_number(session, department.id, year)
    return {"next": n, "formatted": f"{n}/TTr-{proposals.symbol(department)}"}


@blp.route(f"/proposals/{PID}")
@blp.response(200, ProposalSchema)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi của tài khoản", **PROBLEM)
def get_proposal(proposal_id):
    """Tờ trình và các hồ sơ đề nghị, mỗi hồ sơ với kết quả các tiêu chí ngành"""
    return _detail(proposal_id)


@blp.route(f"/proposals/{PID}/items", methods=["PUT"])
@blp.arguments(ProposalItemsSchema)
@blp.response(200, ProposalSchema)
@blp.alt_response(409, description="Tờ trình đã trình Bộ (đã khóa)", **PROBLEM)
@blp.alt_response(422, description="Có hồ sơ không đủ điều kiện (lý do trong `reasons`)", **PROBLEM)
def set_items(args, proposal_id):
    """Thay danh sách hồ sơ đề nghị của dự thảo (Văn phòng Sở): `nomination_ids` theo thứ tự"""
    session, who = db(), actor()
    run(lambda: proposals.set_items(session, who, proposal_id, args["nomination_ids"], context=ctx()),
        action="proposal.set_items", object_type="proposal", object_id=proposal_id)
    return _detail(proposal_id)


@blp.route(f"/proposals/{PID}/submit", methods=["POST"])
@blp.arguments(ProposalSubmitSchema)
@blp.response(200, ProposalSchema)
@blp.alt_response(403, description="Chỉ Giám đốc Sở", **PROBLEM)
@blp.alt_response(409, description="Tờ trình đã trình Bộ", **PROBLEM)
@blp.alt_response(422, description="Số đã dùng, hoặc có hồ sơ không đủ điều kiện (lý do trong `reasons`)", **PROBLEM)
def submit(args, proposal_id):
    """Ký và trình Bộ (Giám đốc Sở): `number` (46 hoặc "46/TTr-STP"), `date`; mọi hồ sơ chuyển sang "Đã đề nghị
    cấp ngành" hoặc không hồ sơ nào"""
    session, who = db(), actor()
    run(lambda: proposals.submit(session, who, proposal_id, context=ctx(), **args), action="proposal.submit",
        object_type="proposal", object_id=proposal_id)
    return _detail(proposal_id)


@blp.route(f"/proposals/{PID}/document")
@blp.arguments(DocumentFormatArgsSchema, location="query")
@blp.response(200, BINARY, description="Tờ trình kèm danh sách (.docx)", content_type=DOCX)
@blp.alt_response(200, schema=BINARY, description="Tờ trình kèm danh sách (.docx; PDF khi `format=pdf`)",
                  content_type=PDF)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi của tài khoản, hoặc máy chủ chưa cài "
                                   "LibreOffice (format=pdf)", **PROBLEM)
def document(_args, proposal_id):
    """Văn bản Tờ trình kèm danh sách đề nghị (.docx, hoặc PDF với `format=pdf`)"""
    session = db()
    p = proposals.load(session, actor(), proposal_id)
    return api_file(documents.proposal_docx(session, p), ascii_filename(_stem(p), "docx"))


@blp.route(f"/proposals/{PID}/list.xlsx")
@blp.response(200, BINARY, description="Danh sách đề nghị (.xlsx)", content_type=XLSX)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi của tài khoản", **PROBLEM)
def proposal_list(proposal_id):
    """Danh sách hồ sơ đề nghị của tờ trình (.xlsx)"""
    session = db()
    p = proposals.load(session, actor(), proposal_id)
    return api_file(documents.proposal_xlsx(session, p), ascii_filename(f"danh-sach-{_stem(p)}", "xlsx"))


@blp.route(f"/decisions/{DID}/list.xlsx")
@blp.response(200, BINARY, description="Danh sách được công nhận (.xlsx)", content_type=XLSX)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi của tài khoản", **PROBLEM)
def decision_list(decision_id):
    """Danh sách điển hình được công nhận kèm Quyết định (.xlsx)"""
    session = db()
    d = decisions.load(session, actor(), decision_id)
    return api_file(documents.decision_xlsx(session, d),
                    ascii_filename(f"danh-sach-quyet-dinh-{d.number}-{d.date:%Y}", "xlsx"))
