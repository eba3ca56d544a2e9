"""Operations (web/ops): /healthz, /readyz, /metrics, the request id and the JSON access log.

The app here runs on a database migrated to head (a temporary SQLite file, or a throwaway PostgreSQL database beside
TEST_DATABASE_URL), since readiness checks the schema's revision; `create_all` databases carry none.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest
from conftest import DEMO_PASSWORD, ApiClient, _postgres_url, throwaway_postgres
from sqlalchemy import text
from sqlalchemy.engine import make_url

from models import OutboxMessage, make_engine, make_session_factory
from web import create_app, migrate
from web.ops import logs, readiness

REQUEST_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def migrated(request, tmp_path_factory):
    """An engine on a database at head holding the demo data (module-wide)."""
    import notifications
    from workflow.administration import demo

    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('ops') / 'ops.db'}")
            stack.callback(eng.dispose)
        else:
            eng = stack.enter_context(throwaway_postgres("dienhinh_ops"))
        migrate.upgrade(eng)
        notifications.install()
        with make_session_factory(eng)() as s:
            demo.seed(s, DEMO_PASSWORD)
            s.commit()
        yield eng


@pytest.fixture(autouse=True)
def _restore_logging():
    """These tests configure the process's logging (LOG_CONFIGURE): undo it for the tests that follow."""
    names = ("", "transitions", "alembic")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, logs._HANDLER_MARK, False)]:
        root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _app(engine, **config):
    return create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "ops", "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_ENABLED": False, "LOG_FORMAT": "json", "LOG_CONFIGURE": True,
                       **config})


@pytest.fixture
def app(migrated):
    return _app(migrated)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    return ApiClient(client)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------------ /healthz
def test_healthz_answers_without_the_database():
    app = _app(make_engine(f"postgresql://postgres@127.0.0.1:{_closed_port()}/nothing"))
    r = app.test_client().get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}
    assert r.headers["Cache-Control"] == "no-store"


# ------------------------------------------------------------------------------------------------- /readyz
def test_readyz_ok_at_head(client):
    r = client.get("/readyz")
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"status": "ok", "failed": [], "checks": {"database": "ok"}}


@pytest.mark.parametrize("where", ["closed port", "wrong database"])
def test_readyz_503_within_a_second_when_the_database_is_unreachable(where):
    url = (f"postgresql://postgres@127.0.0.1:{_closed_port()}/dienhinh" if where == "closed port" else
           make_url(_postgres_url()).set(database=f"no_such_db_{uuid.uuid4().hex[:8]}").render_as_string(False))
    client = _app(make_engine(url)).test_client()
    started = time.perf_counter()
    r = client.get("/readyz")
    elapsed = time.perf_counter() - started
    assert r.status_code == 503 and elapsed < 1.0, (r.status_code, elapsed)
    body = r.get_json()
    assert body["status"] == "fail" and body["failed"] == ["database"]
    assert body["checks"]["database"] != "ok"


def test_readyz_503_within_a_second_when_the_database_host_does_not_answer():
    """A host that accepts the connection and then says nothing (a hung server, a black hole): libpq would wait for
    connect_timeout (several seconds); the check's deadline answers first."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        client = _app(make_engine(f"postgresql://postgres@127.0.0.1:{port}/dienhinh")).test_client()
        started = time.perf_counter()
        r = client.get("/readyz")
        elapsed = time.perf_counter() - started
    assert r.status_code == 503 and elapsed < 1.0, (r.status_code, elapsed)
    assert "quá thời gian" in r.get_json()["checks"]["database"]


class TcpRelay:
    """127.0.0.1:<port> relayed to PostgreSQL; `stop()` closes the port and every relayed connection (the database
    'stopped'), `start()` opens the same port again (the database 'back'). A connection accepted while `stop()` runs
    is registered under the lock before it is relayed, so none outlives a stop (a probe still connecting in the
    background when the database 'stops' finds its connection closed, as it would)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = _closed_port()
        self.sockets: list[socket.socket] = []
        self.server: socket.socket | None = None
        self.lock = threading.Lock()

    def start(self):
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        self.server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _register(self, server, *sockets) -> bool:
        """Keeps `sockets` for `stop()` to close, unless `server` was stopped meanwhile: then closes them now."""
        with self.lock:
            if self.server is server:
                self.sockets += sockets
                return True
        for s in sockets:
            s.close()
        return False

    def _accept(self, server):
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            if not self._register(server, client):
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            if not self._register(server, upstream):
                return
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        with self.lock:
            server, self.server = self.server, None
            sockets, self.sockets = self.sockets, []
        if server is None:
            return
        try:
            server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not (Linux)
        except OSError:
            pass
        server.close()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def _ready_within(client, seconds: float):
    """Asks /readyz until it answers 200, for at most `seconds`. A probe that has to open a connection (a new backend
    through the relay's threads) may miss READINESS_TIMEOUT on a loaded machine (a full suite on two cores): it answers
    503 'timed out' and its check goes on in the background, leaving the connection in the pool for the next probe.
    That is the probe working; any other failure (a dead pooled connection handed out, a refusal) is an answer, and
    fails here at once. No sleep: a timed-out probe has already waited READINESS_TIMEOUT."""
    deadline = time.monotonic() + seconds
    while True:
        r = client.get("/readyz")
        if r.status_code == 200:
            return r
        body = r.get_json()
        assert body["checks"] == {"database": readiness.TIMED_OUT}, body
        assert time.monotonic() < deadline, f"/readyz still 503 after {seconds} s: {body}"


def test_readyz_follows_postgresql_going_away_and_coming_back_without_a_restart(migrated):
    if migrated.dialect.name != "postgresql":
        pytest.skip("a server to stop: PostgreSQL")
    url = migrated.url
    relay = TcpRelay((url.host or "127.0.0.1", url.port or 5432))
    relay.start()
    engine = make_engine(url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False))
    try:
        client = _app(engine).test_client()
        _ready_within(client, seconds=10)
        relay.stop()
        started = time.perf_counter()
        down = client.get("/readyz")
        assert down.status_code == 503 and time.perf_counter() - started < 1.0, down.get_json()
        assert down.get_json()["failed"] == ["database"]
        relay.start()
        _ready_within(client, seconds=10)
    finally:
        relay.stop()
        engine.dispose()


def test_readyz_503_when_the_schema_is_not_at_head(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(eng)
    with eng.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0010_audit_chains'"))
    r = _app(eng).test_client().get("/readyz")
    assert r.status_code == 503
    assert "0010_audit_chains" in r.get_json()["checks"]["database"]
    with eng.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    r = _app(eng).test_client().get("/readyz")
    assert r.status_code == 503 and "init-db" in r.get_json()["checks"]["database"]
    eng.dispose()


def test_readyz_does_not_queue_behind_a_writer_on_sqlite(migrated, client):
    """Every transaction of the app's engine takes SQLite's write lock (BEGIN IMMEDIATE) unless it only reads: a
    probe that took it would wait behind any long write and report the database down."""
    if migrated.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    with migrated.connect() as writer:
        writer.execute(text("UPDATE units SET name = name WHERE id = -1"))  # holds BEGIN IMMEDIATE
        r = client.get("/readyz")
        writer.rollback()
    assert r.status_code == 200, r.get_json()


class FakeRedis:
    def __init__(self, answer=True, delay=0.0):
        self.answer, self.delay = answer, delay

    def check(self):
        time.sleep(self.delay)
        if self.answer is None:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return self.answer


@pytest.mark.parametrize("storage, ok", [(FakeRedis(True), True), (FakeRedis(False), False), (FakeRedis(None), False),
                                         (FakeRedis(True, delay=5), False)])
def test_readyz_checks_redis_when_the_limits_are_kept_there(app, monkeypatch, storage, ok):
    from web.ops import views

    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379"
    monkeypatch.setattr(views, "limiter", type("L", (), {"storage": storage, "exempt": None})())
    started = time.perf_counter()
    r = app.test_client().get("/readyz")
    assert time.perf_counter() - started < 1.0
    assert r.status_code == (200 if ok else 503), r.get_json()
    assert ("redis" in r.get_json()["failed"]) is not ok


def test_ops_routes_need_no_login_and_no_rate_limit(migrated):
    app = _app(migrated, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute")
    client = app.test_client()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/metrics").status_code == 200
    client.get("/showcase")
    assert client.get("/showcase").status_code == 429  # the default limit does apply elsewhere


# ----------------------------------------------------------------------------------- request id and the logs
def _capture(app) -> io.StringIO:
    stream = io.StringIO()
    handler = next(h for h in logging.getLogger().handlers if getattr(h, logs._HANDLER_MARK, False))
    handler.setStream(stream)
    return stream


def _lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize("given, kept", [
    ("3f2a9c1e-7b1d-4c55-9a0e-0b2f6f0c9d11", True), ("a" * 32, True), ("req:edge-1.2_3", True),
    ("", False), ("a" * 129, False), ("bad id", False), ("<script>", False), ("a;b=c", False), ("mã-tiếng-việt", False),
])
def test_request_id_is_taken_when_plausible_else_given(client, given, kept):
    r = client.get("/healthz", headers={"X-Request-ID": given} if given else {})
    rid = r.headers["X-Request-ID"]
    assert rid == given if kept else REQUEST_ID.fullmatch(rid)


def test_one_json_access_line_per_request(migrated, api):
    app = api.client.application
    stream = _capture(app)
    api.client.get("/healthz", headers={"X-Request-ID": "edge-42"})
    api.as_("canbo1").get("/me", headers={"X-Request-ID": "edge-43"})
    api.client.get("/khong-co-trang-nay")
    access = [line for line in _lines(stream) if line["logger"] == "dienhinh.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "/healthz", 200), ("POST", "/api/v1/auth/token", 200), ("GET", "/api/v1/me", 200),
        ("GET", "/khong-co-trang-nay", 404)]
    first, me = access[0], access[2]
    assert first["request_id"] == "edge-42" and first["user"] is None
    assert me["request_id"] == "edge-43" and me["user"] == "canbo1"
    assert REQUEST_ID.fullmatch(access[3]["request_id"])
    for line in access:
        assert set(line) >= {"time", "level", "logger", "message", "request_id", "user", "method", "path", "status",
                             "duration_ms"}
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["time"])


def test_the_user_of_a_page_session_is_logged(migrated, client):
    stream = _capture(client.application)
    r = client.post("/login", data={"username": "vanphong", "password": DEMO_PASSWORD})
    assert r.status_code == 302
    client.get("/")
    access = [line for line in _lines(stream) if line["logger"] == "dienhinh.access"]
    assert access[-1]["path"] == "/" and access[-1]["user"] == "vanphong"


def test_application_logs_carry_the_request_id(migrated):
    app = _app(migrated)

    @app.get("/_test_log")
    def _test_log():
        logging.getLogger("dienhinh.test").warning("xin chào %s", "thế giới")
        return "ok"

    stream = _capture(app)
    app.test_client().get("/_test_log", headers={"X-Request-ID": "trace-7"})
    record = next(line for line in _lines(stream) if line["logger"] == "dienhinh.test")
    assert record == {**record, "message": "xin chào thế giới", "level": "WARNING", "request_id": "trace-7"}


def test_text_logs_when_asked(migrated):
    app = _app(migrated, LOG_FORMAT="text")
    stream = _capture(app)
    app.test_client().get("/healthz", headers={"X-Request-ID": "plain-1"})
    assert re.search(r"INFO dienhinh\.access \[plain-1\] GET /healthz 200 [\d.]+ms", stream.getvalue())


def test_log_format_setting(monkeypatch, tmp_path):
    from web import config

    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    monkeypatch.delenv("DIENHINH_ENV", raising=False)
    assert config.from_env(str(tmp_path))["LOG_FORMAT"] == "text"
    monkeypatch.setenv("DIENHINH_ENV", "production")
    assert config.from_env(str(tmp_path))["LOG_FORMAT"] == "json"
    monkeypatch.setenv("LOG_FORMAT", "TEXT")
    assert config.from_env(str(tmp_path))["LOG_FORMAT"] == "text"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        config.from_env(str(tmp_path))
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("READINESS_TIMEOUT", "abc")
    with pytest.raises(ValueError, match="READINESS_TIMEOUT"):
        config.from_env(str(tmp_path))


# ------------------------------------------------------------------------------------------------- /metrics
def _metric(body: str, name: str, **labels) -> float:
    for line in body.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', metric))
        if metric.split("{")[0] == name and all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return 0.0


REMOTE = {"REMOTE_ADDR": "203.0.113.7"}


def test_metrics_on_loopback(client):
    client.get("/healthz")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    body = r.get_data(as_text=True)
    assert _metric(body, "dienhinh_http_requests_total", endpoint="ops.healthz", method="GET", status="200") >= 1
    assert _metric(body, "dienhinh_http_request_duration_seconds_count", endpoint="ops.healthz") >= 1
    assert "dienhinh_outbox_depth" in body and "dienhinh_outbox_failed" in body
    assert _metric(body, "dienhinh_database_up") == 1


def test_request_labels_stay_bounded(client):
    client.open("/healthz", method="BREW")
    client.get("/khong-co/" + "x" * 50)
    body = client.get("/metrics").get_data(as_text=True)
    assert "BREW" not in body and "khong-co" not in body
    assert _metric(body, "dienhinh_http_requests_total", endpoint="none", method="other", status="405") >= 1
    assert _metric(body, "dienhinh_http_requests_total", endpoint="none", method="GET", status="404") >= 1


@pytest.mark.parametrize("who, status", [(None, 401), ("canbo1", 403), ("tp_pbgdpl", 403), ("admin", 200),
                                         ("thanhtra", 200)])
def test_metrics_elsewhere_need_an_admin_or_auditor_token(api, who, status):
    headers = {"Authorization": f"Bearer {api.as_(who).tokens[who]}"} if who else {}
    r = api.client.get("/metrics", headers=headers, environ_base=REMOTE)
    assert r.status_code == status
    if status == 401:
        assert r.mimetype == "application/problem+json" and "Bearer" in r.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header", ["X-Forwarded-For", "X-Real-IP", "Forwarded"])
def test_metrics_through_the_proxy_are_not_loopback(client, header):
    assert client.get("/metrics", headers={header: "203.0.113.7"}).status_code == 401


@pytest.mark.parametrize("value", ["Bearer", "Bearer " + "x" * 600, "Basic YWRtaW46YWRtaW4=", "Bearer bad\x00token",
                                   "Bearer không-hợp-lệ"])
def test_metrics_bad_tokens_are_401_never_500(client, value):
    assert client.get("/metrics", headers={"Authorization": value}, environ_base=REMOTE).status_code == 401


def test_outbox_gauges_are_read_at_scrape_time(migrated, client):
    sessions = make_session_factory(migrated)
    with sessions() as s:
        s.query(OutboxMessage).delete()
        for i, status in enumerate(["pending", "pending", "sending", "failed", "sent"]):
            s.add(OutboxMessage(to_address="a@b.test", subject="s", body="b", message_id=f"<ops-{i}@test>",
                                status=status))
        s.commit()
    body = client.get("/metrics").get_data(as_text=True)
    assert _metric(body, "dienhinh_outbox_depth") == 3
    assert _metric(body, "dienhinh_outbox_failed") == 1
    with sessions() as s:
        s.query(OutboxMessage).delete()
        s.commit()
    body = client.get("/metrics").get_data(as_text=True)
    assert _metric(body, "dienhinh_outbox_depth") == 0


def test_transitions_are_counted_when_committed_only(migrated, api):
    from models import Campaign, Nomination, Unit
    from web.ops.metrics import TRANSITIONS
    from workflow.nominations import service
    from workflow.policy import actor_for

    def count(action):
        return TRANSITIONS.labels(action=action, to_state="nurtured")._value.get()

    sessions = make_session_factory(migrated)
    with sessions() as s:
        campaign = s.query(Campaign).filter_by(kind="annual").order_by(Campaign.id).first().id
        units = [u.id for u in s.query(Unit).filter(Unit.code.in_(["PBGDPL", "HCTP"])).order_by(Unit.code)]
    made = []
    for unit, user in zip(units, ["tp_hctp", "tp_pbgdpl"], strict=True):
        r = api.as_(user).post("/nominations", json={
            "campaign_id": campaign, "subject_type": "collective", "unit_id": unit, "title": f"Đơn vị {unit}",
            "achievements": "Hoàn thành xuất sắc."})
        assert r.status_code == 201, r.get_json()
        made.append((user, r.get_json()))
    before = count("start_nurturing")
    user, n = made[0]
    r = api.as_(user).post(f"/nominations/{n['id']}/transitions", json={
        "action": "start_nurturing", "version": n["version"], "nurture_plan": "Kế hoạch bồi dưỡng."})
    assert r.status_code == 200, r.get_json()
    assert count("start_nurturing") == before + 1
    user, n = made[1]
    with sessions() as s:  # the signal is sent, then the unit of work rolls back: not a transition
        from models import User

        actor = actor_for(s, s.query(User).filter_by(username=user).one())
        service.transition(s, actor, n["id"], "start_nurturing", n["version"], nurture_plan="Kế hoạch.")
        assert s.get(Nomination, n["id"]).state == "nurtured"
        s.rollback()
        s.commit()
    assert count("start_nurturing") == before + 1
    body = api.client.get("/metrics").get_data(as_text=True)
    assert _metric(body, "dienhinh_transitions_total", action="start_nurturing", to_state="nurtured") == before + 1


def test_multiprocess_mode_adds_up_every_worker(tmp_path, migrated):
    """gunicorn workers are processes: with PROMETHEUS_MULTIPROC_DIR each writes its counts there and /metrics, in
    any of them, answers the sum."""
    if migrated.dialect.name != "sqlite":
        pytest.skip("process-level behaviour: once is enough")
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    db_url = migrated.url.render_as_string(hide_password=False)
    script = (
        "import sys\n"
        "from web import create_app\n"
        "app = create_app({'TESTING': True, 'SECRET_KEY': 'x', 'LOG_CONFIGURE': False})\n"
        "c = app.test_client()\n"
        "if sys.argv[1] == 'work':\n"
        "    for _ in range(3): assert c.get('/healthz').status_code == 200\n"
        "else:\n"
        "    print(c.get('/metrics').get_data(as_text=True))\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "DATABASE_URL": db_url, "SECRET_KEY": "x"}
    workers = [subprocess.Popen([sys.executable, "-c", script, "work"], env=env, cwd=tmp_path) for _ in range(2)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]  # side by side, as gunicorn's workers run
    out = subprocess.run([sys.executable, "-c", script, "scrape"], env=env, check=True, timeout=120, cwd=tmp_path,
                         capture_output=True, text=True).stdout
    assert _metric(out, "dienhinh_http_requests_total", endpoint="ops.healthz", method="GET", status="200") == 6
    assert "dienhinh_outbox_depth" in out

    from web.ops import gunicorn_conf

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    try:
        gunicorn_conf.on_starting(None)
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
    assert list(metrics_dir.iterdir()) == []


def _as_a_worker(tmp_path, script: str) -> str:
    """Runs `script` in a process of its own, as a worker (freezing is for the life of the process); its output."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "SECRET_KEY": "x" * 64}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_a_worker_takes_the_application_it_loaded_out_of_the_collectors_sight(tmp_path):
    """gunicorn's workers freeze the heap they hold once the application is loaded (`post_worker_init`): Python's full
    collection then walks only what requests made since, not the ~250,000 objects of the app (a full collection of
    them took 110–130 ms, set off every dozen requests of a page of a few hundred rows). Run in a process of its own,
    as a worker: freezing is for the life of the process."""
    script = (
        "import gc\n"
        "from web import create_app\n"
        "from web.ops import gunicorn_conf\n"
        "app = create_app()\n"
        "before = len(gc.get_objects())\n"
        "gunicorn_conf.post_worker_init(None)\n"
        "walked = gc.get_objects()\n"
        "assert not any(o is app.url_map or o is app.jinja_env for o in walked), 'the app is still walked'\n"
        "assert gc.get_freeze_count() >= before // 2, (gc.get_freeze_count(), before)\n"
        "print(before, len(walked))\n"
    )
    before, walked = map(int, _as_a_worker(tmp_path, script).split())
    assert walked < before // 10  # what a full collection walks, against what it walked before


def test_a_worker_freezes_once_more_what_its_first_requests_built_to_last(tmp_path):
    """After its first `WARMED_UP` requests a worker freezes what they built to last (compiled templates, kept
    menus): the heap a full collection walks stops growing back. Exactly once, at that request: objects made by
    requests after it stay in the collector's sight, so what they leave in cycles is still collected."""
    script = (
        "import gc\n"
        "from web import create_app\n"
        "from web.ops import gunicorn_conf\n"
        "app = create_app()\n"
        "gunicorn_conf.post_worker_init(None)\n"
        "first = gc.get_freeze_count()\n"
        "kept = []\n"
        "for served in range(1, 2 * gunicorn_conf.WARMED_UP + 1):\n"
        "    if served < gunicorn_conf.WARMED_UP:\n"
        "        kept.append(['built by request', served])  # a list: tracked by the collector\n"
        "    gunicorn_conf.post_request(None, None, {}, None)\n"
        "    if served == gunicorn_conf.WARMED_UP - 1:\n"
        "        assert gc.get_freeze_count() == first, 'frozen before the warm-up ended'\n"
        "    if served == gunicorn_conf.WARMED_UP:\n"
        "        warmed = gc.get_freeze_count()\n"
        "        assert warmed >= first + len(kept), (first, warmed)\n"
        "        assert not any(o is kept for o in gc.get_objects()), 'what the warm-up built is still walked'\n"
        "later = ['built after']\n"
        "assert gc.get_freeze_count() == warmed, 'frozen again after the warm-up'\n"
        "assert any(o is later for o in gc.get_objects()), 'a later request\\'s object is out of sight'\n"
        "print('ok')\n"
    )
    assert _as_a_worker(tmp_path, script).strip() == "ok"
