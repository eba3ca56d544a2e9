"""Thin views over workflow.reporting.reports, workflow.propagation.introductions, workflow.propagation.themes and
workflow.reporting.report_documents: parse the query or the form, call the service, render. Writes go through
web.db.perform (refusals are audited); a 422 re-renders the page with the reasons next to the form that was sent."""
from __future__ import annotations

import datetime as dt

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import login_required

from web import downloads
from web.current import current_actor
from web.db import db, perform, request_context
from web.reporting.reports import bp
from workflow import clock, policy
from workflow.errors import ValidationFailed
from workflow.labels import STATE_COLOURS, STATE_LABELS, SUBJECT_TYPE_LABELS
from workflow.propagation import introductions, themes
from workflow.reporting import report_documents, reports

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The Bootstrap colours of the state badges, for the bars drawn in SVG (the same colour for a state everywhere).
HEX = {"primary": "#0d6efd", "secondary": "#6c757d", "success": "#198754", "info": "#0dcaf0", "warning": "#ffc107",
       "danger": "#dc3545", "dark": "#212529", "light": "#f8f9fa"}
FUNNEL_COLOURS = ["#6c757d", "#0aa2c0", "#0d6efd", "#198754", "#cc9a06", "#146c43"]


@bp.app_template_global()
def reports_nav() -> bool:
    """Whether the header offers "Báo cáo, thống kê" to this user."""
    actor = current_actor()
    return bool(policy.can(actor, "view", "report"))


def _require_reader(actor) -> None:
    policy.require(actor, "view", "report", detail="Không có quyền xem báo cáo, thống kê.")


def _months_around(month: dt.date, today: dt.date) -> list[tuple[str, str]]:
    """The month choices of the filter: two years back from today to two months ahead, plus the one shown."""
    out, d = [], today.replace(day=1)
    for _ in range(2):
        d = (d + dt.timedelta(days=32)).replace(day=1)
    for _ in range(27):
        out.append((d.strftime("%Y-%m"), f"Tháng {d:%m/%Y}"))
        d = (d - dt.timedelta(days=1)).replace(day=1)
    if month.strftime("%Y-%m") not in dict(out):
        out.append((month.strftime("%Y-%m"), f"Tháng {month:%m/%Y}"))
    return out


def _shift(month: dt.date, step: int) -> str:
    d = (month + dt.timedelta(days=32)).replace(day=1) if step > 0 else (month - dt.timedelta(days=1)).replace(day=1)
    return d.strftime("%Y-%m")


def _department_choices(actor) -> list:
    return reports.departments(db(), actor)


# ---------------------------------------------------------------------------------------------------- dashboard
@bp.route("")
@login_required
def dashboard():
    actor = current_actor()
    _require_reader(actor)
    session = db()
    args = request.args
    department = args.get("department") if policy.widest_scope(actor, "view", "report") == policy.ALL else None
    s = reports.summary(session, actor, campaign=args.get("campaign"), year=args.get("year"), department=department)
    today = clock.today()
    table = introductions.compliance(session, actor, department=department, today=today)
    choices = reports.filter_choices(session, actor, stamp=g.get("choices_stamp"))  # a GET: kept per stamp
    return render_template(
        "reports/dashboard.html", s=s, table=table, campaigns=choices.campaigns, years=choices.years,
        departments=choices.departments, department=department or "",
        period_campaigns=[c for c in choices.campaigns if c.kind == "period"],
        can_report=bool(policy.can(actor, "draw_up", "report")),
        unit_report=report_documents.is_unit_report(actor),
        report_year=s.year or today.year, state_colours={k: HEX[v] for k, v in STATE_COLOURS.items()},
        funnel_colours=FUNNEL_COLOURS, state_labels=STATE_LABELS, subject_labels=SUBJECT_TYPE_LABELS,
        level_labels=reports.LEVEL_LABELS, funnel_labels=reports.FUNNEL_LABELS, today=today,
        stages=report_documents.STAGES, status_labels=introductions.STATUS_LABELS,
    )


# ---------------------------------------------------------------------------------------------------- introductions
def _introductions_page(values: dict | None = None, error: ValidationFailed | None = None, status: int = 200):
    actor = current_actor()
    _require_reader(actor)
    session = db()
    today = clock.today()
    department = request.args.get("department") if policy.widest_scope(actor, "view", "report") == policy.ALL else None
    month_arg = (values or {}).get("month") or request.args.get("month")
    try:
        table = introductions.compliance(session, actor, month=month_arg, department=department,
                                         page=request.args.get("page"), per_page=request.args.get("per_page"),
                                         today=today)
    except ValidationFailed as err:
        if values is not None:
            raise
        error, status = err, 422
        table = introductions.compliance(session, actor, department=department, today=today)
    units = introductions.recordable_units(session, actor)
    recordable = {u.id for u in units}
    values = values or {"month": table.month.strftime("%Y-%m"),
                        "introduced_on": min(today, introductions.month_end(table.month)) if
                        table.month <= today else ""}
    return render_template(
        "reports/introductions.html", table=table, units=units, recordable=recordable,
        nominations=introductions.candidate_nominations(session, actor, units=units) if units else [],
        values=values, error=error, field_errors=error.field_errors if error else {},
        months=_months_around(table.month, today), prev_month=_shift(table.month, -1),
        next_month=_shift(table.month, 1), departments=_department_choices(actor), department=department or "",
        today=today,
    ), status


@bp.route("/monthly-introductions")
@login_required
def monthly_introductions():
    return _introductions_page()


@bp.route("/monthly-introductions", methods=["POST"])
@login_required
def record_introduction():
    actor = current_actor()
    form = request.form
    month = form.get("month", "")
    g.back_url = url_for("reports.monthly_introductions", month=month or None)
    values = {k: form.get(k, "") for k in ("unit_id", "nomination_id", "introduced_on", "form", "note", "month")}
    try:
        intro = perform(lambda: introductions.record(
            db(), actor, unit_id=form.get("unit_id"), nomination_id=form.get("nomination_id"),
            introduced_on=form.get("introduced_on", ""), month=month or None,
            form=form.get("form", ""), note=form.get("note", ""), context=request_context()),
            action="introduction.create", actor=actor, object_type="monthly_introduction")
    except ValidationFailed as err:
        return _introductions_page(values, err, 422)
    flash(f"Đã ghi nhận việc giới thiệu điển hình ngày {intro.introduced_on:%d/%m/%Y}.", "success")
    return redirect(url_for("reports.monthly_introductions", month=intro.month.strftime("%Y-%m")))


@bp.route("/introductions/<int:intro_id>/delete", methods=["POST"])
@login_required
def delete_introduction(intro_id: int):
    actor = current_actor()
    month = request.form.get("month") or None
    g.back_url = url_for("reports.monthly_introductions", month=month)
    perform(lambda: introductions.delete(db(), actor, intro_id, context=request_context()),
            action="introduction.delete", actor=actor, object_type="monthly_introduction", object_id=intro_id)
    flash("Đã xóa việc giới thiệu điển hình.", "success")
    return redirect(g.back_url)


# ---------------------------------------------------------------------------------------------------- themes
def _themes_page(year=None, department=None, values: dict | None = None, error: ValidationFailed | None = None,
                 status: int = 200):
    actor = current_actor()
    session = db()
    cal = themes.calendar(session, actor, year=year, department=department)
    editable = themes.can_edit(actor, cal.department)
    if values is None:
        values = {}
        for m in cal.months:
            values[f"theme_{m.month}"], values[f"note_{m.month}"] = m.theme, m.note
    return render_template("reports/themes.html", cal=cal, editable=editable, values=values, error=error,
                           field_errors=error.field_errors if error else {},
                           departments=_department_choices(actor), years=range(cal.year - 3, cal.year + 3)), status


@bp.route("/themes")
@login_required
def themes_calendar():
    return _themes_page(request.args.get("year"), request.args.get("department"))


@bp.route("/themes", methods=["POST"])
@login_required
def save_themes():
    actor = current_actor()
    form = request.form
    year, department = form.get("year"), form.get("department") or None
    g.back_url = url_for("reports.themes_calendar", year=year, department=department)
    months = [{"month": m, "theme": form.get(f"theme_{m}", ""), "note": form.get(f"note_{m}", "")}
              for m in range(1, 13)]
    try:
        cal = perform(lambda: themes.save(db(), actor, year=year, months=months, department=department,
                                          context=request_context()),
                      action="themes.update", actor=actor, object_type="propaganda_calendar")
    except ValidationFailed as err:
        values = {k: form.get(k, "") for k in form if k.startswith(("theme_", "note_"))}
        return _themes_page(year if str(year or "").isdigit() else None, department, values, err, 422)
    flash(f"Đã lưu lịch tuyên truyền năm {cal.year}: {cal.filled} tháng có chủ đề.", "success")
    return redirect(url_for("reports.themes_calendar", year=cal.year, department=department))


# ---------------------------------------------------------------------------------------------------- documents



@bp.route("/yearly.<any(docx, xlsx):ext>")
@login_required
def yearly(ext: str):
    fn = report_documents.yearly_docx if ext == "docx" else report_documents.yearly_xlsx
    data, d = fn(db(), current_actor(), year=request.args.get("year"), department=request.args.get("department"),
                 number=request.args.get("number"))
    return downloads.send_document(data, d.file_stem, ext)


@bp.route("/period.<any(docx, xlsx):ext>")
@login_required
def period(ext: str):
    fn = report_documents.period_docx if ext == "docx" else report_documents.period_xlsx
    data, d = fn(db(), current_actor(), campaign=request.args.get("campaign"),
                 stage=request.args.get("stage", "midterm"), number=request.args.get("number"))
    return downloads.send_document(data, d.file_stem, ext)
