"""JSON API: the council step of issue 3 end to end through /api/v1 — publicity, agenda, attendance, the secret
ballot, the close with quota and threshold, who sees the results. Decisions: test_api_decisions.py."""
from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from factories import ENVELOPE, MEMBERS, PROBLEM, ok, refused  # noqa: F401 - also imported from here
from samples import PDF
from sqlalchemy import select

from models import AnonymousBallot, AuditEvent, BallotReceipt, BallotSlot, User

CHOICES = ("agree", "disagree", "abstain")


# ------------------------------------------------------------------------------------------------ helpers
def council_refs(demo, db) -> SimpleNamespace:
    """Ids of the demo data, looked up once; then the test session lets go of SQLite's write lock."""
    from workflow.council import operations as council

    data = SimpleNamespace(
        campaign=demo.campaign().id, stp2_campaign=demo.campaign(department="STP2").id,
        pbgdpl=demo.unit("PBGDPL").id, hctp=demo.unit("HCTP").id,
        council=council.council_for_department(db, demo.unit("STP").id).id,
        stp2_council=council.council_for_department(db, demo.unit("STP2").id).id,
        users={u.username: u.id for u in db.scalars(select(User))},
        names={u.username: u.full_name for u in db.scalars(select(User))},
    )
    db.rollback()
    return data


def submitted(api, ref, head: str, unit: int, title: str, *, before_submit=None) -> int:
    """A collective nomination registered, nurtured, with a complete dossier, submitted to the council
    (`before_submit(client, id)` adds to the dossier while it may still be edited)."""
    client = api.as_(head)
    n = ok(client.post("/nominations", json={"campaign_id": ref.campaign, "subject_type": "collective",
                                             "unit_id": unit, "title": title,
                                             "achievements": "Hoàn thành xuất sắc nhiệm vụ năm."}), 201)
    n = ok(client.post(f"/nominations/{n['id']}/transitions",
                       json={"action": "start_nurturing", "version": n["version"], "nurture_plan": "Kế hoạch."}))
    ok(client.post(f"/nominations/{n['id']}/attachments", content_type="multipart/form-data",
                   data={"kind": "achievement_report", "file": (io.BytesIO(PDF), "bao-cao.pdf")}), 201)
    n = ok(client.get(f"/nominations/{n['id']}"))
    criteria = {c["code"]: {"met": True, "evidence": "Có minh chứng"} for c in n["criteria"]}
    n = ok(client.patch(f"/nominations/{n['id']}", json={"version": n["version"], "criteria": criteria}))
    if before_submit is not None:
        before_submit(client, n["id"])
    n = ok(client.post(f"/nominations/{n['id']}/transitions", json={"action": "submit", "version": n["version"]}))
    assert n["state"] == "submitted"
    return n["id"]


def two_items(api, ref) -> tuple[int, int]:
    return (submitted(api, ref, "tp_pbgdpl", ref.pbgdpl, "Phòng Phổ biến, giáo dục pháp luật"),
            submitted(api, ref, "tp_hctp", ref.hctp, "Phòng Hành chính tư pháp"))


def schedule(api, ref, nomination_ids, *, days_ahead=30, publicity_days: int | None = 0) -> dict:
    """A session with its agenda, published; the council's publicity period set first (0: none) by the admin."""
    if publicity_days is not None:
        ok(api.as_("admin").patch(f"/councils/{ref.council}", json={"publicity_working_days": publicity_days}))
    sec = api.as_("vanphong")
    s = ok(sec.post("/council-sessions", json={
        "title": "Phiên họp bình xét năm", "date": (dt.date.today() + dt.timedelta(days=days_ahead)).isoformat(),
        "campaign_id": ref.campaign, "location": "Phòng họp số 1"}), 201)
    ok(sec.post(f"/council-sessions/{s['id']}/agenda", json={"nomination_ids": list(nomination_ids)}))
    return ok(sec.post(f"/council-sessions/{s['id']}/publish"))


def open_with_everyone(api, ref, nomination_ids) -> dict:
    s = schedule(api, ref, nomination_ids)
    ok(api.as_("vanphong").post(f"/council-sessions/{s['id']}/attendance",
                                json={"present": [ref.users[u] for u in MEMBERS]}))
    s = ok(api.as_("giamdoc").post(f"/council-sessions/{s['id']}/open"))
    assert s["state"] == "open"
    return s


def vote(api, username, session_id, nomination_id, choice="agree"):
    return api.as_(username).post(f"/council-sessions/{session_id}/votes",
                                  json={"nomination_id": nomination_id, "choice": choice})


def run_quota_session(api, ref) -> SimpleNamespace:
    """Issue 3's "Done when": PBGDPL (hoidong1 recused) 5 of 6 agree = 83%; HCTP 6 of 7 = 86%; one collective slot."""
    a, b = two_items(api, ref)
    s = open_with_everyone(api, ref, [a, b])
    sid = s["id"]
    for u in MEMBERS:
        if u != "hoidong1":
            r = vote(api, u, sid, a, "disagree" if u == "hoidong5" else "agree")
            assert ok(r, 201) == {"nomination_id": a, "voted": True}
        assert ok(vote(api, u, sid, b, "abstain" if u == "hoidong4" else "agree"), 201) == {
            "nomination_id": b, "voted": True}
    return SimpleNamespace(a=a, b=b, session=sid)


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture
def ref(demo, db):
    return council_refs(demo, db)


# ------------------------------------------------------------------------------------------------ councils
@pytest.mark.parametrize("path", ["/councils", "/council-sessions"])
@pytest.mark.parametrize("username", ["thanhtra", "admin", "vanphong", "tp_pbgdpl", "canbo1", "botp"])
def test_list_envelopes(api, path, username):
    body = ok(api.as_(username).get(path))
    assert ENVELOPE <= set(body) and (body["page"], body["per_page"]) == (1, 20)
    assert isinstance(body["items"], list) and body["total"] >= len(body["items"])


def test_councils_scope_and_shape(api, ref):
    everything = ok(api.as_("thanhtra").get("/councils"))
    assert {c["id"] for c in everything["items"]} == {ref.council, ref.stp2_council} and everything["total"] == 2
    mine = ok(api.as_("tp_pbgdpl").get("/councils"))
    assert [c["id"] for c in mine["items"]] == [ref.council] and mine["total"] == 1
    assert ok(api.as_("botp").get("/councils"))["total"] == 0  # the ministry has no department council
    c = ok(api.as_("vanphong").get(f"/councils/{ref.council}"))
    assert {"id", "department_id", "name", "quorum", "pass_threshold", "publicity_working_days", "members"} <= set(c)
    assert (c["quorum"], c["pass_threshold"], c["publicity_working_days"]) == (0.6667, 0.7, 10)
    assert len(c["members"]) == 7 and all(m["active"] for m in c["members"])
    chair = next(m for m in c["members"] if m["user_id"] == ref.users["giamdoc"])
    assert (chair["function"], chair["function_label"], chair["full_name"]) == (
        "chu_tich", "Chủ tịch", ref.names["giamdoc"])
    refused(api.as_("tp_stp2").get(f"/councils/{ref.council}"), 404)
    refused(api.as_("vanphong").get("/councils/987654"), 404)
    refused(api.as_("vanphong").get("/councils/99999999999999999999"), 404)


def test_admin_edits_council_settings_and_members(api, ref, db):
    admin = api.as_("admin")
    c = ok(admin.patch(f"/councils/{ref.council}", json={"quorum": 0.75, "pass_threshold": 0.6667,
                                                         "publicity_working_days": 5, "name": "Hội đồng TĐKT"}))
    assert (c["quorum"], c["pass_threshold"], c["publicity_working_days"], c["name"]) == (
        0.75, 0.6667, 5, "Hội đồng TĐKT")
    for body in ({"quorum": 0}, {"quorum": 1.5}, {"pass_threshold": -0.1}, {"quorum": "0.7"}, {"quorum": True},
                 {"publicity_working_days": 61}, {"publicity_working_days": "3"}, {"publicity_working_days": 2.5},
                 {"name": ""}, {"name": None}, {"colour": "red"}):
        assert admin.patch(f"/councils/{ref.council}", json=body).status_code == 422, body
    body = refused(api.as_("vanphong").patch(f"/councils/{ref.council}", json={"quorum": 0.5}), 403)
    assert body["reasons"]
    refused(api.as_("giamdoc").post(f"/councils/{ref.council}/members", json={"user_id": ref.users["bientap"]}), 403)
    # a new member is created (201), then updated (200); a user of another department is refused
    c = ok(admin.post(f"/councils/{ref.council}/members", json={"user_id": ref.users["bientap"]}), 201)
    assert any(m["user_id"] == ref.users["bientap"] and m["function"] == "uy_vien" for m in c["members"])
    c = ok(admin.post(f"/councils/{ref.council}/members", json={"user_id": ref.users["bientap"], "active": False}))
    assert next(m for m in c["members"] if m["user_id"] == ref.users["bientap"])["active"] is False
    refused(admin.post(f"/councils/{ref.council}/members", json={"user_id": ref.users["tp_stp2"]}), 422)
    refused(admin.post(f"/councils/{ref.council}/members", json={"user_id": ref.users["hoidong2"],
                                                                 "function": "chu_tich"}), 422)  # one chair only
    refused(admin.post(f"/councils/{ref.council}/members", json={"user_id": ref.users["hoidong2"],
                                                                 "function": "thu_ky"}), 422)
    refused(admin.post("/councils/987654/members", json={"user_id": ref.users["hoidong2"]}), 404)
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.object_type == "council")
                                            .order_by(AuditEvent.id))]
    assert actions.count("council.update") >= 2 and "council.member_set" in actions  # the refusals too


# ------------------------------------------------------------------------------------------------ the session
def test_quota_threshold_recusal_and_secret_ballot(api, ref, db):
    run = run_quota_session(api, ref)
    a, b, sid = run.a, run.b, run.session

    # the recused member, non-members and a second vote are refused
    body = refused(vote(api, "hoidong1", sid, a), 403)
    assert "đơn vị" in " ".join(body["reasons"])
    refused(vote(api, "tp_hctp", sid, b), 403)
    refused(vote(api, "canbo1", sid, b), 403)
    refused(vote(api, "tp_stp2", sid, b), 404)
    refused(vote(api, "hoidong2", sid, b, "disagree"), 409)
    refused(vote(api, "hoidong2", sid, 987654), 422)  # not on the agenda

    # while open: how many voted, never what; the caller's own receipts; no results
    s = ok(api.as_("hoidong2").get(f"/council-sessions/{sid}"))
    assert s["state"] == "open" and "results" not in s and sorted(s["my_votes"]) == sorted([a, b])
    items = {i["nomination_id"]: i for i in s["agenda"]}
    assert (items[a]["voted"], items[a]["entitled"], items[a]["recused"]) == (6, 6, [ref.names["hoidong1"]])
    assert (items[b]["voted"], items[b]["entitled"], items[b]["recused"]) == (7, 7, [])
    assert s["progress"] == {"members": 7, "present": 7, "quorum_met": True}
    assert ok(api.as_("hoidong1").get(f"/council-sessions/{sid}"))["my_votes"] == [b]
    assert ok(api.as_("tp_hctp").get(f"/council-sessions/{sid}"))["my_votes"] == []
    assert not {"agree", "disagree", "abstain", "choice"} & set(str(items).split("'"))

    # the close applies the threshold and the quota of one collective: HCTP passes, PBGDPL exceeds the quota
    refused(api.as_("vanphong").post(f"/council-sessions/{sid}/close"), 403)
    s = ok(api.as_("giamdoc").post(f"/council-sessions/{sid}/close"))
    assert s["state"] == "closed" and s["closed_at"]
    assert (s["quorum_met"], s["present_count"], s["members_total"]) == (True, 7, 7)
    assert (s["quorum_required"], s["pass_threshold_applied"]) == (0.6667, 0.7)
    results = {r["nomination_id"]: r for r in s["results"]}
    rb, ra = results[b], results[a]
    assert (rb["agree"], rb["disagree"], rb["abstain"], rb["entitled"], rb["recused"]) == (6, 0, 1, 7, 0)
    assert (rb["share"], rb["outcome"], rb["outcome_label"], rb["rank"]) == (0.8571, "passed", "Đạt", 1)
    assert (ra["agree"], ra["disagree"], ra["abstain"], ra["entitled"], ra["recused"]) == (5, 1, 0, 6, 1)
    assert (ra["share"], ra["outcome"], ra["rank"]) == (0.8333, "quota_exceeded", 2)
    assert ra["outcome_label"] == "Vượt chỉ tiêu" and "Chỉ tiêu còn 1" in ra["outcome_note"]
    sec = api.as_("vanphong")
    assert ok(sec.get(f"/nominations/{a}"))["state"] == "not_recognized"
    assert ok(sec.get(f"/nominations/{b}"))["state"] == "submitted"
    refused(vote(api, "hoidong3", sid, b), 409)  # closed
    refused(api.as_("giamdoc").post(f"/council-sessions/{sid}/close"), 409)
    refused(api.as_("giamdoc").post(f"/council-sessions/{sid}/tie-break", json={"nomination_ids": [a]}), 409)
    refused(sec.post(f"/council-sessions/{sid}/attendance", json={"present": []}), 409)

    # results: the council, the secretariat, the director and auditors; not a unit head nor staff
    for username in ("hoidong3", "vanphong", "giamdoc", "thanhtra", "admin"):
        assert len(ok(api.as_(username).get(f"/council-sessions/{sid}"))["results"]) == 2, username
    for username in ("tp_hctp", "tp_pbgdpl", "canbo1", "bientap"):
        s = ok(api.as_(username).get(f"/council-sessions/{sid}"))
        assert not {"results", "quorum_met", "present_count", "quorum_required"} & set(s), username
    for username in ("tp_stp2", "botp"):
        refused(api.as_(username).get(f"/council-sessions/{sid}"), 404)

    # nothing stored or audited links a member to a choice
    db.rollback()
    assert db.scalar(select(BallotReceipt.id).where(BallotReceipt.member_user_id == ref.users["hoidong5"]))
    assert not {"member_user_id", "user_id", "created_at", "choice"} & set(BallotSlot.__table__.columns.keys())
    assert not {"member_user_id", "user_id", "created_at"} & set(AnonymousBallot.__table__.columns.keys())
    events = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "council_session",
                                                 AuditEvent.object_id == sid)).all()
    votes = [e for e in events if e.action.startswith("council_session.vote")]
    assert len([e for e in votes if e.outcome != "refused"]) == 13
    assert len([e for e in votes if e.outcome == "refused"]) >= 5  # recused, non-members, second vote, closed
    for e in votes:
        assert not any(c in str(e.data) for c in CHOICES), e.data
    audit = ok(api.as_("thanhtra").get(f"/audit?object_type=council_session&object_id={sid}&per_page=100"))
    for e in audit["items"]:
        if e["action"].startswith("council_session.vote"):
            assert not any(c in str(e["data"]) for c in CHOICES)


def test_threshold_failure_becomes_not_recognized(api, ref):
    """Below the pass threshold (4 of 7 = 57% < 70%) the item fails and the nomination is not recognised."""
    _, b = two_items(api, ref)
    s = open_with_everyone(api, ref, [b])
    for u in MEMBERS:
        ok(vote(api, u, s["id"], b, "agree" if u in MEMBERS[:4] else "disagree"), 201)
    s = ok(api.as_("giamdoc").post(f"/council-sessions/{s['id']}/close"))
    (result,) = s["results"]
    assert (result["agree"], result["disagree"], result["share"], result["outcome"]) == (4, 3, 0.5714, "failed")
    assert result["outcome_label"] == "Không đạt tỷ lệ biểu quyết" and result["rank"] is None
    assert ok(api.as_("tp_hctp").get(f"/nominations/{b}"))["state"] == "not_recognized"


def test_publicity_period_blocks_opening_and_takes_comments(api, ref):
    a, b = two_items(api, ref)
    ok(api.as_("admin").patch(f"/councils/{ref.council}", json={"publicity_working_days": 10}))
    sec = api.as_("vanphong")
    # with the default 10 working days, a session 5 days away cannot be published
    s = ok(sec.post("/council-sessions", json={"title": "Phiên sớm", "campaign_id": ref.campaign,
                                               "date": (dt.date.today() + dt.timedelta(days=5)).isoformat()}), 201)
    ok(sec.post(f"/council-sessions/{s['id']}/agenda", json={"nomination_ids": [a]}))
    body = refused(sec.post(f"/council-sessions/{s['id']}/publish"), 422)
    assert "ngày làm việc" in body["reasons"][0]

    s = schedule(api, ref, [b], days_ahead=60, publicity_days=None)
    sid = s["id"]
    assert s["published_at"] and s["comments_until"]
    until = dt.datetime.fromisoformat(s["comments_until"])
    assert until.tzinfo is not None and until > dt.datetime.now(dt.UTC) + dt.timedelta(days=9)
    body = refused(sec.post(f"/council-sessions/{sid}/publish"), 409)
    assert body["reasons"]
    refused(sec.post(f"/council-sessions/{sid}/agenda", json={"nomination_ids": [b]}), 409)
    ok(sec.post(f"/council-sessions/{sid}/attendance", json={"present": [ref.users[u] for u in MEMBERS]}))
    body = refused(api.as_("giamdoc").post(f"/council-sessions/{sid}/open"), 409)
    assert "khai mạc sau" in body["reasons"][0]
    refused(vote(api, "hoidong2", sid, b), 409)  # not open

    # comments: anyone of the department while the list is public; shown on the agenda item
    c = ok(api.as_("canbo1").post(f"/council-sessions/{sid}/comments",
                                  json={"nomination_id": b, "text": "  Đồng ý đề nghị.  "}), 201)
    assert (c["text"], c["author"], c["nomination_id"]) == ("Đồng ý đề nghị.", ref.names["canbo1"], b)
    assert c["id"] and c["created_at"]
    refused(api.as_("canbo1").post(f"/council-sessions/{sid}/comments", json={"nomination_id": a, "text": "x"}), 422)
    refused(api.as_("tp_stp2").post(f"/council-sessions/{sid}/comments", json={"nomination_id": b, "text": "x"}),
            404)
    item = ok(api.as_("tp_hctp").get(f"/council-sessions/{sid}"))["agenda"][0]
    assert [x["text"] for x in item["comments"]] == ["Đồng ý đề nghị."]
    assert (item["nomination_id"], item["title"], item["subject_name"], item["position"]) == (
        b, "Phòng Hành chính tư pháp", "Phòng Hành chính tư pháp", 1)
    listing = ok(api.as_("tp_hctp").get("/council-sessions"))
    assert sid in [x["id"] for x in listing["items"]]  # published: visible to the department
    assert s["id"] not in [x["id"] for x in ok(api.as_("tp_stp2").get("/council-sessions"))["items"]]


def test_scheduling_and_agenda_guards(api, ref):
    a, _ = two_items(api, ref)
    sec = api.as_("vanphong")
    day = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    refused(api.as_("giamdoc").post("/council-sessions", json={"title": "P", "date": day,
                                                                "campaign_id": ref.campaign}), 403)
    refused(api.as_("tp_hctp").post("/council-sessions", json={"title": "P", "date": day,
                                                                "campaign_id": ref.campaign}), 403)
    body = refused(sec.post("/council-sessions", json={"title": "P", "date": day,
                                                       "campaign_id": ref.stp2_campaign}), 422)
    assert "campaign_id" in body["errors"]
    s = ok(sec.post("/council-sessions", json={"title": "Phiên họp", "date": day, "campaign_id": ref.campaign}), 201)
    assert (s["state"], s["state_label"], s["agenda"], s["published_at"], s["location"]) == (
        "scheduled", "Đã lên lịch", [], None, None)
    # unpublished: hidden from those outside the council
    refused(api.as_("tp_pbgdpl").get(f"/council-sessions/{s['id']}"), 404)
    assert s["id"] not in [x["id"] for x in ok(api.as_("tp_pbgdpl").get("/council-sessions"))["items"]]
    assert ok(api.as_("hoidong3").get(f"/council-sessions/{s['id']}"))["id"] == s["id"]
    refused(sec.post(f"/council-sessions/{s['id']}/publish"), 422)  # empty agenda
    body = refused(sec.post(f"/council-sessions/{s['id']}/agenda", json={"nomination_ids": [a, 987654]}), 422)
    assert any("987654" in r for r in body["reasons"])
    refused(api.as_("giamdoc").post(f"/council-sessions/{s['id']}/agenda", json={"nomination_ids": [a]}), 403)
    s = ok(sec.post(f"/council-sessions/{s['id']}/agenda", json={"nomination_ids": [a, a]}))
    assert [i["nomination_id"] for i in s["agenda"]] == [a]
    # an item is on one unfinished session at a time
    other = ok(sec.post("/council-sessions", json={"title": "Phiên khác", "date": day, "campaign_id": ref.campaign}),
               201)
    refused(sec.post(f"/council-sessions/{other['id']}/agenda", json={"nomination_ids": [a]}), 422)
    refused(sec.post(f"/council-sessions/{s['id']}/attendance", json={"present": [ref.users["canbo1"]]}), 422)
    refused(api.as_("giamdoc").post(f"/council-sessions/{s['id']}/open"), 409)  # not published


def test_below_quorum_nothing_is_applied(api, ref):
    a, _ = two_items(api, ref)
    s = schedule(api, ref, [a])
    sid = s["id"]
    present = ["giamdoc", "vanphong", "hoidong2", "hoidong3"]
    s = ok(api.as_("vanphong").post(f"/council-sessions/{sid}/attendance",
                                    json={"present": [ref.users[u] for u in present]}))
    assert s["progress"] == {"members": 7, "present": 4, "quorum_met": False}
    assert {x["user_id"]: x["present"] for x in s["attendance"]}[ref.users["hoidong1"]] is False
    ok(api.as_("giamdoc").post(f"/council-sessions/{sid}/open"))
    refused(vote(api, "hoidong4", sid, a), 403)  # absent
    for u in present:
        ok(vote(api, u, sid, a), 201)
    # a member who has voted cannot be marked absent afterwards
    refused(api.as_("vanphong").post(f"/council-sessions/{sid}/attendance",
                                     json={"present": [ref.users["giamdoc"]]}), 422)
    s = ok(api.as_("giamdoc").post(f"/council-sessions/{sid}/close"))
    assert s["quorum_met"] is False and s["results"][0]["outcome"] == "no_quorum"
    assert ok(api.as_("vanphong").get(f"/nominations/{a}"))["state"] == "submitted"


def test_tie_at_the_quota_is_left_to_the_chair(api, ref):
    """Both items 7 of 7 for the single collective slot; PBGDPL has hoidong1 recused: 6/6 = 100% = 7/7."""
    a, b = two_items(api, ref)
    s = open_with_everyone(api, ref, [a, b])
    sid = s["id"]
    for u in MEMBERS:
        if u != "hoidong1":
            ok(vote(api, u, sid, a), 201)
        ok(vote(api, u, sid, b), 201)
    s = ok(api.as_("giamdoc").post(f"/council-sessions/{sid}/close"))
    assert {r["outcome"] for r in s["results"]} == {"tie"}
    refused(api.as_("vanphong").post(f"/council-sessions/{sid}/tie-break", json={"nomination_ids": [a]}), 403)
    refused(api.as_("giamdoc").post(f"/council-sessions/{sid}/tie-break", json={"nomination_ids": [a, b]}), 422)
    refused(api.as_("giamdoc").post(f"/council-sessions/{sid}/tie-break", json={"nomination_ids": []}), 422)
    s = ok(api.as_("giamdoc").post(f"/council-sessions/{sid}/tie-break", json={"nomination_ids": [a]}))
    outcomes = {r["nomination_id"]: r["outcome"] for r in s["results"]}
    assert outcomes == {a: "passed", b: "quota_exceeded"}
    assert ok(api.as_("vanphong").get(f"/nominations/{b}"))["state"] == "not_recognized"


def test_minutes_docx(api, ref):
    pytest.importorskip("workflow.documents", reason="workflow/documents.py is written in parallel")
    run = run_quota_session(api, ref)
    ok(api.as_("giamdoc").post(f"/council-sessions/{run.session}/close"))
    r = api.as_("vanphong").get(f"/council-sessions/{run.session}/minutes")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.isascii() and ".docx" in disposition
    assert r.data[:2] == b"PK"
    assert api.as_("thanhtra").get(f"/council-sessions/{run.session}/minutes").status_code == 200
    refused(api.as_("tp_hctp").get(f"/council-sessions/{run.session}/minutes"), 403)  # it carries the results
    refused(api.as_("tp_stp2").get(f"/council-sessions/{run.session}/minutes"), 404)
