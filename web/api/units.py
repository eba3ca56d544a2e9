"""Changes of the organisation (CONTRACT.md: POST /units/{id}/rename, /merge, /split, /move, /close), each with an
`effective_date`; the rules and the refusals are workflow.administration.units'. Schemas of this area live here."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from models import Unit
from web.api import present
from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import MAX_ID, MAX_LIST, Day, IdList, JsonId, ProblemSchema, Text, UnitSchema
from web.db import db
from workflow.administration import unit_history
from workflow.administration import units as reorg

blp = api_blueprint("api_units", __name__,
                    "Thay đổi tổ chức đơn vị có ngày hiệu lực: đổi tên, sáp nhập, chia tách, điều chuyển, giải thể.")

UID = f"<int(max={MAX_ID}):unit_id>"
PROBLEM = {"schema": ProblemSchema, "content_type": "application/problem+json"}
EFFECTIVE = {"description": "ngày hiệu lực: ISO 2025-07-01 hoặc 01/07/2025"}


class RenameSchema(Schema):
    effective_date = Day(required=True, metadata=EFFECTIVE)
    name = Text(255, required=True)
    code = Text(32, metadata={"description": "mã mới (giữ mã cũ nếu bỏ trống)"})


class MergeSchema(Schema):
    effective_date = Day(required=True, metadata=EFFECTIVE)
    into_id = JsonId(metadata={"description": "đơn vị nhận sáp nhập (đã có); hoặc new_code và new_name"})
    also_ids = IdList(metadata={"description": "các đơn vị khác cùng sáp nhập"})
    new_code = Text(32, metadata={"description": "mã đơn vị mới hình thành sau sáp nhập"})
    new_name = Text(255)


class SplitPartSchema(Schema):
    unit_id = JsonId(metadata={"description": "một đơn vị đã có nhận một phần; hoặc code và name của đơn vị mới"})
    code = Text(32)
    name = Text(255)
    inherits_records = fields.Boolean(metadata={"description": "đúng một phần kế thừa thành tích, khen thưởng"})


class SplitSchema(Schema):
    effective_date = Day(required=True, metadata=EFFECTIVE)
    parts = fields.List(fields.Nested(SplitPartSchema), required=True, validate=validate.Length(min=2, max=MAX_LIST))
    people = fields.Dict(keys=fields.String(), values=fields.Integer(strict=True),
                         metadata={"description": "{person_id: số thứ tự phần (từ 0)} cho mọi cá nhân của đơn vị"})
    nominations = fields.Dict(keys=fields.String(), values=fields.Integer(strict=True),
                              metadata={"description": "{nomination_id: số thứ tự phần} cho mọi hồ sơ đang xử lý"})


class MoveSchema(Schema):
    effective_date = Day(required=True, metadata=EFFECTIVE)
    parent_id = JsonId(required=True)


class CloseSchema(Schema):
    effective_date = Day(required=True, metadata=EFFECTIVE)
    successor_id = JsonId(metadata={"description": "đơn vị kế thừa: nhận cá nhân, hồ sơ đang xử lý và thành tích"})


class ChangedUnitSchema(UnitSchema):
    parts = fields.List(fields.Nested(UnitSchema), metadata={"description": "chia tách: các đơn vị nhận"})


def _present(unit: Unit, parts=()) -> dict:
    return {**present.unit(unit), "replaced_by_id": unit.replaced_by_id,
            "former_name": unit_history.former_names(db(), [unit.id]).get(unit.id),
            "parts": [present.unit(p) for p in parts]}


def _change(kind: str, unit_id: int, args: dict):
    session, who = db(), actor()
    return run(lambda: reorg.apply(session, who, kind, unit_id, args, context=ctx()), action=f"admin.unit_{kind}",
               object_type="unit", object_id=unit_id)


def _doc(fn):
    fn = blp.response(200, ChangedUnitSchema)(fn)
    fn = blp.alt_response(403, description="Chỉ quản trị hệ thống", **PROBLEM)(fn)
    fn = blp.alt_response(404, description="Không tìm thấy đơn vị", **PROBLEM)(fn)
    return blp.alt_response(422, description="Dữ liệu không hợp lệ (ngày, đơn vị đã thôi hoạt động, sáp nhập vào "
                                             "chính nó, vòng lặp, phân công chưa đủ...)", **PROBLEM)(fn)


@blp.route(f"/units/{UID}/rename", methods=["POST"])
@blp.arguments(RenameSchema)
@_doc
def rename_unit(args, unit_id: int):
    """Đổi tên (và mã) đơn vị từ ngày hiệu lực; văn bản trước ngày đó vẫn in tên cũ"""
    return _present(_change("rename", unit_id, args))


@blp.route(f"/units/{UID}/merge", methods=["POST"])
@blp.arguments(MergeSchema)
@_doc
def merge_unit(args, unit_id: int):
    """Sáp nhập đơn vị (và `also_ids`) vào một đơn vị đã có hoặc mới; trả về đơn vị kế thừa"""
    return _present(_change("merge", unit_id, args))


@blp.route(f"/units/{UID}/split", methods=["POST"])
@blp.arguments(SplitSchema)
@_doc
def split_unit(args, unit_id: int):
    """Chia tách đơn vị: cá nhân và hồ sơ đang xử lý phân về các phần đúng như danh sách, hoặc không thay đổi gì"""
    parts = _change("split", unit_id, args)
    return _present(db().get(Unit, unit_id), parts)


@blp.route(f"/units/{UID}/move", methods=["POST"])
@blp.arguments(MoveSchema)
@_doc
def move_unit(args, unit_id: int):
    """Điều chuyển đơn vị sang đơn vị cấp trên khác từ ngày hiệu lực"""
    return _present(_change("move", unit_id, args))


@blp.route(f"/units/{UID}/close", methods=["POST"])
@blp.arguments(CloseSchema)
@_doc
def close_unit(args, unit_id: int):
    """Giải thể đơn vị; có đơn vị kế thừa thì cá nhân và hồ sơ đang xử lý chuyển sang đó"""
    return _present(_change("close", unit_id, args))
