"""JSON API: the director's decision (Quyết định) on the items a council passed — all of them or none, numbered per
department and year without duplicates — its listing, next number and .docx."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from test_api_council import ENVELOPE, PROBLEM, council_refs, ok, refused, run_quota_session

from models import AuditEvent
from workflow import clock

TODAY = clock.today()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def ref(demo, db):
    return council_refs(demo, db)


@pytest.fixture
def closed(api, ref):
    """Issue 3's session closed: HCTP passed (still submitted), PBGDPL exceeded the quota (not recognised)."""
    run = run_quota_session(api, ref)
    ok(api.as_("giamdoc").post(f"/council-sessions/{run.session}/close"))
    return run


def issue(api, ids, number="12/QĐ-STP", username="giamdoc", **extra):
    body = {"level": "co_so", "number": number, "date": TODAY.isoformat(), "nomination_ids": ids, **extra}
    return api.as_(username).post("/decisions", json=body)


def test_decision_recognises_the_pass_and_refuses_the_failure(api, closed, db):
    a, b = closed.a, closed.b
    body = refused(issue(api, [a, b]), 422)
    assert any(r.startswith(f"Hồ sơ số {a}") for r in body["reasons"]), body["reasons"]
    assert not any(r.startswith(f"Hồ sơ số {b}") for r in body["reasons"])
    sec = api.as_("vanphong")
    assert ok(sec.get(f"/nominations/{b}"))["state"] == "submitted"  # all or none
    refused(issue(api, [b], username="vanphong"), 403)
    refused(issue(api, [b], username="tp_hctp"), 403)
    refused(issue(api, [b], level="nganh"), 403)

    d = ok(issue(api, [b]), 201)
    assert (d["level"], d["number"], d["date"], d["signer_title"]) == ("co_so", "12/QĐ-STP", TODAY.isoformat(),
                                                                       "GIÁM ĐỐC")
    assert d["signer"]["username"] == "giamdoc" and d["on_behalf_of"] is None and d["issuer"]["code"] == "STP"
    name = "Phòng Hành chính tư pháp"
    (item,) = d["nominations"]
    assert item == {"id": b, "title": name, "subject_name": name, "subject_type": "collective",
                    "state": "evaluated_co_so", "state_label": item["state_label"]} and item["state_label"]
    n = ok(sec.get(f"/nominations/{b}"))
    assert n["state"] == "evaluated_co_so" and n["history"][-1]["data"]["decision_number"] == "12/QĐ-STP"

    # the number is taken for this year, whatever form it is given in
    for number in (12, "12", "12/QĐ-STP", " 12 / QĐ-STP "):
        body = refused(issue(api, [b], number=number), 422)
        assert "number" in body["errors"] and "13" in body["reasons"][0]
    assert ok(api.as_("giamdoc").get(f"/decisions/next-number?level=co_so&year={TODAY.year}")) == {
        "next": 13, "formatted": "13/QĐ-STP"}
    assert ok(api.as_("vanphong").get("/decisions/next-number?year=2001"))["next"] == 1
    assert ok(api.as_("giamdoc").get("/decisions/next-number"))["next"] == 13

    # reading: the department, the ministry, auditors; not another department
    assert ok(api.as_("hoidong3").get(f"/decisions/{d['id']}"))["id"] == d["id"]
    for username in ("botp", "thanhtra", "admin"):
        assert ok(api.as_(username).get(f"/decisions/{d['id']}"))["number"] == "12/QĐ-STP"
    refused(api.as_("tp_stp2").get(f"/decisions/{d['id']}"), 404)
    refused(api.as_("giamdoc").get("/decisions/987654"), 404)
    for username, total in (("giamdoc", 1), ("thanhtra", 1), ("botp", 1), ("tp_stp2", 0)):
        listing = ok(api.as_(username).get("/decisions"))
        assert ENVELOPE <= set(listing) and listing["total"] == total, username

    db.rollback()
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "decision.issue")
                        .order_by(AuditEvent.id)).all()
    assert [e.outcome for e in events].count("refused") >= 8
    assert events[-1].outcome == "refused" and any(e.outcome != "refused" for e in events)


def test_next_number_scope(api, ref):
    refused(api.as_("admin").get("/decisions/next-number"), 403)  # no department
    refused(api.as_("giamdoc").get("/decisions/next-number?level=nganh"), 403)
    assert ok(api.as_("botp").get("/decisions/next-number?level=nganh&year=2030")) == {"next": 1,
                                                                                       "formatted": "1/QĐ-BTP"}


def test_decision_document(api, closed):
    pytest.importorskip("workflow.documents", reason="workflow/documents.py is written in parallel")
    d = ok(issue(api, [closed.b]), 201)
    r = api.as_("giamdoc").get(f"/decisions/{d['id']}/document")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == DOCX and r.data[:2] == b"PK"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.isascii() and disposition.endswith('.docx"')
    assert "12-QD-STP" in disposition
    refused(api.as_("tp_stp2").get(f"/decisions/{d['id']}/document"), 404)


GARBAGE = [
    {},
    {"level": "co_so"},
    {"level": "tinh", "number": 1, "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": 10**30, "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": 0, "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": -5, "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": True, "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": 1.5, "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": "", "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": "abc", "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": "9999999/QĐ-STP", "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": "x" * 500, "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": ["12"], "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": {"n": 12}, "date": "2025-01-01", "nomination_ids": [1]},
    {"level": "co_so", "number": 12, "date": "31/13/2025", "nomination_ids": [1]},
    {"level": "co_so", "number": 12, "date": 20250101, "nomination_ids": [1]},
    {"level": "co_so", "number": 12, "date": "2025-01-01", "nomination_ids": []},
    {"level": "co_so", "number": 12, "date": "2025-01-01", "nomination_ids": "1"},
    {"level": "co_so", "number": 12, "date": "2025-01-01", "nomination_ids": ["1"]},
    {"level": "co_so", "number": 12, "date": "2025-01-01", "nomination_ids": [10**30]},
    {"level": "co_so", "number": 12, "date": "2025-01-01", "nomination_ids": [True]},
    {"level": "co_so", "number": 12, "date": "2025-01-01", "nomination_ids": [None]},
    {"level": "co_so", "number": 12, "date": "2025-01-01", "nomination_ids": list(range(1, 500))},
    {"level": "co_so", "number": 12, "date": "2025-01-01", "nomination_ids": [987654]},
    {"level": "co_so", "number": 12, "date": "2025-01-01", "nomination_ids": [1], "extra": 1},
    b"{oops",
    b"null",
    b"[1, 2]",
]


@pytest.mark.parametrize("body", GARBAGE, ids=[f"#{i}" for i in range(len(GARBAGE))])
@pytest.mark.parametrize("username", ["giamdoc", "canbo1"])
def test_garbage_never_500(api, ref, body, username):
    client = api.as_(username)
    if isinstance(body, bytes):
        r = client.post("/decisions", data=body, content_type="application/json")
    else:
        r = client.post("/decisions", data=json.dumps(body), content_type="application/json")
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.content_type == PROBLEM and r.get_json()["status"] == r.status_code


@pytest.mark.parametrize("path", [
    "/decisions?page=abc", "/decisions?per_page=1000", "/decisions?page=0",
    "/decisions/next-number?year=abc", "/decisions/next-number?year=99999999999999999999",
    "/decisions/next-number?level=tinh", "/decisions/99999999999999999999", "/decisions/abc",
    "/decisions/-1", "/decisions/0/document", "/decisions/99999999999999999999/document",
])
def test_bad_queries_and_ids(api, ref, path):
    r = api.as_("giamdoc").get(path)
    assert r.status_code in (404, 422), (r.status_code, r.get_data(as_text=True)[:300])
    assert r.content_type == PROBLEM
