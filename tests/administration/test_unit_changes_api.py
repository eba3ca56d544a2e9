"""POST /api/v1/units/{id}/rename|merge|split|move|close (CONTRACT.md): admin only, `effective_date` ISO or
dd/mm/yyyy, refusals as problem+json 422 with Vietnamese reasons, every change in the audit trail."""
from __future__ import annotations

from sqlalchemy import func, select

from models import AuditEvent, Person, Unit

PROBLEM = "application/problem+json"


def test_rename_through_the_api(api, demo, db):
    unit = demo.unit("HCTP")
    r = api.as_("admin").post(f"/units/{unit.id}/rename", json={"effective_date": "01/07/2025",
                                                                 "name": "Phòng Hành chính, bổ trợ tư pháp"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["name"] == "Phòng Hành chính, bổ trợ tư pháp" and body["former_name"] == "Phòng Hành chính tư pháp"
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "admin.unit_rename",
                                                 AuditEvent.object_id == unit.id)) is not None
    listed = next(u for u in api.as_("vanphong").get("/units?q=HCTP").get_json()["items"] if u["id"] == unit.id)
    assert (listed["name"], listed["former_name"]) == ("Phòng Hành chính, bổ trợ tư pháp", "Phòng Hành chính tư pháp")


def test_only_an_admin_and_bad_input_is_422_never_500(api, demo):
    unit = demo.unit("PTP-LX")
    r = api.as_("giamdoc").post(f"/units/{unit.id}/close", json={"effective_date": "2025-07-01"})
    assert r.status_code == 403 and r.mimetype == PROBLEM
    for body in ({"effective_date": "31/02/2025", "into_id": demo.unit("PTP-CD").id},
                 {"effective_date": "2025-07-01", "into_id": unit.id},
                 {"effective_date": "2025-07-01", "into_id": "x"},
                 {"effective_date": "2025-07-01"}, {}, []):
        r = api.as_("admin").post(f"/units/{unit.id}/merge", json=body)
        assert r.status_code == 422 and r.mimetype == PROBLEM, (body, r.get_json())
    r = api.as_("admin").post(f"/units/{unit.id}/merge", json={"effective_date": "2025-07-01", "into_id": unit.id})
    assert "Không thể sáp nhập một đơn vị vào chính nó." in r.get_json()["reasons"]
    assert api.as_("admin").post("/units/999999/rename", json={"effective_date": "2025-07-01",
                                                               "name": "X"}).status_code == 404


def test_merge_close_move_and_split_through_the_api(api, demo, db):
    lx, cd, stp = demo.unit("PTP-LX"), demo.unit("PTP-CD"), demo.unit("STP")
    admin = api.as_("admin")
    r = admin.post(f"/units/{lx.id}/merge", json={"effective_date": "2025-07-01", "into_id": cd.id})
    assert r.status_code == 200 and r.get_json()["id"] == cd.id, r.get_json()
    again = admin.post(f"/units/{lx.id}/merge", json={"effective_date": "2025-07-01", "into_id": cd.id})
    assert again.status_code == 422  # a double submit: the unit has closed, nothing is merged twice
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "admin.unit_merge",
                                                            AuditEvent.outcome == "ok")) == 1
    r = admin.post(f"/units/{lx.id}/close", json={"effective_date": "2025-08-01"})
    assert r.status_code == 422 and "đã thôi hoạt động" in " ".join(r.get_json()["reasons"])
    r = admin.post(f"/units/{stp.id}/move", json={"effective_date": "2025-07-01", "parent_id": demo.unit("VP").id})
    assert r.status_code == 422 and "vòng lặp" in " ".join(r.get_json()["reasons"])
    tgpl = demo.unit("TGPL")
    people = db.scalars(select(Person.id).where(Person.unit_id == tgpl.id, Person.active.is_(True))).all()
    r = admin.post(f"/units/{tgpl.id}/split", json={
        "effective_date": "2025-07-01",
        "parts": [{"code": "TGPL-1", "name": "Trung tâm TGPL số 1", "inherits_records": True},
                  {"code": "TGPL-2", "name": "Trung tâm TGPL số 2"}],
        "people": {str(p): 0 for p in people}, "nominations": {}})
    body = r.get_json()
    if r.status_code == 422:  # the demo's TGPL has nominations in flight: the sheet must name them
        assert any("Hồ sơ" in reason for reason in body["reasons"])
        assert db.scalar(select(Unit.id).where(Unit.code == "TGPL-1")) is None
        return
    assert r.status_code == 200, body
    assert body["active"] is False and [p["code"] for p in body["parts"]] == ["TGPL-1", "TGPL-2"]
