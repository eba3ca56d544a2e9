"""The audit events' counts (`audit_counts`, kept by an insert trigger) and what reads them: the API list's exact
totals and its deep pages, found from the counts, equal to the plain OFFSET query's for every filter by kind at every
depth (bucket boundaries included); the counts stay exact under concurrent appends and rollbacks; `audit verify`
reports counts that disagree with the rows (rows deleted behind the application's back) and the list never fails
on them."""
from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from models import AuditChainHead, AuditCount, AuditEvent, User
from models.audit import COUNT_BUCKET
from notifications import audit, audit_verify
from workflow.reporting import audit_queries as aq

ACTIONS = [("nomination.submit", "nomination"), ("nomination.transition", "nomination"),
           ("council_session.vote_cast", "council_session"), ("council_session.vote", "council_session"),
           ("proposal.create", "proposal"), ("auth.login_failed", None), ("nomination_x.odd", "nomination")]
OUTCOMES = ["ok", "ok", "ok", "refused", "failed"]
FIRST = 3 * COUNT_BUCKET - 700  # the events below span the boundaries of buckets 3, 4 and 5
FILTERS = [{}, {"action": "nomination."}, {"action": "nomination.submit"}, {"action": "council_session.vote_cast"},
           {"object_type": "nomination"}, {"object_type": "council_session", "action": "council_session."},
           {"outcome": "refused"}, {"action": "nomination_x."}, {"object_type": "nothing"},
           {"action": "proposal.create", "outcome": "failed"}]


def _spread(db, rng: random.Random) -> list[int]:
    """~3,000 events written straight into the table (ids chosen across three bucket boundaries, kinds at random,
    two chains), as a bulk insert would: the trigger counts them."""
    ids = sorted({FIRST + rng.randrange(0, 3 * COUNT_BUCKET) for _ in range(3000)}
                 | {b * COUNT_BUCKET + d for b in (3, 4, 5) for d in (-1, 0, 1)})
    rows = []
    for i, id_ in enumerate(ids):
        action, object_type = rng.choice(ACTIONS)
        rows.append({"id": id_, "action": action, "object_type": object_type, "object_id": i,
                     "outcome": rng.choice(OUTCOMES), "data": {}, "chain": f"test:{i % 2}", "seq": i + 1,
                     "prev_hash": "", "hash": ""})
    db.execute(insert(AuditEvent), rows)
    return ids


def _plain(db, filters: dict, offset: int, per_page: int) -> tuple[list[int], int]:
    """The page and the total as the plain OFFSET query and COUNT(*) give them."""
    query = aq.audit_query(**filters, columns=[AuditEvent.id])
    ids = list(db.scalars(query.order_by(AuditEvent.id.desc()).offset(offset).limit(per_page)))
    return ids, db.scalar(select(func.count()).select_from(query.subquery()))


def _pages_to_check(db, filters: dict, per_page: int, total: int) -> set[int]:
    last = max(1, -(-total // per_page))
    pages = {1, 2, last // 3, last // 2, last - 1, last, last + 1, last + 7, 10**6}
    for boundary in (3, 4, 5):  # the page holding the first event below each boundary, and its neighbours
        newer = db.scalar(select(func.count()).select_from(
            aq.audit_query(**filters, columns=[AuditEvent.id]).where(AuditEvent.id >= boundary * COUNT_BUCKET)
            .subquery()))
        page = newer // per_page + 1
        pages |= {page - 1, page, page + 1}
    return {p for p in pages if p >= 1}


def test_totals_and_pages_equal_the_plain_offset_query_for_every_kind_at_every_depth(db, demo):
    _spread(db, random.Random(13))
    auditor = demo.actor("thanhtra")
    checked = 0
    for filters in FILTERS:
        for per_page in (50, 7):
            _, total = _plain(db, filters, 0, 1)
            for page in sorted(_pages_to_check(db, filters, per_page, total)):
                expected, _ = _plain(db, filters, (page - 1) * per_page, per_page)
                got = aq.list_audit_events(db, auditor, page=page, per_page=per_page, **filters)
                assert ([e.id for e in got.items], got.total, got.total_exact) == (expected, total, True), \
                    (filters, per_page, page)
                checked += 1
    assert checked > 200


def test_the_api_pages_deep_from_the_counts(db, demo, api):
    _spread(db, random.Random(5))
    reader = api.as_("thanhtra")
    _, total = _plain(db, {"action": "nomination."}, 0, 1)
    last = -(-total // 50)
    body = reader.get(f"/audit?action=nomination.&page={last - 3}").get_json()
    expected, _ = _plain(db, {"action": "nomination."}, (last - 4) * 50, 50)
    assert ([e["id"] for e in body["items"]], body["total"], body["total_exact"]) == (expected, total, True)
    past = reader.get(f"/audit?action=nomination.&page={last + 1}").get_json()
    assert (past["items"], past["total"], past["total_exact"]) == ([], total, True)


def _counts(db) -> dict:
    return {(r.chain, r.bucket, r.object_type, r.action, r.outcome): r.n for r in db.scalars(select(AuditCount))}


def _grouped_rows(db) -> dict:
    bucket = AuditEvent.id // COUNT_BUCKET
    kind = func.coalesce(AuditEvent.object_type, "")
    return {tuple(r[:5]): r[5] for r in db.execute(
        select(AuditEvent.chain, bucket, kind, AuditEvent.action, AuditEvent.outcome, func.count())
        .group_by(AuditEvent.chain, bucket, kind, AuditEvent.action, AuditEvent.outcome)).all()}


def test_every_insert_is_counted_and_a_rolled_back_append_leaves_no_count(db, demo):
    audit.append(db, action="test.kept", actor=demo.actor("tp_pbgdpl"), object_type="nomination", object_id=1)
    audit.append(db, action="test.refused", outcome="refused", actor=demo.actor("tp_stp2"))
    db.flush()
    before = _counts(db)
    assert before == _grouped_rows(db)
    savepoint = db.begin_nested()
    audit.append(db, action="test.rolled_back", actor=demo.actor("tp_pbgdpl"))
    audit.append_many(db, [audit.Entry(action="test.rolled_back", chain="system") for _ in range(3)])
    assert sum(_counts(db).values()) == sum(before.values()) + 4
    savepoint.rollback()
    assert _counts(db) == before == _grouped_rows(db)
    audit.append_many(db, [audit.Entry(action="test.batch", chain="system", object_type="unit") for _ in range(5)])
    assert _counts(db) == _grouped_rows(db)
    assert audit_verify.count_problems(db) == []


# ------------------------------------------------------------------------------------------------ the tamperer
def test_verify_reports_rows_deleted_behind_the_applications_back(db, demo, as_dba):
    """The tail of a chain deleted and its head reset: every link and hash is right, no checkpoint was signed; the
    counts still hold the deleted events."""
    actor = demo.actor("tp_pbgdpl")
    for i in range(5):
        audit.append(db, action="test.edit", actor=actor, data={"i": i})
    chain = audit.chain_for(db, actor=actor)
    rows = list(db.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)))
    db.flush()
    assert audit_verify.check(db, checked_by="test", check_macs=False).ok
    as_dba(db)
    keep = rows[-3]
    db.execute(delete(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq > keep.seq))
    db.execute(update(AuditChainHead).where(AuditChainHead.chain == chain).values(seq=keep.seq, hash=keep.hash))
    assert audit.verify(db).ok  # the chain alone cannot tell
    problems = audit_verify.count_problems(db)
    assert [p.chain for p in problems] == [chain]
    first = rows[-2].id // COUNT_BUCKET * COUNT_BUCKET
    assert f"khoảng id {aq_vn(first)}" in problems[0].message
    result = audit_verify.check(db, checked_by="test", check_macs=False, full=True)
    assert not result.ok and "có sự kiện bị xóa hoặc chèn ngoài ứng dụng" in result.message


def test_verify_reports_rows_inserted_without_being_counted(db, demo, as_dba, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's triggers cannot be switched off for one transaction")
    as_dba(db)  # session_replication_role = replica: no trigger fires, the count's neither
    audit.append(db, action="test.uncounted", chain="system")
    assert [p.chain for p in audit_verify.count_problems(db)] == ["system"]


def aq_vn(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@pytest.mark.parametrize("tamper", [
    "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events ORDER BY id DESC LIMIT 40)",
    "UPDATE audit_counts SET n = -1000",
    "UPDATE audit_counts SET n = 2000000000",
    "UPDATE audit_counts SET bucket = 2147483647 - bucket",
    "DELETE FROM audit_counts",
])
def test_the_list_never_fails_on_counts_that_disagree(db, demo, api, as_dba, tamper):
    _spread(db, random.Random(3))
    as_dba(db)
    db.execute(text(tamper))
    reader = api.as_("thanhtra")
    for query in ("", "action=nomination.", "object_type=council_session", "outcome=refused"):
        for page in (1, 2, 30, 61, 1000, 10**6):
            r = reader.get(f"/audit?{query}&page={page}")
            assert r.status_code == 200, (tamper, query, page, r.get_data(as_text=True)[:300])
            assert len(r.get_json()["items"]) <= 50


# ------------------------------------------------------------------------------------------------ concurrency
@pytest.mark.fresh_db
def test_two_departments_appending_at_once_keep_the_counts_exact_and_never_wait_for_each_other(engine, db,
                                                                                               session_factory):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks per chain are PostgreSQL's; SQLite serialises every writer")
    db.commit()
    users = {name: db.scalar(select(User).where(User.username == name)) for name in ("tp_pbgdpl", "tp_stp2")}
    db.close()
    # One department's append left open holds its chain's counter row: the other's counter rows are its own.
    slow = session_factory()
    try:
        audit.append(slow, action="test.same_kind", actor=slow.get(User, users["tp_pbgdpl"].id))
        slow.flush()
        with session_factory() as other:
            other.execute(text("SET LOCAL lock_timeout = '2s'"))
            audit.append(other, action="test.same_kind", actor=other.get(User, users["tp_stp2"].id))
            other.commit()
        slow.rollback()  # and leaves no count
    finally:
        slow.close()

    errors, barrier = [], threading.Barrier(2)

    def department(name: str) -> None:
        try:
            barrier.wait(5)
            with session_factory() as s:
                actor = s.get(User, users[name].id)
                for i in range(40):
                    audit.append(s, action="test.race", actor=actor, object_type="nomination", object_id=i)
                    if i % 7 == 3:
                        s.rollback()  # rolled back: neither the event nor its count
                    else:
                        s.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=department, args=(name,)) for name in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with session_factory() as s:
        assert _counts(s) == _grouped_rows(s)
        assert s.scalar(select(func.count()).where(AuditEvent.action == "test.race")) == 2 * (40 - 6)
        assert s.scalar(select(func.count()).where(AuditEvent.action == "test.same_kind")) == 1
        assert audit_verify.count_problems(s) == []
        page = aq.counted_page(s, 0, 1, 100, {"action": "test.race"})
        assert page.total == 68 and len(page.items) == 68
