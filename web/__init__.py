"""The application factory (pallets/flask tutorial style): `create_app(test_config=None)`."""
from __future__ import annotations

import os

from flask import Flask

import notifications
from models import make_engine, make_session_factory
from models.base import read_only_engine
from notifications import outbox
from web import administration as admin
from web import (
    api,
    audit_trail,
    auth,
    config,
    council,
    filters,
    inputs,
    links,
    main,
    nominations,
    ops,
    proposals,
    security,
)
from web.administration import delegations
from web.db import close_db
from web.extensions import babel, init_csrf, init_limiter, login_manager
from web.json_provider import JSONProvider
from web.propagation import showcase, stories
from web.proposals import decisions, ministry
from web.reporting import audit, reports
from workflow.council import ballots, scheduling


class App(Flask):
    """Flask, with `ensure_sync`'s answer kept per function. Flask asks it for every hook, view and error handler
    of every request (~20 times in an API transition), and each answer costs `inspect.iscoroutinefunction`, which
    unwraps partials and methods: ~1% of a transition's CPU (issue 13). The functions asked about are the ones
    registered at start-up, so the answers are few and never change; an `async def` one is still wrapped by
    `async_to_sync`, as Flask wraps it. Past `SYNC_KEPT` functions (something making new ones per request) the rest
    are answered as Flask answers them, without keeping them."""

    SYNC_KEPT = 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict = {}

    def ensure_sync(self, func):
        try:
            return self._sync[func]
        except KeyError:
            sync = super().ensure_sync(func)
            if len(self._sync) < self.SYNC_KEPT:
                self._sync[func] = sync
            return sync
        except TypeError:  # not hashable
            return super().ensure_sync(func)


def create_app(test_config: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """`instance_path` (absolute): this host's own folder (development database, secret key file); default
    `instance/` beside the package. Nothing a request serves is kept there: files live in the database.
    A missing or malformed setting raises `config.ConfigError` (one line naming it): the command line and `web.wsgi`
    print that line and exit."""
    app = App(__name__, instance_path=instance_path, instance_relative_config=True)
    app.jinja_environment = filters.Environment  # before anything creates app.jinja_env
    app.json = JSONProvider(app)  # responses' JSON by orjson: the same document, a tenth of the CPU
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config.load(app.instance_path, test_config))  # ConfigError: one line naming the variable

    engine = app.config.get("ENGINE") or make_engine(app.config["DATABASE_URL"])
    app.extensions["dienhinh.engine"] = engine
    app.extensions["dienhinh.sessions"] = make_session_factory(engine)
    app.extensions["dienhinh.read_sessions"] = make_session_factory(read_only_engine(engine))
    app.teardown_appcontext(close_db)

    notifications.install()
    outbox.configure(email_enabled=bool(app.config.get("SMTP_HOST")), mail_from=app.config["MAIL_FROM"],
                     base_url=app.config["BASE_URL"])
    ballots.configure(app.config.get("BALLOT_KEY"))  # never SECRET_KEY: without it no session can be opened
    scheduling.configure_publicity_minimum(app.config["PUBLICITY_MIN_WORKING_DAYS"])
    audit_trail.configure(app.config)  # the audit events' MAC key, from AUDIT_SIGNING_KEY: ConfigError without it

    security.init_app(app)  # ProxyFix (TRUSTED_PROXIES), Secure cookies over HTTPS, CSP and the other headers
    init_csrf(app)  # Flask-WTF's check, answering at once for the methods it never checks
    init_limiter(app)  # the views' own limits (logins), without a check before every request
    babel.init_app(app, locale_selector=lambda: "vi")
    login_manager.init_app(app)
    security.remember_cookie_only_when_remembered(app, login_manager)  # its hook only when it has work
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "warning"
    filters.register(app)

    for module in (auth, main, nominations, admin, delegations, council, decisions, proposals, ministry, stories,
                   showcase, audit, reports):
        app.register_blueprint(module.bp)
    api.init_app(app)  # registers the JSON API blueprint(s) and exempts them from CSRF (bearer tokens only)
    ops.init_app(app)  # /healthz, /readyz, /metrics; request id, JSON or text logs, the access log
    links.install(app)  # the paths of workflow.links' targets (notifications, the home page's cards)
    inputs.init_app(app)  # the text rule on every query parameter, form field and JSON string (after the request id)
    return app


def default_instance_path() -> str:
    """The instance folder `create_app()` uses when none is given (Flask's rule for the `web` package)."""
    return Flask(__name__).instance_path
