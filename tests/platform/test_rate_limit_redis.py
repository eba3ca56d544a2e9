"""Login limits across processes and hosts (issue 11, item 2): with RATELIMIT_STORAGE_URI=redis://… two application
processes count the same attempts (memory:// let 20 failures through two workers under a limit of 10); a Redis that
refuses or does not answer degrades to per-process limits with a logged warning, never a 500.

The shared-limit test starts two real server processes (one Flask-Limiter per process, as under gunicorn) on one
SQLite file and the Redis at REDIS_URL (default redis://127.0.0.1:6379/0), under a key prefix of its own that is
deleted afterwards. Without a Redis it is skipped, unless REQUIRE_REDIS=1."""
from __future__ import annotations

import http.client
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import DEMO_PASSWORD

from models import Base, make_engine, make_session_factory
from web.extensions import limiter
from workflow.administration import demo as demo_data

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]

SERVER = """
import sys
from werkzeug.serving import make_server
from web import create_app

app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_KEY_PREFIX": sys.argv[1]}, instance_path=sys.argv[2])
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as err:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but Redis at {REDIS_URL} does not answer: {err}")
        pytest.skip(f"Redis at {REDIS_URL} does not answer: {err}")
    return client


def seeded_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        demo_data.seed(session, DEMO_PASSWORD)
        session.commit()
    engine.dispose()
    return url


@pytest.fixture
def two_hosts(tmp_path):
    """Two server processes sharing the database and the Redis; yields their ports."""
    store = redis_client()
    prefix = f"dienhinh-test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": seeded_sqlite(tmp_path / "shared.db"), "SECRET_KEY": "shared",
           "BALLOT_KEY": "test-ballot-key", "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_LOGIN": "4 per minute",
           "RATELIMIT_LOGIN_IP": "100 per minute", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    processes, ports = [], []
    try:
        for name in ("host-a", "host-b"):
            (tmp_path / name).mkdir()
            proc = subprocess.Popen([sys.executable, "-c", SERVER, prefix, str(tmp_path / name)], env=env,
                                    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            processes.append(proc)
            port = proc.stdout.readline().strip()
            assert port.isdigit(), f"{name} did not start"
            ports.append(int(port))
        yield ports
    finally:
        for proc in processes:
            proc.terminate()
            proc.wait(10)
            proc.stdout.close()
        keys = list(store.scan_iter(match=f"*{prefix}*"))
        if keys:
            store.delete(*keys)
        store.close()


def test_redis_keeps_one_login_limit_for_two_hosts(two_hosts):
    host_a, host_b = two_hosts

    def attempt(port, password="sai-mat-khau"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("POST", "/login", urlencode({"username": "giamdoc", "password": password}),
                         {"Content-Type": "application/x-www-form-urlencoded"})
            return conn.getresponse().status
        finally:
            conn.close()

    codes = [attempt(host_a), attempt(host_b), attempt(host_a), attempt(host_b)]
    assert codes == [401, 401, 401, 401]
    # The limit (4 per minute) is reached across both hosts: each has counted only two attempts itself.
    assert attempt(host_a) == 429
    assert attempt(host_b) == 429
    assert attempt(host_b, DEMO_PASSWORD) == 429


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_app(make_app, monkeypatch):
    """An application whose rate limits are kept in the Redis at `url` (set through the environment, as in
    production); afterwards the process-wide limiter is told its storage is alive again."""
    def make(url):
        monkeypatch.setenv("RATELIMIT_STORAGE_URI", url)
        return make_app(SECRET_KEY="t", RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")

    yield make
    limiter._storage_dead = False  # the singleton outlives this app: later tests start with their own storage


def test_an_unreachable_redis_falls_back_to_per_process_limits(redis_app, caplog):
    client = redis_app(f"redis://127.0.0.1:{closed_port()}/0").test_client()
    with caplog.at_level(logging.WARNING):
        r = client.post("/login", data={"username": "giamdoc", "password": DEMO_PASSWORD})
    assert r.status_code == 302
    assert any(rec.levelno == logging.WARNING and "falling back to in-memory" in rec.getMessage()
               for rec in caplog.records), caplog.text
    codes = [client.post("/login", data={"username": "botp", "password": "sai"}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]  # still limited, in this process
    r = client.post("/api/v1/auth/token", json={"username": "admin", "password": DEMO_PASSWORD})
    assert r.status_code == 200


def test_a_redis_that_does_not_answer_costs_a_login_about_a_second(redis_app):
    """A host that accepts the connection but never answers (a hung Redis, a black-holed route): short timeouts and
    one retry without back-off, then the per-process limits."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever reads or answers
        client = redis_app(f"redis://127.0.0.1:{silent.getsockname()[1]}/0").test_client()
        started = time.monotonic()
        r = client.post("/login", data={"username": "giamdoc", "password": DEMO_PASSWORD})
        elapsed = time.monotonic() - started
    assert r.status_code == 302
    assert elapsed < 6, elapsed
