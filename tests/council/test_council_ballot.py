"""The secret ballot (issues 3 and 10): a receipt says THAT a member voted, sealed slots WHAT was voted, and nothing
links the two; one vote per member and item; recused members, non-members and absent members do not vote.
(Simultaneous votes: test_council_concurrency.py; the administrator's attacks: test_secret_ballot_attacks.py.)"""
# ruff: noqa: F811 - `db` is the rolled-back fixture of test_council_helpers, imported here
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from test_council_helpers import MEMBERS, close, db, item_of, nominate, open_session, uid, vote  # noqa: F401

from models import AnonymousBallot, AuditEvent, BallotReceipt, BallotSlot
from workflow.council import ballots
from workflow.council import operations as council
from workflow.errors import Conflict, Forbidden, ValidationFailed


def test_receipt_and_ballot_carry_no_link(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    order = ["hoidong2", "giamdoc", "hoidong4", "vanphong"]
    for username, choice in zip(order, ["disagree", "agree", "abstain", "agree"], strict=True):
        council.cast_vote(db, demo.actor(username), s.id, nomination_id=n.id, choice=choice)
    db.flush()
    # No column of a slot names a member, a time, a receipt or a sequence; a receipt holds no choice.
    assert {c.name for c in BallotSlot.__table__.columns} == {"key", "item_id", "sealed"}
    assert {fk.column.table.name for fk in BallotSlot.__table__.foreign_keys} == {"agenda_items"}
    assert {c.name for c in BallotReceipt.__table__.columns} == {"id", "item_id", "member_user_id"}
    # One slot per member; the key is random, not an insertion order, and no sealed value reveals its content.
    rows = db.scalars(select(BallotSlot).where(BallotSlot.item_id == item_of(s, n).id)).all()
    assert len(rows) == 7 and all(len(b.key) == 32 for b in rows)
    assert all(c not in b.sealed for b in rows for c in ballots.CONTENTS)
    assert len({b.sealed for b in rows}) == 7  # the two "agree" ballots and the empty slots differ too
    assert {len(b.sealed) for b in rows} == {ballots.SEALED_LENGTH}
    assert sorted(ballots.open_slot(b.item_id, b.key, b.sealed) for b in rows) == [
        "abstain", "agree", "agree", "disagree", "empty", "empty", "empty"]
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
    # hoidong2 alone present: below the quorum the close judges nothing, so one ballot may be closed on
    s = open_session(db, demo, [n], present=("hoidong2",))
    council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=n.id, choice="agree")
    for choice in ("disagree", "agree"):
        with pytest.raises(Conflict):
            council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=n.id, choice=choice)
    close(db, demo, s)
    item = item_of(s, n)
    assert (item.agree, item.disagree, item.abstain) == (1, 0, 0)
    assert db.scalar(select(func.count()).select_from(BallotReceipt)) == 1
    assert db.scalar(select(func.count()).select_from(AnonymousBallot)) == 1
    assert db.scalar(select(func.count()).select_from(BallotSlot)) == 0


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
    assert {ballots.open_slot(b.item_id, b.key, b.sealed) for b in db.scalars(select(BallotSlot))} == {"empty"}


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


def _slots(db, item_id):
    return dict(db.execute(select(BallotSlot.key, BallotSlot.sealed).where(BallotSlot.item_id == item_id)).all())


def test_a_session_cannot_open_without_a_ballot_key(db, demo):
    n = nominate(db, demo, unit="HCTP")
    saved = dict(ballots._STATE)
    try:
        ballots.configure(None)
        with pytest.raises(Conflict, match="BALLOT_KEY") as err:
            open_session(db, demo, [n])
        assert "khai mạc" in err.value.detail and "SECRET_KEY" in err.value.reasons[0]
    finally:
        ballots._STATE.update(saved)
    assert db.scalar(select(func.count()).select_from(BallotSlot)) == 0


def test_each_vote_rewrites_every_slot_of_its_item_only(db, demo):
    """What the PostgreSQL xmin test shows with transaction ids, shown here with the values: after a vote every slot
    of the item holds a new sealed value (so none stands out), and the other item's slots are untouched."""
    n, other = nominate(db, demo, unit="HCTP"), nominate(db, demo, unit="PTP-LX")
    s = open_session(db, demo, [n, other])
    item, other_item = item_of(s, n), item_of(s, other)
    untouched = _slots(db, other_item.id)
    for username, choice in (("hoidong2", "agree"), ("giamdoc", "disagree"), ("hoidong4", "abstain")):
        before = _slots(db, item.id)
        council.cast_vote(db, demo.actor(username), s.id, nomination_id=n.id, choice=choice)
        after = _slots(db, item.id)
        assert before.keys() == after.keys() and len(after) == 7
        assert all(before[k] != after[k] for k in after)
    assert _slots(db, other_item.id) == untouched


def test_a_member_added_after_the_opening_still_votes(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    vote(db, demo, s, n, 7)  # every slot filled
    newcomer = demo.user("canbo1")
    newcomer.unit_id = demo.unit("STP").id
    db.flush()
    council.set_member(db, demo.actor("admin"), s.council_id, user_id=newcomer.id)
    council.record_attendance(db, demo.actor("vanphong"), s.id, [uid(demo, u) for u in [*MEMBERS, "canbo1"]])
    council.cast_vote(db, demo.actor("canbo1"), s.id, nomination_id=n.id, choice="disagree")
    assert len(_slots(db, item_of(s, n).id)) == 8
    close(db, demo, s)
    assert (item_of(s, n).agree, item_of(s, n).disagree) == (7, 1)


def test_an_item_without_slots_gets_one_per_member_at_its_first_vote(db, demo):
    """A session opened before slots existed (left so by migration 0009 when no BALLOT_KEY was set)."""
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n], present=("hoidong2",))  # below the quorum: one ballot may be closed on
    item = item_of(s, n)
    db.execute(BallotSlot.__table__.delete())
    council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=n.id, choice="abstain")
    slots = _slots(db, item.id)
    assert sorted(ballots.open_slot(item.id, k, v) for k, v in slots.items()) == ["abstain"] + ["empty"] * 6
    close(db, demo, s)
    assert item_of(s, n).abstain == 1


def test_no_vote_without_the_ballot_key(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    saved = dict(ballots._STATE)
    try:
        ballots.configure(None)
        with pytest.raises(Conflict, match="BALLOT_KEY"):
            council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=n.id, choice="agree")
    finally:
        ballots._STATE.update(saved)


def test_slots_that_do_not_match_the_receipts_stop_the_close(db, demo):
    """Someone with the key who empties a filled slot (or fills an empty one) is caught by the receipts' count."""
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n], present=MEMBERS[:3])  # the 3 voters: the ballots rule does not stop the close
    vote(db, demo, s, n, 3)
    item = item_of(s, n)
    filled = next(k for k, v in _slots(db, item.id).items() if ballots.open_slot(item.id, k, v) != "empty")
    db.execute(update(BallotSlot).where(BallotSlot.key == filled)
               .values(sealed=ballots.seal_slot(item.id, filled, "empty")))
    with pytest.raises(Conflict, match="không khớp"):
        close(db, demo, s)


def test_a_slot_moved_to_another_item_does_not_open(db, demo):
    n, other = nominate(db, demo, unit="HCTP"), nominate(db, demo, unit="PTP-LX")
    s = open_session(db, demo, [n, other], present=MEMBERS[:1])  # the voter: the ballots rule stays out of the way
    vote(db, demo, s, n, 1)
    item, other_item = item_of(s, n), item_of(s, other)
    moved = next(iter(_slots(db, item.id)))
    db.execute(update(BallotSlot).where(BallotSlot.key == moved).values(item_id=other_item.id))
    with pytest.raises(ValueError):
        ballots.open_slot(other_item.id, moved, db.scalar(select(BallotSlot.sealed).where(BallotSlot.key == moved)))
    with pytest.raises(Conflict):  # the moved slot does not open, or the first item lacks its ballot
        close(db, demo, s)


def test_the_close_leaves_anonymous_ballots_that_recount_the_tally(db, demo):
    n, other = nominate(db, demo, unit="HCTP"), nominate(db, demo, unit="PTP-LX")
    s = open_session(db, demo, [n, other])
    vote(db, demo, s, n, 4, 2, 1)
    vote(db, demo, s, other, 0, 5)
    close(db, demo, s)
    assert db.scalar(select(func.count()).select_from(BallotSlot)) == 0
    for nomination, expected in ((n, (4, 2, 1)), (other, (0, 5, 0))):
        item = item_of(s, nomination)
        assert (item.agree, item.disagree, item.abstain) == expected
        assert council.recount(db, item) == dict(zip(ballots.CHOICES, expected, strict=True))
    assert db.scalar(select(func.count()).select_from(BallotReceipt)) == 12  # receipts stay: they are public


def test_a_sealed_agree_copied_over_a_disagree_stops_the_close(db, demo):
    """Without the key one cannot read a slot, but could copy one over another: the slot's key in the sealed value's
    associated data makes the copy unreadable, so the close refuses instead of counting two "agree"."""
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n], present=MEMBERS[:2])  # the 2 voters: the ballots rule does not stop the close
    vote(db, demo, s, n, 1, 1)
    item = item_of(s, n)
    slots = _slots(db, item.id)
    by_content = {ballots.open_slot(item.id, k, v): k for k, v in slots.items()}
    db.execute(update(BallotSlot).where(BallotSlot.key == by_content["disagree"])
               .values(sealed=slots[by_content["agree"]]))
    with pytest.raises(Conflict, match="BALLOT_KEY"):
        close(db, demo, s)
