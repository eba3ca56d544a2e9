"""Thin views over workflow.administration.delegations: the list with its states, the grant form, "Kết thúc ủy
quyền" with a confirmation. Every POST goes through web.db.perform, so a refusal is rolled back and audited. Also the
template global `signing_as()`: what the header shows while a deputy signs for the director."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from web.administration.delegations import bp
from web.current import current_actor
from web.db import db, perform, request_context
from workflow import clock
from workflow.administration import delegations
from workflow.errors import Conflict, Forbidden, ValidationFailed


@bp.app_template_global("signing_as")
def signing_as() -> str | None:
    """"KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC" while the signed-in user holds a delegation in force, else None."""
    actor = current_actor()
    if actor is None or actor.on_behalf_of is None:
        return None
    return f"KT. GIÁM ĐỐC / {actor.delegation_title or delegations.DEPUTY_TITLE}"


def _page(status: int = 200, error=None, values=None, end_error=None):
    actor = current_actor()
    session = db()
    page = delegations.list_delegations(session, actor, page=request.args.get("page"))
    today = clock.today()
    rows = [(d, delegations.state_of(d, today), delegations.available_actions(actor, d)) for d in page.items]
    may_grant = delegations.check_grant(actor) is None
    return render_template(
        "delegations/index.html", page=page, rows=rows, may_grant=may_grant,
        deputy_options=[(u.id, f"{u.full_name} ({u.username})") for u in delegations.deputy_choices(session, actor)]
        if may_grant else [], end_note=delegations.end_note,
        state_labels=delegations.STATE_LABELS, error=error, field_errors=error.field_errors if error else {},
        values=values or {}, end_error=end_error, acting_for=actor.on_behalf_of), status


@bp.route("")
@login_required
def index():
    return _page()


@bp.route("", methods=["POST"])
@login_required
def grant():
    actor = current_actor()
    data = request.form.to_dict()
    try:
        d = perform(lambda: delegations.grant(db(), actor, data, context=request_context()),
                    action="delegation.grant", actor=actor, object_type="delegation")
    except ValidationFailed as err:
        return _page(422, error=err, values=request.form)
    flash(f"Đã ủy quyền ký cho {d.deputy.full_name} từ {d.starts_on:%d/%m/%Y} đến {d.ends_on:%d/%m/%Y}.", "success")
    return redirect(url_for("delegations.index"))


@bp.route("/<int:delegation_id>/end", methods=["POST"])
@login_required
def end(delegation_id: int):
    actor = current_actor()
    try:
        if request.form.get("confirm") != "yes":
            raise ValidationFailed("Vui lòng đánh dấu ô xác nhận trước khi kết thúc ủy quyền.",
                                   ["Chưa xác nhận kết thúc ủy quyền."], {"confirm": "Bắt buộc xác nhận"})
        d = perform(lambda: delegations.end(db(), actor, delegation_id, context=request_context()),
                    action="delegation.end", actor=actor, object_type="delegation", object_id=delegation_id)
    except (ValidationFailed, Conflict, Forbidden) as err:
        return _page(err.status, end_error=err)
    flash(f"Đã kết thúc ủy quyền ký cho {d.deputy.full_name}.", "success")
    return redirect(url_for("delegations.index"))
