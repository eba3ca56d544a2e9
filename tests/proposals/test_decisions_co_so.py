"""The director's decision recognising cơ sở examples (workflow.proposals.decisions.issue, level co_so): only items the
council passed, all or none, numbered per issuer and year, signed by the director or a deputy under delegation; it
writes the award records and tells the unit heads and the nominees who have accounts."""
# ruff: noqa: F811 - `db` is the rolled-back fixture of test_council_helpers, imported here
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from factories import deputy_director
from sqlalchemy import func, select
from test_council_helpers import (  # noqa: F401 (db: the fixtures)
    LATER,
    NOW,
    close,
    db,
    entitled,
    nominate,
    notified,
    open_session,
    uid,
    vote,
)

from models import AuditEvent, AwardRecord, Campaign, Decision, Delegation, StateChange
from notifications import audit
from workflow import clock, signals
from workflow.council import operations as council
from workflow.errors import Forbidden, ValidationFailed
from workflow.policy import actor_for
from workflow.proposals import decisions

D1 = dt.date(2026, 11, 20)


def judged(db, demo, passing, failing=(), *, now=NOW):
    """A closed session of the demo campaign (no quota) in which `passing` pass and `failing` fail."""
    demo.campaign().quota_collective = demo.campaign().quota_individual = None
    s = open_session(db, demo, [*passing, *failing], now=now)
    for n in passing:
        vote(db, demo, s, n, len(entitled(demo, n)))
    for n in failing:
        vote(db, demo, s, n, 1, len(entitled(demo, n)) - 1)
    close(db, demo, s, now=now + dt.timedelta(hours=2))
    return s


def issue(db, demo, ids, number="12/QĐ-STP", date=D1, actor="giamdoc"):
    actor = demo.actor(actor) if isinstance(actor, str) else actor
    return decisions.issue(db, actor, level="co_so", number=number, date=date, nomination_ids=ids)


def _awards(db, n):
    return db.scalars(select(AwardRecord).where(AwardRecord.nomination_id == n.id)).all()


def test_a_decision_recognises_the_passed_items(db, demo):
    col = nominate(db, demo, unit="HCTP")
    lan = nominate(db, demo, person="Nguyễn Thị Lan")        # canbo1's person: a nominee with an account
    oanh = nominate(db, demo, person="Phan Thị Kim Oanh")    # no account
    judged(db, demo, [col, lan, oanh])
    d = issue(db, demo, [col.id, lan.id, oanh.id])
    stp = demo.unit("STP")
    assert (d.level, d.number, d.seq, d.year, d.date, d.issuer_id, d.doc_type) == (
        "co_so", "12/QĐ-STP", 12, 2026, D1, stp.id, "QĐ")
    assert (d.signer_id, d.on_behalf_of_id, d.signer_title) == (uid(demo, "giamdoc"), None, "GIÁM ĐỐC")
    assert [i.nomination_id for i in d.items] == [col.id, lan.id, oanh.id]
    assert {n.state for n in (col, lan, oanh)} == {"evaluated_co_so"}
    year = demo.campaign().end_date.year
    for n in (col, lan, oanh):
        step = n.history[-1]
        assert (step.action, step.actor_id, step.data) == (
            "recognize_co_so", uid(demo, "giamdoc"),
            {"decision_id": str(d.id), "decision_number": "12/QĐ-STP", "decision_date": "2026-11-20"})
        (award,) = _awards(db, n)
        assert (award.title, award.level, award.year, award.decision_number, award.revoked) == (
            "dien_hinh_co_so", "co_so", year, "12/QĐ-STP", False)
    assert (_awards(db, col)[0].unit_id, _awards(db, col)[0].person_id) == (demo.unit("HCTP").id, None)
    assert (_awards(db, lan)[0].unit_id, _awards(db, lan)[0].person_id) == (None, demo.person("Nguyễn Thị Lan").id)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "decision.issue"))
    assert (event.object_id, event.data["number"], event.data["nomination_ids"], event.data["on_behalf_of"]) == (
        d.id, "12/QĐ-STP", [col.id, lan.id, oanh.id], None)
    # The unit heads concerned and the nominee with an account; not the signer, not anyone else.
    assert notified(db, demo, "decision.issued") == {"tp_hctp", "tp_pbgdpl", "canbo1"}


def test_all_or_none_with_reasons_naming_the_failing_items(db, demo):
    passed, failed = nominate(db, demo, unit="HCTP"), nominate(db, demo, unit="PTP-LX")
    waiting = nominate(db, demo, unit="XDKT")                      # submitted, never judged
    nurtured = nominate(db, demo, unit="TGPL", state="nurtured")
    stp2 = db.scalar(select(Campaign).where(Campaign.department_id == demo.unit("STP2").id))
    foreign = nominate(db, demo, unit="STP2-VP", campaign=stp2)     # another department: not even visible
    judged(db, demo, [passed], [failed])
    events = db.scalar(select(func.count()).select_from(AuditEvent))
    ids = [passed.id, failed.id, waiting.id, nurtured.id, foreign.id, 10**6]
    with pytest.raises(ValidationFailed) as err:
        issue(db, demo, ids)
    named = {int(r.split()[3].rstrip(":")) for r in err.value.reasons}
    assert named == set(ids[1:]), err.value.reasons
    assert passed.state == "submitted" and _awards(db, passed) == []
    assert db.scalar(select(func.count()).select_from(Decision)) == 0
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == events
    issue(db, demo, [passed.id])
    assert passed.state == "evaluated_co_so"


def test_a_decision_cannot_recognise_twice(db, demo):
    n = nominate(db, demo, unit="HCTP")
    judged(db, demo, [n])
    issue(db, demo, [n.id], number=1)
    with pytest.raises(ValidationFailed):
        issue(db, demo, [n.id], number=2)
    assert len(_awards(db, n)) == 1


@pytest.mark.parametrize(("number", "seq"), [
    ("12/QĐ-STP", 12), (12, 12), ("12", 12), (" 7 / QĐ - STP ", 7), ("000123/QĐ-STP", 123), ("999999", 999999),
])
def test_number_parsing(number, seq):
    assert decisions._parse_number(number, SimpleNamespace(kind="department", code="STP")) == seq


@pytest.mark.parametrize("number", ["12/QĐ-BTP", "12/KH-STP", "12/TTr-STP"])
def test_a_number_with_another_body_or_type_is_refused(db, demo, number):
    n = nominate(db, demo, unit="HCTP")
    judged(db, demo, [n])
    with pytest.raises(ValidationFailed) as err:
        issue(db, demo, [n.id], number=number)
    assert "QĐ-STP" in err.value.reasons[0]
    assert n.state == "submitted"


@pytest.mark.parametrize("number", ["abc", "0", 0, -3, "12/", "QĐ-12", "12/QĐ", True, None, "", "1234567", 1.5])
def test_invalid_numbers_are_refused(db, demo, number):
    n = nominate(db, demo, unit="HCTP")
    with pytest.raises(ValidationFailed) as err:
        issue(db, demo, [n.id], number=number)
    assert "number" in err.value.field_errors


def test_a_number_is_used_once_per_issuer_and_year_and_the_next_is_proposed(db, demo):
    a, b, c = (nominate(db, demo, unit=u) for u in ("HCTP", "PTP-LX", "PTP-CD"))
    judged(db, demo, [a, b, c])
    stp = demo.unit("STP")
    assert decisions.next_number(db, stp, 2026) == 1
    first = issue(db, demo, [a.id], number="12/QĐ-STP")
    assert decisions.next_number(db, stp, 2026) == 13
    for same in ("12/QĐ-STP", 12, " 12 "):
        with pytest.raises(ValidationFailed) as err:
            issue(db, demo, [b.id], number=same)
        assert err.value.field_errors == {"number": "Trùng số"} and "số tiếp theo là 13" in err.value.reasons[0]
    assert b.state == "submitted"
    issue(db, demo, [b.id], number=5)  # an unused lower number is allowed; the next stays after the highest
    assert decisions.next_number(db, stp, 2026) == 13
    nxt = issue(db, demo, [c.id], number=decisions.next_number(db, stp, 2026))
    assert (first.number, nxt.number) == ("12/QĐ-STP", "13/QĐ-STP")


def test_the_same_number_next_year_is_allowed(db, demo, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: dt.date(2027, 2, 1))  # a decision is never dated in the future
    a, b = nominate(db, demo, unit="HCTP"), nominate(db, demo, unit="PTP-LX")
    judged(db, demo, [a, b])
    issue(db, demo, [a.id], number=12, date=dt.date(2026, 12, 30))
    d = issue(db, demo, [b.id], number=12, date=dt.date(2027, 1, 5))
    assert (d.year, d.seq, d.number) == (2027, 12, "12/QĐ-STP")
    assert decisions.next_number(db, demo.unit("STP"), 2027) == 13


def test_only_the_director_signs_and_the_input_is_checked(db, demo):
    n = nominate(db, demo, unit="HCTP")
    judged(db, demo, [n])
    for username in ("vanphong", "hoidong2", "tp_hctp", "botp", "admin"):
        with pytest.raises(Forbidden):
            issue(db, demo, [n.id], actor=username)
    director = demo.actor("giamdoc")
    for kw in ({"level": "tinh"}, {"date": "31/11/2026"}, {"date": None}, {"nomination_ids": []},
               {"nomination_ids": [str(n.id)]}, {"nomination_ids": [True]}, {"nomination_ids": n.id}):
        args = {"level": "co_so", "number": 1, "date": D1, "nomination_ids": [n.id], **kw}
        with pytest.raises(ValidationFailed):
            decisions.issue(db, director, **args)
    assert n.state == "submitted"


def test_a_deputy_under_delegation_signs_for_the_director(db, demo):
    n = nominate(db, demo, person="Nguyễn Thị Lan")
    judged(db, demo, [n])
    deputy = deputy_director(db, demo, "council_member")
    with pytest.raises(Forbidden):  # no delegation yet
        issue(db, demo, [n.id], actor=actor_for(db, deputy))
    today = clock.today()
    db.add(Delegation(department_id=demo.unit("STP").id, director_id=uid(demo, "giamdoc"), deputy_id=deputy.id,
                      starts_on=today - dt.timedelta(days=3), ends_on=today - dt.timedelta(days=1)))
    db.flush()
    with pytest.raises(Forbidden):  # expired
        issue(db, demo, [n.id], actor=actor_for(db, deputy))
    db.add(Delegation(department_id=demo.unit("STP").id, director_id=uid(demo, "giamdoc"), deputy_id=deputy.id,
                      starts_on=today, ends_on=today + dt.timedelta(days=7)))
    db.flush()
    d = issue(db, demo, [n.id], actor=actor_for(db, deputy))
    assert (d.signer_id, d.on_behalf_of_id, d.signer_title) == (deputy.id, uid(demo, "giamdoc"), "PHÓ GIÁM ĐỐC")
    step = db.scalar(select(StateChange).where(StateChange.nomination_id == n.id,
                                               StateChange.action == "recognize_co_so"))
    assert (step.actor_id, step.on_behalf_of_id) == (deputy.id, uid(demo, "giamdoc"))
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "decision.issue"))
    assert (event.actor_username, event.data["on_behalf_of"]) == ("phogiamdoc", "giamdoc")
    assert _awards(db, n)[0].person_id == demo.person("Nguyễn Thị Lan").id
    assert notified(db, demo, "decision.issued") == {"tp_pbgdpl", "canbo1"}


def test_every_step_of_a_council_leaves_an_audit_event(db, demo):
    """scheduled, agenda_set, published, attendance, opened, vote_cast, closed, tie_resolved, decision.issue — and
    the nomination steps they cause — in order, on an intact chain; no vote event carries a choice."""
    start = db.scalar(select(func.max(AuditEvent.id))) or 0
    campaign = demo.campaign()
    campaign.quota_collective = 1
    a, b = nominate(db, demo, unit="HCTP"), nominate(db, demo, unit="PTP-LX")
    s = open_session(db, demo, [a, b])
    vote(db, demo, s, a, 6, 1)
    vote(db, demo, s, b, 6, 0, 1)
    close(db, demo, s)
    council.resolve_tie(db, demo.actor("giamdoc"), s.id, [a.id])
    issue(db, demo, [a.id], number=3, date=LATER.date())
    rows = db.scalars(select(AuditEvent).where(AuditEvent.id > start).order_by(AuditEvent.id)).all()
    assert [r.action for r in rows] == [  # the agenda records the acceptance of the two dossiers (issue 14)
        "council_session.scheduled", "nomination.accept", "nomination.accept", "council_session.agenda_set",
        "council_session.published",
        "council_session.attendance", "council_session.opened", *["council_session.vote_cast"] * 14,
        "council_session.closed", "nomination.reject_co_so", "council_session.tie_resolved",
        "nomination.recognize_co_so", "decision.issue"]
    # (the tie is resolved before its event: b's rejection comes first, inside resolve_tie)
    assert {r.object_id for r in rows if r.object_type == "council_session"} == {s.id}
    assert all(set(r.data) == {"nomination_id", "via"} for r in rows if r.action.endswith("vote_cast"))
    assert audit.verify(db).ok


def test_a_recognition_emits_example_recognised_for_subscribers(db, demo):
    """Propagation can subscribe to "example recognised" itself, instead of decoding every transition."""
    col = nominate(db, demo, unit="HCTP")
    judged(db, demo, [col])
    heard = []

    def receiver(sender, *, event):
        heard.append((sender, event.nomination.id, event.level, event.decision_number, event.actor.username))

    signals.example_recognised.connect(receiver)
    try:
        issue(db, demo, [col.id], number="31/QĐ-STP")
    finally:
        signals.example_recognised.disconnect(receiver)
    assert heard == [(db, col.id, "co_so", "31/QĐ-STP", "giamdoc")]
