"""JSON API: the audit trail and the caller's notifications."""
import pytest

PROBLEM = "application/problem+json"


def _register(api, demo, db):
    body = {"campaign_id": demo.campaign().id, "subject_type": "collective", "unit_id": demo.unit("PBGDPL").id,
            "title": "Phòng PBGDPL"}
    db.rollback()
    r = api.as_("tp_pbgdpl").post("/nominations", json=body)
    assert r.status_code == 201
    return r.get_json()


@pytest.mark.parametrize("username", ["tp_pbgdpl", "vanphong", "giamdoc", "canbo1", "botp"])
def test_audit_is_for_auditors_and_admins_only(api, username):
    r = api.as_(username).get("/audit")
    assert r.status_code == 403 and r.content_type == PROBLEM
    assert r.get_json()["reasons"]


def test_audit_filters(api, demo, db):
    n = _register(api, demo, db)
    api.as_("tp_pbgdpl").post(f"/nominations/{n['id']}/transitions", json={"action": "start_nurturing",
                                                                           "version": 1, "nurture_plan": "KH"})
    api.as_("vanphong").patch(f"/nominations/{n['id']}", json={"version": 2, "title": "Tên do Văn phòng sửa"})
    auditor = api.as_("thanhtra")
    everything = auditor.get("/audit?per_page=100").get_json()
    assert {"items", "total", "page", "per_page"} <= set(everything)
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids, reverse=True)
    event = everything["items"][0]
    assert {"id", "created_at", "actor", "action", "outcome", "object_type", "object_id", "data", "ip"} <= set(event)

    mine = auditor.get("/audit?actor=tp_pbgdpl&per_page=100").get_json()
    assert mine["total"] >= 3
    assert {e["actor"]["username"] for e in mine["items"]} == {"tp_pbgdpl"}
    assert {"auth.login", "nomination.create", "nomination.start_nurturing"} <= {e["action"] for e in mine["items"]}
    by_id = auditor.get(f"/audit?actor={mine['items'][0]['actor']['id']}&per_page=100").get_json()
    assert by_id["total"] == mine["total"]

    obj = auditor.get(f"/audit?object_type=nomination&object_id={n['id']}").get_json()
    assert [e["action"] for e in obj["items"]] == ["nomination.update", "nomination.start_nurturing",
                                                   "nomination.create"]
    assert obj["items"][0]["data"]["via"] == "api"
    assert auditor.get("/audit?action=nomination.create").get_json()["total"] == 1
    assert auditor.get("/audit?action=nomination.").get_json()["total"] == 3
    assert auditor.get("/audit?since=2000-01-01&until=2999-12-31").get_json()["total"] == everything["total"]
    assert auditor.get("/audit?since=2999-01-01").get_json()["total"] == 0
    assert auditor.get("/audit?until=2000-01-01T00:00:00Z").get_json()["total"] == 0
    newest = everything["items"][0]["id"]
    keyset = auditor.get(f"/audit?before_id={newest}&per_page=2").get_json()
    assert [e["id"] for e in keyset["items"]] == ids[1:3]
    assert api.as_("admin").get("/audit?actor=nobody").get_json()["total"] == 0


@pytest.mark.parametrize("query", ["since=yesterday", "until=2025-13-01", "object_id=abc", "page=0", "per_page=0",
                                   "per_page=1000", "before_id=-5", "page=99999999999999999999"])
def test_audit_bad_filters_are_422(api, query):
    r = api.as_("thanhtra").get(f"/audit?{query}")
    assert r.status_code == 422 and r.content_type == PROBLEM
    assert r.get_json()["errors"]


def test_refused_actions_are_audited(api, demo, db):
    n = _register(api, demo, db)
    r = api.as_("canbo1").post(f"/nominations/{n['id']}/transitions", json={"action": "withdraw", "version": 1,
                                                                            "reason": "x"})
    assert r.status_code == 404  # canbo1 is not the subject of a collective nomination: invisible
    r = api.as_("vanphong").post(f"/nominations/{n['id']}/transitions", json={"action": "submit", "version": 1})
    assert r.status_code == 409
    refused = api.as_("thanhtra").get("/audit?actor=vanphong&action=nomination.submit").get_json()["items"]
    assert [(e["outcome"], e["data"]["status"]) for e in refused] == [("refused", 409)]


def test_notifications_unread_filter_validation(api):
    assert api.as_("tp_pbgdpl").get("/notifications?unread=maybe").status_code == 422
    assert api.as_("tp_pbgdpl").get("/notifications?unread=false").get_json()["total"] == 0
    assert api.as_("tp_pbgdpl").post("/notifications/999999/read").status_code == 404


# ------------------------------------------------------------------------------------------------ verification, exports
@pytest.mark.parametrize("username", ["tp_pbgdpl", "vanphong"])
def test_verification_and_exports_are_for_auditors_and_admins_only(api, username):
    client = api.as_(username)
    for path in ("/audit/verification", "/audit/export.csv", "/audit/export.xlsx"):
        r = client.get(path)
        assert r.status_code == 403 and r.content_type == PROBLEM, path
    r = client.post("/audit/verification")
    assert r.status_code == 403 and r.content_type == PROBLEM
    refused = api.as_("thanhtra").get(f"/audit?actor={username}&action=audit.verify").get_json()["items"]
    assert [e["outcome"] for e in refused] == ["refused"]
    assert api.as_("thanhtra").get("/audit/verification").get_json() == {
        "checked": False, "latest": None, "chains": [], "newest_checkpoint_at": None}


def test_verification_status_and_incremental_check(api, db, as_dba):
    from sqlalchemy import text

    auditor = api.as_("thanhtra")
    assert auditor.get("/audit/verification").get_json()["checked"] is False
    r = auditor.post("/audit/verification")
    assert r.status_code == 201
    first = r.get_json()
    assert (first["ok"], first["full"], first["checked_by"], first["first_bad_id"]) == (True, True, "thanhtra", None)
    status = auditor.get("/audit/verification").get_json()
    assert status["checked"] is True and status["latest"]["id"] == first["id"] and status["latest"]["chain"] is None
    assert status["chains"] and all(c["ok"] and c["chain"] for c in status["chains"])

    api.as_("admin").get("/audit")  # the admin's token login is one more event after the check
    newest = auditor.get("/audit?per_page=1").get_json()["items"][0]["id"]
    as_dba(db)
    chain, seq = db.execute(text("UPDATE audit_events SET ip = '6.6.6.6' WHERE id = :id RETURNING chain, seq"),
                            {"id": newest}).one()
    db.commit()
    second = auditor.post("/audit/verification").get_json()
    assert (second["ok"], second["full"], second["first_bad_id"], second["first_bad_seq"]) == (
        False, False, newest, seq)
    assert f"id {newest}" in second["message"] and f"chuỗi {chain}" in second["message"]
    chains = {c["chain"]: c for c in auditor.get("/audit/verification").get_json()["chains"]}
    assert chains[chain]["ok"] is False and chains[chain]["first_bad_seq"] == seq


def test_csv_export_with_the_list_filters(api):
    api.client.post("/api/v1/auth/token", json={"username": "vanphong", "password": "sai"})
    auditor = api.as_("thanhtra")
    r = auditor.get("/audit/export.csv?actor=vanphong")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text_body = r.get_data().decode("utf-8")
    assert text_body.startswith("\ufeff")
    lines = text_body.lstrip("\ufeff").splitlines()
    assert len(lines) == 2 and "auth.login_failed" in lines[1] and "vanphong" in lines[1]
    assert auditor.get("/audit/export.csv?since=2999-01-01").get_data().decode("utf-8-sig").count("\n") == 1
    r = auditor.get("/audit/export.xlsx?action=auth.")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    assert auditor.get("/audit/export.csv?object_id=abc").status_code == 422
