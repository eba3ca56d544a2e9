"""Thin views over workflow.council.operations: parse the request, call the service through web.db.perform (so a
refusal is audited), render. A 422 re-renders the page with the reasons beside the form that was sent; 403/404/409 go
to the error page with a link back. No view reads a ballot: pages show THAT a member voted and, after the close,
counts."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Campaign, Council, User
from web import downloads
from web.council import bp, forms, pages
from web.current import current_actor
from web.db import db, perform, request_context
from workflow import documents, inputs, offers, policy
from workflow.council import ballot_sheet, scheduling, turnout
from workflow.council import operations as council
from workflow.council.queries import held_on
from workflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflow.proposals import decisions

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

bp.add_app_template_filter(pages.percent, "vn_percent")


@bp.app_template_global()
def council_nav() -> dict:
    """Which of "Hội đồng" and "Quyết định" the header offers this user."""
    actor = current_actor()
    if actor is None:
        return {}
    return {
        "council": bool(policy.can(actor, "view", "council")),
        # the register of decisions: for whoever reads a department's (or every) decision, not only their own
        "decisions": policy.widest_scope(actor, "view", "decision") in (policy.ALL, policy.DEPARTMENT),
    }


def _perform(fn, verb: str, session_id: int | None = None):
    return perform(fn, action=f"council_session.{verb}", actor=current_actor(), object_type="council_session",
                   object_id=session_id)


def _require_confirmation() -> None:
    if request.form.get("confirm") != "yes":
        raise ValidationFailed("Vui lòng đánh dấu ô xác nhận trước khi thực hiện thao tác không thể hoàn tác.",
                               ["Chưa xác nhận thao tác."], {"confirm": "Bắt buộc xác nhận"})


# ---------------------------------------------------------------------------------------------------- settings
def _councils(actor) -> list[Council]:
    return list(db().scalars(council.councils_query(actor).order_by(Council.id)))


def _settings_page(council_id=None, *, errors: dict | None = None, form=None, status: int = 200):
    actor = current_actor()
    session = db()
    councils = _councils(actor)
    chosen = next((c for c in councils if c.id == council_id), councils[0] if councils else None)
    if council_id is not None and (chosen is None or chosen.id != council_id):
        raise NotFound("Không tìm thấy Hội đồng.")
    members = pages.members(session, chosen, include_inactive=True) if chosen else []
    candidates = []
    manages = chosen is not None and bool(policy.can(actor, "manage", chosen))
    if manages:
        taken = {m.user_id for m in members}
        users = session.scalars(select(User).where(User.department_id == chosen.department_id, User.active.is_(True))
                                .options(joinedload(User.person), joinedload(User.unit)))
        candidates = sorted((u for u in users if u.id not in taken),
                            key=lambda u: u.person.sort_key if u.person else u.full_name)
    return render_template("council/settings.html", councils=councils, c=chosen, members=members,
                           candidates=candidates, is_admin=manages, errors=errors or {}, form=form or {},
                           functions=council.FUNCTION_LABELS,
                           publicity_minimum=scheduling.publicity_minimum()), status


@bp.route("")
@login_required
def settings():
    return _settings_page(inputs.integer_or_none(request.args.get("council")))


@bp.route("/settings", methods=["POST"])
@login_required
def update_settings():
    actor = current_actor()
    council_id = inputs.integer_or_none(request.form.get("council_id"))
    if council_id is None:
        raise NotFound("Không tìm thấy Hội đồng.")
    g.back_url = url_for("council.settings", council=council_id)
    data = forms.settings(request.form)
    try:
        perform(lambda: council.update_council(db(), actor, council_id, context=request_context(), **data),
                action="council.update", actor=actor, object_type="council", object_id=council_id)
    except ValidationFailed as err:
        return _settings_page(council_id, errors={"settings": forms.percent_errors(err)}, form=request.form,
                              status=422)
    flash("Đã lưu cấu hình Hội đồng.", "success")
    return redirect(g.back_url)


@bp.route("/members", methods=["POST"])
@login_required
def set_member():
    actor = current_actor()
    council_id = inputs.integer_or_none(request.form.get("council_id"))
    if council_id is None:
        raise NotFound("Không tìm thấy Hội đồng.")
    g.back_url = url_for("council.settings", council=council_id)
    user_id = inputs.integer_or_none(request.form.get("user_id"))
    key = f"member:{request.form.get('row', 'new')}"
    try:
        member = perform(lambda: council.set_member(
            db(), actor, council_id, user_id=user_id, function=request.form.get("function", "uy_vien"),
            active=request.form.get("active") == "yes", context=request_context()),
            action="council.member_set", actor=actor, object_type="council", object_id=council_id)
    except ValidationFailed as err:
        return _settings_page(council_id, errors={key: err}, form=request.form, status=422)
    flash(f"Đã lưu thành viên {member.user.full_name}.", "success")
    return redirect(g.back_url + "#thanh-vien")


# ---------------------------------------------------------------------------------------------------- sessions
@bp.route("/sessions")
@login_required
def sessions():
    actor = current_actor()
    state = request.args.get("state") or None
    page = council.list_sessions(db(), actor, page=request.args.get("page"), per_page=request.args.get("per_page"),
                                 state=state)
    return render_template("council/sessions.html", page=page, rows=pages.session_rows(db(), page.items),
                           can_schedule=council.schedule_offer(actor) is not None, state=state,
                           colours=pages.SESSION_COLOURS, state_labels=council.STATE_LABELS)


def _new_page(values: dict, error: ValidationFailed | None = None, status: int = 200):
    actor = current_actor()
    campaigns = list(db().scalars(select(Campaign).where(Campaign.department_id == actor.department_id)
                                  .order_by(Campaign.start_date.desc(), Campaign.id.desc())))
    return render_template("council/new.html", values=values, error=error, campaigns=campaigns,
                           field_errors=error.field_errors if error else {}), status


@bp.route("/sessions/new", methods=["GET", "POST"])
@login_required
def new_session():
    actor = current_actor()
    policy.require(actor, "prepare", "council_session", department_id=actor.department_id,
                   detail="Không có quyền lên lịch phiên họp.")
    if request.method == "GET":
        return _new_page({"campaign_id": request.args.get("campaign", "")})
    form = request.form
    try:
        s = _perform(lambda: council.schedule(
            db(), actor, title=form.get("title", ""), date=form.get("date", ""),
            campaign_id=form.get("campaign_id"), location=form.get("location"),
            start_time=form.get("start_time"), context=request_context()), "schedule")
    except ValidationFailed as err:
        return _new_page(form.to_dict(), err, 422)
    flash(f"Đã lên lịch phiên họp “{s.title}”. Hãy lập chương trình (danh sách hồ sơ) rồi công khai.", "success")
    return redirect(url_for("council.detail", session_id=s.id))


def _detail_page(session_id: int, *, errors: dict | None = None, form=None, status: int = 200,
                 stale: bool = False):
    actor = current_actor()
    session = db()
    s = pages.load_session(session, actor, session_id)
    sees = council.can_see_results(actor, s)
    pub = pages.publicity(s)
    members = pages.members(session, s.council) if sees else []
    recused = {}
    if sees:
        for item in s.items:
            recused[item.nomination_id] = [(m.user.full_name, reason) for m in members
                                           if (reason := council.recusal_reason(m.user, item.nomination))]
    progress = council.progress(session, s) if sees and s.state not in ("closed", "cancelled") else None
    ballots_in = turnout.turnout(session, s) if sees and s.state == "open" else None
    actions = {o.code: o for o in council.available_actions(session, actor, s)}
    agenda = actions.get("set_agenda")
    return render_template(
        "council/detail.html", s=s, pub=pub, sees=sees,
        comments=pages.comments_by_item(session, s) if sees else {},
        members=members, present={a.user_id for a in s.attendance if a.present}, recused=recused,
        candidates=council.agenda_candidates(session, s) if agenda and agenda.allowed else [],
        progress=progress, ballots_in=ballots_in,
        item_progress={p.item.nomination_id: p for p in progress.items} if progress else {},
        actions=actions, issue_offer=decisions.issue_offer(actor, "co_so"),
        awaiting=decisions.awaiting_decision(s) if s.state == "closed" else [],
        decisions=pages.decisions_of_session(session, s) if s.state == "closed" else [],
        ties=[i for i in s.items if i.outcome == "tie"], colours=pages.SESSION_COLOURS,
        outcome_colours=pages.OUTCOME_COLOURS, state_labels=council.STATE_LABELS,
        outcome_labels=council.OUTCOME_LABELS, functions=council.FUNCTION_LABELS,
        errors=errors or {}, form=form or {}, minutes_number=documents.minutes_number_text(s),
        stale=stale, held_on=held_on(s), earliest=scheduling.earliest_after_publicity(s),
    ), status


@bp.route("/sessions/<int:session_id>")
@login_required
def detail(session_id: int):
    return _detail_page(session_id)


def _act(session_id: int, key: str, verb: str, call, success: str, *, confirm: bool = False, anchor: str = ""):
    """Runs one action of the detail page: on 422 the page again with the reasons beside the form `key`."""
    g.back_url = url_for("council.detail", session_id=session_id)
    try:
        if confirm:
            _require_confirmation()
        _perform(call, verb, session_id)
    except ValidationFailed as err:
        return _detail_page(session_id, errors={key: err}, form=request.form, status=422)
    flash(success, "success")
    return redirect(g.back_url + anchor)


@bp.route("/sessions/<int:session_id>/edit", methods=["POST"])
@login_required
def edit_session(session_id: int):
    """Reschedule or rename. A stale version (someone changed the session since the page was opened) comes back as
    the page with what the user typed kept in the form and the current values beside it, never a lost edit."""
    g.back_url = url_for("council.detail", session_id=session_id)
    form = request.form
    try:
        _perform(lambda: scheduling.reschedule(
            db(), current_actor(), session_id, version=form.get("version"),
            title=form.get("title", ""), date=form.get("date", ""), start_time=form.get("start_time", ""),
            location=form.get("location", ""), context=request_context()), "reschedule", session_id)
    except ValidationFailed as err:
        return _detail_page(session_id, errors={"edit": err}, form=form, status=422)
    except Conflict as err:
        if council_state(session_id) != "scheduled":
            raise
        db().expire_all()
        return _detail_page(session_id, errors={"edit": err}, form=form, status=409, stale=True)
    flash("Đã lưu thay đổi của phiên họp; thành viên Hội đồng được thông báo.", "success")
    return redirect(g.back_url + "#doi-lich")


def council_state(session_id: int) -> str | None:
    """The session's state as committed now (after a refused change was rolled back)."""
    session = db()
    session.expire_all()
    s = pages.load_session(session, current_actor(), session_id)
    return s.state


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@login_required
def cancel_session(session_id: int):
    form = request.form
    return _act(session_id, "cancel", "cancel",
                lambda: scheduling.cancel(db(), current_actor(), session_id, reason=form.get("reason", ""),
                                          version=form.get("version") or None,
                                          context=request_context()),
                "Đã hủy phiên họp; các hồ sơ trong chương trình trở lại danh sách chờ Hội đồng xét.", confirm=True)


@bp.route("/sessions/<int:session_id>/agenda", methods=["POST"])
@login_required
def set_agenda(session_id: int):
    ids = inputs.ids_as_typed(request.form.getlist("nomination_ids"))
    return _act(session_id, "agenda", "set_agenda",
                lambda: council.set_agenda(db(), current_actor(), session_id, ids, context=request_context()),
                f"Đã lập chương trình phiên họp: {len(ids)} hồ sơ.", anchor="#chuong-trinh")


@bp.route("/sessions/<int:session_id>/publish", methods=["POST"])
@login_required
def publish(session_id: int):
    return _act(session_id, "publish", "publish",
                lambda: council.publish(db(), current_actor(), session_id, context=request_context()),
                "Đã công khai danh sách để lấy ý kiến.", confirm=True)


@bp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@login_required
def attendance(session_id: int):
    present = inputs.ids_as_typed(request.form.getlist("present"))
    return _act(session_id, "attendance", "record_attendance",
                lambda: council.record_attendance(db(), current_actor(), session_id, present,
                                                  context=request_context()),
                f"Đã ghi nhận điểm danh: {len(present)} thành viên có mặt.", anchor="#diem-danh")


@bp.route("/sessions/<int:session_id>/open", methods=["POST"])
@login_required
def open_session(session_id: int):
    return _act(session_id, "open", "open",
                lambda: council.open_session(db(), current_actor(), session_id, context=request_context()),
                "Đã khai mạc phiên họp; thành viên có mặt có thể biểu quyết.", confirm=True)


@bp.route("/sessions/<int:session_id>/close", methods=["POST"])
@login_required
def close_session(session_id: int):
    """The close, with the second box ("close without the members who have not voted") when some have not: a
    refusal for either box, or for want of ballots, comes back beside the close form."""
    confirm_missing = request.form.get("confirm_missing") == "yes"
    try:
        response = _act(session_id, "close", "close",
                        lambda: council.close_session(db(), current_actor(), session_id,
                                                      confirm_missing=confirm_missing, context=request_context()),
                        "Đã kết thúc phiên họp và kiểm phiếu.", confirm=True, anchor="#ket-qua")
    except Conflict as err:
        if pages.load_session(db(), current_actor(), session_id).state != "open":
            raise
        return _detail_page(session_id, errors={"close": err}, form=request.form, status=409)
    council.purge_after_close(current_app.extensions["dienhinh.engine"])  # old sealed versions out of the files
    return response


@bp.route("/sessions/<int:session_id>/tie", methods=["POST"])
@login_required
def resolve_tie(session_id: int):
    ids = inputs.ids_as_typed(request.form.getlist("nomination_ids"))
    return _act(session_id, "tie", "resolve_tie",
                lambda: council.resolve_tie(db(), current_actor(), session_id, ids, context=request_context()),
                "Đã ghi nhận quyết định của Chủ tịch Hội đồng đối với các hồ sơ bằng phiếu.", confirm=True,
                anchor="#ket-qua")


@bp.route("/sessions/<int:session_id>/comments", methods=["POST"])
@login_required
def add_comment(session_id: int):
    nid = inputs.integer_or_none(request.form.get("nomination_id"))
    return _act(session_id, f"comment:{nid}", "comment",
                lambda: council.add_comment(db(), current_actor(), session_id, nomination_id=nid,
                                            text=request.form.get("text", ""), context=request_context()),
                "Đã gửi góp ý. Ý kiến sẽ được báo cáo Hội đồng cùng hồ sơ.", anchor=f"#muc-{nid}")


@bp.route("/sessions/<int:session_id>/minutes")
@login_required
def minutes(session_id: int):
    actor = current_actor()
    s = pages.load_session(db(), actor, session_id)
    if not council.can_see_results(actor, s):
        raise Forbidden("Không có quyền xem biên bản phiên họp.",
                        ["Biên bản dành cho Hội đồng, Văn phòng Sở, Giám đốc Sở và Thanh tra."])
    if s.state != "closed":
        raise NotFound("Biên bản chỉ có sau khi phiên họp kết thúc.")
    return downloads.send_document(documents.minutes_docx(db(), s), f"Bien ban phien hop {s.id} {s.date:%d-%m-%Y}",
                                   "docx")



# ---------------------------------------------------------------------------------------------------- voting
# The ballot sheet (workflow/council/ballot_sheet.py): fill every item, review the summary, confirm, submit once.
# No step before the last writes anything, and no single tap casts a vote.
def _sheet_choices() -> dict[str, str]:
    """The sheet's choices as posted: `choice-<nomination id>` fields (parsed and judged by the service)."""
    return {key.removeprefix("choice-"): value for key, value in request.form.items() if key.startswith("choice-")}


def _vote_page(session_id: int, *, error: ValidationFailed | None = None, status: int = 200,
               chosen: dict | None = None, review: dict | None = None):
    actor = current_actor()
    session = db()
    s = pages.load_session(session, actor, session_id)
    if pages.member_of(session, s, actor.id) is None:
        raise Forbidden("Chỉ thành viên Hội đồng được biểu quyết.",
                        ["Tài khoản không phải thành viên Hội đồng của phiên họp này."])
    items = pages.ballot_items(session, s, actor.user)
    refusal = ballot_sheet.check_submit(session, actor, s)
    return render_template(
        "council/vote.html", s=s, items=items, error=error, chosen=chosen or {}, review=review,
        field_errors=error.field_errors if error else {}, can_submit=refusal is None,
        submitted=ballot_sheet.has_submitted(session, s, actor.id), choice_labels=ballot_sheet.CHOICE_LABELS,
        present=any(a.user_id == actor.id and a.present for a in s.attendance),
        progress=council.progress(session, s) if s.state != "closed" else None,
        colours=pages.SESSION_COLOURS, state_labels=council.STATE_LABELS,
    ), status


@bp.route("/sessions/<int:session_id>/vote", methods=["GET", "POST"])
@login_required
def vote(session_id: int):
    """GET: the sheet. POST: the review of a filled sheet (nothing is written), or the sheet again to change it."""
    if request.method == "GET":
        return _vote_page(session_id)
    actor = current_actor()
    g.back_url = url_for("council.vote", session_id=session_id)
    chosen = _sheet_choices()
    s = pages.load_session(db(), actor, session_id)
    offers.enforce(ballot_sheet.check_submit(db(), actor, s))
    if request.form.get("edit") == "yes":
        return _vote_page(session_id, chosen=chosen)
    try:
        parsed = ballot_sheet.parse_choices(s, actor.user, chosen)
    except ValidationFailed as err:
        return _vote_page(session_id, error=err, status=422, chosen=chosen)
    return _vote_page(session_id, chosen=chosen, review=parsed)


@bp.route("/sessions/<int:session_id>/ballot", methods=["POST"])
@login_required
def submit_ballot(session_id: int):
    """The reviewed sheet, confirmed: every vote of the member at once, or none."""
    actor = current_actor()
    g.back_url = url_for("council.vote", session_id=session_id)
    chosen = _sheet_choices()
    try:
        _require_confirmation()
        _perform(lambda: ballot_sheet.submit_ballot(db(), actor, session_id, chosen, context=request_context()),
                 "ballot", session_id)
    except ValidationFailed as err:
        if "confirm" in err.field_errors:  # the review again, with the box to tick
            s = pages.load_session(db(), actor, session_id)
            try:
                review = ballot_sheet.parse_choices(s, actor.user, chosen)
            except ValidationFailed as invalid:
                return _vote_page(session_id, error=invalid, status=422, chosen=chosen)
            return _vote_page(session_id, error=err, status=422, chosen=chosen, review=review)
        return _vote_page(session_id, error=err, status=422, chosen=chosen)
    # The message counts the items, never names a choice.
    flash(f"Đã nộp phiếu biểu quyết ({len(chosen)} hồ sơ). Lựa chọn của bạn được giữ bí mật.", "success")
    return redirect(g.back_url)
