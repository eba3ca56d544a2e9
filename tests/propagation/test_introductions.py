"""Monthly introductions of examples (004 §V.1, "vào ngày 10 hàng tháng") and the themes calendar (000 §II.3): who may
record for which unit, what may be introduced and when, the 10th deadline (met, missed, not yet due), duplicates,
deletion, the compliance table's scope, the audit trail, and editing the yearly calendar of themes."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select
from test_reports import FULL, make

from models import AuditEvent, MonthlyIntroduction, PropagandaTheme
from workflow import clock
from workflow.errors import Forbidden, NotFound, ValidationFailed
from workflow.propagation import introductions, themes

MARCH = dt.date(2026, 3, 1)
TODAY = dt.date(2026, 4, 20)  # the deadline of March has passed


def record(db, demo, who, n, day, unit=None, **kw):
    return introductions.record(db, demo.actor(who), unit_id=demo.unit(unit).id if unit else n.unit_id,
                                nomination_id=n.id, introduced_on=day, today=kw.pop("today", TODAY), **kw)


def audit_actions(db, object_type):
    return list(db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == object_type)
                           .order_by(AuditEvent.id)))


def rows(table) -> dict[str, str]:
    return {r.unit.code: r.status for r in table.page.items}


# ------------------------------------------------------------------------------------------------ recording
def test_a_unit_head_records_for_their_unit_and_it_is_audited(db, demo):
    n = make(db, demo, unit="PBGDPL", path=FULL[:4])
    intro = record(db, demo, "tp_pbgdpl", n, dt.date(2026, 3, 9), form="Giao ban cơ quan")
    assert (intro.month, intro.unit_id, intro.department_id) == (MARCH, n.unit_id, demo.unit("STP").id)
    assert audit_actions(db, "monthly_introduction") == ["introduction.create"]


def test_the_secretariat_records_for_any_unit_of_the_department_only(db, demo):
    n = make(db, demo, unit="HCTP", path=FULL[:2])
    assert record(db, demo, "vanphong", n, dt.date(2026, 3, 2)).unit_id == demo.unit("HCTP").id
    other = make(db, demo, unit="STP2-VP", campaign=None)
    with pytest.raises(Forbidden):
        record(db, demo, "vanphong", other, dt.date(2026, 3, 2))


@pytest.mark.parametrize("who", ["tp_hctp", "tp_stp2", "hoidong1", "giamdoc", "canbo1", "botp", "admin"])
def test_others_may_not_record_for_pbgdpl(db, demo, who):
    n = make(db, demo, unit="PBGDPL", path=FULL[:4])
    with pytest.raises(Forbidden):
        record(db, demo, who, n, dt.date(2026, 3, 2))


def test_what_may_be_introduced_and_when(db, demo):
    live = make(db, demo, unit="PBGDPL", path=FULL[:4])
    hctp = make(db, demo, unit="HCTP", path=FULL[:4])
    dead = {s: make(db, demo, person=p, path=("registered", s)) for s, p in
            (("withdrawn", "Nguyễn Thị Lan"), ("not_recognized", "Huỳnh Văn Đức"), ("revoked", "Lâm Thị Ngọc Ánh"))}
    with pytest.raises(ValidationFailed) as err:
        record(db, demo, "tp_pbgdpl", hctp, dt.date(2026, 3, 2), unit="PBGDPL")  # another unit's nomination
    assert "nomination_id" in err.value.field_errors
    for n in dead.values():
        with pytest.raises(ValidationFailed) as err:
            record(db, demo, "tp_pbgdpl", n, dt.date(2026, 3, 2))
        assert "không giới thiệu" in err.value.reasons[0]
    with pytest.raises(ValidationFailed) as err:  # in the future
        record(db, demo, "tp_pbgdpl", live, dt.date(2026, 4, 21))
    assert "introduced_on" in err.value.field_errors
    with pytest.raises(ValidationFailed):  # outside the month named
        record(db, demo, "tp_pbgdpl", live, dt.date(2026, 4, 2), month="2026-03")
    with pytest.raises(ValidationFailed):
        record(db, demo, "tp_pbgdpl", live, "31/02/2026")  # no such day (02/03/2026 is read like 2026-03-02)
    assert db.scalar(select(func.count()).select_from(MonthlyIntroduction)) == 0


def test_a_duplicate_is_a_clear_422(db, demo):
    n = make(db, demo, unit="PBGDPL", path=FULL[:4])
    record(db, demo, "tp_pbgdpl", n, dt.date(2026, 3, 2))
    with pytest.raises(ValidationFailed) as err:
        record(db, demo, "vanphong", n, dt.date(2026, 3, 20))
    assert err.value.detail == "Điển hình này đã được ghi nhận giới thiệu trong tháng."
    assert record(db, demo, "tp_pbgdpl", n, dt.date(2026, 4, 2)).month == dt.date(2026, 4, 1)  # next month is fine


# ------------------------------------------------------------------------------------------------ the 10th
def test_the_tenth_met_missed_and_not_yet_due(db, demo):
    pb, hc = make(db, demo, unit="PBGDPL", path=FULL[:4]), make(db, demo, unit="HCTP", path=FULL[:4])
    record(db, demo, "tp_pbgdpl", pb, dt.date(2026, 3, 10))  # on the 10th: met
    record(db, demo, "tp_hctp", hc, dt.date(2026, 3, 11))  # the 11th: late
    vp = demo.actor("vanphong")
    table = introductions.compliance(db, vp, month="2026-03", today=TODAY)
    status = rows(table)
    assert status["PBGDPL"] == "met" and status["HCTP"] == "missed" and status["PTP-CD"] == "missed"
    hctp = next(r for r in table.page.items if r.unit.code == "HCTP")
    assert hctp.count == 1 and hctp.late and hctp.label.startswith("Không đạt") and hctp.met is False
    assert table.due and table.met_count == 1 and table.page.total == 8
    # before the 10th has passed: a unit without an introduction is not yet due; one with an early one is met
    early = introductions.compliance(db, vp, month="2026-03", today=dt.date(2026, 3, 10))
    assert rows(early)["PTP-CD"] == "not_due" and rows(early)["PBGDPL"] == "met" and not early.due
    assert next(r for r in early.page.items if r.unit.code == "PTP-CD").met is None
    assert set(rows(introductions.compliance(db, vp, month="2026-03", today=dt.date(2026, 3, 11))).values()) == \
        {"met", "missed"}


def test_compliance_scope(db, demo):
    assert set(rows(introductions.compliance(db, demo.actor("tp_pbgdpl"), month="2026-03"))) == {"PBGDPL"}
    assert set(rows(introductions.compliance(db, demo.actor("tp_stp2"), month="2026-03"))) == {"STP2-VP"}
    stp = rows(introductions.compliance(db, demo.actor("giamdoc"), month="2026-03"))
    assert set(stp) == {"VP", "TTR", "PBGDPL", "HCTP", "XDKT", "TGPL", "PTP-LX", "PTP-CD"}
    assert "STP2-VP" in rows(introductions.compliance(db, demo.actor("admin"), month="2026-03"))
    with pytest.raises(Forbidden):
        introductions.compliance(db, demo.actor("canbo1"))
    with pytest.raises(Forbidden):
        introductions.compliance(db, demo.actor("vanphong"), department=demo.unit("STP2").id)
    with pytest.raises(ValidationFailed):
        introductions.compliance(db, demo.actor("vanphong"), month="2026-13")


def test_every_page_of_the_table_has_its_units_total_and_introductions(db, demo):
    """The table's page of units is read with its total beside each row, and the month's introductions for the same
    page chosen again by the database (not by a list of the page's ids), both as plain rows: every page, every size
    and a page past the end (its total counted apart) give the units in the table's order, the total, and each
    unit's introductions with what the objects say of them and of their nominations."""
    from models import Unit

    pb, hc = make(db, demo, unit="PBGDPL", path=FULL[:4]), make(db, demo, unit="HCTP", path=FULL[:4])
    lan = make(db, demo, person="Nguyễn Thị Lan", path=FULL[:4])
    record(db, demo, "tp_pbgdpl", pb, dt.date(2026, 3, 3))
    record(db, demo, "tp_pbgdpl", lan, dt.date(2026, 3, 12))
    record(db, demo, "tp_hctp", hc, dt.date(2026, 3, 9))
    record(db, demo, "tp_hctp", hc, dt.date(2026, 2, 9), month="2026-02")  # another month: not in March's table
    actor = demo.actor("admin")
    every = list(db.scalars(select(Unit).where(Unit.kind.in_(introductions.REPORTING_KINDS))
                            .order_by(Unit.department_id, Unit.kind.desc(), Unit.name, Unit.id)))
    by_code = {"PBGDPL": ["2026-03-03", "2026-03-12"], "HCTP": ["2026-03-09"]}
    objects: dict[int, list[MonthlyIntroduction]] = {}
    for o in db.scalars(select(MonthlyIntroduction).where(MonthlyIntroduction.month == MARCH)
                        .order_by(MonthlyIntroduction.introduced_on, MonthlyIntroduction.id)):
        objects.setdefault(o.unit_id, []).append(o)
    assert {n.subject_name for o in sum(objects.values(), []) for n in [o.nomination]} >= {"Nguyễn Thị Lan"}
    for per_page in (1, 3, 7, 100):
        pages = -(-len(every) // per_page)
        for page in (*range(1, pages + 1), pages + 1, pages + 5):
            table = introductions.compliance(db, actor, month="2026-03", page=page, per_page=per_page, today=TODAY)
            expected = every[(page - 1) * per_page:page * per_page]
            assert table.page.total == len(every), (per_page, page)
            assert [tuple(r.unit) for r in table.page.items] == \
                [(u.id, u.code, u.name, u.department_id) for u in expected], (per_page, page)
            for r in table.page.items:
                assert [i.introduced_on.isoformat() for i in r.introductions] == by_code.get(r.unit.code, [])
                assert [i.id for i in r.introductions] == [o.id for o in objects.get(r.unit.id, [])]
                for i in r.introductions:  # plain rows of what the objects say (the page and the API read these)
                    o = db.get(MonthlyIntroduction, i.id)
                    assert i[:8] == (o.id, o.unit_id, o.department_id, o.nomination_id, o.month, o.introduced_on,
                                     o.form, o.note) and i.unit_id == r.unit.id
                    n = o.nomination
                    assert tuple(i.nomination) == (n.id, n.title, n.subject_name, n.state)
    assert not introductions.compliance(db, demo.actor("tp_pbgdpl"), month="2026-03", page=2).page.items
    assert introductions.compliance(db, demo.actor("tp_pbgdpl"), month="2026-03", page=2).page.total == 1


@pytest.mark.parametrize("username", ["vanphong", "tp_pbgdpl", "tp_stp2", "giamdoc"])
def test_the_forms_candidates_are_the_live_nominations_of_the_recordable_units(db, demo, username):
    """The form's nominations are plain rows (`Candidate`): for each reader the same nominations, in the same order and
    cut at the same limit, with the unit's code, whom it is about (`Nomination.subject_name`), the title and the state
    the objects give; dead ones (withdrawn, refused, revoked) left out."""
    from models import DEAD_STATES, Nomination

    period, stp2 = demo.campaign("period"), demo.campaign("annual", "STP2")
    for unit, path, campaign in (("PBGDPL", FULL, None), ("HCTP", FULL[:4], None),
                                 ("PTP-CD", ("registered", "withdrawn"), None), ("PBGDPL", FULL[:2], period),
                                 ("STP2-VP", FULL[:3], stp2)):
        make(db, demo, unit=unit, path=path, campaign=campaign)
    for person, path in (("Nguyễn Thị Lan", FULL[:4]), ("Huỳnh Văn Đức", (*FULL[:3], "not_recognized"))):
        make(db, demo, person=person, path=path)
    actor = demo.actor(username)
    units = introductions.recordable_units(db, actor)
    for limit in (300, 2):
        objects = list(db.scalars(select(Nomination).where(Nomination.unit_id.in_([u.id for u in units]),
                                                           Nomination.state.not_in(DEAD_STATES))
                                  .order_by(Nomination.unit_id, Nomination.id.desc()).limit(limit)))
        expected = [(n.id, n.unit.code, n.subject_name, n.title, n.state) for n in objects]
        assert [tuple(c) for c in introductions.candidate_nominations(db, actor, limit)] == expected
        assert introductions.candidate_nominations(db, actor, limit, units=units) == \
            introductions.candidate_nominations(db, actor, limit)
    assert bool(expected) == bool(units)


# The status cell as the `status_cell` macro wrote it, before its body was written into the compliance table's loop
# (a macro call per row: ~0.4 ms of the Ministry's reports page, 100 rows).
_STATUS_CELL = """{% macro status_cell(row) -%}
{% if row.status == 'met' %}<span class="badge text-bg-success" data-status="met"><span aria-hidden="true">✓</span> \
{{ row.label }}</span>
{% elif row.status == 'missed' %}<span class="badge text-bg-danger" data-status="missed"><span aria-hidden="true">✗\
</span> {{ row.label }}</span>
{% else %}<span class="badge text-bg-light border text-dark" data-status="not_due"><span aria-hidden="true">…</span> \
{{ row.label }}</span>{% endif %}
{%- endmacro %}{% for row in rows %}    <td>{{ status_cell(row) }}</td>
{% endfor %}"""


def test_the_compliance_tables_status_cells_are_what_the_macro_wrote(app, db, demo):
    """Each row's status cell (met, missed late, missed without an introduction, not yet due) in the compliance table
    is the text the `status_cell` macro wrote."""
    pb, hc = make(db, demo, unit="PBGDPL", path=FULL[:4]), make(db, demo, unit="HCTP", path=FULL[:4])
    record(db, demo, "tp_pbgdpl", pb, dt.date(2026, 3, 10))
    record(db, demo, "tp_hctp", hc, dt.date(2026, 3, 11))
    vp = demo.actor("vanphong")
    seen = set()
    for today in (TODAY, dt.date(2026, 3, 10)):
        table = introductions.compliance(db, vp, month="2026-03", today=today)
        seen |= {(r.status, r.late) for r in table.page.items}
        with app.test_request_context("/reports"):
            env = app.jinja_env
            html = env.from_string('{% from "reports/_charts.html" import compliance_table %}'
                                   "{{ compliance_table(table) }}").render(table=table)
            cells = env.from_string(_STATUS_CELL).render(rows=table.page.items)
        status_cell = re.compile(r'    <td><span class="badge .*?</td>\n', re.S)
        written = status_cell.findall(html)
        assert written == status_cell.findall(cells) and len(written) == len(table.page.items)
    assert seen >= {("met", False), ("missed", True), ("missed", False), ("not_due", False)}


def test_delete_same_permission_and_audited(db, demo):
    n = make(db, demo, unit="PBGDPL", path=FULL[:4])
    intro = record(db, demo, "tp_pbgdpl", n, dt.date(2026, 3, 2))
    with pytest.raises(NotFound):  # another unit's head does not see it
        introductions.delete(db, demo.actor("tp_hctp"), intro.id)
    with pytest.raises(Forbidden):  # the director sees it but records nothing
        introductions.delete(db, demo.actor("giamdoc"), intro.id)
    introductions.delete(db, demo.actor("vanphong"), intro.id)
    assert db.get(MonthlyIntroduction, intro.id) is None
    assert audit_actions(db, "monthly_introduction") == ["introduction.create", "introduction.delete"]


# ------------------------------------------------------------------------------------------------ the API
def test_api_record_table_delete(db, demo, api):
    n = make(db, demo, unit="PBGDPL", path=FULL[:4])
    unit_id, nid = n.unit_id, n.id
    db.commit()
    last_month = (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    body = {"unit_id": unit_id, "nomination_id": nid, "introduced_on": last_month.isoformat(), "form": "Bản tin"}
    tp = api.as_("tp_pbgdpl")
    r = tp.post("/introductions", json=body)
    assert r.status_code == 201, r.get_data(as_text=True)
    created = r.get_json()
    assert created["month"] == last_month.strftime("%Y-%m") and created["on_time"] is True
    r = tp.post("/introductions", json=body)
    assert r.status_code == 422 and "problem+json" in r.content_type and r.get_json()["reasons"]
    r = api.as_("tp_hctp").post("/introductions", json=body)
    assert r.status_code == 403 and "problem+json" in r.content_type
    assert tp.post("/introductions", json={**body, "introduced_on": "2026-02-30"}).status_code == 422
    assert tp.post("/introductions", json={**body, "unit_id": "x"}).status_code == 422
    r = api.as_("vanphong").get(f"/reports/monthly-introductions?month={last_month:%Y-%m}")
    page = r.get_json()
    assert r.status_code == 200 and {"items", "total", "page", "per_page"} <= set(page) and page["due"] is True
    pb = next(i for i in page["items"] if i["code"] == "PBGDPL")
    assert pb["met"] is True and pb["count"] == 1 and pb["introductions"][0]["nomination_id"] == nid
    assert all(i["met"] is False for i in page["items"] if i["code"] != "PBGDPL")
    assert api.as_("vanphong").get("/reports/monthly-introductions?month=2026-3").status_code == 422
    assert api.as_("tp_hctp").delete(f"/introductions/{created['id']}").status_code == 404
    assert api.as_("giamdoc").delete(f"/introductions/{created['id']}").status_code == 403
    assert tp.delete(f"/introductions/{created['id']}").status_code == 204
    refused = db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "introduction.create", AuditEvent.outcome == "refused"))
    assert refused >= 2  # the duplicate and the other unit's head


def test_api_monthly_table_answers_on_the_demo_data(db, api):
    r = api.as_("vanphong").get("/reports/monthly-introductions")
    assert r.status_code == 200 and r.get_json()["total"] == 8


def test_page_records_and_shows_the_mark_with_text(db, demo, client, login):
    n = make(db, demo, unit="PBGDPL", path=FULL[:4], title="Mô hình tuyên truyền lưu động")
    nid, unit_id = n.id, n.unit_id
    db.commit()
    login("tp_pbgdpl")
    page = client.get("/reports/monthly-introductions").get_data(as_text=True)
    assert "Ghi nhận giới thiệu điển hình" in page and "Mô hình tuyên truyền lưu động" in page
    last_month = (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    r = client.post("/reports/monthly-introductions", data={
        "unit_id": unit_id, "nomination_id": nid, "introduced_on": last_month.strftime("%d/%m/%Y"),
        "month": last_month.strftime("%Y-%m"), "form": "Giao ban"})
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-status="met"' in html and "✓</span> Đạt" in html
    r = client.post("/reports/monthly-introductions", data={
        "unit_id": unit_id, "nomination_id": nid, "introduced_on": "31/02/2026", "form": "Giao ban <b>x</b>"})
    assert r.status_code == 422 and "Giao ban &lt;b&gt;x&lt;/b&gt;" in r.get_data(as_text=True)
    login("canbo1")
    assert client.get("/reports/monthly-introductions").status_code == 403


# ------------------------------------------------------------------------------------------------ themes
def months(*pairs):
    return [{"month": m, "theme": t, "note": f"Nội dung {m}"} for m, t in pairs]


def test_the_secretariat_edits_the_calendar_and_it_is_audited(db, demo):
    vp = demo.actor("vanphong")
    cal = themes.save(db, vp, year=2026, months=months((2, "Mừng Đảng"), (6, "Thi đua yêu nước")))
    assert [m.theme for m in cal.months if m.theme] == ["Mừng Đảng", "Thi đua yêu nước"] and cal.filled == 2
    cal = themes.save(db, vp, year=2026, months=months((2, "Mừng Đảng, mừng Xuân")))  # June cleared
    assert cal.filled == 1 and cal.months[1].theme == "Mừng Đảng, mừng Xuân"
    themes.save(db, vp, year=2026, months=months((2, "Mừng Đảng, mừng Xuân")))  # unchanged: no event
    events = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "themes.update").order_by(AuditEvent.id)))
    assert len(events) == 2 and set(events[1].data["changes"]) == {"2", "6"}
    assert events[1].data["changes"]["6"]["after"] is None
    # everybody of the department reads it; the other department's calendar is its own
    assert themes.calendar(db, demo.actor("tp_pbgdpl"), year=2026).filled == 1
    assert themes.calendar(db, demo.actor("tp_stp2"), year=2026).filled == 0
    assert db.scalar(select(func.count()).select_from(PropagandaTheme)) == 1


@pytest.mark.parametrize("who", ["tp_pbgdpl", "giamdoc", "bientap", "thanhtra", "botp"])
def test_others_may_not_edit_the_calendar(db, demo, who):
    with pytest.raises(Forbidden):
        themes.save(db, demo.actor(who), year=2026, months=months((1, "X")),
                    department=demo.unit("STP").id if who in ("thanhtra", "botp") else None)


def test_calendar_validation_and_the_admin(db, demo):
    vp = demo.actor("vanphong")
    with pytest.raises(ValidationFailed, match="không hợp lệ"):
        themes.save(db, vp, year=2026, months=months((2, "A"), (2, "B")))
    with pytest.raises(ValidationFailed):
        themes.save(db, vp, year=2026, months=[{"month": 13, "theme": "A"}])
    with pytest.raises(ValidationFailed):
        themes.save(db, vp, year=1999, months=[])
    with pytest.raises(Forbidden):
        themes.save(db, vp, year=2026, months=[], department=demo.unit("STP2").id)
    admin = demo.actor("admin")
    with pytest.raises(ValidationFailed):  # the admin names the department
        themes.save(db, admin, year=2026, months=months((1, "A")))
    assert themes.save(db, admin, year=2026, months=months((1, "A")), department=demo.unit("STP2").id).filled == 1


def test_api_and_page_themes(db, demo, api, client, login):
    demo_stp = demo.unit("STP").id
    db.commit()
    r = api.as_("vanphong").put("/themes/2026", json={"months": months((11, "Ngày Pháp luật Việt Nam"))})
    assert r.status_code == 200 and r.get_json()["months"][10]["theme"] == "Ngày Pháp luật Việt Nam"
    r = api.as_("tp_pbgdpl").get("/themes?year=2026")
    assert r.status_code == 200 and r.get_json()["editable"] is False
    assert r.get_json()["months"][10]["theme"] == "Ngày Pháp luật Việt Nam"
    r = api.as_("botp").get("/themes?year=2026")  # the Ministry belongs to no department: the first one is shown
    assert r.status_code == 200 and r.get_json()["department_id"] == demo_stp
    r = api.as_("tp_pbgdpl").put("/themes/2026", json={"months": []})
    assert r.status_code == 403 and "problem+json" in r.content_type
    r = api.as_("vanphong").put("/themes/2026", json={"months": [{"month": 2}, {"month": 2}]})
    assert r.status_code == 422
    assert api.as_("vanphong").put("/themes/2026", json={"months": [{"month": "2"}]}).status_code == 422
    login("vanphong")
    form = {"year": "2026", **{f"theme_{m}": "" for m in range(1, 13)}, "theme_3": "Thanh niên <script>"}
    r = client.post("/reports/themes", data=form)
    assert r.status_code == 302
    html = client.get("/reports/themes?year=2026").get_data(as_text=True)
    assert "Thanh niên &lt;script&gt;" in html and "Ngày Pháp luật" not in html  # replaced: November cleared
    r = client.post("/reports/themes", data={"year": "2026", "note_4": "Nội dung không có chủ đề"})
    assert r.status_code == 422 and "Nội dung không có chủ đề" in r.get_data(as_text=True)
    login("tp_pbgdpl")
    html = client.get("/reports/themes?year=2026").get_data(as_text=True)
    assert "Thanh niên &lt;script&gt;" in html and "<textarea" not in html


GARBAGE = [
    ("post", "/introductions", None), ("post", "/introductions", [1, 2]), ("post", "/introductions", "x"),
    ("post", "/introductions", {"unit_id": 2**40, "nomination_id": 1, "introduced_on": "2026-01-01"}),
    ("post", "/introductions", {"unit_id": True, "nomination_id": 1, "introduced_on": "2026-01-01"}),
    ("post", "/introductions", {"unit_id": 1, "nomination_id": 1, "introduced_on": "9999-99-99"}),
    ("post", "/introductions", {"unit_id": 1, "nomination_id": 1, "introduced_on": "2026-01-01", "form": "x" * 999}),
    ("put", "/themes/2026", None), ("put", "/themes/2026", {"months": "x"}),
    ("put", "/themes/2026", {"months": [{"month": 1, "theme": "x" * 5000}]}),
    ("put", "/themes/2026", {"months": [{"month": None}]}), ("put", "/themes/2026", {"months": [[]]}),
    ("put", "/themes/1800", {"months": []}), ("put", "/themes/2026", {"months": [], "department": 2**40}),
    ("get", "/themes?year=abc", None), ("get", "/themes?department=-1", None),
    ("get", "/reports/summary?campaign=99999999999", None), ("get", "/reports/summary?unit=x", None),
    ("get", "/reports/monthly-introductions?month=0000-01", None),
    ("get", "/reports/monthly-introductions?per_page=1000", None),
    ("get", "/reports/yearly.docx?year=99999", None), ("get", "/reports/yearly.pdf", None),
    ("get", "/reports/period.docx", None), ("get", "/reports/period.xlsx?campaign=1&stage=x", None),
    ("delete", "/introductions/99999999999", None), ("delete", "/introductions/987654", None),
]


@pytest.mark.parametrize("method, path, body", GARBAGE)
def test_api_garbage_is_a_4xx_problem(db, api, method, path, body):
    client = api.as_("vanphong")
    kw = {"json": body} if method in ("post", "put") else {}
    if method == "put":
        r = client.client.put("/api/v1" + path, headers=client._headers(), **kw)
    else:
        r = getattr(client, method)(path, **kw)
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])
    assert "problem+json" in r.content_type
