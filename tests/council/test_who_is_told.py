"""Notifications people missed (issue 14, item 7; finding 9): the director is told a Tờ trình and decisions await
signature, the editor that an example was recognised (cơ sở and ngành), unit heads of the session's result for their
dossiers. Each recipient gets exactly one notification; nobody of another department gets any."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from factories import (
    DAY,
    close,
    draft,
    entitled,
    nganh_decision,
    nomination,
    open_session,
    proposed,
    unlimited,
    user,
    vote,
)
from sqlalchemy import select

from models import Notification, User
from workflow.proposals import decisions


@pytest.fixture
def strangers(db, demo):
    """A director and an editor of the other department (STP2), who must hear nothing of STP."""
    user(db, "giamdoc_stp2", ["director"], "STP2")
    user(db, "bientap_stp2", ["editor"], "STP2-VP")
    return ("giamdoc_stp2", "bientap_stp2", "tp_stp2")


def told(db, kind: str) -> Counter:
    """How many notifications of `kind` each username received."""
    db.flush()
    return Counter(db.scalars(select(User.username).join(Notification, Notification.user_id == User.id)
                              .where(Notification.kind == kind)))


def _passed(db, demo, *units: str):
    """Nominations of `units` passed by a session the director closed."""
    unlimited(demo)
    ns = [nomination(db, demo, unit=u) for u in units]
    s = open_session(db, demo, ns)
    for n in ns:
        vote(db, demo, s, n, len(entitled(demo, n)))
    return ns, close(db, demo, s)


def test_the_director_is_told_a_proposal_awaits_signature(db, demo, strangers):
    unlimited(demo)
    ns, _ = _passed(db, demo, "PBGDPL")
    decisions.issue(db, demo.actor("giamdoc"), level="co_so", number="12/QĐ-STP", date=DAY,
                    nomination_ids=[n.id for n in ns])
    p = draft(db, demo, ns)
    assert told(db, "proposal.awaiting_signature") == {"giamdoc": 1}
    note = db.scalar(select(Notification).where(Notification.kind == "proposal.awaiting_signature"))
    assert note.link == f"/proposals/{p.id}" and "chờ ký" in note.title.lower()


def test_the_director_is_told_decisions_await_signature_and_heads_their_results(db, demo, strangers):
    _passed(db, demo, "PBGDPL", "HCTP")
    # the director closed the session: the task stays in their inbox, once, naming the count
    assert told(db, "decision.awaiting_signature") == {"giamdoc": 1}
    note = db.scalar(select(Notification).where(Notification.kind == "decision.awaiting_signature"))
    assert note.body.startswith("2 hồ sơ đạt")
    assert told(db, "council.closed") == {"tp_pbgdpl": 1, "tp_hctp": 1}


def test_no_decision_awaits_when_nothing_passed(db, demo, strangers):
    unlimited(demo)
    n = nomination(db, demo, unit="PBGDPL")
    s = open_session(db, demo, [n])
    vote(db, demo, s, n, 0, len(entitled(demo, n)))
    close(db, demo, s)
    assert told(db, "decision.awaiting_signature") == {}


def test_the_editor_is_told_of_an_example_recognised_co_so(db, demo, strangers):
    ns, _ = _passed(db, demo, "PBGDPL", "HCTP")
    decisions.issue(db, demo.actor("giamdoc"), level="co_so", number="12/QĐ-STP", date=DAY,
                    nomination_ids=[n.id for n in ns])
    assert told(db, "propagation.recognised") == {"bientap": 2}  # one per example
    notes = db.scalars(select(Notification).where(Notification.kind == "propagation.recognised")).all()
    assert {x.object_id for x in notes} == {n.id for n in ns}
    assert all("cấp cơ sở" in x.title and "12/QĐ-STP" in x.body for x in notes)


def test_the_editor_is_told_of_an_example_recognised_nganh(db, demo, strangers):
    ns, _ = _passed(db, demo, "PBGDPL")
    decisions.issue(db, demo.actor("giamdoc"), level="co_so", number="12/QĐ-STP", date=DAY,
                    nomination_ids=[n.id for n in ns])
    proposed(db, demo, ns)
    nganh_decision(db, demo, [n.id for n in ns], date=DAY + dt.timedelta(days=1))
    notes = db.scalars(select(Notification).where(Notification.kind == "propagation.recognised")
                       .order_by(Notification.id)).all()
    assert [x.title.split(":")[0] for x in notes] == ["Điển hình tiên tiến cấp cơ sở mới được công nhận",
                                                       "Điển hình tiên tiến cấp ngành Tư pháp mới được công nhận"]
    assert told(db, "propagation.recognised") == {"bientap": 2}


def test_the_director_reads_it_in_the_inbox_page_and_the_api(db, demo, client, login, api):
    unlimited(demo)
    ns, _ = _passed(db, demo, "PBGDPL")
    db.commit()
    login("giamdoc")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Quyết định công nhận chờ ký" in page
    items = api.as_("giamdoc").get("/notifications").get_json()["items"]
    assert [x["title"] for x in items if x["kind"] == "decision.awaiting_signature"] == [
        "Quyết định công nhận chờ ký: Phiên họp bình xét"]
