"""Thin views for the Ministry's reviewer: submitted proposals of every department, newest first; per proposal, the
Minister's decision recorded for ticked items (decisions.issue level "nganh": the same number and date add items to
one decision) or a refusal with its reason (reject_nganh: the item stays a cơ sở example). POSTs go through
web.db.perform; a 422 re-renders the page with the reasons beside the form that was sent."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import login_required

from web.current import current_actor
from web.db import db, perform, request_context
from web.proposals import pages
from web.proposals.ministry import bp
from workflow import clock, inputs, policy
from workflow.errors import Forbidden, NotFound, ValidationFailed
from workflow.nominations import service
from workflow.proposals import decisions
from workflow.proposals import operations as proposals


def _require_reader(actor) -> None:
    """The Ministry's area: whoever reads the proposals of every department."""
    if policy.widest_scope(actor, "view", "proposal") != policy.ALL:
        raise Forbidden("Không có quyền truy cập khu vực của Bộ Tư pháp.",
                        ["Dành cho Vụ Thi đua – Khen thưởng, Bộ Tư pháp."])


@bp.route("")
@login_required
def index():
    actor = current_actor()
    _require_reader(actor)
    department = inputs.integer_or_none(request.args.get("department"))
    page = proposals.list_proposals(db(), actor, page=request.args.get("page"), per_page=request.args.get("per_page"),
                                    state="submitted", department=department)
    ids = [p.id for p in page.items]
    awaiting = pages.awaiting_counts(db(), ids)
    return render_template("ministry/index.html", page=page, counts=pages.item_counts(db(), ids), awaiting=awaiting,
                           departments=pages.departments_with_submissions(db()), department=department)


def _proposal_page(proposal_id: int, *, errors: dict | None = None, form=None, status: int = 200):
    actor = current_actor()
    _require_reader(actor)
    session = db()
    p = proposals.load(session, actor, proposal_id)
    if p.state != "submitted":
        raise NotFound("Không tìm thấy tờ trình.")
    rows = proposals.item_rows(session, p)
    today = clock.today()
    values = {"number": "", "date": today.isoformat(), "nomination_ids": [], "signer_name": "",
              "signer_deputy": False}
    if errors and "recognize" in errors and form is not None:
        values = {"number": form.get("number", ""), "date": form.get("date", ""),
                  "nomination_ids": form.getlist("nomination_ids"), "signer_name": form.get("signer_name", ""),
                  "signer_deputy": form.get("signer_deputy") == "yes"}
    ministry = decisions.issuer_for(session, actor, "nganh")
    return render_template(
        "ministry/proposal.html", p=p, rows=rows, awaiting=[r for r in rows if r.awaiting],
        can_decide=bool(policy.can(actor, "issue_nganh", "decision")), values=values, errors=errors or {},
        form=form or {},
        symbol=decisions.symbol(ministry),
        suggested=decisions.next_number(session, ministry, today.year),
        outcome_labels=proposals.OUTCOME_LABELS, outcome_colours=pages.OUTCOME_COLOURS,
    ), status


@bp.route("/proposals/<int:proposal_id>")
@login_required
def proposal(proposal_id: int):
    return _proposal_page(proposal_id)


def _require_confirmation() -> None:
    if request.form.get("confirm") != "yes":
        raise ValidationFailed("Vui lòng đánh dấu ô xác nhận trước khi thực hiện thao tác không thể hoàn tác.",
                               ["Chưa xác nhận thao tác."], {"confirm": "Bắt buộc xác nhận"})


def _act(proposal_id: int, key: str, verb: str, call, success, object_type="proposal"):
    g.back_url = url_for("ministry.proposal", proposal_id=proposal_id)
    try:
        _require_confirmation()
        result = perform(call, action=verb, actor=current_actor(), object_type=object_type, object_id=proposal_id)
    except ValidationFailed as err:
        return _proposal_page(proposal_id, errors={key: err}, form=request.form, status=422)
    flash(success(result), "success")
    return redirect(g.back_url)


def _own_items(proposal_id: int, ids: list) -> None:
    """The ticked items must be this proposal's, still waiting for the Minister's decision."""
    p = proposals.load(db(), current_actor(), proposal_id)
    waiting = {r.n.id for r in proposals.item_rows(db(), p, with_rules=False) if r.awaiting}
    strangers = [i for i in ids if i not in waiting]
    if strangers:
        raise ValidationFailed("Có hồ sơ không thuộc tờ trình này hoặc đã có kết quả.",
                               [f"Hồ sơ số {i} không có trong danh sách chờ quyết định." for i in strangers],
                               {"nomination_ids": "Chọn hồ sơ đang chờ quyết định"})


@bp.route("/proposals/<int:proposal_id>/recognize", methods=["POST"])
@login_required
def recognize(proposal_id: int):
    form = request.form
    ids = inputs.ids_as_typed(form.getlist("nomination_ids"))

    def call():
        if not ids:
            raise ValidationFailed("Chưa chọn hồ sơ nào.", ["Đánh dấu hồ sơ được Bộ trưởng công nhận."],
                                   {"nomination_ids": "Chọn ít nhất một hồ sơ"})
        _own_items(proposal_id, ids)
        return decisions.issue(db(), current_actor(), level="nganh", number=form.get("number", ""),
                               date=form.get("date", ""), nomination_ids=ids,
                               signer_name=form.get("signer_name", ""),
                               signer_deputy=form.get("signer_deputy") == "yes", context=request_context())

    return _act(proposal_id, "recognize", "decision.issue", call,
                lambda d: f"Đã ghi nhận Quyết định số {d.number} ngày {d.date:%d/%m/%Y}: {len(ids)} hồ sơ được "
                          "công nhận Điển hình ngành Tư pháp.")


@bp.route("/proposals/<int:proposal_id>/reject", methods=["POST"])
@login_required
def reject(proposal_id: int):
    form = request.form
    nid = inputs.integer_or_none(form.get("nomination_id"))
    key = f"reject:{nid}"

    def call():
        if nid is None:
            raise ValidationFailed("Chưa chọn hồ sơ.", ["Thiếu hồ sơ."])
        if not form.get("reason", "").strip():
            raise ValidationFailed("Vui lòng nêu lý do không công nhận.", ["Thiếu lý do không công nhận."],
                                   {"reason": "Bắt buộc nhập lý do"})
        _own_items(proposal_id, [nid])
        return service.transition(db(), current_actor(), nid, "reject_nganh",
                                  inputs.integer_or_none(form.get("version")),
                                  reason=form.get("reason", ""), context=request_context())

    return _act(proposal_id, key, "nomination.reject_nganh", call,
                lambda n: f"Đã ghi nhận: hồ sơ “{n.title}” không được công nhận cấp ngành; "
                          "hồ sơ vẫn là Điển hình cấp cơ sở.")
