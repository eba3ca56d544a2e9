"""Flask extensions, created unbound and initialised in create_app."""
import functools

from flask import Flask, current_app, g, request, session
from flask.globals import request_ctx
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer

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
    PATCH or DELETE goes through Flask-WTF's check exactly as before. The templates' `csrf_token()` is `csrf_token`
    below (Flask-WTF's token, made cheaper), as a global only: Flask-WTF's context processor gave every render the
    two globals it had set already."""
    csrf.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if p.__module__ != "flask_wtf.csrf"]
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


CSRF_KEPT = 4096  # raw tokens whose serialised form is kept per process (one per signed-in browser)
_csrf_signing: dict = {}  # secret key → (Flask-WTF's serializer, its signer)
_csrf_payloads: dict = {}  # (secret key, a session's raw token) → the serialised token the signature is put on


def csrf_token(secret_key=None, token_key=None) -> str:
    """Flask-WTF's `generate_csrf` (the token of the page's forms, `{{ csrf_token() }}`), the same string, without
    serialising the session's raw token again for every page. A token is the raw token serialised (JSON, zlib,
    base64: ~50 µs, a third of it zlib's set-up) and signed with the time (`URLSafeTimedSerializer.dumps`); the
    serialised part depends only on the raw token, which a session keeps from page to page, so it is kept here
    (`_csrf_payloads`) and only the timed signature is made per page, by the serializer's own signer, as `dumps`
    makes it. Flask-WTF's own function answers whatever this one does not: a session without a raw token yet
    (it makes one), a missing key or field name (its errors)."""
    app = current_app._get_current_object()
    secret_key = secret_key if secret_key is not None else app.config.get("WTF_CSRF_SECRET_KEY", app.secret_key)
    field_name = token_key if token_key is not None else app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    ctx_g = g._get_current_object()
    raw = session.get(field_name) if secret_key is not None and field_name is not None else None
    if field_name in ctx_g:
        return ctx_g.get(field_name)
    if type(raw) is not str:
        return generate_csrf(secret_key, token_key)
    signing = _csrf_signing.get(secret_key)
    if signing is None:
        serializer = URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token")  # as generate_csrf makes it
        if len(_csrf_signing) >= 16:
            _csrf_signing.clear()
        signing = _csrf_signing[secret_key] = (serializer, serializer.make_signer(serializer.salt))
    payload = _csrf_payloads.get((secret_key, raw))
    if payload is None:
        if len(_csrf_payloads) >= CSRF_KEPT:
            _csrf_payloads.clear()
        payload = _csrf_payloads[(secret_key, raw)] = signing[0].dump_payload(raw)
    token = signing[1].sign(payload).decode("utf-8")
    setattr(ctx_g, field_name, token)
    return token


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
