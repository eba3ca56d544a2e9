"""The caller, units and people."""
from __future__ import annotations

from marshmallow import Schema, fields

from web.api import present
from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import MeSchema, PeopleArgsSchema, PersonPageSchema, UnitArgsSchema, UnitPageSchema
from web.db import db
from workflow.administration import org_queries, preferences, unit_history
from workflow.notification_categories import CATEGORIES

blp = api_blueprint("api_directory", __name__, "Tài khoản đang dùng, đơn vị và cá nhân.")


@blp.route("/me")
@blp.response(200, MeSchema)
def me():
    """Tài khoản đang dùng: vai trò và phạm vi"""
    return present.me(actor())


class EmailPreferencesSchema(Schema):
    email = fields.Dict(keys=fields.String(), values=fields.Boolean(truthy={True}, falsy={False}), required=True,
                        metadata={"description": "{nhóm: true nếu nhận e-mail}; nhóm: " + ", ".join(CATEGORIES)})


class EmailPreferencesOutSchema(EmailPreferencesSchema):
    categories = fields.Dict(keys=fields.String(), values=fields.String(),
                             metadata={"description": "tên tiếng Việt của từng nhóm"})


def _preferences(values: dict) -> dict:
    return {"email": values, "categories": CATEGORIES}


@blp.route("/me/notification-preferences")
@blp.response(200, EmailPreferencesOutSchema)
def get_notification_preferences():
    """Nhóm thông báo nào cũng gửi qua e-mail (thông báo trong ứng dụng luôn được gửi)"""
    return _preferences(preferences.email_preferences(db(), actor()))


@blp.route("/me/notification-preferences", methods=["PUT"])
@blp.arguments(EmailPreferencesSchema)
@blp.response(200, EmailPreferencesOutSchema)
def put_notification_preferences(args):
    """Chọn nhóm thông báo nhận qua e-mail; nhóm không gửi lên giữ nguyên"""
    session, who = db(), actor()
    values = run(lambda: preferences.set_email_preferences(session, who, args["email"], context=ctx()),
                 action="account.email_preferences", object_type="user", object_id=who.id)
    return _preferences(values)


@blp.route("/units")
@blp.arguments(UnitArgsSchema, location="query")
@blp.response(200, UnitPageSchema)
def units(args):
    """Danh sách đơn vị (trong phạm vi của tài khoản)"""
    page = org_queries.list_units(db(), actor(), **args)
    former = unit_history.former_names(db(), [u.id for u in page.items])
    return present.page(page, lambda u: {**present.unit(u), "former_name": former.get(u.id),
                                         "replaced_by_id": u.replaced_by_id})


@blp.route("/people")
@blp.arguments(PeopleArgsSchema, location="query")
@blp.response(200, PersonPageSchema)
def people(args):
    """Danh sách cá nhân

    `q` tìm không dấu ("nguyen thi lan" tìm được "Nguyễn Thị Lan"); sắp xếp theo tên rồi họ, đệm.
    """
    return present.page(org_queries.list_people(db(), actor(), **args), present.person)
