"""The living demo (issue 14, finding 13): `seed-demo` adds, through the real services, last year's recognised
examples with their decisions, certificates and published stories, a dossier in every state of the current campaign,
and a council session whose publicity period has run — ready, with no setting changed, for a newcomer to open and vote
in today. The deputy director holds the director role and signs nothing of their own.

The base demo of the suite (`demo.seed`) is left alone: this module seeds the living part once per backend on its own
committed database (`living`), with the clock set to a fixed working day, and runs each test in a rolled-back
transaction on it (the module's own `db`); the next module of the suite reseeds the base demo."""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import _SEEDED, _seed, bound_session_factory
from sqlalchemy import select

from models import AuditEvent, Campaign, Council, CouncilSession, Decision, Nomination, Story
from models.base import make_session_factory
from notifications import audit
from workflow import clock, policy
from workflow.administration import demo_living
from workflow.council import operations as council
from workflow.errors import ValidationFailed
from workflow.nominations import exports
from workflow.nominations.machine import STATES
from workflow.reporting import reports

DAY = demo_living.at(clock.today().replace(month=11, day=24)).date()  # a fixed late-year day of the current year
while DAY.weekday() >= 5:
    DAY += dt.timedelta(days=1)
NOW = demo_living.at(DAY, 9)
MEMBERS = demo_living.MEMBERS


@pytest.fixture(scope="module")
def living(engine):
    """The base demo and the living department, committed on the backend's database, seeded on DAY."""
    _SEEDED[id(engine)] = False  # whatever happens here, the next module reseeds the base demo
    with clock.travel(NOW - dt.timedelta(hours=2)):
        _seed(engine)
        with make_session_factory(engine)() as session:
            made = demo_living.seed_living(session)
            session.commit()
            ids = {"last_campaign": made.last_campaign.id, "ready": made.ready_session_id, "notes": made.notes}
    _SEEDED[id(engine)] = False
    return ids


@pytest.fixture
def db(engine, living):
    """This module's session: a rolled-back transaction on the living demo, at NOW."""
    conn = engine.connect()
    outer = conn.begin()
    session = bound_session_factory(conn)()
    session.info["test_connection"] = conn
    with clock.travel(NOW):
        try:
            yield session
        finally:
            session.close()
            outer.rollback()
            conn.close()


def _current(db, demo) -> Campaign:
    return demo.campaign()


def _of(db, campaign_id: int) -> list[Nomination]:
    return list(db.scalars(select(Nomination).where(Nomination.campaign_id == campaign_id).order_by(Nomination.id)))


def test_the_current_campaign_holds_a_dossier_in_every_state(db, demo, living):
    assert living["notes"] == []
    current = _current(db, demo)
    assert current.start_date == dt.date(DAY.year, 1, 1) and current.registration_deadline >= DAY
    assert {n.state for n in _of(db, current.id)} == set(STATES)
    # Each went the real way: its history starts with the registration and ends in its state.
    for n in _of(db, current.id):
        assert n.history[0].action == "create" and n.history[-1].to_state == n.state, n.title


def test_last_year_has_examples_recognised_at_co_so_and_nganh_with_decisions_certificates_and_stories(db, demo,
                                                                                                      living):
    last = db.get(Campaign, living["last_campaign"])
    assert (last.kind, last.start_date, last.department_id) == ("annual", dt.date(DAY.year - 1, 1, 1),
                                                               demo.unit("STP").id)
    examples = _of(db, last.id)
    assert sorted(n.state for n in examples) == ["evaluated_co_so", "recognized", "recognized"]
    numbers = {(d.level, d.number, d.date.year) for d in db.scalars(select(Decision))
               if any(i.nomination.campaign_id == last.id for i in d.items)}
    assert numbers == {("co_so", "1/QĐ-STP", DAY.year - 1), ("nganh", "1/QĐ-BTP", DAY.year - 1)}
    director = demo.actor("giamdoc")
    for n in examples:
        _, cert = exports.certificate_of(db, director, n.id)
        assert cert.level == ("nganh" if n.state == "recognized" else "co_so") and cert.name
        (story,) = db.scalars(select(Story).where(Story.nomination_id == n.id))
        assert story.state == "published" and story.published_at.year == DAY.year - 1


def test_the_showcase_lists_the_recognised_examples_and_their_stories(client, db, demo, living):
    page = client.get("/showcase").get_data(as_text=True)
    for n in _of(db, living["last_campaign"]):
        assert n.title in page or (n.subject_person and n.subject_person.full_name in page), n.title
    assert "Tủ sách pháp luật điện tử: pháp luật đến từng khóm, ấp" in page
    assert client.get(f"/showcase?year={DAY.year - 1}&level=nganh").status_code == 200


def test_the_reports_charts_have_last_year_and_this_year(client, login, db, demo, living):
    director = demo.actor("giamdoc")
    last = reports.summary(db, director, year=str(DAY.year - 1))
    assert last.total == 3 and last.by_state["recognized"] == 2 and last.by_state["evaluated_co_so"] == 1
    this = reports.summary(db, director, campaign=str(demo.campaign().id))
    assert all(this.by_state[state] >= 1 for state in STATES)
    login("giamdoc")
    assert client.get(f"/reports?year={DAY.year - 1}").status_code == 200


def test_the_ready_session_has_run_its_default_publicity_and_the_chair_opens_it_today_and_members_vote(
        client, login, api, db, demo, living):
    s = db.get(CouncilSession, living["ready"])
    council_row = db.get(Council, s.council_id)
    assert council_row.publicity_working_days == Council.__table__.c.publicity_working_days.default.arg == 10
    assert (s.state, s.date) == ("scheduled", DAY) and s.comments_until < clock.now()
    assert [(i.nomination.state, i.nomination.subject_person.full_name) for i in s.items] == [
        ("submitted", "Nguyễn Thị Lan")]
    # The secretariat takes attendance, the chair opens it from the page...
    login("vanphong")
    r = client.post(f"/council/sessions/{s.id}/attendance", data={"present": [str(demo.user(u).id) for u in MEMBERS]})
    assert r.status_code == 302, r.get_data(as_text=True)
    login("giamdoc")
    r = client.post(f"/council/sessions/{s.id}/open", data={"confirm": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)
    db.refresh(s)
    assert s.state == "open"
    # ... and every entitled member votes through the API; the chair closes: it passes.
    for item in s.items:
        for member in MEMBERS:
            if council.recusal_reason(demo.user(member), item.nomination) is None:
                r = api.as_(member).post(f"/council-sessions/{s.id}/votes",
                                         json={"nomination_id": item.nomination_id, "choice": "agree"})
                assert r.status_code == 201, r.get_json()
    r = api.as_("giamdoc").post(f"/council-sessions/{s.id}/close")
    assert r.status_code == 200, r.get_json()
    db.expire_all()
    assert {i.outcome for i in db.get(CouncilSession, s.id).items} == {"passed"}


def test_the_deputy_director_holds_the_director_role_and_signs_nothing_of_their_own(api, db, demo, living):
    me = api.as_("phogiamdoc").get("/me").get_json()
    assert (me["roles"], me["deputy"], me["signs"]) == (["director"], True, False)
    assert not policy.can(demo.actor("phogiamdoc"), "sign", "proposal", department_id=demo.unit("STP").id)


def test_every_step_was_audited_on_an_intact_chain_and_the_seed_runs_once(db, demo, living):
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"campaign.create", "nomination.create", "nomination.submit", "decision.issue", "proposal.submit",
            "story.publish", "council_session.closed", "nomination.revoke", "nomination.withdraw"} <= actions, actions
    assert audit.verify(db).ok
    with pytest.raises(ValidationFailed):
        demo_living.seed_living(db)


def test_the_readme_quick_tour_walks_nguyen_thi_lan_from_her_dossier_to_the_showcase(client, login, api, db, demo,
                                                                                     living):
    """README "Quick tour", step by step, with the accounts, pages and buttons it names (no setting changed)."""
    s = db.get(CouncilSession, living["ready"])
    lan = next(i.nomination for i in s.items if i.nomination.subject_person.full_name == "Nguyễn Thị Lan")
    # 1. tp_pbgdpl sees her dossier and the steps it has been through.
    login("tp_pbgdpl")
    page = client.get(f"/nominations/{lan.id}").get_data(as_text=True)
    for step in ("Đăng ký điển hình", "Bắt đầu bồi dưỡng", "Trình Hội đồng xét"):
        assert step in page
    assert "Đăng ký điển hình" in client.get("/nominations").get_data(as_text=True)
    # 2. vanphong: the session dated today, "Điểm danh" → "Lưu điểm danh".
    login("vanphong")
    page = client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
    assert "Lưu điểm danh" in page and f"{DAY:%d/%m/%Y}" in page
    assert client.post(f"/council/sessions/{s.id}/attendance",
                       data={"present": [str(demo.user(u).id) for u in MEMBERS]}).status_code == 302
    # 3. giamdoc: "Khai mạc phiên họp".
    login("giamdoc")
    assert "Khai mạc phiên họp" in client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
    assert client.post(f"/council/sessions/{s.id}/open", data={"confirm": "yes"}).status_code == 302
    # 4. five members: "Biểu quyết" → "Đồng ý" → "Xem lại phiếu" → confirm → "Nộp phiếu" (hoidong1 is recused).
    for member in ("giamdoc", "vanphong", "hoidong2", "hoidong3", "hoidong4"):
        login(member)
        assert "Đồng ý" in client.get(f"/council/sessions/{s.id}/vote").get_data(as_text=True)
        choices = {f"choice-{item.nomination_id}": "agree" for item in s.items}
        review = client.post(f"/council/sessions/{s.id}/vote", data=choices).get_data(as_text=True)
        assert "Xem lại phiếu biểu quyết" in review and "Nộp phiếu" in review
        r = client.post(f"/council/sessions/{s.id}/ballot", data=choices | {"confirm": "yes"})
        assert r.status_code == 302, (member, r.get_data(as_text=True))
    # 5. giamdoc: "Đã nộp phiếu: 5/7", both boxes (hoidong5 has not voted), "Kết thúc phiên họp": she passes.
    login("giamdoc")
    assert "Đã nộp phiếu: 5/7 thành viên có mặt" in client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
    assert client.post(f"/council/sessions/{s.id}/close",
                       data={"confirm": "yes", "confirm_missing": "yes"}).status_code == 302
    db.expire_all()
    assert {i.outcome for i in db.get(CouncilSession, s.id).items} == {"passed"}
    # 6. "Ban hành quyết định công nhận": number and date filled in → "Ký quyết định".
    page = client.get(f"/decisions/new?session={s.id}").get_data(as_text=True)
    assert "Ký quyết định" in page and 'name="number" value="2"' in page
    assert f'value="{DAY.isoformat()}"' in page or f'value="{DAY:%d/%m/%Y}"' in page
    ids = [str(i.nomination_id) for i in db.get(CouncilSession, s.id).items]
    r = client.post(f"/decisions/new?session={s.id}", data={"number": "2", "date": DAY.isoformat(),
                                                             "nomination_ids": ids, "confirm": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)
    db.expire_all()
    assert db.get(Nomination, lan.id).state == "evaluated_co_so"
    # 7.–9. The Tờ trình, the Minister's decision and the story (their pages have their own tests; the API here).
    p = api.as_("vanphong").post("/proposals", json={"nomination_ids": [lan.id]})
    assert p.status_code == 201, p.get_json()
    r = api.as_("giamdoc").post(f"/proposals/{p.get_json()['id']}/submit", json={"number": 2, "date": DAY.isoformat()})
    assert r.status_code == 200, r.get_json()
    r = api.as_("botp").post("/decisions", json={"level": "nganh", "number": 2, "date": DAY.isoformat(),
                                                 "nomination_ids": [lan.id]})
    assert r.status_code == 201, r.get_json()
    r = api.as_("bientap").post("/stories", json={"nomination_id": lan.id, "title": "Chị Lan và thanh niên",
                                                  "body": "<p>Pháp luật đến với thanh niên.</p>"})
    assert r.status_code == 201, r.get_json()
    assert api.as_("bientap").post(f"/stories/{r.get_json()['id']}/publish").status_code == 200
    # 10. The showcase, logged out.
    client.post("/logout")
    page = client.get("/showcase").get_data(as_text=True)
    assert "Nguyễn Thị Lan" in page and "Chị Lan và thanh niên" in page


def test_the_pbgdpl_unit_is_free_to_register_this_year(api, db, demo, living):
    """A newcomer (and the production walkthrough) registers the PBGDPL unit in the current campaign."""
    r = api.as_("tp_pbgdpl").post("/nominations", json={
        "campaign_id": demo.campaign().id, "subject_type": "collective", "unit_id": demo.unit("PBGDPL").id,
        "title": "Phòng Phổ biến, giáo dục pháp luật"})
    assert r.status_code == 201, r.get_json()


def _fresh_base(tmp_path, name: str):
    from models import Base, make_engine

    eng = make_engine(f"sqlite:///{tmp_path / name}")
    Base.metadata.create_all(eng)
    return eng


def test_without_a_ballot_key_the_living_demo_makes_what_needs_no_council_and_says_so(engine, tmp_path):
    """PostgreSQL without BALLOT_KEY runs the application but opens no session: seed-demo must still succeed."""
    if engine.dialect.name != "sqlite":
        pytest.skip("one backend is enough")
    from workflow.administration import demo as base_demo
    from workflow.council import ballots

    eng = _fresh_base(tmp_path, "nokey.db")
    ballots.configure(None)
    try:
        with clock.travel(NOW), make_session_factory(eng)() as session:
            base_demo.seed(session, "demo1234")
            made = demo_living.seed_living(session)
            assert made.last_campaign is None and made.notes[0] == demo_living.NO_BALLOT_KEY
            assert {n.state for n in session.scalars(select(Nomination))} == {
                "registered", "nurtured", "withdrawn", "submitted"}
            assert session.get(CouncilSession, made.ready_session_id).comments_until < clock.now()
            session.rollback()
    finally:
        ballots.configure("test-ballot-key")  # as tests/conftest.py sets it
        eng.dispose()


def test_early_in_the_year_the_living_demo_says_what_it_could_not_make_yet(engine, tmp_path):
    """On 5 January no session of the new campaign can have run its publicity period: the seed still succeeds, with
    last year complete and this year's dossiers short of the council, and says so (the CLI prints the notes)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("one backend is enough: the calendar, not the database, is under test")
    from workflow.administration import demo as base_demo

    eng = _fresh_base(tmp_path, "early.db")
    year = clock.today().year + 1
    with clock.travel(demo_living.at(dt.date(year, 1, 5), 10)), make_session_factory(eng)() as session:
        base_demo.seed(session, "demo1234")
        made = demo_living.seed_living(session)
        assert made.ready_session_id is None and len(made.notes) == 2
        states = {n.state for n in session.scalars(select(Nomination).where(
            Nomination.campaign_id != made.last_campaign.id, Nomination.department_id == made.last_campaign
            .department_id))}
        assert states == {"registered", "nurtured", "withdrawn", "submitted"}
        assert {n.state for n in _of(session, made.last_campaign.id)} == {"recognized", "evaluated_co_so"}
        session.rollback()
    eng.dispose()
