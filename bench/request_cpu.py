"""CPU and SQL statements per request, in process (Flask's test client, no gunicorn, no HTTP): the four requests of
issue 13 against an existing database, each run in rounds, medians printed. On a machine shared with other work the
wall time says little; the CPU time of this process and the statement counts are what a change moves. Run it from
two checkouts on the same database to compare them side by side (`PYTHONPATH=/path/to/other/checkout`).

    python bench/request_cpu.py --url postgresql+psycopg://postgres@127.0.0.1:5432/dienhinh_bench_http_demo_main

Beside the application's CPU it prints the PostgreSQL backends' own (from /proc, for a server on this machine): the
2 cores serve both, so planning or execution moved into the server counts too.

The database is one of `bench/http_bench.py`'s working copies (it holds `bench_http_pool`, the transition pool with
its tokens, and the demo password for `vanphong`), at the served checkout's head (`dienhinh init-db`)."""
from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import time

from sqlalchemy import event

from web import create_app

PASSWORD = "demo1234"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="a working copy of bench/http_bench.py (SQLAlchemy URL)")
    p.add_argument("--reader", default="vanphong", help="the page reader (a secretariat with the demo password)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--requests", type=int, default=150, help="per round")
    args = p.parse_args(argv)
    logging.disable(logging.INFO)
    app = create_app({"DATABASE_URL": args.url, "SECRET_KEY": "b" * 64, "BALLOT_KEY": "c" * 64, "TESTING": False,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    engine = app.extensions["dienhinh.engine"]
    token, api_nid, page_nid = _reader_token_and_details(engine, args.reader)
    bearer = {"Authorization": f"Bearer {token}"}
    api, page = app.test_client(), app.test_client()
    form = page.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', form)
    signed_in = page.post("/login", data={"username": args.reader, "password": PASSWORD, "csrf_token": csrf.group(1)})
    if signed_in.status_code not in (302, 303):
        raise SystemExit(f"login of {args.reader} refused ({signed_in.status_code})")
    count = [0]
    event.listen(engine, "before_cursor_execute", lambda *a: count.__setitem__(0, count[0] + 1))
    server = _server_cpu(engine)
    print("| request | statements | CPU ms/request (median) | min | PostgreSQL CPU ms/request (median) |\n"
          "|---|---|---|---|---|")
    for name, client, path, headers in (
            ("`GET /api/v1/nominations`", api, "/api/v1/nominations", bearer),
            ("`GET /api/v1/nominations/{id}`", api, f"/api/v1/nominations/{api_nid}", bearer),
            ("`GET /nominations` page", page, "/nominations", {}),
            ("`GET /nominations/{id}` page", page, f"/nominations/{page_nid}", {})):
        for _ in range(30):
            r = client.get(path, headers=headers)
            if r.status_code != 200:
                raise SystemExit(f"{path}: {r.status_code}")
        count[0] = 0
        client.get(path, headers=headers)
        statements = count[0]
        runs, server_runs = [], []
        for _ in range(args.rounds):
            server_before = server()
            started = time.process_time()
            for _ in range(args.requests):
                client.get(path, headers=headers)
            runs.append((time.process_time() - started) / args.requests * 1000)
            server_runs.append((server() - server_before) / args.requests * 1000)
        server_text = f"{statistics.median(server_runs):.2f}" if server_runs[0] == server_runs[0] else "—"
        print(f"| {name} | {statements} | {statistics.median(runs):.2f} | {min(runs):.2f} | {server_text} |")
    return 0


def _reader_token_and_details(engine, username: str):
    """The reader's own API token (issued now) and the nominations `bench/http_bench.py` reads: the API detail is the
    first submitted nomination of the reader's department, the page detail its newest. The pool's tokens belong to
    another department's secretariat (12,000 registered nominations at demo size): not the reader's list."""
    from sqlalchemy import select

    from models import Nomination, User, make_session_factory
    from workflow.administration import accounts

    with make_session_factory(engine)() as s:
        reader = s.scalar(select(User).where(User.username == username))
        if reader is None:
            raise SystemExit(f"no user {username}")
        token = accounts.issue_token(s, reader, name="request_cpu")
        in_department = Nomination.department_id == reader.department_id
        api_nid = s.scalar(select(Nomination.id).where(in_department, Nomination.state == "submitted")
                           .order_by(Nomination.id).limit(1))
        page_nid = s.scalar(select(Nomination.id).where(in_department).order_by(Nomination.id.desc()).limit(1))
        s.commit()
    return token, api_nid, page_nid


def _server_cpu(engine):
    """A reader of the CPU seconds the PostgreSQL backends serving this database have used (user + system, from
    /proc): on a 2-core machine the server's CPU is spent beside the application's, and a sync worker waits for it,
    so a change that moves work from Python to the server (or planning into it) shows here. Only for a server on this
    machine; elsewhere (or SQLite) it reads NaN and the column shows "—"."""
    url = engine.url
    if url.get_backend_name() != "postgresql" or url.host not in (None, "127.0.0.1", "localhost"):
        return lambda: float("nan")
    marker = f" {url.database} "  # a backend's title: "postgres: USER DATABASE HOST(PORT) STATE"
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        total = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    title = f.read().decode(errors="replace")
                if marker not in title.replace("\0", " ") + " ":
                    continue
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:  # the backend ended meanwhile
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    return read


if __name__ == "__main__":
    raise SystemExit(main())
