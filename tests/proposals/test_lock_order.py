"""Operations that change several nominations lock them all, in id order, before changing any: a decision racing
single transitions of the same nominations (started at the same moment, in the reverse order) never deadlocks and
never answers 5xx — each contender either wins or is refused (409, or 422 when the other one already moved the
nomination out of the state it needs). Real threads, each with its own session and connection; on PostgreSQL the
row locks are SELECT ... FOR UPDATE, on SQLite BEGIN IMMEDIATE serialises the writers."""
# ruff: noqa: F811 - `db` is conftest's committed fixture (several connections), not test_council_helpers'
from __future__ import annotations

import datetime as dt
import threading

import pytest
from factories import run_together
from sqlalchemy import select, text
from test_council_helpers import close, entitled, nominate, open_session, vote

from models import Nomination, Person, StateChange, Unit, User
from workflow.errors import DomainError
from workflow.nominations import service
from workflow.policy import actor_for
from workflow.proposals import decisions
from workflow.proposals import operations as proposals

# Threads (or two requests) each with a connection of their own: the reseeded database, not one rolled-back connection.
pytestmark = pytest.mark.fresh_db

ROUNDS = 4
PER_ROUND = 3
UNITS = ("TTR", "PBGDPL", "HCTP", "XDKT", "TGPL", "PTP-LX", "PTP-CD")
DAY = dt.date(2026, 11, 20)


def passed_items(db, demo, count: int) -> list[int]:
    """`count` nominations the council passed (submitted, passed unanimously, quota lifted), committed. None of the
    secretariat's own unit (VP): it may not act on those."""
    campaign = demo.campaign()
    campaign.quota_collective = campaign.quota_individual = None
    items = [nominate(db, demo, unit=code) for code in UNITS]
    stp = demo.unit("STP")
    people = db.scalars(select(Person).join(Unit, Person.unit_id == Unit.id)
                        .where(Unit.department_id == stp.id, Unit.code != "VP").order_by(Person.id)).all()
    for p in people[: max(count - len(items), 0)]:
        items.append(nominate(db, demo, person=p.full_name))
    assert len(items) >= count, "not enough subjects in the demo department"
    items = items[:count]
    s = open_session(db, demo, items)
    for n in items:
        vote(db, demo, s, n, len(entitled(demo, n)))
    close(db, demo, s)
    db.commit()
    ids = [n.id for n in items]
    assert {n.state for n in items} == {"submitted"}
    db.close()  # release the connection (on SQLite, its write lock) before the races
    return ids


def _actor(session, username):
    return actor_for(session, session.scalar(select(User).where(User.username == username)))


def _versions(session_factory, ids) -> dict[int, int]:
    with session_factory() as s:
        return dict(s.execute(select(Nomination.id, Nomination.version).where(Nomination.id.in_(ids))).all())


def _run_all(calls) -> list:
    """Starts every call at the same moment, each on its own thread; returns their results in order."""
    return run_together(calls)


def _check_round(session_factory, ids, issued: bool, singles_won: list[int]) -> None:
    """All or nothing: either the decision recognised every item (and no single transition won) or it changed none."""
    with session_factory() as s:
        states = dict(s.execute(select(Nomination.id, Nomination.state).where(Nomination.id.in_(ids))).all())
        steps = s.scalars(select(StateChange.action).where(StateChange.nomination_id.in_(ids),
                                                           StateChange.action == "recognize_co_so")).all()
    if issued:
        assert set(states.values()) == {"evaluated_co_so"} and not singles_won, (states, singles_won)
        assert len(steps) == len(ids)
    else:
        assert not steps, states
        assert {i for i, st in states.items() if st == "nurtured"} == set(singles_won), (states, singles_won)


def test_decision_races_reversed_single_transitions_in_the_services(db, demo, session_factory):
    ids = passed_items(db, demo, ROUNDS * PER_ROUND)
    outcomes = []
    for r in range(ROUNDS):
        chunk = ids[r * PER_ROUND:(r + 1) * PER_ROUND]
        versions = _versions(session_factory, chunk)

        def issue(chunk=chunk, number=r + 1):
            with session_factory() as s:
                try:
                    decisions.issue(s, _actor(s, "giamdoc"), level="co_so", number=number, date=DAY,
                                    nomination_ids=chunk)
                    s.commit()
                    return ("ok", None)
                except DomainError as err:
                    s.rollback()
                    return (err.status, err.detail)

        def single(nid, version):
            with session_factory() as s:
                try:
                    service.transition(s, _actor(s, "vanphong"), nid, "return_for_revision", version,
                                       reason="Bổ sung hồ sơ")
                    s.commit()
                    return ("ok", nid)
                except DomainError as err:
                    s.rollback()
                    return (err.status, err.detail)

        calls = [issue] + [lambda nid=nid, v=versions[nid]: single(nid, v) for nid in reversed(chunk)]
        results = _run_all(calls)
        assert all(res[0] in ("ok", 409, 422) for res in results), results
        issued = results[0][0] == "ok"
        _check_round(session_factory, chunk, issued, [res[1] for res in results[1:] if res[0] == "ok"])
        outcomes.append(results)
    assert outcomes


@pytest.fixture
def race_app(engine, db):
    from web import create_app

    return create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_ENABLED": False})


def test_decision_races_reversed_single_transitions_over_http(race_app, db, demo, session_factory):
    """The same race through the JSON API (web.db's one transaction per request): only 2xx, 409 or 422."""
    ids = passed_items(db, demo, ROUNDS * PER_ROUND)
    client = race_app.test_client()
    tokens = {}
    for username in ("giamdoc", "vanphong"):
        r = client.post("/api/v1/auth/token", json={"username": username, "password": demo.password})
        assert r.status_code == 200, r.get_data(as_text=True)
        tokens[username] = r.get_json()["token"]

    def post(username, path, body):
        r = race_app.test_client().post("/api/v1" + path, json=body,
                                        headers={"Authorization": f"Bearer {tokens[username]}"})
        return (r.status_code, r.get_json())

    for r in range(ROUNDS):
        chunk = ids[r * PER_ROUND:(r + 1) * PER_ROUND]
        versions = _versions(session_factory, chunk)
        calls = [lambda chunk=chunk, number=r + 1: post("giamdoc", "/decisions", {
            "level": "co_so", "number": number, "date": DAY.isoformat(), "nomination_ids": chunk})]
        calls += [lambda nid=nid, v=versions[nid]: post("vanphong", f"/nominations/{nid}/transitions", {
            "action": "return_for_revision", "version": v, "reason": "Bổ sung hồ sơ"})
            for nid in reversed(chunk)]
        results = _run_all(calls)
        statuses = [res[0] for res in results]
        assert all(s in (200, 201, 409, 422) for s in statuses), results
        issued = statuses[0] == 201
        won = [nid for nid, res in zip(reversed(chunk), results[1:], strict=True) if res[0] == 200]
        _check_round(session_factory, chunk, issued, won)


def _wait_for_a_lock_wait(engine, timeout: float = 20) -> None:
    """Until some other backend of this database waits for a lock (the decision, stopped at a held row)."""
    import time

    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"))
            conn.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the decision never waited for the held nomination")


def _co_so_examples(db, demo, session_factory, count: int) -> list[int]:
    ids = passed_items(db, demo, count)
    with session_factory() as s:
        decisions.issue(s, _actor(s, "giamdoc"), level="co_so", number=1, date=DAY, nomination_ids=ids)
        s.commit()
    return ids


def _proposal(session_factory, ids) -> int:
    with session_factory() as s:
        p = proposals.create(s, _actor(s, "vanphong"), nomination_ids=ids)
        s.commit()
        return p.id


def _prepare_decision(db, demo, session_factory):
    ids = passed_items(db, demo, PER_ROUND)
    return ids, ("vanphong", "return_for_revision", {"reason": "Bổ sung hồ sơ"}), (
        "giamdoc", "/decisions", {"level": "co_so", "number": 7, "date": DAY.isoformat(), "nomination_ids": ids},
        lambda s, actor: decisions.issue(s, actor, level="co_so", number=7, date=DAY, nomination_ids=ids)), \
        "nurtured"


def _prepare_submit(db, demo, session_factory):
    ids = _co_so_examples(db, demo, session_factory, PER_ROUND)
    pid = _proposal(session_factory, ids)
    return ids, ("giamdoc", "revoke", {"reason": "Vi phạm", "decision_number": "9/QĐ-STP"}), (
        "giamdoc", f"/proposals/{pid}/submit", {"number": 46, "date": DAY.isoformat()},
        lambda s, actor: proposals.submit(s, actor, pid, number=46, date=DAY)), "revoked"


def _prepare_ministry(db, demo, session_factory):
    """The Ministry records a Minister's decision over the items of a submitted proposal while one is rejected."""
    ids = _co_so_examples(db, demo, session_factory, PER_ROUND)
    pid = _proposal(session_factory, ids)
    with session_factory() as s:
        proposals.submit(s, _actor(s, "giamdoc"), pid, number=46, date=DAY)
        s.commit()
    body = {"level": "nganh", "number": 15, "date": DAY.isoformat(), "nomination_ids": ids}
    return ids, ("botp", "reject_nganh", {"reason": "Chưa đủ tiêu chuẩn"}), (
        "botp", "/decisions", body,
        lambda s, actor: decisions.issue(s, actor, level="nganh", number=15, date=DAY, nomination_ids=ids)), \
        "evaluated_co_so"


PREPARE = {"decision_co_so": _prepare_decision, "proposal_submit": _prepare_submit,
           "ministry_decision": _prepare_ministry}


@pytest.mark.parametrize("via", ["service", "http"])
@pytest.mark.parametrize("operation", list(PREPARE))
def test_operation_meets_a_transition_holding_its_last_nomination(operation, via, engine, race_app, db, demo,
                                                                   session_factory):
    """The deadlock as seen: a single transition holds the row of the operation's last item (it locked it first, as
    every transition does); the operation (a decision of the director or of the Ministry, the submission of a
    proposal) starts and stops at that row; then the transition finishes (writing its history and audit rows).
    Locking one by one while transitioning, the operation held the first items *and* what their transitions had
    written (the audit trail's tail, the new rows' references) and the two waited for each other: DeadlockDetected,
    answered 503. Locking all items first, the operation waits holding nothing the transition needs; the transition
    commits, and the operation, which checks its items only once it holds them, is refused naming the item that is
    no longer in the state it needs (422, as it would be a second later), with nothing changed."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite's BEGIN IMMEDIATE serialises whole transactions")
    ids, (holder_name, action, data), (username, path, body, call), moved_to = PREPARE[operation](
        db, demo, session_factory)
    last = ids[-1]
    version = _versions(session_factory, [last])[last]
    states_before = _states(session_factory, ids)
    token = None
    if via == "http":
        r = race_app.test_client().post("/api/v1/auth/token", json={"username": username, "password": demo.password})
        token = r.get_json()["token"]
    holder = session_factory()
    try:
        actor = _actor(holder, holder_name)
        service.load(holder, actor, last, for_update=True)  # the transition has its row

        def operate():
            if via == "http":
                r = race_app.test_client().post("/api/v1" + path, json=body,
                                                headers={"Authorization": f"Bearer {token}"})
                return r.status_code, r.get_json()
            with session_factory() as s:
                try:
                    call(s, _actor(s, username))
                    s.commit()
                    return "ok", None
                except DomainError as err:
                    s.rollback()
                    return err.status, {"detail": err.detail, "reasons": err.reasons}
                except Exception as exc:  # noqa: BLE001 - DeadlockDetected: reported by the assertion
                    s.rollback()
                    return "exception", repr(exc)

        result: list = []
        thread = threading.Thread(target=lambda: result.append(operate()))
        thread.start()
        _wait_for_a_lock_wait(engine)
        try:
            service.transition(holder, actor, last, action, version, **data)
            holder.commit()
            single = "ok"
        except Exception as exc:  # noqa: BLE001 - DeadlockDetected: reported by the assertion
            holder.rollback()
            single = repr(exc)
        thread.join(timeout=60)
        assert not thread.is_alive()
    finally:
        holder.close()
    assert single == "ok", (single, result)
    assert result[0][0] == 422, result
    assert any(r.startswith(f"Hồ sơ số {last} ") for r in result[0][1]["reasons"]), result
    assert _states(session_factory, ids) == {**states_before, last: moved_to}


def _states(session_factory, ids) -> dict[int, str]:
    with session_factory() as s:
        return dict(s.execute(select(Nomination.id, Nomination.state).where(Nomination.id.in_(ids))).all())
