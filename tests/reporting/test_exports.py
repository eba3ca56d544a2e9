"""The nominations list as .xlsx (web /nominations/export.xlsx and API GET /api/v1/exports/nominations.xlsx): the
list's scope and filters, Vietnamese labels and dates, formula-neutralised cells."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from workflow import clock
from workflow.labels import STATE_LABELS
from workflow.nominations import exports, service

EVIL = '=HYPERLINK("https://example.com/x","Bấm vào đây")'
HEADERS = [h for h, _w in exports.COLUMNS]


def book(data: bytes):
    assert data[:2] == b"PK"
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[2] == HEADERS
    return ws, rows[3:]


@pytest.fixture
def registered(db, demo):
    """PBGDPL (a collective, titled like a formula), HCTP (a collective) and one HCTP individual."""
    campaign = demo.campaign().id

    def make(head, **kw):
        return service.create_nomination(db, demo.actor(head), campaign_id=campaign, achievements="Thành tích.", **kw)

    a = make("tp_pbgdpl", subject_type="collective", unit_id=demo.unit("PBGDPL").id, title=EVIL)
    b = make("tp_hctp", subject_type="collective", unit_id=demo.unit("HCTP").id, title="Phòng HCTP – hộ tịch")
    c = make("tp_hctp", subject_type="individual", person_id=demo.person("Phan Thị Kim Oanh").id,
             title="-1+Chị Oanh")
    ids = a.id, b.id, c.id
    db.commit()
    return ids


@pytest.fixture
def facts(db, demo):
    """What the assertions compare with, read before any request: on SQLite a read by the test's session holds the
    write lock (BEGIN IMMEDIATE) until it ends, so the session is released before the app is called."""
    out = {"position": demo.person("Phan Thị Kim Oanh").position or "", "campaign": demo.campaign().name,
           "period": demo.campaign("period").id, "HCTP": demo.unit("HCTP").id}
    db.rollback()
    return out


def test_demo_data_answers_with_the_header_only(api):
    r = api.as_("admin").get("/exports/nominations.xlsx")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in r.headers["Content-Disposition"]
    ws, rows = book(r.data)
    assert rows == []
    assert ws["A1"].value == exports.TITLE
    assert "Bộ lọc: không" in ws["A2"].value and f"{clock.today():%d/%m/%Y}" in ws["A2"].value


def test_scope_labels_and_neutralised_cells(api, registered, facts):
    a, b, c = registered
    ws, rows = book(api.as_("vanphong").get("/exports/nominations.xlsx").data)
    assert [r[0] for r in rows] == [c, b, a]  # the list's order: newest first
    by_id = {r[0]: r for r in rows}
    assert by_id[a][1:3] == ["Tập thể", "Phòng Phổ biến, giáo dục pháp luật"]
    assert by_id[a][4] == EVIL  # as typed, stored as text with the quote-prefix style, not as a formula
    assert by_id[c][1:5] == ["Cá nhân", "Phan Thị Kim Oanh", facts["position"], "-1+Chị Oanh"]
    assert by_id[b][5:9] == ["Phòng Hành chính tư pháp", "Sở Tư pháp tỉnh An Giang", facts["campaign"],
                             STATE_LABELS["registered"]]
    assert isinstance(by_id[b][9], dt.datetime) and by_id[b][9].date() == clock.today()
    for row in ws.iter_rows(min_row=4):
        assert row[4].data_type == "s" and row[9].number_format == "dd/mm/yyyy"
        assert row[4].quotePrefix == (row[4].value in (EVIL, "-1+Chị Oanh")) and not row[2].quotePrefix
    # A unit head exports their unit only; another department sees none of these.
    _ws, mine = book(api.as_("tp_pbgdpl").get("/exports/nominations.xlsx").data)
    assert [r[0] for r in mine] == [a]
    _ws, other = book(api.as_("tp_stp2").get("/exports/nominations.xlsx").data)
    assert other == []


def test_filters_are_honoured(api, registered, facts):
    a, b, c = registered
    who = api.as_("vanphong")
    ids = lambda query: [r[0] for r in book(who.get("/exports/nominations.xlsx" + query).data)[1]]  # noqa: E731
    assert ids("?subject_type=individual") == [c]
    assert ids(f"?unit={facts['HCTP']}") == [c, b]
    assert ids("?q=ho tich") == [b]
    assert ids("?state=registered,nurtured") == [c, b, a]
    assert ids("?state=recognized") == []
    assert ids(f"?campaign={facts['period']}") == []
    ws, _rows = book(who.get("/exports/nominations.xlsx?subject_type=individual&q=oanh").data)
    assert "Đối tượng: Cá nhân" in ws["A2"].value and "“oanh”" in ws["A2"].value


def test_bad_filters_are_422_problems(api):
    r = api.as_("vanphong").get("/exports/nominations.xlsx?campaign=abc")
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert api.get("/exports/nominations.xlsx").status_code == 401


def test_web_export_carries_the_list_filters(client, login, registered):
    a, b, c = registered
    login("vanphong")
    page = client.get("/nominations?subject_type=collective&q=hctp").get_data(as_text=True)
    assert 'href="/nominations/export.xlsx?subject_type=collective&amp;q=hctp"' in page or \
        'href="/nominations/export.xlsx?q=hctp&amp;subject_type=collective"' in page
    r = client.get("/nominations/export.xlsx?subject_type=collective&q=hctp")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")
    _ws, rows = book(r.data)
    assert [row[0] for row in rows] == [b]
    login("tp_pbgdpl")
    _ws, rows = book(client.get("/nominations/export.xlsx").data)
    assert [row[0] for row in rows] == [a]
    assert client.get("/nominations/export.xlsx?unit=x").status_code == 422
