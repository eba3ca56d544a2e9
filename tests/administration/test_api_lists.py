"""JSON API: list envelopes, units, people, campaigns."""
import pytest
from sqlalchemy import select

from models import AuditEvent, Campaign

PROBLEM = "application/problem+json"
ENVELOPE = {"items", "total", "page", "per_page"}


@pytest.mark.parametrize("path", ["/units", "/people", "/campaigns", "/nominations", "/notifications"])
@pytest.mark.parametrize("username", ["thanhtra", "tp_pbgdpl", "canbo1"])
def test_list_envelopes(api, path, username):
    r = api.as_(username).get(path)
    assert r.status_code == 200
    body = r.get_json()
    assert ENVELOPE <= set(body)
    assert (body["page"], body["per_page"]) == (1, 20)
    assert isinstance(body["items"], list) and body["total"] >= len(body["items"])


def test_units(api):
    body = api.as_("admin").get("/units?per_page=100").get_json()
    codes = {u["code"] for u in body["items"]}
    assert {"STP", "VP", "TTR", "PBGDPL", "HCTP", "XDKT", "TGPL", "PTP-LX", "PTP-CD", "BTP", "STP2", "STP2-VP"} <= codes
    unit = next(u for u in body["items"] if u["code"] == "PBGDPL")
    stp = next(u for u in body["items"] if u["code"] == "STP")
    assert unit["parent_id"] == stp["id"] and unit["department_id"] == stp["id"]
    assert {"id", "code", "name", "kind", "parent_id", "department_id", "active"} <= set(unit)
    assert api.as_("admin").get("/units?per_page=101").status_code == 422
    # a department's users see their department only
    stp_codes = {u["code"] for u in api.as_("tp_pbgdpl").get("/units?per_page=100").get_json()["items"]}
    assert "PBGDPL" in stp_codes and "STP" in stp_codes and "STP2-VP" not in stp_codes and "BTP" not in stp_codes
    divisions = api.as_("admin").get("/units?kind=district_office").get_json()["items"]
    assert {u["code"] for u in divisions} == {"PTP-LX", "PTP-CD"}
    assert api.as_("admin").get("/units?q=giao duc").get_json()["items"][0]["code"] == "PBGDPL"


def test_people_search_and_vietnamese_order(api, demo, db):
    pbgdpl = demo.unit("PBGDPL").id
    db.rollback()
    client = api.as_("vanphong")
    people = client.get(f"/people?unit={pbgdpl}").get_json()
    names = [p["full_name"] for p in people["items"]]
    # by given name: Ánh, Đức, Lan, Tuấn
    assert names == ["Lâm Thị Ngọc Ánh", "Huỳnh Văn Đức", "Nguyễn Thị Lan", "Võ Minh Tuấn"]
    head = next(p for p in people["items"] if p["full_name"] == "Võ Minh Tuấn")
    assert head["is_unit_head"] is True and head["position"] == "Trưởng phòng" and head["unit_id"] == pbgdpl
    assert head["employment_type"] == "cong_chuc"
    found = client.get("/people?q=nguyen thi lan").get_json()
    assert [p["full_name"] for p in found["items"]] == ["Nguyễn Thị Lan"]
    assert client.get("/people?q=ĐỨC").get_json()["items"][0]["full_name"] == "Huỳnh Văn Đức"
    # another department's people are outside the scope
    assert api.as_("tp_stp2").get("/people?q=nguyen thi lan").get_json()["total"] == 0
    assert api.as_("admin").get("/people?q=khanh").get_json()["total"] == 1


CAMPAIGN = {
    "name": "Đợt thi đua cao điểm chào mừng Đại hội", "kind": "peak", "start_date": "2026-01-01",
    "end_date": "2026-06-30", "registration_deadline": "2026-03-31", "evaluation_deadline": "2026-05-31",
    "subject_types": ["collective", "individual"], "quotas": {"collective": 1, "individual": 2},
    "legal_basis": "Kế hoạch số 12/KH-STP", "award_forms": "Giấy khen của Giám đốc Sở",
}


def test_campaigns_list_and_create(api, demo, db):
    stp, stp2 = demo.unit("STP").id, demo.unit("STP2").id
    db.rollback()
    listing = api.as_("tp_pbgdpl").get("/campaigns").get_json()
    assert {c["kind"] for c in listing["items"]} == {"annual", "period"}
    assert all(c["department_id"] == stp for c in listing["items"])
    c = listing["items"][0]
    assert {"id", "name", "kind", "start_date", "end_date", "registration_deadline", "evaluation_deadline",
            "subject_types", "quotas", "legal_basis", "award_forms", "department_id"} <= set(c)
    assert api.as_("admin").get("/campaigns").get_json()["total"] == 3

    r = api.as_("vanphong").post("/campaigns", json=CAMPAIGN)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    for key, value in CAMPAIGN.items():
        assert created[key] == value, key
    assert created["department_id"] == stp
    assert api.as_("tp_pbgdpl").get("/campaigns").get_json()["total"] == 3
    assert api.as_("tp_stp2").get("/campaigns").get_json()["total"] == 1

    # absent quotas mean no limit; admin names the department
    r = api.as_("admin").post("/campaigns", json={**CAMPAIGN, "quotas": {}, "subject_types": ["individual"],
                                                  "department_id": stp2})
    assert r.status_code == 201 and r.get_json()["quotas"] == {} and r.get_json()["department_id"] == stp2
    db.expire_all()
    assert db.scalar(select(Campaign).where(Campaign.department_id == stp2, Campaign.kind == "peak")) is not None
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.create")).all()
    assert [e.actor_username for e in audit] == ["vanphong", "admin"]
    db.rollback()


def test_campaign_review_dates_round_trip(api, db):
    db.rollback()
    body = {**CAMPAIGN, "midterm_review_date": "2026-06-11", "final_review_date": "2027-03-15"}
    r = api.as_("vanphong").post("/campaigns", json=body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["midterm_review_date"] == "2026-06-11" and r.get_json()["final_review_date"] == "2027-03-15"
    period = [c for c in api.as_("vanphong").get("/campaigns").get_json()["items"] if c["kind"] == "period"][0]
    assert (period["midterm_review_date"], period["final_review_date"]) == ("2023-06-11", "2025-12-15")


def test_who_may_create_campaigns(api, demo, db):
    stp2 = demo.unit("STP2").id
    db.rollback()
    for username in ("tp_pbgdpl", "giamdoc", "thanhtra", "canbo1", "botp"):
        r = api.as_(username).post("/campaigns", json=CAMPAIGN)
        assert r.status_code == 403, username
        assert r.content_type == PROBLEM
    r = api.as_("vanphong").post("/campaigns", json={**CAMPAIGN, "department_id": stp2})
    assert r.status_code == 403
    r = api.as_("admin").post("/campaigns", json=CAMPAIGN)  # admin has no department of their own
    assert r.status_code == 422 and "department_id" in r.get_json()["errors"]


@pytest.mark.parametrize("change,field", [
    ({"end_date": "2025-12-31"}, "end_date"),
    ({"registration_deadline": "2027-01-01"}, "registration_deadline"),
    ({"registration_deadline": "2025-01-01"}, "registration_deadline"),
    ({"evaluation_deadline": "2026-02-01"}, "evaluation_deadline"),
    ({"quotas": {"collective": -1}}, "quotas"),
    ({"quotas": {"collective": 1.5}}, "quotas"),
    ({"quotas": {"tap_the": 1}}, "quotas"),
    ({"quotas": [1, 2]}, "quotas"),
    ({"subject_types": ["collective", "robot"]}, "subject_types"),
    ({"subject_types": []}, "subject_types"),
    ({"subject_types": "collective"}, "subject_types"),
    ({"kind": "monthly"}, "kind"),
    ({"name": ""}, "name"),
    ({"start_date": "2026-02-30"}, "start_date"),
    ({"start_date": None}, "start_date"),
    ({"midterm_review_date": "2027-03-01"}, "midterm_review_date"),  # sơ kết outside the campaign
    ({"midterm_review_date": "2026-06-30", "final_review_date": "2026-06-01"}, "final_review_date"),
    ({"final_review_date": "2028-06-01"}, "final_review_date"),  # more than a year after the end
    ({"final_review_date": "2025-12-01"}, "final_review_date"),
])
def test_campaign_validation(api, change, field):
    r = api.as_("vanphong").post("/campaigns", json={**CAMPAIGN, **change})
    assert r.status_code == 422, r.get_json()
    assert r.content_type == PROBLEM
    body = r.get_json()
    assert field in body["errors"], body
    assert body["detail"] and body["reasons"]


def test_quota_for_a_subject_type_not_allowed(api):
    r = api.as_("vanphong").post("/campaigns", json={**CAMPAIGN, "subject_types": ["collective"],
                                                     "quotas": {"individual": 2}})
    assert r.status_code == 422 and "quotas" in r.get_json()["errors"]
