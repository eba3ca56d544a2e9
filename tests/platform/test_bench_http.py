"""bench/http_bench.py stays runnable: its command line answers, its hello-world anchor serves what it claims, and wrk's
report is read right (a misread unit would turn every figure of bench/README.md into nonsense). Fast: no server, no
database, no load."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_help_lists_the_options_other_engineers_use():
    out = subprocess.run([sys.executable, str(BENCH / "http_bench.py"), "--help"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    for option in ("--root", "--only", "--sizes", "--rounds", "--duration", "--connections", "--profile",
                   "--memory", "--regenerate", "--url"):
        assert option in out


def test_the_hello_world_anchor_answers():
    app = _load("bench_hello_app", BENCH / "hello" / "hello_app.py").app
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert response.data == b"Hello, World!"


WRK_REPORT = """Running 5s test @ http://127.0.0.1:40000/api/v1/nominations
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   109.00ms   20.10ms 250.00ms   80.00%
    Req/Sec    17.50      5.00    30.00     70.00%
  Latency Distribution
     50%  109.00ms
     75%  120.00ms
     90%  150.00ms
     99%    1.20s
  176 requests in 5.01s, 1.10MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:     35.13
Transfer/sec:    224.00KB
"""


def test_wrk_report_is_read_with_its_units():
    http_bench = _load("bench_http", BENCH / "http_bench.py")
    result = http_bench.parse_wrk(WRK_REPORT)
    assert result["rps"] == 35.13
    assert result["p50"] == 109.0
    assert result["p99"] == 1200.0  # seconds → milliseconds
    assert result["requests"] == 176
    assert result["bad"] == 4 + 3  # non-2xx and socket errors both count as failed requests
    fast = http_bench.parse_wrk(WRK_REPORT.replace("109.00ms", "850.00us"))
    assert fast["p50"] == 0.85


def test_the_page_load_is_the_browser_that_signed_in():
    """The login (`login_cookie`) and the page's load send one User-Agent: flask-login's session protection would
    otherwise mark the session not fresh on every request of the load, a new cookie each time."""
    http_bench = _load("bench_http", BENCH / "http_bench.py")
    target = http_bench.Target("html_list", "http://127.0.0.1:1", {"reader_token": "t"}, "session=x", Path("/dev/null"))
    assert target.headers == {"Cookie": "session=x", "User-Agent": http_bench.USER_AGENT}
