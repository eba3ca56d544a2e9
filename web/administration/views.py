"""Thin admin views. Validation, scoping and the audit signal live in workflow.administration.operations (and
workflow.administration.campaigns for creating a campaign, shared with the API); every POST goes through web.db.perform
so a refusal is audited."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from models import AWARD_LEVELS, CAMPAIGN_KINDS, DISCIPLINE_FORMS, EMPLOYMENT_TYPES, ROLES, UNIT_KINDS
from web.administration import bp
from web.current import current_actor
from web.db import db, perform, request_context
from workflow import labels
from workflow.administration import campaigns, passwords, unit_history
from workflow.administration import operations as admin
from workflow.administration import units as reorg
from workflow.errors import ValidationFailed
from workflow.labels import AWARD_TITLES


@bp.before_request
@login_required
def only_admins():
    admin.require_admin(current_actor())  # Forbidden → the 403 page


def _form() -> dict:
    """The posted form as the workflow.administration.operations functions take it: lists for multi-selects (dates as
    typed)."""
    data = request.form.to_dict()
    data["roles"] = request.form.getlist("roles")
    data["subject_types"] = request.form.getlist("subject_types")
    return data


def _save(fn, *, action: str, object_type: str, object_id: int | None = None):
    return perform(fn, action=action, actor=current_actor(), object_type=object_type, object_id=object_id)


def _choices() -> dict:
    return {"unit_kinds": UNIT_KINDS, "employment_types": EMPLOYMENT_TYPES, "roles": ROLES,
            "discipline_forms": DISCIPLINE_FORMS, "award_titles": AWARD_TITLES, "award_levels": AWARD_LEVELS,
            "campaign_kinds": CAMPAIGN_KINDS}


def _render(template: str, status: int = 200, error: ValidationFailed | None = None, **context):
    context.setdefault("values", {})
    return render_template(template, error=error, field_errors=error.field_errors if error else {},
                           **_choices(), **context), status


@bp.route("")
def index():
    return render_template("admin/index.html")


# ------------------------------------------------------------------------------------------------------ units
@bp.route("/units")
def units():
    page = admin.list_units(db(), current_actor(), page=request.args.get("page"), q=request.args.get("q"))
    return render_template("admin/units.html", page=page, q=request.args.get("q", ""),
                           former=unit_history.former_names(db(), [u.id for u in page.items]))


@bp.route("/units/new", methods=["GET", "POST"])
def unit_new():
    actor = current_actor()
    if request.method == "POST":
        try:
            unit = _save(lambda: admin.create_unit(db(), actor, _form(), context=request_context()),
                         action="admin.unit_create", object_type="unit")
        except ValidationFailed as err:
            return _render("admin/unit_form.html", 422, err, values=request.form, unit=None,
                           all_units=admin.all_units(db(), actor))
        flash(f"Đã tạo đơn vị “{unit.name}”.", "success")
        return redirect(url_for("admin.units"))
    return _render("admin/unit_form.html", values={}, unit=None, all_units=admin.all_units(db(), actor))


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit_edit(unit_id: int):
    actor = current_actor()
    unit = admin.get_unit(db(), actor, unit_id)
    if request.method == "POST":
        try:
            _save(lambda: admin.update_unit(db(), actor, unit_id, _form(), context=request_context()),
                  action="admin.unit_update", object_type="unit", object_id=unit_id)
        except ValidationFailed as err:
            return _unit_page(admin.get_unit(db(), actor, unit_id), 422, error=err, values=request.form)
        flash("Đã lưu đơn vị.", "success")
        return redirect(url_for("admin.unit_edit", unit_id=unit_id))
    return _unit_page(unit)


def _unit_page(unit, status=200, *, error=None, values=None, change_kind=None, change_error=None, change_values=None):
    """The unit's page: its form, its history (changes, former names) and a form for each change of organisation."""
    actor = current_actor()
    session = db()
    if values is None:
        values = {"code": unit.code, "name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id or "",
                  "place": unit.place or "", "active": unit.active, "closed_on": unit.closed_on or ""}
    return _render("admin/unit_form.html", status, error, values=values, unit=unit,
                   all_units=admin.all_units(session, actor),
                   history=unit_history.history(session, unit.id), former=unit_history.names(session, unit.id),
                   heirs=unit_history.predecessors(session, unit.id), carried=reorg.summary(session, unit),
                   change_kind=change_kind, change_error=change_error, change_values=change_values or {})


@bp.route("/units/<int:unit_id>/changes/<any(rename, merge, split, move, close):kind>", methods=["POST"])
def unit_change(unit_id: int, kind: str):
    """Two steps: the form posts here without `confirm` and the confirmation page shows what will happen (the same
    values kept in hidden fields); posted again with `confirm=yes`, the change is made."""
    actor = current_actor()
    unit = admin.get_unit(db(), actor, unit_id)
    if request.form.get("confirm") != "yes":
        return render_template("admin/unit_change_confirm.html", unit=unit, kind=kind,
                               fields=[(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"],
                               data=reorg.form_data(kind, request.form), carried=reorg.summary(db(), unit),
                               all_units={u.id: u for u in admin.all_units(db(), actor)})
    data = reorg.form_data(kind, request.form)
    try:
        _save(lambda: reorg.apply(db(), actor, kind, unit_id, data, context=request_context()),
              action=f"admin.unit_{kind}", object_type="unit", object_id=unit_id)
    except ValidationFailed as err:
        return _unit_page(admin.get_unit(db(), actor, unit_id), 422, change_kind=kind, change_error=err,
                          change_values=request.form)
    flash(f"Đã ghi nhận: {labels.UNIT_CHANGE_LABELS[kind].lower()} đơn vị “{unit.name}”.", "success")
    return redirect(url_for("admin.unit_edit", unit_id=unit_id) + "#history")


# ------------------------------------------------------------------------------------------------------ people
@bp.route("/people")
def people():
    actor = current_actor()
    page = admin.list_people(db(), actor, page=request.args.get("page"), q=request.args.get("q"),
                             unit_id=request.args.get("unit"))
    return render_template("admin/people.html", page=page, q=request.args.get("q", ""),
                           unit=request.args.get("unit", ""), all_units=admin.all_units(db(), actor))


def _person_page(person, values, status=200, error=None, record_error=None, record_form=None):
    actor = current_actor()
    disciplines, awards = admin.person_records(db(), actor, person) if person is not None else ([], [])
    return _render("admin/person_form.html", status, error, person=person, values=values,
                   all_units=admin.all_units(db(), actor), disciplines=disciplines, awards=awards,
                   record_error=record_error, record_form=record_form or {})


@bp.route("/people/new", methods=["GET", "POST"])
def person_new():
    actor = current_actor()
    if request.method == "POST":
        try:
            person = _save(lambda: admin.create_person(db(), actor, _form(), context=request_context()),
                           action="admin.person_create", object_type="person")
        except ValidationFailed as err:
            return _person_page(None, request.form, 422, err)
        flash(f"Đã thêm “{person.full_name}”.", "success")
        return redirect(url_for("admin.person_edit", person_id=person.id))
    return _person_page(None, {"employment_type": "cong_chuc"})


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
def person_edit(person_id: int):
    actor = current_actor()
    person = admin.get_person(db(), actor, person_id)
    if request.method == "POST":
        try:
            _save(lambda: admin.update_person(db(), actor, person_id, _form(), context=request_context()),
                  action="admin.person_update", object_type="person", object_id=person_id)
        except ValidationFailed as err:
            return _person_page(admin.get_person(db(), actor, person_id), request.form, 422, err)
        flash("Đã lưu thông tin cá nhân.", "success")
        return redirect(url_for("admin.person_edit", person_id=person_id))
    values = {"full_name": person.full_name, "unit_id": person.unit_id, "position": person.position or "",
              "employment_type": person.employment_type, "is_unit_head": person.is_unit_head,
              "email": person.email or "", "active": person.active}
    return _person_page(person, values)


@bp.route("/people/<int:person_id>/<any(disciplines, awards):kind>", methods=["POST"])
def person_record(person_id: int, kind: str):
    actor = current_actor()
    if kind == "disciplines":
        def fn():
            return admin.add_discipline(db(), actor, person_id, _form(), context=request_context())
    else:
        def fn():
            return admin.add_award(db(), actor, _form(), person_id=person_id, context=request_context())
    try:
        _save(fn, action=f"admin.{kind[:-1]}_add", object_type="person", object_id=person_id)
    except ValidationFailed as err:
        person = admin.get_person(db(), actor, person_id)
        values = {"full_name": person.full_name, "unit_id": person.unit_id, "position": person.position or "",
                  "employment_type": person.employment_type, "is_unit_head": person.is_unit_head,
                  "email": person.email or "", "active": person.active}
        return _person_page(person, values, 422, record_error={kind: err}, record_form={kind: request.form})
    flash("Đã thêm hồ sơ kỷ luật." if kind == "disciplines" else "Đã thêm khen thưởng.", "success")
    return redirect(url_for("admin.person_edit", person_id=person_id) + f"#{kind}")


# ------------------------------------------------------------------------------------------------------ users
@bp.route("/users")
def users():
    page = admin.list_users(db(), current_actor(), page=request.args.get("page"), q=request.args.get("q"))
    return render_template("admin/users.html", page=page, q=request.args.get("q", ""))


def _user_page(user, values, status=200, error=None, password_error=None):
    return _render("admin/user_form.html", status, error, user=user, values=values,
                   all_units=admin.all_units(db(), current_actor()), password_error=password_error,
                   password_rule=passwords.RULE)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    actor = current_actor()
    if request.method == "POST":
        try:
            user = _save(lambda: admin.create_user(db(), actor, _form(), context=request_context()),
                         action="admin.user_create", object_type="user")
        except ValidationFailed as err:
            return _user_page(None, _form(), 422, err)
        flash(f"Đã tạo tài khoản “{user.username}”.", "success")
        return redirect(url_for("admin.users"))
    return _user_page(None, {"active": True, "roles": []})


def _user_values(user) -> dict:
    return {"username": user.username, "full_name": user.full_name, "email": user.email or "",
            "roles": sorted(user.role_codes), "unit_id": user.unit_id or "", "person_id": user.person_id or "",
            "active": user.active, "deputy": user.is_deputy}


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    actor = current_actor()
    user = admin.get_user(db(), actor, user_id)
    if request.method == "POST":
        try:
            _save(lambda: admin.update_user(db(), actor, user_id, _form(), context=request_context()),
                  action="admin.user_update", object_type="user", object_id=user_id)
        except ValidationFailed as err:
            return _user_page(admin.get_user(db(), actor, user_id), _form(), 422, err)
        flash("Đã lưu tài khoản.", "success")
        return redirect(url_for("admin.user_edit", user_id=user_id))
    return _user_page(user, _user_values(user))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def user_password(user_id: int):
    actor = current_actor()
    try:
        _save(lambda: admin.reset_password(db(), actor, user_id, _form(), context=request_context()),
              action="admin.user_password_reset", object_type="user", object_id=user_id)
    except ValidationFailed as err:
        user = admin.get_user(db(), actor, user_id)
        return _user_page(user, _user_values(user), 422, password_error=err)
    flash("Đã đặt lại mật khẩu; mọi phiên đăng nhập và mã truy cập API của tài khoản đã bị chấm dứt.", "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


# ------------------------------------------------------------------------------------------------------ campaigns
@bp.route("/campaigns")
def campaign_list():
    page = campaigns.list_campaigns(db(), current_actor(), page=request.args.get("page"))
    return render_template("admin/campaigns.html", page=page)


def _campaign_page(campaign, values, status=200, error=None):
    return _render("admin/campaign_form.html", status, error, campaign=campaign, values=values,
                   departments=admin.departments(db(), current_actor()))


@bp.route("/campaigns/new", methods=["GET", "POST"])
def campaign_new():
    actor = current_actor()
    if request.method == "POST":
        try:
            campaign = _save(lambda: campaigns.create_campaign(db(), actor, context=request_context(),
                                                               **admin.campaign_form_data(_form())),
                             action="campaign.create", object_type="campaign")
        except ValidationFailed as err:
            return _campaign_page(None, _form(), 422, err)
        flash(f"Đã tạo phong trào “{campaign.name}”.", "success")
        return redirect(url_for("admin.campaign_list"))
    return _campaign_page(None, {"kind": "annual", "subject_types": ["collective", "individual"]})


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
def campaign_edit(campaign_id: int):
    actor = current_actor()
    campaign = admin.get_campaign(db(), actor, campaign_id)
    if request.method == "POST":
        try:
            _save(lambda: admin.update_campaign(db(), actor, campaign_id, _form(), context=request_context()),
                  action="campaign.update", object_type="campaign", object_id=campaign_id)
        except ValidationFailed as err:
            return _campaign_page(admin.get_campaign(db(), actor, campaign_id), _form(), 422, err)
        flash("Đã lưu phong trào thi đua.", "success")
        return redirect(url_for("admin.campaign_edit", campaign_id=campaign_id))
    c = campaign
    values = {"name": c.name, "kind": c.kind, "legal_basis": c.legal_basis or "", "award_forms": c.award_forms or "",
              "start_date": c.start_date.isoformat(), "end_date": c.end_date.isoformat(),
              "registration_deadline": c.registration_deadline.isoformat(),
              "evaluation_deadline": c.evaluation_deadline.isoformat() if c.evaluation_deadline else "",
              "midterm_review_date": c.midterm_review_date.isoformat() if c.midterm_review_date else "",
              "final_review_date": c.final_review_date.isoformat() if c.final_review_date else "",
              "subject_types": c.subject_types, "department_id": c.department_id,
              "quota_collective": c.quota_collective if c.quota_collective is not None else "",
              "quota_individual": c.quota_individual if c.quota_individual is not None else ""}
    return _campaign_page(campaign, values)
