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
import re
import statistics
import time

from http_bench import postgres_pids, process_cpu  # /proc, read one way for both benches
from sqlalchemy import event

from web import create_app

PASSWORD = "demo1234"
KINDS = ("api_list", "api_detail", "html_list", "html_detail", "transition")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="a working copy of bench/http_bench.py (SQLAlchemy URL)")
    p.add_argument("--reader", default="vanphong", help="the page reader (a secretariat with the demo password)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--requests", type=int, default=150, help="per round")
    p.add_argument("--only", default=",".join(KINDS), help=f"request kinds: {','.join(KINDS)}")
    p.add_argument("--profile", metavar="FILE", help="cProfile the measured rounds (process CPU) into FILE (pstats)")
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
    only = set(args.only.split(","))
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
    for kind, name, client, path, headers in (
            ("api_list", "`GET /api/v1/nominations`", api, "/api/v1/nominations", bearer),
            ("api_detail", "`GET /api/v1/nominations/{id}`", api, f"/api/v1/nominations/{api_nid}", bearer),
            ("html_list", "`GET /nominations` page", page, "/nominations", {}),
            ("html_detail", "`GET /nominations/{id}` page", page, f"/nominations/{page_nid}", {})):
        if kind not in only:
            continue
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
            if profiler:
                profiler.enable()
            for _ in range(args.requests):
                client.get(path, headers=headers)
            if profiler:
                profiler.disable()
            runs.append((time.process_time() - started) / args.requests * 1000)
            server_runs.append((server() - server_before) / args.requests * 1000)
        _row(name, statements, runs, server_runs)
    if "transition" in only:
        _transitions(engine, api, count, server, args, profiler)
    if profiler:
        profiler.dump_stats(args.profile)
    return 0


def _row(name, statements, runs, server_runs) -> None:
    server_text = f"{statistics.median(server_runs):.2f}" if server_runs[0] == server_runs[0] else "—"
    print(f"| {name} | {statements} | {statistics.median(runs):.2f} | {min(runs):.2f} | {server_text} |")


TRANSITION_BODY = {"action": "start_nurturing", "nurture_plan": "Kế hoạch bồi dưỡng điển hình (benchmark)"}


def _transitions(engine, client, count, server, args, profiler) -> None:
    """`POST /api/v1/nominations/{id}/transitions` (start_nurturing) as `bench/http_bench.py` posts it, each request
    on a distinct nomination of the transition pool (`bench_http_pool`, with its tokens). Before every round the
    round's slice is put back as it was: `registered`, no plan, and no history row but its first (the answer reads
    the history: a nomination acted on in earlier rounds would answer with more rows). Audit events accumulate (an
    append-only chain). The slice is the pool's last `--requests` rows: runs of two checkouts on two copies of the
    same template act on the same nominations."""
    from sqlalchemy import text

    with engine.connect() as c:
        pool = c.execute(text("SELECT nomination_id, token FROM bench_http_pool ORDER BY nomination_id DESC "
                              "LIMIT :n"), {"n": args.requests + 30}).all()
    warm, pool = pool[:30], pool[30:]

    def reset(rows) -> dict[int, int]:
        ids = [r[0] for r in rows]
        with engine.begin() as c:
            c.execute(text("DELETE FROM state_changes WHERE nomination_id = ANY(:ids) AND action <> 'create'"),
                      {"ids": ids})
            c.execute(text("UPDATE nominations SET state = 'registered', nurture_plan = NULL "
                           "WHERE id = ANY(:ids)"), {"ids": ids})
            return dict(c.execute(text("SELECT id, version FROM nominations WHERE id = ANY(:ids)"), {"ids": ids}).all())

    def post(nid, token, version):
        return client.post(f"/api/v1/nominations/{nid}/transitions", json=TRANSITION_BODY | {"version": version},
                           headers={"Authorization": f"Bearer {token}"})

    versions = reset(warm)
    for nid, token in warm:
        r = post(nid, token, versions[nid])
        if r.status_code != 200:
            raise SystemExit(f"transition {nid}: {r.status_code} {r.get_data(as_text=True)[:300]}")
    versions = reset(warm[:1])
    count[0] = 0
    post(warm[0][0], warm[0][1], versions[warm[0][0]])
    statements = count[0]
    runs, server_runs = [], []
    for _ in range(args.rounds):
        versions = reset(pool)
        server_before = server()
        started = time.process_time()
        if profiler:
            profiler.enable()
        for nid, token in pool:
            post(nid, token, versions[nid])
        if profiler:
            profiler.disable()
        runs.append((time.process_time() - started) / len(pool) * 1000)
        server_runs.append((server() - server_before) / len(pool) * 1000)
    _row("`POST /api/v1/nominations/{id}/transitions`", statements, runs, server_runs)
    reset(warm + pool)


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

    def read() -> float:
        return sum(process_cpu(pid) for pid in postgres_pids(url.database))

    return read


if __name__ == "__main__":
    raise SystemExit(main())
