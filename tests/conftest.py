"""Shared fixtures. Database tests run on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too.

- `engine` (session scope, parametrised by backend): schema created once with `Base.metadata.create_all`.
- `db`: a session on a freshly emptied database holding the demo data of CONTRACT.md (committed).
- `demo`: look-ups into that data (`demo.actor("tp_pbgdpl")`, `demo.unit("PBGDPL")`, `demo.campaign("annual")`).
- `app`, `client`, `login(username)`, `api` (bearer-token JSON client: `api.as_("tp_pbgdpl").get(...)`).
- `live_server`: the app served on a free loopback port (for browser tests), on its own SQLite file.

Set REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 / REQUIRE_LIBREOFFICE=1 (as .ci/run does) to turn the skips into failures
(LibreOffice: tests/reporting/test_render.py).
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import tempfile
import threading
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

import notifications
from models import Base, Campaign, Person, Unit, User, make_engine, make_session_factory
from models.base import read_only_engine
from notifications import audit, audit_checkpoints, outbox
from web import audit_trail, create_app
from web import cli as web_cli
from web import links as web_links
from web.extensions import limiter
from workflow.administration import accounts
from workflow.administration import demo as demo_data
from workflow.council import ballots, scheduling
from workflow.council import operations as council_operations
from workflow.policy import actor_for


def _worker_database() -> None:
    """`make test` runs one pytest-xdist worker per core: each worker gets a PostgreSQL database of its own beside
    TEST_DATABASE_URL (created if missing; its schema is reset like the shared one's), so the workers' resets and
    seeds never meet. Every test, subprocesses included, reads the rewritten TEST_DATABASE_URL."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("TEST_DATABASE_URL")
    if not worker or not url:
        return
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    os.environ["TEST_DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)


_worker_database()
DEMO_PASSWORD = "demo-pass-123"
accounts.HASH_SETTINGS["method"] = "pbkdf2:sha256:1000"  # fast hashes in tests only
notifications.install()
ballots.configure("test-ballot-key")
# The purge after a close cannot take its lock while a rolled-back test's transaction holds the table: without this,
# every close on PostgreSQL would wait the product's full second for nothing. test_secret_ballot_attacks.py keeps one
# close with the product's wait, on committed data, where the purge does take its lock.
council_operations.PURGE_AFTER_CLOSE_WAIT_MS = 20
# The legal minimum of the publicity period (10 working days by default) is 0 in the suite: its flows (and the demo's
# council in them) set a period of 0 to reach the council step at once. Every app the tests make (and every CLI
# subprocess) reads the environment; the tests of the minimum itself set it back to 10 (tests/council/
# test_session_scheduling.py).
os.environ["PUBLICITY_MIN_WORKING_DAYS"] = "0"
scheduling.configure_publicity_minimum(0)
# One audit signing key for the whole run (its HKDF child MACs every event): appends without an app use it, and every
# app the tests make loads the same key (the environment's AUDIT_SIGNING_KEY; the `app` fixture writes it to its own
# path), so events written before an app existed verify with the app's key.
AUDIT_KEY_FILE = os.path.join(tempfile.mkdtemp(prefix="dienhinh-audit-key-"), "audit_signing_key.pem")
AUDIT_KEY = audit_checkpoints.load_signing_key(AUDIT_KEY_FILE, generate=True)
os.environ["AUDIT_SIGNING_KEY"] = AUDIT_KEY_FILE
audit.configure(AUDIT_KEY)

BACKENDS = ["sqlite", "postgres"]


def _postgres_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return url


@contextlib.contextmanager
def throwaway_postgres(prefix: str):
    """An engine on a new, empty PostgreSQL database beside TEST_DATABASE_URL, dropped afterwards (tests that
    migrate or restore a database of their own never touch the shared one)."""
    base_url = _postgres_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1)).set(database=name)
    eng = make_engine(url.render_as_string(hide_password=False))
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _reset_schema(engine):
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(conn)
    Base.metadata.create_all(engine)


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request, tmp_path_factory):
    if request.param == "postgres":
        eng = make_engine(_postgres_url())
    else:
        eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}")
    _reset_schema(eng)
    # Services write notification links through workflow.links, with or without an app in the test: the backend's
    # app installs the resolver (create_app does) before any test of the backend runs.
    web_links.install(_shared_app(eng, tmp_path_factory))
    yield eng
    eng.dispose()


def _empty(engine):
    """Every table emptied but `data_stamps`, whose rows the schema holds as the migration wrote them (emptying
    `units` and `campaigns` writes a new stamp, by their triggers)."""
    tables = [t for t in Base.metadata.sorted_tables if t.name != "data_stamps"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


# Whether each engine's database holds exactly the demo data, committed. A reseeding test leaves what it committed, so
# it marks its engine dirty; the next rolled-back test seeds again (once) before it begins.
_SEEDED: dict[int, bool] = {}


def _seed(engine) -> None:
    _empty(engine)
    with make_session_factory(engine)() as session:
        demo_data.seed(session, DEMO_PASSWORD)
        session.commit()


def _ensure_seeded(engine) -> None:
    if not _SEEDED.get(id(engine)):
        _seed(engine)
        _SEEDED[id(engine)] = True


def wants_fresh_db(request) -> bool:
    """A test opts out of the rolled-back transaction with `@pytest.mark.fresh_db` (on it, its class or its module)
    or by asking for the `fresh_db` fixture."""
    return request.node.get_closest_marker("fresh_db") is not None or "fresh_db" in request.fixturenames


def bound_session_factory(connection) -> sessionmaker:
    """Sessions on the test's one connection, each in a savepoint of its outer transaction: a service's or a
    request's `commit()` releases its savepoint and `rollback()` returns to it, while the outer transaction (and so
    everything the test did) is rolled back when the test ends."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False,
                        autoflush=True)


@pytest.fixture
def fresh_db(engine):
    """The database emptied and seeded with the demo data, committed, for tests that need several connections
    (threads, other processes, a served app, migrations, VACUUM, locks held by two transactions): a session of the
    engine's own, as every test had before the rolled-back transaction became the default. Slow (a reseed per test):
    ask for it only when a test cannot share one connection."""
    _SEEDED[id(engine)] = False
    _seed(engine)
    session = make_session_factory(engine)()
    yield session
    session.rollback()
    session.close()


@contextlib.contextmanager
def rolled_back_session(engine):
    """A session in one outer transaction on one connection, rolled back at the end, on the demo data seeded once per
    backend. The app, `session_factory` and the services' own commits share the connection through savepoints."""
    _ensure_seeded(engine)
    conn = engine.connect()
    outer = conn.begin()
    session = bound_session_factory(conn)()
    session.info["test_connection"] = conn
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        conn.close()


def _shared_app(engine, tmp_path_factory):
    """The backend's one app (see `app`), made with the backend's engine (which installs workflow.links' resolver)."""
    shared = _APPS.get(id(engine))
    if shared is None:
        shared = _APPS[id(engine)] = create_app(_test_settings(engine, tmp_path_factory.mktemp("app"), {}))
    return shared


@pytest.fixture
def db(request, engine):
    """The test's session on the demo data: a rolled-back transaction (`rolled_back_session`) unless the test is
    marked `fresh_db`, which gets the reseeded database of the `fresh_db` fixture."""
    if wants_fresh_db(request):
        yield request.getfixturevalue("fresh_db")
        return
    with rolled_back_session(engine) as session:
        yield session


@pytest.fixture
def session_factory(request, engine):
    """Sessions as the services open them: on the test's connection (savepoints) unless the test is `fresh_db`."""
    if wants_fresh_db(request):
        return make_session_factory(engine)
    return bound_session_factory(request.getfixturevalue("db").info["test_connection"])


@pytest.fixture
def seeded_once(engine):
    """Kept for modules written before the rolled-back transaction became the default: the seeded engine."""
    _ensure_seeded(engine)
    return engine


@pytest.fixture
def rolled_back_db(engine):
    """Kept for modules written before the rolled-back transaction became the default (`db` is the same thing)."""
    with rolled_back_session(engine) as session:
        yield session


class Demo:
    """Look-ups into the demo data, always fresh from the given session."""

    password = DEMO_PASSWORD

    def __init__(self, session):
        self.session = session

    def user(self, username: str) -> User:
        return self.session.scalar(select(User).where(User.username == username))

    def actor(self, username: str):
        return actor_for(self.session, self.user(username))

    def unit(self, code: str) -> Unit:
        return self.session.scalar(select(Unit).where(Unit.code == code))

    def person(self, full_name: str) -> Person:
        return self.session.scalar(select(Person).where(Person.full_name == full_name))

    def campaign(self, kind: str = "annual", department: str = "STP") -> Campaign:
        dept = self.unit(department)
        return self.session.scalar(
            select(Campaign).where(Campaign.kind == kind, Campaign.department_id == dept.id).order_by(Campaign.id)
        )


@pytest.fixture
def demo(db):
    return Demo(db)


def bind_app(app, session, engine=None):
    """Points the app's sessions at the test's connection when `session` is a rolled-back test session (each request
    then commits to a savepoint of the test's transaction); otherwise at `engine`'s own connections (`fresh_db`)."""
    conn = session.info.get("test_connection")
    if conn is not None:
        app.extensions["dienhinh.sessions"] = bound_session_factory(conn)
        app.extensions["dienhinh.read_sessions"] = bound_session_factory(conn)
    elif engine is not None:
        app.extensions["dienhinh.sessions"] = make_session_factory(engine)
        app.extensions["dienhinh.read_sessions"] = make_session_factory(read_only_engine(engine))
    return app


def _test_settings(engine, tmp_path: Path, config: dict) -> dict:
    """The settings of every app the tests make, with the run's audit key copied to the test's own folder."""
    key_file = tmp_path / "audit_signing_key.pem"
    if not key_file.exists():
        key_file.write_bytes(Path(AUDIT_KEY_FILE).read_bytes())
        key_file.chmod(0o600)
    return {
        "TESTING": True, "ENGINE": engine, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False, "AUDIT_SIGNING_KEY": str(key_file), "AUDIT_SIGNING_KEY_GENERATE": True,
        "AUDIT_CHECKPOINT_DIR": str(tmp_path / "audit-checkpoints"), **config,
    }


@pytest.fixture
def make_app(engine, db, tmp_path):
    """`make_app(**config)`: a new app as the tests run it (TESTING, no CSRF, no rate limits, the run's audit key)
    with `config` on top, sharing the test's database session (see `bind_app`). `instance_path` is passed through.
    For the tests that need settings of their own; the others share the `app` fixture's."""
    def make(instance_path: str | None = None, **config):
        return bind_app(create_app(_test_settings(engine, tmp_path, config), instance_path=instance_path), db, engine)

    return make


# One app per backend for the whole run: building one (blueprints, the OpenAPI document) costs far more than a test.
_APPS: dict[int, Flask] = {}


def _configure_process(app) -> None:
    """What create_app sets for the whole process (module-level settings a test's own app may have changed since),
    set again from the shared app's config, as building it anew for the test would."""
    notifications.install()
    outbox.configure(email_enabled=bool(app.config.get("SMTP_HOST")), mail_from=app.config["MAIL_FROM"],
                     base_url=app.config["BASE_URL"])
    ballots.configure(app.config.get("BALLOT_KEY"))
    scheduling.configure_publicity_minimum(app.config["PUBLICITY_MIN_WORKING_DAYS"])
    audit_trail.configure(app.config)
    limiter.init_app(app)  # the shared limiter's on/off switch follows this app's RATELIMIT_ENABLED again


@pytest.fixture
def app(engine, db, tmp_path, tmp_path_factory):
    """The app on the test's database session. One app per backend is reused: its config is restored after each test
    and the process-wide settings of create_app are set again before it; the audit key file and the checkpoint folder
    are the test's own."""
    shared = _shared_app(engine, tmp_path_factory)
    saved = dict(shared.config)
    shared.config.update({k: v for k, v in _test_settings(engine, tmp_path, {}).items()
                          if k in ("AUDIT_SIGNING_KEY", "AUDIT_CHECKPOINT_DIR")})
    _configure_process(shared)
    bind_app(shared, db, engine)
    try:
        yield shared
    finally:
        shared.config.clear()
        shared.config.update(saved)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    def do_login(username: str, password: str = DEMO_PASSWORD):
        client.post("/logout")
        return client.post("/login", data={"username": username, "password": password}, follow_redirects=False)

    return do_login


class ApiClient:
    """JSON client with bearer tokens from POST /api/v1/auth/token."""

    def __init__(self, client, username: str | None = None, tokens: dict | None = None):
        self.client = client
        self.username = username
        self.tokens = tokens if tokens is not None else {}

    def as_(self, username: str) -> ApiClient:
        if username not in self.tokens:
            r = self.client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.get_data(as_text=True)
            self.tokens[username] = r.get_json()["token"]
        return ApiClient(self.client, username, self.tokens)

    def _headers(self, extra=None):
        headers = dict(extra or {})
        if self.username:
            headers["Authorization"] = f"Bearer {self.tokens[self.username]}"
        return headers

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, **kw):
        return self.client.post("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, **kw):
        return self.client.put("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, **kw):
        return self.client.patch("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.client.delete("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def api(client):
    return ApiClient(client)


@dataclasses.dataclass
class ScriptResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def script(monkeypatch):
    """`script(args, env, cwd)`: `dienhinh ARGS` in-process, through the script's own group and app factory with
    `env` on top of the environment (a None value removes a variable). A process start costs more than most commands:
    a test keeps a real process only where the process is what it checks. An exception that would be a traceback in a
    real process is raised, never returned as a refusal. The engines of the apps it builds are disposed, and the
    process-wide settings those apps set (the ballot key, the outbox's) are put back afterwards."""
    saved_ballots, saved_outbox = dict(ballots._STATE), dict(outbox.SETTINGS)

    def run(args, env: dict, cwd) -> ScriptResult:
        monkeypatch.chdir(cwd)
        apps = []

        def factory():
            apps.append(web_cli._create_app())
            return apps[-1]

        try:
            result = CliRunner().invoke(web_cli.main, [str(a) for a in args], env={"FLASK_APP": None, **env},
                                        obj=ScriptInfo(create_app=factory))
        finally:
            for built in apps:
                built.extensions["dienhinh.engine"].dispose()
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return ScriptResult(result.exit_code, result.stdout, result.stderr)

    yield run
    ballots._STATE.clear()
    ballots._STATE.update(saved_ballots)
    outbox.SETTINGS.clear()
    outbox.SETTINGS.update(saved_outbox)


class LiveServer:
    """The served app: `str(live_server)` (and f"{live_server}") is the base URL; `.engine` reaches its database so a
    browser test can prepare data through the services."""

    def __init__(self, url: str, engine, app):
        self.url, self.engine, self.app = url, engine, app

    def __str__(self) -> str:
        return self.url


@pytest.fixture
def live_server(tmp_path):
    """The real app on a free loopback port, on its own seeded SQLite file. Yields a LiveServer (its str: the URL)."""
    from werkzeug.serving import make_server

    from web import create_app

    url = f"sqlite:///{tmp_path / 'live.db'}"
    eng = make_engine(url)
    Base.metadata.create_all(eng)
    with make_session_factory(eng)() as s:
        demo_data.seed(s, DEMO_PASSWORD)
        s.commit()
    app = create_app({"ENGINE": eng, "SECRET_KEY": "live", "RATELIMIT_ENABLED": False})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{port}", eng, app)
    server.shutdown()
    eng.dispose()


# --------------------------------------------------------------------------------------------- browser (tests/e2e)
# Playwright drives Debian's Chromium (never a downloaded browser). Without it the browser tests skip with the
# reason, unless REQUIRE_BROWSER=1 (as in .ci/run). A module sets its viewport by overriding
# `browser_context_args` and names its screenshots with SHOT_PREFIX.
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "e2e" / "artifacts"
# Background networking off: this machine's closed network refuses Chromium's own connections.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


def need_browser() -> None:
    reason = None
    if not os.path.exists(CHROMIUM):
        reason = f"Chromium not found at {CHROMIUM}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Playwright is not installed (pip install playwright)"
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(f"browser test skipped: {reason}")


@pytest.fixture
def browser_context_args() -> dict:
    """The office PC of UX.md by default."""
    return {"viewport": {"width": 1366, "height": 768}}


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run: starting it costs more than most browser tests. Each test still gets a context
    of its own (cookies, storage, viewport), so no state crosses from one test to the next."""
    need_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, browser_context_args):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **browser_context_args)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def open_user_menu(page) -> None:
    """Opens the header's user menu the way a person does once the page has finished loading. The menu is Bootstrap's
    dropdown, whose script is deferred: a click that lands after the HTML is parsed but before that script has run
    opens nothing (a CI run's click did, right after the login's redirect), so the click waits for the page's load."""
    from playwright.sync_api import expect

    page.wait_for_load_state("load")
    menu = page.get_by_test_id("user-menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")


@pytest.fixture
def shot(page, request):
    prefix = getattr(request.module, "SHOT_PREFIX", request.module.__name__)

    def take(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{prefix}_{name}.png"), full_page=True)

    return take


@pytest.fixture
def as_dba():
    """What the database's administrator can do to the audit trail (adversary tests): `as_dba(session)` lets that
    transaction UPDATE and DELETE audit rows. On PostgreSQL the append-only triggers are skipped until the end of
    the transaction (`session_replication_role = replica`, a superuser's setting); SQLite has no trigger."""
    def allow(session) -> None:
        if session.get_bind().dialect.name != "postgresql":
            return
        session.execute(text("SET LOCAL session_replication_role = replica"))
        conn = session.info.get("test_connection")
        if conn is not None:
            # A rolled-back test's "transaction" is a savepoint: SET LOCAL would outlive it, until the test's end.
            # At the end of the session's outermost transaction (a savepoint's end before it is not the end: a
            # listener run `once` there left the test's later transactions in replica mode, where no trigger fires).
            done = []

            def back_to_normal(_session, transaction):
                if done or transaction.parent is not None:
                    return
                done.append(True)
                if not conn.closed and conn.in_transaction():
                    conn.exec_driver_sql("SET LOCAL session_replication_role = DEFAULT")
            event.listen(session, "after_transaction_end", back_to_normal)
    return allow
