"""The "Việc cần làm" dashboard and the notification inbox across roles: a unit head completes and submits a
dossier, the secretariat finds it waiting (and is notified), returns it, and the unit head finds it returned."""
import io
import re

from samples import PDF

from workflow.nominations import rules


def card(page: str, key: str) -> str:
    match = re.search(rf'data-card="{key}".*?</section>', page, re.S)
    return match.group(0) if match else ""


def unread(page: str) -> int:
    return int(re.search(r'data-testid="unread-count">(\d+)<', page).group(1))


def test_submit_return_loop_through_the_pages(client, login, demo):
    login("tp_pbgdpl")
    r = client.post("/nominations/new", data={
        "campaign_id": str(demo.campaign().id), "subject_type": "collective", "unit_id": str(demo.unit("PBGDPL").id),
        "title": "Hồ sơ đầy đủ", "achievements": "Thành tích"})
    nid = int(r.location.rsplit("/", 1)[1])
    client.post(f"/nominations/{nid}/transition",
                data={"action": "start_nurturing", "version": "1", "nurture_plan": "Kế hoạch"})
    answers = {f"criterion-{c.code}-met": "yes" for c in rules.criteria_for("collective", "annual")}
    assert client.post(f"/nominations/{nid}/edit", data={"version": "2", "title": "Hồ sơ đầy đủ",
                                                         "achievements": "Thành tích", "nurture_plan": "Kế hoạch",
                                                         **answers}).status_code == 302
    client.post(f"/nominations/{nid}/attachments", content_type="multipart/form-data",
                data={"kind": "achievement_report", "file": (io.BytesIO(PDF), "bao-cao.pdf")})
    page = client.get(f"/nominations/{nid}").get_data(as_text=True)
    assert "Hồ sơ đã đủ thành phần" in page
    assert client.post(f"/nominations/{nid}/transition",
                       data={"action": "submit", "version": "3", "confirm": "yes"}).status_code == 302

    login("vanphong")
    home = client.get("/").get_data(as_text=True)
    assert "Hồ sơ đầy đủ" in card(home, "to_check")
    assert unread(home) == 1
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "Trình Hội đồng xét: Hồ sơ đầy đủ" in inbox
    note_id = re.search(r"/notifications/(\d+)/read", inbox).group(1)
    client.post(f"/notifications/{note_id}/read")
    assert unread(client.get("/").get_data(as_text=True)) == 0
    r = client.post(f"/nominations/{nid}/transition",
                    data={"action": "return_for_revision", "version": "4", "reason": "Bổ sung minh chứng"})
    assert r.status_code == 302

    login("tp_pbgdpl")
    home = client.get("/").get_data(as_text=True)
    assert "Hồ sơ đầy đủ" in card(home, "returned")
    assert "Hồ sơ đầy đủ" not in card(home, "to_submit")
    assert unread(home) == 1
    assert "Bổ sung minh chứng" in client.get(f"/nominations/{nid}").get_data(as_text=True)


def test_each_role_sees_only_its_kind_of_work(client, login):
    login("admin")
    home = client.get("/").get_data(as_text=True)
    assert card(home, "admin") and not card(home, "to_nurture")
    login("thanhtra")
    home = client.get("/").get_data(as_text=True)
    assert card(home, "all_nominations") and not card(home, "admin")
