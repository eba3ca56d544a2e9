"""The README's "Production" section, followed as written (issue 11, "Done when"): production mode on PostgreSQL and
Redis, `init-db`, two gunicorn hosts sharing only the database and Redis, the e-mail worker and the daily jobs of the
timer; logins, limits, attachments and exports work through either host, the audit trail verifies at the end.

The hosts are two gunicorn masters on loopback ports with instance folders of their own; the mail server is aiosmtpd.
Runs on PostgreSQL only (production's database); skipped without TEST_DATABASE_URL or Redis unless required."""
from __future__ import annotations

import contextlib
import email
import email.policy
import json
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from conftest import throwaway_postgres
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from samples import image
from sqlalchemy import text
from test_rate_limit_redis import redis_client

BIN = Path(sys.prefix) / "bin"
PASSWORD = "Walk-Through-2026!"
REDIS_DB = "redis://127.0.0.1:6379/9"
SMTP = """
from aiosmtpd.controller import Controller
import sys, time


class Store:
    async def handle_DATA(self, server, session, envelope):
        with open(sys.argv[2], "ab") as fh:
            fh.write(envelope.content + b"\\n---\\n")
        return "250 OK"


Controller(Store(), hostname="127.0.0.1", port=int(sys.argv[1])).start()
time.sleep(600)
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def site(engine, tmp_path):
    """The environment of the README's Production section, with this machine's services."""
    if engine.dialect.name != "postgresql":
        pytest.skip("production runs on PostgreSQL")
    redis_client().close()  # skipped (or failed, REQUIRE_REDIS=1) without a Redis
    import redis

    client = redis.Redis.from_url(REDIS_DB)  # a database of its own, emptied before and after
    client.flushdb()
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "ballot.key").write_text(secrets.token_hex(32))
    key = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    (etc / "audit_signing_key.pem").write_bytes(key)
    for f in etc.iterdir():
        f.chmod(0o600)
    with throwaway_postgres("dienhinh_walk") as db:
        smtp_port = _port()
        env = {
            "PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "DIENHINH_ENV": "production",
            "DATABASE_URL": db.url.render_as_string(hide_password=False).replace("+psycopg", ""),
            "SECRET_KEY": secrets.token_hex(32), "BALLOT_KEY_FILE": str(etc / "ballot.key"),
            "RATELIMIT_STORAGE_URI": REDIS_DB,
            "TRUSTED_PROXIES": "1", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
            "MAIL_FROM": "thiduakhenthuong@stp.example.gov.vn", "BASE_URL": "https://dienhinh.stp.example.gov.vn",
            "AUDIT_SIGNING_KEY": str(etc / "audit_signing_key.pem"),
            "AUDIT_CHECKPOINT_DIR": str(tmp_path / "audit-checkpoints"),
        }
        processes: list[subprocess.Popen] = []
        try:
            yield {"env": env, "db": db, "tmp": tmp_path, "smtp_port": smtp_port, "processes": processes}
        finally:
            for p in processes:
                p.terminate()
            for p in processes:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=5)
                for stream in (p.stdout, p.stderr):
                    if stream is not None:
                        stream.close()
            client.flushdb()
            client.close()


def _run(site, *args, cwd=None) -> subprocess.CompletedProcess:
    r = subprocess.run([str(BIN / "dienhinh"), *args], env=site["env"], cwd=cwd or site["tmp"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, (args, r.stdout[-500:], r.stderr[-1500:])
    return r


def _start(site, argv, *, cwd, env=None, log=None) -> subprocess.Popen:
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    p = subprocess.Popen(argv, env={**site["env"], **(env or {})}, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    if log:
        p.stdout = out
    site["processes"].append(p)
    return p


def _wait_http(url: str, process: subprocess.Popen, log: Path) -> None:
    for _ in range(150):
        assert process.poll() is None, log.read_text(errors="replace")[-2000:]
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer: {log.read_text(errors='replace')[-2000:]}")


def _call(base, method, path, token=None, body=None, data=None, headers=None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    if body is not None:
        data, h["Content-Type"] = json.dumps(body).encode(), "application/json"
    req = urllib.request.Request(base + path, method=method, data=data, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _token(base, username, password=PASSWORD) -> str:
    status, body = _call(base, "POST", "/api/v1/auth/token", body={"username": username, "password": password})
    assert status == 200, body
    return json.loads(body)["token"]


def test_the_production_section_runs_two_hosts_a_worker_and_the_timer(site):
    tmp = site["tmp"]
    _run(site, "init-db")
    _run(site, "seed-demo", "--password", PASSWORD)
    mail = tmp / "mail.txt"
    smtp = _start(site, [sys.executable, "-c", SMTP, str(site["smtp_port"]), str(mail)], cwd=tmp,
                  log=tmp / "smtp.log")
    hosts = []
    for name in ("a", "b"):
        home = tmp / f"host-{name}"
        (home / "metrics").mkdir(parents=True)
        port = _port()
        log = home / "gunicorn.log"
        p = _start(site, [str(BIN / "gunicorn"), "-c", "python:web.ops.gunicorn_conf", "-w", "2", "-b",
                          f"127.0.0.1:{port}", "--control-socket", str(home / "gunicorn.ctl"), "web.wsgi:app"],
                   cwd=home, env={"PROMETHEUS_MULTIPROC_DIR": str(home / "metrics")}, log=log)
        hosts.append((f"http://127.0.0.1:{port}", p, log))
    for base, p, log in hosts:
        _wait_http(base + "/readyz", p, log)
    worker = _start(site, [str(BIN / "dienhinh"), "notifications", "deliver", "--interval", "1"], cwd=tmp,
                    log=tmp / "worker.log")
    (a, _, _), (b, _, _) = hosts

    # A page login on one host; the same session on the other.
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(a + "/login", timeout=30).read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = opener.open(urllib.request.Request(a + "/login", data=urllib.parse.urlencode(
        {"csrf_token": csrf, "username": "giamdoc", "password": PASSWORD}).encode()), timeout=30)
    assert "/login" not in r.geturl()
    assert "/login" not in opener.open(b + "/nominations", timeout=30).geturl()

    # An attachment uploaded through A is served by B; exports through either host.
    head, office = _token(a, "tp_pbgdpl"), _token(b, "vanphong")
    campaigns = json.loads(_call(b, "GET", "/api/v1/campaigns", head)[1])["items"]
    units = json.loads(_call(b, "GET", "/api/v1/units?per_page=100", head)[1])["items"]
    status, body = _call(a, "POST", "/api/v1/nominations", head, body={
        "campaign_id": next(c["id"] for c in campaigns if c["kind"] == "annual"), "subject_type": "collective",
        "unit_id": next(u["id"] for u in units if u["code"] == "PBGDPL"),
        "title": "Phòng Phổ biến, giáo dục pháp luật"})
    assert status == 201, body
    nid = json.loads(body)["id"]
    png, boundary = image("PNG", 8, 8, (200, 30, 30)), "walk-boundary"
    upload = (f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n--{boundary}\r\n'
              f'Content-Disposition: form-data; name="file"; filename="anh.png"\r\nContent-Type: image/png\r\n\r\n'
              ).encode() + png + f"\r\n--{boundary}--\r\n".encode()
    status, body = _call(a, "POST", f"/api/v1/nominations/{nid}/attachments", head, data=upload,
                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 201, body
    attachment = json.loads(body)
    status, served = _call(b, "GET", f"/api/v1/nominations/{nid}/attachments/{attachment['id']}", head)
    assert status == 200 and len(served) == attachment["size"] and served[:8] == b"\x89PNG\r\n\x1a\n"
    for base in (a, b):
        status, sheet = _call(base, "GET", "/api/v1/exports/nominations.xlsx", office)
        assert status == 200 and sheet[:2] == b"PK"

    # The login limit (10 a minute per address and username) is counted once for both hosts, in Redis.
    codes = [_call(a if i % 2 else b, "POST", "/api/v1/auth/token",
                   body={"username": "canbo1", "password": "sai-mat-khau"})[0] for i in range(12)]
    assert codes == [401] * 10 + [429, 429]

    # Behind the proxy (TRUSTED_PROXIES=1) the audited address is the client's.
    _call(a, "POST", "/api/v1/auth/token", body={"username": "thanhtra", "password": "sai"},
          headers={"X-Forwarded-For": "10.20.30.40"})
    with site["db"].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events WHERE action = 'auth.login_failed' "
                                 "AND ip = '10.20.30.40'")).scalar() == 1

    # Something that e-mails (a council session scheduled: its members are told) reaches the mail server through
    # the worker, with absolute links and the sender's domain in the Message-ID.
    status, body = _call(b, "POST", "/api/v1/council-sessions", office, body={
        "title": "Phiên bình xét", "date": "2026-12-20", "campaign_id": campaigns[0]["id"]})
    assert status == 201, body
    for _ in range(200):
        if mail.exists() and mail.read_bytes().count(b"\n---\n") >= 1:
            break
        assert worker.poll() is None and smtp.poll() is None
        time.sleep(0.5)
    sent = _readable(mail.read_text(errors="replace"))
    assert "https://dienhinh.stp.example.gov.vn/" in sent and "@stp.example.gov.vn>" in sent

    # The timer's daily jobs, then the whole trail verifies against its fresh checkpoints.
    _run(site, "reminders", "send")
    _run(site, "audit", "checkpoint")
    _run(site, "ballots", "purge")
    assert any((tmp / "audit-checkpoints").iterdir())
    verified = _run(site, "audit", "verify")
    assert "toàn vẹn" in (verified.stdout + verified.stderr)
    with contextlib.suppress(Exception):
        site["db"].dispose()


def _readable(sent: str) -> str:
    """The mail file's messages with their bodies decoded: Python's e-mail package writes a UTF-8 body in base64 or
    quoted-printable, whichever is shorter for that text, so which of the messages the worker delivered first decides
    whether a link can be read in the raw file (the test failed when a base64 message came first)."""
    parts = []
    for raw in sent.split("\n---\n"):
        if raw.strip():
            message = email.message_from_string(raw, policy=email.policy.default)
            body = message.get_body(("plain", "html"))
            parts.append(str(message) + "\n" + (body.get_content() if body is not None else ""))
    return "\n".join(parts)
