"""The audit trail review (/audit): filters (actor, action, object, Vietnamese calendar days), keyset paging with a
bounded total, an event's detail with before/after, the .csv/.xlsx exports (formula neutralising, the cap), the
stored verification of the chain (incremental, a tamper found and named) and who may see it."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select, text

from models import AuditEvent, AuditVerification
from notifications import audit, audit_verify
from workflow import clock
from workflow.context import Context
from workflow.nominations import service
from workflow.reporting import audit_queries as aq

ROW_ID = re.compile(r'data-event-id="(\d+)"')


def _ids(html: str) -> list[int]:
    return [int(i) for i in ROW_ID.findall(html)]


def _events(db, **where) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, key) == value)
    events = list(db.scalars(stmt))
    db.commit()
    return events


def _append(db, n: int, action: str = "test.ping", **kw) -> None:
    for _ in range(n):
        audit.append(db, action=action, **kw)
    db.commit()


@pytest.fixture
def auditor(client, login):
    login("thanhtra")
    return client


# ------------------------------------------------------------------------------------------------ filters
def test_the_outcome_filter_lists_the_refused_actions(client, login, db, api):
    _append(db, 2, action="test.ok")
    _append(db, 1, action="test.denied", outcome="refused")
    _append(db, 1, action="test.broken", outcome="failed")
    login("thanhtra")
    html = client.get("/audit?outcome=refused").get_data(as_text=True)
    assert _ids(html) == [e.id for e in _events(db, outcome="refused")]
    assert all(e.outcome == "refused" for e in _events(db, outcome="refused")) and _ids(html)
    bad = client.get("/audit?outcome=maybe")
    assert bad.status_code == 422 and "Kết quả phải là" in bad.get_data(as_text=True)
    body = api.as_("thanhtra").get("/audit?outcome=failed").get_json()
    assert [e["action"] for e in body["items"]] == ["test.broken"]
    assert api.as_("thanhtra").get("/audit?outcome=maybe").status_code == 422
    csv_text = client.get("/audit/export.csv?outcome=failed").get_data(as_text=True)
    assert "test.broken" in csv_text and "test.ok" not in csv_text


def test_failed_logins_appear_and_the_actor_filter_returns_only_that_actors_events(client, login, db):
    assert login("tp_pbgdpl", "sai-mat-khau").status_code == 401
    assert login("tp_pbgdpl").status_code == 302
    assert login("vanphong").status_code == 302
    login("thanhtra")

    r = client.get("/audit?actor=tp_pbgdpl")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    expected = [e.id for e in _events(db, actor_username="tp_pbgdpl")]
    assert {e.action for e in _events(db, actor_username="tp_pbgdpl")} == {"auth.login", "auth.login_failed"}
    assert _ids(html) == expected  # exactly that actor's events, newest first
    assert "Đăng nhập thất bại" in html and "Bị từ chối" in html
    assert "Tổng số: 2 sự kiện" in html
    assert "vanphong" not in html.split("<tbody>")[1]

    everything = _ids(client.get("/audit").get_data(as_text=True))
    assert set(expected) < set(everything)  # unfiltered, the other actors are there too


def test_filter_by_action_family_and_object(auditor, db, demo):
    tp = demo.actor("tp_pbgdpl")
    n = service.create_nomination(db, tp, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng PBGDPL")
    service.transition(db, tp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    db.commit()
    nomination_events = [e.id for e in _events(db, object_type="nomination", object_id=n.id)]
    html = auditor.get(f"/audit?object_type=nomination&object_id={n.id}").get_data(as_text=True)
    assert _ids(html) == nomination_events and len(nomination_events) == 2
    assert f'href="/nominations/{n.id}"' in html  # the object links to its page
    assert _ids(auditor.get("/audit?action=nomination.start_nurturing").get_data(as_text=True)) == \
        nomination_events[:1]
    assert _ids(auditor.get("/audit?action=nomination.").get_data(as_text=True)) == nomination_events
    # The select offers the actions the trail holds, labelled, with their family.
    groups = dict(aq.action_choices(db))
    assert ("nomination.start_nurturing", "Bắt đầu bồi dưỡng") in groups["Hồ sơ điển hình"]
    assert ("nomination.", "Hồ sơ điển hình — tất cả") in groups["Hồ sơ điển hình"]
    assert ("auth.login", "Đăng nhập") in groups["Đăng nhập"]


def test_date_range_is_vietnamese_calendar_days(auditor, db, monkeypatch):
    moments = [dt.datetime(2025, 3, 4, 16, 59, 59, tzinfo=dt.UTC),  # 04/03 23:59:59 in Hà Nội
               dt.datetime(2025, 3, 4, 17, 0, 0, tzinfo=dt.UTC),  # 05/03 00:00:00
               dt.datetime(2025, 3, 5, 16, 59, 0, tzinfo=dt.UTC),  # 05/03 23:59
               dt.datetime(2025, 3, 5, 17, 0, 0, tzinfo=dt.UTC)]  # 06/03 00:00
    for moment in moments:
        monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
        audit.append(db, action="test.dated")
    db.commit()
    ids = [e.id for e in _events(db, action="test.dated")][::-1]

    html = auditor.get("/audit?from=05/03/2025&to=05/03/2025").get_data(as_text=True)
    assert _ids(html) == [ids[2], ids[1]]
    assert "05/03/2025 00:00" in html and "05/03/2025 23:59" in html
    later = _ids(auditor.get("/audit?from=2025-03-06").get_data(as_text=True))  # ISO is accepted too
    assert ids[3] in later and not {ids[0], ids[1], ids[2]} & set(later)
    assert ids[3] not in _ids(auditor.get("/audit?to=05/03/2025").get_data(as_text=True))
    assert aq.day_bounds(dt.date(2025, 3, 5), dt.date(2025, 3, 5)) == (moments[1], moments[3])


@pytest.mark.parametrize("query, field, message", [
    ("from=31/02/2025", "from", "Từ ngày phải theo định dạng"),
    ("to=hôm qua", "to", "Đến ngày phải theo định dạng"),
    ("from=05/03/2025&to=01/03/2025", "to", "Đến ngày phải sau"),
    ("object_id=abc", "object_id", "Mã đối tượng phải là số"),
])
def test_bad_filters_are_422_with_the_message_beside_the_field(auditor, query, field, message):
    r = auditor.get(f"/audit?{query}")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert f'id="{field}-error"' in html and message in html
    assert "data-event-id" not in html


def test_bad_cursor_is_422(auditor):
    assert auditor.get("/audit?before_id=abc").status_code == 422
    assert auditor.get("/audit?before_id=0").status_code == 422


# ------------------------------------------------------------------------------------------------ paging
def test_keyset_paging_newest_first(auditor, db):
    _append(db, 120)
    ids = [e.id for e in _events(db, action="test.ping")]
    first = auditor.get("/audit?action=test.ping").get_data(as_text=True)
    assert _ids(first) == ids[:50]
    assert "Tổng số: 120 sự kiện" in first and "Trang mới nhất" not in first
    nxt = re.search(r'href="([^"]*before_id=(\d+)[^"]*)"[^>]*>Trang sau', first)
    assert nxt and int(nxt.group(2)) == ids[49]
    second = auditor.get(nxt.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _ids(second) == ids[50:100]
    assert "Trang mới nhất" in second and "action=test.ping" in nxt.group(1)  # the filter is kept
    third = auditor.get(f"/audit?action=test.ping&before_id={ids[99]}").get_data(as_text=True)
    assert _ids(third) == ids[100:]
    assert "Trang sau" not in third


def test_total_is_bounded(auditor, db, monkeypatch):
    _append(db, 12)
    monkeypatch.setattr(aq, "COUNT_CAP", 10)
    assert "Hơn 10 sự kiện" in auditor.get("/audit?action=test.ping").get_data(as_text=True)
    # The total is of the filtered set, whatever page is shown.
    older = _events(db, action="test.ping")[-2].id
    assert "Hơn 10 sự kiện" in auditor.get(f"/audit?action=test.ping&before_id={older}").get_data(as_text=True)
    monkeypatch.setattr(aq, "COUNT_CAP", 12)
    assert "Tổng số: 12 sự kiện" in auditor.get("/audit?action=test.ping").get_data(as_text=True)
    assert aq.bounded_count(db, aq.audit_query(action="test.ping"), 5) == 6


# ------------------------------------------------------------------------------------------------ detail
def test_detail_shows_before_and_after_ip_user_agent_and_hashes(auditor, db, demo):
    tp = demo.actor("tp_pbgdpl")
    ctx = Context(ip="10.1.2.3", user_agent="Mozilla/5.0 <script>alert(1)</script>", via="web")
    n = service.create_nomination(db, tp, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Tên cũ", context=ctx)
    n = service.update_nomination(db, tp, n.id, n.version, title="Tên mới", context=ctx)
    service.transition(db, tp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch", context=ctx)
    db.commit()
    transition, update = _events(db, object_type="nomination")[:2]

    html = auditor.get(f"/audit/{update.id}").get_data(as_text=True)
    assert "Cập nhật hồ sơ" in html and 'data-testid="diff"' in html
    row = re.search(r'<th scope="row"[^>]*>title</th>(.*?)</tr>', html, re.S).group(1)
    assert row.index("Tên cũ") < row.index("Tên mới")
    assert "10.1.2.3" in html and update.hash in html and update.prev_hash in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Võ Minh Tuấn" in html  # the actor's full name

    html = auditor.get(f"/audit/{transition.id}").get_data(as_text=True)
    row = re.search(r'<th scope="row"[^>]*>state</th>(.*?)</tr>', html, re.S).group(1)
    assert row.index("Đã đăng ký") < row.index("Đang bồi dưỡng")
    assert auditor.get("/audit/99999999").status_code == 404


def test_event_diff_handles_the_shapes_the_trail_stores():
    pair = AuditEvent(data={"changes": {"quorum": [0.6667, 0.75]}})
    assert [(r.field, r.before, r.after) for r in aq.event_diff(pair)] == [("quorum", 0.6667, 0.75)]
    assert aq.event_diff(AuditEvent(data={"item_id": 4})) == []
    assert aq.value_text("nurtured") == "Đang bồi dưỡng"


# ------------------------------------------------------------------------------------------------ exports
def _failed_login(db, username, user_agent="pytest"):
    audit.append(db, action="auth.login_failed", actor_username=username, outcome="refused",
                 context=Context(ip="10.0.0.9", user_agent=user_agent))
    db.commit()


def test_the_page_offers_the_xlsx_beside_the_csv_and_says_how_to_import_it(auditor, db):
    """Issue 15, finding 6: LibreOffice's default import mangles the UTF-8 CSV; the page offers the .xlsx beside it
    (same filters) and says which character set and separator to choose."""
    html = auditor.get("/audit?action=auth.login_failed").get_data(as_text=True)
    assert 'href="/audit/export.xlsx?action=auth.login_failed"' in html
    assert 'href="/audit/export.csv?action=auth.login_failed"' in html
    assert "Unicode (UTF-8)" in html and "Dấu phẩy" in html


def test_csv_export_is_the_filtered_set_with_bom_and_neutralised_formulas(auditor, db):
    _failed_login(db, '=HYPERLINK("http://x","bấm")')
    _failed_login(db, "+cmd")
    _append(db, 3)
    r = auditor.get("/audit/export.csv?action=auth.login_failed")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    body = r.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == aq.EXPORT_HEADER
    assert [row[3] for row in rows[1:]] == ["'+cmd", '\'=HYPERLINK("http://x","bấm")']
    assert {row[6] for row in rows[1:]} == {"auth.login_failed"} and rows[1][5] == "Đăng nhập thất bại"
    assert rows[1][10] == "10.0.0.9"


def test_xlsx_export_neutralises_formulas_and_strips_illegal_characters(auditor, db):
    from openpyxl import load_workbook

    _failed_login(db, "=1+1", user_agent="bad\x01agent")
    _failed_login(db, "@SUM(A1)")
    r = auditor.get("/audit/export.xlsx?action=auth.login_failed")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.get_data())).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == aq.EXPORT_HEADER
    # Kept as typed, protected by the quote-prefix style: no apostrophe to show in the value (issue 15).
    assert [row[3] for row in rows[1:]] == ["@SUM(A1)", "=1+1"]
    assert all(row[3].quotePrefix and row[3].data_type == "s" for row in ws.iter_rows(min_row=2))
    assert rows[2][11] == "badagent"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_export_over_the_cap_is_refused_with_a_message(auditor, db, monkeypatch):
    _append(db, 4)
    monkeypatch.setattr(aq, "EXPORT_CAP", 3)
    r = auditor.get("/audit/export.csv?action=test.ping")
    assert r.status_code == 422
    assert "hơn 3 sự kiện" in r.get_data(as_text=True)
    assert auditor.get("/audit/export.xlsx?action=test.ping").status_code == 422
    monkeypatch.setattr(aq, "EXPORT_CAP", 4)
    rows = list(csv.reader(io.StringIO(auditor.get("/audit/export.csv?action=test.ping").get_data(as_text=True))))
    assert len(rows) == 5


# ------------------------------------------------------------------------------------------------ verification
def test_verification_is_stored_shown_and_audited(auditor, db):
    html = auditor.get("/audit").get_data(as_text=True)
    assert 'data-state="unchecked"' in html and "chưa kiểm tra" in html

    r = auditor.post("/audit/verification")
    assert r.status_code == 302
    record = audit_verify.latest(db)
    total = db.scalar(select(text("count(*) FROM audit_events")))
    db.commit()
    assert (record.ok, record.full, record.checked_by, record.first_bad_id) == (True, True, "thanhtra", None)
    assert record.events_checked == total - 1  # every event before the check's own "audit.verify"
    html = auditor.get("/audit").get_data(as_text=True)
    assert 'data-state="ok"' in html and "Chuỗi nhật ký toàn vẹn</strong> — kiểm tra lúc" in html
    assert re.search(r"kiểm tra lúc \d\d:\d\d \d\d/\d\d/\d{4}, \d+ sự kiện", html)
    own = _events(db, action="audit.verify")[0]
    assert (own.actor_username, own.object_id, own.data["ok"]) == ("thanhtra", record.id, True)
    # One result per chain, and the age of the newest signed checkpoint (none yet).
    chains = audit_verify.latest_per_chain(db)
    db.commit()
    assert chains and all(c.ok and c.chain for c in chains)
    assert all(f'data-chain="{c.chain}" data-state="ok"' in html for c in chains)
    assert "Chưa có điểm kiểm tra đã ký nào" in html


def test_incremental_check_after_a_tamper_names_the_bad_event(auditor, db, session_factory, as_dba):
    assert auditor.post("/audit/verification").status_code == 302
    db.commit()
    _append(db, 3)
    ids = [e.id for e in _events(db, action="test.ping")][::-1]
    as_dba(db)
    db.execute(text("UPDATE audit_events SET actor_username = 'admin' WHERE id = :id"), {"id": ids[1]})
    db.commit()

    auditor.post("/audit/verification")
    latest = db.scalar(select(AuditVerification).order_by(AuditVerification.id.desc()))
    db.commit()
    assert (latest.ok, latest.full, latest.first_bad_id) == (False, False, ids[1])
    # The test's events went to the system chain ("chuỗi system"), which the first check had not seen: walked whole.
    assert latest.chain is None and f"chuỗi system (Toàn hệ thống) bị phá vỡ tại #2 (sự kiện id {ids[1]})" in (
        latest.message)
    assert 'data-chain="system" data-state="broken"' in auditor.get("/audit").get_data(as_text=True)
    html = auditor.get("/audit").get_data(as_text=True)
    assert 'data-state="broken"' in html and f'href="/audit/{ids[1]}">#{ids[1]}</a>' in html
    # Still broken on the next click: it starts again from the last *intact* check.
    auditor.post("/audit/verification")
    with session_factory() as s:
        assert audit_verify.latest(s).first_bad_id == ids[1]


def test_incremental_check_reads_only_what_was_appended(db, as_dba):
    _append(db, 2)
    first = audit_verify.check(db, checked_by="test")
    db.commit()
    _append(db, 5)
    second = audit_verify.check(db, checked_by="test")
    db.commit()
    assert second.ok and not second.full
    assert second.events_checked == first.events_checked + 1 + 5  # first's own audit.verify event, then five
    # A tamper before the anchor is for the full check (the CLI's default) to find.
    target = _events(db, action="test.ping")[-1].id
    as_dba(db)
    db.execute(text("UPDATE audit_events SET action = 'x' WHERE id = :id"), {"id": target})
    db.commit()
    assert audit_verify.check(db, checked_by="test").ok
    full = audit_verify.check(db, checked_by="test", full=True)
    assert (full.ok, full.first_bad_id) == (False, target)


def test_incremental_check_notices_an_edited_anchor(db, as_dba):
    _append(db, 2)
    audit_verify.check(db, checked_by="test")
    record = next(v for v in audit_verify.latest_per_chain(db) if v.chain == "system")
    db.commit()
    as_dba(db)
    db.execute(text("UPDATE audit_events SET ip = '1.1.1.1' WHERE id = :id"), {"id": record.last_event_id})
    db.commit()
    again = audit_verify.check(db, checked_by="test")
    assert (again.ok, again.first_bad_id) == (False, record.last_event_id)


def test_check_limited_to_max_events_goes_on_next_time(db):
    _append(db, 7)
    part = audit_verify.check(db, checked_by="test", max_events=3, batch=2)
    db.commit()
    assert part.ok and "Còn sự kiện mới hơn" in part.message and part.events_checked == 3
    rest = audit_verify.check(db, checked_by="test")
    assert rest.ok and rest.events_checked > 3 and "toàn vẹn" in rest.message


def test_cli_verify_records_its_result(app, db, as_dba):
    from web.cli import main

    def cli(*args):
        return CliRunner().invoke(main, ["audit", "verify", *args], obj=ScriptInfo(create_app=lambda: app))

    _append(db, 2)
    ok = cli()
    assert ok.exit_code == 0, ok.output
    assert "toàn vẹn" in ok.output
    incremental = cli("--incremental")
    assert incremental.exit_code == 0
    rows = list(db.scalars(select(AuditVerification).where(AuditVerification.chain.is_(None))
                           .order_by(AuditVerification.id)))
    db.commit()
    assert [(r.checked_by, r.full, r.ok) for r in rows] == [("cli", True, True), ("cli", False, True)]
    last = _events(db)[-1]
    bad, bad_seq = last.id, last.seq
    as_dba(db)
    db.execute(text("UPDATE audit_events SET action = 'x' WHERE id = :id"), {"id": bad})
    db.commit()
    broken = cli("--full")
    # Named by its place in its chain and by its id (ids are not positions: they no longer restart at 1 per test).
    assert broken.exit_code == 1 and f"#{bad_seq} (sự kiện id {bad})" in broken.output
    assert audit_verify.latest(db).first_bad_id == bad


# ------------------------------------------------------------------------------------------------ who may see it
@pytest.mark.parametrize("username", ["tp_pbgdpl", "vanphong"])
def test_forbidden_for_unit_head_and_secretariat(client, login, db, username):
    login(username)
    event_id = _events(db)[0].id
    for path in ("/audit", f"/audit/{event_id}", "/audit/export.csv", "/audit/export.xlsx"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "Không có quyền xem nhật ký hệ thống" in r.get_data(as_text=True)
    assert client.post("/audit/verification").status_code == 403
    assert db.scalar(select(AuditVerification)) is None
    refused = _events(db, action="audit.verify")
    assert [(e.actor_username, e.outcome) for e in refused] == [(username, "refused")]


def test_admin_may_review(client, login):
    login("admin")
    assert client.get("/audit").status_code == 200
    assert client.post("/audit/verification").status_code == 302


def test_anonymous_is_sent_to_login(client):
    r = client.get("/audit")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
