"""Decisions (Quyết định) recognising nominations: numbered per issuing body, type and year; all items or none."""
from __future__ import annotations

from web.api import present
from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import (
    BINARY,
    DOCX,
    MAX_ID,
    PDF,
    DecisionCreateSchema,
    DecisionPageSchema,
    DecisionSchema,
    DocumentFormatArgsSchema,
    NextNumberArgsSchema,
    NextNumberSchema,
    PageArgsSchema,
    ProblemSchema,
)
from web.db import db
from web.downloads import api_file, ascii_filename
from web.json_provider import document as json_document
from workflow import clock, documents, policy
from workflow.errors import Forbidden
from workflow.proposals import decisions

blp = api_blueprint("api_decisions", __name__, "Quyết định công nhận điển hình tiên tiến.")

DID = f"<int(max={MAX_ID}):decision_id>"
PROBLEM = {"schema": ProblemSchema, "content_type": "application/problem+json"}


def _detail(decision_id: int) -> dict:
    session = db()
    session.expire_all()
    who = actor()
    return present.decision(session, decisions.load(session, who, decision_id), who)


@blp.route("/decisions")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, DecisionPageSchema)
def list_decisions(args):
    """Quyết định (của Sở mình; Bộ, quản trị và Thanh tra thấy tất cả), mới nhất trước"""
    session = db()
    page = decisions.list_decisions(session, actor(), **args)
    nominations = decisions.nominations_by_decision(session, page.items)
    # Written in one orjson pass, as the proposals' list is: `present.decision` builds exactly the schema's fields, and
    # walking a page's ~400 nominations through marshmallow cost ~9 ms of CPU for a director's page at 100k.
    return json_document(present.page(page, lambda d: present.decision(session, d, nominations=nominations[d.id])))


@blp.route("/decisions", methods=["POST"])
@blp.arguments(DecisionCreateSchema)
@blp.response(201, DecisionSchema)
@blp.alt_response(422, description="Số đã dùng, hoặc có hồ sơ không đủ điều kiện (lý do trong `reasons`)",
                  **PROBLEM)
def create_decision(args):
    """Ban hành quyết định công nhận (`co_so`: Giám đốc Sở; `nganh`: Bộ Tư pháp): `level`, `number` (12 hoặc
    "12/QĐ-STP"), `date`, `nomination_ids` — công nhận tất cả hồ sơ hoặc không hồ sơ nào; cấp ngành: `signer_name`
    (Bộ trưởng hoặc Thứ trưởng ký) và `signer_deputy` (Thứ trưởng ký thay, "KT. BỘ TRƯỞNG"), không bắt buộc"""
    session, who = db(), actor()
    d = run(lambda: decisions.issue(session, who, context=ctx(), **args), action="decision.issue",
            object_type="decision")
    return _detail(d.id)


@blp.route("/decisions/next-number")
@blp.arguments(NextNumberArgsSchema, location="query")
@blp.response(200, NextNumberSchema)
def next_number(args):
    """Số quyết định tiếp theo của cơ quan ban hành (`level`) trong năm (`year`, mặc định năm nay)"""
    session, who = db(), actor()
    level = args["level"]
    if level == "nganh" and policy.widest_scope(who, "view", "proposal") != policy.ALL:
        raise Forbidden("Không có quyền xem số quyết định của Bộ.", ["Chỉ Bộ Tư pháp cấp số quyết định cấp ngành."])
    issuer = decisions.issuer_for(session, who, level)
    year = args.get("year") or clock.today().year
    n = decisions.next_number(session, issuer, year)
    return {"next": n, "formatted": f"{n}/QĐ-{decisions.symbol(issuer)}"}


@blp.route(f"/decisions/{DID}")
@blp.response(200, DecisionSchema)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi của tài khoản", **PROBLEM)
def get_decision(decision_id):
    """Quyết định và các hồ sơ được công nhận"""
    return _detail(decision_id)


@blp.route(f"/decisions/{DID}/document")
@blp.arguments(DocumentFormatArgsSchema, location="query")
@blp.response(200, BINARY, description="Quyết định (.docx)", content_type=DOCX)
@blp.alt_response(200, schema=BINARY, description="Quyết định (.docx; PDF khi `format=pdf`)", content_type=PDF)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi của tài khoản, hoặc máy chủ chưa cài "
                                   "LibreOffice (format=pdf)", **PROBLEM)
def document(_args, decision_id):
    """Văn bản Quyết định (.docx, hoặc PDF với `format=pdf`)"""
    session = db()
    d = decisions.load(session, actor(), decision_id)
    data = documents.decision_docx(session, d)
    return api_file(data, ascii_filename(f"quyet-dinh-{d.number}-{d.date:%Y}", "docx"))
