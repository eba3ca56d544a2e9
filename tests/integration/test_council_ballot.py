"""The secret ballot (issue 3): a receipt says THAT a member voted, a sealed ballot WHAT was voted, and nothing links
the two; one vote per member and item; recused members, non-members and absent members do not vote.
(Simultaneous votes: test_council_concurrency.py.)"""
# ruff: noqa: F811 - `db` is the rolled-back fixture of test_council_helpers, imported here
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from test_council_helpers import MEMBERS, close, db, item_of, nominate, open_session, uid, vote  # noqa: F401

from models import AuditEvent, Ballot, BallotReceipt
from workflow import ballots, council
from workflow.errors import Conflict, Forbidden, ValidationFailed


def test_receipt_and_ballot_carry_no_link(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    order = ["hoidong2", "giamdoc", "hoidong4", "vanphong"]
    for username, choice in zip(order, ["disagree", "agree", "abstain", "agree"], strict=True):
        council.cast_vote(db, demo.actor(username), s.id, nomination_id=n.id, choice=choice)
    db.flush()
    # No column of a ballot names a member, a time, a receipt or a sequence; a receipt holds no choice.
    ballot_cols = {c.name for c in Ballot.__table__.columns}
    assert ballot_cols == {"key", "item_id", "sealed_choice"}
    assert {fk.column.table.name for fk in Ballot.__table__.foreign_keys} == {"agenda_items"}
    assert {c.name for c in BallotReceipt.__table__.columns} == {"id", "item_id", "member_user_id"}
    # The key is random, not an insertion order, and no sealed choice reveals its content.
    rows = db.scalars(select(Ballot).where(Ballot.item_id == item_of(s, n).id)).all()
    assert len(rows) == 4 and all(len(b.key) == 32 for b in rows)
    assert all(c not in b.sealed_choice for b in rows for c in ballots.CHOICES)
    assert len({b.sealed_choice for b in rows}) == 4  # the two "agree" ballots differ too
    assert sorted(ballots.unseal(b.item_id, b.sealed_choice) for b in rows) == [
        "abstain", "agree", "agree", "disagree"]
    # What the council's own read model shows: who voted, never what.
    assert council.voted_items(db, s, uid(demo, "hoidong2")) == {n.id}
    progress = council.progress(db, s)
    assert (progress.items[0].voted, progress.items[0].entitled, progress.quorum_met) == (4, 7, True)


def test_vote_events_never_carry_the_choice(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    vote(db, demo, s, n, 3, 2, 2)
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "council_session.vote_cast")).all()
    assert len(events) == 7
    for event in events:
        assert set(event.data) == {"nomination_id", "via"}
        assert not any(c in str(event.data) for c in ballots.CHOICES)
    assert {e.actor_username for e in events} == set(MEMBERS)


def test_a_second_vote_is_refused_and_the_first_stands(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=n.id, choice="agree")
    for choice in ("disagree", "agree"):
        with pytest.raises(Conflict):
            council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=n.id, choice=choice)
    close(db, demo, s)
    item = item_of(s, n)
    assert (item.agree, item.disagree, item.abstain) == (1, 0, 0)
    assert db.scalar(select(func.count()).select_from(BallotReceipt)) == 1
    assert db.scalar(select(func.count()).select_from(Ballot)) == 1


@pytest.mark.parametrize(("subject", "recused"), [
    ({"unit": "PBGDPL"}, {"hoidong1"}),                            # a member of the nominated unit
    ({"unit": "TTR"}, {"hoidong2"}),                               # the head of the nominated unit
    ({"unit": "VP"}, {"vanphong", "hoidong5"}),                    # a member and the head
    ({"unit": "HCTP"}, set()),
    ({"person": "Huỳnh Văn Đức"}, {"hoidong1"}),                   # the subject of an individual nomination
    ({"person": "Lê Văn Phúc"}, {"vanphong", "hoidong5"}),         # the subject, and the head of the subject's unit
    ({"person": "Phan Thị Kim Oanh"}, set()),
])
def test_recused_members_do_not_vote(db, demo, subject, recused):
    n = nominate(db, demo, **subject)
    s = open_session(db, demo, [n])
    for username in MEMBERS:
        if username in recused:
            with pytest.raises(Forbidden) as err:
                council.cast_vote(db, demo.actor(username), s.id, nomination_id=n.id, choice="agree")
            assert err.value.reasons and err.value.reasons[0].startswith("Là ")
        else:
            council.cast_vote(db, demo.actor(username), s.id, nomination_id=n.id, choice="agree")
    close(db, demo, s)
    item = item_of(s, n)
    assert (item.recused, item.entitled, item.agree) == (len(recused), 7 - len(recused), 7 - len(recused))
    assert item.outcome == "passed"


def test_the_subject_stays_recused_after_moving_to_another_unit(db, demo):
    """Only the subject rule keeps hoidong1 out once neither the person nor the account belongs to the unit."""
    n = nominate(db, demo, person="Huỳnh Văn Đức")
    hoidong1 = demo.user("hoidong1")
    hoidong1.unit_id = hoidong1.person.unit_id = demo.unit("TTR").id
    db.flush()
    assert council.recusal_reason(hoidong1, n) == "Là cá nhân được đề nghị."
    s = open_session(db, demo, [n])
    with pytest.raises(Forbidden):
        council.cast_vote(db, demo.actor("hoidong1"), s.id, nomination_id=n.id, choice="agree")


@pytest.mark.parametrize(("account_unit", "person_unit", "recused"), [
    ("PBGDPL", "PBGDPL", True),
    ("TTR", "PBGDPL", True),    # the account moved, the person did not
    ("PBGDPL", "TTR", True),    # the person moved (or has no record there), the account did not
    ("TTR", "TTR", False),
])
def test_the_unit_rule_applies_through_the_person_and_the_account(db, demo, account_unit, person_unit, recused):
    n = nominate(db, demo, unit="PBGDPL")
    hoidong1 = demo.user("hoidong1")
    hoidong1.unit_id, hoidong1.person.unit_id = demo.unit(account_unit).id, demo.unit(person_unit).id
    db.flush()
    assert (council.recusal_reason(hoidong1, n) is not None) is recused
    s = open_session(db, demo, [n])
    if recused:
        with pytest.raises(Forbidden):
            council.cast_vote(db, demo.actor("hoidong1"), s.id, nomination_id=n.id, choice="agree")
    else:
        council.cast_vote(db, demo.actor("hoidong1"), s.id, nomination_id=n.id, choice="agree")


@pytest.mark.parametrize("username", ["tp_hctp", "canbo1", "thanhtra", "admin"])
def test_non_members_do_not_vote(db, demo, username):
    n = nominate(db, demo, unit="PTP-LX")
    s = open_session(db, demo, [n])
    with pytest.raises((Forbidden, ValidationFailed)) as err:
        council.cast_vote(db, demo.actor(username), s.id, nomination_id=n.id, choice="agree")
    assert err.value.status in (403, 404)
    assert db.scalar(select(func.count()).select_from(BallotReceipt)) == 0


def test_a_member_made_inactive_no_longer_votes(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    council.set_member(db, demo.actor("admin"), s.council_id, user_id=uid(demo, "hoidong5"), active=False)
    with pytest.raises(Forbidden):
        council.cast_vote(db, demo.actor("hoidong5"), s.id, nomination_id=n.id, choice="agree")


def test_only_members_marked_present_vote(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n], present=MEMBERS[:5])
    with pytest.raises(Forbidden):
        council.cast_vote(db, demo.actor("hoidong5"), s.id, nomination_id=n.id, choice="agree")
    council.record_attendance(db, demo.actor("vanphong"), s.id, [uid(demo, u) for u in MEMBERS])
    council.cast_vote(db, demo.actor("hoidong5"), s.id, nomination_id=n.id, choice="agree")


def test_choices_and_items_are_checked(db, demo):
    n, other = nominate(db, demo, unit="HCTP"), nominate(db, demo, unit="PTP-LX")
    s = open_session(db, demo, [n])
    for choice in ("yes", "", None, "AGREE"):
        with pytest.raises(ValidationFailed):
            council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=n.id, choice=choice)
    with pytest.raises(ValidationFailed):
        council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=other.id, choice="agree")
    assert db.scalar(select(func.count()).select_from(Ballot)) == 0


def test_a_changed_ballot_key_stops_the_close_with_its_cause(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    vote(db, demo, s, n, 5)
    saved = dict(ballots._STATE)
    try:
        ballots.configure("rotated-key")
        with pytest.raises(Conflict, match="BALLOT_KEY"):
            close(db, demo, s)
    finally:
        ballots._STATE.update(saved)
