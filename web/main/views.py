"""The home page and the notification inbox. Counting and marking live in workflow.reporting.dashboard."""
from __future__ import annotations

import secrets

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from notifications import outbox
from web.auth.views import sign_in
from web.current import current_actor
from web.db import db, perform, request_context
from web.extensions import csrf_token, limiter
from web.filters import html_text, kept_html
from web.main import bp
from workflow import diagrams, lifecycles, policy
from workflow.administration import accounts, inbox_queries, passwords, preferences
from workflow.errors import ValidationFailed
from workflow.notification_categories import CATEGORIES
from workflow.reporting import dashboard

SAFE_METHODS = ("GET", "HEAD")


@bp.app_template_global("may")
def may(verb: str, object_type: str) -> bool:
    """What templates ask instead of reading role names: may the signed-in user `verb` objects of this type at all."""
    actor = current_actor()
    return actor is not None and bool(policy.can(actor, verb, object_type))


@bp.app_template_global("header_menu")
def header_menu() -> Markup:
    """The header's menu (`main/_menu.html`), drawn once per standing of the signed-in user (`policy.standing`: what
    the menu's questions read of the actor) and kept by `kept_html` (per script root too: its links). Drawing it asked
    nine permission questions and built a dozen links on every page (~0.1 ms); the template sees nothing of the
    page's context, so it can show nothing but what those answers and links decide."""
    return kept_html("main/_menu.html", standing=policy.standing(current_actor()))


_CSRF_SLOT = secrets.token_hex(16)  # where a kept user menu takes the page's CSRF token: nobody can write it in a name


@bp.app_template_global("user_menu")
def user_menu(kt: str | None) -> Markup:
    """The header's user menu (`main/_user_menu.html`: the signing title `kt`, the name, roles and unit, the account's
    links, the logout form), kept per its values by `kept_html` (the same for every page of a user), with the page's
    CSRF token written into its logout form. Drawing it cost ~0.08 ms a page: a dozen links, the roles' labels, a
    permission question."""
    user = current_user._get_current_object()
    unit = user.unit
    html = kept_html("main/_user_menu.html", kt=kt, full_name=user.full_name, roles=frozenset(user.role_codes),
                     unit_name=unit.name if unit else None, delegations=bool(kt) or may("grant", "delegation"),
                     csrf=_CSRF_SLOT)
    return Markup(html.replace(_CSRF_SLOT, html_text(csrf_token()), 1))


@bp.app_context_processor
def header_data() -> dict:
    """The header's unread count, computed once per rendered page and only for a signed-in user. A GET (or HEAD)
    page shows the count read with the caller (`accounts.caller_for_session`: no statement of its own); any other
    request may have changed the inbox since (marked notifications read, told the user something), so it counts
    again when its page is rendered."""
    def unread() -> int:
        ctx_g = g._get_current_object()  # once: each read through Flask's proxy costs ~1.5 µs
        if "unread_count" not in ctx_g:
            if not current_user.is_authenticated:
                ctx_g.unread_count = 0
            elif request.method in SAFE_METHODS and "session_unread_count" in ctx_g:
                ctx_g.unread_count = ctx_g.session_unread_count
            else:
                ctx_g.unread_count = inbox_queries.unread_count(db(), current_user.id)
        return ctx_g.unread_count

    return {"unread_notifications": unread}


@bp.route("/")
@login_required
def home():
    actor = current_actor()
    cards = dashboard.pending_work(db(), actor)
    return render_template("main/home.html", cards=cards)


@bp.route("/lifecycles")
@login_required
def lifecycle_map():
    """Every lifecycle as its tables define it: anyone signed in may see how a dossier, a session, a proposal and a
    story move and on which rule each step rests."""
    shown = [(view, diagrams.svg(view)) for view in lifecycles.ALL]
    return render_template("main/lifecycles.html", lifecycles=shown)


@bp.route("/notifications")
@login_required
def notifications():
    unread_only = request.args.get("unread") == "1"
    page = inbox_queries.list_notifications(db(), current_actor(), page=request.args.get("page"),
                                            unread=True if unread_only else None)
    return render_template("main/notifications.html", page=page, unread_only=unread_only)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def notification_read(notification_id: int):
    actor = current_actor()
    perform(lambda: inbox_queries.mark_read(db(), actor, notification_id), action="notification.read", actor=actor,
            object_type="notification", object_id=notification_id)
    return redirect(url_for("main.notifications", **request.args))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def notifications_read_all():
    actor = current_actor()
    count = perform(lambda: inbox_queries.mark_all_read(db(), actor), action="notification.read_all", actor=actor)
    flash(f"Đã đánh dấu {count} thông báo là đã đọc.", "success")
    return redirect(url_for("main.notifications"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notification_preferences():
    """Which notifications also come by e-mail: one checkbox per family; unticked = in-app only."""
    actor = current_actor()
    if request.method == "POST":
        choices = {code: request.form.get(f"email_{code}") == "1" for code in CATEGORIES}
        perform(lambda: preferences.set_email_preferences(db(), actor, choices, context=request_context()),
                action="account.email_preferences", actor=actor, object_type="user", object_id=actor.id)
        flash("Đã lưu lựa chọn nhận thông báo qua e-mail.", "success")
        return redirect(url_for("main.notification_preferences"))
    return render_template("main/preferences.html", values=preferences.email_preferences(db(), actor),
                           categories=CATEGORIES, email_configured=outbox.email_enabled(),
                           address=current_user.email)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"],
               key_func=lambda: f"password-change|{current_user.get_id()}")  # guessing the current password
def change_password():
    """The signed-in user's own password: the rule and the checks live in
    workflow.administration.accounts.change_password."""
    actor = current_actor()
    error = None
    if request.method == "POST":
        data = {k: request.form.get(k) or "" for k in ("current_password", "new_password", "confirm_password")}
        try:
            perform(lambda: accounts.change_password(db(), actor.id, data, context=request_context()),
                    action="account.password_change", actor=actor, object_type="user", object_id=actor.id)
        except ValidationFailed as err:
            error = err
        else:
            sign_in(current_user._get_current_object())  # every other session ended; this browser gets a new one
            flash("Đã đổi mật khẩu. Các phiên đăng nhập khác và mọi mã truy cập API của bạn đã bị chấm dứt.", "success")
            return redirect(url_for("main.home"))
    return render_template("main/password.html", error=error, field_errors=error.field_errors if error else {},
                           password_rule=passwords.RULE), 422 if error else 200


@bp.route("/account/tokens")
@login_required
def api_tokens():
    """The signed-in user's live API tokens: name, issued, last used, expires (never the secret)."""
    page = accounts.list_tokens(db(), current_actor(), page=request.args.get("page"))
    return render_template("main/tokens.html", page=page, default_days=accounts.DEFAULT_TOKEN_DAYS)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def api_token_revoke(token_id: int):
    """GET: the confirmation; POST: revokes the token (audited). Someone else's token is 404."""
    actor = current_actor()
    if request.method == "GET":
        return render_template("main/token_revoke.html", token=accounts.get_own_token(db(), actor, token_id))
    row = perform(lambda: accounts.revoke_token(db(), actor, token_id, context=request_context()),
                  action="account.token_revoke", actor=actor, object_type="user", object_id=actor.id)
    flash(f"Đã thu hồi mã truy cập “{row.name or row.id}”: chương trình nào còn dùng mã này sẽ bị từ chối.", "success")
    return redirect(url_for("main.api_tokens"))
