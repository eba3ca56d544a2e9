"""Property (issue 12, "Deliver" 2): for council sessions, proposals, decisions and stories in the states their
lifecycles reach, and every demo account that can open them, an action offered as allowed succeeds with valid data
(in a savepoint, rolled back), and one offered as refused is refused by the service with the same reasons."""
# ruff: noqa: F811 - `db` is the rolled-back fixture of test_council_helpers, imported here
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from samples import image
from test_council_helpers import (  # noqa: F401 (db: the fixtures)
    MEMBERS,
    NOW,
    close,
    db,
    entitled,
    nominate,
    open_session,
    schedule,
    uid,
    vote,
)
from test_proposals_core import co_so_example

from workflow import clock
from workflow.administration.demo import ACCOUNTS
from workflow.council import operations as council
from workflow.council import scheduling
from workflow.errors import DomainError, NotFound
from workflow.propagation import stories
from workflow.proposals import decisions
from workflow.proposals import operations as proposals

USERNAMES = [a[0] for a in ACCOUNTS]


@pytest.fixture
def world(db, demo):
    """One object per reachable state: sessions (draft agenda, published, open, closed), proposals (draft, with an
    item that may not be proposed), decisions (a department's, a Minister's), stories (draft, published,
    published with a revision waiting)."""
    demo.campaign().quota_collective = demo.campaign().quota_individual = None
    a, b, c = (nominate(db, demo, unit=u) for u in ("HCTP", "PTP-LX", "PTP-CD"))
    draft = schedule(db, demo, [a], publish=False, now=NOW)
    published = schedule(db, demo, [b], now=NOW)
    opened = open_session(db, demo, [c], now=NOW + dt.timedelta(minutes=5))
    vote(db, demo, opened, c, 2)
    d = nominate(db, demo, unit="XDKT")
    closed = open_session(db, demo, [d], now=NOW + dt.timedelta(minutes=10))
    vote(db, demo, closed, d, len(entitled(demo, d)))
    close(db, demo, closed, now=NOW + dt.timedelta(hours=1))
    co_so = decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=301, date=dt.date(2026, 6, 2),
                            nomination_ids=[d.id])
    proposed = [nominate(db, demo, unit=u, state="proposed_nganh") for u in ("PBGDPL", "TTR")]
    nganh = decisions.issue(db, demo.actor("botp"), level="nganh", number=88, date=dt.date(2026, 7, 1),
                            nomination_ids=[proposed[0].id])
    # `blocked` has no recognition step (a hard ngành rule fails): its proposal's submit is refused.
    blocked = nominate(db, demo, person="Phan Thị Kim Oanh", state="evaluated_co_so")
    eligible = co_so_example(db, demo, unit="TGPL", campaign=demo.campaign())
    spare_example = co_so_example(db, demo, unit="VP", campaign=demo.campaign())
    drafts = []
    for n in (eligible, blocked):
        p = proposals.Proposal(department_id=demo.unit("STP").id, campaign_id=demo.campaign().id, title="Tờ trình",
                               created_by_id=uid(demo, "vanphong"))
        p.items.append(proposals.ProposalItem(nomination_id=n.id, position=1))
        db.add(p)
        drafts.append(p)
    editor = demo.actor("bientap")
    story = stories.create(db, editor, nomination_id=d.id, title="Bài nháp", body="<p>Nội dung</p>")
    live = stories.create(db, editor, nomination_id=d.id, title="Bài đăng", body="<p>Nội dung</p>")
    stories.publish(db, editor, live.id)
    revised = stories.create(db, editor, nomination_id=d.id, title="Bài đăng có bản sửa", body="<p>Nội dung</p>")
    stories.publish(db, editor, revised.id)
    stories.update(db, editor, revised.id, version=revised.version, body="<p>Nội dung đã sửa</p>")
    db.flush()
    return SimpleNamespace(sessions=[draft, published, opened, closed], decisions=[co_so, nganh],
                           proposals=drafts, stories=[story, live, revised], spare=proposed[1],
                           spare_example=spare_example)


def _votable_items(db, actor, s) -> list[int]:
    voted = council.voted_items(db, s, actor.id)
    return [i.nomination_id for i in s.items
            if council.recusal_reason(actor.user, i.nomination) is None and i.nomination_id not in voted]


def _votable(db, actor, world) -> bool:
    opened = world.sessions[2]
    return bool(_votable_items(db, actor, opened))


def _session_call(db, demo, actor, s, code):
    ids = [i.nomination_id for i in s.items]
    votable = _votable_items(db, actor, s)
    members = [uid(demo, u) for u in MEMBERS]
    return {
        "set_agenda": lambda: council.set_agenda(db, actor, s.id, ids),
        "publish": lambda: council.publish(db, actor, s.id),
        "record_attendance": lambda: council.record_attendance(db, actor, s.id, members),
        "comment": lambda: council.add_comment(db, actor, s.id, nomination_id=ids[0], text="Góp ý"),
        "open": lambda: council.open_session(db, actor, s.id),
        "vote": lambda: council.cast_vote(db, actor, s.id, nomination_id=(votable or ids)[0], choice="agree"),
        "close": lambda: council.close_session(db, actor, s.id),
        "resolve_tie": lambda: council.resolve_tie(db, actor, s.id, []),
        "reschedule": lambda: scheduling.reschedule(db, actor, s.id, version=s.version, location="Phòng họp 2"),
        "cancel": lambda: scheduling.cancel(db, actor, s.id, reason="Hoãn họp", version=s.version),
    }[code]


def _cases(db, demo, world):
    today = clock.today()
    for s in world.sessions:
        yield (lambda actor, s=s: council.available_actions(db, actor, council.load_session(db, actor, s.id)),
               lambda actor, code, s=s: _session_call(db, demo, actor, s, code))
    for p in world.proposals:
        yield (lambda actor, p=p: proposals.available_actions(db, actor, proposals.load(db, actor, p.id)),
               lambda actor, code, p=p: {
                   "set_items": lambda: proposals.set_items(db, actor, p.id, [world.spare_example.id]),
                   "submit": lambda: proposals.submit(db, actor, p.id, date=today, number=proposals.next_number(
                       db, p.department_id, today.year)),
               }[code])
    for d in world.decisions:
        yield (lambda actor, d=d: decisions.available_actions(db, actor, decisions.load(db, actor, d.id)),
               lambda actor, code, d=d: lambda: decisions.issue(db, actor, level=d.level, number=d.number,
                                                                date=d.date, nomination_ids=[world.spare.id]))
    for story in world.stories:
        yield (lambda actor, st=story: stories.available_actions(db, actor, stories.load(db, actor, st.id)),
               lambda actor, code, st=story: {
                   "update": lambda: stories.update(db, actor, st.id, version=st.version, title="Tiêu đề mới"),
                   "add_image": lambda: stories.add_image(db, actor, st.id, data=image(), filename="a.png"),
                   "publish": lambda: stories.publish(db, actor, st.id),
                   "unpublish": lambda: stories.unpublish(db, actor, st.id),
                   "publish_revision": lambda: stories.publish_revision(db, actor, st.id),
                   "discard_revision": lambda: stories.discard_revision(db, actor, st.id),
               }[code])


def test_every_offer_is_what_the_service_does(db, demo, world):
    checked = {"allowed": 0, "refused": 0}
    for username in USERNAMES:
        actor = demo.actor(username)
        for offered, call in _cases(db, demo, world):
            try:
                options = offered(actor)
            except NotFound:
                continue
            for o in options:
                if o.code == "vote" and o.allowed and not _votable(db, actor, world):
                    continue  # a member who voted on every item has no valid ballot left to cast
                savepoint = db.begin_nested()
                try:
                    if o.allowed:
                        call(actor, o.code)()
                        checked["allowed"] += 1
                    else:
                        with pytest.raises(DomainError) as refused:
                            call(actor, o.code)()
                        assert refused.value.reasons == list(o.reasons), (username, o)
                        checked["refused"] += 1
                finally:
                    savepoint.rollback()
                    db.expire_all()
    # Both sides are exercised: secretariat, director, members, editor and Ministry each hold some of them.
    assert checked["allowed"] >= 10 and checked["refused"] >= 10, checked
