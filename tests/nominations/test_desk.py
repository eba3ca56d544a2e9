"""The secretariat's desk (issue 14, finding 6): an explicit "Tiếp nhận hồ sơ" with the completeness checklist, or a
return with a reason pinned at the top of the dossier; a resubmission marked as such. Through the service, the API
and the pages, with the adversaries (the unit head, another department, a double accept, a stale version)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from factories import NOW, history, notified, ok, refused, schedule, submitted, unit_head, user
from sqlalchemy import select

from models import AuditEvent, Notification, StateChange
from workflow.council import operations as council
from workflow.errors import Conflict, Forbidden, NotFound, StaleVersion
from workflow.labels import step_label
from workflow.nominations import desk, queries, rules, service


def _accept(db, demo, n, username="vanphong", **kw):
    return service.accept_nomination(db, demo.actor(username), n.id, n.version, **kw)


def _offered(db, demo, username, n) -> dict:
    return {o.code: o for o in service.available_actions(db, demo.actor(username), n)}


# ------------------------------------------------------------------------------------------------ the service
def test_accept_records_history_audit_and_tells_the_unit(db, demo):
    n = submitted(db, demo, "tp_hctp", unit="HCTP")
    version = n.version
    assert n.accepted_at is None and "accept" in _offered(db, demo, "vanphong", n)
    assert _offered(db, demo, "vanphong", n)["accept"].allowed
    n = _accept(db, demo, n, comment="Đủ thành phần")
    assert (n.state, n.version, n.accepted_by_id) == ("submitted", version + 1, demo.user("vanphong").id)
    [row] = history(db, n, "accept")
    assert (row.from_state, row.to_state, row.version, row.comment) == ("submitted", "submitted", version + 1,
                                                                        "Đủ thành phần")
    assert step_label(row.action, row.data) == "Tiếp nhận hồ sơ"
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "nomination.accept")).one()
    assert audit.object_id == n.id and audit.data["via_agenda"] is False
    assert notified(db, demo, "nomination.accept") == {"tp_hctp"}
    assert "accept" not in _offered(db, demo, "vanphong", n)  # accepted once: not offered again


def test_only_the_secretariat_of_the_department_accepts_and_only_once(db, demo):
    n = submitted(db, demo, "tp_hctp", unit="HCTP")
    assert "accept" not in _offered(db, demo, "tp_hctp", n)  # the unit never accepts its own dossier
    with pytest.raises(Forbidden):
        _accept(db, demo, n, "tp_hctp")
    with pytest.raises(Forbidden):
        _accept(db, demo, n, "giamdoc")
    user(db, "vp_stp2", ["secretariat"], "STP2")
    with pytest.raises(NotFound):  # another department's secretariat does not even see it
        _accept(db, demo, n, "vp_stp2")
    with pytest.raises(StaleVersion) as stale:
        service.accept_nomination(db, demo.actor("vanphong"), n.id, n.version - 1)
    assert stale.value.current_version == n.version
    n = _accept(db, demo, n)
    with pytest.raises(Conflict):  # a double submit of the accept form
        _accept(db, demo, n)
    assert len(history(db, n, "accept")) == 1


def test_a_dossier_not_submitted_is_not_accepted(db, demo):
    n = submitted(db, demo, "tp_hctp", unit="HCTP")
    n = service.transition(db, demo.actor("vanphong"), n.id, "return_for_revision", n.version, reason="Thiếu")
    with pytest.raises(Conflict):
        _accept(db, demo, n)
    assert "accept" not in _offered(db, demo, "vanphong", n)


def test_the_checklist_is_the_rules_one(db, demo):
    n = submitted(db, demo, "tp_hctp", unit="HCTP")
    items = rules.dossier_checklist(n)
    assert items and all(i.ok for i in items)
    assert [i.gap for i in items if not i.ok] == rules.dossier_gaps(n) == []


def test_a_return_is_pinned_clears_the_acceptance_and_the_resubmission_is_marked(db, demo):
    n = submitted(db, demo, "tp_hctp", unit="HCTP")
    n = _accept(db, demo, n)
    n = service.transition(db, demo.actor("vanphong"), n.id, "return_for_revision", n.version,
                           reason="Bổ sung minh chứng tiêu chí 3")
    assert (n.state, n.accepted_at, n.accepted_by_id) == ("nurtured", None, None)
    detail = queries.load_detail(db, demo.actor("tp_hctp"), n.id)
    pinned = desk.latest_return(detail, queries.history_users(db, detail))
    assert pinned.reason == "Bổ sung minh chứng tiêu chí 3" and pinned.author == demo.user("vanphong").full_name
    n = service.transition(db, demo.actor("tp_hctp"), n.id, "submit", n.version)
    [first, again] = history(db, n, "submit")
    assert first.data.get("resubmission") is None and again.data["resubmission"] == "1"
    assert step_label("submit", first.data) == "Trình Hội đồng xét"
    assert step_label("submit", again.data) == "Nộp lại hồ sơ"
    titles = db.scalars(select(Notification.title).where(Notification.kind == "nomination.submit")
                        .order_by(Notification.id)).all()
    assert titles[0].startswith("Trình Hội đồng xét:") and titles[-1].startswith("Nộp lại hồ sơ:")
    detail = queries.load_detail(db, demo.actor("tp_hctp"), n.id)
    assert desk.latest_return(detail, {}) is None  # resubmitted: no longer pinned
    assert _offered(db, demo, "vanphong", n)["accept"].allowed  # the new submission is accepted again


def test_setting_the_agenda_records_the_acceptance_explicitly(db, demo):
    """CONTRACT.md's flow puts submitted dossiers on an agenda without an accept call: the agenda keeps taking them,
    and the acceptance is recorded explicitly (history, audit, the unit told) for those not accepted yet."""
    waiting = submitted(db, demo, "tp_hctp", unit="HCTP")
    checked = _accept(db, demo, submitted(db, demo, unit_head(db, demo, "PTP-LX"), unit="PTP-LX"))
    schedule(db, demo, [waiting, checked], publish=False)
    [row] = history(db, waiting, "accept")
    assert row.data == {"checklist": "complete", "via": "agenda"} and waiting.accepted_at is not None
    assert len(history(db, checked, "accept")) == 1  # not accepted twice
    audits = db.scalars(select(AuditEvent).where(AuditEvent.action == "nomination.accept")
                        .order_by(AuditEvent.id)).all()
    assert [(a.object_id, a.data["via_agenda"]) for a in audits] == [(checked.id, False), (waiting.id, True)]


# ------------------------------------------------------------------------------------------------ the API
@pytest.fixture
def waiting(db, demo):
    n = submitted(db, demo, "tp_pbgdpl", unit="PBGDPL")
    db.commit()
    return n.id, n.version


def test_api_accept(api, waiting):
    nid, version = waiting
    before = ok(api.as_("vanphong").get(f"/nominations/{nid}"))
    offered = {a["action"]: a for a in before["available_actions"]}
    assert offered["accept"]["allowed"] and offered["accept"]["label"] == "Tiếp nhận hồ sơ"
    assert before["accepted"] is None and before["return_reason"] is None
    assert "accept" not in {a["action"] for a in ok(api.as_("tp_pbgdpl").get(f"/nominations/{nid}"))
                            ["available_actions"]}
    refused(api.as_("tp_pbgdpl").post(f"/nominations/{nid}/accept", json={"version": version}), 403)
    refused(api.as_("vanphong").post(f"/nominations/{nid}/accept", json={}), 422)
    stale = refused(api.as_("vanphong").post(f"/nominations/{nid}/accept", json={"version": version - 1}), 409)
    assert stale["current_version"] == version and "phiên bản" not in stale["detail"].lower()
    body = ok(api.as_("vanphong").post(f"/nominations/{nid}/accept", json={"version": version, "comment": "Đủ"}))
    assert body["state"] == "submitted" and body["version"] == version + 1
    assert body["accepted"]["author"] and body["history"][-1]["action_label"] == "Tiếp nhận hồ sơ"
    assert "accept" not in {a["action"] for a in body["available_actions"]}
    refused(api.as_("vanphong").post(f"/nominations/{nid}/accept", json={"version": version + 1}), 409)


def test_api_accept_through_transitions_as_available_actions_offer_it(api, waiting):
    """A client firing what `available_actions` lists through /transitions gets the same accept."""
    nid, version = waiting
    body = ok(api.as_("vanphong").post(f"/nominations/{nid}/transitions", json={"action": "accept",
                                                                                "version": version}))
    assert body["accepted"] is not None and body["history"][-1]["action"] == "accept"


def test_api_return_reason_and_resubmission(api, waiting):
    nid, version = waiting
    body = ok(api.as_("vanphong").post(f"/nominations/{nid}/transitions", json={
        "action": "return_for_revision", "version": version, "reason": "Thiếu báo cáo năm"}))
    assert body["return_reason"]["reason"] == "Thiếu báo cáo năm" and body["return_reason"]["author"]
    assert ok(api.as_("tp_pbgdpl").get(f"/nominations/{nid}"))["return_reason"]["reason"] == "Thiếu báo cáo năm"
    body = ok(api.as_("tp_pbgdpl").post(f"/nominations/{nid}/transitions", json={
        "action": "submit", "version": body["version"]}))
    assert body["return_reason"] is None
    assert [h["action_label"] for h in body["history"]][-1] == "Nộp lại hồ sơ"
    assert body["history"][-1]["data"]["resubmission"] == "1"


# ------------------------------------------------------------------------------------------------ the pages
def test_page_accept_with_the_checklist(client, login, waiting):
    nid, version = waiting
    login("vanphong")
    page = client.get(f"/nominations/{nid}").get_data(as_text=True)
    card = re.search(r'data-action="accept".*?</div>\s*</div>', page, re.S).group(0)
    assert "Danh mục kiểm tra thành phần hồ sơ" in card and "Báo cáo thành tích" in card
    assert f'action="/nominations/{nid}/accept"' in card
    assert 'data-testid="not-accepted"' in page
    r = client.post(f"/nominations/{nid}/accept", data={"version": str(version), "comment": "Đủ thành phần"})
    assert r.status_code == 302
    page = client.get(f"/nominations/{nid}").get_data(as_text=True)
    assert 'data-testid="accepted"' in page and "Văn phòng Sở đã tiếp nhận hồ sơ" in page
    assert "Tiếp nhận hồ sơ" in page and 'data-action="accept"' not in page
    login("tp_pbgdpl")
    r = client.post(f"/nominations/{nid}/accept", data={"version": str(version + 1)})
    assert r.status_code == 403


def test_page_pins_the_return_reason_at_the_top(client, login, db, demo, waiting):
    nid, version = waiting
    login("vanphong")
    r = client.post(f"/nominations/{nid}/transition", data={"action": "return_for_revision", "version": str(version),
                                                            "reason": "Bổ sung số liệu năm 2025"})
    assert r.status_code == 302
    login("tp_pbgdpl")
    page = client.get(f"/nominations/{nid}").get_data(as_text=True)
    pinned = re.search(r'data-testid="return-reason".*?</div>', page, re.S)
    assert pinned and "Bổ sung số liệu năm 2025" in pinned.group(0)
    assert demo.user("vanphong").full_name in pinned.group(0)
    assert page.index('data-testid="return-reason"') < page.index('id="h-lifecycle"')  # above the stepper
    r = client.post(f"/nominations/{nid}/transition", data={"action": "submit", "version": str(version + 1),
                                                            "confirm": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    page = client.get(f"/nominations/{nid}").get_data(as_text=True)
    assert 'data-testid="return-reason"' not in page and "Nộp lại hồ sơ" in page


def test_agenda_candidates_show_which_are_accepted(client, login, db, demo):
    accepted = _accept(db, demo, submitted(db, demo, "tp_hctp", unit="HCTP"))
    waiting = submitted(db, demo, unit_head(db, demo, "PTP-LX"), unit="PTP-LX")
    s = council.schedule(db, demo.actor("vanphong"), title="Phiên họp", date=NOW.date() + dt.timedelta(days=30),
                         campaign_id=demo.campaign().id, now=NOW)
    db.commit()
    login("vanphong")
    page = client.get(f"/council/sessions/{s.id}").get_data(as_text=True)
    row = {m.group(1): m.group(0) for m in re.finditer(r'id="agenda-(\d+)".*?</label>', page, re.S)}
    assert 'data-testid="accepted"' in row[str(accepted.id)]
    assert 'data-testid="not-accepted"' in row[str(waiting.id)]
    assert 'data-testid="agenda-accept-note"' in page
    assert db.scalar(select(StateChange.id).where(StateChange.nomination_id == waiting.id,
                                                  StateChange.action == "accept")) is None


def _checklist_as_defined(n) -> list:
    """The completeness checklist built line by line from its definition (what `rules.dossier_checklist` did before
    its items were made once): the reference the kept items are compared with."""
    items = [rules.ChecklistItem("Nội dung thành tích", bool((n.achievements or "").strip()),
                                 "Chưa nhập nội dung thành tích."),
             rules.ChecklistItem("Báo cáo thành tích (tệp đính kèm)",
                                 any(a.kind == "achievement_report" for a in n.attachments),
                                 "Chưa đính kèm báo cáo thành tích.")]
    answers = {a.code: a for a in n.criteria}
    for c in rules.CRITERIA:
        if n.subject_type not in c.subject_types or n.campaign.kind not in c.campaign_kinds:
            continue
        a = answers.get(c.code)
        if a is None or a.met is None:
            items.append(rules.ChecklistItem(f"Tiêu chí: {c.label}", False, f"Chưa trả lời tiêu chí: {c.label}."))
        else:
            items.append(rules.ChecklistItem(f"Tiêu chí: {c.label}", bool(a.met),
                                             "" if a.met else f"Tiêu chí được khai là chưa đạt: {c.label}."))
    return [i if not i.ok else rules.ChecklistItem(i.label, True) for i in items]


def test_the_checklists_kept_lines_are_its_definitions_for_every_kind_of_dossier_and_answer():
    """`dossier_checklist` hands out lines made once per kind of dossier (issue 13: a detail asked for it two or three
    times, ~10 objects each): for every subject type × campaign kind × achievements × report × each criterion not
    answered, answered as met or not met (and one answered twice), the same lines, gaps and order as built from the
    definition, and `dossier_gaps` their gaps."""
    from types import SimpleNamespace as NS

    checked = 0
    for subject_type in ("collective", "individual"):
        for kind in ("annual", "period", "thematic", "peak"):
            codes = [c.code for c in rules.criteria_for(subject_type, kind)]
            answers = [None, True, False, "absent"]
            for achievements in (None, "", "  ", "Thành tích"):
                for report in ((), ("other",), ("achievement_report",), ("other", "achievement_report")):
                    for shift in range(len(answers)):  # each criterion in each of the four answers, in turn
                        criteria = [NS(code=code, met=answers[(i + shift) % 4]) for i, code in enumerate(codes)
                                    if answers[(i + shift) % 4] != "absent"]
                        if criteria:  # a code answered twice: the last answer counts
                            criteria.insert(0, NS(code=criteria[-1].code, met=not criteria[-1].met))
                        n = NS(subject_type=subject_type, campaign=NS(kind=kind), achievements=achievements,
                               attachments=[NS(kind=k) for k in report], criteria=criteria)
                        expected = _checklist_as_defined(n)
                        assert rules.dossier_checklist(n) == expected
                        assert rules.dossier_gaps(n) == [i.gap for i in expected if not i.ok]
                        checked += 1
    assert checked == 2 * 4 * 4 * 4 * 4
