"""Flask extensions, created unbound and initialised in create_app."""
from flask import request
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
