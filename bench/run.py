#!/usr/bin/env python3
"""Reproducible benchmark of the read and write paths that grow with the data.

    .venv/bin/python bench/run.py                                   # 100k nominations, 1M audit events, SQLite
    .venv/bin/python bench/run.py --nominations 10000 --audit-events 100000      # quick (< 1 minute)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/run.py --reset

It builds the schema with the real migrations (`web.migrate.upgrade`), bulk-loads a synthetic organisation
(departments → units → people, one secretariat per department, one unit head per unit, an auditor), campaigns,
N nominations with a consistent history and M audit events forming a valid hash chain, using Core
`executemany` inserts in batches; then it times, with fresh sessions as a request would have:

  (a) workflow.nominations.queries.list_nominations for a unit head, a secretariat and an auditor — page 1 and a deep
  page,
      with and without a `q` filter — and one nomination's detail (service.load + rules.evaluate +
      service.available_actions + its history, criteria, attachments, check-ins);
  (b) one service.transition (with the audit and notification receivers) against a raw UPDATE + INSERT of the
      same rows — rolled back, and committed; then `compare_transitions`: the service, the service with the actor's
      load, the raw floor of the same work (row lock, version check, UPDATE, history, hash-chained audit row,
      COMMIT) and SpiffWorkflow's persisted step (the `bench` extra; skipped when absent), interleaved in rounds,
      each reported as a ratio to the floor of its own round (`--only transition` runs just these);
  (c) workflow.reporting.audit_queries.list_audit_events filtered by actor and by object.

Medians (and p90) in milliseconds. The data is deterministic for a given --seed. Not part of `make test`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, inspect, select, text, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from models import (  # noqa: E402
    AuditChainHead,
    AuditEvent,
    Base,
    Campaign,
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
from models.base import json_text  # noqa: E402
from notifications import audit as audit_trail  # noqa: E402
from notifications.audit import GENESIS  # noqa: E402
from web import create_app, migrate  # noqa: E402
from workflow.nominations import (
    queries,  # noqa: E402
    rules,
    service,
)
from workflow.nominations.machine import stage_rank  # noqa: E402
from workflow.policy import actor_for  # noqa: E402

BATCH = 10_000
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hiền", "Hùng", "Hương", "Khoa", "Lan", "Linh", "Long",
         "Mai", "Nam", "Nhung", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Việt", "Yến"]
PHRASES = ["Điển hình tiên tiến trong công tác phổ biến, giáo dục pháp luật",
           "Gương điển hình trong cải cách hành chính tư pháp", "Điển hình trong công tác trợ giúp pháp lý",
           "Tập thể tiêu biểu trong xây dựng và kiểm tra văn bản", "Điển hình trong công tác hộ tịch, chứng thực",
           "Gương người tốt, việc tốt trong thi hành pháp luật"]
# A consistent history for each state: the triggers that lead there from "registered".
PATHS = {
    "registered": ["create"],
    "nurtured": ["create", "start_nurturing"],
    "submitted": ["create", "start_nurturing", "submit"],
    "evaluated_co_so": ["create", "start_nurturing", "submit", "recognize_co_so"],
    "proposed_nganh": ["create", "start_nurturing", "submit", "recognize_co_so", "propose_nganh"],
    "recognized": ["create", "start_nurturing", "submit", "recognize_co_so", "propose_nganh", "recognize_nganh"],
    "not_recognized": ["create", "start_nurturing", "submit", "reject_co_so"],
    "withdrawn": ["create", "withdraw"],
    "revoked": ["create", "start_nurturing", "submit", "recognize_co_so", "revoke"],
}
STATE_WEIGHTS = {"registered": 25, "nurtured": 25, "submitted": 12, "evaluated_co_so": 10, "proposed_nganh": 5,
                 "recognized": 6, "not_recognized": 6, "withdrawn": 9, "revoked": 2}
AUDIT_ACTIONS = ["nomination.create", "nomination.update", "nomination.transition", "nomination.attachment",
                 "auth.login", "nomination.refused"]


# ------------------------------------------------------------------------------------------------------ data
def _name(rnd: random.Random) -> str:
    return f"{rnd.choice(FAMILY)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}"


def _insert(conn, table, rows):
    for i in range(0, len(rows), BATCH):
        conn.execute(insert(table), rows[i:i + BATCH])


def generate(engine, args) -> dict:
    rnd = random.Random(args.seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    year = now.year
    D, U, P = args.departments, args.units, args.people
    info: dict = {}
    with engine.begin() as conn:
        # Units: the ministry, then D departments of U units each. Ids are assigned here to avoid round trips.
        units, uid = [], 0
        uid += 1
        units.append(dict(id=uid, code="BTP", name="Bộ Tư pháp", kind="ministry", parent_id=None, department_id=None,
                          place=None, active=True, search_text=fold("BTP Bộ Tư pháp")))
        ministry = uid
        dept_units: dict[int, list[int]] = {}
        unit_names: dict[int, str] = {}
        for d in range(1, D + 1):
            uid += 1
            dept = uid
            name = f"Sở Tư pháp số {d:02d}"
            units.append(dict(id=dept, code=f"STP{d:02d}", name=name, kind="department", parent_id=ministry,
                              department_id=dept, place=f"Tỉnh {d:02d}", active=True,
                              search_text=fold(f"STP{d:02d} {name}")))
            dept_units[dept] = []
            for u in range(1, U + 1):
                uid += 1
                kind = "division" if u <= U // 2 else "district_office"
                name = f"{'Phòng' if kind == 'division' else 'Phòng Tư pháp huyện'} {u:02d} — Sở {d:02d}"
                units.append(dict(id=uid, code=f"S{d:02d}U{u:02d}", name=name, kind=kind, parent_id=dept,
                                  department_id=dept, place=None, active=True,
                                  search_text=fold(f"S{d:02d}U{u:02d} {name}")))
                dept_units[dept].append(uid)
                unit_names[uid] = name
        _insert(conn, Unit.__table__, units)

        people, pid = [], 0
        unit_people: dict[int, list[int]] = {}
        person_names: dict[int, str] = {}
        for unit_ids in dept_units.values():
            for u in unit_ids:
                unit_people[u] = []
                for i in range(P):
                    pid += 1
                    full = _name(rnd)
                    folded = fold(full).split()
                    people.append(dict(id=pid, full_name=full, sort_key=" ".join(folded[-1:] + folded[:-1]),
                                       search_text=" ".join(folded), unit_id=u, position="Chuyên viên",
                                       employment_type="cong_chuc", is_unit_head=i == 0, email=None, active=True))
                    unit_people[u].append(pid)
                    person_names[pid] = full
        _insert(conn, Person.__table__, people)

        users, roles, usid = [], [], 0

        def add_user(username, role, department_id, unit_id, person_id=None):
            nonlocal usid
            usid += 1
            users.append(dict(id=usid, username=username, password_hash="bench", full_name=username, email=None,
                              person_id=person_id, department_id=department_id, unit_id=unit_id, active=True,
                              created_at=now))
            roles.append(dict(user_id=usid, role=role))
            return usid

        add_user("auditor", "auditor", None, None)
        secretariats, heads = {}, {}
        for dept, unit_ids in dept_units.items():
            secretariats[dept] = add_user(f"vanphong{dept}", "secretariat", dept, unit_ids[0])
            for u in unit_ids:
                heads[u] = add_user(f"tp{u}", "unit_head", dept, u, unit_people[u][0])
        _insert(conn, User.__table__, users)
        _insert(conn, UserRole.__table__, roles)
        user_names = {u["id"]: u["username"] for u in users}
        user_chains = {u["id"]: f"dept:{u['department_id']}" if u["department_id"] else "system" for u in users}

        # Campaigns: enough annual campaigns per department that every nomination has its own live subject.
        per_dept = math.ceil(args.nominations / D)
        subjects_per_dept = U * (P + 1)
        C = max(2, math.ceil(per_dept / subjects_per_dept) + 1)
        campaigns, cid = [], 0
        dept_campaigns: dict[int, list[int]] = {}
        for dept in dept_units:
            dept_campaigns[dept] = []
            for c in range(C):
                cid += 1
                y = year - c
                campaigns.append(dict(id=cid, department_id=dept, name=f"Điển hình tiên tiến năm {y}", kind="annual",
                                      legal_basis=None, start_date=dt.date(y, 1, 1), end_date=dt.date(y, 12, 31),
                                      registration_deadline=dt.date(y, 12, 31), evaluation_deadline=None,
                                      allows_collective=True, allows_individual=True, quota_collective=None,
                                      quota_individual=None, award_forms=None, created_at=now))
                dept_campaigns[dept].append(cid)
        _insert(conn, Campaign.__table__, campaigns)

        states, weights = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
        noms, changes, nid, scid = [], [], 0, 0
        depts = list(dept_units)
        for di, dept in enumerate(depts):
            count = args.nominations // D + (1 if di < args.nominations % D else 0)
            unit_ids = dept_units[dept]
            slots = len(dept_campaigns[dept]) * subjects_per_dept
            for slot in sorted(rnd.sample(range(slots), count)):
                c_idx, s_idx = divmod(slot, subjects_per_dept)
                u_idx, p_idx = divmod(s_idx, P + 1)
                unit = unit_ids[u_idx]
                if p_idx == P:
                    subject_type, person, key, subject = "collective", None, f"u:{unit}", unit_names[unit]
                else:
                    person = unit_people[unit][p_idx]
                    subject_type, key, subject = "individual", f"p:{person}", person_names[person]
                state = rnd.choices(states, weights)[0]
                path = PATHS[state]
                nid += 1
                created = now - dt.timedelta(minutes=rnd.randint(60, 60 * 24 * 700))
                title = f"{subject} — {rnd.choice(PHRASES)}"
                noms.append(dict(id=nid, campaign_id=dept_campaigns[dept][c_idx], department_id=dept, unit_id=unit,
                                 subject_type=subject_type, subject_person_id=person, subject_key=key, title=title,
                                 achievements="Thành tích nổi bật trong năm.", initiatives="", nurture_plan=None,
                                 state=state, version=len(path), search_text=fold(f"{title} {subject}")[:1000],
                                 created_by_id=heads[unit], created_at=created, updated_at=created))
                from_state = None
                for v, action in enumerate(path, start=1):
                    scid += 1
                    to_state = next(s for s, p in PATHS.items() if p == path[:v]) if v < len(path) else state
                    changes.append(dict(id=scid, nomination_id=nid, version=v, action=action, from_state=from_state,
                                        to_state=to_state, actor_id=heads[unit], on_behalf_of_id=None, comment="",
                                        data={}, created_at=created))
                    from_state = to_state
                noms[-1]["furthest_stage"] = max(stage_rank(c["to_state"]) for c in changes[-len(path):])
                if len(noms) >= BATCH:
                    _insert(conn, Nomination.__table__, noms)
                    _insert(conn, StateChange.__table__, changes)
                    noms, changes = [], []
        _insert(conn, Nomination.__table__, noms)
        _insert(conn, StateChange.__table__, changes)

        # Audit events: valid hash chains (one per department, the actor's), time-ordered.
        start = now - dt.timedelta(days=730)
        step = (730 * 86400) / max(1, args.audit_events)
        chain_heads, rows = {}, []
        user_ids = list(user_names)
        data = {"via": "web"}
        data_text = json_text(data)
        for i in range(1, args.audit_events + 1):
            actor = rnd.choice(user_ids)
            action = rnd.choice(AUDIT_ACTIONS)
            is_nom = action.startswith("nomination.")
            chain = user_chains[actor]
            seq, prev, _ = chain_heads.get(chain, (0, GENESIS, GENESIS))
            seq += 1
            created = start + dt.timedelta(seconds=int(i * step))
            object_id = rnd.randint(1, max(1, nid)) if is_nom else None
            object_type = "nomination" if is_nom else None
            form = audit_trail.canonical_fields(chain, seq, created, actor, user_names[actor], action, "ok",
                                                object_type, object_id, "10.0.0.1", None, data_text)
            h = audit_trail.hash_of(prev, form)
            rows.append(dict(id=i, created_at=created, actor_id=actor, actor_username=user_names[actor],
                             action=action, outcome="ok", object_type=object_type, object_id=object_id,
                             data=data, ip="10.0.0.1", user_agent=None, chain=chain, seq=seq, prev_hash=prev, hash=h))
            chain_heads[chain] = (seq, h, prev)
            if len(rows) >= BATCH:
                _insert(conn, AuditEvent.__table__, rows)
                rows = []
        _insert(conn, AuditEvent.__table__, rows)
        _insert(conn, AuditChainHead.__table__, [dict(chain=c, seq=seq, hash=h, prev_hash=p)
                                                 for c, (seq, h, p) in chain_heads.items()])

        if engine.dialect.name == "postgresql":  # ids were given explicitly: move the sequences past them
            for table in ("units", "people", "users", "campaigns", "nominations", "state_changes", "audit_events"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))

    info.update(unit_departments={u: d for d, us in dept_units.items() for u in us})
    info.update(dept_units=dept_units, secretariats=secretariats, heads=heads, auditor=1, campaigns_per_dept=C,
                nominations=nid, audit_events=args.audit_events, user_names=user_names)
    return info


# ------------------------------------------------------------------------------------------------------ timing
def timed(fn, repeat: int, warmup: int = 1) -> tuple[float, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, math.ceil(0.9 * len(samples)) - 1)]


def run_benchmarks(engine, info, args) -> list[tuple[str, float, float, str]]:
    sessions = make_session_factory(engine)
    results: list[tuple[str, float, float, str]] = []
    rnd = random.Random(args.seed + 1)

    def actor_of(session, user_id):
        return actor_for(session, session.get(User, user_id))

    # The busiest unit and its department, so the unit head's list is as long as it gets.
    with sessions() as s:
        unit_id, dept_id = s.execute(
            select(Nomination.unit_id, Nomination.department_id).group_by(Nomination.unit_id, Nomination.department_id)
            .order_by(func.count().desc()).limit(1)).one()
    who = {"unit head": info["heads"][unit_id], "secretariat": info["secretariats"][dept_id],
           "auditor": info["auditor"]}
    q = "hung"  # a given name (Hùng, accent-folded): a few per cent of the rows

    def add(name, fn, repeat=args.repeat, note=""):
        med, p90 = timed(fn, repeat)
        results.append((name, med, p90, note))
        print(f"  {name:<58} {med:9.2f} {p90:9.2f}  {note}", flush=True)

    print(f"\n  {'measurement':<58} {'median':>9} {'p90':>9}  (ms)")
    # (a) lists
    for role, user_id in who.items() if args.only == "all" else ():
        with sessions() as s:
            actor = actor_of(s, user_id)
            total = queries.list_nominations(s, actor, per_page=20).total
            qtotal = queries.list_nominations(s, actor, per_page=20, q=q).total
        deep = max(1, math.ceil(total / 20) // 2)
        qdeep = max(1, math.ceil(qtotal / 20) // 2)
        for label, kw, note in (
            ("page 1", dict(page=1), f"{total} visible"),
            (f"page {deep}", dict(page=deep), ""),
            (f"q={q} page 1", dict(page=1, q=q), f"{qtotal} match"),
            (f"q={q} page {qdeep}", dict(page=qdeep, q=q), ""),
        ):
            if kw["page"] != 1 and label.endswith(" page 1"):
                continue
            if any(r[0] == f"list_nominations {role:<11} {label}" for r in results):
                continue
            def list_page(kw=kw, user_id=user_id):
                with sessions() as s:
                    page = queries.list_nominations(s, actor_of(s, user_id), per_page=20, **kw)
                    for n in page.items:
                        _ = n.subject_name  # what a list row shows
            add(f"list_nominations {role:<11} {label}", list_page, note=note)

    # (a) detail: a submitted nomination of the busiest unit, seen by its secretariat (guards run rules).
    with sessions() as s:
        detail_id = s.scalar(select(Nomination.id).where(Nomination.unit_id == unit_id,
                                                         Nomination.state == "submitted").limit(1)) \
            or s.scalar(select(Nomination.id).where(Nomination.unit_id == unit_id).limit(1))

    def detail():
        with sessions() as s:
            actor = actor_of(s, who["secretariat"])
            n = service.load(s, actor, detail_id)
            rules.evaluate(s, n)
            service.available_actions(s, actor, n)
            n.history, n.criteria, n.attachments, n.checkins  # noqa: B018 (loads what the page shows)
    if args.only == "all":
        add("detail: load + rules.evaluate + available_actions", detail, note=f"nomination {detail_id}")

    # (b) one transition vs the raw statements it boils down to: start_nurturing of registered nominations, each
    # fired by the head of its unit.
    with sessions() as s:
        # Not the head's own nomination: nobody acts on a dossier of which they are the subject.
        head_person = {u: s.get(User, uid).person_id for u, uid in info["heads"].items()}
        registered = [(nid, unit) for nid, unit, subject in s.execute(
            select(Nomination.id, Nomination.unit_id, Nomination.subject_person_id)
            .where(Nomination.state == "registered").order_by(Nomination.id)) if subject != head_person.get(unit)]
    plan = "Kế hoạch bồi dưỡng (benchmark)"

    def service_transition(ids):
        def run():
            nid, unit = ids.pop() if ids is not None else registered[0]
            with sessions() as s:
                actor = actor_of(s, info["heads"][unit])
                version = s.scalar(select(Nomination.version).where(Nomination.id == nid))
                service.transition(s, actor, nid, "start_nurturing", version, nurture_plan=plan)
                s.commit() if ids is not None else s.rollback()
        return run

    def raw_transition(ids, with_audit=False):
        """The statements a transition boils down to; `with_audit` adds the hash-chained audit row (its chain's head
        taken, the event hashed and inserted) that every transition must also write — the honest floor."""
        def run():
            nid, unit = ids.pop() if ids is not None else registered[0]
            with engine.connect() as conn:
                with conn.begin() as tx:
                    version = conn.scalar(select(Nomination.version).where(Nomination.id == nid))
                    now = dt.datetime.now(dt.UTC)
                    res = conn.execute(update(Nomination).where(Nomination.id == nid, Nomination.version == version)
                                       .values(state="nurtured", version=version + 1, nurture_plan=plan,
                                               updated_at=now))
                    assert res.rowcount == 1
                    conn.execute(insert(StateChange).values(nomination_id=nid, version=version + 1,
                                                            action="start_nurturing", from_state="registered",
                                                            to_state="nurtured", actor_id=info["heads"][unit],
                                                            comment=plan, data={"nurture_plan": plan},
                                                            created_at=now))
                    if with_audit:
                        with Session(bind=conn) as s:
                            audit_trail.append(s, action="nomination.start_nurturing", actor_username=None,
                                         chain=f"dept:{info['unit_departments'][unit]}", object_type="nomination",
                                         object_id=nid, data={"from": "registered", "to": "nurtured"})
                    tx.commit() if ids is not None else tx.rollback()
        return run

    n = args.repeat + 1  # + the warm-up run
    if len(registered) >= 2 * n + 1:
        pool = list(registered[1:])
        rnd.shuffle(pool)
        add("transition: service.transition, rolled back", service_transition(None),
            note="FOR UPDATE/BEGIN IMMEDIATE, guards, history, audit, inbox")
        add("transition: raw SELECT+UPDATE+INSERT, rolled back", raw_transition(None))
        add("transition: service.transition + COMMIT", service_transition(pool[:n]), note="distinct rows")
        add("transition: raw SELECT+UPDATE+INSERT + COMMIT", raw_transition(pool[n:2 * n]), note="distinct rows")
        if len(pool) >= 3 * n:
            add("transition: raw statements + audit row + COMMIT", raw_transition(pool[2 * n:3 * n], with_audit=True),
                note="distinct rows; the floor")
    else:
        print("  (too few registered nominations for the transition benchmark: raise --nominations)")

    if args.compare_rounds and len(registered) > 3 * n:
        used = set(pool[:3 * n]) if len(registered) >= 2 * n + 1 else set()  # the rows stepped above
        compare_transitions(engine, sessions, info, [r for r in registered[1:] if r not in used], args, results)
    if args.only == "transition":
        return results

    # (c) the audit trail, as an auditor filters it.
    # What list_audit_events runs (its `actor` parameter is the caller, so the `actor` filter is passed to the
    # query builder directly): the count and one page, newest first.
    from workflow.reporting.audit_queries import audit_query, require_audit_reader

    with sessions() as s:
        busy_actor = s.scalar(select(AuditEvent.actor_id).group_by(AuditEvent.actor_id)
                              .order_by(func.count().desc()).limit(1))
        obj = s.scalar(select(AuditEvent.object_id).where(AuditEvent.object_type == "nomination").limit(1)
                       .offset(max(0, info["audit_events"] // 2)))
    for label, kw in (
        (f"by actor id {busy_actor}, page 1", dict(actor=str(busy_actor))),
        ("by actor username, page 1", dict(actor=info["user_names"][busy_actor])),
        (f"by actor id {busy_actor}, page 20", dict(actor=str(busy_actor), page=20)),
        (f"by object nomination {obj}", dict(object_type="nomination", object_id=obj)),
        ("by action nomination.transition, page 1", dict(action="nomination.transition")),
    ):
        def audit(kw=kw):
            with sessions() as s:
                require_audit_reader(actor_of(s, info["auditor"]))
                page = kw.get("page", 1)
                stmt = audit_query(**{k: v for k, v in kw.items() if k != "page"})
                s.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
                s.scalars(stmt.order_by(AuditEvent.id.desc()).limit(50).offset((page - 1) * 50)).all()
        add(f"audit {label}", audit)

    # The review page (/audit): keyset pages with a total counted up to 10,000, and its action select.
    from workflow.reporting.audit_queries import AuditFilters, action_choices, browse_events

    with sessions() as s:
        middle = s.scalar(select(func.max(AuditEvent.id))) // 2
        day = s.scalar(select(AuditEvent.created_at).where(AuditEvent.id == middle))
    for label, filters, before in (
        ("no filter, newest page", AuditFilters(), None),
        (f"no filter, keyset page below id {middle}", AuditFilters(), middle),
        (f"actor id {busy_actor}, newest page", AuditFilters(actor=str(busy_actor)), None),
        (f"one day ({day:%d/%m/%Y})", AuditFilters(date_from=day.date(), date_to=day.date()), None),
        ("action nomination.transition, keyset mid", AuditFilters(action="nomination.transition"), middle),
    ):
        def page(filters=filters, before=before):
            with sessions() as s:
                browse_events(s, actor_of(s, info["auditor"]), filters, before_id=before)
        add(f"audit page {label}", page)

    def choices():
        with sessions() as s:
            action_choices(s)
    add("audit page: the action select", choices)

    if args.verify_chain:
        from notifications.audit import verify

        t0 = time.perf_counter()
        with sessions() as s:
            result = verify(s)
        ms = (time.perf_counter() - t0) * 1000
        results.append(("audit verify (whole chain, once)", ms, ms, f"{result.checked} events ok={result.ok}"))
        print(f"  {'audit verify (whole chain, once)':<58} {ms:9.0f} {'':>9}  {result.checked} events, ok={result.ok}")
    return results


# ------------------------------------------------------------------------------------------------------ transitions
SPIFF_STATES = ("registered", "nurtured", "submitted", "evaluated_co_so", "proposed_nganh", "recognized")


def _spiff():
    """SpiffWorkflow (optional: the `bench` extra), its persisted step as a reference: a chain of Simple tasks named
    after the main road of the lifecycle, the workflow stored as its JSON serialisation in a table of its own. None
    when the package is not installed."""
    try:
        from SpiffWorkflow.serializer.json import JSONSerializer
        from SpiffWorkflow.specs.Simple import Simple
        from SpiffWorkflow.specs.WorkflowSpec import WorkflowSpec
        from SpiffWorkflow.workflow import Workflow
    except ImportError:
        return None
    spec = WorkflowSpec("nomination", addstart=True)
    prev = spec.start
    for name in SPIFF_STATES:
        task = Simple(spec, name)
        prev.connect(task)
        prev = task
    return spec, Workflow, JSONSerializer()


def compare_transitions(engine, sessions, info, registered, args, results) -> None:
    """One persisted transition three (or four) ways, interleaved in rounds (the order rotates each round), each step
    on a nomination of its own, median per round; the ratio is the floor's median time over the other's, so 1.0 is
    "as fast as the raw statements" and the target is >= 0.7:

      service   `service.transition` + COMMIT: lock, version, policy, guards, machine, history, audit, inbox — the
                actor loaded before the clock starts (a request has it from authentication, engineer D's part) and
                the version known (the client sends it);
      +actor    the same with the actor loaded inside the timed part (user, roles, delegation);
      floor     raw statements of the same work: SELECT version FOR UPDATE, UPDATE ... WHERE version, INSERT the history
                row, the hash-chained audit row (notifications.audit.append, the real one), COMMIT;
      spiff     SpiffWorkflow's persisted step (if installed): SELECT the serialised workflow FOR UPDATE, deserialise,
                run the next task, serialise, UPDATE ... WHERE version, COMMIT — no history, no audit chain, no policy:
                a reference, not a target."""
    from sqlalchemy import Column, Integer, MetaData, Table, Text

    plan = "Kế hoạch bồi dưỡng (benchmark)"
    per_round, rounds = args.compare_steps, args.compare_rounds
    spiff = _spiff()
    variants = ["service", "+actor", "floor"] + (["spiff"] if spiff else [])
    need = per_round * rounds * len(variants) + len(variants)  # + one warm-up step each
    if len(registered) < need:
        print(f"  (transition comparison needs {need} registered nominations, has {len(registered)}: skipped)")
        return
    pool = list(registered)
    random.Random(args.seed + 2).shuffle(pool)
    lanes = {v: pool[i::len(variants)] for i, v in enumerate(variants)}

    def service_step(nid, unit, with_actor):
        with sessions() as s:
            if not with_actor:
                actor = actor_for(s, s.get(User, info["heads"][unit]))
            version = s.scalar(select(Nomination.version).where(Nomination.id == nid))
            s.commit()
            t0, c0 = time.perf_counter(), time.process_time()
            if with_actor:
                actor = actor_for(s, s.get(User, info["heads"][unit]))
            service.transition(s, actor, nid, "start_nurturing", version, nurture_plan=plan)
            s.commit()
            return time.perf_counter() - t0, time.process_time() - c0

    def floor_step(nid, unit):
        t0, c0 = time.perf_counter(), time.process_time()
        with engine.connect() as conn, conn.begin():
            version = conn.scalar(select(Nomination.version).where(Nomination.id == nid).with_for_update())
            now = dt.datetime.now(dt.UTC)
            res = conn.execute(update(Nomination).where(Nomination.id == nid, Nomination.version == version)
                               .values(state="nurtured", version=version + 1, nurture_plan=plan, updated_at=now))
            assert res.rowcount == 1
            conn.execute(insert(StateChange).values(nomination_id=nid, version=version + 1, action="start_nurturing",
                                                    from_state="registered", to_state="nurtured",
                                                    actor_id=info["heads"][unit], comment=plan,
                                                    data={"nurture_plan": plan}, created_at=now))
            with Session(bind=conn) as s:
                audit_trail.append(s, action="nomination.start_nurturing", actor_username=None,
                                   chain=f"dept:{info['unit_departments'][unit]}", object_type="nomination",
                                   object_id=nid, data={"before": {"state": "registered"},
                                                        "after": {"state": "nurtured"}})
        return time.perf_counter() - t0, time.process_time() - c0

    spiff_table = None
    if spiff:
        spec, workflow_class, serializer = spiff
        spiff_table = Table("bench_spiff_workflows", MetaData(), Column("id", Integer, primary_key=True),
                            Column("version", Integer, nullable=False), Column("state", Text, nullable=False))
        spiff_table.drop(engine, checkfirst=True)
        spiff_table.create(engine)
        wf = workflow_class(spec)
        wf.run_next()  # Start
        wf.run_next()  # registered
        state = serializer.serialize_workflow(wf)
        with engine.begin() as conn:
            conn.execute(insert(spiff_table), [dict(id=nid, version=1, state=state) for nid, _ in lanes["spiff"]])

    def spiff_step(nid, unit):
        t0, c0 = time.perf_counter(), time.process_time()
        with engine.connect() as conn, conn.begin():
            version, state = conn.execute(select(spiff_table.c.version, spiff_table.c.state)
                                          .where(spiff_table.c.id == nid).with_for_update()).one()
            wf = serializer.deserialize_workflow(state)
            wf.run_next()
            res = conn.execute(update(spiff_table).where(spiff_table.c.id == nid, spiff_table.c.version == version)
                               .values(version=version + 1, state=serializer.serialize_workflow(wf)))
            assert res.rowcount == 1
        return time.perf_counter() - t0, time.process_time() - c0

    steps = {"service": lambda nid, unit: service_step(nid, unit, False),
             "+actor": lambda nid, unit: service_step(nid, unit, True), "floor": floor_step, "spiff": spiff_step}
    for v in variants:  # warm-up
        steps[v](*lanes[v].pop())
    medians: dict[str, list[float]] = {v: [] for v in variants}
    cpu: dict[str, list[float]] = {v: [] for v in variants}
    for r in range(rounds):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        for v in order:
            samples = [steps[v](*lanes[v].pop()) for _ in range(per_round)]
            medians[v].append(statistics.median(w for w, _ in samples) * 1000)
            cpu[v].append(statistics.median(c for _, c in samples) * 1000)
    if spiff_table is not None:
        spiff_table.drop(engine)
    print(f"\n  transition, interleaved: {rounds} rounds x {per_round} steps, median per round (ms, wall and this "
          "process's CPU); ratio = floor / variant (>= 0.7 wanted for service)")
    for v in variants:
        ratios = sorted(f / m for f, m in zip(medians["floor"], medians[v], strict=True))
        cpu_ratio = statistics.median(f / m for f, m in zip(cpu["floor"], cpu[v], strict=True) if m)
        med = statistics.median(medians[v])
        note = (f"ratio to floor {statistics.median(ratios):.2f} (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}); "
                f"CPU {statistics.median(cpu[v]):.2f} ms, ratio {cpu_ratio:.2f}")
        results.append((f"transition compare: {v}", med, max(medians[v]), note))
        print(f"  {'transition compare: ' + v:<58} {med:9.2f} {max(medians[v]):9.2f}  {note}", flush=True)


# ------------------------------------------------------------------------------------------------------ main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--nominations", type=int, default=100_000)
    p.add_argument("--audit-events", type=int, default=1_000_000)
    p.add_argument("--departments", type=int, default=20)
    p.add_argument("--units", type=int, default=12, help="units per department")
    p.add_argument("--people", type=int, default=40, help="people per unit")
    p.add_argument("--repeat", type=int, default=15, help="timed runs per measurement (median reported)")
    p.add_argument("--seed", type=int, default=20240501)
    p.add_argument("--url", default=os.environ.get("DATABASE_URL"),
                   help="database (default: DATABASE_URL, else a new SQLite file in a temporary directory)")
    p.add_argument("--reset", action="store_true", help="drop every table of a non-empty --url database first")
    p.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    p.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after loading")
    p.add_argument("--compare-rounds", type=int, default=5,
                   help="rounds of the interleaved transition comparison (0: skip it)")
    p.add_argument("--compare-steps", type=int, default=15, help="transitions per variant and round")
    p.add_argument("--only", choices=("all", "transition"), default="all",
                   help="transition: only the transition measurements")
    p.add_argument("--verify-chain", action="store_true", help="also time `audit verify` over the whole chain")
    p.add_argument("--council", action="store_true",
                   help="instead: a council close of 500 items x 25 members and a vote (bench/council.py), with "
                        "--repeat rounds")
    args = p.parse_args(argv)
    if args.council:
        from bench import council as council_bench

        return council_bench.main([*(["--url", args.url] if args.url else []), *(["--reset"] if args.reset else []),
                                   "--rounds", str(min(args.repeat, 5))])

    tmp = None
    url = args.url
    if not url:
        tmp = tempfile.mkdtemp(prefix="dienhinh-bench-")
        url = f"sqlite:///{tmp}/bench.db"
    engine = make_engine(url)
    existing = set(inspect(engine).get_table_names())
    if existing:
        if not args.reset:
            print(f"{url}: the database is not empty; pass --reset to drop its tables", file=sys.stderr)
            return 2
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    # The receivers, and the resolver of workflow.links (notifications store their pages' paths), as a server has them.
    create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "bench"})

    print(f"database: {engine.url.render_as_string(hide_password=True)} ({engine.dialect.name})")
    print(f"sizes: {args.nominations} nominations, {args.audit_events} audit events, {args.departments} departments "
          f"x {args.units} units x {args.people} people, seed {args.seed}")
    t0 = time.perf_counter()
    migrate.upgrade(engine)
    info = generate(engine, args)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    if not args.no_analyze:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"generated in {load_s:.1f} s (+ ANALYZE {time.perf_counter() - t1:.1f} s); "
          f"{info['campaigns_per_dept']} campaigns per department")
    if engine.dialect.name == "sqlite":
        size = Path(engine.url.database).stat().st_size
        print(f"SQLite file: {size / 1e6:.0f} MB")

    results = run_benchmarks(engine, info, args)
    engine.dispose()
    if tmp and not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    elif tmp:
        print(f"kept {url}")
    summary = {name: round(med, 3) for name, med, _, _ in results}
    print("\nJSON " + json.dumps({"sizes": {"nominations": args.nominations, "audit_events": args.audit_events},
                                  "backend": engine.dialect.name, "median_ms": summary}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
