"""Flask extensions, created unbound and initialised in create_app."""
from flask import Flask, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def login_attempt_key() -> str:
    """Login attempts are counted per client address and username: guessing one account's password is limited by
    RATELIMIT_LOGIN, while colleagues behind the same office NAT can still sign in (a per-address ceiling,
    RATELIMIT_LOGIN_IP, bounds the total). Reads the username from the form or the JSON body."""
    username = request.form.get("username") if request.form else None
    if username is None:
        body = request.get_json(silent=True)
        username = body.get("username") if isinstance(body, dict) else None
    username = username.strip().lower()[:80] if isinstance(username, str) else ""
    return f"{get_remote_address()}|{username}"


def init_limiter(app: Flask) -> None:
    """`limiter.init_app`, without the check flask-limiter runs before every request. That hook applies the
    application-wide, default and blueprint limits; the limits of this application are all on views (`@limiter.limit`:
    the logins, the password change), and each decorated view checks its own limits when it runs. The hook found
    nothing to count and cost every request ~0.1 ms of CPU (resolving the endpoint's limits), a third of what a
    request costs beyond Flask itself. Should a default, application, meta or blueprint limit ever be configured, the
    hook is kept."""
    limiter.init_app(app)
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits or limiter._meta_limits or manager._blueprint_limits:
        return
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != limiter._check_request_limit]
