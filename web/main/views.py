"""The home page and the notification inbox. Counting and marking live in workflow.dashboard."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from web.current import current_actor
from web.db import db
from web.main import bp
from workflow import dashboard


@bp.app_context_processor
def header_data() -> dict:
    """The header's unread count, computed once per rendered page and only for a signed-in user."""
    def unread() -> int:
        if "unread_count" not in g:
            g.unread_count = dashboard.unread_count(db(), current_user.id) if current_user.is_authenticated else 0
        return g.unread_count

    return {"unread_notifications": unread}


@bp.route("/")
@login_required
def home():
    actor = current_actor()
    cards = dashboard.pending_work(db(), actor)
    return render_template("main/home.html", cards=cards)


@bp.route("/notifications")
@login_required
def notifications():
    unread_only = request.args.get("unread") == "1"
    page = dashboard.notifications_page(db(), current_user.id, page=request.args.get("page"),
                                        unread_only=unread_only)
    return render_template("main/notifications.html", page=page, unread_only=unread_only)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def notification_read(notification_id: int):
    dashboard.mark_read(db(), current_user.id, notification_id)
    db().commit()
    return redirect(url_for("main.notifications", **request.args))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def notifications_read_all():
    count = dashboard.mark_read(db(), current_user.id)
    db().commit()
    flash(f"Đã đánh dấu {count} thông báo là đã đọc.", "success")
    return redirect(url_for("main.notifications"))
