# ruff: noqa: F811 - `items` is the fixture of test_pages_council, imported here
"""Issue 14, findings 3 and 4 through the pages: no single tap casts a vote (the member fills the sheet, reviews it
and confirms; nothing is written before), the sheet goes in once, the chair sees how many present members have
submitted, and "Kết thúc phiên họp" is disabled with its reason below the quorum's ballots and asks for a second
confirmation while present members have not voted."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from test_pages_council import MEMBERS, ballot, item_section, items, prepared_session  # noqa: F401 (items: fixture)

from models import BallotReceipt, CouncilSession
from workflow.council import operations as council
from workflow.policy import actor_for


def receipts(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(BallotReceipt))


def close_card(page: str) -> str:
    match = re.search(r'<h3 class="h6 card-title">Kết thúc phiên họp, kiểm phiếu</h3>.*?</div></div>', page, re.S)
    assert match, "no close card"
    return match.group(0)


def test_the_sheet_is_filled_reviewed_confirmed_and_submitted_once(client, login, demo, items, db):
    a, b = items
    sid = prepared_session(client, login, demo, [a, b])
    login("hoidong2")
    page = client.get(f"/council/sessions/{sid}/vote").get_data(as_text=True)
    sheet = re.search(r'<form[^>]*data-testid="sheet".*?</form>', page, re.S).group(0)
    assert f'action="/council/sessions/{sid}/vote"' in sheet and "Xem lại phiếu" in sheet
    assert f'name="choice-{a}"' in item_section(page, a) and f'name="choice-{b}"' in item_section(page, b)
    assert f'action="/council/sessions/{sid}/ballot"' not in page  # nothing submits from the sheet itself

    # The old one-tap post (one item, one choice) casts nothing: the sheet asks for every item.
    r = client.post(f"/council/sessions/{sid}/vote", data={"nomination_id": str(a), "choice": "agree"})
    assert r.status_code == 422 and receipts(db) == 0

    # A sheet with an item left out comes back with the item marked and the other choice kept.
    r = client.post(f"/council/sessions/{sid}/vote", data={f"choice-{a}": "disagree"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Chưa chọn" in item_section(page, b)
    assert re.search(rf'id="choice-{a}-disagree" value="disagree"[^>]*checked', page)

    # The review: each item with the choice as it will go in, a confirmation, nothing written yet.
    r = client.post(f"/council/sessions/{sid}/vote", data={f"choice-{a}": "disagree", f"choice-{b}": "agree"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    review = re.search(r'data-testid="review".*?</section>', page, re.S).group(0)
    assert re.search(rf'data-review-item="{a}".*?Không đồng ý', review, re.S)
    assert re.search(rf'data-review-item="{b}".*?Đồng ý', review, re.S)
    assert f'action="/council/sessions/{sid}/ballot"' in review and 'name="confirm"' in review
    assert "Sửa lại" in review and receipts(db) == 0

    # "Sửa lại" brings the sheet back as filled.
    r = client.post(f"/council/sessions/{sid}/vote", data={f"choice-{a}": "disagree", f"choice-{b}": "agree",
                                                           "edit": "yes"})
    assert re.search(rf'id="choice-{b}-agree" value="agree"[^>]*checked', r.get_data(as_text=True))

    # Submitting without the box ticked: the review again, nothing written.
    r = ballot(client, login, sid, "hoidong2", {a: "disagree", b: "agree"}, confirm=False)
    assert r.status_code == 422 and 'data-testid="review"' in r.get_data(as_text=True) and receipts(db) == 0

    r = ballot(client, login, sid, "hoidong2", {a: "disagree", b: "agree"})
    assert r.status_code == 302 and receipts(db) == 2
    page = client.get(f"/council/sessions/{sid}/vote").get_data(as_text=True)
    assert 'data-testid="submitted"' in page and 'data-testid="sheet"' not in page
    assert "Đã nộp phiếu biểu quyết (2 hồ sơ)" in page  # the flash counts the items, names no choice
    for nid in (a, b):
        assert "Đã bỏ phiếu" in item_section(page, nid) and 'value="agree"' not in item_section(page, nid)

    # The second time: refused, nothing more; the review step is refused too.
    r = ballot(client, login, sid, "hoidong2", {a: "agree", b: "agree"})
    assert r.status_code == 409 and "đã nộp phiếu" in r.get_data(as_text=True) and receipts(db) == 2
    assert client.post(f"/council/sessions/{sid}/vote", data={f"choice-{a}": "agree"}).status_code == 409


def test_the_sheet_shows_each_dossier_with_its_attachments(client, login, demo, items, db):
    a, b = items
    sid = prepared_session(client, login, demo, [a, b])
    login("hoidong1")  # of PBGDPL: recused from that item, votes on the other
    page = client.get(f"/council/sessions/{sid}/vote").get_data(as_text=True)
    for nid in (a, b):
        assert re.search(rf'href="/nominations/{nid}/attachments/\d+">bc.pdf</a>', item_section(page, nid))
    assert "Không tham gia biểu quyết" in item_section(page, a) and f'name="choice-{a}"' not in page
    r = client.post(f"/council/sessions/{sid}/vote", data={f"choice-{b}": "abstain"})
    assert r.status_code == 200 and f'data-review-item="{a}"' not in r.get_data(as_text=True)
    assert ballot(client, login, sid, "hoidong1", {b: "abstain"}).status_code == 302


def test_close_is_disabled_below_the_quorum_of_ballots_and_confirms_the_missing(client, login, demo, items, db):
    """Finding 4: at 0 of 7 ballots the close was one tick away; now it waits for 5, then asks about the other 2."""
    a, b = items
    sid = prepared_session(client, login, demo, [a, b])
    login("giamdoc")
    page = client.get(f"/council/sessions/{sid}").get_data(as_text=True)
    assert "Đã nộp phiếu: 0/7 thành viên có mặt" in page
    card = close_card(page)
    assert re.search(r'<button class="btn btn-danger w-100" type="button" disabled[^>]*>Kết thúc phiên họp', card)
    assert "Chưa thực hiện được vì" in card and "cần ít nhất 5 phiếu" in card
    r = client.post(f"/council/sessions/{sid}/close", data={"confirm": "yes", "confirm_missing": "yes"})
    assert r.status_code == 409 and "Chưa đủ số phiếu" in r.get_data(as_text=True)
    assert db.get(CouncilSession, sid).state == "open"

    for u in ("hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"):
        assert ballot(client, login, sid, u, {b: "agree"} | ({} if u == "hoidong1" else {a: "agree"})).status_code \
            == 302
    login("giamdoc")
    page = client.get(f"/council/sessions/{sid}").get_data(as_text=True)
    assert "Đã nộp phiếu: 5/7 thành viên có mặt" in page
    card = close_card(page)
    assert 'name="confirm_missing"' in card and "còn 2 thành viên có mặt chưa bỏ phiếu" in card
    r = client.post(f"/council/sessions/{sid}/close", data={"confirm": "yes"})
    assert r.status_code == 409 and "Còn 2 thành viên có mặt chưa bỏ phiếu" in r.get_data(as_text=True)
    assert 'name="confirm_missing"' in r.get_data(as_text=True)  # the form again, beside the reason
    db.expire_all()
    assert db.get(CouncilSession, sid).state == "open"
    r = client.post(f"/council/sessions/{sid}/close", data={"confirm": "yes", "confirm_missing": "yes"})
    assert r.status_code == 302
    db.expire_all()
    assert db.get(CouncilSession, sid).state == "closed"


def test_members_and_staff_see_counts_only(client, login, demo, items, db):
    a, b = items
    sid = prepared_session(client, login, demo, [a, b], present=MEMBERS)
    assert ballot(client, login, sid, "hoidong2", {a: "disagree", b: "agree"}).status_code == 302
    login("vanphong")
    page = client.get(f"/council/sessions/{sid}").get_data(as_text=True)
    counts = re.search(r'data-testid="ballots-in".*?</p>', page, re.S).group(0)
    assert "Đã nộp phiếu: 1/7 thành viên có mặt" in counts
    assert "Phạm" not in counts and "disagree" not in page


def test_a_member_who_voted_item_by_item_is_told_what_is_left(client, login, demo, items, db):
    """The API's per-item `/votes` puts a ballot in too: the sheet is closed to that member, and the page says why."""
    a, b = items
    sid = prepared_session(client, login, demo, [a, b])
    council.cast_vote(db, actor_for(db, demo.user("hoidong2")), sid, nomination_id=a, choice="agree")
    db.commit()
    login("hoidong2")
    page = client.get(f"/council/sessions/{sid}/vote").get_data(as_text=True)
    assert 'data-testid="sheet"' not in page and "còn 1 hồ sơ chưa biểu quyết" in page
    assert ballot(client, login, sid, "hoidong2", {a: "agree", b: "agree"}).status_code == 409
