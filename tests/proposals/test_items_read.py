"""The proposals' items as `items_of` reads them (issue 13: the Ministry's list of 20 proposals × 30 items hydrated
600 nominations with their unit, person and campaign): plain rows of one statement, their ngành rules evaluated by
the same rules on those rows (`rules.ProposeSubject`), and the Minister's outcome read from the steps' values that the
database takes out of their data. Each is compared here with what the ORM objects say."""
# ruff: noqa: F811 - `db` is the rolled-back fixture of test_council_helpers, imported here
from __future__ import annotations

import datetime as dt
import sys

from factories import DAY, co_so_example, draft, proposed
from factories import nganh_decision as nganh
from sqlalchemy import select, update
from test_council_helpers import db  # noqa: F401 (the fixtures)
from test_proposals_period import award, period_example

from models import AwardRecord, Nomination, Proposal, StateChange
from workflow.nominations import rules, service
from workflow.proposals import operations as proposals


def _outcome_from_history(n: Nomination, p: Proposal, history: list[StateChange]) -> dict:
    """The Minister's answer for `p` as the history's ORM rows say it (the JSON data decoded in Python): the model
    the plain read replaced, kept here as the reference."""
    start = next((c for c in reversed(history) if c.action == "propose_nganh"
                  and str(c.data.get("proposal_id")) == str(p.id)), None)
    out = {"outcome": None, "reason": "", "decision_number": "", "decision_date": None, "decided_at": None}
    if start is None:
        return out
    out["outcome"] = "proposed"
    for c in history:
        if c.version <= start.version:
            continue
        if c.action == "recognize_nganh":
            out.update(outcome="recognized", decided_at=c.created_at, decision_number=c.data.get("decision_number", ""),
                       decision_date=dt.date.fromisoformat(c.data["decision_date"]))
        elif c.action == "reject_nganh":
            out.update(outcome="rejected", decided_at=c.created_at, reason=c.data.get("reason") or c.comment)
            break
        elif c.action == "revoke" and out["outcome"] == "recognized":
            out["outcome"] = "revoked"
            break
    return out


def _world(db, demo):
    """Annual and period examples, individual and collective, in a draft and in submitted proposals whose items were
    recognised, refused, revoked, or still wait; one example refused by a first proposal and proposed again."""
    lan, unit = demo.person("Nguyễn Thị Lan"), demo.unit("HCTP")
    a = co_so_example(db, demo, unit="HCTP")
    b = co_so_example(db, demo, person="Nguyễn Thị Lan")
    c = co_so_example(db, demo, unit="PTP-LX")
    d = co_so_example(db, demo, unit="PBGDPL")
    first = proposed(db, demo, [a, b, c, d], number=46)
    nganh(db, demo, [a.id, d.id], number="100/QĐ-BTP", date=DAY)
    service.transition(db, demo.actor("botp"), b.id, "reject_nganh", b.version, reason="Chưa tiêu biểu")
    service.transition(db, demo.actor("botp"), d.id, "revoke", d.version, reason="Gian dối",
                       decision_number="150/QĐ-BTP")
    again = proposed(db, demo, [b], number=47)
    ind = period_example(db, demo, person="Nguyễn Thị Lan")
    col = period_example(db, demo, unit="HCTP")
    award(db, person=lan, year=2023)
    award(db, unit=unit, year=2021)
    award(db, unit=unit, title="huan_chuong_lao_dong", level="nha_nuoc", year=2025)
    period = draft(db, demo, [ind, col])
    # The unit's ngành recognition revoked after drafting: the collective's item now fails a rule and is refused.
    db.execute(update(AwardRecord).where(AwardRecord.unit_id == unit.id, AwardRecord.year == 2021,
                                         AwardRecord.title == "dien_hinh_nganh").values(revoked=True))
    annual = draft(db, demo, [co_so_example(db, demo, unit="PTP-CD")])
    return [first, again, period, annual]


def test_the_items_are_plain_rows_that_say_what_the_nominations_say(db, demo):
    ids = [p.id for p in _world(db, demo)]
    db.flush()
    db.expunge_all()
    pages = [db.get(Proposal, i) for i in ids]
    rows = proposals.items_of(db, pages)
    assert not [o for o in db.identity_map.values() if isinstance(o, Nomination)], "items_of loaded nominations"
    seen = set()
    for p in pages:
        assert [r.n.id for r in rows[p.id]] == [i.nomination_id for i in sorted(p.items, key=lambda i: i.position)]
        for row in rows[p.id]:
            n = db.get(Nomination, row.n.id)
            seen |= {(n.campaign.kind, n.subject_type)}
            assert isinstance(row.n, proposals.ItemNomination)
            assert (row.n.title, row.n.state, row.n.version, row.n.subject_type, row.n.department_id,
                    row.n.campaign_id, row.n.unit_id, row.n.subject_person_id, row.n.campaign) == (
                n.title, n.state, n.version, n.subject_type, n.department_id, n.campaign_id, n.unit_id,
                n.subject_person_id, n.campaign)
            assert (row.n.subject_name, row.n.unit.name, row.n.unit.code) == (n.subject_name, n.unit.name, n.unit.code)
            db.info.pop(rules._MEMO, None)  # the entity's rules asked afresh, not answered from the row's
            assert row.results == rules.evaluate(db, n, "propose")
            if p.state == "draft":
                assert row.refusals == proposals.item_refusals(db, n, p)
                assert row.outcome is None
            else:
                history = list(db.scalars(select(StateChange).where(StateChange.nomination_id == n.id)
                                          .order_by(StateChange.version)))
                expected = _outcome_from_history(n, p, history)
                assert {k: getattr(row, k) for k in expected} == expected, (p.number, n.id)
    assert seen == {("annual", "collective"), ("annual", "individual"), ("period", "collective"),
                    ("period", "individual")}
    outcomes = {r.outcome for p in pages for r in rows[p.id]}
    assert outcomes == {None, "proposed", "recognized", "rejected", "revoked"}
    assert any(r.results and any(x.result == "fail" for x in r.results) for p in pages for r in rows[p.id])
    assert any(r.decision_id for p in pages for r in rows[p.id])


def test_a_page_of_items_is_evaluated_as_each_alone_the_session_asked_once(db, demo, monkeypatch):
    """`rules.evaluate_many` answers what `evaluate` answers for each row, on a clean session (answers kept) and on
    one holding a change (asked afresh); the page asks the session's state once, not once per item."""
    ids = [p.id for p in _world(db, demo)]
    db.flush()
    db.expunge_all()
    pages = [db.get(Proposal, i) for i in ids]
    read = [r.n for p in pages for r in proposals.items_of(db, pages, with_rules=False)[p.id]]
    ns = [db.get(Nomination, n.id) for n in read]
    expected = []
    for n in ns:
        db.info.pop(rules._MEMO, None)
        expected.append(rules.evaluate(db, n, "propose"))
    db.info.pop(rules._MEMO, None)
    asked = []
    is_clean = type(db)._is_clean  # how evaluate_many asks the session's state (a flush asks it too: not counted)

    def counted(self):
        if sys._getframe(1).f_code is rules.evaluate_many.__code__:
            asked.append(1)
        return is_clean(self)

    monkeypatch.setattr(type(db), "_is_clean", counted)
    assert rules.evaluate_many(db, read, "propose") == expected
    assert len(asked) == 1
    assert rules.evaluate_many(db, read, "propose") == expected  # from the answers kept
    ns[0].title = "Đổi tên"  # a change not flushed: the rules are asked afresh
    assert rules.evaluate_many(db, read, "propose") == expected
    assert any(any(r.result == "fail" for r in results) for results in expected)

