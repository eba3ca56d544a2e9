"""The council and its sessions (issue 3): membership and settings, publicity for N working days with comments,
the life of a session (scheduled → open → closed), the agenda, and nothing changing after the close."""
# ruff: noqa: F811 - `db` is the rolled-back fixture of test_council_helpers, imported here
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from factories import deputy_director
from sqlalchemy import select
from test_council_helpers import (  # noqa: F401 (db: the fixtures)
    LATER,
    MEMBERS,
    NOW,
    actions,
    close,
    council_of,
    db,
    nominate,
    notified,
    open_session,
    schedule,
    uid,
    vote,
)

from models import AuditEvent, Campaign, PublicComment
from workflow.administration.accounts import create_user
from workflow.council import operations as council
from workflow.council import queries as council_queries
from workflow.errors import Conflict, Forbidden, NotFound, ValidationFailed

VN = dt.timezone(dt.timedelta(hours=7))


# ------------------------------------------------------------------------------------------------ council, members
def test_demo_council_and_its_defaults(db, demo):
    c = council_of(db, demo)
    members = council_queries.active_members(db, c)
    assert [m.user.username for m in members] == MEMBERS
    assert council_queries.chair_of(db, c).user.username == "giamdoc"
    db.expire_all()
    assert (c.quorum, c.pass_threshold, c.publicity_working_days) == (Decimal("0.6667"), Decimal("0.7"), 10)


def test_only_admin_changes_settings_and_values_are_ratios(db, demo):
    c = council_of(db, demo)
    with pytest.raises(Forbidden):
        council.update_council(db, demo.actor("giamdoc"), c.id, quorum="0.5")
    for bad in ({"quorum": "0"}, {"quorum": "1.01"}, {"pass_threshold": True}, {"pass_threshold": "abc"},
                {"publicity_working_days": -1}, {"publicity_working_days": 61}, {"name": " "}):
        with pytest.raises(ValidationFailed):
            council.update_council(db, demo.actor("admin"), c.id, **bad)
    council.update_council(db, demo.actor("admin"), c.id, quorum="0.75", pass_threshold=0.666666,
                           publicity_working_days=5)
    assert (c.quorum, c.pass_threshold, c.publicity_working_days) == (Decimal("0.7500"), Decimal("0.6667"), 5)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "council.update"))
    assert event.data["changes"]["quorum"][1] == "0.7500"


def test_membership_is_kept_by_admin_within_the_department(db, demo):
    c = council_of(db, demo)
    admin = demo.actor("admin")
    with pytest.raises(Forbidden):
        council.set_member(db, demo.actor("vanphong"), c.id, user_id=uid(demo, "canbo1"))
    with pytest.raises(ValidationFailed):  # a user of another department
        council.set_member(db, admin, c.id, user_id=uid(demo, "tp_stp2"))
    with pytest.raises(ValidationFailed):  # one chair only
        council.set_member(db, admin, c.id, user_id=uid(demo, "hoidong2"), function="chu_tich")
    with pytest.raises(ValidationFailed):
        council.set_member(db, admin, c.id, user_id=uid(demo, "canbo1"), function="thu_ky")
    council.set_member(db, admin, c.id, user_id=uid(demo, "canbo1"), function="uy_vien")
    council.set_member(db, admin, c.id, user_id=uid(demo, "hoidong5"), active=False)
    names = [m.user.username for m in council_queries.active_members(db, c)]
    assert "canbo1" in names and "hoidong5" not in names and len(names) == 7
    assert actions(db, "council.member_set") == ["council.member_set"] * 2


# ------------------------------------------------------------------------------------------------ scheduling
def test_scheduling_is_the_secretariats_and_checks_its_input(db, demo):
    sec = demo.actor("vanphong")
    with pytest.raises(Forbidden):
        council.schedule(db, demo.actor("giamdoc"), title="Phiên", date="2026-07-01", campaign_id=demo.campaign().id,
                         now=NOW)
    other = db.scalar(select(Campaign).where(Campaign.department_id == demo.unit("STP2").id))
    for kw in ({"title": " "}, {"date": "31/06/2026"}, {"campaign_id": other.id}, {"campaign_id": "1x"}):
        with pytest.raises(ValidationFailed):
            council.schedule(db, sec, **{"title": "Phiên", "date": "2026-07-01", "campaign_id": demo.campaign().id,
                                         **kw}, now=NOW)
    s = council.schedule(db, sec, title="Phiên họp", date="2026-07-01", campaign_id=demo.campaign().id, now=NOW)
    assert (s.state, s.date, s.published_at) == ("scheduled", dt.date(2026, 7, 1), None)


def test_scheduled_and_opened_tell_every_member_but_the_actor(db, demo):
    n = nominate(db, demo, unit="HCTP")
    open_session(db, demo, [n])
    assert notified(db, demo, "council.scheduled") == set(MEMBERS) - {"vanphong"}
    assert notified(db, demo, "council.opened") == set(MEMBERS) - {"giamdoc"}


def test_inactive_members_are_not_told(db, demo):
    council.set_member(db, demo.actor("admin"), council_of(db, demo).id, user_id=uid(demo, "hoidong5"), active=False)
    schedule(db, demo, [nominate(db, demo, unit="HCTP")])
    assert notified(db, demo, "council.scheduled") == set(MEMBERS) - {"vanphong", "hoidong5"}


# ------------------------------------------------------------------------------------------------ agenda
def test_agenda_takes_submitted_nominations_of_the_sessions_campaign_and_department(db, demo):
    ok = nominate(db, demo, unit="HCTP")
    registered = nominate(db, demo, unit="PTP-LX", state="nurtured")
    other_campaign = nominate(db, demo, unit="XDKT", campaign=demo.campaign("period"))
    stp2 = db.scalar(select(Campaign).where(Campaign.department_id == demo.unit("STP2").id))
    other_dept = nominate(db, demo, unit="STP2-VP", campaign=stp2)
    # A row inconsistent with its campaign (the services never write one): the department is checked on its own.
    stray = nominate(db, demo, unit="STP2-VP", campaign=demo.campaign(), title="Lạc Sở")
    sec = demo.actor("vanphong")
    s = council.schedule(db, sec, title="Phiên", date=NOW.date(), campaign_id=demo.campaign().id, now=NOW)
    for bad in (registered, other_campaign, other_dept, stray):
        with pytest.raises(ValidationFailed) as err:
            council.set_agenda(db, sec, s.id, [ok.id, bad.id])
        assert len(err.value.reasons) == 1 and f"số {bad.id}" in err.value.reasons[0]
    with pytest.raises(ValidationFailed):
        council.set_agenda(db, sec, s.id, [ok.id, 10**6])
    with pytest.raises(ValidationFailed):
        council.set_agenda(db, sec, s.id, "1,2")
    with pytest.raises(Forbidden):
        council.set_agenda(db, demo.actor("giamdoc"), s.id, [ok.id])
    council.set_agenda(db, sec, s.id, [ok.id, ok.id])
    assert [(i.nomination_id, i.position) for i in s.items] == [(ok.id, 1)]
    assert actions(db, "council_session.agenda_set") == ["council_session.agenda_set"]


def test_a_nomination_sits_on_one_unfinished_session_at_a_time(db, demo):
    n = nominate(db, demo, unit="HCTP")
    first = open_session(db, demo, [n], present=MEMBERS[:4])  # 4 of 7: below quorum
    sec = demo.actor("vanphong")
    second = council.schedule(db, sec, title="Phiên 2", date=NOW.date() + dt.timedelta(days=40),
                              campaign_id=demo.campaign().id, now=NOW)
    with pytest.raises(ValidationFailed) as err:
        council.set_agenda(db, sec, second.id, [n.id])
    assert "chưa kết thúc" in err.value.reasons[0]
    close(db, demo, first)
    assert first.quorum_met is False and n.state == "submitted"
    council.set_agenda(db, sec, second.id, [n.id])  # below quorum: it goes on a new session's agenda
    assert [i.nomination_id for i in second.items] == [n.id]


def test_agenda_is_fixed_once_published(db, demo):
    a, b = nominate(db, demo, unit="HCTP"), nominate(db, demo, unit="PTP-LX")
    s = schedule(db, demo, [a])
    with pytest.raises(Conflict):
        council.set_agenda(db, demo.actor("vanphong"), s.id, [a.id, b.id])
    with pytest.raises(Conflict):
        council.publish(db, demo.actor("vanphong"), s.id, now=NOW)


# ------------------------------------------------------------------------------------------------ publicity
def test_publicity_runs_n_working_days_and_the_meeting_comes_after(db, demo):
    n = nominate(db, demo, unit="HCTP")
    sec = demo.actor("vanphong")
    # NOW is Monday 01/06/2026: 10 working days end on Monday 15/06/2026 (evening, Viet Nam time).
    early = schedule(db, demo, [n], publicity_days=10, date=dt.date(2026, 6, 12), publish=False)
    with pytest.raises(ValidationFailed) as err:
        council.publish(db, sec, early.id, now=NOW)
    assert "15/06/2026" in err.value.reasons[0] and early.published_at is None
    s = council.schedule(db, sec, title="Phiên", date=dt.date(2026, 6, 16), campaign_id=demo.campaign().id, now=NOW)
    council.set_agenda(db, sec, s.id, [nominate(db, demo, unit="PTP-LX").id])
    council.publish(db, sec, s.id, now=NOW)
    assert s.comments_until == dt.datetime(2026, 6, 15, 23, 59, 59, tzinfo=VN)
    assert actions(db, "council_session.published") == ["council_session.published"]


def test_the_meeting_cannot_be_on_the_last_day_of_publicity(db, demo):
    """The session could never be opened on its own date: opening waits for the end of that day."""
    s = schedule(db, demo, [nominate(db, demo, unit="HCTP")], publicity_days=10, date=dt.date(2026, 6, 15),
                 publish=False)
    with pytest.raises(ValidationFailed):
        council.publish(db, demo.actor("vanphong"), s.id, now=NOW)


def test_publicity_skips_tet(db, demo):
    published = dt.datetime(2026, 2, 10, 9, 0, tzinfo=VN)
    s = schedule(db, demo, [nominate(db, demo, unit="HCTP")], publicity_days=10, date=dt.date(2026, 3, 4),
                 now=published)
    assert s.comments_until.astimezone(VN).date() == dt.date(2026, 3, 3)


def test_session_opens_only_once_publicity_has_ended(db, demo):
    n = nominate(db, demo, unit="HCTP")
    director = demo.actor("giamdoc")
    unpublished = schedule(db, demo, [n], publish=False)
    with pytest.raises(Conflict):
        council.open_session(db, director, unpublished.id, now=NOW)
    s = schedule(db, demo, [nominate(db, demo, unit="PTP-LX")], publicity_days=3, date=dt.date(2026, 6, 8))
    end = s.comments_until
    with pytest.raises(Conflict):
        council.open_session(db, director, s.id, now=end - dt.timedelta(seconds=1))
    with pytest.raises(Forbidden):
        council.open_session(db, demo.actor("vanphong"), s.id, now=end)
    council.open_session(db, director, s.id, now=end)
    assert (s.state, s.opened_at) == ("open", end)
    with pytest.raises(Conflict):
        council.open_session(db, director, s.id, now=end)


def test_comments_only_while_public_and_only_from_the_department(db, demo):
    n, outside = nominate(db, demo, unit="HCTP"), nominate(db, demo, unit="PTP-LX")
    s = schedule(db, demo, [n], publicity_days=3, date=dt.date(2026, 6, 8), publish=False)
    staff = demo.actor("canbo1")
    with pytest.raises(NotFound):  # not yet public: a staff member does not even see the session
        council.add_comment(db, staff, s.id, nomination_id=n.id, text="Sớm quá", now=NOW)
    with pytest.raises(Conflict):
        council.add_comment(db, demo.actor("vanphong"), s.id, nomination_id=n.id, text="Sớm quá", now=NOW)
    council.publish(db, demo.actor("vanphong"), s.id, now=NOW)
    first = council.add_comment(db, staff, s.id, nomination_id=n.id, text="  Đồng ý đề nghị. ", now=NOW)
    assert first.text == "Đồng ý đề nghị."
    council.add_comment(db, demo.actor("thanhtra"), s.id, nomination_id=n.id, text="Ý kiến", now=s.comments_until)
    with pytest.raises(Conflict):
        council.add_comment(db, staff, s.id, nomination_id=n.id, text="Muộn",
                            now=s.comments_until + dt.timedelta(seconds=1))
    with pytest.raises(NotFound):  # another department's user
        council.add_comment(db, demo.actor("tp_stp2"), s.id, nomination_id=n.id, text="x", now=NOW)
    with pytest.raises(Forbidden):  # sees everything, belongs to no department
        council.add_comment(db, demo.actor("admin"), s.id, nomination_id=n.id, text="x", now=NOW)
    with pytest.raises(ValidationFailed):
        council.add_comment(db, staff, s.id, nomination_id=outside.id, text="x", now=NOW)
    for text in ("   ", "x" * 5001, None):
        with pytest.raises(ValidationFailed):
            council.add_comment(db, staff, s.id, nomination_id=n.id, text=text, now=NOW)
    rows = db.scalars(select(PublicComment).where(PublicComment.session_id == s.id)).all()
    assert [(c.author.username, c.nomination_id) for c in rows] == [("canbo1", n.id), ("thanhtra", n.id)]
    assert actions(db, "council_session.comment") == ["council_session.comment"] * 2


# ------------------------------------------------------------------------------------------------ states
def test_votes_and_close_only_while_open(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = schedule(db, demo, [n])
    council.record_attendance(db, demo.actor("vanphong"), s.id, [uid(demo, u) for u in MEMBERS])
    with pytest.raises(Conflict):
        council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=n.id, choice="agree")
    with pytest.raises(Conflict):
        close(db, demo, s)
    council.open_session(db, demo.actor("giamdoc"), s.id, now=NOW)
    with pytest.raises(Forbidden):
        council.close_session(db, demo.actor("vanphong"), s.id, now=LATER)
    vote(db, demo, s, n, 7)
    close(db, demo, s)
    assert (s.state, s.closed_at) == ("closed", LATER)


@pytest.mark.parametrize("operation", ["set_agenda", "record_attendance", "cast_vote", "publish", "open_session",
                                       "close_session", "add_comment"])
def test_nothing_changes_after_the_close(db, demo, operation):
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    vote(db, demo, s, n, 4, 1)
    close(db, demo, s)
    before = (list(actions(db)), [(i.nomination_id, i.agree, i.outcome) for i in s.items],
              sorted((a.user_id, a.present) for a in s.attendance))
    sec, director = demo.actor("vanphong"), demo.actor("giamdoc")
    call = {
        "set_agenda": lambda: council.set_agenda(db, sec, s.id, []),
        "record_attendance": lambda: council.record_attendance(db, sec, s.id, [uid(demo, "giamdoc")]),
        "cast_vote": lambda: council.cast_vote(db, demo.actor("hoidong4"), s.id, nomination_id=n.id, choice="agree"),
        "publish": lambda: council.publish(db, sec, s.id, now=LATER),
        "open_session": lambda: council.open_session(db, director, s.id, now=LATER),
        "close_session": lambda: council.close_session(db, director, s.id, now=LATER),
        "add_comment": lambda: council.add_comment(db, demo.actor("canbo1"), s.id, nomination_id=n.id, text="x",
                                                   now=LATER),
    }[operation]
    with pytest.raises(Conflict):
        call()
    db.expire_all()
    after = (list(actions(db)), [(i.nomination_id, i.agree, i.outcome) for i in s.items],
             sorted((a.user_id, a.present) for a in s.attendance))
    assert after == before and s.state == "closed"


def test_attendance_is_of_members_and_cannot_drop_a_voter(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    sec = demo.actor("vanphong")
    with pytest.raises(ValidationFailed):
        council.record_attendance(db, sec, s.id, [uid(demo, u) for u in MEMBERS] + [uid(demo, "canbo1")])
    with pytest.raises(Forbidden):
        council.record_attendance(db, demo.actor("giamdoc"), s.id, [uid(demo, "giamdoc")])
    council.cast_vote(db, demo.actor("hoidong2"), s.id, nomination_id=n.id, choice="agree")
    with pytest.raises(ValidationFailed):
        council.record_attendance(db, sec, s.id, [uid(demo, "giamdoc")])
    council.record_attendance(db, sec, s.id, [uid(demo, u) for u in ("giamdoc", "hoidong2", "hoidong3")])
    assert sorted(a.user_id for a in s.attendance if a.present) == sorted(
        uid(demo, u) for u in ("giamdoc", "hoidong2", "hoidong3"))


def test_staff_see_a_session_only_once_published(db, demo):
    s = schedule(db, demo, [nominate(db, demo, unit="HCTP")], publish=False)
    with pytest.raises(NotFound):
        council.load_session(db, demo.actor("canbo1"), s.id)
    council.publish(db, demo.actor("vanphong"), s.id, now=NOW)
    assert council.load_session(db, demo.actor("canbo1"), s.id) is s
    with pytest.raises(NotFound):
        council.load_session(db, demo.actor("tp_stp2"), s.id)


def test_a_deputy_added_to_the_council_votes_like_any_member(db, demo):
    deputy = deputy_director(db, demo, "council_member")
    council.set_member(db, demo.actor("admin"), council_of(db, demo).id, user_id=deputy.id, function="pho_chu_tich")
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n], present=MEMBERS + ["phogiamdoc"])
    vote(db, demo, s, n, 6, voters=MEMBERS[:5] + ["phogiamdoc"])
    close(db, demo, s)
    (item,) = s.items
    assert (s.members_total, item.entitled, item.agree, str(item.share), item.outcome) == (
        8, 8, 6, "0.7500", "passed")


def test_roles_act_only_in_their_own_department(db, demo):
    """Someone of another department who may read every session (an auditor) and holds the role there still cannot
    act on this department's session."""
    create_user(db, "vp_stp2", roles=["secretariat", "director", "auditor"], password="stp2-pass-1",
                unit_code="STP2-VP")
    s = schedule(db, demo, [nominate(db, demo, unit="HCTP")], publish=False)
    outsider = demo.actor("vp_stp2")
    assert council.load_session(db, outsider, s.id) is s
    for call in (lambda: council.publish(db, outsider, s.id, now=NOW),
                 lambda: council.record_attendance(db, outsider, s.id, []),
                 lambda: council.set_agenda(db, outsider, s.id, [])):
        with pytest.raises(Forbidden):
            call()
    council.publish(db, demo.actor("vanphong"), s.id, now=NOW)
    with pytest.raises(Forbidden):
        council.open_session(db, outsider, s.id, now=NOW)

