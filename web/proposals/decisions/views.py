"""Thin views over workflow.proposals.decisions: the list, the director's decision recognising what a council passed
(level co_so), the decision's page and its .docx. The POST goes through web.db.perform, so a refusal is audited."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import login_required

from models import CouncilSession
from web import downloads
from web.council import pages
from web.current import current_actor
from web.db import db, perform, request_context
from web.proposals.decisions import bp
from workflow import clock, documents, inputs, policy
from workflow.council import operations as council
from workflow.errors import Conflict, Forbidden, ValidationFailed
from workflow.proposals import decisions


@bp.route("")
@login_required
def index():
    actor = current_actor()
    page = decisions.list_decisions(db(), actor, page=request.args.get("page"), per_page=request.args.get("per_page"))
    counts = pages.decision_rows(db(), page.items)
    return render_template("decisions/list.html", page=page, counts=counts,
                           awaiting=decisions.sessions_awaiting_decision(db(), actor)
                           if (o := decisions.issue_offer(actor, "co_so")) and o.allowed else [])


def _require_director(actor) -> None:
    policy.require(actor, "issue_co_so", "decision", department_id=actor.department_id,
                   detail="Không có quyền ký quyết định công nhận.")


def _new_page(session_id: int | None, values: dict | None = None, error: ValidationFailed | None = None,
              status: int = 200):
    actor = current_actor()
    session = db()
    if session_id is None:
        return render_template("decisions/choose.html",
                               awaiting=decisions.sessions_awaiting_decision(session, actor)), status
    s = pages.load_session(session, actor, session_id)
    if s.department_id != actor.department_id:
        raise Forbidden("Không có quyền ký quyết định cho phiên họp của Sở khác.", ["Phiên họp không thuộc Sở."])
    if s.state != "closed":
        raise Conflict("Phiên họp chưa kết thúc.", ["Quyết định công nhận ban hành sau khi phiên họp kết thúc."])
    issuer = decisions.issuer_for(session, actor, "co_so")
    today = clock.today()
    awaiting = decisions.awaiting_decision(s)
    if values is None:
        values = {"number": str(decisions.next_number(session, issuer, today.year)), "date": today.isoformat(),
                  "nomination_ids": [str(i.nomination_id) for i in awaiting]}
    return render_template("decisions/new.html", s=s, awaiting=awaiting, values=values, error=error,
                           field_errors=error.field_errors if error else {}, symbol=decisions.symbol(issuer),
                           signer_title=actor.delegation_title or "GIÁM ĐỐC",
                           outcome_labels=council.OUTCOME_LABELS), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    actor = current_actor()
    _require_director(actor)
    session_id = inputs.integer_or_none(request.values.get("session"))
    if request.method == "GET":
        return _new_page(session_id)
    g.back_url = url_for("decisions.new", session=session_id)
    form = request.form
    values = {"number": form.get("number", ""), "date": form.get("date", ""),
              "nomination_ids": form.getlist("nomination_ids")}
    ids = inputs.ids_as_typed(form.getlist("nomination_ids"))

    def issue():
        return decisions.issue(db(), actor, level="co_so", number=form.get("number", ""), date=form.get("date", ""),
                               nomination_ids=ids, session_id=session_id, context=request_context())

    try:
        if session_id is None:
            raise ValidationFailed("Chưa chọn phiên họp.",
                                   ["Quyết định công nhận các hồ sơ một phiên họp đã thông qua."])
        if form.get("confirm") != "yes":
            raise ValidationFailed("Vui lòng đánh dấu ô xác nhận trước khi ký quyết định.", ["Chưa xác nhận thao tác."],
                                   {"confirm": "Bắt buộc xác nhận"})
        d = perform(issue, action="decision.issue", actor=actor, object_type="council_session", object_id=session_id)
    except ValidationFailed as err:
        if session_id is None:
            raise
        return _new_page(session_id, values, err, 422)
    flash(f"Đã ban hành Quyết định số {d.number} công nhận {len(d.items)} điển hình tiên tiến cấp cơ sở.", "success")
    return redirect(url_for("decisions.detail", decision_id=d.id))


@bp.route("/<int:decision_id>")
@login_required
def detail(decision_id: int):
    actor = current_actor()
    d = decisions.load(db(), actor, decision_id)
    s = db().get(CouncilSession, d.session_id) if d.session_id else None
    return render_template("decisions/detail.html", d=d, nominations=pages.decision_nominations(db(), d),
                           actions={o.code: o for o in decisions.available_actions(db(), actor, d)},
                           council_session=s if s is not None and council.can_view_session(actor, s) else None)


@bp.route("/<int:decision_id>/document")
@login_required
def document(decision_id: int):
    d = decisions.load(db(), current_actor(), decision_id)
    return downloads.send_document(documents.decision_docx(db(), d), f"Quyet dinh {d.number}", "docx")


@bp.route("/<int:decision_id>/list.xlsx")
@login_required
def list_xlsx(decision_id: int):
    d = decisions.load(db(), current_actor(), decision_id)
    return downloads.send_document(documents.decision_xlsx(db(), d), f"Danh sach kem Quyet dinh {d.number}", "xlsx")
