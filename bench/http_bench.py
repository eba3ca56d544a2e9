#!/usr/bin/env python3
"""HTTP benchmark: the project under gunicorn against Flask's hello world served the same way, side by side.

    python bench/http_bench.py                                # demo size and 100k/1M, PostgreSQL, 3 interleaved rounds
    python bench/http_bench.py --sizes demo --duration 3      # quick (the demo database is built in ~20 s)
    python bench/http_bench.py --root /work/wt-X --only api_list,transition  # another checkout, with its own .venv
    python bench/http_bench.py --profile --sizes demo         # where a request's time goes (pyinstrument, SQL counts)
    python bench/http_bench.py --memory                       # a worker's RSS after 1,000 and 10,000 requests at 100k

For each size it prepares a PostgreSQL database (kept as a template and reused while its marker matches: the 100k
nominations / 1M audit events of bench/run.py's `generate()` take minutes; `--regenerate` rebuilds it), copies it to
a working database, upgrades it with the served checkout's migrations, then starts on loopback
  - gunicorn with the project as production runs it (`-c python:web.ops.gunicorn_conf web.wsgi:app`,
    DIENHINH_ENV=production, Prometheus multiprocess directory, JSON access log to a file), and
  - gunicorn with bench/hello_app.py (same worker class and count),
and runs `wrk` (Python's own client when wrk is absent) for --duration seconds per request kind, hello world first in
every round, the kinds interleaved, over --rounds rounds. It prints req/s, p50 and p99 (medians over rounds) and the
ratio to the hello world of the same round with its spread (min–max over rounds); then, where /proc is there, the CPU
each request cost the served workers, PostgreSQL and the machine (`CpuMeter`).

Request kinds (names for --only): api_list `GET /api/v1/nominations` (bearer token of a secretariat),
api_detail `GET /api/v1/nominations/{id}`, html_list `GET /nominations` (session cookie of the same secretariat,
logged in through /login), transition `POST /api/v1/nominations/{id}/transitions` (start_nurturing, every request
on a distinct registered nomination of a pool reset before each round), and raw_transition, the same requests to
bench/hello/raw_transition_app.py: the transition's statements from a minimal Flask view on psycopg (its own working
copy of the database), the floor any implementation of them can reach. See bench/README.md.

Orchestration uses the standard library only; the database work runs in the served checkout's .venv
(`bench/http_bench.py _prepare ...`), so the schema and the code are the ones being measured.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

import argparse  # noqa: E402
import http.client  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from http.cookiejar import CookieJar  # noqa: E402

KINDS = ("api_list", "api_detail", "html_list", "transition", "raw_transition")
TRANSITIONS = ("transition", "raw_transition")  # posted from the pool file, which is reset before each round
SIZES = ("demo", "100k")
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/dienhinh_bench_http"
PASSWORD = "demo1234"  # the demo's password; the 100k dataset's readers get it too
SECRET_KEY = "b" * 64
BALLOT_KEY = "c" * 64
# Bumped when the data a size holds changes, so a cached template built by an older version is rebuilt.
DATA_VERSION = 1
DEMO_NOMINATIONS = 300
DEMO_EXTRA_PEOPLE = 8  # per unit of the demo department (the demo has 2–4 per unit: too few subjects for 300)
DEMO_POOL = 12_000  # registered nominations of the second demo department for the transition benchmark
BIG = dict(nominations=100_000, audit_events=1_000_000, departments=20, units=12, people=40, seed=20240501)


# ================================================================================================= orchestration
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn master on loopback, its output to a log file; stopped with SIGTERM (graceful: workers exit)."""

    def __init__(self, name: str, argv: list[str], env: dict, cwd: str, log: Path, probe: str):
        self.name, self.port = name, free_port()
        self.log = log
        self.fh = open(log, "ab")
        self.proc = subprocess.Popen(argv + ["-b", f"127.0.0.1:{self.port}"], env=env, cwd=cwd, stdout=self.fh,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{name}: gunicorn exited with {self.proc.returncode}; see {log}:\n"
                                 f"{log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{probe}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"{name}: no answer on {probe} within 60 s; see {log}")
            time.sleep(0.2)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        try:
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True)
            return [int(p) for p in out.stdout.split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.fh.close()


def app_env(root: Path, url: str, tmp: Path, port_hint: str = "http://127.0.0.1") -> dict:
    """The environment of production (deploy/env.example, the systemd unit) with the benchmark's own secrets."""
    key = tmp / "audit_signing_key.pem"
    if not key.exists():
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key)], check=True,
                       capture_output=True)
    metrics = tmp / "metrics"
    metrics.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIENHINH", "DATABASE_URL", "BENCH_"))}
    env.update(DIENHINH_ENV="production", DATABASE_URL=url, SECRET_KEY=SECRET_KEY, BALLOT_KEY=BALLOT_KEY,
               AUDIT_SIGNING_KEY=str(key), AUDIT_CHECKPOINT_DIR=str(tmp / "checkpoints"), BASE_URL=port_hint,
               PROMETHEUS_MULTIPROC_DIR=str(metrics), TRUSTED_PROXIES="1",
               # Limits apply to login only; memory:// keeps the benchmark's logins out of the shared Redis.
               RATELIMIT_STORAGE_URI="memory://", PYTHONPATH=str(root))
    return env


def start_app(root: Path, url: str, tmp: Path, workers: int, *, profile_out: str | None = None,
              pyinstrument: bool = True) -> Server:
    env = app_env(root, url, tmp)
    config = "python:web.ops.gunicorn_conf"
    if profile_out:
        config = str(HERE / "gunicorn_profile.py")
        env.update(BENCH_PROFILE_OUT=profile_out, BENCH_PYINSTRUMENT="1" if pyinstrument else "0")
    argv = [str(root / ".venv/bin/gunicorn"), "-c", config, "-w", str(workers), "--chdir", str(root),
            "web.wsgi:app"]
    return Server("app", argv, env, str(root), tmp / "app.log", "/healthz")


def start_hello(root: Path, tmp: Path, workers: int, *, profile_out: str | None = None,
                pyinstrument: bool = True) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    argv = [str(root / ".venv/bin/gunicorn"), "-w", str(workers), "--chdir", str(HERE / "hello"), "hello_app:app"]
    if profile_out:
        # The same profiling hooks, without the project's settings check (hello world has no settings).
        argv[1:1] = ["-c", str(HERE / "gunicorn_profile.py")]
        env.update(app_env(root, "sqlite://", tmp), BENCH_PROFILE_OUT=profile_out,
                   BENCH_PYINSTRUMENT="1" if pyinstrument else "0")
    return Server("hello", argv, env, str(HERE / "hello"), tmp / "hello.log", "/")


RAW_CHECKOUT = "raw_floor"  # the working copy of the raw floor's server (NAME_SIZE_raw_floor)


def start_raw(root: Path, url: str, tmp: Path, workers: int) -> Server:
    """bench/hello/raw_transition_app.py under gunicorn (same worker class and count), on its own working copy: the
    served checkout's statements (PYTHONPATH) run from a minimal view, without the application around them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "DIENHINH", "DATABASE_URL"))}
    env.update(RAW_URL=url.replace("postgresql+psycopg://", "postgresql://", 1), PYTHONPATH=str(root))
    argv = [str(root / ".venv/bin/gunicorn"), "-w", str(workers), "--chdir", str(HERE / "hello"),
            "raw_transition_app:app"]
    return Server("raw", argv, env, str(HERE / "hello"), tmp / "raw.log", "/ping")


def run_in_root(root: Path, *args: str, env: dict | None = None) -> dict:
    """Runs a data step of this script in the served checkout's .venv; returns its last line as JSON."""
    e = {k: v for k, v in os.environ.items() if not k.startswith(("DIENHINH", "DATABASE_URL"))}
    e.update(PYTHONPATH=str(root), **(env or {}))
    proc = subprocess.run([str(root / ".venv/bin/python"), str(Path(__file__).resolve()), *args], cwd=str(root),
                          env=e, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"data step {args[0]} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------ clients
# The browser the page's load claims to be, at its login and on every request after it.
USER_AGENT = "dienhinh-bench-http"


def login_cookie(base: str, username: str, password: str) -> str:
    """A real login through the login form (CSRF token included), then the page it redirects to, as a browser does;
    returns the Cookie header the browser then sends. Both matter for a page that sets no cookie, as a browser's
    pages do once signed in:
    - the login leaves its greeting in the session (a flashed message), which the next page shows and removes: a
      cookie taken before that page made every request of the load show the greeting and set a new cookie;
    - flask-login keeps a digest of the client's address and User-Agent in the session at login, and marks the session
      not fresh (a change: a new cookie) on a request that shows another User-Agent (wrk sends none, urllib its own):
      the login and the load send the same one, `USER_AGENT`."""
    jar = CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(f"{base}/login").read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    data = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": csrf.group(1) if csrf else ""}).encode()
    try:
        opener.open(f"{base}/login", data=data)
        raise SystemExit(f"login of {username} failed: not redirected")
    except urllib.error.HTTPError as exc:
        if exc.code not in (302, 303):
            raise SystemExit(f"login of {username} failed: HTTP {exc.code}") from None
        target = urllib.parse.urljoin(f"{base}/login", exc.headers["Location"])
    opener.open(target).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def check(base: str, path: str, headers: dict, method: str = "GET", body: bytes | None = None) -> None:
    req = urllib.request.Request(base + path, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            if r.status != 200:
                raise SystemExit(f"{method} {path}: HTTP {r.status}")
            if "/login" in r.url:
                raise SystemExit(f"{method} {path}: sent to the login page (the session cookie was refused)")
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{method} {path}: HTTP {exc.code} {exc.read()[:500]!r}") from None


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def run_wrk(url: str, duration: float, connections: int, threads: int, headers: dict, script: Path | None = None,
            script_args: list[str] | None = None) -> dict:
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s", "--latency", "--timeout", "10s"]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    if script:
        argv += ["-s", str(script)]
    argv.append(url)
    if script_args:
        argv += ["--", *script_args]
    return parse_wrk(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)


def parse_wrk(out: str) -> dict:
    """req/s, p50 and p99 in ms (`--latency`), requests, and the failed ones (non-2xx/3xx and socket errors)."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: _ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50": lat.get("50", float("nan")), "p99": lat.get("99", float("nan")), "requests": total,
            "bad": (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)}


def run_python_client(base: str, duration: float, connections: int, requests_fn) -> dict:
    """The fallback when wrk is absent: `connections` threads, each on one keep-alive connection, for `duration`
    seconds. requests_fn(thread_no, i) -> (method, path, headers, body)."""
    host, port = base.split("//")[1].split(":")
    latencies: list[float] = []
    bad = [0]
    stop = time.monotonic() + duration
    lock = threading.Lock()

    def worker(no):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        mine, i = [], 0
        while time.monotonic() < stop:
            method, path, headers, body = requests_fn(no, i)
            i += 1
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            mine.append((time.perf_counter() - t0) * 1000)
            if r.status >= 400:
                with lock:
                    bad[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - t0
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")
    return {"rps": len(latencies) / elapsed, "p50": pct(0.5), "p99": pct(0.99), "requests": len(latencies),
            "bad": bad[0]}


# ------------------------------------------------------------------------------------------------ CPU per request
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) a process has used, from /proc; 0.0 for a process that is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def postgres_pids(database: str | None = None) -> list[int]:
    """Every process of a PostgreSQL server on this machine (backends, WAL writer, checkpointer…): what the
    server spends on a request is spread over them. With `database`, only the backends serving it (a backend's
    title: "postgres: USER DATABASE HOST(PORT) STATE")."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                title = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        if title.startswith("postgres") and (database is None or f" {database} " in title + " "):
            found.append(int(pid))
    return found


def machine_cpu() -> tuple[float, float]:
    """(all, idle) CPU seconds of the machine since boot, every core (/proc/stat's first line; idle with iowait)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return sum(values) / _TICK, (values[3] + values[4]) / _TICK


class CpuMeter:
    """The CPU a round of load costs per request: the served processes' (gunicorn's workers), PostgreSQL's (every
    process of a server on this machine) and the machine's busy time on all its cores, with the share it sat idle.
    The throughput of a 2-core machine follows the busy CPU a request costs (bench/README.md, "Thirteenth
    increment"): this says which process a change moved it in. None where /proc is not there."""

    def __init__(self, server_pids: list[int]):
        self.server_pids = list(server_pids)
        self.pg_before = {pid: process_cpu(pid) for pid in postgres_pids()}
        self.server_before = sum(process_cpu(pid) for pid in self.server_pids)
        self.machine_before = machine_cpu()

    @classmethod
    def start(cls, server_pids: list[int]) -> CpuMeter | None:
        return cls(server_pids) if Path("/proc/stat").exists() else None

    def stop(self, requests: int) -> dict:
        total, idle = machine_cpu()
        server = sum(process_cpu(pid) for pid in self.server_pids) - self.server_before
        pg = sum(process_cpu(pid) - self.pg_before.get(pid, 0.0) for pid in postgres_pids())
        spent, idle_spent = total - self.machine_before[0], idle - self.machine_before[1]
        per = 1000 / max(requests, 1)
        return {"server_ms": server * per, "postgres_ms": max(pg, 0.0) * per,
                "busy_ms": (spent - idle_spent) * per, "idle": idle_spent / spent if spent > 0 else float("nan")}


class Target:
    """What the load generator sends for one request kind."""

    def __init__(self, kind: str, base: str, prep: dict, cookie: str, pool_file: Path):
        self.kind, self.base, self.prep, self.pool_file = kind, base, prep, pool_file
        token = prep["reader_token"]
        self.headers: dict = {}
        if kind == "api_list":
            self.path, self.headers = "/api/v1/nominations", {"Authorization": f"Bearer {token}"}
        elif kind == "api_detail":
            self.path = f"/api/v1/nominations/{prep['detail_id']}"
            self.headers = {"Authorization": f"Bearer {token}"}
        elif kind == "html_list":
            self.path, self.headers = "/nominations", {"Cookie": cookie, "User-Agent": USER_AGENT}
        elif kind in TRANSITIONS:
            self.path = "/api/v1/nominations/{id}/transitions"
        else:
            self.path = "/"

    def load(self, duration, connections, threads, use_wrk: bool) -> dict:
        if use_wrk:
            if self.kind in TRANSITIONS:
                return run_wrk(self.base + "/", duration, connections, threads, {}, HERE / "transitions.lua",
                               [str(self.pool_file), str(threads)])
            return run_wrk(self.base + self.path, duration, connections, threads, self.headers)
        if self.kind in TRANSITIONS:
            rows = [line.split() for line in self.pool_file.read_text().splitlines() if line.strip()]
            slices = [rows[n::connections] for n in range(connections)]

            def fn(no, i):
                nid, version, token = slices[no][i % len(slices[no])]
                body = json.dumps({"action": "start_nurturing", "version": int(version),
                                   "nurture_plan": "Kế hoạch bồi dưỡng điển hình (benchmark)"}).encode()
                return ("POST", f"/api/v1/nominations/{nid}/transitions",
                        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}, body)
        else:
            def fn(no, i):
                return "GET", self.path, self.headers, None
        return run_python_client(self.base, duration, connections, fn)


# ------------------------------------------------------------------------------------------------ the runs
def prepare(args, size: str, checkout: str | None = None) -> dict:
    print(f"[{size}] preparing the database (cached template, working copy, migrations of {args.root}) ...",
          flush=True)
    t0 = time.monotonic()
    prep = run_in_root(args.root, "_prepare", size, args.url, "--regenerate" if args.regenerate else "--cached",
                       str(args.pool), checkout or re.sub(r"\W+", "_", args.root.name.lower()))
    print(f"[{size}] ready in {time.monotonic() - t0:.0f} s: {prep['summary']}", flush=True)
    return prep


def reset_pool(args, prep: dict, pool_file: Path) -> int:
    out = run_in_root(args.root, "_reset_pool", prep["url"], str(pool_file))
    return out["pool"]


def warm(target: Target, args, use_wrk: bool):
    target.load(1, args.connections, args.threads, use_wrk)


def measure_size(args, size: str, tmp: Path, use_wrk: bool) -> dict:
    prep = prepare(args, size)
    raw_prep = prepare(args, size, RAW_CHECKOUT) if "raw_transition" in args.only else None
    pool_file = tmp / f"pool-{size}.txt"
    pools = {"transition": (prep, pool_file), "raw_transition": (raw_prep, tmp / f"pool-{size}-raw.txt")}
    app = start_app(args.root, prep["url"], tmp, args.workers)
    hello = start_hello(args.root, tmp, args.workers)
    raw = start_raw(args.root, raw_prep["url"], tmp, args.workers) if raw_prep else None
    try:
        cookie = login_cookie(app.base, prep["reader"], PASSWORD)
        targets = {"hello": Target("hello", hello.base, prep, cookie, pool_file)}
        for kind in args.only:
            kind_prep, kind_pool = pools.get(kind, pools["transition"])
            base = raw.base if kind == "raw_transition" else app.base
            targets[kind] = Target(kind, base, kind_prep, cookie, kind_pool)
            if kind not in TRANSITIONS:
                check(app.base, targets[kind].path, targets[kind].headers)
        kinds = ["hello", *args.only]
        results: dict[str, list[dict]] = {k: [] for k in kinds}
        # Warm-up: first requests load templates, fill caches, open the pools' connections.
        for kind in kinds:
            if kind not in TRANSITIONS:
                warm(targets[kind], args, use_wrk)
        for r in range(args.rounds):
            for kind in kinds:
                if kind in TRANSITIONS:
                    n = reset_pool(args, *pools[kind])
                    if r == 0:
                        print(f"[{size}] {kind} pool: {n} registered nominations (reset before each round)",
                              flush=True)
                served = {"hello": hello, "raw_transition": raw}.get(kind, app)
                meter = CpuMeter.start(served.workers())
                res = targets[kind].load(args.duration, args.connections, args.threads, use_wrk)
                if meter is not None:
                    res["cpu"] = meter.stop(res["requests"])
                results[kind].append(res)
                print(f"[{size}] round {r + 1} {kind:<11} {res['rps']:9.1f} req/s  p50 {res['p50']:7.2f} ms  "
                      f"p99 {res['p99']:7.2f} ms" + (f"  ({res['bad']} non-2xx!)" if res["bad"] else ""),
                      flush=True)
        return {"size": size, "summary": prep["summary"], "results": results}
    finally:
        app.stop()
        hello.stop()
        if raw is not None:
            raw.stop()


LABELS = {"hello": "hello world", "api_list": "`GET /api/v1/nominations`",
          "api_detail": "`GET /api/v1/nominations/{id}`", "html_list": "`GET /nominations` page",
          "transition": "`POST …/transitions`", "raw_transition": "the same, raw SQL floor (psycopg, no app)"}


def table(all_results: list[dict], args, tool: str) -> str:
    lines = [f"gunicorn -w {args.workers} (sync), {tool} -t {args.threads} -c {args.connections} "
             f"-d {args.duration}s, {args.rounds} rounds interleaved, medians; ratio = req/s ÷ hello world's req/s "
             f"of the same round (min–max over rounds)", "",
             "| request | size | req/s | p50 ms | p99 ms | ratio to hello world | spread |",
             "|---|---|---|---|---|---|---|"]
    for block in all_results:
        res = block["results"]
        hello = [x["rps"] for x in res["hello"]]
        for kind, runs in res.items():
            rps = statistics.median(x["rps"] for x in runs)
            ratios = [x["rps"] / h for x, h in zip(runs, hello, strict=True)]
            bad = sum(x["bad"] for x in runs)
            lines.append(f"| {LABELS[kind]} | {block['size']} | {rps:,.0f} | "
                         f"{statistics.median(x['p50'] for x in runs):.2f} | "
                         f"{statistics.median(x['p99'] for x in runs):.2f} | {statistics.median(ratios):.3f} | "
                         f"{min(ratios):.3f}–{max(ratios):.3f} |" + (f" ⚠ {bad} non-2xx" if bad else ""))
    lines += cpu_table(all_results)
    return "\n".join(lines)


def cpu_table(all_results: list[dict]) -> list[str]:
    """The CPU per request of each kind (CpuMeter), medians over rounds; nothing where it was not measured."""
    rows = []
    for block in all_results:
        for kind, runs in block["results"].items():
            cpu = [x["cpu"] for x in runs if "cpu" in x]
            if not cpu:
                continue
            med = {k: statistics.median(c[k] for c in cpu) for k in ("server_ms", "postgres_ms", "busy_ms", "idle")}
            rows.append(f"| {LABELS[kind]} | {block['size']} | {med['server_ms']:.2f} | {med['postgres_ms']:.2f} | "
                        f"{med['busy_ms']:.2f} | {100 * med['idle']:.0f}% |")
    if not rows:
        return []
    return ["", "CPU per request (/proc, medians over rounds): the served gunicorn's workers, every PostgreSQL process "
            "of this machine, the machine's busy time on all cores, and the share it sat idle during the round", "",
            "| request | size | workers ms | PostgreSQL ms | machine busy ms | idle |", "|---|---|---|---|---|---|",
            *rows]


# ------------------------------------------------------------------------------------------------ profile
def profile_size(args, size: str, tmp: Path, use_wrk: bool) -> list[dict]:
    prep = prepare(args, size)
    pool_file = tmp / f"pool-{size}.txt"
    reports = []
    cookie = None
    for kind in ["hello", *(k for k in args.only if k != "raw_transition")]:  # the project's requests
        for pyinstr in (False, True):  # first without the sampler (clean CPU and SQL figures), then with it
            out = str(tmp / f"profile-{size}-{kind}-{'py' if pyinstr else 'plain'}")
            if kind == "hello":
                server = start_hello(args.root, tmp, 1, profile_out=out, pyinstrument=pyinstr)
            else:
                server = start_app(args.root, prep["url"], tmp, 1, profile_out=out, pyinstrument=pyinstr)
            try:
                if kind != "hello" and cookie is None:
                    cookie = login_cookie(server.base, prep["reader"], PASSWORD)
                if kind == "transition":
                    reset_pool(args, prep, pool_file)
                target = Target(kind, server.base, prep, cookie or "", pool_file)
                target.load(args.duration, 1, 1, use_wrk)
            finally:
                server.stop()
            data = json.loads(Path(out + ".json").read_text())
            data.update(size=size, kind=kind, pyinstrument=pyinstr, html=out + ".html" if pyinstr else None)
            print(f"[{size}] profiled {kind:<11} {'pyinstrument' if pyinstr else 'plain':<12} {data['requests']:6} "
                  f"requests, {data['cpu_ms_per_request']:.2f} ms CPU, {data['statements_per_request']:.1f} "
                  f"statements per request", flush=True)
            reports.append(data)
    return reports


def print_profiles(reports: list[dict]) -> str:
    lines = []
    plain = {(r["size"], r["kind"]): r for r in reports if not r["pyinstrument"]}
    lines.append("| request | size | CPU ms/request | wall ms/request | SQL statements/request | SQL ms/request | "
                 "checkouts, BEGIN, COMMIT, ROLLBACK per request |")
    lines.append("|---|---|---|---|---|---|---|")
    for (size, kind), r in plain.items():
        extra = r.get("per_request", {})
        lines.append(f"| {LABELS[kind]} | {size} | {r['cpu_ms_per_request']:.2f} | {r['wall_ms_per_request']:.2f} | "
                     f"{r['statements_per_request']:.1f} {r['statements_histogram']} | {r['sql_ms_per_request']:.2f} | "
                     + ", ".join(f"{extra.get(k, 0):.1f}" for k in ("checkout", "begin", "commit", "rollback"))
                     + " |")
    for r in reports:
        if not r["pyinstrument"] or "top_ours_inclusive" not in r:
            continue
        lines.append(f"\n### {LABELS[r['kind']]} ({r['size']}): {r['requests']} requests profiled, "
                     f"{r['profiled_seconds']:.1f} s in handle_request; {r['html']}")
        lines.append("Own time (self), top 15:")
        lines += [f"  {pct:5.1f}%  {name}" for name, pct in r["top_own"][:15]]
        lines.append("Our functions, time including callees, top 20:")
        lines += [f"  {pct:5.1f}%  {name}" for name, pct in r["top_ours_inclusive"][:20]]
        plain_r = plain.get((r["size"], r["kind"]))
        if plain_r and plain_r.get("sample_statements"):
            lines.append(f"Statements of one request ({len(plain_r['sample_statements'])}):")
            lines += [f"  {s[:160]}" for s in plain_r["sample_statements"]]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ memory
def memory(args, tmp: Path) -> str:
    """RSS of one worker after 1,000 and after 10,000 requests (the four kinds in turn) at the largest size."""
    size = "100k" if "100k" in args.sizes else args.sizes[-1]
    prep = prepare(args, size)
    pool_file = tmp / f"pool-{size}.txt"
    reset_pool(args, prep, pool_file)
    app = start_app(args.root, prep["url"], tmp, 1)
    try:
        cookie = login_cookie(app.base, prep["reader"], PASSWORD)
        (worker,) = app.workers()
        pool = [line.split() for line in pool_file.read_text().splitlines() if line.strip()]
        kinds = [k for k in args.only if k != "raw_transition"]  # the project's requests
        targets = [Target(k, app.base, prep, cookie, pool_file) for k in kinds]
        conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=60)
        marks, rss, bad = (1_000, 10_000), {}, 0
        for i in range(1, marks[-1] + 1):
            t = targets[i % len(targets)]
            if t.kind == "transition":
                nid, version, token = pool[(i // len(targets)) % len(pool)]
                body = json.dumps({"action": "start_nurturing", "version": int(version),
                                   "nurture_plan": "Kế hoạch bồi dưỡng (benchmark)"}).encode()
                conn.request("POST", f"/api/v1/nominations/{nid}/transitions", body=body,
                             headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            else:
                conn.request("GET", t.path, headers=t.headers)
            r = conn.getresponse()
            r.read()
            bad += r.status >= 400
            if i in marks:
                rss[i] = vm_rss_kb(worker)
                print(f"[memory] after {i:,} requests: worker {worker} VmRSS {rss[i] / 1024:.1f} MiB", flush=True)
        growth = 100 * (rss[marks[1]] - rss[marks[0]]) / rss[marks[0]]
        return (f"memory at {size}: one worker (-w 1), {', '.join(kinds)} in turn; VmRSS after 1,000 requests "
                f"{rss[marks[0]] / 1024:.1f} MiB, after 10,000 {rss[marks[1]] / 1024:.1f} MiB: growth {growth:+.1f}% "
                f"({'within' if growth <= 10 else 'BEYOND'} the 10% limit); {bad} error responses")
    finally:
        app.stop()


def vm_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


# ================================================================================================= data steps
# These run in the served checkout's .venv (run_in_root): they import the project.
def _admin(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    u = make_url(url).set(drivername="postgresql+psycopg", database="postgres")
    return create_engine(u, isolation_level="AUTOCOMMIT")


def _db_url(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        path = Path(u.database)
        suffix = path.suffix or ".db"
        return f"sqlite:///{path.with_name(f'{path.stem}_{name}{suffix}')}"
    return u.set(drivername="postgresql+psycopg", database=f"{u.database}_{name}").render_as_string(
        hide_password=False)


def _drop(admin, url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        Path(u.database).unlink(missing_ok=True)
        return
    with admin.connect() as c:
        c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                  {"d": u.database})
        c.execute(text(f'DROP DATABASE IF EXISTS "{u.database}"'))


def _copy(admin, source: str, target: str) -> None:
    """The working copy of a template. PostgreSQL refuses to copy a database someone is connected to: another
    engineer's run copying or checking the same shared template at that moment, so it is retried for a while."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    s, t = make_url(source), make_url(target)
    _drop(admin, target)
    if s.get_backend_name() == "sqlite":
        shutil.copyfile(s.database, t.database)
        return
    for attempt in range(120):
        try:
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{t.database}" TEMPLATE "{s.database}"'))
            return
        except DBAPIError as exc:
            if "being accessed by other users" not in str(exc) or attempt == 119:
                raise
            time.sleep(1)


def _create(admin, url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    _drop(admin, url)
    if u.get_backend_name() != "sqlite":
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{u.database}"'))


def _exists(admin, url: str) -> bool:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return Path(u.database).exists()
    with admin.connect() as c:
        return bool(c.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": u.database}))


def _marker(size: str, pool: int) -> dict:
    return {"size": size, "data_version": DATA_VERSION, **(BIG if size == "100k" else
                                                           {"nominations": DEMO_NOMINATIONS, "pool": pool})}


def _read_marker(url: str) -> tuple[dict | None, str | None]:
    from sqlalchemy import text

    from models import make_engine
    from web.migrate import current_revision

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            value = c.scalar(text("SELECT value FROM bench_http_marker WHERE key = 'params'"))
        return json.loads(value), current_revision(engine)
    except Exception:  # noqa: BLE001 - no marker table: not a template of ours
        return None, None
    finally:
        engine.dispose()


def _revision_known(revision: str | None) -> bool:
    from alembic.script import ScriptDirectory

    from web.migrate import MIGRATIONS

    if revision is None:
        return False
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
        return False


def step_prepare(size: str, url: str, mode: str, pool: int, checkout: str) -> dict:
    """The template of `size` (shared by every checkout measured against this --url; rebuilt only when its marker
    or revision does not fit), copied to a working database of this checkout's own (NAME_SIZE_CHECKOUT), so two
    engineers measuring their worktrees at once never drop each other's database."""
    from sqlalchemy import text

    from models import make_engine
    from web import create_app, migrate

    admin = None if url.startswith("sqlite") else _admin(url)
    template, work = _db_url(url, f"tpl_{size}"), _db_url(url, f"{size}_{checkout}")
    wanted = _marker(size, pool)
    marker, revision = _read_marker(template) if _exists(admin, template) else (None, None)
    if mode == "--regenerate" or marker != wanted or not _revision_known(revision):
        why = "asked" if mode == "--regenerate" else ("no template" if marker is None else
                                                      "parameters changed" if marker != wanted else
                                                      f"its revision {revision} is unknown to this checkout")
        print(f"  generating the {size} template ({why}) ...", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        _create(admin, template)
        engine = make_engine(template)
        create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "bench"})  # receivers, the links resolver
        migrate.upgrade(engine)
        (_populate_demo if size == "demo" else _populate_big)(engine, pool)
        with engine.begin() as c:
            c.execute(text("CREATE TABLE bench_http_marker (key VARCHAR(20) PRIMARY KEY, value TEXT)"))
            c.execute(text("INSERT INTO bench_http_marker VALUES ('params', :v)"), {"v": json.dumps(wanted)})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            # Once here: the copies inherit the visibility map (index-only scans) and the statistics.
            c.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
        engine.dispose()
        print(f"  generated in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    _copy(admin, template, work)
    engine = make_engine(work)
    create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "bench"})
    migrate.upgrade(engine)  # the served checkout's migrations (new indexes...) on the cached data
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        # What the served checkout's migrations added (new indexes, columns), and what they left behind: a migration
        # that fills a new column rewrites every row (0015's furthest stage: 100k dead tuples, the table twice its
        # size, index-only scans back to the heap), which production's autovacuum clears within minutes and a
        # benchmark started at once would measure instead of the code.
        c.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    info = _accounts(engine)
    engine.dispose()
    if admin is not None:
        admin.dispose()
    return {"url": work, **info}


def _bench_run():
    """bench/run.py of the served checkout (this one's when it has none): its data generator and name lists."""
    path = Path.cwd() / "bench" / "run.py"
    spec = importlib.util.spec_from_file_location("bench_run", path if path.exists() else HERE / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _populate_demo(engine, pool: int) -> None:
    """The demo organisation (seed-demo), more people per unit, two past annual campaigns, DEMO_NOMINATIONS
    nominations of the demo department in the states of bench/run.py's weights (created, nurtured and withdrawn
    through the service: history and audit rows as the application writes them; the later steps, which need a
    council and decisions, written as history rows the way bench/run.py does), and in the second department
    (Khánh Hòa, invisible to the demo department's readers) the pool of registered nominations for the transition
    benchmark."""
    import datetime as dt
    import random

    from sqlalchemy import insert, select

    bench_run = _bench_run()
    from models import Campaign, Nomination, Person, StateChange, Unit, User, UserRole, fold, make_session_factory
    from workflow.administration import demo
    from workflow.errors import DomainError
    from workflow.nominations import service
    from workflow.policy import actor_for

    rnd = random.Random(7)
    sessions = make_session_factory(engine)
    with sessions() as s:
        demo.seed(s, PASSWORD)
        s.commit()
    with sessions() as s:
        stp = s.scalar(select(Unit).where(Unit.code == "STP"))
        stp2 = s.scalar(select(Unit).where(Unit.code == "STP2"))
        stp2_vp = s.scalar(select(Unit).where(Unit.code == "STP2-VP"))
        units = s.scalars(select(Unit).where(Unit.department_id == stp.id,
                                             Unit.kind.in_(("division", "district_office")))).all()
        people = []
        for u in units:
            for _ in range(DEMO_EXTRA_PEOPLE):
                full = bench_run._name(rnd)
                folded = fold(full).split()
                people.append(dict(full_name=full, sort_key=" ".join(folded[-1:] + folded[:-1]),
                                   search_text=" ".join(folded), unit_id=u.id, position="Chuyên viên",
                                   employment_type="cong_chuc", is_unit_head=False, email=None, active=True))
        s.execute(insert(Person), people)
        this_year = dt.date.today().year
        for y in (this_year - 1, this_year - 2):
            s.add(Campaign(department_id=stp.id, name=f"Điển hình tiên tiến năm {y}", kind="annual",
                           start_date=dt.date(y, 1, 1), end_date=dt.date(y, 12, 31),
                           registration_deadline=dt.date(y, 12, 31)))
        s.commit()
        vanphong = s.scalar(select(User).where(User.username == "vanphong"))
        actor = actor_for(s, vanphong)
        campaigns = s.scalars(select(Campaign).where(Campaign.department_id == stp.id,
                                                     Campaign.kind == "annual")).all()
        persons = s.scalars(select(Person).where(Person.unit_id.in_([u.id for u in units]))).all()
        subjects = [("collective", u.id, None) for u in units] + [
            ("individual", None, p.id) for p in persons if p.id != vanphong.person_id]
        slots = [(c, subj) for c in campaigns for subj in subjects]
        rnd.shuffle(slots)
        states, weights = list(bench_run.STATE_WEIGHTS), list(bench_run.STATE_WEIGHTS.values())
        made = 0
        for campaign, (subject_type, unit_id, person_id) in slots:
            if made >= DEMO_NOMINATIONS:
                break
            today = min(dt.date.today(), campaign.registration_deadline) - dt.timedelta(days=rnd.randint(0, 200))
            try:
                n = service.create_nomination(s, actor, campaign_id=campaign.id, subject_type=subject_type,
                                              unit_id=unit_id, person_id=person_id, today=today,
                                              title=f"Điển hình tiên tiến năm {campaign.start_date.year}",
                                              achievements="Thành tích nổi bật trong năm.")
            except DomainError:
                s.rollback()
                continue
            state = rnd.choices(states, weights)[0]
            for action in bench_run.PATHS[state][1:]:
                if action in ("start_nurturing", "withdraw"):
                    service.transition(s, actor, n.id, action, n.version, nurture_plan="Kế hoạch bồi dưỡng",
                                       reason="Rút hồ sơ")
                else:
                    to = next(st for st, p in bench_run.PATHS.items() if p[-1] == action and p == bench_run.PATHS[
                        state][:len(p)])
                    s.add(StateChange(nomination_id=n.id, version=n.version + 1, action=action, from_state=n.state,
                                      to_state=to, actor_id=vanphong.id, comment="", data={}))
                    n.state, n.version = to, n.version + 1
                    s.flush()
            s.commit()
            made += 1
        # The transition pool: registered nominations of Khánh Hòa, acted on by a secretariat of Khánh Hòa.
        s.execute(insert(User), [dict(username="vanphong_stp2", password_hash="bench", full_name="Văn phòng STP2",
                                      department_id=stp2.id, unit_id=stp2_vp.id, active=True)])
        uid = s.scalar(select(User.id).where(User.username == "vanphong_stp2"))
        s.execute(insert(UserRole), [dict(user_id=uid, role="secretariat")])
        per = 200
        pool_people = []
        for _ in range(per):
            full = bench_run._name(rnd)
            folded = fold(full).split()
            pool_people.append(dict(full_name=full, sort_key=" ".join(folded[-1:] + folded[:-1]),
                                    search_text=" ".join(folded), unit_id=stp2_vp.id, position="Chuyên viên",
                                    employment_type="cong_chuc", is_unit_head=False, email=None, active=True))
        s.execute(insert(Person), pool_people)
        pids = s.scalars(select(Person.id).where(Person.unit_id == stp2_vp.id)).all()
        ncamp = -(-pool // len(pids))
        cids = []
        for c in range(ncamp):
            y = this_year - 3 - c
            s.add(camp := Campaign(department_id=stp2.id, name=f"Phong trào thi đua (benchmark) số {c + 1}",
                                   kind="annual", start_date=dt.date(y, 1, 1), end_date=dt.date(y, 12, 31),
                                   registration_deadline=dt.date(y, 12, 31)))
            s.flush()
            cids.append(camp.id)
        now = dt.datetime.now(dt.UTC)
        rows = []
        for i in range(pool):
            cid, pid = cids[i // len(pids)], pids[i % len(pids)]
            title = f"Hồ sơ benchmark {i + 1}"
            rows.append(dict(campaign_id=cid, department_id=stp2.id, unit_id=stp2_vp.id, subject_type="individual",
                             subject_person_id=pid, subject_key=f"p:{pid}", title=title, achievements="",
                             initiatives="", state="registered", version=1, search_text=fold(title),
                             created_by_id=uid, created_at=now, updated_at=now))
        s.execute(insert(Nomination), rows)
        ids = s.scalars(select(Nomination.id).where(Nomination.department_id == stp2.id)).all()
        s.execute(insert(StateChange), [dict(nomination_id=i, version=1, action="create", from_state=None,
                                             to_state="registered", actor_id=uid, comment="", data={},
                                             created_at=now) for i in ids])
        s.commit()


def _populate_big(engine, pool: int) -> None:
    """bench/run.py's generate(): 100k nominations, 1M audit events."""
    _bench_run().generate(engine, argparse.Namespace(**BIG))


def _accounts(engine) -> dict:
    """In the working copy: the reader (a secretariat: the demo's vanphong, or at 100k the secretariat of the busiest
    department) with the benchmark's password and an API token, the nomination the detail reads, and the transition
    pool with a token per department's secretariat (kept in bench_http_pool)."""
    from sqlalchemy import func, select, text

    from models import Nomination, Unit, User, UserRole, make_session_factory
    from workflow.administration import accounts

    sessions = make_session_factory(engine)
    with sessions() as s:
        demo = s.scalar(select(User.id).where(User.username == "vanphong")) is not None
        if demo:
            reader = s.scalar(select(User).where(User.username == "vanphong"))
            pool_q = select(Nomination.id, Nomination.department_id).join(Unit, Unit.id == Nomination.department_id) \
                .where(Unit.code == "STP2", Nomination.state == "registered")
        else:
            dept = s.execute(select(Nomination.department_id).group_by(Nomination.department_id)
                             .order_by(func.count().desc(), Nomination.department_id).limit(1)).scalar()
            reader = s.scalar(select(User).join(UserRole).where(UserRole.role == "secretariat",
                                                                User.department_id == dept))
            pool_q = select(Nomination.id, Nomination.department_id).where(Nomination.state == "registered")
        reader.password_hash = accounts.hash_password(PASSWORD)
        token = accounts.issue_token(s, reader, name="benchmark")
        detail_id = s.scalar(select(Nomination.id).where(Nomination.department_id == reader.department_id,
                                                         Nomination.state == "submitted")
                             .order_by(Nomination.id).limit(1))
        secretariats = {u.department_id: u for u in s.scalars(
            select(User).join(UserRole).where(UserRole.role == "secretariat").order_by(User.id))}
        tokens = {}
        rows = []
        for nid, dept in s.execute(pool_q.order_by(Nomination.id)):
            if dept not in secretariats:
                continue
            if dept not in tokens:
                tokens[dept] = accounts.issue_token(s, secretariats[dept], name="benchmark")
            rows.append({"n": nid, "t": tokens[dept]})
        total = s.scalar(select(func.count()).select_from(Nomination).where(
            Nomination.department_id == reader.department_id))
        s.commit()
    with engine.begin() as c:
        c.execute(text("DROP TABLE IF EXISTS bench_http_pool"))
        c.execute(text("CREATE TABLE bench_http_pool (nomination_id INTEGER PRIMARY KEY, token VARCHAR(100))"))
        c.execute(text("INSERT INTO bench_http_pool VALUES (:n, :t)"), rows)
        all_noms = c.scalar(text("SELECT count(*) FROM nominations"))
        audit = c.scalar(text("SELECT count(*) FROM audit_events"))
    return {"reader": reader.username, "reader_token": token, "detail_id": detail_id,
            "summary": f"{all_noms:,} nominations, {audit:,} audit events; reader {reader.username} sees {total:,}; "
                       f"detail {detail_id}; pool {len(rows):,}"}


def step_reset_pool(url: str, pool_file: str) -> dict:
    """The pool back to `registered` (only the state and the plan: the version keeps counting, the history stays),
    vacuumed as autovacuum would, and its rows with their current version written for the load generator."""
    from sqlalchemy import create_engine, text

    from models.base import database_url

    engine = create_engine(database_url(url))
    with engine.begin() as c:
        c.execute(text("UPDATE nominations SET state = 'registered', nurture_plan = NULL WHERE state = 'nurtured' "
                       "AND id IN (SELECT nomination_id FROM bench_http_pool)"))
        rows = c.execute(text("SELECT n.id, n.version, p.token FROM bench_http_pool p JOIN nominations n "
                              "ON n.id = p.nomination_id WHERE n.state = 'registered' ORDER BY n.id")).all()
    if engine.dialect.name == "postgresql":
        # The last round's steps and this reset left a dead version of every row they moved (in each of the
        # nominations' indexes too). Production's autovacuum clears them within a minute; a server running with
        # autovacuum off (this machine's) would make the next round's reads walk them, measuring the previous
        # round's writes instead of the code (the API list's server CPU ×5 after a few thousand steps).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM (ANALYZE) nominations, state_changes, audit_events, audit_chain_heads"))
    engine.dispose()
    Path(pool_file).write_text("".join(f"{i} {v} {t}\n" for i, v, t in rows))
    return {"pool": len(rows)}


# ================================================================================================= main
def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=HERE.parent,
                   help="the checkout to serve, with its own .venv (default: this one)")
    p.add_argument("--url", default=DEFAULT_URL,
                   help="PostgreSQL server and base database name (templates NAME_tpl_SIZE, shared; working copies "
                        "NAME_SIZE_CHECKOUT, one per served checkout), or "
                        f"sqlite:///PATH.db (default {DEFAULT_URL})")
    p.add_argument("--sizes", default="demo,100k", help="demo,100k")
    p.add_argument("--only", default=",".join(KINDS), help=f"request kinds: {','.join(KINDS)}")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=5, help="seconds per request kind and round")
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    p.add_argument("--pool", type=int, default=DEMO_POOL, help="transition pool at demo size")
    p.add_argument("--regenerate", action="store_true", help="rebuild the cached template databases")
    p.add_argument("--python-client", action="store_true", help="use the Python client even when wrk is present")
    p.add_argument("--profile", action="store_true",
                   help="per request kind: one worker, SQL statements and CPU per request, then pyinstrument's top "
                        "frames (an HTML page per kind is kept)")
    p.add_argument("--memory", action="store_true",
                   help="a worker's RSS after 1,000 and 10,000 requests at the largest size (growth must stay <10%%)")
    p.add_argument("--out", type=Path, help="also write the results (markdown + JSON) to this directory")
    args = p.parse_args(argv)
    args.root = args.root.resolve()
    args.sizes = [s for s in args.sizes.split(",") if s]
    args.only = [k for k in args.only.split(",") if k]
    for s in args.sizes:
        if s not in SIZES:
            p.error(f"unknown size {s!r}: {', '.join(SIZES)}")
    for k in args.only:
        if k not in KINDS:
            p.error(f"unknown request kind {k!r}: {', '.join(KINDS)}")
    if not (args.root / ".venv/bin/gunicorn").exists():
        p.error(f"{args.root}/.venv/bin/gunicorn not found: create the checkout's venv (pip install -e '.[test]')")
    return args


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_prepare":
        checkout = argv[5] if len(argv) > 5 else re.sub(r"\W+", "_", Path.cwd().name.lower())
        print(json.dumps(step_prepare(argv[1], argv[2], argv[3], int(argv[4]), checkout)))
        return 0
    if argv and argv[0] == "_reset_pool":
        print(json.dumps(step_reset_pool(argv[1], argv[2])))
        return 0
    args = parse(argv)
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    tool = "wrk" if use_wrk else "Python client"
    tmp = Path(tempfile.mkdtemp(prefix="dienhinh-bench-http-"))
    print(f"serving {args.root} ({tool}); logs and profiles in {tmp}", flush=True)
    outputs = []
    if args.profile:
        reports = [r for size in args.sizes for r in profile_size(args, size, tmp, use_wrk)]
        outputs.append(print_profiles(reports))
        (tmp / "profiles.json").write_text(json.dumps(reports, ensure_ascii=False, indent=1))
    elif args.memory:
        outputs.append(memory(args, tmp))
    else:
        results = [measure_size(args, size, tmp, use_wrk) for size in args.sizes]
        outputs.append(table(results, args, tool))
        (tmp / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    text = "\n\n".join(outputs)
    print("\n" + text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench-http.md").write_text(text + "\n")
        for name in ("results.json", "profiles.json"):
            if (tmp / name).exists():
                shutil.copyfile(tmp / name, args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
