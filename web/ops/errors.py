"""Optional error reporting: with `SENTRY_DSN` set, unhandled exceptions go to the department's Sentry (or any
server speaking its protocol, e.g. a self-hosted GlitchTip on the closed network). Nothing personal leaves the
host: no cookies, no request bodies (ballots, passwords, dossiers), no user names; the request id names the event
so the JSON log line of the same request can be found."""
from __future__ import annotations

from flask import Flask, g

from web.config import environment


def init_app(app: Flask) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn, integrations=[FlaskIntegration()], environment=environment(),
        max_request_body_size="never", traces_sample_rate=0.0, before_send=_scrub,
    )

    @app.before_request
    def _tag_request_id():
        request_id = getattr(g, "request_id", None)
        if request_id:
            sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)


def _scrub(event, _hint):
    """What the integration would still attach about the request: its headers hold cookies and bearer tokens."""
    request = event.get("request") or {}
    request.pop("cookies", None)
    request.pop("data", None)
    headers = request.get("headers") or {}
    for name in list(headers):
        if name.lower() in ("cookie", "authorization", "x-csrftoken", "x-csrf-token"):
            headers[name] = "[đã ẩn]"
    event.pop("user", None)
    return event
