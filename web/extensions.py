"""Flask extensions, created unbound and initialised in create_app."""
import functools

from flask import Flask, request
from flask.globals import request_ctx
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


def init_csrf(app: Flask) -> None:
    """`csrf.init_app`, with its check before every request answering at once for a method it never checks (GET,
    HEAD, OPTIONS: not in WTF_CSRF_METHODS). Flask-WTF looks up whether the view or its blueprint is exempt before it
    looks at the method, so every page and API read paid that look-up (~5 µs of CPU) to be told nothing; a POST, PUT,
    PATCH or DELETE goes through Flask-WTF's check exactly as before."""
    csrf.init_app(app)
    hooks = app.before_request_funcs.get(None, [])
    index = next((i for i, hook in enumerate(hooks) if hook.__qualname__.endswith("init_app.<locals>.csrf_protect")
                  and hook.__module__ == "flask_wtf.csrf"), None)
    if index is None:  # another Flask-WTF: its hook is left as it is
        return
    protect = hooks[index]

    @functools.wraps(protect)
    def csrf_protect():
        if request.method in app.config["WTF_CSRF_METHODS"]:
            return protect()
        return None

    hooks[index] = csrf_protect


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
    _only_after_a_limit(app)


def _only_after_a_limit(app: Flask) -> None:
    """flask-limiter's after_request (the X-RateLimit-* headers, the conditional deductions) and teardown (forgetting
    the request's limit state) act on the state a limited view's check leaves on the request context
    (`_limiter_request_context`); without it the first finds no limit and no deduction, the second resets a state
    that was just made for it. With every limit on a view, most requests never check one, yet both hooks ran on each
    (~10 µs of CPU: building and resetting that state). They now run only when a check left its state, which is what
    they did anything with."""
    after = app.after_request_funcs.get(None, [])
    teardown = app.teardown_request_funcs.get(None, [])
    inject_fn = getattr(Limiter, "_Limiter__inject_headers", None)
    release_fn = getattr(Limiter, "_Limiter__release_context", None)
    inject = next((f for f in after if inject_fn and getattr(f, "func", None) is inject_fn), None)
    release = next((f for f in teardown if release_fn and getattr(f, "__func__", None) is release_fn), None)
    if inject is None or release is None:  # another flask-limiter: its hooks are left as they are
        return

    @functools.wraps(inject.func)
    def inject_headers(response):
        return inject(response) if _limit_checked() else response

    @functools.wraps(release.__func__)
    def release_context(exc=None):
        if _limit_checked():
            release(exc)

    after[after.index(inject)] = inject_headers
    teardown[teardown.index(release)] = release_context


def _limit_checked() -> bool:
    return hasattr(request_ctx._get_current_object(), "_limiter_request_context")
