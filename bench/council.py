#!/usr/bin/env python3
"""The council's heavy moments, in process: closing a session of 500 agenda items x 25 members who have all voted,
and casting one vote, each through the real service with its audit and notification receivers and a COMMIT, beside
the raw SQL floor of the same work (run in the same process, interleaved round by round).

    .venv/bin/python bench/council.py                                   # SQLite in a temporary file
    .venv/bin/python bench/council.py --url postgresql://postgres@127.0.0.1:5432/bench --reset
    .venv/bin/python bench/run.py --council ...                         # the same, from the main benchmark

The database is built with the real migrations and the demo department (workflow.administration.demo), plus council
members up to --members and --items submitted individual nominations per session (bulk-inserted). Each session is
scheduled, given its agenda, published, its attendance taken and opened through the services; the votes are then
written as the votes would leave them (a receipt per member and item, the choice sealed in one of the item's slots),
so building a round does not take 12,500 service calls. Items get a share of agreeing votes drawn per item, so some
pass, some fail (and are rejected through the nominations service) and, with the campaign's quota, some exceed it.

Figures: median (and spread min..max) in milliseconds over --rounds; each round closes a fresh session with the
service, and another with raw statements (the floor: read and open the slots, write the tallies, the anonymous
ballots, the rejections with their history and audit rows, the session; commit). Not part of `make test`.
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import datetime as dt
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import bindparam, delete, event, func, insert, inspect, select, text, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from models import (  # noqa: E402
    AgendaItem,
    AnonymousBallot,
    BallotReceipt,
    BallotSlot,
    Base,
    Campaign,
    Council,
    CouncilMember,
    CouncilSession,
    Nomination,
    Person,
    StateChange,
    Unit,
    User,
    UserRole,
    fold,
    make_engine,
    make_session_factory,
)
from notifications import audit as audit_trail  # noqa: E402
from web import create_app, migrate  # noqa: E402
from workflow.administration import accounts  # noqa: E402
from workflow.administration import demo as demo_data  # noqa: E402
from workflow.council import (
    ballots,  # noqa: E402
    scheduling,  # noqa: E402
)
from workflow.council import operations as council  # noqa: E402
from workflow.policy import actor_for  # noqa: E402

NOW = dt.datetime.now(dt.UTC)
UNITS = ("VP", "TTR", "PBGDPL", "HCTP", "XDKT", "TGPL", "PTP-LX", "PTP-CD")


class Counter:
    """Statements sent to the database while `active` (a cursor event: what the server sees)."""

    def __init__(self, engine):
        self.count, self.active, self.texts, self.keep = 0, False, collections.Counter(), False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_a, **_k):
        if self.active:
            self.count += 1
            if self.keep:
                self.texts[" ".join(statement.split())[:110]] += 1


# ------------------------------------------------------------------------------------------------------ data
class World:
    def __init__(self, engine, args):
        self.engine, self.args = engine, args
        self.sessions = make_session_factory(engine)
        self.rnd = random.Random(args.seed)
        with self.sessions() as s:
            demo_data.seed(s, "bench-pass-123")
            s.commit()
            self.dept = s.scalar(select(Unit.id).where(Unit.code == "STP"))
            self.units = {code: s.scalar(select(Unit.id).where(Unit.code == code)) for code in UNITS}
            self.council_id = s.scalar(select(Council.id).where(Council.department_id == self.dept))
            # No publicity period, to open at once: below the legal minimum, which the benchmark lowers to 0.
            scheduling.configure_publicity_minimum(0)
            s.execute(update(Council).where(Council.id == self.council_id).values(publicity_working_days=0))
            self.user = {name: s.scalar(select(User.id).where(User.username == name))
                         for name in ("giamdoc", "vanphong")}
            have = s.scalar(select(func.count()).select_from(CouncilMember)
                            .where(CouncilMember.council_id == self.council_id, CouncilMember.active.is_(True)))
            first = (s.scalar(select(func.max(User.id))) or 0) + 1
            extra = list(range(first, first + max(0, args.members - have)))
            unit_ids = list(self.units.values())
            s.execute(insert(User), [dict(id=u, username=f"hoidong_b{u}", password_hash="bench",
                                          full_name=f"Thành viên {u}", department_id=self.dept,
                                          unit_id=unit_ids[k % len(unit_ids)], active=True)
                                     for k, u in enumerate(extra)])
            s.execute(insert(UserRole), [dict(user_id=u, role="council_member") for u in extra])
            s.execute(insert(CouncilMember), [dict(council_id=self.council_id, user_id=u, function="uy_vien",
                                                   active=True) for u in extra])
            self.members = list(s.scalars(select(CouncilMember.user_id).where(
                CouncilMember.council_id == self.council_id, CouncilMember.active.is_(True))))
            s.commit()
        self.next_person = 0

    def nominations(self, s, campaign_id: int, count: int) -> list[int]:
        """`count` submitted individual nominations of new people spread over the department's units."""
        unit_ids = list(self.units.values())
        first_person = (s.scalar(select(func.max(Person.id))) or 0) + 1
        first_nom = (s.scalar(select(func.max(Nomination.id))) or 0) + 1
        people, noms, history = [], [], []
        for k in range(count):
            pid, nid, unit = first_person + k, first_nom + k, unit_ids[k % len(unit_ids)]
            name = f"Người {pid}"
            people.append(dict(id=pid, full_name=name, sort_key=fold(name), search_text=fold(name), unit_id=unit,
                               position="Chuyên viên", employment_type="cong_chuc", is_unit_head=False, active=True))
            noms.append(dict(id=nid, campaign_id=campaign_id, department_id=self.dept, unit_id=unit,
                             subject_type="individual", subject_person_id=pid, subject_key=f"p:{pid}",
                             title=f"{name} — điển hình", achievements="Thành tích", initiatives="", state="submitted",
                             version=1, search_text=fold(f"{name} điển hình"), created_at=NOW, updated_at=NOW))
            history.append(dict(nomination_id=nid, version=1, action="create", from_state=None, to_state="submitted",
                                comment="", data={}, created_at=NOW))
        s.execute(insert(Person), people)
        s.execute(insert(Nomination), noms)
        s.execute(insert(StateChange), history)
        return [n["id"] for n in noms]

    def open_session(self, *, voted: bool = True) -> int:
        """A session of --items new nominations, opened through the services, every present member having voted
        (when `voted`). Committed; returns its id."""
        items = self.args.items
        with self.sessions() as s:
            cid = s.execute(insert(Campaign).values(
                department_id=self.dept, name=f"Phong trào {self.rnd.random():.6f}", kind="annual",
                start_date=NOW.date() - dt.timedelta(days=200), end_date=NOW.date() + dt.timedelta(days=100),
                registration_deadline=NOW.date(), allows_collective=True, allows_individual=True,
                quota_individual=int(items * 0.6), created_at=NOW).returning(Campaign.id)).scalar_one()
            ids = self.nominations(s, cid, items)
            s.commit()
            sec = actor_for(s, s.get(User, self.user["vanphong"]))
            director = actor_for(s, s.get(User, self.user["giamdoc"]))
            cs = council.schedule(s, sec, title="Phiên họp (benchmark)", date=NOW.date() + dt.timedelta(days=1),
                                  campaign_id=cid)
            council.set_agenda(s, sec, cs.id, ids)
            council.publish(s, sec, cs.id, now=NOW)
            council.record_attendance(s, sec, cs.id, list(self.members))
            council.open_session(s, director, cs.id, now=NOW)
            sid = cs.id
            s.commit()
            if voted:
                self._vote_all(s, cs)
                s.commit()
        return sid

    def _vote_all(self, s, cs: CouncilSession) -> None:
        members = [m for m in council.active_members(s, cs.council)]
        slots: dict[int, list[str]] = {}
        for item_id, key in s.execute(select(BallotSlot.item_id, BallotSlot.key).join(AgendaItem)
                                      .where(AgendaItem.session_id == cs.id)):
            slots.setdefault(item_id, []).append(key)
        receipts, sealed = [], []
        for item in cs.items:
            voters = [m.user_id for m in members if council.recusal_reason(m.user, item.nomination) is None]
            agree_p = self.rnd.choice((0.95, 0.9, 0.8, 0.75, 0.5, 0.3))
            keys = slots[item.id]
            for k, user_id in enumerate(voters):
                r = self.rnd.random()
                choice = "agree" if r < agree_p else ("disagree" if r < agree_p + (1 - agree_p) / 2 else "abstain")
                receipts.append(dict(item_id=item.id, member_user_id=user_id))
                sealed.append(dict(k=keys[k], sealed=ballots.seal_slot(item.id, keys[k], choice)))
        s.execute(insert(BallotReceipt), receipts)
        t = BallotSlot.__table__
        s.execute(update(t).where(t.c.key == bindparam("k")).values(sealed=bindparam("sealed")), sealed)


# ------------------------------------------------------------------------------------------------------ measures
def service_close(world: World, sid: int) -> None:
    with world.sessions() as s:
        director = actor_for(s, s.get(User, world.user["giamdoc"]))
        council.close_session(s, director, sid)
        s.commit()


def raw_close(world: World, sid: int) -> None:
    """The floor: the same rows written with plain statements and no checks beyond opening the ballots (the
    rejections' outcome is taken as "the items below 70%", their audit rows appended one multi-row chain step)."""
    with world.engine.connect() as conn, conn.begin():
        conn.execute(select(CouncilSession.id).where(CouncilSession.id == sid).with_for_update())
        rows = conn.execute(select(AgendaItem.id, AgendaItem.nomination_id, Nomination.version)
                            .join(Nomination, Nomination.id == AgendaItem.nomination_id)
                            .where(AgendaItem.session_id == sid).order_by(Nomination.id).with_for_update()).all()
        counts = {i: {"agree": 0, "disagree": 0, "abstain": 0} for i, _, _ in rows}
        opened = []
        for item_id, key, sealed in conn.execute(select(BallotSlot.item_id, BallotSlot.key, BallotSlot.sealed)
                                                 .join(AgendaItem).where(AgendaItem.session_id == sid)):
            choice = ballots.open_slot(item_id, key, sealed)
            if choice != ballots.EMPTY:
                counts[item_id][choice] += 1
                opened.append({"item_id": item_id, "choice": choice})
        if conn.dialect.name == "postgresql":  # one statement, as the service does
            conn.execute(text("INSERT INTO anonymous_ballots (item_id, choice) SELECT * FROM "
                              "unnest(CAST(:i AS integer[]), CAST(:c AS varchar[]))"),
                         {"i": [o["item_id"] for o in opened], "c": [o["choice"] for o in opened]})
        else:
            conn.execute(insert(AnonymousBallot.__table__), opened)
        conn.execute(delete(BallotSlot).where(BallotSlot.item_id.in_([r[0] for r in rows])))
        t = AgendaItem.__table__
        outcome = {i: "passed" if c["agree"] >= 0.7 * len(world.members) else "failed" for i, c in counts.items()}
        conn.execute(update(t).where(t.c.id == bindparam("i")).values(
            agree=bindparam("a"), disagree=bindparam("d"), abstain=bindparam("b"), outcome=bindparam("o")),
            [{"i": i, "a": c["agree"], "d": c["disagree"], "b": c["abstain"], "o": outcome[i]}
             for i, c in counts.items()])
        failed = [(nid, v) for i, nid, v in rows if outcome[i] == "failed"]
        n = Nomination.__table__
        if failed:
            conn.execute(update(n).where(n.c.id == bindparam("i"), n.c.version == bindparam("v")).values(
                state="not_recognized", version=bindparam("v2")),
                [{"i": nid, "v": v, "v2": v + 1} for nid, v in failed])
            conn.execute(insert(StateChange), [dict(nomination_id=nid, version=v + 1, action="reject_co_so",
                                                    from_state="submitted", to_state="not_recognized", comment="x",
                                                    data={}, created_at=NOW) for nid, v in failed])
        conn.execute(update(CouncilSession).where(CouncilSession.id == sid).values(state="closed", closed_at=NOW))
        with Session(bind=conn) as s:  # the chain's rows in one multi-row insert (the floor of a hash chain)
            chain = f"dept:{world.dept}"
            audit_trail.append_many(s, [audit_trail.Entry("nomination.reject_co_so", chain, object_type="nomination",
                                                          object_id=nid, data={"x": 1}) for nid, _ in failed]
                                    + [audit_trail.Entry("council_session.closed", chain,
                                                         object_type="council_session", object_id=sid)])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--items", type=int, default=500)
    p.add_argument("--members", type=int, default=25)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--votes", type=int, default=30, help="timed votes per round")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--url", default=os.environ.get("DATABASE_URL"))
    p.add_argument("--reset", action="store_true")
    p.add_argument("--profile", choices=("close", "vote"),
                   help="cProfile the first close, or the service's votes (BENCH_SORT=tottime to sort by own time)")
    args = p.parse_args(argv)
    tmp = None
    url = args.url
    if not url:
        tmp = tempfile.mkdtemp(prefix="dienhinh-council-bench-")
        url = f"sqlite:///{tmp}/bench.db"
    engine = make_engine(url)
    if inspect(engine).get_table_names():
        if not args.reset:
            print(f"{url}: the database is not empty; pass --reset to drop its tables", file=sys.stderr)
            return 2
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "bench", "BALLOT_KEY": "bench-ballot-key"})
    migrate.upgrade(engine)
    return run(engine, args)


def run(engine, args) -> int:
    print(f"database: {engine.url.render_as_string(hide_password=True)} ({engine.dialect.name}); "
          f"{args.items} items x {args.members} members, {args.rounds} rounds")
    world = World(engine, args)
    counter = Counter(engine)
    close_ms, raw_ms, stmts, close_cpu, raw_cpu = [], [], [], [], []
    vote_ms, raw_vote_ms, vote_stmts, vote_cpu = [], [], [], []
    profiler = cProfile.Profile() if args.profile else None
    vote_sid = world.open_session(voted=False)
    with world.sessions() as s:
        vote_items = list(s.scalars(select(AgendaItem).where(AgendaItem.session_id == vote_sid)
                                    .order_by(AgendaItem.id)))
        voters = {m.user_id: m.user for m in council.active_members(s, s.get(Council, world.council_id))}
        pairs = [(u, i.nomination_id, i.id) for i in vote_items for u, user in voters.items()
                 if council.recusal_reason(user, i.nomination) is None]
    world.rnd.shuffle(pairs)
    with world.sessions() as s:  # the members' API tokens: a vote as the API's request makes it
        tokens = {u: accounts.issue_token(s, s.get(User, u), name="bench") for u in voters}
        s.commit()
    api_ms, api_cpu, api_stmts = [], [], []
    for r in range(args.rounds):
        sid, raw_sid = world.open_session(), world.open_session()
        order = [("service", sid), ("raw", raw_sid)]
        if r % 2:
            order.reverse()
        for kind, target in order:
            counter.count, counter.active = 0, True
            counter.keep = kind == "service" and r == 0 and args.profile != "vote"
            profiling = profiler and kind == "service" and args.profile == "close" and r == 0
            if profiling:
                profiler.enable()
            t0, c0 = time.perf_counter(), time.process_time()
            (service_close if kind == "service" else raw_close)(world, target)
            ms, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
            if profiling:
                profiler.disable()
            counter.active = counter.keep = False
            (close_ms if kind == "service" else raw_ms).append(ms)
            (close_cpu if kind == "service" else raw_cpu).append(cpu)
            if kind == "service":
                stmts.append(counter.count)
        # votes on the open vote session, service and raw alternating
        for _ in range(args.votes):
            user_id, nomination_id, item_id = pairs.pop()
            counter.count, counter.active, counter.keep = 0, True, args.profile == "vote"
            if profiler and args.profile == "vote":
                profiler.enable()
            t0, c0 = time.perf_counter(), time.process_time()
            with world.sessions() as s:
                member = actor_for(s, s.get(User, user_id))
                council.cast_vote(s, member, vote_sid, nomination_id=nomination_id, choice="agree")
                s.commit()
            vote_ms.append((time.perf_counter() - t0) * 1000)
            vote_cpu.append((time.process_time() - c0) * 1000)
            if profiler and args.profile == "vote":
                profiler.disable()
            counter.active = counter.keep = False
            vote_stmts.append(counter.count)
            # The same vote with the actor as an API request has it: its token's caller, one plain statement and no
            # ORM User (the request's own frame, its token-use note and the answer are bench/request_cpu.py's).
            user_id, nomination_id, item_id = pairs.pop()
            counter.count, counter.active = 0, True
            t0, c0 = time.perf_counter(), time.process_time()
            with world.sessions() as s:
                member = accounts.caller_for_token(s, tokens[user_id]).actor
                council.cast_vote(s, member, vote_sid, nomination_id=nomination_id, choice="agree")
                s.commit()
            api_ms.append((time.perf_counter() - t0) * 1000)
            api_cpu.append((time.process_time() - c0) * 1000)
            counter.active = False
            api_stmts.append(counter.count)
            user_id, nomination_id, item_id = pairs.pop()
            t0 = time.perf_counter()
            raw_vote(world, vote_sid, item_id, user_id)
            raw_vote_ms.append((time.perf_counter() - t0) * 1000)
        print(f"  round {r + 1}: close {close_ms[-1]:8.1f} ms ({stmts[-1]} statements), raw {raw_ms[-1]:8.1f} ms; "
              f"vote median {statistics.median(vote_ms[-args.votes:]):.2f} ms, raw "
              f"{statistics.median(raw_vote_ms[-args.votes:]):.2f} ms, with the API's caller "
              f"{statistics.median(api_ms[-args.votes:]):.2f} ms", flush=True)
    summary(close_ms, raw_ms, stmts, vote_ms, raw_vote_ms, vote_stmts, close_cpu, raw_cpu, vote_cpu,
            (api_ms, api_cpu, api_stmts))
    if args.profile:
        print(f"\n  statements of the {'votes' if args.profile == 'vote' else 'first service close'}, most frequent "
              "first:")
        for text_, n in counter.texts.most_common(12):
            print(f"  {n:6d}  {text_}")
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(45)
    return 0


def raw_vote(world: World, sid: int, item_id: int, user_id: int) -> None:
    """The floor of a vote: the session's shared lock, the item's lock, the receipt, the item's slots opened and
    every one re-sealed and rewritten (PostgreSQL: one UPDATE from two arrays, as the service does), the audit row;
    commit."""
    with world.engine.connect() as conn, conn.begin():
        lock = select(CouncilSession.id).where(CouncilSession.id == sid)
        conn.execute(lock.with_for_update(read=True) if world.engine.dialect.name == "postgresql" else lock)
        conn.execute(select(AgendaItem.id).where(AgendaItem.id == item_id).with_for_update())
        conn.execute(insert(BallotReceipt).values(item_id=item_id, member_user_id=user_id))
        rows = conn.execute(select(BallotSlot.key, BallotSlot.sealed).where(BallotSlot.item_id == item_id)).all()
        contents = {key: ballots.open_slot(item_id, key, sealed) for key, sealed in rows}
        empty = next(k for k, c in contents.items() if c == ballots.EMPTY)
        contents[empty] = "agree"
        resealed = [{"k": k, "sealed": ballots.seal_slot(item_id, k, c)} for k, c in contents.items()]
        if conn.dialect.name == "postgresql":  # one statement, as the service does
            conn.execute(text("UPDATE ballot_slots SET sealed = v.sealed FROM unnest(CAST(:k AS varchar[]), "
                              "CAST(:s AS varchar[])) AS v(key, sealed) WHERE ballot_slots.key = v.key"),
                         {"k": [r["k"] for r in resealed], "s": [r["sealed"] for r in resealed]})
        else:
            t = BallotSlot.__table__
            conn.execute(update(t).where(t.c.key == bindparam("k")).values(sealed=bindparam("sealed")), resealed)
        with Session(bind=conn) as s:
            audit_trail.append(s, action="council_session.vote_cast", chain=f"dept:{world.dept}",
                               object_type="council_session", object_id=sid, data={"nomination_id": item_id})


def _spread(values) -> str:
    return f"{statistics.median(values):8.1f} ({min(values):.1f}..{max(values):.1f})"


def summary(close_ms, raw_ms, stmts, vote_ms, raw_vote_ms, vote_stmts, close_cpu, raw_cpu, vote_cpu, api) -> None:
    ratio = [r / c for c, r in zip(close_ms, raw_ms, strict=True)]
    vratio = statistics.median(raw_vote_ms) / statistics.median(vote_ms)
    print(f"\n  {'measurement':<44} {'median (min..max) ms':>26}  {'CPU ms':>7}")
    print(f"  {'council close (service + commit)':<44} {_spread(close_ms):>26}  {statistics.median(close_cpu):7.1f}  "
          f"{statistics.median(stmts):.0f} statements")
    print(f"  {'council close, raw SQL floor':<44} {_spread(raw_ms):>26}  {statistics.median(raw_cpu):7.1f}")
    print(f"  {'close: floor / service (per round)':<44} {statistics.median(ratio):26.2f}")
    print(f"  {'vote (actor + cast_vote + commit)':<44} {_spread(vote_ms):>26}  {statistics.median(vote_cpu):7.2f}  "
          f"{statistics.median(vote_stmts):.0f} statements")
    api_ms, api_cpu, api_stmts = api
    print(f"  {'vote (API caller by token + cast_vote + commit)':<44} {_spread(api_ms):>26}  "
          f"{statistics.median(api_cpu):7.2f}  {statistics.median(api_stmts):.0f} statements")
    print(f"  {'vote, raw SQL floor':<44} {_spread(raw_vote_ms):>26}")
    print(f"  {'vote: floor / service':<44} {vratio:26.2f}")
    print(f"  {'vote: floor / service (API caller)':<44} "
          f"{statistics.median(raw_vote_ms) / statistics.median(api_ms):26.2f}")
    print("JSON " + json.dumps({"close_ms": statistics.median(close_ms), "close_raw_ms": statistics.median(raw_ms),
                               "close_cpu_ms": statistics.median(close_cpu),
                               "close_statements": statistics.median(stmts),
                               "vote_ms": statistics.median(vote_ms), "vote_raw_ms": statistics.median(raw_vote_ms),
                               "vote_cpu_ms": statistics.median(vote_cpu), "vote_api_ms": statistics.median(api_ms),
                               "vote_api_cpu_ms": statistics.median(api_cpu), "rounds_close_ms": close_ms,
                               "rounds_raw_ms": raw_ms}))


if __name__ == "__main__":
    sys.exit(main())
