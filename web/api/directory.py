"""The caller, units and people."""
from __future__ import annotations

from web.api import present
from web.api.base import actor, api_blueprint
from web.api.schemas import MeSchema, PeopleArgsSchema, PersonPageSchema, UnitArgsSchema, UnitPageSchema
from web.db import db
from workflow import org_queries

blp = api_blueprint("api_directory", __name__, "Tài khoản đang dùng, đơn vị và cá nhân.")


@blp.route("/me")
@blp.response(200, MeSchema)
def me():
    """Tài khoản đang dùng: vai trò và phạm vi"""
    return present.me(actor())


@blp.route("/units")
@blp.arguments(UnitArgsSchema, location="query")
@blp.response(200, UnitPageSchema)
def units(args):
    """Danh sách đơn vị (trong phạm vi của tài khoản)"""
    return present.page(org_queries.list_units(db(), actor(), **args), present.unit)


@blp.route("/people")
@blp.arguments(PeopleArgsSchema, location="query")
@blp.response(200, PersonPageSchema)
def people(args):
    """Danh sách cá nhân

    `q` tìm không dấu ("nguyen thi lan" tìm được "Nguyễn Thị Lan"); sắp xếp theo tên rồi họ, đệm.
    """
    return present.page(org_queries.list_people(db(), actor(), **args), present.person)
