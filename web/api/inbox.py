"""The caller's in-app notifications."""
from __future__ import annotations

from marshmallow import Schema, fields

from web.api import present
from web.api.base import actor, api_blueprint, run
from web.api.schemas import MAX_ID, NotificationArgsSchema, NotificationPageSchema, NotificationSchema
from web.db import db
from workflow.administration import inbox_queries

blp = api_blueprint("api_notifications", __name__, "Thông báo trong ứng dụng của tài khoản.")


@blp.route("/notifications")
@blp.arguments(NotificationArgsSchema, location="query")
@blp.response(200, NotificationPageSchema)
def list_notifications(args):
    """Thông báo của tài khoản (mới nhất trước); `unread=true` chỉ lấy thông báo chưa đọc"""
    return present.page(inbox_queries.list_notifications(db(), actor(), **args), present.notification)


class ReadAllSchema(Schema):
    marked = fields.Integer(metadata={"description": "số thông báo vừa được đánh dấu đã đọc"})


@blp.route("/notifications/read-all", methods=["POST"])
@blp.response(200, ReadAllSchema)
def mark_all_read():
    """Đánh dấu tất cả thông báo là đã đọc"""
    session, who = db(), actor()
    return {"marked": run(lambda: inbox_queries.mark_all_read(session, who), action="notification.read_all")}


@blp.route(f"/notifications/<int(max={MAX_ID}):notification_id>/read", methods=["POST"])
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    """Đánh dấu đã đọc"""
    session, who = db(), actor()
    note = run(lambda: inbox_queries.mark_read(session, who, notification_id), action="notification.read",
               object_type="notification", object_id=notification_id)
    return present.notification(note)
