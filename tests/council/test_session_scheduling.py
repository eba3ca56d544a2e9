"""Issue 14, findings 1, 2 and the publicity period of 5: a council session can be rescheduled, renamed and cancelled
until it opens (against the version the editor saw), its items then go back to the pool; dates are sane (no meeting
in the past, the held day cited by the minutes and the decision, decisions neither in the future nor before the close
they rest on, a Tờ trình not before the decisions it cites); and the publicity period cannot go below the legal
minimum. Each through the service, the API and the pages."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from docx import Document
from factories import (
    DAY,
    LATER,
    MEMBERS,
    NOW,
    actions,
    close,
    council_of,
    draft,
    entitled,
    notified,
    ok,
    open_session,
    refused,
    schedule,
    uid,
    unlimited,
    vote,
)
from factories import nomination as nominate
from sqlalchemy import select

from models import AuditEvent, CouncilSession
from workflow import clock, documents
from workflow.council import operations as council
from workflow.council import scheduling
from workflow.council.queries import held_on
from workflow.errors import Conflict, ValidationFailed
from workflow.proposals import decisions
from workflow.proposals import operations as proposals

VN = dt.timezone(dt.timedelta(hours=7))


def future(days: int = 30) -> dt.date:
    return clock.today() + dt.timedelta(days=days)


def live_session(db, demo, items, *, publish: bool = True, days: int = 30):
    """A session of the real calendar (the API and the pages read the clock): dated `days` ahead, no publicity."""
    return schedule(db, demo, items, now=clock.now(), date=future(days), publish=publish)


@pytest.fixture
def legal_minimum(monkeypatch):
    """The product's default: the decree's 10 working days (the suite runs with 0, see conftest)."""
    monkeypatch.setattr(scheduling, "PUBLICITY_MIN_WORKING_DAYS", scheduling.LEGAL_PUBLICITY_WORKING_DAYS)


# ------------------------------------------------------------------------------------------------ reschedule
def test_reschedule_moves_date_hour_place_and_title_tells_members_and_audits(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = schedule(db, demo, [n], publish=False)
    sec = demo.actor("vanphong")
    before = s.version
    scheduling.reschedule(db, sec, s.id, version=before, date="15/07/2026", start_time="8h30", location="Phòng 2",
                          title="Phiên họp bình xét (dời lịch)", now=NOW)
    assert (s.date, s.start_time, s.location, s.title) == (dt.date(2026, 7, 15), dt.time(8, 30), "Phòng 2",
                                                           "Phiên họp bình xét (dời lịch)")
    assert s.version == before + 1
    assert notified(db, demo, "council.rescheduled") == set(MEMBERS) - {"vanphong"}
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "council_session.rescheduled"))
    assert event.data["changes"]["date"] == ["2026-07-01", "2026-07-15"]
    assert event.data["changes"]["start_time"] == [None, "08:30"]
    # nothing changed, nothing written
    scheduling.reschedule(db, sec, s.id, version=s.version, location="Phòng 2", now=NOW)
    assert s.version == before + 1 and len(actions(db, "council_session.rescheduled")) == 1


def test_a_stale_version_is_refused_in_plain_words_and_changes_nothing(db, demo):
    s = schedule(db, demo, [nominate(db, demo, unit="HCTP")], publish=False)
    sec = demo.actor("vanphong")
    seen = s.version
    scheduling.reschedule(db, sec, s.id, version=seen, location="Phòng 1", now=NOW)
    with pytest.raises(Conflict) as err:
        scheduling.reschedule(db, sec, s.id, version=seen, location="Hội trường", now=NOW)
    assert "người khác thay đổi" in err.value.detail and "Phòng 1" in err.value.reasons[0]
    assert "phiên bản" not in " ".join(err.value.reasons).lower()
    assert s.location == "Phòng 1"
    with pytest.raises(ValidationFailed) as err:
        scheduling.reschedule(db, sec, s.id, version=None, location="x", now=NOW)
    assert "version" in err.value.field_errors


def test_no_meeting_in_the_past_scheduled_or_moved(db, demo):
    sec = demo.actor("vanphong")
    with pytest.raises(ValidationFailed) as err:
        council.schedule(db, sec, title="Phiên thử", date="01/01/2020", campaign_id=demo.campaign().id, now=NOW)
    assert "đã qua" in err.value.field_errors["date"] and err.value.reasons[0].startswith("Ngày họp")
    today = council.schedule(db, sec, title="Phiên hôm nay", date=NOW.date(), campaign_id=demo.campaign().id, now=NOW)
    assert today.date == NOW.date()
    with pytest.raises(ValidationFailed) as err:
        scheduling.reschedule(db, sec, today.id, version=today.version, date="31/05/2026", now=NOW)
    assert "01/06/2026" in err.value.field_errors["date"] and today.date == NOW.date()
    with pytest.raises(ValidationFailed):  # the clock, when no moment is given: 2020 is gone whatever today is
        council.schedule(db, sec, title="Phiên thử", date="2020-01-01", campaign_id=demo.campaign().id)


def test_after_publication_the_new_date_keeps_the_publicity_period(db, demo):
    s = schedule(db, demo, [nominate(db, demo, unit="HCTP")], publicity_days=10, date=dt.date(2026, 6, 20))
    assert s.comments_until == dt.datetime(2026, 6, 15, 23, 59, 59, tzinfo=VN)
    sec = demo.actor("vanphong")
    for day in ("15/06/2026", "10/06/2026"):
        with pytest.raises(ValidationFailed) as err:
            scheduling.reschedule(db, sec, s.id, version=s.version, date=day, now=NOW)
        assert "16/06/2026" in err.value.field_errors["date"]
    scheduling.reschedule(db, sec, s.id, version=s.version, date="16/06/2026", now=NOW)
    assert s.date == dt.date(2026, 6, 16)


def test_an_opened_session_is_not_moved_nor_cancelled(db, demo):
    s = open_session(db, demo, [nominate(db, demo, unit="HCTP")])
    sec = demo.actor("vanphong")
    with pytest.raises(Conflict) as err:
        scheduling.reschedule(db, sec, s.id, version=s.version, location="x", now=NOW)
    assert "đã khai mạc" in err.value.detail
    with pytest.raises(Conflict):
        scheduling.cancel(db, sec, s.id, reason="Trùng lịch", now=NOW)
    with pytest.raises(Exception) as err:  # the director chairs; only the secretariat reschedules
        scheduling.reschedule(db, demo.actor("tp_hctp"), s.id, version=s.version, location="x", now=NOW)
    assert getattr(err.value, "status", None) in (403, 404)


# ------------------------------------------------------------------------------------------------ cancel
def test_cancel_with_a_reason_returns_the_items_to_the_pool(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = schedule(db, demo, [n])
    sec = demo.actor("vanphong")
    with pytest.raises(ValidationFailed) as err:
        scheduling.cancel(db, sec, s.id, reason="  ", now=NOW)
    assert err.value.field_errors["reason"].startswith("Lý do hủy") and s.state == "scheduled"
    scheduling.cancel(db, sec, s.id, reason="Trùng lịch họp của UBND tỉnh.", now=NOW)
    assert (s.state, s.cancel_reason, s.cancelled_by_id) == ("cancelled", "Trùng lịch họp của UBND tỉnh.",
                                                            uid(demo, "vanphong"))
    assert notified(db, demo, "council.cancelled") == set(MEMBERS) - {"vanphong"}
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "council_session.cancelled"))
    assert (event.data["reason"], event.data["nomination_ids"]) == ("Trùng lịch họp của UBND tỉnh.", [n.id])
    # the item goes on another session's agenda
    other = schedule(db, demo, [], publish=False)
    assert n in council.agenda_candidates(db, other)
    council.set_agenda(db, sec, other.id, [n.id])
    # and the cancelled session is closed to every change
    with pytest.raises(Conflict):
        scheduling.cancel(db, sec, s.id, reason="Lần nữa", now=NOW)
    for attempt in (lambda: council.set_agenda(db, sec, s.id, []),
                    lambda: council.record_attendance(db, sec, s.id, []),
                    lambda: council.open_session(db, demo.actor("giamdoc"), s.id, now=LATER),
                    lambda: council.add_comment(db, demo.actor("canbo1"), s.id, nomination_id=n.id, text="x",
                                                now=NOW),
                    lambda: scheduling.reschedule(db, sec, s.id, version=s.version, location="x", now=NOW)):
        with pytest.raises(Conflict):
            attempt()


def test_a_cancelled_session_is_listed_but_never_held(db, demo):
    a, b = nominate(db, demo, unit="HCTP"), nominate(db, demo, unit="PTP-LX")
    cancelled = schedule(db, demo, [a])
    scheduling.cancel(db, demo.actor("vanphong"), cancelled.id, reason="Hoãn", now=NOW)
    held = open_session(db, demo, [b])
    for n in (b,):
        vote(db, demo, held, n, len(entitled(demo, n)))
    close(db, demo, held)
    assert (held.minutes_year, held.minutes_seq) == (2026, 1)  # the cancelled one took no number
    assert cancelled.minutes_seq is None and cancelled.closed_at is None
    page = council.list_sessions(db, demo.actor("vanphong"), page=1, per_page=20, state="cancelled")
    assert [s.id for s in page.items] == [cancelled.id]
    with pytest.raises(ValidationFailed):
        council.list_sessions(db, demo.actor("vanphong"), page=1, per_page=20, state="hoãn")


# ------------------------------------------------------------------------------------------------ the held day
def test_opened_on_another_day_the_minutes_and_decision_cite_the_held_day(db, demo):
    unlimited(demo)
    n = nominate(db, demo, unit="HCTP")
    s = schedule(db, demo, [n], date=dt.date(2026, 6, 20))  # planned for Saturday 20/06
    council.record_attendance(db, demo.actor("vanphong"), s.id, [uid(demo, u) for u in MEMBERS])
    opened = dt.datetime(2026, 6, 18, 2, 0, tzinfo=dt.UTC)  # opened on Thursday 18/06, 09:00 in Viet Nam
    council.open_session(db, demo.actor("giamdoc"), s.id, now=opened)
    vote(db, demo, s, n, len(entitled(demo, n)))
    close(db, demo, s, now=opened + dt.timedelta(hours=2))
    assert held_on(s) == dt.date(2026, 6, 18) and s.date == dt.date(2026, 6, 20)
    text = "\n".join(p.text for p in Document(io.BytesIO(documents.minutes_docx(db, s))).paragraphs)
    assert "ngày 18 tháng 6 năm 2026" in text  # the header's place and date, and the body
    assert "ngày 20 tháng 6 năm 2026" not in text.split("1. Thời gian")[0]  # the header does not cite the plan
    d = decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=31, date=DAY, nomination_ids=[n.id])
    doc = Document(io.BytesIO(documents.decision_docx(db, d)))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "phiên họp ngày 18/6/2026" in body or "phiên họp ngày 18/06/2026" in body


# ------------------------------------------------------------------------------------------------ decision dates
def test_a_decision_is_dated_neither_in_the_future_nor_before_the_close(db, demo):
    unlimited(demo)
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    vote(db, demo, s, n, len(entitled(demo, n)))
    close(db, demo, s)  # closed on 01/06/2026
    director = demo.actor("giamdoc")
    for day, words in ((clock.today() + dt.timedelta(days=1), "chưa đến"), (dt.date(2030, 1, 1), "chưa đến"),
                       (dt.date(2026, 5, 31), "trước ngày kết thúc phiên họp")):
        with pytest.raises(ValidationFailed) as err:
            decisions.issue(db, director, level="co_so", number=40, date=day, nomination_ids=[n.id])
        assert words in err.value.field_errors["date"] and err.value.reasons[0].startswith("Ngày quyết định")
        assert n.state == "submitted"
    d = decisions.issue(db, director, level="co_so", number=40, date=dt.date(2026, 6, 1), nomination_ids=[n.id])
    assert d.session_id == s.id and n.state == "evaluated_co_so"


def test_a_proposal_is_dated_on_or_after_the_decisions_it_cites(db, demo):
    unlimited(demo)
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    vote(db, demo, s, n, len(entitled(demo, n)))
    close(db, demo, s)
    decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=41, date=DAY, nomination_ids=[n.id])
    p = draft(db, demo, [n])
    with pytest.raises(ValidationFailed) as err:
        proposals.submit(db, demo.actor("giamdoc"), p.id, number=46, date=DAY - dt.timedelta(days=1))
    assert "25/11/2026" in err.value.field_errors["date"] and p.state == "draft"
    assert any("41/QĐ-STP" in r for r in err.value.reasons)
    proposals.submit(db, demo.actor("giamdoc"), p.id, number=46, date=DAY)
    assert p.state == "submitted"


# ------------------------------------------------------------------------------------------------ publicity minimum
def test_publicity_below_the_legal_minimum_is_refused(db, demo, legal_minimum):
    c = council_of(db, demo)
    admin = demo.actor("admin")
    for days in (0, 5, 9):
        with pytest.raises(ValidationFailed) as err:
            council.update_council(db, admin, c.id, publicity_working_days=days)
        assert "tối thiểu 10 ngày làm việc" in err.value.field_errors["publicity_working_days"]
    council.update_council(db, admin, c.id, publicity_working_days=10)
    assert c.publicity_working_days == 10
    # a council left below the floor (set before it existed) cannot publish with it
    s = schedule(db, demo, [nominate(db, demo, unit="HCTP")], publicity_days=3, publish=False)
    with pytest.raises(ValidationFailed) as err:
        council.publish(db, demo.actor("vanphong"), s.id, now=NOW)
    assert "tối thiểu 10 ngày làm việc" in err.value.reasons[0] and s.published_at is None


def test_the_minimum_is_a_setting_whose_default_is_the_decree():
    from web import config

    assert config.publicity_minimum(None) == 10 == scheduling.LEGAL_PUBLICITY_WORKING_DAYS
    assert config.publicity_minimum("0") == 0
    with pytest.raises(config.ConfigError):
        config.publicity_minimum("mười")


# ------------------------------------------------------------------------------------------------ the API
def test_api_patch_reschedules_with_version_and_refuses_stale_past_and_opened(api, db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = live_session(db, demo, [n], publish=False)
    db.commit()
    sec = api.as_("vanphong")
    body = ok(sec.get(f"/council-sessions/{s.id}"))
    version = body["version"]
    assert {"start_time", "version", "held_on", "cancelled_at", "cancel_reason"} <= set(body)
    assert any(a["action"] == "reschedule" and a["allowed"] for a in body["available_actions"])
    new_day = future(40)
    body = ok(sec.patch(f"/council-sessions/{s.id}", json={"version": version, "date": new_day.isoformat(),
                                                           "start_time": "14:00", "location": "Hội trường"}))
    assert (body["date"], body["start_time"], body["location"], body["version"]) == (
        new_day.isoformat(), "14:00", "Hội trường", version + 1)
    problem = refused(sec.patch(f"/council-sessions/{s.id}", json={"version": version, "title": "Cũ"}), 409)
    assert "người khác thay đổi" in problem["detail"]
    problem = refused(sec.patch(f"/council-sessions/{s.id}", json={"version": version + 1, "date": "01/01/2020"}), 422)
    assert "đã qua" in problem["errors"]["date"][0]
    refused(sec.patch(f"/council-sessions/{s.id}", json={"title": "Thiếu phiên bản"}), 422)
    refused(api.as_("tp_hctp").patch(f"/council-sessions/{s.id}", json={"version": version + 1, "title": "X"}), 404)
    refused(api.as_("giamdoc").patch(f"/council-sessions/{s.id}", json={"version": version + 1, "title": "X"}), 403)
    problem = refused(sec.post("/council-sessions", json={"title": "Phiên cũ", "date": "2020-01-01",
                                                          "campaign_id": demo.campaign().id}), 422)
    assert "đã qua" in problem["errors"]["date"][0]


def test_api_cancel_with_reason_lists_and_filters_cancelled(api, db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = live_session(db, demo, [n])
    db.commit()
    sec = api.as_("vanphong")
    problem = refused(sec.post(f"/council-sessions/{s.id}/cancel", json={}), 422)
    assert "reason" in problem["errors"]
    refused(api.as_("giamdoc").post(f"/council-sessions/{s.id}/cancel", json={"reason": "x"}), 403)
    body = ok(sec.post(f"/council-sessions/{s.id}/cancel", json={"reason": "Trùng lịch."}))
    assert (body["state"], body["state_label"], body["cancel_reason"]) == ("cancelled", "Đã hủy", "Trùng lịch.")
    assert body["cancelled_at"]
    refused(sec.post(f"/council-sessions/{s.id}/cancel", json={"reason": "Lần nữa"}), 409)
    refused(api.as_("giamdoc").post(f"/council-sessions/{s.id}/open"), 409)
    listed = ok(sec.get("/council-sessions?state=cancelled"))
    assert [x["id"] for x in listed["items"]] == [s.id]
    assert s.id not in [x["id"] for x in ok(sec.get("/council-sessions?state=scheduled"))["items"]]
    refused(sec.get("/council-sessions?state=hoan"), 422)


def test_api_publicity_below_the_minimum_is_refused(api, db, demo, legal_minimum):
    c = council_of(db, demo).id
    db.commit()
    for days in (0, 5):
        problem = refused(api.as_("admin").patch(f"/councils/{c}", json={"publicity_working_days": days}), 422)
        assert "tối thiểu 10 ngày làm việc" in problem["errors"]["publicity_working_days"][0]
    assert ok(api.as_("admin").patch(f"/councils/{c}", json={"publicity_working_days": 12}))[
        "publicity_working_days"] == 12


def test_api_decision_in_the_future_is_refused(api, db, demo):
    unlimited(demo)
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    vote(db, demo, s, n, len(entitled(demo, n)))
    close(db, demo, s)
    db.commit()
    problem = refused(api.as_("giamdoc").post("/decisions", json={
        "level": "co_so", "number": 77, "date": "2030-01-01", "nomination_ids": [n.id]}), 422)
    assert "chưa đến" in problem["errors"]["date"][0]


# ------------------------------------------------------------------------------------------------ the pages
def test_page_edit_keeps_the_users_text_on_a_stale_version(client, login, db, demo):
    s = live_session(db, demo, [nominate(db, demo, unit="HCTP")], publish=False)
    db.commit()
    login("vanphong")
    page = client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
    assert "Dời lịch, sửa thông tin phiên họp" in page and "Hủy phiên họp" in page
    seen = s.version
    day = future(35).strftime("%d/%m/%Y")
    r = client.post(f"/council/sessions/{s.id}/edit", data={
        "version": seen, "title": s.title, "date": day, "start_time": "08:00", "location": "Phòng 3"})
    assert r.status_code == 302
    r = client.post(f"/council/sessions/{s.id}/edit", data={
        "version": seen, "title": "Tên tôi vừa gõ", "date": day, "start_time": "09:00", "location": "Phòng 5"})
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "người khác thay đổi" in page and 'value="Tên tôi vừa gõ"' in page and 'value="Phòng 5"' in page
    assert "Phòng 3" in page and 'data-testid="current-values"' in page
    r = client.post(f"/council/sessions/{s.id}/edit", data={
        "version": seen + 1, "title": s.title, "date": "01/01/2020", "start_time": "", "location": ""})
    assert r.status_code == 422
    assert "đã qua" in r.get_data(as_text=True)
    r = client.post("/council/sessions/new", data={"title": "Phiên cũ", "date": "01/01/2020",
                                                   "campaign_id": str(demo.campaign().id)})
    assert r.status_code == 422 and "đã qua" in r.get_data(as_text=True)


def test_page_cancel_asks_for_a_reason_and_a_confirmation(client, login, db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = live_session(db, demo, [n])
    db.commit()
    login("vanphong")
    r = client.post(f"/council/sessions/{s.id}/cancel", data={"reason": "Trùng lịch", "version": s.version})
    assert r.status_code == 422 and "xác nhận" in r.get_data(as_text=True)
    r = client.post(f"/council/sessions/{s.id}/cancel", data={"confirm": "yes", "reason": ""})
    assert r.status_code == 422 and "Lý do hủy" in r.get_data(as_text=True)
    r = client.post(f"/council/sessions/{s.id}/cancel", data={"confirm": "yes", "reason": "Trùng lịch họp",
                                                             "version": s.version})
    assert r.status_code == 302
    page = client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
    assert "Đã hủy" in page and "Trùng lịch họp" in page and 'data-testid="cancelled"' in page
    assert "Dời lịch, sửa thông tin phiên họp" not in page
    listing = client.get("/council/sessions?state=cancelled").get_data(as_text=True)
    assert s.title in listing
    assert s.title not in client.get("/council/sessions?state=open").get_data(as_text=True)
    assert db.scalar(select(CouncilSession.state).where(CouncilSession.id == s.id)) == "cancelled"


def test_page_publicity_below_the_minimum_is_refused(client, login, db, demo, legal_minimum):
    c = council_of(db, demo)
    db.commit()
    login("admin")
    for days in ("0", "5"):
        r = client.post("/council/settings", data={"council_id": str(c.id), "name": c.name, "quorum": "66,67",
                                                   "pass_threshold": "70", "publicity_working_days": days})
        assert r.status_code == 422
        assert "tối thiểu 10 ngày làm việc" in r.get_data(as_text=True)
    assert re.search(r"ít nhất 10 ngày làm việc",
                     client.get(f"/council?council={c.id}").get_data(as_text=True))


def _recognised_with_a_proposal(db, demo, unit="HCTP"):
    """A nomination passed (closed 01/06/2026), recognised by decision 41 of DAY (25/11/2026), in a draft Tờ trình."""
    unlimited(demo)
    n = nominate(db, demo, unit=unit)
    s = open_session(db, demo, [n])
    vote(db, demo, s, n, len(entitled(demo, n)))
    close(db, demo, s)
    decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=41, date=DAY, nomination_ids=[n.id])
    p = draft(db, demo, [n])
    db.commit()
    return n, p


def test_api_proposal_dated_before_its_decisions_is_refused(api, db, demo):
    _, p = _recognised_with_a_proposal(db, demo)
    problem = refused(api.as_("giamdoc").post(f"/proposals/{p.id}/submit", json={"number": 46,
                                                                                "date": "2026-11-24"}), 422)
    assert "25/11/2026" in problem["errors"]["date"][0]
    assert ok(api.as_("giamdoc").post(f"/proposals/{p.id}/submit", json={"number": 46, "date": DAY.isoformat()}))[
        "state"] == "submitted"


def test_pages_refuse_a_decision_in_the_future_and_a_proposal_before_its_decisions(client, login, db, demo):
    unlimited(demo)
    n = nominate(db, demo, unit="HCTP")
    s = open_session(db, demo, [n])
    vote(db, demo, s, n, len(entitled(demo, n)))
    close(db, demo, s)
    db.commit()
    login("giamdoc")
    r = client.post(f"/decisions/new?session={s.id}", data={"nomination_ids": [str(n.id)], "number": "5",
                                                           "date": "01/01/2030", "confirm": "yes"})
    assert r.status_code == 422 and "chưa đến" in r.get_data(as_text=True)
    assert n.state == "submitted"
    _, p = _recognised_with_a_proposal(db, demo, unit="PTP-LX")
    r = client.post(f"/proposals/{p.id}/submit", data={"number": "46", "date": "24/11/2026", "confirm": "yes"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Ngày tờ trình (24/11/2026) trước ngày của quyết định được dẫn" in page and "41/QĐ-STP" in page
