"""Proposals and the Ministry through their pages (issue 4): the secretariat drafts a Tờ trình from cơ sở examples
(an ineligible one refused with the rule named), the director signs and submits it (items become "Đã đề nghị cấp
ngành", the proposal is locked, a second submit is a conflict), strangers are kept out; the Ministry's reviewer sees
it in /ministry, recognises one item with the Minister's decision and refuses another with a reason, and the
department sees both outcomes."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select
from test_council_flow import MEMBERS, open_session, submitted

from models import Nomination, Proposal
from web.filters import TZ
from workflow import clock
from workflow.council import operations as council
from workflow.nominations import service
from workflow.proposals import decisions

TODAY = clock.today()


@pytest.fixture
def examples(db, demo, tmp_path):
    """Two cơ sở examples of STP (HCTP and PBGDPL, one council session, one director's decision) and a dossier
    marked as a cơ sở example without any recognition on record (the ngành rule fails for it)."""
    campaign = demo.campaign()
    campaign.quota_collective = 5
    a = submitted(db, demo, tmp_path, "tp_hctp", "HCTP", "Phòng Hành chính tư pháp")
    b = submitted(db, demo, tmp_path, "tp_pbgdpl", "PBGDPL", "Phòng Phổ biến giáo dục pháp luật")
    s = open_session(db, demo, [a, b])
    for u in MEMBERS:
        for n in (a, b):
            if not council.recusal_reason(demo.user(u), n):
                council.cast_vote(db, demo.actor(u), s.id, nomination_id=n.id, choice="agree")
    council.close_session(db, demo.actor("giamdoc"), s.id)
    decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=1, date=TODAY, nomination_ids=[a.id, b.id])
    c = service.create_nomination(db, demo.actor("vanphong"), campaign_id=campaign.id, subject_type="collective",
                                  unit_id=demo.unit("TGPL").id, title="Trung tâm Trợ giúp pháp lý",
                                  achievements="Thành tích")
    c.state = "evaluated_co_so"
    db.commit()
    assert (a.state, b.state) == ("evaluated_co_so", "evaluated_co_so")
    return a.id, b.id, c.id


def state_of(db, nid: int) -> str:
    return db.scalar(select(Nomination.state).where(Nomination.id == nid))


def card(page: str, key: str) -> str:
    match = re.search(rf'data-card="{key}".*?</section>', page, re.S)
    return match.group(0) if match else ""


def item(page: str, nid: int) -> str:
    match = re.search(rf'<li[^>]*id="muc-{nid}".*?</li>\s*(?=<li|</ol>|</ul>)', page, re.S)
    assert match, f"no item {nid}"
    return match.group(0)


def drafted(client, login, ids) -> int:
    login("vanphong")
    r = client.post("/proposals/new", data={"nomination_ids": [str(i) for i in ids]})
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(re.search(r"/proposals/(\d+)$", r.location).group(1))


def signed(client, login, pid: int, number: str = "46") -> None:
    login("giamdoc")
    r = client.post(f"/proposals/{pid}/submit", data={"number": number, "date": TODAY.strftime("%d/%m/%Y"),
                                                      "confirm": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)


# ------------------------------------------------------------------------------------------------ the department
def test_secretariat_drafts_with_eligible_items_and_ineligible_ones_are_refused(client, login, db, examples):
    a, b, c = examples
    login("vanphong")
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'data-testid="count">3<', card(home, "proposal_candidates"))
    assert 'href="/proposals"' in home and "Tờ trình" in home

    page = client.get("/proposals/new").get_data(as_text=True)
    assert "Phòng Hành chính tư pháp" in page and "Trung tâm Trợ giúp pháp lý" in page
    assert "✓" in item(page, a) and "Đã được công nhận điển hình tiên tiến cấp cơ sở trong năm" in item(page, a)
    refused = item(page, c)
    assert "disabled" in refused and "✗" in refused and "Chưa được công nhận điển hình tiên tiến cấp cơ sở" in refused
    assert "evaluated_co_so" not in page

    r = client.post("/proposals/new", data={"nomination_ids": [str(a), str(c)]})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "Không lập được tờ trình" in text
    assert "Đã được công nhận điển hình tiên tiến cấp cơ sở trong năm" in text  # the rule is named
    assert client.post("/proposals/new", data={}).status_code == 422
    assert db.scalar(select(Proposal)) is None

    pid = drafted(client, login, [a, b])
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "Dự thảo" in page and "Sửa danh sách đề nghị" in page
    assert "Ký và trình Bộ" not in page  # the secretariat does not sign
    assert client.post(f"/proposals/{pid}/items", data={"nomination_ids": [str(a)]}).status_code == 302
    assert client.post(f"/proposals/{pid}/items", data={"nomination_ids": [str(c)]}).status_code == 422
    assert client.post(f"/proposals/{pid}/items", data={"nomination_ids": [str(a), str(b)]}).status_code == 302
    r = client.post(f"/proposals/{pid}/submit", data={"number": "46", "date": TODAY.strftime("%d/%m/%Y"),
                                                      "confirm": "yes"})
    assert r.status_code == 403
    assert state_of(db, a) == "evaluated_co_so"

    listing = client.get("/proposals?state=draft").get_data(as_text=True)
    assert f"/proposals/{pid}" in listing and "Sở Tư pháp tỉnh An Giang" in listing
    assert f"/proposals/{pid}" not in client.get("/proposals?state=submitted").get_data(as_text=True)


def test_director_signs_and_submits_then_the_proposal_is_locked(client, login, db, examples):
    a, b, _ = examples
    pid = drafted(client, login, [a, b])
    login("giamdoc")
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'data-testid="count">1<', card(home, "proposals_to_sign"))
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    local_today = dt.datetime.now(TZ).date()  # the form is prefilled with today in Asia/Ho_Chi_Minh
    assert "Ký và trình Bộ" in page and 'value="1"' in page and local_today.strftime("%d/%m/%Y") in page
    assert "2 hồ sơ sẽ chuyển sang “Đã đề nghị cấp ngành”; tờ trình bị khóa" in page
    assert "Sửa danh sách đề nghị" not in page

    r = client.post(f"/proposals/{pid}/submit", data={"number": "46", "date": TODAY.strftime("%d/%m/%Y")})
    assert r.status_code == 422 and "xác nhận" in r.get_data(as_text=True)
    r = client.post(f"/proposals/{pid}/submit", data={"number": "46/TTr-XYZ", "date": TODAY.strftime("%d/%m/%Y"),
                                                      "confirm": "yes"})
    assert r.status_code == 422 and "Ký hiệu tờ trình không đúng" in r.get_data(as_text=True)
    assert 'value="46/TTr-XYZ"' in r.get_data(as_text=True)  # what was typed is kept
    assert state_of(db, a) == "evaluated_co_so"

    signed(client, login, pid)
    assert (state_of(db, a), state_of(db, b)) == ("proposed_nganh", "proposed_nganh")
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "Tờ trình số 46/TTr-STP" in page and "Đã trình Bộ" in page and 'data-testid="locked"' in page
    assert "Đã đề nghị cấp ngành" in item(page, a)
    assert "Ký và trình Bộ</button>" not in page
    r = client.post(f"/proposals/{pid}/submit", data={"number": "47", "date": TODAY.strftime("%d/%m/%Y"),
                                                      "confirm": "yes"})
    assert r.status_code == 409
    login("vanphong")
    assert client.post(f"/proposals/{pid}/items", data={"nomination_ids": [str(a)]}).status_code == 409


def test_strangers_do_not_see_proposals(client, login, examples):
    a, b, _ = examples
    pid = drafted(client, login, [a])
    for username in ("tp_hctp", "tp_stp2"):
        login(username)
        assert client.get("/proposals").status_code == 403
        assert client.get(f"/proposals/{pid}").status_code == 404
        assert client.get("/proposals/new").status_code == 403
        assert "Tờ trình</a>" not in client.get("/").get_data(as_text=True)
    login("botp")
    assert client.get(f"/proposals/{pid}").status_code == 404  # a draft is not the Ministry's
    assert client.get(f"/ministry/proposals/{pid}").status_code == 404
    login("tp_hctp")
    assert client.get("/ministry").status_code == 403


# ------------------------------------------------------------------------------------------------ the Ministry
def test_ministry_recognises_one_item_and_refuses_another(client, login, db, examples):
    a, b, _ = examples
    pid = drafted(client, login, [a, b])
    signed(client, login, pid)

    login("botp")
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'data-testid="count">2<', card(home, "ministry_awaiting"))
    assert "Sở Tư pháp tỉnh An Giang" in card(home, "ministry_awaiting")
    assert "Bộ Tư pháp — Xét công nhận" in home
    listing = client.get("/ministry").get_data(as_text=True)
    assert "46/TTr-STP" in listing and "Sở Tư pháp tỉnh An Giang" in listing and "2 chờ" in listing
    stp2 = db.scalar(select(Nomination.department_id).where(Nomination.id == a)) + 10_000
    assert "46/TTr-STP" not in client.get(f"/ministry?department={stp2}").get_data(as_text=True)
    page = client.get(f"/ministry/proposals/{pid}").get_data(as_text=True)
    assert f'/nominations/{a}"' in page and "Công nhận</button>" in page and "Không công nhận</button>" in page

    # A refusal needs a reason: 422 with the message beside the form, nothing changes.
    version = db.scalar(select(Nomination.version).where(Nomination.id == b))
    r = client.post(f"/ministry/proposals/{pid}/reject", data={"nomination_id": str(b), "version": str(version),
                                                               "reason": "  ", "confirm": "yes"})
    assert r.status_code == 422
    assert "Vui lòng nêu lý do không công nhận" in r.get_data(as_text=True)
    assert state_of(db, b) == "proposed_nganh"

    r = client.post(f"/ministry/proposals/{pid}/recognize",
                    data={"nomination_ids": [str(a)], "number": "100/QĐ-BTP", "date": TODAY.strftime("%d/%m/%Y")})
    assert r.status_code == 422  # not confirmed
    r = client.post(f"/ministry/proposals/{pid}/recognize",
                    data={"nomination_ids": [str(a)], "number": "100/QĐ-BTP", "date": TODAY.strftime("%d/%m/%Y"),
                          "confirm": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert state_of(db, a) == "recognized"
    r = client.post(f"/ministry/proposals/{pid}/reject", data={"nomination_id": str(b), "version": str(version),
                                                               "reason": "Thành tích chưa tiêu biểu toàn ngành",
                                                               "confirm": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert state_of(db, b) == "evaluated_co_so"
    page = client.get(f"/ministry/proposals/{pid}").get_data(as_text=True)
    assert "Tất cả hồ sơ của tờ trình đã có kết quả" in page
    assert "Đã xét xong" in client.get("/ministry").get_data(as_text=True)
    # An item already decided cannot be ticked again.
    r = client.post(f"/ministry/proposals/{pid}/recognize",
                    data={"nomination_ids": [str(b)], "number": "100", "date": TODAY.strftime("%d/%m/%Y"),
                          "confirm": "yes"})
    assert r.status_code == 422

    decision = re.search(r'/decisions/(\d+)/list.xlsx', page)
    assert decision, "the recognised item links to the decision's list"
    r = client.get(f"/decisions/{decision.group(1)}/list.xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK" and "spreadsheetml" in r.mimetype

    login("vanphong")
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "Điển hình ngành Tư pháp" in item(page, a) and "100/QĐ-BTP" in item(page, a)
    refused = item(page, b)
    assert "Không công nhận cấp ngành" in refused and "Thành tích chưa tiêu biểu toàn ngành" in refused
    assert "recognized" not in page and "proposed_nganh" not in page
    # The refused item may be proposed again.
    assert re.search(r'data-testid="count">2<', card(client.get("/").get_data(as_text=True), "proposal_candidates"))


def test_only_the_ministry_records_decisions(client, login, examples):
    a, b, _ = examples
    pid = drafted(client, login, [a])
    signed(client, login, pid)
    login("thanhtra")
    page = client.get(f"/ministry/proposals/{pid}").get_data(as_text=True)
    assert "Công nhận</button>" not in page and "Không công nhận</button>" not in page
    r = client.post(f"/ministry/proposals/{pid}/recognize",
                    data={"nomination_ids": [str(a)], "number": "100", "date": TODAY.strftime("%d/%m/%Y"),
                          "confirm": "yes"})
    assert r.status_code == 403
    login("giamdoc")
    assert client.get("/ministry").status_code == 403


def test_documents_of_a_proposal(client, login, examples):
    a, b, _ = examples
    pid = drafted(client, login, [a, b])
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert f"/proposals/{pid}/document" in page and f"/proposals/{pid}/list.xlsx" in page
    signed(client, login, pid)
    for username in ("vanphong", "giamdoc", "botp"):
        login(username)
        r = client.get(f"/proposals/{pid}/document")
        assert r.status_code == 200 and r.data[:2] == b"PK" and "wordprocessingml" in r.mimetype
        assert r.headers["Content-Disposition"].endswith(".docx")
        r = client.get(f"/proposals/{pid}/list.xlsx")
        assert r.status_code == 200 and r.data[:2] == b"PK" and "spreadsheetml" in r.mimetype
    login("tp_hctp")
    assert client.get(f"/proposals/{pid}/document").status_code == 404
    assert client.get(f"/proposals/{pid}/list.xlsx").status_code == 404
