"""JSON API: a nomination's life through /api/v1, scope, concurrency and guards."""
from types import SimpleNamespace

import pytest
from samples import PDF
from sqlalchemy import func, select

from models import AuditEvent, StateChange

PROBLEM = "application/problem+json"


@pytest.fixture
def ref(demo, db):
    """Ids of the demo data, looked up once; then the test session lets go of SQLite's write lock."""
    data = SimpleNamespace(
        campaign=demo.campaign().id, period=demo.campaign("period").id, stp2_campaign=demo.campaign(
            department="STP2").id,
        **{code.lower().replace("-", "_"): demo.unit(code).id for code in ("PBGDPL", "HCTP", "PTP-CD", "STP2-VP")},
        lan=demo.person("Nguyễn Thị Lan").id, duc=demo.person("Huỳnh Văn Đức").id,
    )
    db.rollback()
    return data


def register(api, ref, username="tp_pbgdpl", unit=None, **extra):
    body = {"campaign_id": ref.campaign, "subject_type": "collective", "unit_id": unit or ref.pbgdpl,
            "title": "Phòng Phổ biến, giáo dục pháp luật", "achievements": "Hoàn thành xuất sắc nhiệm vụ năm."}
    body.update(extra)
    r = api.as_(username).post("/nominations", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def act(api, username, n, action, **data):
    return api.as_(username).post(f"/nominations/{n['id']}/transitions",
                                  json={"action": action, "version": n["version"], **data})


def nurture(api, ref, username="tp_pbgdpl", **kw):
    n = register(api, ref, username, **kw)
    r = act(api, username, n, "start_nurturing", nurture_plan="Bồi dưỡng, theo dõi hằng quý.")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def upload(api, username, n, data=PDF, filename="bao-cao.pdf", kind="achievement_report"):
    import io

    return api.as_(username).post(f"/nominations/{n['id']}/attachments",
                                  data={"kind": kind, "file": (io.BytesIO(data), filename)},
                                  content_type="multipart/form-data")


def complete_dossier(api, username, n):
    assert upload(api, username, n).status_code == 201
    current = api.as_(username).get(f"/nominations/{n['id']}").get_json()
    criteria = {c["code"]: {"met": True, "evidence": f"Minh chứng cho {c['code']}"} for c in current["criteria"]}
    r = api.as_(username).patch(f"/nominations/{n['id']}", json={"version": current["version"], "criteria": criteria})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_unit_head_registers_nurtures_and_submits(api, ref):
    n = register(api, ref)
    assert n["state"] == "registered" and n["version"] == 1
    assert n["state_label"] == "Đã đăng ký"
    assert n["subject"]["type"] == "collective" and n["subject"]["unit"]["id"] == ref.pbgdpl
    assert n["campaign"]["id"] == ref.campaign
    assert [h["action"] for h in n["history"]] == ["create"]
    assert n["history"][0]["actor"]["username"] == "tp_pbgdpl"
    actions = {a["action"]: a for a in n["available_actions"]}
    assert set(actions) == {"start_nurturing", "withdraw"}
    assert actions["start_nurturing"]["requires"] == ["nurture_plan"] and actions["start_nurturing"]["label"]
    assert all({"rule", "label", "result", "reason", "hard", "citation"} <= set(e) for e in n["eligibility"])
    assert {c["code"] for c in n["criteria"]} >= {"noi_bo_doan_ket", "du_dieu_kien_tldxs"}
    assert all(c["met"] is None for c in n["criteria"])

    r = act(api, "tp_pbgdpl", n, "start_nurturing", nurture_plan="Kế hoạch bồi dưỡng năm.")
    assert r.status_code == 200
    n = r.get_json()
    assert (n["state"], n["version"], n["nurture_plan"]) == ("nurtured", 2, "Kế hoạch bồi dưỡng năm.")

    r = api.as_("tp_pbgdpl").post(f"/nominations/{n['id']}/checkins", json={"note": "Kiểm tra quý I.",
                                                                            "date": "2020-03-31"})
    assert r.status_code == 201 and r.get_json()["note"] == "Kiểm tra quý I."

    r = upload(api, "tp_pbgdpl", n)
    assert r.status_code == 201, r.get_json()
    att = r.get_json()
    assert (att["kind"], att["filename"], att["content_type"], att["size"]) == (
        "achievement_report", "bao-cao.pdf", "application/pdf", len(PDF))
    dl = api.as_("tp_pbgdpl").get(f"/nominations/{n['id']}/attachments/{att['id']}")
    assert dl.status_code == 200 and dl.data == PDF and dl.mimetype == "application/pdf"
    assert "bao-cao.pdf" in dl.headers["Content-Disposition"]
    dl.close()
    assert api.as_("tp_hctp").get(f"/nominations/{n['id']}/attachments/{att['id']}").status_code == 404

    n = complete_dossier(api, "tp_pbgdpl", n)
    assert all(c["met"] is True and c["evidence"] for c in n["criteria"])
    assert n["dossier_gaps"] == []
    submit = next(a for a in n["available_actions"] if a["action"] == "submit")
    assert submit["allowed"] is True and submit["reasons"] == []

    r = act(api, "tp_pbgdpl", n, "submit", comment="Trình Hội đồng.")
    assert r.status_code == 200, r.get_json()
    n = r.get_json()
    assert n["state"] == "submitted"
    assert [h["action"] for h in n["history"]] == ["create", "start_nurturing", "submit"]
    assert n["history"][-1]["comment"] == "Trình Hội đồng." and n["history"][-1]["from_state"] == "nurtured"
    assert [c["note"] for c in n["checkins"]] == ["Kiểm tra quý I."]
    assert len(n["attachments"]) == 2  # one above, one by complete_dossier

    listing = api.as_("tp_pbgdpl").get("/nominations?state=submitted").get_json()
    assert [i["id"] for i in listing["items"]] == [n["id"]] and listing["total"] == 1


def test_individual_nomination_and_staff_who_is_its_subject(api, ref):
    n = register(api, ref, subject_type="individual", person_id=ref.lan, unit_id=None, title="Chị Nguyễn Thị Lan")
    assert n["subject"]["person"]["full_name"] == "Nguyễn Thị Lan" and n["subject"]["name"] == "Nguyễn Thị Lan"
    staff = api.as_("canbo1")
    listing = staff.get("/nominations").get_json()
    assert [i["id"] for i in listing["items"]] == [n["id"]]
    detail = staff.get(f"/nominations/{n['id']}")
    assert detail.status_code == 200 and detail.get_json()["available_actions"] == []
    r = act(api, "canbo1", n, "start_nurturing", nurture_plan="Tự bồi dưỡng")
    assert r.status_code == 403 and r.content_type == PROBLEM and r.get_json()["reasons"]
    r = staff.patch(f"/nominations/{n['id']}", json={"version": 1, "title": "Sửa"})
    assert r.status_code == 403
    # staff cannot register anyone
    r = staff.post("/nominations", json={"campaign_id": ref.campaign, "subject_type": "individual",
                                         "person_id": ref.duc, "title": "Anh Đức"})
    assert r.status_code == 403 and r.content_type == PROBLEM


def test_other_unit_and_other_department_cannot_see_or_touch(api, ref):
    n = register(api, ref)
    hctp = api.as_("tp_hctp")
    assert hctp.get(f"/nominations/{n['id']}").status_code == 404
    r = act(api, "tp_hctp", n, "start_nurturing", nurture_plan="x")
    assert r.status_code == 404 and r.content_type == PROBLEM
    assert hctp.patch(f"/nominations/{n['id']}", json={"version": 1, "title": "x"}).status_code == 404
    assert upload(api, "tp_hctp", n).status_code == 404
    assert hctp.post(f"/nominations/{n['id']}/checkins", json={"note": "x"}).status_code == 404
    assert hctp.get("/nominations").get_json()["total"] == 0
    # registering for another unit is refused
    r = hctp.post("/nominations", json={"campaign_id": ref.campaign, "subject_type": "collective",
                                        "unit_id": ref.pbgdpl, "title": "Không phải đơn vị mình"})
    assert r.status_code == 403

    stp2 = api.as_("tp_stp2")
    listing = stp2.get("/nominations").get_json()
    assert listing["items"] == [] and listing["total"] == 0
    assert stp2.get(f"/nominations/{n['id']}").status_code == 404
    campaigns = stp2.get("/campaigns").get_json()
    assert [c["id"] for c in campaigns["items"]] == [ref.stp2_campaign]

    # secretariat of STP sees it and may act; the auditor sees it and may not act
    assert api.as_("vanphong").get(f"/nominations/{n['id']}").status_code == 200
    auditor = api.as_("thanhtra").get(f"/nominations/{n['id']}")
    assert auditor.status_code == 200 and auditor.get_json()["available_actions"] == []
    assert act(api, "thanhtra", n, "withdraw", reason="x").status_code == 403


def test_stale_version_is_409_and_writes_no_second_step(api, ref, db):
    n = register(api, ref)
    first = act(api, "tp_pbgdpl", n, "start_nurturing", nurture_plan="Kế hoạch")
    assert first.status_code == 200
    again = act(api, "tp_pbgdpl", n, "withdraw", reason="Nhầm")  # still version 1
    assert again.status_code == 409 and again.content_type == PROBLEM
    assert again.get_json()["current_version"] == 2  # said plainly, the current version carried (issue 14)
    assert "người khác cập nhật" in again.get_json()["detail"]
    stale_patch = api.as_("tp_pbgdpl").patch(f"/nominations/{n['id']}", json={"version": 1, "title": "Cũ"})
    assert stale_patch.status_code == 409
    detail = api.as_("tp_pbgdpl").get(f"/nominations/{n['id']}").get_json()
    assert [h["action"] for h in detail["history"]] == ["create", "start_nurturing"]
    assert detail["version"] == 2 and detail["title"] == n["title"]
    count = db.scalar(select(func.count()).select_from(StateChange).where(StateChange.nomination_id == n["id"]))
    assert count == 2
    refused = db.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused",
                                                  AuditEvent.object_id == n["id"])).all()
    assert {e.action for e in refused} == {"nomination.withdraw", "nomination.update"}
    assert all(e.data["status"] == 409 for e in refused)
    db.rollback()


def test_trigger_not_valid_from_state_is_409(api, ref):
    n = register(api, ref)
    r = act(api, "tp_pbgdpl", n, "submit")
    assert r.status_code == 409 and r.content_type == PROBLEM


def test_incomplete_dossier_is_422_with_reasons(api, ref):
    n = nurture(api, ref)
    r = act(api, "tp_pbgdpl", n, "submit")
    assert r.status_code == 422 and r.content_type == PROBLEM
    reasons = r.get_json()["reasons"]
    assert any("báo cáo thành tích" in x for x in reasons)
    assert any("tiêu chí" in x for x in reasons)
    detail = api.as_("tp_pbgdpl").get(f"/nominations/{n['id']}").get_json()
    assert detail["state"] == "nurtured" and detail["dossier_gaps"]
    submit = next(a for a in detail["available_actions"] if a["action"] == "submit")
    assert submit["allowed"] is False and submit["reasons"]


def test_criterion_answered_not_met_blocks_submit(api, ref):
    n = nurture(api, ref)
    n = complete_dossier(api, "tp_pbgdpl", n)
    code = n["criteria"][0]["code"]
    r = api.as_("tp_pbgdpl").patch(f"/nominations/{n['id']}",
                                   json={"version": n["version"], "criteria": {code: {"met": False}}})
    assert r.status_code == 200
    n = r.get_json()
    assert any("chưa đạt" in g for g in n["dossier_gaps"])
    assert act(api, "tp_pbgdpl", n, "submit").status_code == 422


def test_disciplined_unit_cannot_submit_collective(api, ref):
    n = nurture(api, ref, "tp_ptpcd", unit=ref.ptp_cd, title="Phòng Tư pháp Châu Đốc")
    n = complete_dossier(api, "tp_ptpcd", n)
    assert n["dossier_gaps"] == []
    failing = [e for e in n["eligibility"] if e["result"] == "fail"]
    assert [e["rule"] for e in failing] == ["khong_ky_luat_nam"] and failing[0]["hard"] is True
    r = act(api, "tp_ptpcd", n, "submit")
    assert r.status_code == 422 and r.content_type == PROBLEM
    body = r.get_json()
    assert any("khiển trách" in reason for reason in body["reasons"])
    assert api.as_("tp_ptpcd").get(f"/nominations/{n['id']}").get_json()["state"] == "nurtured"


@pytest.mark.parametrize("data,filename", [
    (b"Chi la van ban thuong, khong phai PDF.\n", "bao-cao.txt"),
    (b"Chi la van ban thuong, khong phai PDF.\n", "bao-cao.pdf"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200, "bao-cao.pdf"),
    (b"", "rong.pdf"),
])
def test_wrong_file_type_is_422(api, ref, data, filename):
    n = register(api, ref)
    r = upload(api, "tp_pbgdpl", n, data=data, filename=filename)
    assert r.status_code == 422 and r.content_type == PROBLEM
    assert r.get_json()["reasons"]
    assert api.as_("tp_pbgdpl").get(f"/nominations/{n['id']}").get_json()["attachments"] == []


def test_upload_needs_a_file_and_a_known_kind(api, ref):
    import io

    n = register(api, ref)
    client = api.as_("tp_pbgdpl")
    r = client.post(f"/nominations/{n['id']}/attachments", data={"kind": "achievement_report"},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]
    r = client.post(f"/nominations/{n['id']}/attachments", data={"kind": "virus", "file": (io.BytesIO(PDF), "a.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "kind" in r.get_json()["errors"]
    r = client.post(f"/nominations/{n['id']}/attachments", json={"kind": "evidence", "file": "abc"})
    assert r.status_code == 422


def test_too_large_upload_is_413_problem(api, ref, app):
    import io

    n = register(api, ref)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    r = upload(api, "tp_pbgdpl", n, data=PDF + b"0" * 4096)
    assert r.status_code == 413 and r.content_type == PROBLEM
    assert io  # keeps the import used


def test_secretariat_returns_submitted_dossier_and_unit_head_is_notified(api, ref):
    n = nurture(api, ref)
    n = complete_dossier(api, "tp_pbgdpl", n)
    n = act(api, "tp_pbgdpl", n, "submit").get_json()
    assert n["state"] == "submitted"
    assert api.as_("tp_pbgdpl").get("/notifications?unread=true").get_json()["total"] == 0
    # secretariat got the submit notification
    vp_notes = api.as_("vanphong").get("/notifications").get_json()
    assert [x["kind"] for x in vp_notes["items"]] == ["nomination.submit"]

    no_reason = act(api, "vanphong", n, "return_for_revision")
    assert no_reason.status_code == 422 and any("lý do" in r.lower() for r in no_reason.get_json()["reasons"])
    r = act(api, "vanphong", n, "return_for_revision", reason="Thiếu minh chứng sáng kiến.")
    assert r.status_code == 200, r.get_json()
    n = r.get_json()
    assert n["state"] == "nurtured"
    assert n["history"][-1]["action"] == "return_for_revision"
    assert n["history"][-1]["actor"]["username"] == "vanphong"
    assert n["history"][-1]["data"]["reason"] == "Thiếu minh chứng sáng kiến."

    notes = api.as_("tp_pbgdpl").get("/notifications?unread=true").get_json()
    assert notes["total"] == 1
    note = notes["items"][0]
    assert note["kind"] == "nomination.return_for_revision" and note["object_id"] == n["id"]
    assert "Thiếu minh chứng" in note["body"] and note["read"] is False
    r = api.as_("tp_pbgdpl").post(f"/notifications/{note['id']}/read")
    assert r.status_code == 200 and r.get_json()["read"] is True
    assert api.as_("tp_pbgdpl").get("/notifications?unread=true").get_json()["total"] == 0
    assert api.as_("tp_pbgdpl").get("/notifications").get_json()["total"] == 1
    # someone else's notification is invisible
    assert api.as_("tp_hctp").post(f"/notifications/{note['id']}/read").status_code == 404


def test_withdraw(api, ref):
    n = register(api, ref)
    assert act(api, "tp_pbgdpl", n, "withdraw").status_code == 422
    r = act(api, "tp_pbgdpl", n, "withdraw", reason="Đơn vị xin rút.", comment="Rút theo đề nghị.")
    assert r.status_code == 200
    n = r.get_json()
    assert n["state"] == "withdrawn" and n["available_actions"] == []
    # the subject may be registered again once the old one is withdrawn
    again = register(api, ref)
    assert again["id"] != n["id"]


def test_duplicate_live_nomination_is_422(api, ref):
    register(api, ref)
    r = api.as_("tp_pbgdpl").post("/nominations", json={"campaign_id": ref.campaign, "subject_type": "collective",
                                                         "unit_id": ref.pbgdpl, "title": "Lần hai"})
    assert r.status_code == 422 and r.content_type == PROBLEM and r.get_json()["reasons"]


def test_patch_fields_and_unknown_criterion(api, ref):
    n = register(api, ref)
    client = api.as_("tp_pbgdpl")
    r = client.patch(f"/nominations/{n['id']}", json={"version": 1, "title": "Tên mới", "initiatives": "Sáng kiến A"})
    assert r.status_code == 200
    body = r.get_json()
    assert (body["title"], body["initiatives"], body["version"]) == ("Tên mới", "Sáng kiến A", 2)
    assert body["history"][-1]["action"] == "create"  # edits are audited, not lifecycle steps
    r = client.patch(f"/nominations/{n['id']}", json={"version": 2, "criteria": {"khong_co": {"met": True}}})
    assert r.status_code == 422 and r.get_json()["reasons"]
    r = client.patch(f"/nominations/{n['id']}", json={"version": 2, "state": "recognized"})
    assert r.status_code == 422 and "state" in r.get_json()["errors"]


def test_list_filters_and_accent_insensitive_search(api, ref):
    a = register(api, ref, title="Phòng Phổ biến giáo dục pháp luật xuất sắc")
    b = register(api, ref, subject_type="individual", person_id=ref.duc, unit_id=None, title="Anh Huỳnh Văn Đức")
    client = api.as_("tp_pbgdpl")
    everything = client.get("/nominations").get_json()
    assert set(everything) >= {"items", "total", "page", "per_page"}
    assert everything["total"] == 2 and [i["id"] for i in everything["items"]] == [b["id"], a["id"]]
    item = everything["items"][0]
    assert {"id", "state", "state_label", "version", "subject", "campaign", "title"} <= set(item)
    assert client.get("/nominations?q=huynh van duc").get_json()["total"] == 1
    assert client.get("/nominations?q=XUAT SAC").get_json()["items"][0]["id"] == a["id"]
    assert client.get("/nominations?subject_type=individual").get_json()["total"] == 1
    assert client.get(f"/nominations?campaign={ref.campaign}").get_json()["total"] == 2
    assert client.get(f"/nominations?campaign={ref.period}").get_json()["total"] == 0
    assert client.get(f"/nominations?unit={ref.pbgdpl}").get_json()["total"] == 2
    assert client.get("/nominations?state=registered,nurtured").get_json()["total"] == 2
    paged = client.get("/nominations?per_page=1&page=2").get_json()
    assert (paged["page"], paged["per_page"], paged["total"], len(paged["items"])) == (2, 1, 2, 1)
    assert client.get("/nominations?page=999999").get_json()["items"] == []


def test_list_does_not_lazy_load_per_row(api, ref, engine):
    from sqlalchemy import event

    client = api.as_("vanphong")

    def selects_for_list():
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            r = client.get("/nominations?per_page=100")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert r.status_code == 200
        return r.get_json()["total"], len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    register(api, ref)
    one = selects_for_list()
    register(api, ref, subject_type="individual", person_id=ref.lan, unit_id=None, title="Chị Lan")
    register(api, ref, subject_type="individual", person_id=ref.duc, unit_id=None, title="Anh Đức")
    register(api, ref, "tp_hctp", unit=ref.hctp, title="Phòng Hành chính tư pháp")
    four = selects_for_list()
    assert (one[0], four[0]) == (1, 4)
    assert four[1] == one[1], "the list must not issue a query per row"
