"""JSON API: issue 4's "Done when" through /api/v1 — the secretariat's Tờ trình of cơ sở examples that pass the ngành
rules, the director's all-or-none submit (locked afterwards, numbered without duplicates), who sees which proposal,
and the Ministry's decisions (one Minister's decision extended by number and date) and refusals."""
from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from flask import jsonify
from sqlalchemy import select
from test_api_council import ENVELOPE, PROBLEM, ok, refused
from test_council_flow import MEMBERS, open_session, submitted

from models import AuditEvent, Nomination
from web.api import present
from web.api.schemas import ProposalPageSchema
from workflow import clock
from workflow.administration import accounts
from workflow.council import operations as council
from workflow.proposals import decisions
from workflow.proposals import operations as proposals

TODAY = clock.today()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD_RULE = "Có ít nhất 01 lần được công nhận điển hình tiên tiến ngành Tư pháp hằng năm"
EXAMPLES = ("HCTP", "XDKT", "TGPL", "VP")


def co_so_examples(db, demo, tmp_path, units=EXAMPLES) -> list[int]:
    """Cơ sở examples made quickly through the services: submitted, passed unanimously, recognised by one decision
    (the campaign's quota lifted so that all pass). Then the test session lets go of SQLite's write lock."""
    demo.campaign().quota_collective = None
    items = [submitted(db, demo, tmp_path, unit_head(db, demo, code), code, demo.unit(code).name) for code in units]
    s = open_session(db, demo, items)
    for u in MEMBERS:
        for n in items:
            if not council.recusal_reason(demo.user(u), n):  # a member of the unit abstains from its vote
                council.cast_vote(db, demo.actor(u), s.id, nomination_id=n.id, choice="agree")
    council.close_session(db, demo.actor("giamdoc"), s.id)
    decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=1, date=TODAY,
                    nomination_ids=[n.id for n in items])
    db.commit()
    ids = [n.id for n in items]
    db.rollback()
    return ids


def unit_head(db, demo, code: str) -> str:
    """The unit's head (trưởng phòng) who registers and submits its dossier; created when the demo has none."""
    username = f"tp_{code.lower().replace('-', '')}"
    if demo.user(username) is None:
        accounts.create_user(db, username, roles=["unit_head"], password=demo.password, unit_code=code)
    return username


def stp2_secretariat(db, demo) -> str:
    """Another department's secretariat (Sở Tư pháp tỉnh Khánh Hòa)."""
    accounts.create_user(db, "vanphong_stp2", roles=["secretariat"], password=demo.password, unit_code="STP2-VP",
                         full_name="Văn phòng Sở Tư pháp Khánh Hòa")
    db.commit()
    return "vanphong_stp2"


@pytest.fixture
def ex(db, demo, tmp_path) -> SimpleNamespace:
    """a, b, d: cơ sở examples of STP; c: a cơ sở example moved to the period campaign, where it fails the ngành rule
    "at least one annual ngành recognition"; n: a nomination still before the council (not an example)."""
    a, b, c, d = co_so_examples(db, demo, tmp_path)
    db.get(Nomination, c).campaign_id = demo.campaign("period").id
    n = submitted(db, demo, tmp_path, "tp_pbgdpl", "PBGDPL", "Phòng Phổ biến, giáo dục pháp luật").id
    secretariat2 = stp2_secretariat(db, demo)
    data = SimpleNamespace(a=a, b=b, c=c, d=d, n=n, stp=demo.unit("STP").id, stp2=demo.unit("STP2").id,
                           sec2=secretariat2)
    db.commit()
    db.rollback()
    return data


def create(api, ids, username="vanphong", **extra):
    return api.as_(username).post("/proposals", json={"nomination_ids": ids, **extra})


def submit(api, pid, number, username="giamdoc", date=TODAY):
    return api.as_(username).post(f"/proposals/{pid}/submit", json={"number": number, "date": date.isoformat()})


def put(client, path, body):
    """conftest's ApiClient has no put()."""
    return client.client.put("/api/v1" + path, json=body, headers=client._headers())


def nomination(api, nid, username="vanphong"):
    return ok(api.as_(username).get(f"/nominations/{nid}"))


def test_proposal_done_when(api, ex, db):
    sec, director, ministry = api.as_("vanphong"), api.as_("giamdoc"), api.as_("botp")

    # only cơ sở examples that pass the ngành rules, and only the secretariat drafts
    refused(create(api, [ex.a], username="giamdoc"), 403)
    refused(create(api, [ex.a], username="botp"), 403)
    body = refused(create(api, [ex.n]), 422)
    assert body["reasons"] == [f"Hồ sơ số {ex.n} “Phòng Phổ biến, giáo dục pháp luật”: chỉ đề nghị hồ sơ là Điển hình "
                               "cấp cơ sở."]
    body = refused(create(api, [ex.c]), 422)
    assert len(body["reasons"]) >= 1 and all(r.startswith(f"Hồ sơ số {ex.c} ") for r in body["reasons"])
    assert any(PERIOD_RULE in r for r in body["reasons"]), body["reasons"]
    body = refused(create(api, [ex.a, 987654]), 422)
    assert body["reasons"] == ["Hồ sơ số 987654: không tồn tại hoặc không thuộc Sở."]
    refused(create(api, [ex.a], username=ex.sec2), 422)  # another department's examples

    p = ok(create(api, [ex.a], title="  "), 201)
    assert p["state"] == "draft" and p["state_label"] == "Dự thảo" and p["number"] is None and p["date"] is None
    assert (p["department_id"], p["department"]["code"]) == (ex.stp, "STP") and p["signer"] is None
    assert p["title"].startswith("Đề nghị Bộ trưởng Bộ Tư pháp công nhận điển hình tiên tiến ngành Tư pháp")
    (item,) = p["items"]
    assert (item["nomination_id"], item["state"], item["unit"]) == (ex.a, "evaluated_co_so", "Phòng Hành chính tư pháp")
    assert item["subject_name"] == item["title"] == "Phòng Hành chính tư pháp" and item["state_label"]
    rules = {r["rule"]: r for r in item["eligibility"]}
    assert rules["da_cong_nhan_co_so"]["result"] == "pass" and rules["da_cong_nhan_co_so"]["hard"] is True
    assert set(rules["da_cong_nhan_co_so"]) == {"rule", "label", "result", "reason", "hard", "citation"}
    pid = p["id"]

    # the draft: items replaced (same refusals); an item may stand in only one proposal
    body = refused(put(sec, f"/proposals/{pid}/items", {"nomination_ids": [ex.a, ex.c]}), 422)
    assert any(PERIOD_RULE in r for r in body["reasons"])
    refused(put(director, f"/proposals/{pid}/items", {"nomination_ids": [ex.a, ex.b]}), 403)
    p = ok(put(sec, f"/proposals/{pid}/items", {"nomination_ids": [ex.b, ex.a]}))
    assert [i["nomination_id"] for i in p["items"]] == [ex.b, ex.a]
    body = refused(create(api, [ex.a]), 422)
    assert "đã có trong một tờ trình khác" in body["reasons"][0]

    # a draft is the department's own: the Ministry and other departments do not see it
    for username in ("botp", "tp_stp2", ex.sec2, "canbo1"):
        refused(api.as_(username).get(f"/proposals/{pid}"), 404)
        assert ok(api.as_(username).get("/proposals"))["total"] == 0, username
    for username in ("vanphong", "giamdoc", "hoidong2", "thanhtra", "admin"):
        listing = ok(api.as_(username).get("/proposals"))
        assert ENVELOPE <= set(listing) and [x["id"] for x in listing["items"]] == [pid], username

    # only the director submits; a number with another body's symbol is refused
    assert ok(sec.get(f"/proposals/next-number?year={TODAY.year}")) == {"next": 1, "formatted": "1/TTr-STP"}
    refused(submit(api, pid, 46, username="vanphong"), 403)
    refused(submit(api, pid, 46, username="botp"), 404)
    body = refused(submit(api, pid, "46/TTr-BTP"), 422)
    assert "number" in body["errors"]
    assert ok(sec.get(f"/nominations/{ex.a}"))["state"] == "evaluated_co_so"
    p = ok(submit(api, pid, "46/TTr-STP"))
    assert (p["state"], p["state_label"], p["number"], p["date"]) == ("submitted", "Đã trình Bộ", "46/TTr-STP",
                                                                      TODAY.isoformat())
    assert p["signer"]["username"] == "giamdoc" and p["signer_title"] == "GIÁM ĐỐC" and p["submitted_at"]
    assert [i["state"] for i in p["items"]] == ["proposed_nganh", "proposed_nganh"]
    assert nomination(api, ex.a)["history"][-1]["action"] == "propose_nganh"

    # locked
    refused(submit(api, pid, 47), 409)
    refused(put(sec, f"/proposals/{pid}/items", {"nomination_ids": [ex.a]}), 409)
    assert ok(director.get("/proposals/next-number"))["formatted"] == "47/TTr-STP"

    # the Ministry sees submitted proposals of every department; other departments still do not
    assert [x["id"] for x in ok(ministry.get("/proposals"))["items"]] == [pid]
    assert ok(ministry.get(f"/proposals?department={ex.stp}&state=submitted"))["total"] == 1
    assert ok(ministry.get(f"/proposals?department={ex.stp2}"))["total"] == 0
    assert ok(ministry.get("/proposals?state=draft"))["total"] == 0
    assert ok(ministry.get(f"/proposals/{pid}"))["number"] == "46/TTr-STP"
    for username in ("tp_stp2", ex.sec2):
        refused(api.as_(username).get(f"/proposals/{pid}"), 404)
        assert ok(api.as_(username).get("/proposals"))["total"] == 0
    refused(ministry.get("/proposals/next-number"), 403)

    # a second proposal: the same number in the same year is a duplicate, whatever form it is given in
    p2 = ok(create(api, [ex.d]), 201)
    for number in (46, "46", "46/TTr-STP", " 46 / TTr-STP "):
        body = refused(submit(api, p2["id"], number), 422)
        assert "number" in body["errors"] and "47" in body["reasons"][0]
    # another year (the next: a Tờ trình is never dated before the decisions it cites, dated this year)
    assert ok(submit(api, p2["id"], 46, date=dt.date(TODAY.year + 1, 1, 5)))["number"] == "46/TTr-STP"

    # only the Ministry decides; one Minister's decision (number + date) covers items of both proposals
    nganh = {"level": "nganh", "number": "100/QĐ-BTP", "date": TODAY.isoformat()}
    refused(director.post("/decisions", json={**nganh, "nomination_ids": [ex.a]}), 403)
    d1 = ok(ministry.post("/decisions", json={**nganh, "nomination_ids": [ex.a]}), 201)
    assert d1["level"] == "nganh" and d1["issuer"]["code"] == "BTP" and d1["signer_title"] == "BỘ TRƯỞNG"
    assert nomination(api, ex.a)["state"] == "recognized"
    d2 = ok(ministry.post("/decisions", json={**nganh, "number": 100, "nomination_ids": [ex.d]}), 201)
    assert d2["id"] == d1["id"] and {x["id"] for x in d2["nominations"]} == {ex.a, ex.d}
    assert {x["state"] for x in d2["nominations"]} == {"recognized"}
    body = refused(ministry.post("/decisions", json={**nganh, "date": (TODAY - dt.timedelta(days=1)).isoformat(),
                                                     "nomination_ids": [ex.b]}), 422)
    assert "number" in body["errors"]  # the same number on another day is a duplicate, not the same decision

    # the Ministry refuses an item: back to a cơ sở example, with the reason in its history
    b = nomination(api, ex.b, "botp")
    assert b["state"] == "proposed_nganh"
    refused(ministry.post(f"/nominations/{ex.b}/transitions", json={"action": "reject_nganh",
                                                                   "version": b["version"]}), 422)
    refused(director.post(f"/nominations/{ex.b}/transitions", json={"action": "reject_nganh", "version": b["version"],
                                                                    "reason": "x"}), 403)
    b = ok(ministry.post(f"/nominations/{ex.b}/transitions", json={
        "action": "reject_nganh", "version": b["version"], "reason": "Thành tích chưa tiêu biểu toàn ngành."}))
    assert b["state"] == "evaluated_co_so" and b["history"][-1]["action"] == "reject_nganh"
    assert "Thành tích chưa tiêu biểu toàn ngành." in json.dumps(b["history"][-1], ensure_ascii=False)
    p = ok(sec.get(f"/proposals/{pid}"))
    assert {i["nomination_id"]: i["state"] for i in p["items"]} == {ex.a: "recognized", ex.b: "evaluated_co_so"}
    assert ok(create(api, [ex.b]), 201)["items"][0]["nomination_id"] == ex.b  # may be proposed again

    # refusals are audited
    events = db.scalars(select(AuditEvent).where(AuditEvent.action.like("proposal.%"))).all()
    outcomes = {(e.action, e.outcome) for e in events}
    db.rollback()
    for action in ("proposal.create", "proposal.set_items", "proposal.submit"):
        assert (action, "refused") in outcomes and any(a == action and o != "refused" for a, o in outcomes), action


def test_the_ministers_outcome_per_item_is_in_the_api(api, ex):
    """The Minister's answer on each item (recognised by which decision, or refused and why) was only on the pages;
    the API now reads the same model (workflow.proposals.operations.item_rows). A draft's items carry their refusals."""
    sec, ministry = api.as_("vanphong"), api.as_("botp")
    p = ok(create(api, [ex.a, ex.b]), 201)
    assert [(i["outcome"], i["refusals"]) for i in p["items"]] == [(None, []), (None, [])]
    pid = p["id"]
    ok(submit(api, pid, "46/TTr-STP"))
    p = ok(sec.get(f"/proposals/{pid}"))
    assert [(i["outcome"], i["outcome_label"], i["decision"]) for i in p["items"]] == [
        ("proposed", "Đã đề nghị cấp ngành", None)] * 2
    d = ok(ministry.post("/decisions", json={"level": "nganh", "number": "100/QĐ-BTP", "date": TODAY.isoformat(),
                                             "nomination_ids": [ex.a]}), 201)
    b = nomination(api, ex.b, "botp")
    ok(ministry.post(f"/nominations/{ex.b}/transitions", json={
        "action": "reject_nganh", "version": b["version"], "reason": "Chưa tiêu biểu toàn ngành."}))
    for username in ("vanphong", "botp"):
        items = {i["nomination_id"]: i for i in ok(api.as_(username).get(f"/proposals/{pid}"))["items"]}
        a, b = items[ex.a], items[ex.b]
        assert (a["outcome"], a["outcome_label"]) == ("recognized", "Điển hình ngành Tư pháp")
        assert a["decision"] == {"id": d["id"], "number": "100/QĐ-BTP", "date": TODAY.isoformat()}
        assert a["decided_at"] and a["reason"] == ""
        assert (b["outcome"], b["reason"], b["decision"]) == ("rejected", "Chưa tiêu biểu toàn ngành.", None)


def test_the_list_writes_what_its_schema_dumps(api, ex, app, db, demo):
    """The list is written in one orjson pass (`json_provider.document`), not dumped through `ProposalPageSchema`:
    the bytes are those the schema's dump wrote, for a submitted proposal with a recognised and a refused item (dates,
    decisions, reasons) and a draft whose items carry their refusals and rules."""
    pid = ok(create(api, [ex.a, ex.b]), 201)["id"]
    ok(submit(api, pid, "46/TTr-STP"))
    ministry = api.as_("botp")
    ok(ministry.post("/decisions", json={"level": "nganh", "number": "100/QĐ-BTP", "date": TODAY.isoformat(),
                                         "nomination_ids": [ex.a]}), 201)
    b = nomination(api, ex.b, "botp")
    ok(ministry.post(f"/nominations/{ex.b}/transitions", json={
        "action": "reject_nganh", "version": b["version"], "reason": "Chưa tiêu biểu toàn ngành."}))
    ok(create(api, [ex.d]), 201)
    for username, count in (("vanphong", 2), ("botp", 1)):
        reader = api.as_(username)
        response = reader.get("/proposals")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert len(response.get_json()["items"]) == count
        db.expire_all()
        page = proposals.list_proposals(db, demo.actor(username), page=1, per_page=20)
        rows = proposals.items_of(db, page.items)
        doc = present.page(page, lambda p, rows=rows: present.proposal(db, p, rows=rows[p.id]))
        with app.test_request_context():
            assert response.get_data() == jsonify(ProposalPageSchema().dump(doc)).get_data(), username


def test_documents(api, ex):
    documents = pytest.importorskip("workflow.documents", reason="workflow/documents.py is written in parallel")
    missing = [f for f in ("proposal_docx", "proposal_xlsx", "decision_xlsx") if not hasattr(documents, f)]
    if missing:
        pytest.skip(f"workflow.documents lacks {', '.join(missing)} (written in parallel)")
    pid = ok(create(api, [ex.a, ex.b]), 201)["id"]
    sec = api.as_("vanphong")
    draft = sec.get(f"/proposals/{pid}/document")
    assert draft.status_code == 200, draft.get_data(as_text=True)[:300]
    ok(submit(api, pid, "46/TTr-STP"))
    d = ok(api.as_("botp").post("/decisions", json={"level": "nganh", "number": 7, "date": TODAY.isoformat(),
                                                    "nomination_ids": [ex.a]}), 201)
    for username, path, mimetype, name in (
        ("vanphong", f"/proposals/{pid}/document", DOCX, "46-TTr-STP"),
        ("botp", f"/proposals/{pid}/document", DOCX, "46-TTr-STP"),
        ("giamdoc", f"/proposals/{pid}/list.xlsx", XLSX, "46-TTr-STP"),
        ("botp", f"/decisions/{d['id']}/list.xlsx", XLSX, "7-QD-BTP"),
        ("botp", f"/decisions/{d['id']}/document", DOCX, "7-QD-BTP"),
    ):
        r = api.as_(username).get(path)
        assert r.status_code == 200, (path, r.get_data(as_text=True)[:300])
        assert r.mimetype == mimetype and r.data[:2] == b"PK", path
        disposition = r.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and disposition.isascii() and name in disposition, disposition
    for path in (f"/proposals/{pid}/document", f"/proposals/{pid}/list.xlsx"):
        refused(api.as_("tp_stp2").get(path), 404)
        refused(api.as_(ex.sec2).get(path), 404)
    refused(api.as_("tp_stp2").get(f"/decisions/{d['id']}/list.xlsx"), 404)


GARBAGE = [
    {},
    {"number": 46},
    {"date": "2025-01-01"},
    {"number": 10**30, "date": "2025-01-01"},
    {"number": 0, "date": "2025-01-01"},
    {"number": -5, "date": "2025-01-01"},
    {"number": True, "date": "2025-01-01"},
    {"number": 1.5, "date": "2025-01-01"},
    {"number": "", "date": "2025-01-01"},
    {"number": "abc", "date": "2025-01-01"},
    {"number": "46/QĐ-STP", "date": "2025-01-01"},
    {"number": "9999999/TTr-STP", "date": "2025-01-01"},
    {"number": "x" * 500, "date": "2025-01-01"},
    {"number": ["46"], "date": "2025-01-01"},
    {"number": 46, "date": "31/13/2025"},
    {"number": 46, "date": 20250101},
    {"number": 46, "date": "2025-02-30"},
    {"number": 46, "date": "2025-01-01", "extra": 1},
    b"{oops",
    b"null",
    b"[1, 2]",
]
ITEM_GARBAGE = [
    {}, {"nomination_ids": []}, {"nomination_ids": "1"}, {"nomination_ids": ["1"]}, {"nomination_ids": [10**30]},
    {"nomination_ids": [True]}, {"nomination_ids": [None]}, {"nomination_ids": [0]},
    {"nomination_ids": list(range(1, 500))}, {"nomination_ids": [987654]}, {"nomination_ids": [1], "extra": 1},
    {"nomination_ids": [1], "title": 5}, {"nomination_ids": [1], "title": "x" * 600}, b"{oops", b"null",
]


@pytest.fixture
def draft(api, db, demo, tmp_path):
    (a,) = co_so_examples(db, demo, tmp_path, units=EXAMPLES[:1])
    return ok(create(api, [a]), 201)["id"]


def _post(client, path, body, method="post"):
    send = getattr(client.client, method)
    data = body if isinstance(body, bytes) else json.dumps(body)
    return send("/api/v1" + path, data=data, content_type="application/json", headers=client._headers())


@pytest.mark.parametrize("username", ["giamdoc", "vanphong", "canbo1"])
def test_garbage_never_500(api, draft, username):
    client = api.as_(username)
    for body in GARBAGE:
        r = _post(client, f"/proposals/{draft}/submit", body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.get_data(as_text=True)[:300])
        assert r.content_type == PROBLEM and r.get_json()["status"] == r.status_code
    for body in ITEM_GARBAGE:
        for path, method in (("/proposals", "post"), (f"/proposals/{draft}/items", "put")):
            r = _post(client, path, body, method)
            assert 400 <= r.status_code < 500, (path, body, r.status_code, r.get_data(as_text=True)[:300])
            assert r.content_type == PROBLEM and r.get_json()["status"] == r.status_code
    assert ok(api.as_("vanphong").get(f"/proposals/{draft}"))["state"] == "draft"


@pytest.mark.parametrize("path", [
    "/proposals?page=abc", "/proposals?per_page=1000", "/proposals?page=0", "/proposals?state=sent",
    "/proposals?department=abc", "/proposals?department=99999999999999999999", "/proposals?department=0",
    "/proposals/next-number?year=abc", "/proposals/next-number?year=99999999999999999999",
    "/proposals/99999999999999999999", "/proposals/abc", "/proposals/-1", "/proposals/987654",
    "/proposals/0/document", "/proposals/99999999999999999999/list.xlsx", "/proposals/987654/document",
    "/decisions/99999999999999999999/list.xlsx", "/decisions/987654/list.xlsx",
])
def test_bad_queries_and_ids(api, db, path):
    db.rollback()
    r = api.as_("giamdoc").get(path)
    assert r.status_code in (404, 422), (r.status_code, r.get_data(as_text=True)[:300])
    assert r.content_type == PROBLEM


def test_unauthenticated(api, db):
    db.rollback()
    for method, path in (("get", "/proposals"), ("post", "/proposals"), ("get", "/proposals/1"),
                         ("post", "/proposals/1/submit"), ("get", "/proposals/next-number")):
        r = getattr(api.client, method)("/api/v1" + path)
        assert r.status_code == 401 and r.content_type == PROBLEM, path
