"""Statistics (issue 6): the summary by state, unit, subject type, level and year, the funnel registered → recognised
read from the history, the viewer's scope (a unit head sees their unit, a department never another's, the Ministry
only what reached cơ sở), the demo data answering, the dashboard page, and the yearly and period reports as .docx and
.xlsx carrying the figures.

Nominations are written straight into their final state with the history rows of the path they took (`make`): the
reports read states and history, not how the workflow got there (the workflow has its own tests)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from factories import nomination, nomination_in
from openpyxl import load_workbook
from sqlalchemy import select

from models import Campaign, Nomination
from workflow import clock
from workflow.errors import Forbidden, NotFound, ValidationFailed
from workflow.nominations import service
from workflow.reporting import report_documents, reports

T0 = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)


def make(db, demo, *, unit: str | None = None, person: str | None = None, path=("registered",),
         campaign: Campaign | None = None, title: str | None = None, start: dt.datetime = T0) -> Nomination:
    """A nomination now in path[-1], with one history row per step (one day apart from `start`)."""
    return nomination(db, demo, unit=unit, person=person, path=path, campaign=campaign, title=title, start=start,
                      achievements="Thành tích")


FULL = ("registered", "nurtured", "submitted", "evaluated_co_so", "proposed_nganh", "recognized")


def scenario(db, demo) -> dict[str, Nomination]:
    """Six nominations of STP (annual campaign) and one of STP2."""
    stp2_campaign = db.scalar(select(Campaign).where(Campaign.department_id == demo.unit("STP2").id))
    items = {
        "pb": make(db, demo, unit="PBGDPL", path=FULL),
        "lan": make(db, demo, person="Nguyễn Thị Lan", path=FULL[:4]),
        "duc": make(db, demo, person="Huỳnh Văn Đức", path=FULL[:2]),
        "hctp": make(db, demo, unit="HCTP", path=(*FULL[:3], "not_recognized")),
        "oanh": make(db, demo, person="Phan Thị Kim Oanh", path=("registered", "withdrawn")),
        "cd": make(db, demo, unit="PTP-CD"),
        "stp2": make(db, demo, unit="STP2-VP", campaign=stp2_campaign),
    }
    db.commit()
    return items


def funnel(s) -> dict[str, int]:
    return dict(s.funnel)


# ------------------------------------------------------------------------------------------------ the service
def test_summary_counts_by_state_subject_level_unit_and_funnel(db, demo):
    scenario(db, demo)
    s = reports.summary(db, demo.actor("vanphong"))
    assert s.total == 6
    assert {k: v for k, v in s.by_state.items() if v} == {
        "recognized": 1, "evaluated_co_so": 1, "nurtured": 1, "not_recognized": 1, "withdrawn": 1, "registered": 1}
    assert s.by_subject_type == {"collective": 3, "individual": 3}
    assert s.by_level == {"co_so": 1, "nganh": 1}
    assert funnel(s) == {"registered": 6, "nurtured": 4, "submitted": 3, "evaluated_co_so": 2, "proposed_nganh": 1,
                         "recognized": 1}
    units = {u.code: (u.total, u.co_so, u.nganh) for u in s.by_unit}
    assert units == {"PBGDPL": (3, 1, 1), "HCTP": (2, 0, 0), "PTP-CD": (1, 0, 0)}
    assert s.by_year == [(clock.today().year, 6)]


def test_funnel_counts_a_rejected_ngành_proposal_at_the_stage_it_reached(db, demo):
    """proposed_nganh → evaluated_co_so (reject_nganh): the state is cơ sở again, the funnel remembers the proposal."""
    make(db, demo, unit="PBGDPL", path=(*FULL[:5], "evaluated_co_so"))
    db.commit()
    s = reports.summary(db, demo.actor("vanphong"))
    assert s.by_state["evaluated_co_so"] == 1 and s.by_state["proposed_nganh"] == 0
    assert funnel(s)["proposed_nganh"] == 1 and funnel(s)["recognized"] == 0


def test_the_stored_furthest_stage_gives_the_funnel_the_history_gives(db, demo):
    """Each step raises the nomination's stored furthest stage in its own UPDATE, and the summary's funnel counts
    that instead of reading every state change: on nominations moved by the services themselves — returned for
    revision (back to nurtured, having reached submitted), withdrawn, rejected by the council's close (the batch
    path, `transition_many`), recognised at both levels, revoked — both give the same figures, for every scope."""
    made = [nomination_in(db, demo, state, unit=unit) for state, unit in (
        ("registered", "PTP-CD"), ("withdrawn", "TGPL"), ("not_recognized", "PTP-LX"), ("recognized", "PBGDPL"),
        ("revoked", "XDKT"))]
    returned = nomination_in(db, demo, "submitted", unit="HCTP")
    returned = service.transition(db, demo.actor("vanphong"), returned.id, "return_for_revision", returned.version,
                                  reason="Bổ sung minh chứng")
    db.commit()
    assert returned.state == "nurtured" and made[2].state == "not_recognized"
    stored = dict(db.execute(select(Nomination.id, Nomination.furthest_stage)).all())
    assert [stored[n.id] for n in (*made, returned)] == [1, 1, 3, 6, 4, 3]
    s = reports.summary(db, demo.actor("vanphong"))
    assert funnel(s) == {"registered": 6, "nurtured": 4, "submitted": 4, "evaluated_co_so": 2, "proposed_nganh": 1,
                         "recognized": 1}
    for username in ("vanphong", "admin", "botp", "tp_hctp"):
        actor = demo.actor(username)
        base = reports.base_query(actor).subquery()
        from_history = reports.funnel_from_history(db, base, None)
        s = reports.summary(db, actor)
        assert s.funnel == from_history, username
        per_unit = reports.stages_from_history(db, base, None)
        assert {u.unit_id: u.reached for u in s.by_unit} == \
            {u.unit_id: dict(reports._cumulative(per_unit.get(u.unit_id, {}))) for u in s.by_unit}, username


@pytest.mark.parametrize("username, total, units", [
    ("tp_pbgdpl", 3, {"PBGDPL"}),
    ("tp_hctp", 2, {"HCTP"}),
    ("giamdoc", 6, {"PBGDPL", "HCTP", "PTP-CD"}),
    ("tp_stp2", 1, {"STP2-VP"}),
    ("admin", 7, {"PBGDPL", "HCTP", "PTP-CD", "STP2-VP"}),
    ("thanhtra", 7, {"PBGDPL", "HCTP", "PTP-CD", "STP2-VP"}),
    ("botp", 2, {"PBGDPL"}),  # only what reached cơ sở: the recognised collective and Lan
])
def test_summary_is_scoped_to_the_viewer(db, demo, username, total, units):
    scenario(db, demo)
    s = reports.summary(db, demo.actor(username))
    assert s.total == total
    assert {u.code for u in s.by_unit} == units
    assert funnel(s)["registered"] == total


def test_filters_campaign_year_and_department(db, demo):
    scenario(db, demo)
    period = demo.campaign("period")
    make(db, demo, unit="PBGDPL", campaign=period, path=FULL[:4])
    db.commit()
    vp = demo.actor("vanphong")
    assert reports.summary(db, vp, campaign=period.id).total == 1
    assert reports.summary(db, vp, campaign=demo.campaign().id).total == 6
    assert reports.summary(db, vp, year=2025).total == 1  # the period 2021–2025 counts in 2025
    assert reports.summary(db, vp, year=clock.today().year).total == 6
    assert reports.summary(db, demo.actor("admin"), department=demo.unit("STP2").id).total == 1
    # another department's filter never widens a department role's scope
    assert reports.summary(db, vp, department=demo.unit("STP2").id).total == 0
    with pytest.raises(NotFound):
        reports.summary(db, vp, campaign=987654)
    with pytest.raises(ValidationFailed):
        reports.summary(db, vp, year="abc")


def test_as_of_a_moment_reads_the_history_up_to_it(db, demo):
    make(db, demo, unit="PBGDPL", path=FULL)  # one step a day from T0
    make(db, demo, unit="HCTP", start=T0 + dt.timedelta(days=30))  # registered a month later
    db.commit()
    s = reports.summary(db, demo.actor("vanphong"), until=T0 + dt.timedelta(days=2, hours=1))
    assert s.total == 1 and s.by_state["submitted"] == 1
    assert funnel(s) == {"registered": 1, "nurtured": 1, "submitted": 1, "evaluated_co_so": 0, "proposed_nganh": 0,
                         "recognized": 0}


def test_the_demo_data_answers(db, demo):
    s = reports.summary(db, demo.actor("vanphong"))
    assert s.total == 0 and all(v == 0 for v in s.by_state.values()) and s.by_unit == []
    assert [st for st, _ in s.funnel] == list(reports.FUNNEL)


# ------------------------------------------------------------------------------------------------ the API
def test_api_summary_shape_and_scope(db, demo, api):
    scenario(db, demo)
    cid = demo.campaign().id
    db.commit()  # no read transaction left open: SQLite writers (the token's audit row) wait for readers
    r = api.as_("tp_pbgdpl").get(f"/reports/summary?campaign={cid}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 3 and body["campaign_id"] == cid
    assert {u["code"] for u in body["by_unit"]} == {"PBGDPL"}
    assert body["by_state"]["recognized"] == 1 and body["by_subject_type"] == {"collective": 1, "individual": 2}
    assert [f["count"] for f in body["funnel"]] == [3, 3, 2, 2, 1, 1]
    r = api.as_("vanphong").get("/reports/summary")
    assert r.get_json()["total"] == 6
    r = api.as_("vanphong").get("/reports/summary?campaign=987654")
    assert r.status_code == 404 and "problem+json" in r.content_type
    r = api.as_("vanphong").get("/reports/summary?year=abc")
    assert r.status_code == 422 and "problem+json" in r.content_type


@pytest.mark.parametrize("username", ["admin", "vanphong", "giamdoc", "tp_pbgdpl", "botp", "bientap", "thanhtra",
                                      "hoidong1"])
def test_api_summary_answers_on_the_demo_data_for_every_role(db, api, username):
    r = api.as_(username).get("/reports/summary")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["total"] == 0


def test_staff_are_refused_the_statistics_by_the_page_and_the_api_alike(db, api, client, login):
    """DOMAIN.md: staff see their own nominations and the showcase; the page refused them while the API answered."""
    r = api.as_("canbo1").get("/reports/summary")
    assert r.status_code == 403 and "problem+json" in r.content_type
    assert "Báo cáo, thống kê dành cho" in " ".join(r.get_json()["reasons"])
    login("canbo1")
    assert client.get("/reports").status_code == 403


# ------------------------------------------------------------------------------------------------ documents
def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_yearly_report_docx_and_xlsx_carry_the_figures(db, demo):
    scenario(db, demo)
    year = clock.today().year
    data, d = report_documents.yearly_docx(db, demo.actor("vanphong"), year=year)
    text = docx_text(data)
    assert "BÁO CÁO" in text and f"nhân rộng điển hình tiên tiến năm {year}" in text
    assert "SỞ TƯ PHÁP" in text and "Sở Nội vụ (để tổng hợp)" in text
    assert "đăng ký 6 điển hình (3 tập thể, 3 cá nhân)" in text
    assert "2 điển hình được công nhận cấp cơ sở" in text and "1 điển hình được công nhận điển hình" in text
    assert "Phòng Phổ biến, giáo dục pháp luật" in text and "Nguyễn Thị Lan" in text
    assert d.deadline == dt.date(year, 10, 30)
    data, _ = report_documents.yearly_xlsx(db, demo.actor("vanphong"), year=year)
    wb = load_workbook(io.BytesIO(data))
    assert {"Tổng hợp", "Theo đơn vị", "Giới thiệu hằng tháng", "Danh sách điển hình"} <= set(wb.sheetnames)
    overview = {(r[0], r[1]): r[2] for r in wb["Tổng hợp"].iter_rows(min_row=4, values_only=True)}
    assert overview[("Giai đoạn", "Đã đăng ký")] == 6 and overview[("Tổng số hồ sơ", None)] == 6
    units = {r[0]: r[1:] for r in wb["Theo đơn vị"].iter_rows(min_row=4, values_only=True)}
    # recognised at cơ sở: Lan (still cơ sở) and the PBGDPL collective (since recognised at ngành level), as the text
    assert units["Phòng Phổ biến, giáo dục pháp luật"] == (3, 2, 1)
    assert units["Tổng cộng"] == (6, 2, 1)
    assert len(list(wb["Danh sách điển hình"].iter_rows(min_row=4))) == 2


def _docx_tables(data: bytes) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in Document(io.BytesIO(data)).tables]


def test_yearly_report_figures_agree_with_the_summary_api(db, demo, api):
    """Issue 15, finding 5: the by-unit table said 0 recognised at cơ sở where the text said 3 (it counted the
    current cơ sở state, the text the funnel). Every figure of the text, of the by-unit table (.docx and .xlsx) and
    of the overview sheet is the summary API's."""
    scenario(db, demo)
    year = clock.today().year
    db.commit()  # no read transaction left open: SQLite writers (the token's audit row) wait for readers
    r = api.as_("vanphong").get(f"/reports/summary?year={year}")
    assert r.status_code == 200
    summary = r.get_json()
    f = {step["state"]: step["count"] for step in summary["funnel"]}
    data, _ = report_documents.yearly_docx(db, demo.actor("vanphong"), year=year)
    text = docx_text(data)
    assert (f"đăng ký {f['registered']} điển hình ({summary['by_subject_type']['collective']} tập thể, "
            f"{summary['by_subject_type']['individual']} cá nhân); {f['nurtured']} điển hình được bồi dưỡng; "
            f"{f['submitted']} hồ sơ được trình") in text
    assert (f"{f['evaluated_co_so']} điển hình được công nhận cấp cơ sở; {f['proposed_nganh']} điển hình được đề "
            f"nghị Bộ trưởng Bộ Tư pháp công nhận và {f['recognized']} điển hình được công nhận") in text
    expected = {u["name"]: [str(u["total"]), str(u["reached"].get("evaluated_co_so", 0)),
                            str(u["reached"].get("recognized", 0))] for u in summary["by_unit"]}
    expected["Tổng cộng"] = [str(summary["total"]), str(f["evaluated_co_so"]), str(f["recognized"])]
    by_unit = next(t for t in _docx_tables(data) if t[0][1:] == report_documents.UNIT_HEAD)
    assert {row[1]: row[2:] for row in by_unit[1:]} == expected
    assert sum(int(v[1]) for k, v in expected.items() if k != "Tổng cộng") == f["evaluated_co_so"] > 0
    data, _ = report_documents.yearly_xlsx(db, demo.actor("vanphong"), year=year)
    wb = load_workbook(io.BytesIO(data))
    sheet = {r[0]: [str(v) for v in r[1:]] for r in wb["Theo đơn vị"].iter_rows(min_row=4, values_only=True)}
    assert sheet == expected
    overview = {(r[0], r[1]): r[2] for r in wb["Tổng hợp"].iter_rows(min_row=4, values_only=True)}
    labels = {step["state"]: step["label"] for step in summary["funnel"]}
    assert {k: overview[("Giai đoạn", labels[k])] for k in f} == f
    assert overview[("Tổng số hồ sơ", None)] == summary["total"]


def test_a_unit_heads_yearly_report_is_their_units(db, demo):
    scenario(db, demo)
    data, d = report_documents.yearly_docx(db, demo.actor("tp_pbgdpl"), year=clock.today().year)
    text = docx_text(data)
    assert d.unit.code == "PBGDPL" and d.deadline.day == 20
    assert "PHÒNG PHỔ BIẾN, GIÁO DỤC PHÁP LUẬT" in text and "Văn phòng Sở (để tổng hợp)" in text
    assert "đăng ký 3 điển hình" in text and "Phòng Hành chính tư pháp" not in text


def test_xlsx_neutralises_formula_like_text(db, demo):
    unit = demo.unit("PTP-CD")
    unit.name = "=HYPERLINK(\"http://x\",\"y\")"
    make(db, demo, unit="PTP-CD", path=FULL[:4])
    db.commit()
    data, _ = report_documents.yearly_xlsx(db, demo.actor("vanphong"), year=clock.today().year)
    wb = load_workbook(io.BytesIO(data))
    cells = [r[0] for r in wb["Theo đơn vị"].iter_rows(min_row=4)][:-1]  # the last row: "Tổng cộng"
    # Kept as typed (no apostrophe added to the value), a string, with the quote-prefix style (issue 15).
    assert [c.value for c in cells] == ["=HYPERLINK(\"http://x\",\"y\")"]
    assert cells[0].data_type == "s" and cells[0].quotePrefix


def test_period_report_uses_the_campaigns_dates(db, demo):
    period = demo.campaign("period")
    period.midterm_review_date, period.final_review_date = dt.date(2023, 6, 11), dt.date(2025, 12, 15)
    early = dt.datetime(2022, 3, 1, 2, 0, tzinfo=dt.UTC)
    make(db, demo, unit="PBGDPL", campaign=period, path=FULL[:4], start=early)  # cơ sở by 04/03/2022
    make(db, demo, unit="HCTP", campaign=period, path=FULL[:4], start=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    db.commit()
    vp = demo.actor("vanphong")
    data, d = report_documents.period_docx(db, vp, campaign=period.id, stage="midterm", today=dt.date(2026, 1, 5))
    text = docx_text(data)
    # The title in two lines, the period whole on the second (issue 15: it broke "2021 –" over "2025").
    assert "Sơ kết công tác xây dựng, nhân rộng điển hình tiên tiến\ngiai đoạn 2021 – 2025" in text
    assert "đến ngày 11/06/2023" in text and d.summary.total == 1 and funnel(d.summary)["evaluated_co_so"] == 1
    _, d = report_documents.period_docx(db, vp, campaign=period.id, stage="final", today=dt.date(2026, 1, 5))
    assert d.summary.total == 2 and d.date == dt.date(2025, 12, 15)
    data, _ = report_documents.period_xlsx(db, vp, campaign=period.id, stage="final", today=dt.date(2026, 1, 5))
    assert load_workbook(io.BytesIO(data))["Tổng hợp"]["A1"].value.startswith("BÁO CÁO TỔNG KẾT")
    with pytest.raises(ValidationFailed):
        report_documents.period(db, vp, campaign=demo.campaign().id, stage="final")  # an annual campaign
    with pytest.raises(ValidationFailed):
        report_documents.period(db, vp, campaign=period.id, stage="later")
    with pytest.raises(NotFound):  # another department's campaign
        report_documents.period(db, demo.actor("tp_stp2"), campaign=period.id, stage="final")
    with pytest.raises(Forbidden):
        report_documents.yearly(db, demo.actor("canbo1"), year=2026)


def test_report_downloads_over_http(db, demo, api, client, login):
    scenario(db, demo)
    period, annual = demo.campaign("period").id, demo.campaign().id
    db.commit()
    r = api.as_("vanphong").get(f"/reports/yearly.docx?year={clock.today().year}")
    assert r.status_code == 200 and r.mimetype.endswith("wordprocessingml.document")
    assert "đăng ký 6 điển hình" in docx_text(r.data)
    r = api.as_("vanphong").get(f"/reports/period.xlsx?campaign={period}&stage=final")
    assert r.status_code == 200 and load_workbook(io.BytesIO(r.data))
    r = api.as_("vanphong").get(f"/reports/period.docx?campaign={annual}&stage=final")
    assert r.status_code == 422 and "problem+json" in r.content_type
    assert api.as_("canbo1").get("/reports/yearly.docx").status_code == 403
    login("giamdoc")
    r = client.get("/reports/yearly.xlsx")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")


def test_a_report_carries_the_number_the_register_gave_it(db, demo, client, login):
    """Issue 15, finding 5: the reports left "Số" blank. The drafter gives the number the văn thư's register gave the
    report (the dashboard's form, the page's `number`); a number of another type or body is refused; none leaves the
    number blank for the văn thư to write in."""
    year = clock.today().year
    data, d = report_documents.yearly_docx(db, demo.actor("vanphong"), year=year, number="15/BC-STP")
    assert d.number == 15 and "Số: 15/BC-STP" in docx_text(data)
    data, _ = report_documents.period_docx(db, demo.actor("vanphong"), campaign=demo.campaign("period").id,
                                           stage="final", number=16)
    assert "Số: 16/BC-STP" in docx_text(data)
    assert "Số:       /BC-STP" in docx_text(report_documents.yearly_docx(db, demo.actor("vanphong"), year=year)[0])
    with pytest.raises(ValidationFailed):
        report_documents.yearly(db, demo.actor("vanphong"), year=year, number="15/QĐ-STP")
    db.commit()
    login("giamdoc")
    page = client.get("/reports").get_data(as_text=True)
    assert 'name="number"' in page
    r = client.get(f"/reports/yearly.docx?year={year}&number=17")
    assert r.status_code == 200 and "Số: 17/BC-STP" in docx_text(r.data)
    r = client.get(f"/reports/yearly.docx?year={year}&number=abc")
    assert r.status_code == 422 and "Số báo cáo không hợp lệ" in r.get_data(as_text=True)


# ------------------------------------------------------------------------------------------------ the dashboard
def test_dashboard_draws_the_charts_with_their_tables(db, demo, client, login):
    scenario(db, demo)
    login("vanphong")
    r = client.get("/reports")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert html.count("<svg") >= 5 and 'role="img"' in html
    for chart in ("funnel", "state", "unit", "subject", "level"):
        assert f'data-testid="table-{chart}"' in html
    assert 'data-testid="total-count">6<' in html
    assert 'data-testid="compliance"' in html and "Phòng Tư pháp thành phố Châu Đốc" in html


def test_dashboard_offers_the_period_reports_with_their_review_dates(db, demo, client, login):
    """The campaigns of the filter are plain rows (`reports.visible_campaigns`): the period campaign's downloads
    still name it and give each stage its review date."""
    period = demo.campaign("period")
    period.midterm_review_date, period.final_review_date = dt.date(2023, 6, 11), None
    db.commit()
    login("vanphong")
    html = client.get("/reports").get_data(as_text=True)
    assert f'<input type="hidden" name="campaign" value="{period.id}">' in html
    assert f'id="f-period-stage-{period.id}"' in html and f"<span class=\"d-block\">{period.name}</span>" in html
    assert "(11/06/2023)</option>" in html
    assert f'<option value="{period.id}">{period.name}</option>' in html
    rows = reports.visible_campaigns(db, demo.actor("vanphong"))
    assert not any(isinstance(c, Campaign) for c in rows) and period.id in {c.id for c in rows}


def test_dashboard_filter_offers_the_campaigns_the_chosen_one_marked(db, demo, client, login):
    """The campaigns' `<option>`s are written by `choice_options` (one pass, not a Jinja loop of 200 for the
    Ministry): each campaign in the filter's order, its name escaped, the campaign of the summary marked selected and
    none when no campaign is chosen — what the template's loop wrote."""
    from markupsafe import escape

    period = demo.campaign("period")
    period.name = 'Giai đoạn <2021–2025> & "tổng kết"'
    db.commit()
    login("vanphong")
    rows = reports.visible_campaigns(db, demo.actor("vanphong"))
    assert len(rows) >= 2

    def options(chosen) -> str:
        return "".join(f'<option value="{c.id}"{" selected" if c.id == chosen else ""}>{escape(c.name)}</option>'
                       for c in rows)

    assert '<option value="">Tất cả</option>\n      ' + options(None) + "\n    </select>" in \
        client.get("/reports").get_data(as_text=True)
    html = client.get(f"/reports?campaign={period.id}").get_data(as_text=True)
    assert options(period.id) in html and html.count(" selected>") == 1
    assert "&lt;2021–2025&gt; &amp; &#34;tổng kết&#34;" in html


def test_dashboard_scope_and_refusals(db, demo, client, login):
    scenario(db, demo)
    login("tp_pbgdpl")
    html = client.get("/reports").get_data(as_text=True)
    assert 'data-testid="total-count">3<' in html and "Phòng Hành chính tư pháp" not in html
    assert client.get("/reports?year=abc").status_code == 422
    login("canbo1")
    assert client.get("/reports").status_code == 403


def test_report_tables_keep_their_total_and_the_title_its_period(db, demo):
    """Issue 15, finding 5: the sơ kết/tổng kết title broke "2021 – / 2025" and the "Tổng cộng" row of the state
    table was left alone at the top of the next page. The period is a line of its own, and a short table is kept
    on one page (every row kept with the next), its total included."""
    make(db, demo, unit="PBGDPL", campaign=demo.campaign("period"), path=FULL[:4])
    db.commit()
    data, _ = report_documents.period_docx(db, demo.actor("vanphong"), campaign=demo.campaign("period").id,
                                           stage="final")
    document = Document(io.BytesIO(data))
    titles = [p.text for p in document.paragraphs]
    at = titles.index("BÁO CÁO")
    assert titles[at + 1:at + 3] == ["Tổng kết công tác xây dựng, nhân rộng điển hình tiên tiến",
                                     "giai đoạn 2021 – 2025"]
    states = next(t for t in document.tables if t.rows[0].cells[1].text == "Trạng thái")
    assert states.rows[-1].cells[1].text == "Tổng cộng"
    for row in states.rows[:-1]:
        assert all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs), row.cells[1].text


@pytest.mark.parametrize("username", ["admin", "vanphong", "tp_pbgdpl", "botp"])
def test_api_summary_writes_what_its_schema_dumps(db, demo, api, app, username):
    """GET /reports/summary is written in one orjson pass (`json_provider.document`), not dumped through its schema:
    the bytes are those the schema's dump wrote."""
    from flask import jsonify

    from web.api.reports import SummarySchema

    scenario(db, demo)
    response = api.as_(username).get("/reports/summary")
    assert response.status_code == 200, response.get_data(as_text=True)
    data = reports.summary_data(reports.summary(db, demo.actor(username)))
    with app.test_request_context():
        assert response.get_data() == jsonify(SummarySchema().dump(data)).get_data()


def test_the_summary_is_two_statements_each_grouping_the_nominations_without_their_campaigns(db, demo):
    """The units' names come with the first pass's groups, the years with the second's (joined once the nominations
    are grouped): two statements, neither joining each nomination to its campaign."""
    from sqlalchemy import event

    scenario(db, demo)
    actor = demo.actor("admin")
    seen: list[str] = []
    conn = db.connection()
    event.listen(conn, "before_cursor_execute", lambda _c, _k, statement, *_: seen.append(statement))
    s = reports.summary(db, actor)
    assert s.total == 7 and {u.code for u in s.by_unit} >= {"PBGDPL", "STP2-VP"}
    assert len(seen) == 2, seen
    for statement in seen:
        assert "GROUP BY" in statement and "campaigns.id = nominations.campaign_id" not in statement, statement


def _expected_from_base_query(db, actor, **filters) -> dict:
    """The summary's figures counted in Python from `base_query`'s rows (one per visible nomination, with its year and
    stored furthest stage): the reference the summary's prebuilt statements are compared with."""
    base = reports.base_query(actor, **filters).subquery()
    by_state = {s: 0 for s in reports.STATES}
    by_subject = {t: 0 for t in reports.SUBJECT_TYPES}
    years: dict[int, int] = {}
    units: dict[int, dict] = {}
    for state, unit_id, subject_type, year, stage in db.execute(
            select(base.c.state, base.c.unit_id, base.c.subject_type, base.c.year, base.c.stage)):
        by_state[state] += 1
        by_subject[subject_type] += 1
        years[int(year)] = years.get(int(year), 0) + 1
        u = units.setdefault(unit_id, {"total": 0, "by_state": {}, "ranks": {}})
        u["total"] += 1
        u["by_state"][state] = u["by_state"].get(state, 0) + 1
        u["ranks"][stage] = u["ranks"].get(stage, 0) + 1
    overall: dict[int, int] = {}
    for u in units.values():
        for rank, n in u["ranks"].items():
            overall[rank] = overall.get(rank, 0) + n
    return {"total": sum(by_state.values()), "by_state": by_state, "by_subject_type": by_subject,
            "by_year": sorted(years.items()), "funnel": reports._cumulative(overall),
            "by_unit": {uid: (u["total"], u["by_state"], dict(reports._cumulative(u["ranks"])))
                        for uid, u in units.items()}}


@pytest.mark.parametrize("username", ["admin", "thanhtra", "vanphong", "giamdoc", "tp_pbgdpl", "tp_stp2", "botp"])
def test_the_summary_of_now_counts_what_base_query_reads(db, demo, username):
    """The summary of now runs statements prebuilt per shape of the reader's scope and filters (`policy.scope_bound`,
    the values bound per request, `_summary_statements`); the period reports and the yearly report count
    `base_query`'s rows. Both give the same figures, for every reader and every filter and combination of them."""
    scenario(db, demo)
    period = demo.campaign("period")
    make(db, demo, unit="PBGDPL", campaign=period, path=FULL[:4])
    make(db, demo, person="Nguyễn Thị Lan", campaign=period, path=(*FULL[:5], "evaluated_co_so"))
    db.commit()
    actor = demo.actor(username)
    stp, stp2 = demo.unit("STP").id, demo.unit("STP2").id
    pbgdpl, annual = demo.unit("PBGDPL").id, demo.campaign().id
    cases = [{}, {"campaign_id": period.id}, {"campaign_id": annual}, {"year": 2025}, {"year": clock.today().year},
             {"year": 2001}, {"department_id": stp}, {"department_id": stp2}, {"unit_id": pbgdpl},
             {"year": 2025, "department_id": stp}, {"campaign_id": annual, "unit_id": pbgdpl},
             {"campaign_id": period.id, "year": 2025, "department_id": stp, "unit_id": pbgdpl}]
    seen_totals = set()
    for filters in cases:
        s = reports.summary(db, actor, campaign=filters.get("campaign_id"), year=filters.get("year"),
                            department=filters.get("department_id"), unit=filters.get("unit_id"))
        expected = _expected_from_base_query(db, actor, **filters)
        got = {"total": s.total, "by_state": s.by_state, "by_subject_type": s.by_subject_type, "by_year": s.by_year,
               "funnel": s.funnel,
               "by_unit": {u.unit_id: (u.total, u.by_state, u.reached) for u in s.by_unit}}
        assert got == expected, (username, filters)
        assert s.by_level == {k: sum(s.by_state[st] for st in states) for k, states in reports.LEVELS.items()}
        seen_totals.add(s.total)
    assert len(seen_totals) > 1 or username == "tp_stp2"  # the filters do filter
