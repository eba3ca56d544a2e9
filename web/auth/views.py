"""/login and /logout. Both outcomes of a login attempt are committed, so a failed attempt stays in the audit trail.

Sessions are kept on the server (`workflow.administration.accounts.start_session`): the signed session cookie carries
the user id and a random secret, and a request is signed in only while the secret's row exists. Logout (POST, with its
CSRF token) deletes the row, so a copy of the cookie is refused afterwards; `GET /logout` only shows the confirmation
form."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import current_user, login_user, logout_user

from models import User
from web.auth import bp
from web.current import PageUser
from web.db import db, request_context
from web.extensions import limiter, login_attempt_key, login_manager
from workflow.administration import accounts
from workflow.administration.accounts import authenticate
from workflow.errors import AuthenticationFailed

SESSION_SECRET_KEY = "sid"  # the key of the server-side session's secret in Flask's signed session cookie


@login_manager.user_loader
def load_user(user_id: str) -> PageUser | None:
    """Only a live server-side session signs a request in: the cookie's secret must still have its row (not logged
    out, not ended by a password change or reset or a deactivation) and the account must be active. A cookie without a
    secret (one from before server-side sessions, or a remember-me cookie alone) is refused."""
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        return None
    caller = accounts.caller_for_session(db(), uid, cookie_session.get(SESSION_SECRET_KEY))
    if caller is None:
        return None
    g.login_actor = caller.actor  # the user's roles and delegation came with it: web.current builds nothing again
    g.session_unread_count = caller.unread_notifications  # the header's count, for pages that change nothing
    g.choices_stamp = caller.choices_stamp  # the list page's filters, kept per stamp (choices.list_filters)
    return PageUser(caller.actor)


def sign_in(user: User) -> None:
    """Starts a server-side session for `user` in this browser (ending the one it had, if any: signing in again, or
    as someone else, leaves no live session behind) and commits it after any work of the request."""
    session = db()
    accounts.end_session(session, cookie_session.get(SESSION_SECRET_KEY))
    secret = accounts.start_session(session, user)
    session.commit()
    cookie_session[SESSION_SECRET_KEY] = secret
    login_user(user)


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
            sign_in(user)
            flash(f"Xin chào {user.full_name}.", "success")
            return redirect(next_url or url_for("main.home"))
    return render_template("auth/login.html", error=error, username=username, next_url=next_url), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """POST (with the CSRF token of the header's form) ends this browser's session on the server. GET changes nothing:
    a link or an image cannot sign anyone out; a signed-in user gets a page with the button."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return render_template("auth/logout.html")
    session = db()
    accounts.end_session(session, cookie_session.pop(SESSION_SECRET_KEY, None))
    session.commit()
    logout_user()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))
