"""Administration pages: admins only; creating and editing reference data records it in the audit trail."""
import pytest
from sqlalchemy import select

from models import AuditEvent, Unit, User

ADMIN_PAGES = ["/admin", "/admin/units", "/admin/units/new", "/admin/people", "/admin/users", "/admin/users/new",
               "/admin/campaigns", "/admin/campaigns/new"]


@pytest.mark.parametrize("username", ["tp_pbgdpl", "vanphong", "thanhtra"])
def test_admin_pages_are_forbidden_to_others(client, login, username):
    login(username)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/units/new", data={"code": "X"}).status_code == 403


def test_admin_pages_render(client, login, demo):
    login("admin")
    for path in ADMIN_PAGES + [f"/admin/units/{demo.unit('PBGDPL').id}", f"/admin/campaigns/{demo.campaign().id}"]:
        assert client.get(path).status_code == 200, path


def test_admin_creates_a_unit_and_a_user_who_can_then_log_in(client, login, db, demo):
    login("admin")
    r = client.post("/admin/units/new", data={"code": "PCNTT", "name": "Phòng Công nghệ thông tin",
                                              "kind": "division", "parent_id": str(demo.unit("STP").id)})
    assert r.status_code == 302
    db.expire_all()
    unit = db.scalar(select(Unit).where(Unit.code == "PCNTT"))
    assert unit.department_id == demo.unit("STP").id
    r = client.post("/admin/users/new", data={"username": "tp_pcntt", "full_name": "Trần Văn Mới",
                                              "roles": ["unit_head"], "unit_id": str(unit.id),
                                              "password": "mat-khau-moi-1", "active": "on"})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert "tp_pcntt" in client.get("/admin/users").get_data(as_text=True)
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("admin.%"))))
    assert {"admin.unit_create", "admin.user_create"} <= actions
    login("tp_pcntt", "mat-khau-moi-1")
    page = client.get("/").get_data(as_text=True)
    assert "Trần Văn Mới" in page and "Phòng Công nghệ thông tin" in page


def test_invalid_admin_form_is_422_with_field_errors_and_kept_input(client, login):
    login("admin")
    r = client.post("/admin/units/new", data={"code": "VP", "name": "Tên giữ lại", "kind": "division"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Mã đơn vị đã tồn tại" in page
    assert 'value="Tên giữ lại"' in page


def test_admin_locks_a_user_and_resets_a_password(client, login, db, demo):
    login("admin")
    user = demo.user("canbo1")
    r = client.post(f"/admin/users/{user.id}", data={"full_name": user.full_name, "roles": ["staff"],
                                                     "unit_id": str(user.unit_id)})  # "active" unchecked
    assert r.status_code == 302
    db.expire_all()
    assert db.get(User, user.id).active is False
    r = client.post(f"/admin/users/{user.id}/password", data={"new_password": "ngan"})
    assert r.status_code == 422
    r = client.post(f"/admin/users/{user.id}/password", data={"new_password": "mat-khau-dat-lai"})
    assert r.status_code == 302
    login("canbo1", demo.password)
    assert client.get("/").status_code == 302  # locked


def test_admin_creates_and_edits_a_campaign(client, login, demo, db):
    login("admin")
    data = {"department_id": str(demo.unit("STP").id), "name": "Đợt thi đua cao điểm", "kind": "peak",
            "start_date": "01/01/2025", "end_date": "30/06/2025", "registration_deadline": "31/03/2025",
            "evaluation_deadline": "15/06/2025", "subject_types": ["collective"], "quota_collective": "2"}
    r = client.post("/admin/campaigns/new", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get("/admin/campaigns").get_data(as_text=True)
    assert "Đợt thi đua cao điểm" in page and "Đợt cao điểm" in page
    r = client.post("/admin/campaigns/new", data=dict(data, end_date="01/01/2024"))
    assert r.status_code == 422
    campaign = demo.campaign("period")
    r = client.post(f"/admin/campaigns/{campaign.id}", data={
        "name": "Giai đoạn 2021–2025 (sửa)", "kind": "period", "start_date": "2021-01-01", "end_date": "2025-12-31",
        "registration_deadline": "2025-09-30", "evaluation_deadline": "2025-10-30",
        "midterm_review_date": "11/06/2023", "final_review_date": "20/03/2026",
        "subject_types": ["collective", "individual"], "quota_individual": "3"})
    assert r.status_code == 302
    db.expire_all()
    assert campaign.name == "Giai đoạn 2021–2025 (sửa)" and campaign.quota_individual == 3
    assert campaign.final_review_date.isoformat() == "2026-03-20"
    r = client.post(f"/admin/campaigns/{campaign.id}", data={
        "name": "Giai đoạn 2021–2025", "kind": "period", "start_date": "2021-01-01", "end_date": "2025-12-31",
        "registration_deadline": "2025-09-30", "midterm_review_date": "2026-06-11",
        "subject_types": ["collective"]})
    assert r.status_code == 422 and "Ngày sơ kết phải trong thời gian" in r.get_data(as_text=True)


def test_admin_adds_a_discipline_record(client, login, demo):
    login("admin")
    person = demo.person("Nguyễn Thị Lan")
    r = client.post(f"/admin/people/{person.id}/disciplines", data={"form": "canh_cao", "decided_on": "01/03/2024",
                                                                   "decision_number": "12/QĐ"})
    assert r.status_code == 302
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "Cảnh cáo" in page and "01/03/2024" in page
