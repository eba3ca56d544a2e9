"""A/B over HTTP: two checkouts served at once, loaded one at a time in alternating blocks, each block anchored on a
hello world run just before it; prints each round's ratio to hello world for both and their paired difference.

`bench/http_bench.py` runs one checkout; comparing two of them by running it twice put minutes between the runs, and on
this shared machine the ratio of one and the same checkout moved by ±10% from one run to the next (bench/README.md,
"Eleventh increment"). Here both servers are up for the whole run (each on its own working copy of the database, as
`http_bench.py` makes them), the order of A and B flips every round, and a change is read from the per-round
differences rather than from two medians taken minutes apart. Run A against A first: the spread of its differences is
the noise floor that a change must clear.

    python bench/ab_http.py --a /work/main --b /work/wt-X                       # the transition, 6 rounds
    python bench/ab_http.py --a /work/main --b /work/wt-X --only api_detail --rounds 10 --duration 3
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

import http_bench as hb

KINDS = ("api_list", "api_detail", "html_list", "transition")


def _serve(root: Path, kind: str, tmp: Path, workers: int) -> dict:
    args = hb.parse(["--root", str(root), "--sizes", "demo", "--only", kind])
    prep = hb.prepare(args, "demo")
    app = hb.start_app(root, prep["url"], tmp, workers)
    cookie = hb.login_cookie(app.base, prep["reader"], hb.PASSWORD) if kind == "html_list" else ""
    pool_file = tmp / "pool.txt"
    return {"args": args, "prep": prep, "app": app, "pool": pool_file,
            "target": hb.Target(kind, app.base, prep, cookie, pool_file)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--a", type=Path, required=True, help="checkout A (with its own .venv)")
    p.add_argument("--b", type=Path, required=True, help="checkout B (with its own .venv)")
    p.add_argument("--only", default="transition", choices=KINDS, help="the request kind (default: transition)")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--duration", type=float, default=4, help="seconds per block")
    p.add_argument("--hello", type=float, default=2, help="seconds of hello world before each block")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="dienhinh-ab-http-"))
    served: dict[str, dict] = {}
    hello = None
    ratios: dict[str, list[float]] = {"A": [], "B": []}
    load = (args.connections, args.threads, True)
    try:
        for name, root in (("A", args.a.resolve()), ("B", args.b.resolve())):
            (tmp / name).mkdir()
            served[name] = _serve(root, args.only, tmp / name, args.workers)
        hello = hb.start_hello(args.a.resolve(), tmp, args.workers)
        anchor = hb.Target("hello", hello.base, served["A"]["prep"], "", tmp / "none")
        anchor.load(1, *load)
        for s in served.values():  # warm: templates, caches, the pools' connections
            if args.only == "transition":
                hb.reset_pool(s["args"], s["prep"], s["pool"])
            s["target"].load(1, *load)
        for r in range(args.rounds):
            for name in ("AB" if r % 2 == 0 else "BA"):
                s = served[name]
                if args.only == "transition":
                    hb.reset_pool(s["args"], s["prep"], s["pool"])
                h = anchor.load(args.hello, *load)
                x = s["target"].load(args.duration, *load)
                ratios[name].append(x["rps"] / h["rps"])
                print(f"round {r + 1} {name}  {x['rps']:8.1f} req/s  hello {h['rps']:7.0f}  ratio "
                      f"{ratios[name][-1]:.4f}" + (f"  ({x['bad']} non-2xx!)" if x["bad"] else ""), flush=True)
    finally:
        for s in served.values():
            s["app"].stop()
        if hello is not None:
            hello.stop()
    for name in "AB":
        rs = ratios[name]
        print(f"{name}: ratio median {statistics.median(rs):.4f} ({min(rs):.4f}–{max(rs):.4f})")
    diffs = [b / a - 1 for a, b in zip(ratios["A"], ratios["B"], strict=True)]
    print("B ÷ A − 1 per round: " + " ".join(f"{d:+.1%}" for d in diffs)
          + f"; median {statistics.median(diffs):+.1%}, B ahead in {sum(d > 0 for d in diffs)} of {len(diffs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
