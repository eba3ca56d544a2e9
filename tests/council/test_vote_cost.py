"""What one vote costs (issue 13: a vote under 3 ms in process): a fixed, short list of statements, and no ORM object
of the member or of the item. A vote through the API has an actor built from its token's columns, with no ORM User:
the vote reads the member, their presence and what the recusal rule needs of them in one statement, instead of
loading the User and its Person (three statements) for the rule. On PostgreSQL the item's slots are re-sealed by one
statement, not one UPDATE per slot."""
from __future__ import annotations

import pytest
from factories import MEMBERS, entitled, nomination, open_session
from sqlalchemy import event, func, select

from models import BallotReceipt, BallotSlot, User
from workflow.administration import accounts
from workflow.council import ballots
from workflow.council import operations as council
from workflow.errors import Forbidden


def _api_actor(db, demo, username):
    """The actor an API request has: its token's caller, no ORM User loaded."""
    token = accounts.issue_token(db, demo.user(username))
    db.flush()
    db.expunge(demo.user(username))  # as in a request, the User is not in the session's identity map
    return accounts.caller_for_token(db, token).actor


def _recorded(db, fn):
    seen = []
    bind = db.connection().engine

    def record(_conn, _cursor, statement, _params, _context, executemany):
        seen.append((" ".join(statement.split()), executemany))

    event.listen(bind, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(bind, "before_cursor_execute", record)
    return seen


def test_a_vote_runs_a_fixed_list_of_statements_and_loads_no_user(db, demo):
    n = nomination(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    username = entitled(demo, n)[0]
    actor = _api_actor(db, demo, username)
    seen = _recorded(db, lambda: council.cast_vote(db, actor, s.id, nomination_id=n.id, choice="agree"))
    postgres = db.bind.dialect.name == "postgresql"
    # The session (locked for share), the member with their presence and recusal key, the item locked with its
    # nomination's subject, the receipt, the slots, their re-seal, the audit row (PostgreSQL: take its position, put
    # it; SQLite: take, put, set the head).
    assert len(seen) == (8 if postgres else 9), seen
    assert "user" not in actor.extra, "the vote loaded the ORM User (the recusal rule reads its columns in SQL)"
    assert not [t for t, _ in seen if t.startswith("SELECT users.") or t.startswith("SELECT people.")], seen
    reseal = [(t, many) for t, many in seen if t.startswith("UPDATE ballot_slots")]
    assert len(reseal) == 1
    assert reseal[0][1] is not postgres, "PostgreSQL re-seals every slot of the item in one statement"
    assert db.scalar(select(func.count()).select_from(BallotReceipt)) == 1
    item = next(i for i in s.items if i.nomination_id == n.id)
    contents = [ballots.open_slot(item.id, key, sealed) for key, sealed in
                db.execute(select(BallotSlot.key, BallotSlot.sealed).where(BallotSlot.item_id == item.id))]
    assert sorted(contents) == sorted(["agree"] + [ballots.EMPTY] * (len(contents) - 1))


def test_an_api_actor_is_recused_by_the_same_rule(db, demo):
    """The recusal through the member's columns read in SQL: hoidong1 belongs to PBGDPL, so may not vote on its
    dossier, while an item of HCTP is open to them (the rule itself: test_council_ballot.py)."""
    own, other = nomination(db, demo, unit="PBGDPL"), nomination(db, demo, unit="HCTP")
    s = open_session(db, demo, [own, other])
    assert "hoidong1" in MEMBERS
    actor = _api_actor(db, demo, "hoidong1")
    with pytest.raises(Forbidden) as refused:
        council.cast_vote(db, actor, s.id, nomination_id=own.id, choice="agree")
    assert refused.value.reasons == ["Là thành viên hoặc người đứng đầu đơn vị được đề nghị."]
    assert db.scalar(select(func.count()).select_from(BallotReceipt)) == 0
    council.cast_vote(db, actor, s.id, nomination_id=other.id, choice="agree")
    assert db.scalar(select(func.count()).select_from(BallotReceipt)) == 1
    assert db.get(User, actor.id).username == "hoidong1"
