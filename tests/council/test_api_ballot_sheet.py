"""Issue 14, findings 3 and 4 through the JSON API: the ballot sheet (`POST /council-sessions/{id}/ballot`, every
item the member may vote on at once, 409 the second time, 422 naming each wrong item, nothing written on a refusal),
the chair's count of ballots in (never what), and the close refused below the quorum's ballots or, with present
members not having voted, without `confirm_missing` — which the minutes then record."""
from __future__ import annotations

import io

import docx
import pytest
from docx.oxml.ns import qn
from factories import MEMBERS, ok, refused
from sqlalchemy import func, select
from test_api_council import council_refs, open_with_everyone, two_items, vote

from models import AuditEvent, BallotReceipt, BallotSlot
from workflow.council import ballots


@pytest.fixture
def ref(demo, db):
    return council_refs(demo, db)


def sheet(api, username, sid, choices):
    return api.as_(username).post(f"/council-sessions/{sid}/ballot", json={"choices": choices})


def full(a, b, username, choice="agree") -> dict:
    """A complete sheet for `username`: hoidong1 belongs to PBGDPL (item a) and is recused from it."""
    return {str(b): choice} if username == "hoidong1" else {str(a): choice, str(b): choice}


def receipts(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(BallotReceipt))


def minutes_text(api, sid) -> str:
    r = api.as_("giamdoc").get(f"/council-sessions/{sid}/minutes")
    assert r.status_code == 200
    document = docx.Document(io.BytesIO(r.data))
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in document.element.body.iter(qn("w:p")))


def test_a_sheet_is_submitted_once_whole_and_secret(api, ref, db):
    a, b = two_items(api, ref)
    sid = open_with_everyone(api, ref, [a, b])["id"]

    body = ok(sheet(api, "hoidong2", sid, {str(a): "agree", str(b): "disagree"}), 201)
    assert body == {"submitted": True, "nomination_ids": sorted([a, b])}  # never the choices
    assert receipts(db) == 2
    mine = ok(api.as_("hoidong2").get(f"/council-sessions/{sid}"))
    assert mine["my_ballot_submitted"] is True and sorted(mine["my_votes"]) == sorted([a, b])
    assert ok(api.as_("hoidong3").get(f"/council-sessions/{sid}"))["my_ballot_submitted"] is False

    # The second time, whatever it says: 409, nothing more written.
    problem = refused(sheet(api, "hoidong2", sid, {str(a): "disagree", str(b): "agree"}), 409)
    assert "đã nộp phiếu" in problem["detail"] and "disagree" not in str(problem)
    assert receipts(db) == 2
    # Per item too: the sheet's items are voted.
    refused(vote(api, "hoidong2", sid, a, "agree"), 409)

    # The sealed slots hold the two choices; the receipts and the audit trail name none.
    slots = db.execute(select(BallotSlot.item_id, BallotSlot.key, BallotSlot.sealed)).all()
    opened = sorted(c for i, k, v in slots if (c := ballots.open_slot(i, k, v)) != ballots.EMPTY)
    assert opened == ["agree", "disagree"]
    trail = db.scalars(select(AuditEvent).where(AuditEvent.action.like("council_session.%"))).all()
    assert all("agree" not in str(e.data) for e in trail)
    assert {e.data.get("nomination_id") for e in trail if e.action == "council_session.vote_cast"} >= {a, b}


def test_a_sheet_with_a_wrong_item_is_refused_whole_with_a_reason_each(api, ref, db):
    a, b = two_items(api, ref)
    sid = open_with_everyone(api, ref, [a, b])["id"]
    cases = [
        ({str(a): "agree"}, [f"Hồ sơ số {b}"], "chưa chọn"),                          # missing
        ({str(a): "agree", str(b): "agree", "987654": "agree"}, ["987654"], "không có trong chương trình"),
        ({str(a): "agree", str(b): "yes"}, [f"Hồ sơ số {b}"], "lựa chọn không hợp lệ"),  # invalid choice
        ({"x": "agree", str(a): "agree", str(b): "agree"}, ["“x”"], "không có trong chương trình"),
        ({}, [f"Hồ sơ số {a}", f"Hồ sơ số {b}"], "chưa chọn"),
    ]
    for choices, names, words in cases:
        problem = refused(sheet(api, "hoidong2", sid, choices), 422)
        text = " ".join(problem["reasons"])
        assert all(name in text for name in names) and words in text, problem
    # hoidong1 is recused from PBGDPL's item: a sheet naming it is refused, one without it goes in.
    problem = refused(sheet(api, "hoidong1", sid, {str(a): "agree", str(b): "agree"}), 422)
    assert "không tham gia biểu quyết" in " ".join(problem["reasons"])
    assert receipts(db) == 0  # nothing of any refused sheet was written
    ok(sheet(api, "hoidong1", sid, {str(b): "abstain"}), 201)
    assert receipts(db) == 1
    # Not JSON of the right shape: 422, never a 500.
    for payload in ({"choices": [a, b]}, {"choices": "agree"}, {}, {"choices": {str(a): 1}}):
        r = api.as_("hoidong3").post(f"/council-sessions/{sid}/ballot", json=payload)
        assert r.status_code == 422, (payload, r.get_json())


def test_who_may_submit_a_sheet(api, ref, db):
    a, b = two_items(api, ref)
    s = open_with_everyone(api, ref, [a, b])
    sid = s["id"]
    # A member who voted on one item through /votes has a ballot in: the sheet is refused.
    ok(vote(api, "hoidong3", sid, b, "agree"), 201)
    refused(sheet(api, "hoidong3", sid, full(a, b, "hoidong3")), 409)
    refused(sheet(api, "canbo1", sid, full(a, b, "canbo1")), 403)      # staff, not a member
    refused(sheet(api, "tp_stp2", sid, full(a, b, "tp_stp2")), 404)    # another department
    # A member recorded absent cannot vote.
    ok(api.as_("vanphong").post(f"/council-sessions/{sid}/attendance",
                                json={"present": [ref.users[u] for u in MEMBERS if u != "hoidong4"]}))
    refused(sheet(api, "hoidong4", sid, full(a, b, "hoidong4")), 403)
    assert receipts(db) == 1


def test_close_waits_for_the_quorum_of_ballots_and_confirms_the_missing(api, ref, db):
    """Finding 4: "Kết thúc phiên họp" was enabled at 0 ballots, one tick from failing every dossier."""
    a, b = two_items(api, ref)
    sid = open_with_everyone(api, ref, [a, b])["id"]
    chair = api.as_("giamdoc")

    # 0 of 7: the close is refused (409 with the reasons), and offered as refused with the same reasons.
    s = ok(chair.get(f"/council-sessions/{sid}"))
    assert s["ballots"] == {"present": 7, "submitted": 0, "not_voted": 7, "needed": 5,
                            "label": "Đã nộp phiếu: 0/7 thành viên có mặt"}
    close = next(o for o in s["available_actions"] if o["action"] == "close")
    assert close["allowed"] is False and "Đã nộp phiếu: 0/7 thành viên có mặt" in " ".join(close["reasons"])
    problem = refused(chair.post(f"/council-sessions/{sid}/close", json={"confirm_missing": True}), 409)
    assert "Chưa đủ số phiếu" in problem["detail"] and "cần ít nhất 5 phiếu" in " ".join(problem["reasons"])
    refused(chair.post(f"/council-sessions/{sid}/close"), 409)  # no body at all: the same refusal

    # 5 of 7 (the quorum): allowed, but 2 present members have not voted: confirm_missing asked for.
    for u in ("hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"):
        ok(sheet(api, u, sid, full(a, b, u)), 201)
    s = ok(api.as_("vanphong").get(f"/council-sessions/{sid}"))  # the secretariat sees the count too
    assert s["ballots"]["submitted"] == 5 and s["ballots"]["label"] == "Đã nộp phiếu: 5/7 thành viên có mặt"
    assert not any(o["action"] == "close" for o in s["available_actions"])  # not theirs to close
    s = ok(chair.get(f"/council-sessions/{sid}"))
    assert next(o for o in s["available_actions"] if o["action"] == "close")["allowed"] is True
    problem = refused(chair.post(f"/council-sessions/{sid}/close"), 409)
    assert "Còn 2 thành viên có mặt chưa bỏ phiếu" in problem["detail"]
    refused(chair.post(f"/council-sessions/{sid}/close", json={"confirm_missing": False}), 409)
    assert ok(chair.get(f"/council-sessions/{sid}"))["state"] == "open"

    closed = ok(chair.post(f"/council-sessions/{sid}/close", json={"confirm_missing": True}))
    assert closed["state"] == "closed"
    text = minutes_text(api, sid)
    assert "5/7 thành viên có mặt đã bỏ phiếu; 02 thành viên có mặt không bỏ phiếu" in text
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "council_session.closed"))
    assert event.data["not_voted"] == 2


def test_every_present_member_voted_needs_no_confirmation(api, ref):
    a, b = two_items(api, ref)
    sid = open_with_everyone(api, ref, [a, b])["id"]
    for u in MEMBERS:
        ok(sheet(api, u, sid, full(a, b, u)), 201)
    assert ok(api.as_("giamdoc").post(f"/council-sessions/{sid}/close"))["state"] == "closed"
    assert "tất cả 7 thành viên có mặt đã bỏ phiếu" in minutes_text(api, sid)


def test_below_the_quorum_of_members_present_the_close_stays_possible(api, ref):
    """With too few members present nothing is judged (the items may go to a new session): no ballots needed."""
    a, b = two_items(api, ref)
    s = open_with_everyone(api, ref, [a, b])
    sid = s["id"]
    ok(api.as_("vanphong").post(f"/council-sessions/{sid}/attendance",
                                json={"present": [ref.users[u] for u in MEMBERS[:4]]}))
    refused(api.as_("giamdoc").post(f"/council-sessions/{sid}/close"), 409)  # 4 present have not voted
    closed = ok(api.as_("giamdoc").post(f"/council-sessions/{sid}/close", json={"confirm_missing": True}))
    assert closed["quorum_met"] is False and {r["outcome"] for r in closed["results"]} == {"no_quorum"}


def test_a_sheet_reads_the_agendas_nominations_in_one_statement(api, ref, db, engine):
    """The recusal check reads each item's nomination: in one statement for the whole agenda, never one per item."""
    from sqlalchemy import event

    a, b = two_items(api, ref)
    sid = open_with_everyone(api, ref, [a, b])["id"]
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        ok(sheet(api, "hoidong2", sid, {str(a): "agree", str(b): "disagree"}), 201)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    one_by_one = [q for q in seen if q.startswith("SELECT nominations.") and "WHERE nominations.id = " in q]
    assert one_by_one == [], one_by_one
