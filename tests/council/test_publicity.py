"""Publicity that works (issue 14, item 3; finding 5): during a published session's comment period every account of
the department reads the public part of each listed dossier (not its internal attachments) and comments; staff and
the units' heads are told the list is open; a comment past its stated limit is refused whole, never cut — through the
pages and through the API. Outside the period, or for another department, the dossier stays 404."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from factories import ok, refused
from samples import PDF
from sqlalchemy import func, select
from test_api_council import council_refs, schedule, submitted

from models import Notification, PublicComment, User
from workflow import clock

LONG = ("Góp ý rất dài, " * 7000)[:99_999] + "."  # 100,000 characters: what finding 5 pasted


@pytest.fixture
def ref(demo, db):
    return council_refs(demo, db)


@pytest.fixture
def listed(api, ref, db):
    """PBGDPL's and HCTP's dossiers on a session published for 10 working days; HCTP's carries an internal
    attachment beside its public report."""
    a = submitted(api, ref, "tp_pbgdpl", ref.pbgdpl, "Phòng Phổ biến, giáo dục pháp luật")
    b = submitted(api, ref, "tp_hctp", ref.hctp, "Phòng Hành chính tư pháp", before_submit=_internal_upload)
    internal = next(x for x in ok(api.as_("vanphong").get(f"/nominations/{b}"))["attachments"] if x["internal"])
    s = schedule(api, ref, [a, b], days_ahead=60, publicity_days=10)
    return {"session": s, "a": a, "b": b, "internal": internal["id"]}


def _internal_upload(client, nomination_id: int) -> None:
    item = ok(client.post(f"/nominations/{nomination_id}/attachments", content_type="multipart/form-data",
                          data={"kind": "evidence", "internal": "true",
                                "file": (io.BytesIO(PDF), "ho-so-ca-nhan-noi-bo.pdf")}), 201)
    assert item["internal"] is True


def _notes(db, username: str, kind: str | None = None) -> list[Notification]:
    """Read on the test's connection, which the app shares (no rollback here: it would undo what the app wrote)."""
    stmt = select(Notification).join(User, User.id == Notification.user_id).where(User.username == username)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.scalars(stmt))


# ------------------------------------------------------------------------------------------------ reading
def test_staff_read_the_public_part_of_a_listed_dossier_through_the_api(api, listed):
    b, staff = listed["b"], api.as_("canbo1")  # canbo1: staff of PBGDPL, HCTP's dossier is another unit's
    n = ok(staff.get(f"/nominations/{b}"))
    assert n["part"] == "public" and n["title"] == "Phòng Hành chính tư pháp"
    assert n["achievements"] and n["subject"]["unit"]["code"] == "HCTP"
    assert not {"criteria", "history", "checkins", "nurture_plan", "available_actions"} & set(n)
    assert [x["filename"] for x in n["attachments"]] == ["bao-cao.pdf"]
    assert n["publicity_sessions"][0]["id"] == listed["session"]["id"]
    assert b in {x["id"] for x in ok(staff.get("/nominations"))["items"]}  # list ⇔ open
    public = n["attachments"][0]["id"]
    assert staff.get(f"/nominations/{b}/attachments/{public}").status_code == 200
    refused(staff.get(f"/nominations/{b}/attachments/{listed['internal']}"), 404)
    whole = ok(api.as_("vanphong").get(f"/nominations/{b}"))  # the secretariat reads it all, internal included
    assert whole["part"] == "whole" and len(whole["attachments"]) == 2 and whole["history"]
    refused(api.as_("tp_stp2").get(f"/nominations/{b}"), 404)  # another department


def test_staff_read_the_public_part_of_a_listed_dossier_through_the_page(client, login, listed):
    b = listed["b"]
    login("canbo1")
    page = client.get(f"/council/sessions/{listed['session']['id']}").get_data(as_text=True)
    assert f'href="/nominations/{b}"' in page
    r = client.get(f"/nominations/{b}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert 'data-testid="public-part"' in page and "Hoàn thành xuất sắc nhiệm vụ năm." in page
    assert "bao-cao.pdf" in page and "ho-so-ca-nhan-noi-bo.pdf" not in page
    assert "Lịch sử xử lý" not in page and "Kế hoạch bồi dưỡng" not in page and "Chỉnh sửa hồ sơ" not in page
    assert client.get(f"/nominations/{b}/attachments/{listed['internal']}").status_code == 404
    login("vanphong")
    page = client.get(f"/nominations/{b}").get_data(as_text=True)
    assert "ho-so-ca-nhan-noi-bo.pdf" in page and 'data-testid="internal-attachment"' in page
    login("tp_stp2")
    assert client.get(f"/nominations/{b}").status_code == 404


def test_the_dossier_closes_again_when_the_period_ends(api, client, login, listed, monkeypatch):
    b = listed["b"]
    later = dt.datetime.fromisoformat(listed["session"]["comments_until"]) + dt.timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    refused(api.as_("canbo1").get(f"/nominations/{b}"), 404)
    assert b not in {x["id"] for x in ok(api.as_("canbo1").get("/nominations"))["items"]}
    login("canbo1")
    assert client.get(f"/nominations/{b}").status_code == 404


def test_a_list_read_again_and_again_follows_the_period(api, listed, monkeypatch):
    """The list's statement of the same request is prepared after a few reads (its plan kept on the connection): the
    period's bounds are compared with each request's time, never with the time it was prepared at."""
    b, staff = listed["b"], api.as_("canbo1")
    for _ in range(8):
        assert b in {x["id"] for x in ok(staff.get("/nominations"))["items"]}
    later = dt.datetime.fromisoformat(listed["session"]["comments_until"]) + dt.timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    for _ in range(3):
        assert b not in {x["id"] for x in ok(staff.get("/nominations"))["items"]}


def test_a_dossier_not_yet_published_stays_closed(api, ref, db):
    a = submitted(api, ref, "tp_hctp", ref.hctp, "Phòng Hành chính tư pháp")
    refused(api.as_("canbo1").get(f"/nominations/{a}"), 404)


def test_an_upload_marked_internal_through_the_page(api, ref, client, login, db):
    n = ok(api.as_("tp_hctp").post("/nominations", json={"campaign_id": ref.campaign, "subject_type": "collective",
                                                         "unit_id": ref.hctp, "title": "Phòng HCTP"}), 201)
    login("tp_hctp")
    page = client.get(f"/nominations/{n['id']}").get_data(as_text=True)
    assert 'name="internal"' in page and "Tài liệu nội bộ" in page
    for name, internal in (("noi-bo.pdf", "yes"), ("cong-khai.pdf", None)):
        data = {"kind": "other", "file": (io.BytesIO(PDF), name)} | ({"internal": internal} if internal else {})
        r = client.post(f"/nominations/{n['id']}/attachments", data=data, content_type="multipart/form-data")
        assert r.status_code == 302, r.get_data(as_text=True)[:300]
    got = {x["filename"]: x["internal"] for x in ok(api.as_("tp_hctp").get(f"/nominations/{n['id']}"))["attachments"]}
    assert got == {"noi-bo.pdf": True, "cong-khai.pdf": False}
    assert client.get(f"/nominations/{n['id']}").get_data(as_text=True).count('data-testid="internal-attachment"') == 1


# ------------------------------------------------------------------------------------------------ comments
def test_a_comment_past_the_limit_is_refused_on_the_page_never_cut(client, login, listed, db):
    sid, a = listed["session"]["id"], listed["a"]
    login("canbo1")
    page = client.get(f"/council/sessions/{sid}").get_data(as_text=True)
    form = re.search(rf'<textarea[^>]*id="comment-{a}"[^>]*>', page).group(0)
    assert "maxlength" not in form  # a browser cuts a pasted text at maxlength without a word
    assert 'data-limit="5000"' in form and "Tối đa 5.000 ký tự." in page and "0/5.000 ký tự" in page
    r = client.post(f"/council/sessions/{sid}/comments", data={"nomination_id": str(a), "text": LONG})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "vượt giới hạn 5.000 ký tự" in page and "Góp ý chưa được gửi" in page and "Đã gửi góp ý" not in page
    assert "100.000/5.000 ký tự" in page  # the text comes back, counted
    assert db.scalar(select(func.count()).select_from(PublicComment)) == 0
    r = client.post(f"/council/sessions/{sid}/comments", data={"nomination_id": str(a), "text": "x" * 5000})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    assert r.location.endswith(f"#muc-{a}"), r.location
    assert [len(t) for t in db.scalars(select(PublicComment.text))] == [5000]


def test_a_comment_past_the_limit_is_refused_by_the_api(api, listed, db):
    sid, b = listed["session"]["id"], listed["b"]
    body = refused(api.as_("canbo1").post(f"/council-sessions/{sid}/comments",
                                          json={"nomination_id": b, "text": LONG}), 422)
    assert "5000" in str(body["errors"]["text"])
    assert db.scalar(select(func.count()).select_from(PublicComment)) == 0
    ok(api.as_("canbo1").post(f"/council-sessions/{sid}/comments", json={"nomination_id": b, "text": "Đồng ý."}), 201)


def test_the_service_refuses_a_long_comment_in_words_of_the_form(db, demo, api, listed):
    from workflow.council import operations as council
    from workflow.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        council.add_comment(db, demo.actor("canbo1"), listed["session"]["id"], nomination_id=listed["a"], text=LONG)
    assert "100.000 ký tự" in exc.value.detail and exc.value.field_errors["text"] == "Tối đa 5.000 ký tự."


# ------------------------------------------------------------------------------------------------ who is told
def test_the_department_is_told_once_each_when_the_list_opens(listed, db):
    for head in ("tp_pbgdpl", "tp_hctp"):  # their dossiers entered publicity: one message naming them
        notes = _notes(db, head)
        publicity = [n for n in notes if n.kind.startswith("council.publi")]
        assert [n.kind for n in publicity] == ["council.publicity_unit"], head
    assert "Phòng Hành chính tư pháp" in _notes(db, "tp_hctp", "council.publicity_unit")[0].body
    for username in ("canbo1", "giamdoc", "hoidong1", "bientap", "tp_ptpcd"):
        assert len(_notes(db, username, "council.published")) == 1, username
        assert not _notes(db, username, "council.publicity_unit"), username
    assert not _notes(db, "vanphong", "council.published")  # who published it
    for stranger in ("tp_stp2", "botp", "admin"):
        assert not [n for n in _notes(db, stranger) if n.kind.startswith("council.publi")], stranger
