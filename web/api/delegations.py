"""Delegations of signing (CONTRACT.md: GET/POST /delegations, POST /delegations/{id}/end): the director delegates
signing to a deputy of the department for a period ("KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC") and ends it. Schemas and the
presenter of this area live here."""
from __future__ import annotations

from marshmallow import Schema, fields

from models import Delegation
from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import MAX_ID, Day, JsonId, OfferSchema, PageArgsSchema, ProblemSchema, UserRefSchema, page_of
from web.db import db
from workflow import clock, offers
from workflow.administration import delegations

blp = api_blueprint("api_delegations", __name__,
                    "Ủy quyền ký thay Giám đốc Sở (KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC) trong một thời gian.")

DID = f"<int(max={MAX_ID}):delegation_id>"
PROBLEM = {"schema": ProblemSchema, "content_type": "application/problem+json"}


class DelegationCreateSchema(Schema):
    deputy_id = JsonId(required=True, metadata={"description": "a user of the director's department"})
    starts_on = Day(required=True, metadata={"description": "first day (today or later)"})
    ends_on = Day(required=True, metadata={"description": "last day (on or after starts_on)"})


class DelegationSchema(Schema):
    id = fields.Integer()
    department_id = fields.Integer()
    granted_by = fields.Nested(UserRefSchema, metadata={"description": "the director who delegates"})
    deputy = fields.Nested(UserRefSchema)
    starts_on = fields.Date()
    ends_on = fields.Date()
    deputy_title = fields.String(metadata={"description": "signs \"KT. GIÁM ĐỐC\" over this title"})
    state = fields.String(metadata={"enum": list(delegations.STATE_LABELS),
                                    "description": "active (đang hiệu lực), upcoming (sắp tới), ended (đã kết thúc)"})
    state_label = fields.String()
    ended_at = fields.DateTime(allow_none=True, metadata={"description": "ended early (or cancelled) at"})
    ended_by_id = fields.Integer(allow_none=True)
    available_actions = fields.List(fields.Nested(OfferSchema), metadata={"description": "for the caller"})


DelegationPageSchema = page_of(DelegationSchema, "DelegationPage")


def _user(u) -> dict:
    return {"id": u.id, "username": u.username, "full_name": u.full_name}


def present(d: Delegation, who) -> dict:
    state = delegations.state_of(d, clock.today())
    return {"id": d.id, "department_id": d.department_id, "granted_by": _user(d.director), "deputy": _user(d.deputy),
            "starts_on": d.starts_on, "ends_on": d.ends_on, "deputy_title": d.deputy_title, "state": state,
            "state_label": delegations.STATE_LABELS[state], "ended_at": d.ended_at, "ended_by_id": d.ended_by_id,
            "available_actions": [offers.as_dict(o) for o in delegations.available_actions(who, d)]}


@blp.route("/delegations")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, DelegationPageSchema)
def list_delegations(args):
    """Ủy quyền ký: Giám đốc Sở thấy mọi ủy quyền của Sở, người được ủy quyền thấy ủy quyền của mình, quản trị và
    Thanh tra thấy tất cả"""
    who = actor()
    p = delegations.list_delegations(db(), who, **args)
    return {"items": [present(d, who) for d in p.items], "total": p.total, "page": p.page, "per_page": p.per_page}


@blp.route("/delegations", methods=["POST"])
@blp.arguments(DelegationCreateSchema)
@blp.response(201, DelegationSchema)
@blp.alt_response(403, description="Chỉ Giám đốc Sở (không phải người đang được ủy quyền)", **PROBLEM)
@blp.alt_response(422, description="Người được ủy quyền không hợp lệ, ngày không hợp lệ, hoặc trùng thời gian với "
                                   "một ủy quyền khác", **PROBLEM)
def grant_delegation(args):
    """Ủy quyền ký cho một Phó Giám đốc của Sở từ `starts_on` đến `ends_on`; cả hai người nhận thông báo"""
    session, who = db(), actor()
    d = run(lambda: delegations.grant(session, who, args, context=ctx()), action="delegation.grant",
            object_type="delegation")
    return present(d, who)


@blp.route(f"/delegations/{DID}/end", methods=["POST"])
@blp.response(200, DelegationSchema)
@blp.alt_response(403, description="Chỉ Giám đốc Sở của Sở", **PROBLEM)
@blp.alt_response(404, description="Không có, hoặc ngoài phạm vi của tài khoản", **PROBLEM)
@blp.alt_response(409, description="Ủy quyền đã kết thúc", **PROBLEM)
def end_delegation(delegation_id):
    """Kết thúc ủy quyền: đang hiệu lực thì ngày cuối thành hôm nay và hết hiệu lực ngay; chưa bắt đầu thì hủy"""
    session, who = db(), actor()
    d = run(lambda: delegations.end(session, who, delegation_id, context=ctx()), action="delegation.end",
            object_type="delegation", object_id=delegation_id)
    return present(d, who)
