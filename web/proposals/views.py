"""Thin views over workflow.proposals.operations: the list, the secretariat's draft (checklist of cơ sở examples with
their ngành rules), the detail (edit while draft, the director's signing), the .docx and the .xlsx list. POSTs go
through web.db.perform, so a refusal is audited; a 422 re-renders the page with the reasons beside the form that was
sent."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import login_required

from web import downloads
from web.current import current_actor
from web.db import db, perform, request_context
from web.proposals import bp, pages
from workflow import clock, documents, inputs, policy
from workflow.errors import ValidationFailed
from workflow.lifecycles import PROPOSAL_EDITABLE_STATES
from workflow.proposals import operations as proposals

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_template_global()
def proposals_nav() -> dict:
    """Which of "Tờ trình" and "Bộ Tư pháp — Xét công nhận" the header offers this user."""
    actor = current_actor()
    if actor is None:
        return {}
    return {"proposals": bool(policy.can(actor, "view", "proposal")) and not _ministry_only(actor),
            "ministry": bool(policy.can(actor, "issue_nganh", "decision"))}


def _ministry_only(actor) -> bool:
    """Who reads submitted proposals only (the Ministry) works on its own pages (web/ministry)."""
    return bool(policy.can(actor, "view", "proposal")) and not policy.reads_in_every_state(actor, "view", "proposal")


def _perform(fn, verb: str, proposal_id: int | None = None):
    return perform(fn, action=f"proposal.{verb}", actor=current_actor(), object_type="proposal",
                   object_id=proposal_id)


def _require_confirmation() -> None:
    if request.form.get("confirm") != "yes":
        raise ValidationFailed("Vui lòng đánh dấu ô xác nhận trước khi thực hiện thao tác không thể hoàn tác.",
                               ["Chưa xác nhận thao tác."], {"confirm": "Bắt buộc xác nhận"})


def _require_staff(actor) -> None:
    policy.require(actor, "view", "proposal", detail="Không có quyền xem tờ trình.")


# ---------------------------------------------------------------------------------------------------- list
@bp.route("")
@login_required
def index():
    actor = current_actor()
    if _ministry_only(actor):
        return redirect(url_for("ministry.index"))
    _require_staff(actor)
    state = request.args.get("state") or None
    if state not in proposals.STATE_LABELS:
        state = None
    page = proposals.list_proposals(db(), actor, page=request.args.get("page"),
                                    per_page=request.args.get("per_page"), state=state)
    ids = [p.id for p in page.items]
    return render_template("proposals/list.html", page=page, state=state, counts=pages.item_counts(db(), ids),
                           state_labels=proposals.STATE_LABELS, colours=pages.STATE_COLOURS,
                           can_create=proposals.create_offer(actor) is not None)


# ---------------------------------------------------------------------------------------------------- draft
def _require_secretariat(actor) -> None:
    policy.require(actor, "draft", "proposal", department_id=actor.department_id,
                   detail="Chỉ Văn phòng Sở được lập tờ trình.")


def _new_page(values: dict, error: ValidationFailed | None = None, status: int = 200):
    actor = current_actor()
    return render_template("proposals/new.html", rows=proposals.candidates(db(), actor.department_id), values=values,
                           error=error, field_errors=error.field_errors if error else {}), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    actor = current_actor()
    _require_secretariat(actor)
    if request.method == "GET":
        return _new_page({"nomination_ids": request.args.getlist("nomination_ids")})
    g.back_url = url_for("proposals.new")
    form = request.form
    ids = inputs.ids_as_typed(form.getlist("nomination_ids"))
    values = {"nomination_ids": form.getlist("nomination_ids"), "title": form.get("title", "")}
    try:
        if not ids:
            raise ValidationFailed("Chưa chọn hồ sơ nào.", ["Hãy đánh dấu ít nhất một điển hình cấp cơ sở."],
                                   {"nomination_ids": "Chọn ít nhất một hồ sơ"})
        p = _perform(lambda: proposals.create(db(), actor, nomination_ids=ids, title=form.get("title", ""),
                                              context=request_context()), "create")
    except ValidationFailed as err:
        return _new_page(values, err, 422)
    flash(f"Đã lập dự thảo tờ trình với {len(p.items)} hồ sơ. Giám đốc Sở ký và trình Bộ.", "success")
    return redirect(url_for("proposals.detail", proposal_id=p.id))


# ---------------------------------------------------------------------------------------------------- detail
def _detail_page(proposal_id: int, *, errors: dict | None = None, form=None, status: int = 200):
    actor = current_actor()
    session = db()
    p = proposals.load(session, actor, proposal_id)
    actions = {o.code: o for o in proposals.available_actions(session, actor, p)}
    edit, signing = actions.get("set_items"), actions.get("submit")
    editable = p.state in PROPOSAL_EDITABLE_STATES
    rows = proposals.item_rows(session, p)
    today = clock.today()
    sign = None
    if signing and signing.allowed:
        sign = {"number": str(proposals.next_number(session, p.department_id, today.year)), "date": today.isoformat()}
        if errors and "submit" in errors and form is not None:
            sign = {"number": form.get("number", ""), "date": form.get("date", "")}
    chosen = {str(r.n.id) for r in rows}
    listed = {r.n.id for r in rows}
    if errors and "items" in errors and form is not None:
        chosen = set(form.getlist("nomination_ids"))
    return render_template(
        "proposals/detail.html", p=p, rows=rows, sign=sign, chosen=chosen,
        edit=edit if edit and edit.allowed else None, signing=signing if signing and editable else None,
        candidates=[c for c in proposals.candidates(session, p.department_id, p) if c.n.id not in listed]
        if edit and edit.allowed else [],
        symbol=proposals.symbol(p.department), state_labels=proposals.STATE_LABELS, colours=pages.STATE_COLOURS,
        outcome_labels=proposals.OUTCOME_LABELS, outcome_colours=pages.OUTCOME_COLOURS,
        blocked=[r for r in rows if r.refusals], errors=errors or {},
        signer_title=actor.delegation_title or "GIÁM ĐỐC",
    ), status


@bp.route("/<int:proposal_id>")
@login_required
def detail(proposal_id: int):
    actor = current_actor()
    if _ministry_only(actor):
        proposals.load(db(), actor, proposal_id)  # 404 for a draft
        return redirect(url_for("ministry.proposal", proposal_id=proposal_id))
    return _detail_page(proposal_id)


def _act(proposal_id: int, key: str, verb: str, call, success, *, confirm: bool = False):
    g.back_url = url_for("proposals.detail", proposal_id=proposal_id)
    try:
        if confirm:
            _require_confirmation()
        result = _perform(call, verb, proposal_id)
    except ValidationFailed as err:
        return _detail_page(proposal_id, errors={key: err}, form=request.form, status=422)
    flash(success(result) if callable(success) else success, "success")
    return redirect(g.back_url)


@bp.route("/<int:proposal_id>/items", methods=["POST"])
@login_required
def set_items(proposal_id: int):
    ids = inputs.ids_as_typed(request.form.getlist("nomination_ids"))

    def call():
        if not ids:
            raise ValidationFailed("Chưa chọn hồ sơ nào.", ["Tờ trình phải có ít nhất một hồ sơ."],
                                   {"nomination_ids": "Chọn ít nhất một hồ sơ"})
        return proposals.set_items(db(), current_actor(), proposal_id, ids, context=request_context())

    return _act(proposal_id, "items", "set_items", call, f"Đã cập nhật danh sách đề nghị: {len(ids)} hồ sơ.")


@bp.route("/<int:proposal_id>/submit", methods=["POST"])
@login_required
def submit(proposal_id: int):
    form = request.form
    return _act(proposal_id, "submit", "submit",
                lambda: proposals.submit(db(), current_actor(), proposal_id, number=form.get("number", ""),
                                         date=form.get("date", ""), context=request_context()),
                lambda p: f"Đã ký và trình Bộ Tờ trình số {p.number}: {len(p.items)} hồ sơ chuyển sang "
                          "“Đã đề nghị cấp ngành”.", confirm=True)


# ---------------------------------------------------------------------------------------------------- documents



def _file_name(p, kind: str) -> str:
    return f"{kind} {p.number}" if p.number else f"{kind} du thao {p.id}"


@bp.route("/<int:proposal_id>/document")
@login_required
def document(proposal_id: int):
    p = proposals.load(db(), current_actor(), proposal_id)
    return downloads.send_document(documents.proposal_docx(db(), p), _file_name(p, "To trinh"), "docx")


@bp.route("/<int:proposal_id>/list.xlsx")
@login_required
def list_xlsx(proposal_id: int):
    p = proposals.load(db(), current_actor(), proposal_id)
    return downloads.send_document(documents.proposal_xlsx(db(), p), _file_name(p, "Danh sach de nghi"), "xlsx")
