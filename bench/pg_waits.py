"""What the PostgreSQL backends serving one database do while a load runs, sampled from `pg_stat_activity`: the share
of samples in each state and wait event, and, of the time a transaction was open, how much the server spent running,
waiting for the WAL's flush, waiting for a lock, and waiting for the application.

The CPU figures (`bench/request_cpu.py`) say what a request costs; they do not say why two sync workers on two cores
leave part of the machine idle while the transition runs (issue 13, "Twelfth increment" in bench/README.md). A
backend that is `idle in transaction` is waiting for its worker's Python between two statements; `active` with no wait
event is the server's own work; `IO/WALSync` is the commit waiting for the disk; `Lock/transactionid` is a transaction
waiting for another one to end (two transitions of one department queue on their audit chain's head).

    python bench/http_bench.py --sizes demo --only transition --rounds 1 --duration 20 &
    sleep 25; python bench/pg_waits.py --database dienhinh_bench_http_demo_main --seconds 5

The sampler's own connection is left out; it connects to the `postgres` database of the same server. Sampling every
2 ms costs the server a little CPU of its own (one short query per sample): compare runs made the same way."""
from __future__ import annotations

import argparse
import time
from collections import Counter

import psycopg

SAMPLE = ("SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
          "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
IN_TRANSACTION = ("active", "idle in transaction", "idle in transaction (aborted)")


def sample(conn: psycopg.Connection, database: str, seconds: float, interval: float = 0.002) -> tuple[Counter, int]:
    """(how many times each (state, wait event type, wait event) was seen, how many samples were taken)."""
    seen: Counter = Counter()
    taken = 0
    end = time.monotonic() + seconds
    while True:
        for row in conn.execute(SAMPLE, (database,)).fetchall():
            seen[row] += 1
        taken += 1
        if time.monotonic() >= end:
            return seen, taken
        time.sleep(interval)


def in_transaction(seen: Counter) -> dict[str, float]:
    """Of the samples of a backend with a transaction open: the share running, waiting for the WAL (IO waits), for a
    lock (heavyweight or lightweight), for the application (idle in transaction), or anything else."""
    kinds: Counter = Counter()
    for (state, wait_type, wait_event), n in seen.items():
        if state not in IN_TRANSACTION:
            continue
        if state != "active":
            kinds["application"] += n  # the worker's own code between two statements (ClientRead)
        elif wait_type is None:
            kinds["running"] += n
        elif wait_type == "IO" and wait_event and wait_event.startswith("WAL"):
            kinds["wal"] += n
        elif wait_type in ("Lock", "LWLock"):
            kinds["lock"] += n
        else:
            kinds["other"] += n
    total = sum(kinds.values())
    return {k: kinds[k] / total for k in ("running", "wal", "lock", "application", "other")} if total else {}


def report(seen: Counter, taken: int) -> str:
    total = sum(seen.values())
    lines = [f"{taken} samples; {total} backend states seen", "", "| share | state | wait event |", "|---|---|---|"]
    for (state, wait_type, wait_event), n in seen.most_common():
        event = f"{wait_type}/{wait_event}" if wait_type else "—"
        lines.append(f"| {n / total:.1%} | {state or '—'} | {event} |")
    shares = in_transaction(seen)
    if shares:
        lines += ["", "With a transaction open: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items())]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", required=True, help="the database whose backends are sampled")
    p.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres",
                   help="where the sampler connects (any database of the same server)")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--interval", type=float, default=0.002, help="seconds between samples")
    args = p.parse_args(argv)
    with psycopg.connect(args.server, autocommit=True) as conn:
        seen, taken = sample(conn, args.database, args.seconds, args.interval)
    print(report(seen, taken))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
