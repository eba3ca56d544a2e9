"""Optional error reporting (SENTRY_DSN): an unhandled exception reaches the configured server as an event naming
the exception and the request id, and nothing personal leaves the host (no cookie, no request body, no user)."""
from __future__ import annotations

import gzip
import http.server
import json
import threading
import zlib

import pytest
import sentry_sdk


class _Collector(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):  # noqa: N802 - the handler's protocol
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            pytest.fail("the collector does not speak brotli")
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def collector():
    _Collector.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        sentry_sdk.init()  # a client without a DSN: nothing is sent by the tests that follow


def _app(make_app, **config):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False, SECRET_KEY="sentry", **config)

    @app.route("/__boom", methods=["GET", "POST"])
    def boom():
        raise RuntimeError("hỏng có chủ ý")

    return app


def test_an_unhandled_exception_is_reported_without_personal_data(make_app, collector):
    port = collector.server_address[1]
    app = _app(make_app, SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1")
    client = app.test_client()
    client.set_cookie("session", "cookie-bi-mat")
    r = client.post("/__boom", data={"password": "mat-khau-bi-mat", "ballot": "agree"},
                    headers={"X-Request-ID": "req-sentry-42", "Authorization": "Bearer token-bi-mat"})
    assert r.status_code == 500
    sentry_sdk.flush(timeout=5)
    raw = b"\n".join(_Collector.received)
    # An envelope is JSON lines; its strings may be \u-escaped: read them back as text.
    sent = "\n".join(json.dumps(json.loads(line), ensure_ascii=False) for line in raw.splitlines()
                     if line.strip().startswith(b"{"))
    assert "RuntimeError" in sent and "hỏng có chủ ý" in sent
    assert "req-sentry-42" in sent
    for secret in ("cookie-bi-mat", "mat-khau-bi-mat", "token-bi-mat", "agree"):
        assert secret not in sent and secret.encode() not in raw


def test_without_a_dsn_nothing_is_sent(make_app, collector):
    app = _app(make_app)
    r = app.test_client().get("/__boom")
    assert r.status_code == 500
    sentry_sdk.flush(timeout=1)
    assert _Collector.received == []
