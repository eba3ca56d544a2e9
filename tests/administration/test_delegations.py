"""Delegations of signing (issue 14, finding 10): the director grants a deputy "KT. GIÁM ĐỐC" for a period and ends
it, from the page and the API; each refusal in Vietnamese (another department's director, a non-director, a deputy
re-delegating, bad dates, an overlap, ending twice); audited; both people told; while it runs the deputy signs
"KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC" (the decision document, the page header) and not after it ends."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from test_documents import closed, issue, lines, open_docx  # noqa: F401 (closed: the fixture)

from models import AuditEvent, Delegation, Notification
from workflow import clock, documents, policy
from workflow.administration import accounts, delegations
from workflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflow.policy import actor_for
from workflow.reporting import audit_queries

TODAY = clock.today()  # the department's day (Asia/Ho_Chi_Minh), as the service reads it


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def vn(offset: int) -> str:
    return f"{TODAY + dt.timedelta(days=offset):%d/%m/%Y}"


def grant(db, demo, *, by="giamdoc", deputy="phogiamdoc", starts=0, ends=5) -> Delegation:
    return delegations.grant(db, demo.actor(by), {"deputy_id": demo.user(deputy).id, "starts_on": day(starts),
                                                  "ends_on": day(ends)})


def notes(db, demo, username: str, kind: str) -> list[Notification]:
    db.expire_all()
    return list(db.scalars(select(Notification).where(Notification.kind == kind,
                                                      Notification.user_id == demo.user(username).id)))


def audited(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.outcome == "ok")
                           .order_by(AuditEvent.id)))


# ------------------------------------------------------------------------------------------------ service
SIGNING = [("sign", "proposal"), ("issue_co_so", "decision"), ("recognize_co_so", "nomination"),
           ("reject_co_so", "nomination"), ("propose_nganh", "nomination"), ("chair", "council_session"),
           ("grant", "delegation")]


def signs(actor, verb, object_type, demo) -> policy.Decision:
    return policy.can(actor, verb, object_type, department_id=demo.unit("STP").id)


def test_the_deputy_holds_the_director_role_but_signs_only_while_the_delegation_runs(db, demo):
    deputy = demo.user("phogiamdoc")
    actor = actor_for(db, deputy)
    # CONTRACT.md: the director role (and its reading scope), no signing of their own.
    assert actor.has(policy.DIRECTOR) and actor.deputy and not actor.signs and actor.on_behalf_of is None
    assert policy.can(actor, "view", "nomination", department_id=demo.unit("STP").id)
    for verb, object_type in SIGNING:
        refused = signs(actor, verb, object_type, demo)
        assert not refused and refused.reasons[-1] == policy.UNDELEGATED_DEPUTY, (verb, object_type)
        assert signs(demo.actor("giamdoc"), verb, object_type, demo), (verb, object_type)
    d = grant(db, demo)
    assert delegations.state_of(d) == delegations.ACTIVE and d.deputy_title == "PHÓ GIÁM ĐỐC"
    actor = actor_for(db, deputy)
    assert actor.signs and actor.on_behalf_of.username == "giamdoc" and actor.delegation_title == "PHÓ GIÁM ĐỐC"
    assert signs(actor, "sign", "proposal", demo) and signs(actor, "issue_co_so", "decision", demo)
    delegations.end(db, demo.actor("giamdoc"), d.id)
    assert (d.ends_on, d.ended_by_id) == (TODAY, demo.user("giamdoc").id) and d.ended_at is not None
    assert delegations.state_of(d) == delegations.ENDED
    actor = actor_for(db, deputy)
    assert not actor.signs and actor.on_behalf_of is None  # at once, not at midnight
    assert not signs(actor, "sign", "proposal", demo) and not signs(actor, "issue_co_so", "decision", demo)
    with pytest.raises(Conflict) as err:
        delegations.end(db, demo.actor("giamdoc"), d.id)
    assert err.value.reasons == ["Ủy quyền đã được kết thúc trước đó; không thể kết thúc lần nữa."]


def test_a_future_delegation_is_upcoming_and_ending_it_cancels_it(db, demo):
    d = grant(db, demo, starts=3, ends=6)
    assert delegations.state_of(d) == delegations.UPCOMING
    assert not actor_for(db, demo.user("phogiamdoc")).signs
    delegations.end(db, demo.actor("giamdoc"), d.id)
    assert d.ends_on == TODAY + dt.timedelta(days=6) and delegations.state_of(d) == delegations.ENDED
    assert delegations.end_note(d) == "Đã hủy trước khi bắt đầu"
    # ... and no longer in force when its days come
    assert not policy.actor_for(db, demo.user("phogiamdoc"), TODAY + dt.timedelta(days=4)).signs
    # A cancelled or ended delegation does not block a new one for the same days.
    assert grant(db, demo, starts=3, ends=6).id != d.id


def test_a_delegation_whose_period_has_run_cannot_be_ended(db, demo):
    d = grant(db, demo, starts=0, ends=1)
    refusal = delegations.check_end(demo.actor("giamdoc"), d, TODAY + dt.timedelta(days=2))
    assert isinstance(refusal, Conflict) and refusal.reasons == [f"Thời gian ủy quyền đã hết từ sau ngày {vn(1)}."]


@pytest.mark.parametrize("who", ["vanphong", "hoidong1", "canbo1", "tp_hctp", "phogiamdoc", "admin", "thanhtra"])
def test_only_the_director_grants(db, demo, who):
    with pytest.raises(Forbidden) as err:
        grant(db, demo, by=who, deputy="hoidong2")
    reasons = ["Chỉ Giám đốc Sở được ủy quyền ký cho Phó Giám đốc của Sở mình."]
    assert err.value.reasons == reasons + ([policy.UNDELEGATED_DEPUTY] if who == "phogiamdoc" else [])
    assert db.scalar(select(Delegation.id)) is None


def test_another_departments_director_can_neither_grant_to_our_staff_nor_see_or_end_ours(db, demo):
    other = accounts.create_user(db, "gd_stp2", roles=["director"], password="stp2-pass-1", unit_code="STP2")
    actor = actor_for(db, other)
    with pytest.raises(ValidationFailed) as err:
        delegations.grant(db, actor, {"deputy_id": demo.user("phogiamdoc").id, "starts_on": day(0), "ends_on": day(3)})
    assert err.value.field_errors == {"deputy_id": "Người được ủy quyền phải là người có tài khoản thuộc Sở."}
    d = grant(db, demo)
    with pytest.raises(NotFound):
        delegations.end(db, actor, d.id)
    assert delegations.list_delegations(db, actor).total == 0
    assert d.ended_at is None


def test_a_deputy_under_delegation_may_not_delegate_again_nor_end_it(db, demo):
    d = grant(db, demo)
    deputy = actor_for(db, demo.user("phogiamdoc"))
    with pytest.raises(Forbidden) as err:
        delegations.grant(db, deputy, {"deputy_id": demo.user("hoidong2").id, "starts_on": day(0), "ends_on": day(1)})
    assert err.value.reasons == [delegations.NOT_REDELEGABLE]
    with pytest.raises(Forbidden):
        delegations.end(db, deputy, d.id)
    assert [o.code for o in delegations.available_actions(deputy, d)] == []
    assert [(o.code, o.allowed) for o in delegations.available_actions(demo.actor("giamdoc"), d)] == [("end", True)]


@pytest.mark.parametrize(("data", "errors"), [
    ({}, {"deputy_id", "starts_on", "ends_on"}),
    ({"starts_on": "31/02/2026", "ends_on": "x"}, {"deputy_id", "starts_on", "ends_on"}),
    ({"starts": 3, "ends": 2}, {"ends_on"}),
    ({"starts": -3, "ends": -1}, {"starts_on", "ends_on"}),
    ({"starts": -1, "ends": 2}, {"starts_on"}),
    ({"deputy": "giamdoc"}, {"deputy_id"}),
    ({"deputy": 999999}, {"deputy_id"}),
])
def test_bad_input_is_refused_field_by_field(db, demo, data, errors):
    if "starts" in data or "deputy" in data:
        deputy = data.get("deputy", "phogiamdoc")
        data = {"deputy_id": deputy if isinstance(deputy, int) else demo.user(deputy).id,
                "starts_on": day(data.get("starts", 0)), "ends_on": day(data.get("ends", 2))}
    with pytest.raises(ValidationFailed) as err:
        delegations.grant(db, demo.actor("giamdoc"), data)
    assert set(err.value.field_errors) == errors
    assert db.scalar(select(Delegation.id)) is None


def test_another_user_holding_the_director_role_cannot_be_the_deputy(db, demo):
    accounts.create_user(db, "gd2", roles=["director"], password="stp2-pass-1", unit_code="STP")
    with pytest.raises(ValidationFailed) as err:
        grant(db, demo, deputy="gd2")
    assert err.value.field_errors == {"deputy_id": "Người được ủy quyền không được là Giám đốc Sở."}
    assert "gd2" not in {u.username for u in delegations.deputy_choices(db, demo.actor("giamdoc"))}
    assert {"phogiamdoc", "vanphong"} <= {u.username for u in delegations.deputy_choices(db, demo.actor("giamdoc"))}


def test_a_deputy_director_can_be_the_deputy_and_a_head_director_cannot_be_made_one(db, demo):
    other = accounts.create_user(db, "pgd2", roles=["director"], password="stp2-pass-1", unit_code="STP", deputy=True)
    assert other.is_deputy and "pgd2" in {u.username for u in delegations.deputy_choices(db, demo.actor("giamdoc"))}
    with pytest.raises(ValidationFailed):
        accounts.create_user(db, "pgd3", roles=["staff"], password="stp2-pass-1", unit_code="STP", deputy=True)


def test_no_two_delegations_of_one_director_overlap(db, demo):
    grant(db, demo, starts=2, ends=6)
    for starts, ends, deputy in ((0, 2, "hoidong2"), (6, 9, "phogiamdoc"), (3, 4, "hoidong3"), (0, 10, "hoidong2")):
        with pytest.raises(ValidationFailed) as err:
            grant(db, demo, starts=starts, ends=ends, deputy=deputy)
        assert err.value.reasons == [f"Giám đốc Sở đã ủy quyền cho Lê Thị Phó từ {vn(2)} đến {vn(6)}: hãy chọn thời "
                                     "gian khác hoặc kết thúc ủy quyền đó trước."]
    assert grant(db, demo, starts=7, ends=8, deputy="hoidong2").deputy.username == "hoidong2"  # adjacent is fine
    assert grant(db, demo, starts=0, ends=1, deputy="hoidong3").deputy.username == "hoidong3"
    assert db.query(Delegation).count() == 3


def test_grant_and_end_are_audited_and_both_people_told(db, demo):
    d = grant(db, demo)
    (event,) = audited(db, "delegation.grant")
    assert (event.actor_username, event.object_type, event.object_id) == ("giamdoc", "delegation", d.id)
    expected = {"granted_by": "giamdoc", "deputy": "phogiamdoc", "deputy_id": d.deputy_id, "starts_on": day(0),
                "ends_on": day(5), "deputy_title": "PHÓ GIÁM ĐỐC"}
    assert {k: event.data.get(k) for k in expected} == expected
    assert event.chain == f"dept:{demo.unit('STP').id}"
    (to_deputy,) = notes(db, demo, "phogiamdoc", "delegation.granted")
    assert to_deputy.title == f"Anh/chị được ủy quyền ký thay Giám đốc Sở từ {vn(0)} đến {vn(5)}"
    assert to_deputy.link.endswith("/delegations")
    (to_director,) = notes(db, demo, "giamdoc", "delegation.granted")
    assert "Lê Thị Phó" in to_director.title
    assert not notes(db, demo, "vanphong", "delegation.granted")
    delegations.end(db, demo.actor("giamdoc"), d.id)
    (event,) = audited(db, "delegation.end")
    assert (event.data["ends_on_before"], event.data["ends_on"], event.data["cancelled"]) == (day(5), day(0), False)
    ended = [len(notes(db, demo, who, "delegation.ended")) for who in ("phogiamdoc", "giamdoc", "vanphong")]
    assert ended == [1, 1, 0]


def test_audit_labels_are_vietnamese():
    assert audit_queries.action_label("delegation.grant") == "Ủy quyền ký (KT. Giám đốc)"
    assert audit_queries.action_label("delegation.end") == "Kết thúc ủy quyền ký"
    assert audit_queries.OBJECT_TYPE_LABELS["delegation"] == "Ủy quyền ký"


# ------------------------------------------------------------------------------------------------ the signature
def test_the_deputy_signs_kt_giam_doc_while_it_runs_and_not_after_it_ends(db, demo, closed):  # noqa: F811
    deputy = demo.user("phogiamdoc")
    d = grant(db, demo)
    db.commit()
    signed = issue(db, actor_for(db, deputy), [closed.collective], 21)
    text = lines(open_docx(documents.decision_docx(db, signed)))
    kt = text.index("KT. GIÁM ĐỐC")
    assert text[kt + 1] == "PHÓ GIÁM ĐỐC" and "Lê Thị Phó" in text[kt + 2:]
    assert (signed.signer_id, signed.on_behalf_of_id) == (deputy.id, demo.user("giamdoc").id)
    delegations.end(db, demo.actor("giamdoc"), d.id)
    db.commit()
    with pytest.raises(Forbidden) as err:
        issue(db, actor_for(db, deputy), [closed.person], 22)
    assert policy.UNDELEGATED_DEPUTY in err.value.reasons
    signed = issue(db, demo.actor("giamdoc"), [closed.person], 22)
    text = lines(open_docx(documents.decision_docx(db, signed)))
    assert "KT. GIÁM ĐỐC" not in text and "PHÓ GIÁM ĐỐC" not in text and "GIÁM ĐỐC" in text


# ------------------------------------------------------------------------------------------------ API
def test_api_grant_list_and_end(api, demo, db):
    director, deputy = api.as_("giamdoc"), api.as_("phogiamdoc")
    r = director.post("/delegations", json={"deputy_id": demo.user("phogiamdoc").id, "starts_on": day(0),
                                            "ends_on": vn(3)})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["state"], body["state_label"], body["deputy"]["username"], body["ends_on"]) == (
        "active", "Đang hiệu lực", "phogiamdoc", day(3))
    assert [(a["action"], a["allowed"]) for a in body["available_actions"]] == [("end", True)]
    me = deputy.get("/me").get_json()
    assert me["roles"] == [policy.DIRECTOR] and me["signs"] and me["on_behalf_of"]["username"] == "giamdoc"
    for caller in (director, deputy, api.as_("thanhtra")):
        page = caller.get("/delegations").get_json()
        assert page["total"] == 1 and page["items"][0]["id"] == body["id"], caller.username
    assert api.as_("canbo1").get("/delegations").get_json()["total"] == 0
    r = deputy.post(f"/delegations/{body['id']}/end")
    assert r.status_code == 403 and r.get_json()["reasons"] == [delegations.NOT_REDELEGABLE]
    r = director.post(f"/delegations/{body['id']}/end")
    assert r.status_code == 200 and r.get_json()["state"] == "ended" and r.get_json()["ends_on"] == day(0)
    r = director.post(f"/delegations/{body['id']}/end")
    assert r.status_code == 409 and "problem+json" in r.content_type
    assert r.get_json()["detail"] == "Ủy quyền này đã kết thúc."
    me = deputy.get("/me").get_json()
    assert (me["roles"], me["deputy"], me["signs"], me["on_behalf_of"]) == ([policy.DIRECTOR], True, False, None)


@pytest.mark.parametrize(("who", "body", "status", "field"), [
    ("vanphong", {"starts_on": 0, "ends_on": 2}, 403, None),
    ("tp_stp2", {"starts_on": 0, "ends_on": 2}, 403, None),
    ("giamdoc", {"starts_on": 2, "ends_on": 1}, 422, "ends_on"),
    ("giamdoc", {"starts_on": -4, "ends_on": -2}, 422, "starts_on"),
    ("giamdoc", {"starts_on": "30/02/2026", "ends_on": 2}, 422, "starts_on"),
    ("giamdoc", {"ends_on": 2}, 422, "starts_on"),
])
def test_api_refusals(api, demo, db, who, body, status, field):
    data = {"deputy_id": demo.user("phogiamdoc").id,
            **{k: day(v) if isinstance(v, int) else v for k, v in body.items()}}
    r = api.as_(who).post("/delegations", json=data)
    assert r.status_code == status, r.get_json()
    assert "problem+json" in r.content_type and r.get_json()["detail"]
    if field:
        assert field in str(r.get_json())
    assert db.scalar(select(Delegation.id)) is None


def test_api_overlap_and_unknown_ids(api, demo, db):
    director = api.as_("giamdoc")
    assert director.post("/delegations", json={"deputy_id": demo.user("phogiamdoc").id, "starts_on": day(0),
                                               "ends_on": day(3)}).status_code == 201
    r = director.post("/delegations", json={"deputy_id": demo.user("hoidong2").id, "starts_on": day(3),
                                            "ends_on": day(4)})
    assert r.status_code == 422 and "trùng" in r.get_json()["detail"]
    assert director.post("/delegations", json={"deputy_id": "5", "starts_on": day(5),
                                               "ends_on": day(6)}).status_code == 422
    assert director.post("/delegations/987654/end").status_code == 404
    assert api.as_("tp_stp2").post("/delegations/1/end").status_code == 404


# ------------------------------------------------------------------------------------------------ pages
def test_page_grant_header_and_end_with_confirmation(client, login, demo, db):
    login("giamdoc")
    page = client.get("/delegations").get_data(as_text=True)
    assert "Ủy quyền mới" in page and "Chưa có ủy quyền nào." in page and "Lê Thị Phó (phogiamdoc)" in page
    r = client.post("/delegations", data={"deputy_id": str(demo.user("phogiamdoc").id), "starts_on": vn(0),
                                          "ends_on": vn(0)})
    assert r.status_code == 302
    page = client.get("/delegations").get_data(as_text=True)
    assert "Đang hiệu lực" in page and "Kết thúc ủy quyền" in page
    d = db.scalar(select(Delegation))

    login("phogiamdoc")
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="signing-as"' in home and "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC" in home
    page = client.get("/delegations").get_data(as_text=True)
    assert "Ủy quyền mới" not in page and 'data-testid="delegated-now"' in page
    assert f"/delegations/{d.id}/end" not in page

    login("giamdoc")
    r = client.post(f"/delegations/{d.id}/end", data={})
    assert r.status_code == 422 and "Vui lòng đánh dấu ô xác nhận" in r.get_data(as_text=True)
    db.refresh(d)
    assert d.ended_at is None
    r = client.post(f"/delegations/{d.id}/end", data={"confirm": "yes"})
    assert r.status_code == 302
    r = client.post(f"/delegations/{d.id}/end", data={"confirm": "yes"})
    assert r.status_code == 409 and "không thể kết thúc lần nữa" in r.get_data(as_text=True)
    assert "Đã kết thúc" in client.get("/delegations").get_data(as_text=True)

    login("phogiamdoc")
    assert 'data-testid="signing-as"' not in client.get("/").get_data(as_text=True)


def test_page_refusals_in_vietnamese(client, login, demo, db):
    login("giamdoc")
    r = client.post("/delegations", data={"deputy_id": str(demo.user("phogiamdoc").id), "starts_on": vn(3),
                                          "ends_on": vn(1)})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Ngày kết thúc không được trước ngày bắt đầu." in page
    r = client.post("/delegations", data={"deputy_id": "", "starts_on": "", "ends_on": ""})
    assert r.status_code == 422
    login("vanphong")
    r = client.post("/delegations", data={"deputy_id": str(demo.user("phogiamdoc").id), "starts_on": vn(0),
                                          "ends_on": vn(1)})
    assert r.status_code == 403 and "Chỉ Giám đốc Sở được ủy quyền ký" in r.get_data(as_text=True)
    page = client.get("/delegations").get_data(as_text=True)
    assert "Ủy quyền mới" not in page
    assert db.scalar(select(Delegation.id)) is None


def test_seed_demo_has_the_deputy_director(db, demo):
    deputy = demo.user("phogiamdoc")
    assert (deputy.role_codes, deputy.is_deputy, deputy.department_id, deputy.full_name) == (
        {"director"}, True, demo.unit("STP").id, "Lê Thị Phó")
    assert not demo.user("giamdoc").is_deputy
    assert deputy.email == "phogiamdoc@dienhinh.test"


def test_the_deputy_without_a_delegation_is_refused_signing_by_page_and_api_then_signs_kt_with_one(
        client, login, api, demo, db, closed):  # noqa: F811
    """CONTRACT.md: `phogiamdoc` holds the director role (as `/me` says) but signs nothing of their own."""
    deputy = api.as_("phogiamdoc")
    me = deputy.get("/me").get_json()
    assert (me["roles"], me["role_labels"], me["deputy"], me["signs"]) == (
        ["director"], ["Phó Giám đốc Sở"], True, False)
    body = {"level": "co_so", "number": 31, "date": TODAY.isoformat(), "nomination_ids": [closed.collective.id],
            "session_id": closed.session.id}
    r = deputy.post("/decisions", json=body)
    assert r.status_code == 403 and policy.UNDELEGATED_DEPUTY in r.get_json()["reasons"]
    login("phogiamdoc")
    r = client.get(f"/decisions/new?session={closed.session.id}")
    assert r.status_code == 403 and "chỉ ký khi được Giám đốc Sở ủy quyền" in r.get_data(as_text=True)
    grant(db, demo)
    db.commit()
    r = deputy.post("/decisions", json=body)
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["signer"]["username"], r.get_json()["on_behalf_of"]["username"],
            r.get_json()["signer_title"]) == ("phogiamdoc", "giamdoc", "PHÓ GIÁM ĐỐC")
    assert client.get(f"/decisions/new?session={closed.session.id}").status_code == 200


def test_admin_sees_and_keeps_the_deputy_flag_and_makes_or_unmakes_a_deputy(client, login, db, demo):
    """The admin's user page shows the deputy director as such, an edit keeps it, and turning it off is audited."""
    login("admin")
    deputy = demo.user("phogiamdoc")
    page = client.get(f"/admin/users/{deputy.id}").get_data(as_text=True)
    assert 'name="deputy" value="yes" id="f-deputy" checked' in page and "Phó Giám đốc Sở" in page
    form = {"full_name": deputy.full_name, "roles": ["director", "council_member"], "unit_id": str(deputy.unit_id),
            "active": "on", "deputy": "yes"}
    assert client.post(f"/admin/users/{deputy.id}", data=form).status_code == 302
    db.expire_all()
    assert demo.user("phogiamdoc").is_deputy and demo.user("phogiamdoc").role_codes == {"director", "council_member"}
    r = client.post(f"/admin/users/{deputy.id}", data={**form, "roles": ["staff"]})
    assert r.status_code == 422 and "Phó Giám đốc Sở phải có vai trò Giám đốc Sở." in r.get_data(as_text=True)
    assert client.post(f"/admin/users/{deputy.id}", data={k: v for k, v in form.items() if k != "deputy"}
                       ).status_code == 302
    db.expire_all()
    assert not demo.user("phogiamdoc").is_deputy
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "admin.user_update")
                       .order_by(AuditEvent.id.desc())).first()
    assert event.data["changes"]["deputy"] == {"before": True, "after": False}
    r = client.post("/admin/users/new", data={"username": "pgd_moi", "full_name": "Phó Giám đốc mới",
                                              "roles": ["director"], "unit_id": str(demo.unit("STP").id),
                                              "password": "mat-khau-moi-1", "active": "on", "deputy": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)
    db.expire_all()
    assert demo.user("pgd_moi").is_deputy and not actor_for(db, demo.user("pgd_moi")).signs
