"""/login and /logout. Both outcomes of a login attempt are committed, so a failed attempt stays in the audit trail."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from models import User
from web.auth import bp
from web.db import db, request_context
from web.extensions import limiter, login_attempt_key, login_manager
from workflow.accounts import authenticate
from workflow.errors import AuthenticationFailed


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """An inactive (locked) account is not loaded: its open sessions end at the next request."""
    try:
        user = db().get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.active else None


def safe_next(target: str | None) -> str | None:
    """Only a relative path on this site is followed after login (no open redirect to another host)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"], key_func=login_attempt_key)
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(next_url or url_for("main.home"))
    error = None
    username = ""
    status = 200
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:80]
        session = db()
        try:
            user = authenticate(session, username, request.form.get("password") or "", context=request_context())
        except AuthenticationFailed as err:
            session.commit()  # keeps the auth.login_failed audit row
            error, status = err.detail, 401
        else:
            session.commit()
            login_user(user)
            flash(f"Xin chào {user.full_name}.", "success")
            return redirect(next_url or url_for("main.home"))
    return render_template("auth/login.html", error=error, username=username, next_url=next_url), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    logout_user()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))
