"""Every page of the propagation, reporting, audit and notification areas answers every demo account with a page
it may see or a clear refusal — never a server error — and the areas are offered in the header only to those who
may open them."""
from __future__ import annotations

import pytest

PAGES = [
    "/", "/nominations", "/nominations/export.xlsx", "/notifications", "/account/notifications",
    "/stories", "/stories/new", "/showcase", "/showcase/feed.atom",
    "/reports", "/reports/monthly-introductions", "/reports/themes", "/reports/yearly.docx", "/reports/yearly.xlsx",
    "/audit", "/audit/export.csv", "/audit/export.xlsx", "/admin/import",
    # Malformed filters: a Vietnamese 4xx page, not a 500.
    "/reports?year=abc", "/reports/monthly-introductions?month=2026-13", "/showcase?year=abc", "/stories?state=zz",
    "/audit?actor=%00&object_id=-1",
]
ACCOUNTS = ["admin", "vanphong", "giamdoc", "hoidong1", "tp_pbgdpl", "tp_stp2", "botp", "bientap", "thanhtra",
            "canbo1"]
# Who must get the page itself (200); everyone else may get 403 (or 422 for malformed filters), never 500.
MUST_SEE = {
    "/stories": {"bientap", "admin", "thanhtra"},
    "/reports": {"vanphong", "giamdoc", "tp_pbgdpl", "botp", "thanhtra", "admin"},
    "/reports/monthly-introductions": {"vanphong", "tp_pbgdpl", "thanhtra"},
    "/audit": {"thanhtra", "admin"},
    "/admin/import": {"admin"},
    "/account/notifications": set(ACCOUNTS),
    "/showcase": set(ACCOUNTS),
}
MAY_NOT_SEE = {"/stories": {"tp_pbgdpl", "vanphong", "canbo1"}, "/audit": {"vanphong", "tp_pbgdpl", "botp"},
               "/admin/import": {"thanhtra", "vanphong"}}


@pytest.mark.parametrize("username", ACCOUNTS)
def test_every_page_answers_without_a_server_error(client, login, db, username):
    db.commit()
    assert login(username).status_code == 302
    for path in PAGES:
        status = client.get(path).status_code
        assert status in (200, 302, 403, 404, 422), (username, path, status)
        if username in MUST_SEE.get(path, ()):
            assert status == 200, (username, path, status)
        if username in MAY_NOT_SEE.get(path, ()):
            assert status == 403, (username, path, status)


@pytest.mark.parametrize("username,offered,hidden", [
    ("bientap", ["Bài viết tuyên truyền", "Điển hình tiêu biểu"], ["Nhật ký", "Quản trị"]),
    ("thanhtra", ["Nhật ký", "Báo cáo"], ["Quản trị"]),
    ("tp_pbgdpl", ["Giới thiệu điển hình hằng tháng", "Báo cáo"], ["Bài viết tuyên truyền", "Nhật ký"]),
    ("canbo1", ["Điển hình tiêu biểu"], ["Báo cáo", "Nhật ký", "Bài viết tuyên truyền"]),
])
def test_header_offers_only_the_areas_the_user_may_open(client, login, db, username, offered, hidden):
    db.commit()
    login(username)
    header = client.get("/").get_data(as_text=True).split("<main", 1)[0]
    for label in offered:
        assert label in header, (username, label)
    for label in hidden:
        assert label not in header, (username, label)


def test_anonymous_visitors_reach_the_showcase_only(client, db):
    db.commit()
    assert client.get("/showcase").status_code == 200
    assert client.get("/showcase/feed.atom").status_code == 200
    assert "/showcase" in client.get("/login").get_data(as_text=True)
    for path in ("/stories", "/reports", "/audit", "/account/notifications"):
        assert client.get(path).status_code == 302, path  # to the login page
