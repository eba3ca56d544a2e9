"""bench/http_bench.py stays runnable: its command line answers, its hello-world anchor serves what it claims, and wrk's
report is read right (a misread unit would turn every figure of bench/README.md into nonsense). Fast: no server, no
database, no load."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


def test_the_raw_transition_floor_does_the_transitions_work(engine, fresh_db, demo, monkeypatch):
    """bench/hello/raw_transition_app.py is the anchor the endpoint is read against: it must do the work it claims
    (a stale version refused with nothing written; a step that moves the row, records its history and appends an event
    that extends the department's chain and verifies with the key it signed with) and keep running on the project's
    own step and audit statements as they change."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the raw floor is psycopg's: PostgreSQL only")
    from sqlalchemy import func, select

    from models import AuditChainHead, AuditEvent, Nomination, StateChange
    from models.audit import department_chain
    from notifications import audit
    from workflow.administration import accounts
    from workflow.nominations import service

    session = fresh_db
    head_of_unit = demo.actor("tp_hctp")
    n = service.create_nomination(session, head_of_unit, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("HCTP").id, title="Tập thể Phòng Hành chính tư pháp")
    token = accounts.issue_token(session, demo.user("tp_hctp"), name="raw floor")
    session.commit()
    nid, version, chain = n.id, n.version, department_chain(n.department_id)
    key = "6b" * 32
    monkeypatch.setenv("RAW_URL", engine.url.render_as_string(hide_password=False).replace("+psycopg", ""))
    monkeypatch.setenv("RAW_AUDIT_KEY", key)
    raw = _load("bench_raw_transition_app", BENCH / "hello" / "raw_transition_app.py")
    client = raw.app.test_client()

    def post(v):
        return client.post(f"/api/v1/nominations/{nid}/transitions", headers={"Authorization": f"Bearer {token}"},
                           json={"action": "start_nurturing", "version": v, "nurture_plan": "Kế hoạch"})

    def head():
        session.expire_all()
        return session.execute(select(AuditChainHead.seq, AuditChainHead.hash)
                               .where(AuditChainHead.chain == chain)).one_or_none()

    def history():
        return session.scalar(select(func.count()).select_from(StateChange).where(StateChange.nomination_id == nid))

    try:
        before, steps = head(), history()
        assert post(version + 1).status_code == 409
        assert (head(), history(), session.get(Nomination, nid).version) == (before, steps, version)
        answer = post(version)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert (answer.json["state"], answer.json["version"]) == ("nurtured", version + 1)
        assert answer.json["history"][-1]["action"] == "start_nurturing"
        session.expire_all()
        moved = session.get(Nomination, nid)
        assert (moved.state, moved.version, history()) == ("nurtured", version + 1, steps + 1)
        seq, last = head()
        assert seq == (before[0] if before else 0) + 1
        event = session.scalar(select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq == seq))
        assert (event.object_id, event.action, event.hash) == (nid, "nomination.start_nurturing", last)
        walk = audit.walk_chain(session, chain, after_seq=seq - 1, prev_hash=event.prev_hash,
                                mac_key=bytes.fromhex(key))
        assert walk.ok and walk.checked == 1, walk.problem
    finally:
        if raw._connection is not None:
            raw._connection.close()


def test_the_wait_sampler_tells_a_transaction_waiting_for_its_application_from_one_waiting_for_a_lock(engine):
    """bench/pg_waits.py is how the transition's idle machine was explained (bench/README.md, "Twelfth increment"):
    a backend between two statements of its transaction is the application's time, one blocked behind another
    transaction's lock is a lock's, and its own sampling connection is not counted."""
    if engine.dialect.name != "postgresql":
        pytest.skip("pg_stat_activity is PostgreSQL's")
    import threading

    import psycopg

    pg_waits = _load("bench_pg_waits", BENCH / "pg_waits.py")
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    database = engine.url.database
    with psycopg.connect(url) as holder, psycopg.connect(url) as blocked, \
            psycopg.connect(url, autocommit=True) as sampler:
        # A transaction left open between two statements (idle in transaction), holding a lock that a second one
        # then waits for (active, Lock).
        holder.execute("SELECT pg_advisory_xact_lock(4242)")
        waiter = threading.Thread(target=lambda: blocked.execute("SELECT pg_advisory_xact_lock(4242)"))
        waiter.start()
        try:
            time.sleep(0.2)
            seen, taken = pg_waits.sample(sampler, database, 0.3, 0.01)
        finally:
            holder.rollback()
            waiter.join(timeout=10)
            blocked.rollback()
    assert taken >= 10
    assert seen[("idle in transaction", "Client", "ClientRead")] > 0
    assert seen[("active", "Lock", "advisory")] > 0
    assert not any(state == "active" and wait is None for (state, wait, _), _n in seen.items())  # not the sampler
    shares = pg_waits.in_transaction(seen)
    assert shares["lock"] > 0 and shares["application"] > 0 and abs(sum(shares.values()) - 1) < 1e-9
    assert "With a transaction open" in pg_waits.report(seen, taken)


SPIN = """
import sys, time
sys.stdin.readline()
started = time.process_time()
while time.process_time() - started < 0.3:
    pass
print("done", flush=True)
sys.stdin.readline()
"""


def test_the_cpu_meter_counts_a_served_process_cpu_per_request():
    """What `CpuMeter` reads is the CPU the served processes spent during the round, divided by its requests: a
    process that spins 0.3 s of CPU during a "round" of 10 requests reads ~30 ms per request, all of it also in the
    machine's busy time; one that has exited reads nothing rather than failing the run."""
    bench = _load("bench_http_bench", BENCH / "http_bench.py")
    child = subprocess.Popen([sys.executable, "-c", SPIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        meter = bench.CpuMeter.start([child.pid])
        assert meter is not None
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "done"
        cpu = meter.stop(requests=10)
    finally:
        child.stdin.write("end\n")
        child.stdin.close()
        child.wait(timeout=10)
        child.stdout.close()
    assert 28 <= cpu["server_ms"] <= 45, cpu  # 300 ms / 10, in clock ticks of 10 ms
    assert cpu["busy_ms"] >= cpu["server_ms"] - 2, cpu
    assert cpu["postgres_ms"] >= 0 and 0 <= cpu["idle"] <= 1, cpu
    assert bench.process_cpu(child.pid) == 0.0  # gone
