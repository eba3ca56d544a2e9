"""Proposals (Tờ trình) to the Minister and the Ministry's decision at ngành level (issue 4), through the services:
drafting by the secretariat, the hard ngành rules, one live proposal per nomination, submission by the director (or
a deputy under delegation) for every item or none, the lock, the numbering, who sees what, the Minister's decision
(recognise, reject, revoke, extend one decision), and the audit events and notifications.

Cơ sở examples are written straight into `evaluated_co_so` (a `recognize_co_so` history row and the award record,
as the director's decision writes them): the ngành rules read that history, and the council path has its own tests
(one test here drives the real council + decision path end to end)."""
# ruff: noqa: F811 - `db` is the rolled-back fixture of test_council_helpers, imported here
from __future__ import annotations

import datetime as dt

import pytest
from factories import DAY, co_so_example, deputy_director, draft, history, proposed, submit
from factories import nganh_decision as nganh
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from test_council_helpers import (  # noqa: F401 (db: the fixtures)
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

from models import (
    AuditEvent,
    AwardRecord,
    Campaign,
    Decision,
    Delegation,
    Notification,
    Proposal,
    ProposalItem,
    StateChange,
)
from notifications import audit
from workflow import clock
from workflow.administration.accounts import create_user
from workflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflow.nominations import service
from workflow.policy import actor_for
from workflow.proposals import decisions
from workflow.proposals import operations as proposals

PASSWORD = "other-pass-1"


# ------------------------------------------------------------------------------------------------ helpers
def stp2(db, demo):
    """The second department (Khánh Hòa): its campaign and a secretariat and a director account."""
    campaign = db.scalar(select(Campaign).where(Campaign.department_id == demo.unit("STP2").id))
    sec = create_user(db, "vp_stp2", roles=["secretariat"], password=PASSWORD, unit_code="STP2-VP")
    director = create_user(db, "gd_stp2", roles=["director"], password=PASSWORD, unit_code="STP2")
    db.flush()
    return campaign, actor_for(db, sec), actor_for(db, director)


def count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


# ------------------------------------------------------------------------------------------------ drafting
def test_the_secretariat_drafts_a_proposal_from_its_co_so_examples(db, demo):
    a, b = co_so_example(db, demo, unit="HCTP"), co_so_example(db, demo, person="Nguyễn Thị Lan")
    p = draft(db, demo, [a, b, a])  # a repeated id counts once
    assert (p.state, p.department_id, p.campaign_id, p.number, p.seq, p.created_by_id) == (
        "draft", demo.unit("STP").id, demo.campaign().id, None, None, uid(demo, "vanphong"))
    assert [(i.nomination_id, i.position, i.live) for i in p.items] == [(a.id, 1, True), (b.id, 2, True)]
    assert p.title.endswith(demo.campaign().name)
    assert {a.state, b.state} == {"evaluated_co_so"}  # drafting moves nothing
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "proposal.create"))
    assert (event.object_id, event.actor_username, event.data["nomination_ids"]) == (p.id, "vanphong", [a.id, b.id])


@pytest.mark.parametrize("username", ["giamdoc", "tp_hctp", "hoidong2", "botp", "admin", "thanhtra", "canbo1"])
def test_only_the_secretariat_drafts(db, demo, username):
    a = co_so_example(db, demo, unit="HCTP")
    with pytest.raises(Forbidden):
        proposals.create(db, demo.actor(username), nomination_ids=[a.id])
    assert count(db, Proposal) == 0


@pytest.mark.parametrize("ids", [[], None, "1", [True], ["1"], [1.0]])
def test_the_item_list_is_checked(db, demo, ids):
    with pytest.raises(ValidationFailed):
        proposals.create(db, demo.actor("vanphong"), nomination_ids=ids)


def test_items_that_may_not_be_proposed_are_refused_each_with_its_reason(db, demo):
    ok = co_so_example(db, demo, unit="HCTP")
    waiting = nominate(db, demo, unit="PTP-LX")                          # submitted, not yet a cơ sở example
    # evaluated_co_so without a recognize_co_so step in its history: the hard rule da_cong_nhan_co_so fails
    bare = nominate(db, demo, unit="XDKT", state="evaluated_co_so")
    campaign, _, _ = stp2(db, demo)
    foreign = co_so_example(db, demo, unit="STP2-VP", campaign=campaign)  # another department
    ids = [ok.id, waiting.id, bare.id, foreign.id, 10**6]
    with pytest.raises(ValidationFailed) as err:
        proposals.create(db, demo.actor("vanphong"), nomination_ids=ids)
    reasons = err.value.reasons
    assert len(reasons) == 4, reasons
    assert any(str(waiting.id) in r and "Điển hình cấp cơ sở" in r for r in reasons)
    assert any(f"số {bare.id}" in r and "Đã được công nhận điển hình tiên tiến cấp cơ sở" in r for r in reasons)
    assert any(f"số {foreign.id}:" in r and "không thuộc Sở" in r for r in reasons)
    assert any(f"số {10**6}:" in r for r in reasons)
    assert count(db, Proposal) == 0 and count(db, ProposalItem) == 0
    assert proposals.create(db, demo.actor("vanphong"), nomination_ids=[ok.id]).id


def test_the_annual_rule_reads_the_history_not_the_state(db, demo):
    """Rule da_cong_nhan_co_so: a nomination in evaluated_co_so without a recognize_co_so step is refused;
    the same nomination with the step passes."""
    n = nominate(db, demo, unit="HCTP", state="evaluated_co_so")
    with pytest.raises(ValidationFailed) as err:
        draft(db, demo, [n])
    assert "cấp cơ sở" in err.value.reasons[0]
    db.add(StateChange(nomination_id=n.id, version=2, action="recognize_co_so", from_state="submitted",
                       to_state="evaluated_co_so", data={}))
    db.flush()
    assert draft(db, demo, [n]).items[0].nomination_id == n.id


def test_items_of_one_campaign_only(db, demo):
    annual = co_so_example(db, demo, unit="HCTP")
    period = co_so_example(db, demo, unit="PTP-LX", campaign=demo.campaign("period"))
    db.add(AwardRecord(unit_id=demo.unit("PTP-LX").id, title="dien_hinh_nganh", level="bo", year=2023))
    db.flush()
    with pytest.raises(ValidationFailed) as err:
        draft(db, demo, [annual, period])
    assert any("cùng một phong trào" in r for r in err.value.reasons)
    p = draft(db, demo, [annual])
    with pytest.raises(ValidationFailed) as err:
        proposals.set_items(db, demo.actor("vanphong"), p.id, [annual.id, period.id])
    assert any("cùng một phong trào" in r for r in err.value.reasons)
    assert [i.nomination_id for i in p.items] == [annual.id]


def test_a_nomination_stands_in_one_live_proposal_at_most(db, demo):
    a, b = co_so_example(db, demo, unit="HCTP"), co_so_example(db, demo, unit="PTP-LX")
    first = draft(db, demo, [a])
    with pytest.raises(ValidationFailed) as err:
        draft(db, demo, [a, b])
    assert "tờ trình khác" in err.value.reasons[0]
    second = draft(db, demo, [b])
    with pytest.raises(ValidationFailed):
        proposals.set_items(db, demo.actor("vanphong"), second.id, [b.id, a.id])
    # Its own proposal may list it again (set_items replaces the list).
    proposals.set_items(db, demo.actor("vanphong"), first.id, [a.id])
    # Once removed from the first, it may go into the second.
    proposals.set_items(db, demo.actor("vanphong"), first.id, [co_so_example(db, demo, unit="XDKT").id])
    proposals.set_items(db, demo.actor("vanphong"), second.id, [b.id, a.id])
    assert [i.nomination_id for i in second.items] == [b.id, a.id]


def test_the_database_refuses_a_second_live_item_for_a_nomination(db, demo):
    a = co_so_example(db, demo, unit="HCTP")
    p1, p2 = draft(db, demo, [a]), draft(db, demo, [co_so_example(db, demo, unit="PTP-LX")])
    db.commit()
    with pytest.raises(IntegrityError):
        with db.begin_nested():
            db.add(ProposalItem(proposal_id=p2.id, nomination_id=a.id, position=9))
            db.flush()
    db.rollback()
    # A closed (not live) item does not count.
    p1.items[0].live = False
    db.add(ProposalItem(proposal_id=p2.id, nomination_id=a.id, position=9))
    db.flush()


def test_set_items_replaces_the_list_and_is_audited(db, demo):
    a, b, c = (co_so_example(db, demo, unit=u) for u in ("HCTP", "PTP-LX", "XDKT"))
    p = draft(db, demo, [a, b])
    proposals.set_items(db, demo.actor("vanphong"), p.id, [c.id, a.id])
    assert [(i.nomination_id, i.position) for i in p.items] == [(c.id, 1), (a.id, 2)]
    assert count(db, ProposalItem, ProposalItem.proposal_id == p.id) == 2
    draft(db, demo, [b])  # b is free again
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "proposal.set_items"))
    assert (event.object_id, event.data["nomination_ids"]) == (p.id, [c.id, a.id])
    for username in ("giamdoc", "tp_hctp", "botp"):
        with pytest.raises((Forbidden, NotFound)):
            proposals.set_items(db, demo.actor(username), p.id, [a.id])


# ------------------------------------------------------------------------------------------------ submitting
def test_the_director_submits_every_item_at_once(db, demo):
    a, b = co_so_example(db, demo, unit="HCTP"), co_so_example(db, demo, person="Nguyễn Thị Lan")
    p = draft(db, demo, [a, b])
    reviewer2 = create_user(db, "botp2", roles=["ministry_reviewer"], password=PASSWORD, unit_code="BTP")
    submit(db, demo, p, number="46/TTr-STP", date=DAY)
    assert (p.state, p.number, p.seq, p.year, p.date, p.signer_id, p.on_behalf_of_id, p.signer_title) == (
        "submitted", "46/TTr-STP", 46, 2026, DAY, uid(demo, "giamdoc"), None, "GIÁM ĐỐC")
    assert p.submitted_at is not None
    for n in (a, b):
        assert n.state == "proposed_nganh"
        (step,) = history(db, n, "propose_nganh")
        assert (step.actor_id, step.from_state, step.data) == (uid(demo, "giamdoc"), "evaluated_co_so",
                                                               {"proposal_id": str(p.id)})
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "proposal.submit"))
    assert (event.object_id, event.data["number"], event.data["date"], event.data["nomination_ids"],
            event.data["on_behalf_of"]) == (p.id, "46/TTr-STP", "2026-11-25", [a.id, b.id], None)
    assert count(db, AuditEvent, AuditEvent.action == "nomination.propose_nganh") == 2
    # Every ministry reviewer is told, nobody else.
    assert notified(db, demo, "proposal.submitted") == {"botp", reviewer2.username}
    assert audit.verify(db).ok


@pytest.mark.parametrize("username", ["vanphong", "hoidong2", "tp_hctp", "botp", "admin"])
def test_only_the_director_submits(db, demo, username):
    a = co_so_example(db, demo, unit="HCTP")
    p = draft(db, demo, [a])
    with pytest.raises((Forbidden, NotFound)):
        submit(db, demo, p, actor=username)
    assert (p.state, a.state) == ("draft", "evaluated_co_so")


def test_another_departments_director_cannot_submit(db, demo):
    a = co_so_example(db, demo, unit="HCTP")
    p = draft(db, demo, [a])
    _, _, director2 = stp2(db, demo)
    with pytest.raises((Forbidden, NotFound)):
        proposals.submit(db, director2, p.id, number=1, date=DAY)
    assert (p.state, a.state) == ("draft", "evaluated_co_so")


def test_roles_that_see_every_proposal_still_act_only_in_their_own_department(db, demo):
    """An auditor sees all proposals; holding also the director's or the secretariat's role of another department
    must not let them submit or edit this department's proposal."""
    a = co_so_example(db, demo, unit="HCTP")
    p = draft(db, demo, [a])
    director2 = create_user(db, "gd_kt_stp2", roles=["auditor", "director"], password=PASSWORD, unit_code="STP2")
    sec2 = create_user(db, "vp_kt_stp2", roles=["auditor", "secretariat"], password=PASSWORD, unit_code="STP2-VP")
    assert proposals.load(db, actor_for(db, director2), p.id).id == p.id
    with pytest.raises(Forbidden):
        proposals.submit(db, actor_for(db, director2), p.id, number=1, date=DAY)
    with pytest.raises(Forbidden):
        proposals.set_items(db, actor_for(db, sec2), p.id, [a.id])
    with pytest.raises(ValidationFailed):  # and cannot draft with this department's items
        proposals.create(db, actor_for(db, sec2), nomination_ids=[a.id])
    assert (p.state, a.state) == ("draft", "evaluated_co_so")


def test_a_deputy_under_delegation_signs_kt(db, demo):
    a = co_so_example(db, demo, unit="HCTP")
    p = draft(db, demo, [a])
    deputy = deputy_director(db, demo, "council_member")
    with pytest.raises(Forbidden):  # no delegation
        submit(db, demo, p, actor=actor_for(db, deputy))
    today = clock.today()
    db.add(Delegation(department_id=demo.unit("STP").id, director_id=uid(demo, "giamdoc"), deputy_id=deputy.id,
                      starts_on=today, ends_on=today + dt.timedelta(days=5)))
    db.flush()
    submit(db, demo, p, actor=actor_for(db, deputy))
    assert (p.signer_id, p.on_behalf_of_id, p.signer_title) == (deputy.id, uid(demo, "giamdoc"), "PHÓ GIÁM ĐỐC")
    (step,) = history(db, a, "propose_nganh")
    assert (step.actor_id, step.on_behalf_of_id) == (deputy.id, uid(demo, "giamdoc"))
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "proposal.submit"))
    assert (event.actor_username, event.data["on_behalf_of"]) == ("phogiamdoc", "giamdoc")


def test_an_item_revoked_after_drafting_blocks_the_whole_submission(db, demo):
    a, b = co_so_example(db, demo, unit="HCTP"), co_so_example(db, demo, unit="PTP-LX")
    p = draft(db, demo, [a, b])
    service.transition(db, demo.actor("giamdoc"), b.id, "revoke", b.version, reason="Hồ sơ không trung thực",
                       decision_number="20/QĐ-STP")
    db.commit()
    events = count(db, AuditEvent)
    with pytest.raises(ValidationFailed) as err:  # 422
        submit(db, demo, p)
    db.rollback()
    assert any(f"số {b.id}" in r for r in err.value.reasons) and not any(f"số {a.id}" in r for r in err.value.reasons)
    assert (p.state, p.number, a.state, b.state) == ("draft", None, "evaluated_co_so", "revoked")
    assert history(db, a, "propose_nganh") == [] and count(db, AuditEvent) == events
    assert count(db, Notification, Notification.kind == "proposal.submitted") == 0
    proposals.set_items(db, demo.actor("vanphong"), p.id, [a.id])
    submit(db, demo, p)
    assert a.state == "proposed_nganh"


def test_an_item_that_fails_while_moving_leaves_nothing_moved(db, demo):
    """The director is the subject of the second item: the rules pass, the transition refuses it (separation of
    duties) after the first item has moved; the caller's rollback undoes the whole submission."""
    a = co_so_example(db, demo, unit="HCTP")
    own = co_so_example(db, demo, person="Nguyễn Văn Giám")
    p = draft(db, demo, [a, own])
    db.commit()
    with pytest.raises(ValidationFailed) as err:
        submit(db, demo, p)
    assert str(own.id) in err.value.detail
    db.rollback()
    assert (p.state, p.seq, a.state, own.state) == ("draft", None, "evaluated_co_so", "evaluated_co_so")
    assert count(db, StateChange, StateChange.action == "propose_nganh") == 0
    assert count(db, AuditEvent, AuditEvent.action.in_(("proposal.submit", "nomination.propose_nganh"))) == 0


def test_an_empty_draft_cannot_be_submitted(db, demo):
    a = co_so_example(db, demo, unit="HCTP")
    p = draft(db, demo, [a])
    p.items.clear()
    db.flush()
    with pytest.raises(ValidationFailed):
        submit(db, demo, p)
    assert p.state == "draft"


def test_a_submitted_proposal_is_locked(db, demo):
    a, b = co_so_example(db, demo, unit="HCTP"), co_so_example(db, demo, unit="PTP-LX")
    p = proposed(db, demo, [a])
    with pytest.raises(Conflict):
        proposals.set_items(db, demo.actor("vanphong"), p.id, [a.id, b.id])
    with pytest.raises(Conflict):
        submit(db, demo, p, number=47)
    assert (p.number, [i.nomination_id for i in p.items]) == ("46/TTr-STP", [a.id])
    assert len(history(db, a, "propose_nganh")) == 1
    with pytest.raises(ValidationFailed):  # still listed live: no second proposal
        draft(db, demo, [a])


def test_propose_nganh_outside_a_submitted_proposal_is_refused(db, demo):
    """Guard of propose_nganh: the item must be listed in a signed (submitted) proposal; a draft does not count."""
    a = co_so_example(db, demo, unit="HCTP")
    with pytest.raises(ValidationFailed) as err:
        service.transition(db, demo.actor("giamdoc"), a.id, "propose_nganh", a.version)
    assert any("Tờ trình" in r for r in err.value.reasons)
    draft(db, demo, [a])
    with pytest.raises(ValidationFailed):
        service.transition(db, demo.actor("giamdoc"), a.id, "propose_nganh", a.version)
    assert a.state == "evaluated_co_so"


# ------------------------------------------------------------------------------------------------ numbers
def test_numbers_are_unique_per_department_and_year_and_the_next_is_named(db, demo):
    a, b, c = (co_so_example(db, demo, unit=u) for u in ("HCTP", "PTP-LX", "XDKT"))
    stp = demo.unit("STP")
    assert proposals.next_number(db, stp.id, 2026) == 1
    proposed(db, demo, [a], number=46)
    assert proposals.next_number(db, stp.id, 2026) == 47
    p2 = draft(db, demo, [b])
    for same in (46, "46", "46/TTr-STP", " 46 / TTr - STP "):
        with pytest.raises(ValidationFailed) as err:
            submit(db, demo, p2, number=same)
        assert err.value.field_errors == {"number": "Trùng số"}
        assert "số tiếp theo là 47" in err.value.reasons[0]
    assert (p2.state, b.state) == ("draft", "evaluated_co_so")
    submit(db, demo, p2, number=46, date=dt.date(2027, 1, 5))  # the same number next year
    assert (p2.year, p2.seq, p2.number) == (2027, 46, "46/TTr-STP")
    # Another department may use the same number in the same year.
    campaign, sec2, director2 = stp2(db, demo)
    x = co_so_example(db, demo, unit="STP2-VP", campaign=campaign)
    p3 = proposals.create(db, sec2, nomination_ids=[x.id])
    proposals.submit(db, director2, p3.id, number=46, date=DAY)
    assert (p3.number, p3.department_id) == ("46/TTr-STP", demo.unit("STP2").id)  # every Sở writes "STP"
    p4 = draft(db, demo, [c])
    submit(db, demo, p4, number=proposals.next_number(db, stp.id, 2026))
    assert p4.number == "47/TTr-STP"


@pytest.mark.parametrize("number", ["46/TTr-KHA", "46/QĐ-STP", "46/TTr-STP2", "46/KH-STP"])
def test_a_number_with_another_symbol_is_refused(db, demo, number):
    a = co_so_example(db, demo, unit="HCTP")
    p = draft(db, demo, [a])
    with pytest.raises(ValidationFailed) as err:
        submit(db, demo, p, number=number)
    assert err.value.field_errors == {"number": "Sai ký hiệu"} and "TTr-STP" in err.value.reasons[0]
    assert (p.state, a.state) == ("draft", "evaluated_co_so")


@pytest.mark.parametrize("number", ["abc", 0, "0", -1, None, "", True, "1234567", "46/", 4.6])
def test_invalid_numbers_are_refused(db, demo, number):
    p = draft(db, demo, [co_so_example(db, demo, unit="HCTP")])
    with pytest.raises(ValidationFailed) as err:
        submit(db, demo, p, number=number)
    assert "number" in err.value.field_errors


@pytest.mark.parametrize("date", ["31/11/2026", None, "", "2026-13-01", "2026-11-25T10:00", 1.5])
def test_invalid_dates_are_refused(db, demo, date):
    p = draft(db, demo, [co_so_example(db, demo, unit="HCTP")])
    with pytest.raises(ValidationFailed) as err:
        submit(db, demo, p, date=date)
    assert "date" in err.value.field_errors
    assert p.state == "draft"


# ------------------------------------------------------------------------------------------------ who sees what
def test_a_department_sees_its_own_proposals_and_the_ministry_only_submitted_ones(db, demo):
    campaign, sec2, director2 = stp2(db, demo)
    mine_draft = draft(db, demo, [co_so_example(db, demo, unit="HCTP")])
    mine_sent = proposed(db, demo, [co_so_example(db, demo, unit="PTP-LX")])
    x = co_so_example(db, demo, unit="STP2-VP", campaign=campaign)
    y = co_so_example(db, demo, person="Trần Văn Hòa", campaign=campaign)
    theirs_draft = proposals.create(db, sec2, nomination_ids=[x.id])
    theirs_sent = proposals.create(db, sec2, nomination_ids=[y.id])
    proposals.submit(db, director2, theirs_sent.id, number=3, date=DAY)

    def listed(actor):
        return {p.id for p in proposals.list_proposals(db, actor, page=1, per_page=50).items}

    for username in ("vanphong", "giamdoc"):
        assert listed(demo.actor(username)) == {mine_draft.id, mine_sent.id}
    assert listed(sec2) == listed(director2) == {theirs_draft.id, theirs_sent.id}
    assert listed(demo.actor("botp")) == {mine_sent.id, theirs_sent.id}
    assert listed(demo.actor("thanhtra")) == listed(demo.actor("admin")) == {
        mine_draft.id, mine_sent.id, theirs_draft.id, theirs_sent.id}
    for username in ("tp_hctp", "canbo1", "bientap"):
        assert listed(demo.actor(username)) == set()
    assert {p.id for p in proposals.list_proposals(db, demo.actor("botp"), page=1, per_page=50,
                                                   department=str(demo.unit("STP2").id)).items} == {theirs_sent.id}
    with pytest.raises(NotFound):
        proposals.load(db, demo.actor("botp"), mine_draft.id)
    with pytest.raises(NotFound):
        proposals.load(db, sec2, mine_sent.id)
    with pytest.raises(NotFound):
        proposals.load(db, demo.actor("vanphong"), theirs_sent.id)
    with pytest.raises(NotFound):
        proposals.load(db, demo.actor("tp_hctp"), mine_sent.id)
    assert proposals.load(db, demo.actor("botp"), theirs_sent.id).id == theirs_sent.id
    with pytest.raises(ValidationFailed):
        proposals.list_proposals(db, demo.actor("botp"), page=1, per_page=50, department="x")


# ------------------------------------------------------------------------------------------------ the Ministry
def test_the_ministry_recognises_at_nganh_level(db, demo):
    a, lan = co_so_example(db, demo, unit="HCTP"), co_so_example(db, demo, person="Nguyễn Thị Lan")
    p = proposed(db, demo, [a, lan])
    d = nganh(db, demo, [a.id, lan.id])
    btp = demo.unit("BTP")
    assert (d.level, d.issuer_id, d.number, d.seq, d.year, d.signer_id, d.signer_title) == (
        "nganh", btp.id, "100/QĐ-BTP", 100, 2026, uid(demo, "botp"), "BỘ TRƯỞNG")
    for n in (a, lan):
        assert n.state == "recognized"
        award = db.scalar(select(AwardRecord).where(AwardRecord.nomination_id == n.id,
                                                    AwardRecord.title == "dien_hinh_nganh"))
        assert (award.level, award.year, award.decision_number, award.revoked) == ("bo", 2026, "100/QĐ-BTP", False)
        (step,) = history(db, n, "recognize_nganh")
        assert step.data == {"decision_id": str(d.id), "decision_number": "100/QĐ-BTP", "decision_date": "2026-11-25"}
    assert db.scalar(select(AwardRecord.person_id).where(AwardRecord.nomination_id == lan.id,
                                                         AwardRecord.title == "dien_hinh_nganh")) == \
        demo.person("Nguyễn Thị Lan").id
    # The proposal's items are closed: they no longer block (and a recognised example cannot be proposed again).
    assert [i.live for i in p.items] == [False, False]
    with pytest.raises(ValidationFailed) as err:
        draft(db, demo, [a])
    assert "Điển hình cấp cơ sở" in err.value.reasons[0]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "decision.issue"))
    assert (event.object_id, event.data["level"], event.data["nomination_ids"]) == (d.id, "nganh", [a.id, lan.id])
    # Unit heads, the department's secretariat and the nominee's own account; not the reviewer, not anyone else.
    assert notified(db, demo, "decision.issued") == {"tp_hctp", "tp_pbgdpl", "vanphong", "canbo1"}
    assert audit.verify(db).ok


@pytest.mark.parametrize("username", ["giamdoc", "vanphong", "tp_hctp", "admin"])
def test_only_the_ministry_decides(db, demo, username):
    a = co_so_example(db, demo, unit="HCTP")
    proposed(db, demo, [a])
    with pytest.raises(Forbidden):
        nganh(db, demo, [a.id], actor=username)
    with pytest.raises((Forbidden, ValidationFailed)):
        service.transition(db, demo.actor(username), a.id, "reject_nganh", a.version, reason="x")
    assert a.state == "proposed_nganh"


def test_only_proposed_items_can_be_decided(db, demo):
    a, b = co_so_example(db, demo, unit="HCTP"), co_so_example(db, demo, unit="PTP-LX")
    proposed(db, demo, [a])
    with pytest.raises(ValidationFailed) as err:
        nganh(db, demo, [a.id, b.id])
    assert len(err.value.reasons) == 1 and f"số {b.id}" in err.value.reasons[0]
    assert (a.state, b.state, count(db, Decision)) == ("proposed_nganh", "evaluated_co_so", 0)


@pytest.mark.parametrize("number", ["100/QĐ-STP", "100/TTr-BTP"])
def test_the_ministry_number_carries_its_symbol(db, demo, number):
    a = co_so_example(db, demo, unit="HCTP")
    proposed(db, demo, [a])
    with pytest.raises(ValidationFailed) as err:
        nganh(db, demo, [a.id], number=number)
    assert "QĐ-BTP" in err.value.reasons[0]


def test_reject_nganh_returns_to_co_so_and_may_be_proposed_again(db, demo):
    a = co_so_example(db, demo, unit="HCTP")
    first = proposed(db, demo, [a])
    with pytest.raises(ValidationFailed):  # a reason is required
        service.transition(db, demo.actor("botp"), a.id, "reject_nganh", a.version)
    service.transition(db, demo.actor("botp"), a.id, "reject_nganh", a.version, reason="Chưa tiêu biểu")
    assert a.state == "evaluated_co_so"
    assert first.items[0].live is False and first.state == "submitted"
    assert db.scalar(select(AwardRecord.revoked).where(AwardRecord.nomination_id == a.id)) is False  # cơ sở stands
    assert count(db, AwardRecord, AwardRecord.nomination_id == a.id, AwardRecord.title == "dien_hinh_nganh") == 0
    # The department secretariat and the unit head are told, with the reason.
    assert notified(db, demo, "nomination.reject_nganh") == {"vanphong", "tp_hctp"}
    note = db.scalar(select(Notification).where(Notification.kind == "nomination.reject_nganh"))
    assert "Chưa tiêu biểu" in note.body
    second = proposed(db, demo, [a], number=47)
    assert a.state == "proposed_nganh" and len(history(db, a, "propose_nganh")) == 2
    assert [i.live for i in second.items] == [True]


def test_revoke_from_recognized_by_the_ministry_marks_the_award_records(db, demo):
    a = co_so_example(db, demo, unit="HCTP")
    proposed(db, demo, [a])
    nganh(db, demo, [a.id])
    with pytest.raises((Forbidden, ValidationFailed)):  # the director revokes only cơ sở examples
        service.transition(db, demo.actor("giamdoc"), a.id, "revoke", a.version, reason="x", decision_number="1")
    with pytest.raises(ValidationFailed):  # reason and decision number are required
        service.transition(db, demo.actor("botp"), a.id, "revoke", a.version, reason="Gian dối")
    service.transition(db, demo.actor("botp"), a.id, "revoke", a.version, reason="Gian dối",
                       decision_number="150/QĐ-BTP")
    assert a.state == "revoked"
    awards = db.scalars(select(AwardRecord).where(AwardRecord.nomination_id == a.id)).all()
    assert {(w.title, w.revoked) for w in awards} == {("dien_hinh_co_so", True), ("dien_hinh_nganh", True)}
    assert notified(db, demo, "nomination.revoke") == {"tp_hctp"}


def test_one_ministers_decision_covers_several_departments(db, demo):
    campaign, sec2, director2 = stp2(db, demo)
    a = co_so_example(db, demo, unit="HCTP")
    x = co_so_example(db, demo, unit="STP2-VP", campaign=campaign)
    late = co_so_example(db, demo, unit="PTP-LX")
    proposed(db, demo, [a, late])
    p2 = proposals.create(db, sec2, nomination_ids=[x.id])
    proposals.submit(db, director2, p2.id, number=5, date=DAY)
    assert notified(db, demo, "proposal.submitted") == {"botp"}
    d1 = nganh(db, demo, [a.id])
    d2 = nganh(db, demo, [x.id])  # same number, same date: the same decision
    assert d1.id == d2.id and count(db, Decision) == 1
    assert [i.nomination_id for i in d1.items] == [a.id, x.id]
    assert x.state == "recognized"
    # Same number, another date: a duplicate, the next free number named.
    with pytest.raises(ValidationFailed) as err:
        nganh(db, demo, [late.id], date=DAY + dt.timedelta(days=1))
    assert err.value.field_errors == {"number": "Trùng số"} and "số tiếp theo là 101" in err.value.reasons[0]
    assert late.state == "proposed_nganh"
    # A cơ sở decision of a department never extends the Ministry's (its own numbering), and vice versa.
    assert count(db, AuditEvent, AuditEvent.action == "decision.issue") == 2
    # STP2's people are told of their own item only.
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "decision.issued", Notification.user_id == demo.user("tp_stp2").id)) == 1
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "decision.issued", Notification.user_id == sec2.id)) == 1


def test_the_audit_trail_of_a_proposal(db, demo):
    start = db.scalar(select(func.max(AuditEvent.id))) or 0
    a, b = co_so_example(db, demo, unit="HCTP"), co_so_example(db, demo, unit="PTP-LX")
    p = draft(db, demo, [a])
    proposals.set_items(db, demo.actor("vanphong"), p.id, [a.id, b.id])
    submit(db, demo, p)
    nganh(db, demo, [a.id])
    service.transition(db, demo.actor("botp"), b.id, "reject_nganh", b.version, reason="Chưa đủ")
    rows = db.scalars(select(AuditEvent).where(AuditEvent.id > start).order_by(AuditEvent.id)).all()
    assert [r.action for r in rows] == [
        "proposal.create", "proposal.set_items", "nomination.propose_nganh", "nomination.propose_nganh",
        "proposal.submit", "nomination.recognize_nganh", "decision.issue", "nomination.reject_nganh"]
    assert audit.verify(db).ok


# ------------------------------------------------------------------------------------------------ end to end
def test_from_the_council_to_the_ministry(db, demo):
    """The real path: council vote and the director's decision (cơ sở), the proposal, the Minister's decision."""
    n = nominate(db, demo, unit="HCTP")
    demo.campaign().quota_collective = None
    s = open_session(db, demo, [n])
    vote(db, demo, s, n, len(entitled(demo, n)))
    close(db, demo, s, now=NOW + dt.timedelta(hours=2))
    decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=12, date=dt.date(2026, 6, 5),
                    nomination_ids=[n.id])
    assert n.state == "evaluated_co_so"
    p = proposed(db, demo, [n])
    nganh(db, demo, [n.id])
    assert (p.state, n.state) == ("submitted", "recognized")
    assert [h.action for h in n.history] == ["create", "accept", "recognize_co_so", "propose_nganh", "recognize_nganh"]
