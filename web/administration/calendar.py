"""The calendar of days off and make-up working days (/admin/calendar): thin views over
workflow.administration.calendar. Also the template global `calendar_warning()`: the missing-Tết warning of this year
and next, shown wherever a publicity deadline is computed (the council session page)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from web.administration import bp
from web.current import current_actor
from web.db import db, perform, request_context
from workflow import workdays
from workflow.administration import calendar as calendar_admin
from workflow.errors import ValidationFailed


@bp.app_template_global("calendar_warning")
def calendar_warning() -> str | None:
    return calendar_admin.current_warning(db())


def _page(year, status: int = 200, error: ValidationFailed | None = None, values=None, delete_error=None):
    cal = calendar_admin.year_calendar(db(), current_actor(), year)
    return render_template("admin/calendar.html", cal=cal, error=error,
                           field_errors=error.field_errors if error else {}, values=values or {},
                           delete_error=delete_error, weekday=calendar_admin.weekday_label,
                           kinds=calendar_admin.KIND_LABELS, last_base_year=workdays.LAST_YEAR), status


@bp.route("/calendar")
def calendar():
    return _page(request.args.get("year"))


@bp.route("/calendar", methods=["POST"])
def calendar_save():
    actor = current_actor()
    data = request.form.to_dict()
    try:
        row = perform(lambda: calendar_admin.save_day(db(), actor, data, context=request_context()),
                      action="admin.calendar_day_save", actor=actor, object_type="calendar_day")
    except ValidationFailed as err:
        return _page(request.form.get("year") or None, 422, err, values=request.form)
    flash(f"Đã ghi nhận ngày {row.day:%d/%m/%Y} ({calendar_admin.KIND_LABELS[row.is_working]}: {row.name}).",
          "success")
    return redirect(url_for("admin.calendar", year=row.day.year))


@bp.route("/calendar/<day>/delete", methods=["POST"])
def calendar_delete(day: str):
    actor = current_actor()
    year = request.form.get("year") or None
    try:
        if request.form.get("confirm") != "yes":
            raise ValidationFailed("Vui lòng đánh dấu ô xác nhận trước khi xóa.", ["Chưa xác nhận xóa ngày này."],
                                   {"confirm": "Bắt buộc xác nhận"})
        perform(lambda: calendar_admin.delete_day(db(), actor, day, context=request_context()),
                action="admin.calendar_day_delete", actor=actor, object_type="calendar_day")
    except ValidationFailed as err:
        return _page(year, 422, delete_error=err)
    flash("Đã xóa ngày khỏi lịch.", "success")
    return redirect(url_for("admin.calendar", year=year))
