"""The departments' Emulation and Commendation Councils (Hội đồng Thi đua – Khen thưởng): settings and members."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import Council, CouncilMember
from web.api import present
from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import (
    MAX_ID,
    CouncilMemberSetSchema,
    CouncilPageSchema,
    CouncilSchema,
    CouncilUpdateSchema,
    PageArgsSchema,
    ProblemSchema,
)
from web.db import db
from workflow.council import operations as council_core
from workflow.errors import NotFound
from workflow.nominations.queries import Page
from workflow.policy import Actor

blp = api_blueprint("api_councils", __name__, "Hội đồng Thi đua – Khen thưởng: cấu hình và thành viên.")

CID = f"<int(max={MAX_ID}):council_id>"
PROBLEM = {"schema": ProblemSchema, "content_type": "application/problem+json"}


def _visible(who: Actor):
    """Admins and auditors see every council; a department's users the council of their department."""
    return council_core.councils_query(who)


def _load(council_id: int) -> Council:
    session = db()
    session.expire_all()
    c = session.scalars(_visible(actor()).where(Council.id == council_id)
                        .options(selectinload(Council.members).selectinload(CouncilMember.user))).first()
    if c is None:
        raise NotFound("Không tìm thấy Hội đồng.")
    return c


@blp.route("/councils")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, CouncilPageSchema)
def list_councils(args):
    """Hội đồng Thi đua – Khen thưởng (của Sở mình; quản trị và Thanh tra thấy tất cả)"""
    session, who = db(), actor()
    page, per_page = args["page"], args["per_page"]
    stmt = _visible(who)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(stmt.options(selectinload(Council.members).selectinload(CouncilMember.user))
                            .order_by(Council.id).limit(per_page).offset((page - 1) * per_page)).all()
    return present.page(Page(list(items), total, page, per_page), present.council)


@blp.route(f"/councils/{CID}")
@blp.response(200, CouncilSchema)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi của tài khoản", **PROBLEM)
def get_council(council_id):
    """Hội đồng: tỷ lệ tối thiểu có mặt (`quorum`), tỷ lệ đạt (`pass_threshold`), số ngày công khai, thành viên"""
    return present.council(_load(council_id))


@blp.route(f"/councils/{CID}", methods=["PATCH"])
@blp.arguments(CouncilUpdateSchema)
@blp.response(200, CouncilSchema)
@blp.alt_response(403, description="Chỉ quản trị hệ thống", **PROBLEM)
def update_council(args, council_id):
    """Cấu hình Hội đồng (quản trị hệ thống)

    `quorum`, `pass_threshold` (tỷ lệ, ví dụ 0.6667), `publicity_working_days`, `name`."""
    session, who = db(), actor()
    _load(council_id)
    run(lambda: council_core.update_council(session, who, council_id, context=ctx(), **args),
        action="council.update", object_type="council", object_id=council_id)
    return present.council(_load(council_id))


@blp.route(f"/councils/{CID}/members", methods=["POST"])
@blp.arguments(CouncilMemberSetSchema)
@blp.response(200, CouncilSchema, description="Thành viên đã có: cập nhật chức danh / trạng thái")
@blp.alt_response(201, schema=CouncilSchema, description="Thêm thành viên mới")
@blp.alt_response(403, description="Chỉ quản trị hệ thống", **PROBLEM)
def set_member(args, council_id):
    """Thêm hoặc cập nhật thành viên Hội đồng (quản trị hệ thống): `user_id`, `function`, `active`"""
    session, who = db(), actor()
    _load(council_id)
    existed = session.scalar(select(CouncilMember.id).where(CouncilMember.council_id == council_id,
                                                            CouncilMember.user_id == args["user_id"])) is not None
    run(lambda: council_core.set_member(session, who, council_id, context=ctx(), **args),
        action="council.member_set", object_type="council", object_id=council_id)
    return present.council(_load(council_id)), 200 if existed else 201
