"""JSON API: nothing a client can send produces a 500; every refusal is a 4xx problem+json."""
import json

import pytest

PROBLEM = "application/problem+json"


@pytest.fixture
def setup(api, demo, db):
    ids = {"campaign": demo.campaign().id, "unit": demo.unit("PBGDPL").id}
    db.rollback()
    client = api.as_("tp_pbgdpl")
    r = client.post("/nominations", json={"campaign_id": ids["campaign"], "subject_type": "collective",
                                          "unit_id": ids["unit"], "title": "Phòng PBGDPL"})
    assert r.status_code == 201
    ids["nomination"] = r.get_json()["id"]
    return client, ids


RAW = "raw"  # the body is sent as is with Content-Type: application/json

GARBAGE = [
    # (method, path, body) — "{n}" is a real nomination id
    ("post", "/nominations", (RAW, b"{not json")),
    ("post", "/nominations", (RAW, b"\xff\xfe\x00garbage")),
    ("post", "/nominations", (RAW, b"")),
    ("post", "/nominations", (RAW, b"null")),
    ("post", "/nominations", [1, 2, 3]),
    ("post", "/nominations", "just a string"),
    ("post", "/nominations", 42),
    ("post", "/nominations", {}),
    ("post", "/nominations", {"campaign_id": "1", "subject_type": "collective", "unit_id": "x", "title": "t"}),
    ("post", "/nominations", {"campaign_id": [1], "subject_type": {"a": 1}, "title": ["t"]}),
    ("post", "/nominations", {"campaign_id": 10**30, "subject_type": "collective", "unit_id": 1, "title": "t"}),
    ("post", "/nominations", {"campaign_id": 1.5, "subject_type": "collective", "unit_id": True, "title": "t"}),
    ("post", "/nominations", {"campaign_id": 1, "subject_type": "robot", "unit_id": 1, "title": "t"}),
    ("post", "/nominations", {"campaign_id": 1, "subject_type": "collective", "unit_id": 1, "title": "t" * 600}),
    ("post", "/nominations", {"campaign_id": 999999, "subject_type": "collective", "unit_id": 999999, "title": "t"}),
    ("post", "/nominations/{n}/transitions", {"action": "submit"}),
    ("post", "/nominations/{n}/transitions", {"action": "submit", "version": "one"}),
    ("post", "/nominations/{n}/transitions", {"action": "submit", "version": None}),
    ("post", "/nominations/{n}/transitions", {"action": "fly_to_the_moon", "version": 1}),
    ("post", "/nominations/{n}/transitions", {"action": "x" * 5000, "version": 1}),
    ("post", "/nominations/{n}/transitions", {"action": ["submit"], "version": 1}),
    ("post", "/nominations/{n}/transitions", {"action": "withdraw", "version": 10**40, "reason": "r"}),
    ("post", "/nominations/{n}/transitions", {"action": "withdraw", "version": 1, "reason": {"a": 1}}),
    ("post", "/nominations/{n}/transitions", {"action": "withdraw", "version": 1, "decision_date": "31/12/2025"}),
    ("post", "/nominations/{n}/transitions", {"action": "start_nurturing", "version": 1, "nurture_plan": 7}),
    ("patch", "/nominations/{n}", {"title": "no version"}),
    ("patch", "/nominations/{n}", {"version": 1, "criteria": ["noi_bo_doan_ket"]}),
    ("patch", "/nominations/{n}", {"version": 1, "criteria": {"noi_bo_doan_ket": "yes"}}),
    ("patch", "/nominations/{n}", {"version": 1, "criteria": {"noi_bo_doan_ket": {"met": "perhaps"}}}),
    ("patch", "/nominations/{n}", {"version": 1, "criteria": {"noi_bo_doan_ket": {"met": True, "x": 1}}}),
    ("patch", "/nominations/{n}", {"version": 1, "criteria": {"x" * 100: {"met": True}}}),
    ("patch", "/nominations/{n}", {"version": 1, "title": ""}),
    ("patch", "/nominations/{n}", {"version": 1, "title": None}),
    ("patch", "/nominations/{n}", (RAW, json.dumps({"version": 1, "title": "\ud800"}).encode())),
    ("patch", "/nominations/{n}", (RAW, b"[" * 5000 + b"]" * 5000)),
    ("post", "/nominations/{n}/checkins", {"note": "n", "date": "2025-02-30"}),
    ("post", "/nominations/{n}/checkins", {"note": "n", "date": "2999-01-01"}),
    ("post", "/nominations/{n}/checkins", {"note": "", "date": "2025-01-01"}),
    ("post", "/nominations/{n}/checkins", {"date": 20250101}),
    ("post", "/nominations/{n}/attachments", {"kind": "evidence"}),
    ("post", "/campaigns", {"name": "x", "kind": "annual"}),
    ("post", "/auth/token", {"username": ["admin"], "password": {"p": 1}}),
    ("post", "/auth/token", (RAW, b"username=admin&password=x")),
    ("post", "/notifications/1/read", None),
]


@pytest.mark.parametrize("method,path,body", GARBAGE, ids=[f"{m} {p} #{i}" for i, (m, p, _) in enumerate(GARBAGE)])
def test_garbage_bodies_never_500(setup, method, path, body):
    client, ids = setup
    path = path.format(n=ids["nomination"])
    if isinstance(body, tuple) and body[0] == RAW:
        r = getattr(client, method)(path, data=body[1], content_type="application/json")
    elif body is None:
        r = getattr(client, method)(path)
    else:
        r = getattr(client, method)(path, json=body)
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.content_type == PROBLEM
    problem = r.get_json()
    assert problem["status"] == r.status_code and problem["title"] and problem["detail"]
    assert isinstance(problem["reasons"], list)


def test_validation_errors_name_the_fields(setup):
    client, ids = setup
    r = client.post("/nominations", json={"campaign_id": "abc", "subject_type": "robot", "extra": 1})
    assert r.status_code == 422
    body = r.get_json()
    assert {"campaign_id", "subject_type", "title", "extra"} <= set(body["errors"])
    assert body["errors"]["title"] == ["Trường bắt buộc."]
    assert any(reason.startswith("campaign_id:") for reason in body["reasons"])
    r = client.post(f"/nominations/{ids['nomination']}/transitions", json={"action": "submit"})
    assert r.status_code == 422 and "version" in r.get_json()["errors"]
    r = client.post(f"/nominations/{ids['nomination']}/transitions", json={"action": "bay", "version": 1})
    assert r.status_code == 422 and "bay" in " ".join(r.get_json()["reasons"])


def test_malformed_json_is_400(setup):
    client, _ = setup
    r = client.post("/nominations", data=b"{oops", content_type="application/json")
    assert r.status_code == 400 and r.content_type == PROBLEM


@pytest.mark.parametrize("query", [
    "page=abc", "page=-1", "page=0", "page=99999999999999999999999999", "page=1e9", "per_page=101", "per_page=0",
    "per_page=x", "campaign=abc", "campaign=99999999999999999999", "unit=-3", "state=flying",
    "subject_type=robot", "q=" + "a" * 500,
])
def test_bad_query_parameters_are_422(setup, query):
    client, _ = setup
    r = client.get(f"/nominations?{query}")
    assert r.status_code == 422, r.get_data(as_text=True)
    assert r.content_type == PROBLEM and r.get_json()["errors"]


@pytest.mark.parametrize("path", ["/units?page=10000000000000", "/people?unit=abc", "/people?q=" + "b" * 300,
                                  "/campaigns?per_page=1000", "/units?kind=planet", "/units?active=perhaps"])
def test_bad_query_parameters_elsewhere(setup, path):
    client, _ = setup
    r = client.get(path)
    assert r.status_code == 422 and r.content_type == PROBLEM


def test_large_page_number_within_bounds_is_an_empty_page(setup):
    client, _ = setup
    body = client.get("/nominations?page=1000000&per_page=100").get_json()
    assert body["items"] == [] and body["total"] == 1 and body["page"] == 1000000
