"""What the browser and the proxy in front are told and trusted, in one place:

- **Proxies** (`TRUSTED_PROXIES`, a number of hops, default 0): Werkzeug's ProxyFix takes the client's address from
  the last N entries of `X-Forwarded-For` and the scheme from `X-Forwarded-Proto`, so `request.remote_addr` (what the
  audit trail records, what the login limits count, what the access log shows) is the client's, and
  `request.is_secure` says whether the client used HTTPS. With 0 both headers are ignored: a client cannot choose the
  address it is recorded under. `X-Forwarded-Host` is never trusted (the proxy passes `Host` itself).
- **Cookies**: the session cookie is `Secure` when the request came over HTTPS, or always with
  `SESSION_COOKIE_SECURE=1` (for a proxy that cannot send `X-Forwarded-Proto`).
- **Headers on every response**: a strict Content-Security-Policy (no inline script or style, nothing from another
  origin, no framing), `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, and
  HSTS over HTTPS. A response that sets its own policy (a story image: `default-src 'none'; sandbox`) keeps it.
"""
from __future__ import annotations

import functools

from flask import Flask, g, has_request_context, request
from flask.globals import request_ctx
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # Bootstrap draws its form and navbar icons as data: SVG
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=31536000"  # a year; only ever sent over HTTPS
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: over HTTPS Flask-WTF refuses a POST whose Referer is not this site (WTF_CSRF_SSL_STRICT).
    "Referrer-Policy": "same-origin",
}


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, `Secure` whenever the client reached us over HTTPS (after ProxyFix) or when
    SESSION_COOKIE_SECURE forces it."""

    _serializer_keys = None
    _serializer = None
    _verified: dict | None = None  # cookie text → (its data, when it was signed); made with the serializer
    _clock = None

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (has_request_context() and request.is_secure)

    def open_session(self, app: Flask, request):
        """A request without cookies (every API call by token, a first visit) starts with an empty session, as Flask's
        would find after looking for the cookie; the serializer and the cookie's name are not looked up for it.

        A cookie this process has verified before is not verified again: its text (signature included) maps to what
        it held and when it was signed (`_verified`). A browser sends the same cookie on every page until the session
        changes, and verifying it (base64, two HMACs, tagged JSON) cost ~0.1 ms of a page's ~2.5. The signature's age
        is checked on every request as itsdangerous checks it (older than the session's lifetime, or from the future:
        an empty session, as for any bad signature). Only a session of plain values (text, numbers, booleans: the
        login's and the CSRF token's) is kept, each request getting its own copy, so nothing a request does to its
        session reaches the kept one; the keys changing (a new `SECRET_KEY` or fallbacks) forgets them all."""
        if not app.secret_key:
            return super().open_session(app, request)
        if not request.environ.get("HTTP_COOKIE"):
            return self.session_class()
        serializer = self.get_signing_serializer(app)
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        verified = self._verified
        kept = verified.get(val)
        if kept is None:
            try:
                data, signed = serializer.loads(val, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return self.session_class()
            if not isinstance(data, dict):  # as Flask would fail with it: no memo of anything else
                return self.session_class(data)
            kept = (data, int(signed.timestamp()))
            if all(type(v) in _PLAIN for v in data.values()):
                if len(verified) >= VERIFIED_KEPT:
                    verified.clear()
                verified[val] = kept
        age = self._clock.get_timestamp() - kept[1]  # itsdangerous' own clock and rule (`TimestampSigner.unsign`)
        if age > max_age or age < 0:
            return self.session_class()
        return self.session_class(kept[0])

    def save_session(self, app: Flask, session, response) -> None:
        """A session nobody changed sets no cookie: Flask's answer (the `Vary: Cookie` of a session that was looked
        at, nothing else) without first working out the cookie's name, domain, path and flags. A permanent session
        with `SESSION_REFRESH_EACH_REQUEST` is re-sent on every response, as Flask does."""
        accessed = session.accessed  # before `permanent`, which reads the session (and marks it accessed)
        if not session.modified and not (session and session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            if accessed and not g.get(COOKIELESS, False):
                _vary_cookie(response)
            return
        super().save_session(app, session, response)

    def get_signing_serializer(self, app: Flask):
        """Flask's serializer, built once per key set instead of twice per request (open and save); the cookies
        verified under the former keys are forgotten with it."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys != self._serializer_keys:
            self._serializer, self._serializer_keys = super().get_signing_serializer(app), keys
            self._verified = {}
            if self._serializer is not None:  # the signer whose clock ages a signature (`get_timestamp`)
                self._clock = self._serializer.make_signer(self._serializer.salt)
        return self._serializer


COOKIELESS = "dienhinh_cookieless"  # the flag of `answer_without_cookies` on `g`


def answer_without_cookies() -> None:
    """before_request of views whose answer never depends on the session cookie (the JSON API: a bearer token or
    nothing). flask-login's remember hook looks at the session on every response, which alone would add
    `Vary: Cookie` and tell caches that the answer differs per cookie when it does not."""
    setattr(g, COOKIELESS, True)


def _vary_cookie(response) -> None:
    """`response.vary.add("Cookie")`; a response without a `Vary` header yet (a page's) gets it written at once
    rather than through werkzeug's header set (parsed, updated, written back)."""
    if "Vary" in response.headers:
        response.vary.add("Cookie")
    else:
        response.headers["Vary"] = "Cookie"


VERIFIED_KEPT = 4096  # verified cookies kept per process (~0.5 MB at most), forgotten all at once when full
_PLAIN = frozenset({str, int, float, bool, type(None)})


_NAMES = frozenset(name.lower() for name in (*HEADERS, "Strict-Transport-Security"))


def security_headers(response):
    """Adds the headers a response does not set itself (one pass over its headers, not one per header)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers} & _NAMES
    for name, value in HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", HSTS)
    return response


def remember_cookie_only_when_remembered(app: Flask, login_manager) -> None:
    """flask-login's after-request hook (`_update_remember_cookie`), run only when it can do something: when the
    session holds its `_remember` mark (a login or logout asking for the "remember me" cookie to be set or cleared)
    or `REMEMBER_COOKIE_REFRESH_EACH_REQUEST` asks it to mark every session. Otherwise the hook looked up the
    session and the setting through Flask's proxies and returned the response untouched, on every request — every
    API call by token included (~10 µs of CPU in a request). Its one side effect then, marking the session accessed,
    is Flask's own a moment later (`process_response` reads `ctx.session` to save it). Must run after
    `login_manager.init_app(app)`; another flask-login, whose hook is not found, is left as it is."""
    hooks = app.after_request_funcs.get(None, [])
    original = getattr(type(login_manager), "_update_remember_cookie", None)
    index = next((i for i, hook in enumerate(hooks) if getattr(hook, "__func__", None) is original
                  and getattr(hook, "__self__", None) is login_manager), None)
    if original is None or index is None:
        return
    update = hooks[index]

    @functools.wraps(update)
    def update_remember_cookie(response):
        if "_remember" in request_ctx.session or app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
            return update(response)
        return response

    hooks[index] = update_remember_cookie


def init_app(app: Flask) -> None:
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
    app.session_interface = SessionInterface()
    app.after_request(security_headers)
