"""Benchmarks of the audit trail: concurrent appends, and `audit verify` against hashing the same bytes.

    .venv/bin/python bench/audit_bench.py appends --url postgresql://postgres@127.0.0.1:5432/bench --reset
    .venv/bin/python bench/audit_bench.py verify --url postgresql://postgres@127.0.0.1:5432/bench --reset \\
        --events 1000000

appends: C concurrent clients (threads, one connection each) spread over D departments, for 1, 4 and 16 clients.
  Each client commits one transaction per event: `notifications.audit.append` (the chain of the client's department,
  its head row locked FOR UPDATE) against a plain INSERT of the same row into a table of the same shape and indexes
  (`bench_plain_events`, no chain head, no hash). Rounds interleave the two (audit, plain, plain, audit, …) and the
  median commits per second of each is reported.
verify: N events spread over D department chains (generated through the canonical form, inserted in bulk), then
  (a) `notifications.audit_verify.check(full=True)` — what `dienhinh audit verify` runs — and (b) a tight loop that
  only SHA-256-hashes the same bytes (prev hash + canonical form of every event), prepared in memory beforehand, and
  computes the HMAC-SHA256 of each hash (the MAC, which verify checks too: like for like). Also timed on PostgreSQL:
  the verifier's COPY stream received and dropped (reading alone) and COPY of the raw table (the floor).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

import notifications  # noqa: E402
from models import AuditChainHead, AuditEvent, Base, Unit, make_engine, make_session_factory  # noqa: E402
from models.base import json_text  # noqa: E402
from notifications import audit, audit_verify  # noqa: E402
from web import migrate  # noqa: E402
from workflow.context import Context  # noqa: E402

CONTEXT = Context(ip="10.0.0.1", user_agent="Mozilla/5.0 (bench)", via="web")


def fresh_schema(engine, reset: bool) -> None:
    with engine.begin() as conn:
        existing = conn.execute(text(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            if engine.dialect.name == "postgresql" else "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        )).scalar()
    if existing:
        if not reset:
            sys.exit(f"{engine.url}: the database is not empty; pass --reset to drop its tables")
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            else:
                Base.metadata.drop_all(conn)
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
                conn.execute(text("DROP TABLE IF EXISTS bench_plain_events"))
    migrate.upgrade(engine)


def departments(engine, count: int) -> list[int]:
    with engine.begin() as conn:
        ministry = conn.execute(insert(Unit).values(code="BTP", name="Bộ Tư pháp", kind="ministry")
                                .returning(Unit.id)).scalar()
        ids = []
        for i in range(count):
            uid = conn.execute(insert(Unit).values(code=f"STP{i}", name=f"Sở Tư pháp {i}", kind="department",
                                                   parent_id=ministry).returning(Unit.id)).scalar()
            conn.execute(Unit.__table__.update().where(Unit.id == uid).values(department_id=uid))
            ids.append(uid)
    return ids


# ------------------------------------------------------------------------------------------------ appends
def _row(client: int, i: int) -> dict:
    return {"action": "nomination.update", "object_type": "nomination", "object_id": client * 1_000_000 + i,
            "data": {"changes": {"achievements": ["", "Thành tích năm nay"]}, "version": i + 2}}


def run_appends(engine, args) -> dict:
    depts = departments(engine, args.departments)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("CREATE TABLE bench_plain_events (LIKE audit_events INCLUDING ALL)"))
        else:
            conn.execute(text("CREATE TABLE bench_plain_events AS SELECT * FROM audit_events WHERE 0"))
    plain = Base.metadata.tables["audit_events"].to_metadata(__import__("sqlalchemy").MetaData(),
                                                             name="bench_plain_events")
    sessions = make_session_factory(engine)

    def audit_client(n, stop, counts):
        dept = depts[n % len(depts)]
        i = 0
        with sessions() as s:
            while not stop.is_set():
                row = _row(n, i)
                audit.append(s, chain=audit.chain_for(s, department_id=dept), context=CONTEXT, **row)
                s.commit()
                i += 1
        counts[n] = i

    seqs = {}

    def plain_client(n, stop, counts):
        chain = f"plain:{n}"
        i = 0
        with engine.connect() as conn:
            while not stop.is_set():
                seqs[n] = seqs.get(n, 0) + 1
                row = _row(n, i)
                now = dt.datetime.now(dt.UTC)
                conn.execute(insert(plain).values(
                    created_at=now, actor_id=None, actor_username="bench", outcome="ok", ip=CONTEXT.ip,
                    user_agent=CONTEXT.user_agent, chain=chain, seq=seqs[n], prev_hash="0" * 64, hash="1" * 64,
                    data=dict(row["data"], via="web"), action=row["action"], object_type=row["object_type"],
                    object_id=row["object_id"]))
                conn.commit()
                i += 1
        counts[n] = i

    def measure(kind: str, clients: int) -> float:
        stop = threading.Event()
        counts: dict[int, int] = {}
        target = audit_client if kind == "audit" else plain_client
        threads = [threading.Thread(target=target, args=(n, stop, counts)) for n in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join()
        return sum(counts.values()) / (time.perf_counter() - t0)

    results = {}
    for clients in args.clients:
        rates = {"audit": [], "plain": []}
        for r in range(args.rounds):
            order = ("audit", "plain") if r % 2 == 0 else ("plain", "audit")
            for kind in order:
                rates[kind].append(measure(kind, clients))
        a, p = statistics.median(rates["audit"]), statistics.median(rates["plain"])
        results[clients] = {"audit": round(a), "plain": round(p), "ratio": round(a / p, 2),
                            "rounds_audit": [round(x) for x in rates["audit"]],
                            "rounds_plain": [round(x) for x in rates["plain"]]}
        print(f"  {clients:>2} clients over {min(clients, len(depts)):>2} departments: audit append "
              f"{a:7.0f}/s   plain insert {p:7.0f}/s   ratio {a / p:.2f}", flush=True)
    with make_session_factory(engine)() as s:
        check = audit.verify(s)
    print(f"  chains after the run verify: ok={check.ok} ({check.checked} events)")
    return results


# ------------------------------------------------------------------------------------------------ verify
def generate_chains(engine, args) -> list[bytes]:
    """N events round-robin over D department chains, hashed with the canonical form and inserted in bulk. Returns
    the exact bytes each hash covers (prev hash + canonical form), for the tight loop."""
    depts = departments(engine, args.departments)
    key = audit.mac_key()
    heads = {d: (0, audit.GENESIS) for d in depts}
    prevs = dict.fromkeys(depts, audit.GENESIS)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    blobs: list[bytes] = []
    rows: list[dict] = []
    with engine.begin() as conn:
        for i in range(args.events):
            dept = depts[i % len(depts)]
            chain = f"dept:{dept}"
            seq, prev = heads[dept]
            seq += 1
            created = start + dt.timedelta(seconds=i, microseconds=i % 1_000_000)
            data = audit._jsonable({"changes": {"achievements": ["", f"Thành tích {i}"]}, "version": i % 50,
                                    "via": "web"})
            form = audit.canonical_fields(chain, seq, created, None, "tp_pbgdpl", "nomination.update", "ok",
                                          "nomination", i, "10.0.0.1", "Mozilla/5.0 (bench)", json_text(data))
            blob = (prev + form).encode()
            digest = hashlib.sha256(blob).hexdigest()
            blobs.append(blob)
            rows.append({"created_at": created, "actor_id": None, "actor_username": "tp_pbgdpl",
                         "mac": audit.mac_of(key, digest), "action": "nomination.update", "outcome": "ok",
                         "object_type": "nomination",
                         "object_id": i, "data": data, "ip": "10.0.0.1", "user_agent": "Mozilla/5.0 (bench)",
                         "chain": chain, "seq": seq, "prev_hash": prev, "hash": digest})
            heads[dept] = (seq, digest)
            prevs[dept] = prev
            if len(rows) >= 10_000:
                conn.execute(insert(AuditEvent), rows)
                rows = []
        if rows:
            conn.execute(insert(AuditEvent), rows)
        conn.execute(insert(AuditChainHead), [{"chain": f"dept:{d}", "seq": s, "prev_hash": prevs[d], "hash": h}
                                              for d, (s, h) in heads.items()])
    # The generator must hash exactly as the application does, or the verify timing below means nothing.
    assert audit_bytes_match(engine, blobs[:3])
    return blobs


def audit_bytes_match(engine, blobs) -> bool:
    with make_session_factory(engine)() as s:
        first = s.scalars(select(AuditEvent).order_by(AuditEvent.id).limit(len(blobs))).all()
        return all(hashlib.sha256(b).hexdigest() == e.hash == audit.compute_hash(e.prev_hash, e)
                   for b, e in zip(blobs, first, strict=True))


def read_only(engine) -> float:
    """What reading alone costs (PostgreSQL): the verifier's COPY stream of the same rows (canonical forms built by
    PostgreSQL, in id order), its blocks received and dropped: no splitting, no hashing."""
    t = time.perf_counter()
    with make_session_factory(engine)() as s:
        for _ in audit.copy_lines(audit.raw_connection(s), after_id=0):
            pass
    return time.perf_counter() - t


def read_raw(engine) -> float:
    """The floor below that: COPY of the table's raw rows (no canonical form, no order), received and dropped."""
    t = time.perf_counter()
    raw = engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cur, cur.copy("COPY audit_events TO STDOUT") as copy:
            for _ in copy:
                pass
    finally:
        raw.close()
    return time.perf_counter() - t


def tight_loop(blobs: list[bytes], key: bytes) -> float:
    """SHA-256 of each event's bytes, and the HMAC-SHA256 of that hash (what verify computes per event, like for
    like, with the same precomputed HMAC states as the verifier)."""
    sha = hashlib.sha256
    inner, outer = audit.hmac_states(key)
    t = time.perf_counter()
    for b in blobs:
        i = inner.copy()
        i.update(sha(b).hexdigest().encode())
        o = outer.copy()
        o.update(i.digest())
        o.hexdigest()
    return time.perf_counter() - t


def run_verify(engine, args) -> dict:
    t0 = time.perf_counter()
    blobs = generate_chains(engine, args)
    print(f"  generated {len(blobs)} events in {args.departments} chains in {time.perf_counter() - t0:.1f} s",
          flush=True)
    if not args.no_analyze:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE audit_events" if engine.dialect.name == "postgresql" else "ANALYZE"))
    size = sum(len(b) for b in blobs)
    loops, verifies, reads, raws = [], [], [], []
    key = audit.mac_key()
    for _ in range(args.rounds):
        if engine.dialect.name == "postgresql":
            reads.append(read_only(engine))
            raws.append(read_raw(engine))
        loops.append(tight_loop(blobs, key))
        with make_session_factory(engine)() as s:
            t = time.perf_counter()
            record = audit_verify.check(s, checked_by="bench", full=True, jobs=args.jobs)
            verifies.append(time.perf_counter() - t)
            assert record.ok and record.events_checked == len(blobs), record.message
            assert "MAC" not in record.message, record.message  # the MACs were checked
            s.rollback()
    loop, verify = statistics.median(loops), statistics.median(verifies)
    print(f"  tight loop: SHA-256 of the same {len(blobs)} byte strings ({size / 1e6:.0f} MB) + HMAC-SHA256 of each "
          f"hash: {loop:.2f} s")
    print(f"  audit verify (audit_verify.check, full, MACs checked): {verify:.2f} s  → {verify / loop:.2f}× the "
          "tight loop")
    read = statistics.median(reads) if reads else None
    raw = statistics.median(raws) if raws else None
    if read is not None:
        print(f"  reading alone: the verifier's COPY stream (forms built by PostgreSQL) {read:.2f} s; "
              f"COPY of the raw table {raw:.2f} s")
    return {"events": len(blobs), "bytes": size, "tight_loop_s": round(loop, 3), "verify_s": round(verify, 3),
            "read_only_s": read and round(read, 3), "raw_copy_s": raw and round(raw, 3),
            "rounds_read": [round(x, 3) for x in reads], "rounds_raw": [round(x, 3) for x in raws],
            "ratio": round(verify / loop, 2), "rounds_loop": [round(x, 3) for x in loops],
            "rounds_verify": [round(x, 3) for x in verifies]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("what", choices=("appends", "verify"))
    p.add_argument("--url", default=os.environ.get("DATABASE_URL"), required=False)
    p.add_argument("--reset", action="store_true", help="drop every table of a non-empty --url database first")
    p.add_argument("--departments", type=int, default=16)
    p.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument("--seconds", type=float, default=3.0, help="length of one measurement (appends)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per measurement (median reported)")
    p.add_argument("--events", type=int, default=1_000_000, help="events to verify")
    p.add_argument("--no-analyze", action="store_true")
    p.add_argument("--jobs", type=int, default=1, help="verify: processes (`dienhinh audit verify --jobs`, default 1)")
    args = p.parse_args(argv)
    if not args.url:
        sys.exit("--url (or DATABASE_URL) is required")
    engine = make_engine(args.url, pool_size=max(args.clients) + 2)
    notifications.install()
    audit.configure(Ed25519PrivateKey.generate())  # the MAC key (the application's comes from AUDIT_SIGNING_KEY)
    fresh_schema(engine, args.reset)
    print(f"database: {engine.url.render_as_string(hide_password=True)} ({engine.dialect.name}), "
          f"{os.cpu_count()} CPUs", flush=True)
    result = run_appends(engine, args) if args.what == "appends" else run_verify(engine, args)
    engine.dispose()
    print("\nJSON " + json.dumps({"bench": args.what, "backend": engine.dialect.name, "result": result},
                                 ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
