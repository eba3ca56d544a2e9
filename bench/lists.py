#!/usr/bin/env python3
"""Every list page and API list (except the nominations list and detail, see bench/run.py) at 100k nominations / 1M
audit events, timed in process through the Flask test client as the roles that read them see them: page 1 and a
deep page, each filter of the audit trail, the home page's cards and the reports.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/lists.py --reset
    DATABASE_URL=... .venv/bin/python bench/lists.py --reuse          # the data of an earlier run, timings only
    .venv/bin/python bench/lists.py --nominations 10000 --audit-events 100000     # SQLite, quick

The data: `bench/run.py`'s `generate()` (units, people, users, campaigns, nominations with their history, the audit
trail as valid hash chains), then what a national deployment accumulates of the other objects, in proportion
(`extras()`): a council per department with members and sessions (agendas of real submitted dossiers), proposals
and decisions with their items, a story per recognised example, monthly introductions of every unit over three
years, and notifications — 10,000 in the inbox of one secretariat (several years of a busy department) and a few
hundred for everyone else.

Every case is requested `--rounds` times, the cases interleaved round by round (so noise spreads evenly); it
prints the median, the p95 and the SQL statements of one request, and marks the cases over the 50 ms budget.
Anchors in the same run: a Flask "hello world" through the same test client, and `GET /healthz` of the app.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from flask import Flask  # noqa: E402
from run import BATCH, generate  # noqa: E402
from sqlalchemy import event, func, insert, inspect, select, text, update  # noqa: E402

from models import (  # noqa: E402
    AgendaItem,
    Base,
    Campaign,
    Council,
    CouncilMember,
    CouncilSession,
    Decision,
    DecisionItem,
    MonthlyIntroduction,
    Nomination,
    Notification,
    Proposal,
    ProposalItem,
    Story,
    Unit,
    User,
    UserRole,
    make_engine,
    make_session_factory,
)
from web import create_app, migrate  # noqa: E402
from web.ops import gunicorn_conf  # noqa: E402
from workflow.administration import accounts  # noqa: E402

PASSWORD = "bench-password-1"
BUDGET_MS = 50.0
INBOX = 10_000  # notifications of the busiest secretariat


def _insert(conn, table, rows):
    for i in range(0, len(rows), BATCH):
        conn.execute(insert(table), rows[i:i + BATCH])


# ------------------------------------------------------------------------------------------------------ data
def extras(engine, seed: int) -> None:
    """The objects generate() leaves out, in the proportions a national deployment reaches (see the docstring)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    year = now.year
    with engine.begin() as conn:
        depts = [r[0] for r in conn.execute(select(Unit.id).where(Unit.kind == "department").order_by(Unit.id))]
        ministry = conn.scalar(select(Unit.id).where(Unit.kind == "ministry"))
        uid = conn.scalar(select(func.max(User.id)))
        users, roles = [], []

        def add_user(username, role_names, department_id, unit_id):
            nonlocal uid
            uid += 1
            users.append(dict(id=uid, username=username, password_hash="bench", full_name=username, email=None,
                              person_id=None, department_id=department_id, unit_id=unit_id, active=True,
                              created_at=now))
            roles.extend(dict(user_id=uid, role=r) for r in role_names)
            return uid

        admin = add_user("admin", ["admin"], None, None)
        add_user("botp", ["ministry_reviewer"], ministry, ministry)
        directors, editors, members = {}, {}, {}
        for d in depts:
            directors[d] = add_user(f"giamdoc{d}", ["director", "council_member"], d, d)
            editors[d] = add_user(f"bientap{d}", ["editor"], d, d)
            members[d] = [add_user(f"hoidong{d}_{i}", ["council_member"], d, d) for i in range(5)]
        _insert(conn, User.__table__, users)
        _insert(conn, UserRole.__table__, roles)
        secretariats = dict(conn.execute(
            select(User.department_id, User.id).join(UserRole).where(UserRole.role == "secretariat")).all())

        # Councils, members, sessions: 3 closed sessions a year for 3 years and one scheduled, per department; the
        # agendas hold submitted dossiers of the department (up to 40 each).
        councils, cmembers, sessions, items = [], [], [], []
        sid = iid = 0
        for c_id, d in enumerate(depts, start=1):
            councils.append(dict(id=c_id, department_id=d, name=f"Hội đồng Thi đua – Khen thưởng {d}", quorum=0.6667,
                                 pass_threshold=0.5, publicity_working_days=5))
            for fn, u in zip(["chu_tich", "pho_chu_tich", "thuong_truc", "uy_vien", "uy_vien", "uy_vien"],
                             [directors[d], *members[d]], strict=True):
                cmembers.append(dict(council_id=c_id, user_id=u, function=fn, active=True))
            submitted = [r[0] for r in conn.execute(
                select(Nomination.id).where(Nomination.department_id == d, Nomination.state == "submitted")
                .order_by(Nomination.id))]
            campaign = conn.scalar(select(Campaign.id).where(Campaign.department_id == d).order_by(Campaign.id))
            for k in range(10):
                sid += 1
                closed = k < 9
                day = dt.date(year - 2 + k // 3, 3 + 3 * (k % 3), 15) if closed else now.date() + dt.timedelta(days=20)
                sessions.append(dict(id=sid, council_id=c_id, department_id=d, campaign_id=campaign,
                                     title=f"Phiên họp {k + 1}", date=day, location="Hội trường",
                                     state="closed" if closed else "scheduled",
                                     closed_at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC) if closed else None,
                                     created_by_id=secretariats[d], created_at=now))
                for pos, n in enumerate(submitted[k * 40:(k + 1) * 40], start=1):
                    iid += 1
                    items.append(dict(id=iid, session_id=sid, nomination_id=n, position=pos,
                                      outcome="passed" if closed and pos % 3 else ("failed" if closed else None)))
        _insert(conn, Council.__table__, councils)
        _insert(conn, CouncilMember.__table__, cmembers)
        _insert(conn, CouncilSession.__table__, sessions)
        _insert(conn, AgendaItem.__table__, items)

        # Proposals (2 a year for 3 years per department, each with up to 30 proposed dossiers) and decisions
        # (co_so: 4 a year per department with 25 evaluated dossiers each; nganh: 6 a year by the Ministry).
        proposals, pitems, decisions, ditems = [], [], [], []
        pid = pi = did = di = 0
        minister = admin
        for d in depts:
            proposed = [r[0] for r in conn.execute(select(Nomination.id).where(
                Nomination.department_id == d, Nomination.state.in_(("proposed_nganh", "recognized")))
                .order_by(Nomination.id))]
            evaluated = [r[0] for r in conn.execute(select(Nomination.id).where(
                Nomination.department_id == d, Nomination.state.in_(("evaluated_co_so", "proposed_nganh",
                                                                     "recognized"))).order_by(Nomination.id))]
            campaign = conn.scalar(select(Campaign.id).where(Campaign.department_id == d).order_by(Campaign.id))
            for k in range(6):
                pid += 1
                y = year - 2 + k // 2
                submitted = dt.datetime(y, 6 + 5 * (k % 2), 1, tzinfo=dt.UTC)
                proposals.append(dict(id=pid, department_id=d, campaign_id=campaign, title=f"Tờ trình {k + 1}",
                                      state="submitted", year=y, seq=k % 2 + 1, number=f"{k % 2 + 1}/TTr-STP",
                                      date=submitted.date(), signer_id=directors[d], signer_title="Giám đốc",
                                      note="", created_by_id=secretariats[d], created_at=submitted,
                                      submitted_at=submitted))
                for pos, n in enumerate(proposed[k * 30:(k + 1) * 30], start=1):
                    pi += 1
                    pitems.append(dict(id=pi, proposal_id=pid, nomination_id=n, position=pos, live=True))
            for k in range(12):
                did += 1
                y = year - 2 + k // 4
                decisions.append(dict(id=did, level="co_so", issuer_id=d, doc_type="QD", year=y, seq=k % 4 + 1,
                                      number=f"{k % 4 + 1}/QĐ-STP", date=dt.date(y, 2 + 3 * (k % 4), 10),
                                      summary="Công nhận điển hình tiên tiến", signer_id=directors[d],
                                      signer_title="Giám đốc", signed_as_deputy=False, created_at=now))
                for n in evaluated[k * 25:(k + 1) * 25]:
                    di += 1
                    ditems.append(dict(id=di, decision_id=did, nomination_id=n))
        recognized = [r[0] for r in conn.execute(select(Nomination.id).where(Nomination.state == "recognized")
                                                 .order_by(Nomination.id))]
        for k in range(18):
            did += 1
            y = year - 2 + k // 6
            decisions.append(dict(id=did, level="nganh", issuer_id=ministry, doc_type="QD", year=y, seq=k % 6 + 1,
                                  number=f"{k % 6 + 1}/QĐ-BTP", date=dt.date(y, 1 + 2 * (k % 6), 20),
                                  summary="Công nhận điển hình tiên tiến ngành Tư pháp", signer_id=minister,
                                  signer_title="Bộ trưởng", signed_as_deputy=False, created_at=now))
            for n in recognized[k * 100:(k + 1) * 100]:
                di += 1
                ditems.append(dict(id=di, decision_id=did, nomination_id=n))
        _insert(conn, Proposal.__table__, proposals)
        _insert(conn, ProposalItem.__table__, pitems)
        _insert(conn, Decision.__table__, decisions)
        _insert(conn, DecisionItem.__table__, ditems)

        # A story per recognised example (published for most), by the department's editor.
        stories = []
        for k, (n, d) in enumerate(conn.execute(select(Nomination.id, Nomination.department_id).where(
                Nomination.state.in_(("evaluated_co_so", "recognized"))).order_by(Nomination.id)), start=1):
            t = now - dt.timedelta(hours=k)
            published = k % 5 != 0
            stories.append(dict(id=k, department_id=d, nomination_id=n, title=f"Gương điển hình {k}",
                                summary="Tóm tắt", body_html="<p>Nội dung</p>", channel="portal",
                                state="published" if published else "draft", version=1, author_id=editors[d],
                                published_by_id=editors[d] if published else None,
                                published_at=t if published else None, created_at=t, updated_at=t))
        _insert(conn, Story.__table__, stories)

        # Monthly introductions: each unit introduces one example a month for three years.
        examples: dict[int, list[int]] = {}
        for n, u in conn.execute(select(Nomination.id, Nomination.unit_id).where(
                Nomination.state.in_(("evaluated_co_so", "recognized")))):
            examples.setdefault(u, []).append(n)
        intros, mid = [], 0
        unit_dept = dict(conn.execute(select(Unit.id, Unit.department_id).where(Unit.kind != "ministry")).all())
        intro_cols = {c.name for c in MonthlyIntroduction.__table__.columns}
        for u, noms in examples.items():
            for m in range(36):
                y, mo = year - 3 + (m // 12), m % 12 + 1
                month = dt.date(y, mo, 1)
                mid += 1
                row = dict(id=mid, department_id=unit_dept[u], unit_id=u, month=month,
                           nomination_id=noms[m % len(noms)], introduced_on=month + dt.timedelta(days=5),
                           created_by_id=admin, created_at=now)
                for col in MonthlyIntroduction.__table__.columns:
                    if col.name not in row and not col.nullable and col.default is None and not col.primary_key:
                        row[col.name] = "bench" if "VARCHAR" in str(col.type) or "TEXT" in str(col.type) else 0
                intros.append({k: v for k, v in row.items() if k in intro_cols})
        _insert(conn, MonthlyIntroduction.__table__, intros)

        # Notifications: a busy secretariat's inbox of INBOX, 200 for every other user; a tenth unread.
        busiest = conn.scalar(select(Nomination.department_id).group_by(Nomination.department_id)
                              .order_by(func.count().desc()).limit(1))
        notes, nid = [], 0
        all_users = [r[0] for r in conn.execute(select(User.id))]
        for u in all_users:
            count = INBOX if u == secretariats[busiest] else 200
            for k in range(count):
                nid += 1
                t = now - dt.timedelta(minutes=10 * (count - k))
                notes.append(dict(id=nid, user_id=u, kind="nomination.submitted", title=f"Hồ sơ số {k} đã trình",
                                  body="Hồ sơ đã được trình Hội đồng.", link=f"/nominations/{k + 1}",
                                  object_type="nomination", object_id=k + 1, created_at=t,
                                  read_at=None if k % 10 == 0 else t))
            if len(notes) >= BATCH:
                _insert(conn, Notification.__table__, notes)
                notes = []
        _insert(conn, Notification.__table__, notes)

        if engine.dialect.name == "postgresql":
            for table in ("users", "councils", "council_members", "council_sessions", "agenda_items", "proposals",
                          "proposal_items", "decisions", "decision_items", "stories", "monthly_introductions",
                          "notifications"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


# ------------------------------------------------------------------------------------------------------ cases
def who(session) -> dict[str, str]:
    """Usernames of the readers: each role of the busiest department (its lists are the longest)."""
    dept = session.scalar(select(Nomination.department_id).group_by(Nomination.department_id)
                          .order_by(func.count().desc()).limit(1))
    unit = session.scalar(select(Nomination.unit_id).where(Nomination.department_id == dept)
                          .group_by(Nomination.unit_id).order_by(func.count().desc()).limit(1))

    def by_role(role, **where):
        stmt = select(User.username).join(UserRole).where(UserRole.role == role)
        for k, v in where.items():
            stmt = stmt.where(getattr(User, k) == v)
        return session.scalar(stmt.order_by(User.id).limit(1))

    return {"admin": "admin", "auditor": by_role("auditor"), "ministry": by_role("ministry_reviewer"),
            "secretariat": by_role("secretariat", department_id=dept),
            "director": by_role("director", department_id=dept),
            "editor": by_role("editor", department_id=dept), "unit_head": by_role("unit_head", unit_id=unit),
            "member": f"hoidong{dept}_0"}


def cases(session) -> list[tuple[str, str, str, str]]:
    """(role, kind, label, url): kind "page" (session cookie) or "api" (bearer token); "{deep}" in a url is replaced
    by the last page, found from page 1's total."""
    max_id = session.scalar(select(func.max(text("id"))).select_from(text("audit_events")))
    mid = max_id // 2
    busy_actor = session.scalar(text("SELECT actor_id FROM audit_events GROUP BY actor_id ORDER BY count(*) DESC "
                                     "LIMIT 1"))
    obj = session.scalar(text("SELECT object_id FROM audit_events WHERE object_type = 'nomination' "
                              f"AND id > {mid} ORDER BY id LIMIT 1"))
    busy_username = session.scalar(select(User.username).where(User.id == busy_actor))
    today = dt.date.today()
    month_ago = (today - dt.timedelta(days=30)).isoformat()
    day = (today - dt.timedelta(days=365)).isoformat()
    out = []
    roles = ("unit_head", "secretariat", "director", "member", "editor", "ministry", "auditor", "admin")
    for role in roles:
        out.append((role, "page", f"home / ({role})", "/"))
    # Audit trail: the API with each filter, page 1 and a deep page; the review page (keyset) likewise.
    audit_filters = {
        "no filter": "",
        "action=nomination.transition": "action=nomination.transition",
        "action=nomination. (family)": "action=nomination.",
        f"actor={busy_actor}": f"actor={busy_actor}",
        f"actor={busy_username}": f"actor={busy_username}",
        "object nomination": f"object_type=nomination&object_id={obj}",
        "object_type=nomination": "object_type=nomination",
        "since a month": f"since={month_ago}",
        f"one day {day}": f"since={day}&until={day}",
    }
    for label, qs in audit_filters.items():
        sep = "&" if qs else ""
        out.append(("auditor", "api", f"audit {label} p1", f"/api/v1/audit?{qs}"))
        out.append(("auditor", "api", f"audit {label} deep", f"/api/v1/audit?{qs}{sep}page={{deep}}"))
    out.append(("auditor", "api", "audit page=5000", "/api/v1/audit?page=5000"))
    out.append(("auditor", "api", "audit checkpoints", "/api/v1/audit/checkpoints"))
    page_filters = {"no filter": "", "action=nomination.transition": "action=nomination.transition",
                    f"actor={busy_actor}": f"actor={busy_actor}", "outcome=refused": "outcome=refused",
                    "object_type=nomination": "object_type=nomination"}
    for label, qs in page_filters.items():
        sep = "&" if qs else ""
        out.append(("auditor", "page", f"/audit {label}", f"/audit?{qs}"))
        out.append(("auditor", "page", f"/audit {label} keyset mid", f"/audit?{qs}{sep}before_id={mid}"))
    # Inbox.
    out += [("secretariat", "page", "/notifications p1", "/notifications"),
            ("secretariat", "page", "/notifications deep", "/notifications?page={deep}"),
            ("secretariat", "api", "notifications p1", "/api/v1/notifications"),
            ("secretariat", "api", "notifications deep", "/api/v1/notifications?page={deep}"),
            ("secretariat", "api", "notifications unread deep", "/api/v1/notifications?unread=true&page={deep}")]
    # Organisation and accounts.
    out += [("admin", "page", "/admin/people p1", "/admin/people"),
            ("admin", "page", "/admin/people deep", "/admin/people?page={deep}"),
            ("admin", "page", "/admin/people q=hung", "/admin/people?q=hung"),
            ("admin", "page", "/admin/units", "/admin/units"),
            ("admin", "page", "/admin/units deep", "/admin/units?page={deep}"),
            ("admin", "page", "/admin/users", "/admin/users"),
            ("admin", "page", "/admin/users deep", "/admin/users?page={deep}"),
            ("admin", "page", "/admin/campaigns", "/admin/campaigns"),
            ("admin", "api", "people p1", "/api/v1/people"),
            ("admin", "api", "people deep", "/api/v1/people?page={deep}"),
            ("admin", "api", "people q=nguyen", "/api/v1/people?q=nguyen"),
            ("secretariat", "api", "people (dept) deep", "/api/v1/people?page={deep}"),
            ("admin", "api", "units p1", "/api/v1/units"), ("admin", "api", "units deep", "/api/v1/units?page={deep}"),
            ("admin", "api", "campaigns", "/api/v1/campaigns"),
            ("secretariat", "api", "campaigns (dept)", "/api/v1/campaigns"),
            ("secretariat", "api", "me/tokens", "/api/v1/me/tokens")]
    # Council, proposals, decisions.
    out += [("secretariat", "page", "/council/sessions", "/council/sessions"),
            ("director", "api", "council-sessions", "/api/v1/council-sessions"),
            ("auditor", "api", "council-sessions (all)", "/api/v1/council-sessions?page={deep}"),
            ("admin", "api", "councils", "/api/v1/councils"),
            ("secretariat", "page", "/proposals", "/proposals"),
            ("ministry", "page", "/ministry", "/ministry"),
            ("ministry", "api", "proposals (all)", "/api/v1/proposals"),
            ("ministry", "api", "proposals deep", "/api/v1/proposals?page={deep}"),
            ("director", "page", "/decisions", "/decisions"),
            ("ministry", "page", "/decisions (all)", "/decisions"),
            ("ministry", "api", "decisions (all) deep", "/api/v1/decisions?page={deep}"),
            ("director", "api", "decisions", "/api/v1/decisions")]
    # Propagation and reports.
    out += [("editor", "page", "/stories", "/stories"), ("editor", "page", "/stories deep", "/stories?page={deep}"),
            ("editor", "api", "stories", "/api/v1/stories"),
            ("auditor", "api", "stories (all) deep", "/api/v1/stories?page={deep}"),
            (None, "page", "/showcase (public)", "/showcase"),
            (None, "page", "/showcase deep (public)", "/showcase?page={deep}"),
            ("secretariat", "page", "/reports", "/reports"), ("ministry", "page", "/reports (all)", "/reports"),
            ("secretariat", "api", "reports/summary", "/api/v1/reports/summary"),
            ("ministry", "api", "reports/summary (all)", "/api/v1/reports/summary"),
            ("secretariat", "page", "/reports/monthly-introductions", "/reports/monthly-introductions"),
            ("ministry", "api", "monthly-introductions (all)", "/api/v1/reports/monthly-introductions"),
            ("secretariat", "page", "/reports/themes", "/reports/themes")]
    return out


def compact_counts(engine) -> None:
    """The audit trail's counts (`audit_counts`) as production keeps them. Their trigger updates a counter row per
    appended event; the generator appends in batches of 10,000 events per transaction, so each counter row leaves
    dozens of versions no one can prune before the batch commits, and PostgreSQL's table ends ~65 times its size
    (9,789 pages for 15,501 rows at 1M events, against 152 compacted). VACUUM marks that space free but keeps it, and
    the trail's pages read the whole table for their totals: 35 ms a page instead of 15 (bench/README.md, "Thirteenth
    increment"). In production an append is one event per transaction and page pruning reclaims each dead version as
    the next update arrives. SQLite updates in place."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM FULL audit_counts"))


# ------------------------------------------------------------------------------------------------------ timing
class StatementCounter:
    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.n += 1


def sessions_of(engine):
    return make_session_factory(engine)


def hello_app():
    app = Flask("hello")

    @app.route("/")
    def index():
        return "Hello, World!"
    return app


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nominations", type=int, default=100_000)
    p.add_argument("--audit-events", type=int, default=1_000_000)
    p.add_argument("--departments", type=int, default=20)
    p.add_argument("--units", type=int, default=12)
    p.add_argument("--people", type=int, default=40)
    p.add_argument("--seed", type=int, default=20240501)
    p.add_argument("--rounds", type=int, default=20, help="requests per case, interleaved round by round")
    p.add_argument("--url", default=os.environ.get("DATABASE_URL"))
    p.add_argument("--reset", action="store_true", help="drop every table of a non-empty database first")
    p.add_argument("--reuse", action="store_true", help="time the data already in the database (no generation)")
    p.add_argument("--only", default="", help="only the cases whose label contains this text")
    p.add_argument("--json", default="", help="write the results to this file")
    args = p.parse_args(argv)

    url = args.url or f"sqlite:///{Path('/tmp') / 'dienhinh-bench-lists.db'}"
    engine = make_engine(url)
    app = create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    existing = set(inspect(engine).get_table_names())
    if not args.reuse:
        if existing:
            if not args.reset:
                print(f"{url}: not empty; --reset to drop it, --reuse to time it", file=sys.stderr)
                return 2
            with engine.begin() as conn:
                Base.metadata.drop_all(conn)
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        t0 = time.perf_counter()
        migrate.upgrade(engine)
        generate(engine, args)
        extras(engine, args.seed)
        compact_counts(engine)
        print(f"generated in {time.perf_counter() - t0:.0f} s", flush=True)
    else:
        if "nominations" not in existing:
            print(f"{url}: nothing to reuse; run without --reuse first", file=sys.stderr)
            return 2
        migrate.upgrade(engine)  # new indexes of this branch on old data
        with sessions_of(engine)() as s:
            has_extras = s.scalar(select(func.count()).select_from(Council)) > 0
        if not has_extras:  # generated by bench/run.py's generate() alone
            extras(engine, args.seed)
    if engine.dialect.name == "postgresql":  # as autovacuum keeps a live database; SQLite's planner runs without
        # statistics in production (the application never runs ANALYZE), so it is timed without them too
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))

    sessions = sessions_of(engine)
    with sessions() as s:
        readers = who(s)
        all_cases = [c for c in cases(s) if args.only in c[2]]
        pw = accounts.hash_password(PASSWORD)
        tokens = {}
        for role, username in readers.items():
            user = s.scalar(select(User).where(User.username == username))
            s.execute(update(User).where(User.id == user.id).values(password_hash=pw))
            tokens[role] = accounts.issue_token(s, user, name="bench")
        s.commit()
    print(f"database: {engine.url.render_as_string(hide_password=True)}; readers: {readers}", flush=True)

    clients = {}
    for role, username in readers.items():
        c = app.test_client()
        r = c.post("/login", data={"username": username, "password": PASSWORD})
        assert r.status_code in (302, 303), (role, r.status_code)
        clients[role] = c
    clients[None] = app.test_client()
    counter = StatementCounter(engine)
    # What a gunicorn worker does once it has loaded the application (`web.ops.gunicorn_conf.post_worker_init`): the
    # heap of this process then (the app, and what generating the data left) is frozen, out of the collector's sight.
    gunicorn_conf.post_worker_init(None)

    def request(role, kind, url):
        c = clients[role]
        headers = {"Authorization": f"Bearer {tokens[role]}"} if kind == "api" else {}
        return c.get(url, headers=headers)

    # Resolve the deep pages: the last page, from the total of page 1 of the list's API (a page's API twin).
    twins = {"/notifications": "/api/v1/notifications", "/admin/people": "/api/v1/people",
             "/admin/units": "/api/v1/units", "/stories": "/api/v1/stories"}
    resolved = []
    for role, kind, label, url in all_cases:
        if "{deep}" in url:
            path, _, query = url.partition("?")
            twin = path if kind == "api" else twins.get(path)
            last = 50  # pages without an API twin (users, showcase): a page well past the first
            if twin and role is not None:
                query1 = query.replace("page={deep}", "page=1")
                body = request(role, "api", f"{twin}?{query1}").get_json(silent=True) or {}
                if body.get("total"):
                    last = max(1, math.ceil(body["total"] / (body.get("per_page") or 20)))
            url = url.replace("{deep}", str(last))
        resolved.append((role, kind, label, url))

    hello = hello_app().test_client()
    samples: dict[str, list[float]] = {"hello world (Flask, test client)": [], "GET /healthz": []}
    statements, statuses = {}, {}
    for label in [c[2] for c in resolved]:
        samples[f"{label}"] = []
    for r in range(args.rounds + 1):  # the first round warms up
        t0 = time.perf_counter()
        hello.get("/")
        if r:
            samples["hello world (Flask, test client)"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        clients[None].get("/healthz")
        if r:
            samples["GET /healthz"].append((time.perf_counter() - t0) * 1000)
        for role, kind, label, url in resolved:
            before = counter.n
            t0 = time.perf_counter()
            resp = request(role, kind, url)
            ms = (time.perf_counter() - t0) * 1000
            statements[label] = counter.n - before
            statuses[label] = resp.status_code
            if r:
                samples[label].append(ms)
        if not r:  # what a worker does once past its first requests (`gunicorn_conf.post_request`): every case
            gunicorn_conf.freeze_heap()  # has run once, so what the pages build to last is built, and frozen too

    def p95(xs):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, math.ceil(0.95 * len(xs)) - 1)]

    hello_med = statistics.median(samples["hello world (Flask, test client)"])
    print(f"\n{'case':<56} {'role':<12} {'median':>8} {'p95':>8} {'x hello':>8} {'SQL':>4} status")
    results = []
    for role, _, label, url in [(None, "", "hello world (Flask, test client)", "/"),
                                   (None, "", "GET /healthz", "/healthz"), *resolved]:
        med, hi = statistics.median(samples[label]), p95(samples[label])
        flag = "  OVER" if hi > BUDGET_MS else ""
        print(f"{label[:56]:<56} {role or '-':<12} {med:8.1f} {hi:8.1f} {med / hello_med:8.0f} "
              f"{statements.get(label, 0):4d} {statuses.get(label, 200)}{flag}", flush=True)
        results.append(dict(case=label, role=role, url=url, median_ms=round(med, 2), p95_ms=round(hi, 2),
                            statements=statements.get(label), status=statuses.get(label, 200)))
    over = [r for r in results if r["p95_ms"] > BUDGET_MS]
    print(f"\n{len(over)} of {len(results) - 2} cases over {BUDGET_MS:.0f} ms at p95 ({engine.dialect.name}, "
          f"{args.rounds} rounds)")
    if args.json:
        Path(args.json).write_text(json.dumps({"backend": engine.dialect.name, "results": results}, indent=1,
                                              ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
