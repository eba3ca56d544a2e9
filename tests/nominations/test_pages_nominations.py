"""A unit head's path through the nomination pages, and what other users may (not) see or do there."""
import io
import re

import pytest
from samples import PDF
from sqlalchemy import select

from models import AuditEvent, Nomination


def register(client, demo, *, unit="PBGDPL", title="Phòng PBGDPL — điển hình phổ biến pháp luật", **extra):
    data = {"campaign_id": str(demo.campaign().id), "subject_type": "collective", "unit_id": str(demo.unit(unit).id),
            "title": title, "achievements": "Tổ chức 120 hội nghị phổ biến pháp luật.", "initiatives": ""}
    data.update(extra)
    return client.post("/nominations/new", data=data)


def nomination_id(response) -> int:
    return int(re.search(r"/nominations/(\d+)$", response.location).group(1))


@pytest.fixture
def nurtured(client, login, demo):
    """A PBGDPL nomination registered and put under nurture by its unit head, through the pages."""
    login("tp_pbgdpl")
    r = register(client, demo)
    assert r.status_code == 302, r.get_data(as_text=True)
    nid = nomination_id(r)
    r = client.post(f"/nominations/{nid}/transition",
                    data={"action": "start_nurturing", "version": "1", "nurture_plan": "Bồi dưỡng mô hình mới"})
    assert r.status_code == 302
    return nid


def test_unit_head_registers_nurtures_and_sees_it_on_the_dashboard(client, login, demo, nurtured):
    page = client.get(f"/nominations/{nurtured}").get_data(as_text=True)
    assert "Đang bồi dưỡng" in page
    assert "Bồi dưỡng mô hình mới" in page
    assert "Bắt đầu bồi dưỡng" in page  # the history names the step
    assert "Võ Minh Tuấn" in page  # ... and who took it
    assert "evaluated_co_so" not in page and ">nurtured<" not in page
    home = client.get("/").get_data(as_text=True)
    card = re.search(r'data-card="to_submit".*?</section>', home, re.S).group(0)
    assert "Phòng PBGDPL — điển hình phổ biến pháp luật" in card
    assert re.search(r'data-testid="count">1<', card)


def test_dashboard_empty_state(client, login):
    login("hoidong2")
    page = client.get("/").get_data(as_text=True)
    assert "Không có việc nào đang chờ" in page


def test_registration_errors_are_shown_next_to_fields_and_input_is_kept(client, login, demo):
    login("tp_pbgdpl")
    r = register(client, demo, title="   ", achievements="Thành tích đã nhập")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "invalid-feedback" in page
    assert "Thành tích đã nhập" in page


def test_unit_head_cannot_open_another_units_nomination(client, login, demo):
    login("tp_hctp")
    r = register(client, demo, unit="HCTP", title="Phòng HCTP")
    nid = nomination_id(r)
    login("tp_pbgdpl")
    assert client.get(f"/nominations/{nid}").status_code == 404
    assert client.get(f"/nominations/{nid}/edit").status_code == 404
    r = client.post(f"/nominations/{nid}/transition", data={"action": "withdraw", "version": "1", "reason": "x",
                                                             "confirm": "yes"})
    assert r.status_code == 404
    assert "Phòng HCTP" not in client.get("/nominations").get_data(as_text=True)


def test_unit_head_cannot_register_for_another_unit(client, login, demo):
    login("tp_pbgdpl")
    r = register(client, demo, unit="HCTP")
    assert r.status_code == 403


def test_staff_sees_their_nomination_without_any_action(client, login, demo):
    login("tp_pbgdpl")
    r = register(client, demo, subject_type="individual", unit_id="",
                 person_id=str(demo.person("Nguyễn Thị Lan").id), title="Chị Nguyễn Thị Lan")
    nid = nomination_id(r)
    login("canbo1")
    r = client.get(f"/nominations/{nid}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "Chị Nguyễn Thị Lan" in page
    assert "/transition" not in page
    assert f"/nominations/{nid}/edit" not in page
    assert "Bạn không có thao tác nào" in page


def test_stale_version_gives_a_409_page(client, login, demo, nurtured):
    r = client.post(f"/nominations/{nurtured}/transition",
                    data={"action": "withdraw", "version": "1", "reason": "Không còn phù hợp", "confirm": "yes"})
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "Hồ sơ vừa được người khác cập nhật" in page
    assert f'href="/nominations/{nurtured}"' in page  # offers a reload


def test_irreversible_action_needs_confirmation(client, login, demo, db, nurtured):
    r = client.post(f"/nominations/{nurtured}/transition",
                    data={"action": "withdraw", "version": "2", "reason": "Đơn vị xin rút"})
    assert r.status_code == 422
    assert "xác nhận" in r.get_data(as_text=True)
    assert "Đơn vị xin rút" in r.get_data(as_text=True)  # what was typed is kept
    r = client.post(f"/nominations/{nurtured}/transition",
                    data={"action": "withdraw", "version": "2", "reason": "Đơn vị xin rút", "confirm": "yes"})
    assert r.status_code == 302
    db.expire_all()
    assert db.get(Nomination, nurtured).state == "withdrawn"


def test_submit_is_disabled_with_reasons_until_the_dossier_is_complete(client, nurtured):
    page = client.get(f"/nominations/{nurtured}").get_data(as_text=True)
    card = re.search(r'data-action="submit".*?</div>\s*</div>', page, re.S).group(0)
    assert "disabled" in card
    assert "Chưa đính kèm báo cáo thành tích" in card


def test_guard_failure_is_a_422_with_reasons_and_is_audited(client, db, nurtured):
    r = client.post(f"/nominations/{nurtured}/transition", data={"action": "submit", "version": "2", "confirm": "yes"})
    assert r.status_code == 422
    assert "Chưa đính kèm báo cáo thành tích" in r.get_data(as_text=True)
    db.expire_all()
    refused = db.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused",
                                                  AuditEvent.action == "nomination.submit")).all()
    assert len(refused) == 1


def test_edit_dossier_and_criteria(client, db, demo, nurtured):
    page = client.get(f"/nominations/{nurtured}/edit").get_data(as_text=True)
    assert "Hoàn thành xuất sắc các nhiệm vụ được giao" in page
    r = client.post(f"/nominations/{nurtured}/edit", data={
        "version": "2", "title": "Tên mới", "achievements": "Thành tích mới", "initiatives": "", "nurture_plan": "KH",
        "criterion-hoan_thanh_xuat_sac-met": "yes", "criterion-hoan_thanh_xuat_sac-evidence": "Báo cáo tổng kết"})
    assert r.status_code == 302
    page = client.get(f"/nominations/{nurtured}").get_data(as_text=True)
    assert "Tên mới" in page and "Báo cáo tổng kết" in page
    r = client.post(f"/nominations/{nurtured}/edit", data={"version": "2", "title": "Cũ hơn"})
    assert r.status_code == 409


def test_checkin_is_recorded_with_a_vietnamese_date(client, nurtured):
    r = client.post(f"/nominations/{nurtured}/checkins", data={"date": "02/01/2024", "note": "Đã kiểm tra tiến độ"})
    assert r.status_code == 302
    page = client.get(f"/nominations/{nurtured}").get_data(as_text=True)
    assert "Đã kiểm tra tiến độ" in page and "02/01/2024" in page
    r = client.post(f"/nominations/{nurtured}/checkins", data={"date": "31/02/2024", "note": "Ngày sai"})
    assert r.status_code == 422
    assert "Ngày sai" in r.get_data(as_text=True)


def test_text_upload_is_rejected(client, nurtured):
    r = client.post(f"/nominations/{nurtured}/attachments",
                    data={"kind": "evidence", "file": (io.BytesIO(b"chi la van ban"), "ghi-chu.txt")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    assert "Loại tệp không được chấp nhận" in r.get_data(as_text=True)


def test_pdf_upload_is_accepted_and_downloadable_only_by_viewers(client, login, nurtured):
    r = client.post(f"/nominations/{nurtured}/attachments",
                    data={"kind": "achievement_report", "file": (io.BytesIO(PDF), "Báo cáo thành tích.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    page = client.get(f"/nominations/{nurtured}").get_data(as_text=True)
    assert "Báo cáo thành tích.pdf" in page
    link = re.search(rf'href="(/nominations/{nurtured}/attachments/\d+)"', page).group(1)
    with client.get(link) as r:
        assert r.status_code == 200 and r.data == PDF
        assert r.headers["Content-Disposition"].startswith("attachment")
    login("tp_hctp")
    assert client.get(link).status_code == 404


def test_list_filters_are_kept_in_the_url_and_search_ignores_accents(client, login, demo, nurtured):
    page = client.get("/nominations?q=pho+bien&state=nurtured").get_data(as_text=True)
    assert "Phòng PBGDPL — điển hình phổ biến pháp luật" in page
    assert 'value="pho bien"' in page
    assert "Tổng số: 1" in page
    page = client.get("/nominations?state=submitted").get_data(as_text=True)
    assert "Không có hồ sơ nào khớp bộ lọc" in page
