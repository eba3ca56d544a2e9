"""Thin views: parse the request, call the workflow service through web.db.perform (so refusals are audited),
render. A 422 re-renders the form with the user's input and the reasons; 403/404/409 go to the error page."""
from __future__ import annotations

import io

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from models import ATTACHMENT_KINDS, Attachment
from web import downloads
from web.current import current_actor
from web.db import db, perform, reads, request_context
from web.files import send_stored
from web.nominations import bp, forms
from workflow import choices, clock, policy, uploads
from workflow.council.queries import publicity_sessions
from workflow.documents.certificate import certificate_level
from workflow.errors import DomainError, Forbidden, StaleVersion, ValidationFailed
from workflow.labels import ACTION_LABELS, STATE_LABELS
from workflow.nominations import desk, exports, machine, rules, service
from workflow.nominations.queries import (
    history_users,
    list_nominations,
    load_detail,
    reads_whole_dossier,
    visible_attachments,
)

FILTERS = ("campaign", "state", "unit", "subject_type", "q")
# The main road of the lifecycle (workflow.nominations.machine) is drawn on the detail page; side exits after it when
# reached.


def _perform(fn, action: str, nomination_id: int | None = None):
    return perform(fn, action=action, actor=current_actor(), object_type="nomination", object_id=nomination_id)


# ---------------------------------------------------------------------------------------------------- list
@bp.route("")
@login_required
def index():
    actor = current_actor()
    filters = {k: request.args.get(k, "").strip() for k in FILTERS}
    page = list_nominations(db(), actor, page=request.args.get("page"), per_page=request.args.get("per_page"),
                            **{k: v or None for k, v in filters.items()})
    # The stamp read with the caller (a GET: nothing written since), so the filters need no statement of their own.
    offered = choices.list_filters(db(), actor, stamp=g.get("choices_stamp"))
    return render_template(
        "nominations/list.html", page=page, filters=filters,
        filters_query={k: v for k, v in filters.items() if v},
        campaigns=offered.campaigns, units=offered.units, can_register=offered.can_register,
    )


# ---------------------------------------------------------------------------------------------------- register
def _registration_page(values: dict, error: DomainError | None = None, status: int = 200):
    actor = current_actor()
    session = db()
    return render_template(
        "nominations/new.html", values=values, error=error, field_errors=error.field_errors if error else {},
        campaigns=choices.registration_campaigns(session, actor), units=choices.registrable_units(session, actor),
        people=choices.registrable_people(session, actor),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    actor = current_actor()
    policy.require(actor, "create", "nomination", detail="Không có quyền đăng ký điển hình.")
    if request.method == "GET":
        units = choices.registrable_units(db(), actor)
        defaults = {"subject_type": "collective", "unit_id": str(units[0].id) if len(units) == 1 else "",
                    "campaign_id": request.args.get("campaign", "")}
        return _registration_page(defaults)
    data = forms.registration(request.form)
    try:
        n = _perform(lambda: service.create_nomination(db(), actor, context=request_context(), **data),
                     "nomination.create")
    except ValidationFailed as err:
        return _registration_page(request.form.to_dict(), err, 422)
    flash(f"Đã đăng ký điển hình “{n.title}”.", "success")
    return redirect(url_for("nominations.detail", nomination_id=n.id))


# ---------------------------------------------------------------------------------------------------- detail
READER_LENT = ("nominations.index", "nominations.detail")


@bp.before_request
def _lend_the_reader() -> None:
    """The list page and the detail page read plain statements (their caller; the list's page of rows, or the
    nomination with its parts and a rule's records): on the request's reader connection (`web.db.reads`), lent to the
    request's session before flask-login reads the caller (at `login_required`), so the session connects only for an
    ORM read, as the API's reads (`plain_reads`). The list page's session never connects: the Session's checkout and
    its close's bookkeeping were ~55 µs of the page's ~1.7 ms of CPU (issue 13, tenth increment)."""
    if request.endpoint in READER_LENT:
        reads()


def _lifecycle(state: str) -> list[dict]:
    steps = [{"code": s, "label": STATE_LABELS[s]} for s in machine.MAIN_ROAD]
    if state not in machine.MAIN_ROAD:
        steps.append({"code": state, "label": STATE_LABELS[state]})
    current = next(i for i, s in enumerate(steps) if s["code"] == state)
    on_road = state in machine.MAIN_ROAD
    for i, step in enumerate(steps):
        step["status"] = "current" if i == current else ("done" if i < current and on_road else "todo")
    return steps


def _detail_page(nomination_id: int, *, errors: dict | None = None, form=None, status: int = 200):
    """The detail page; `errors` maps a form key ("transition:submit", "checkin", "upload") to the DomainError
    to show beside that form, and `form` is the posted data to put back."""
    actor = current_actor()
    session = db()
    n = load_detail(session, actor, nomination_id)
    if not reads_whole_dossier(actor, n):  # the department's staff during a publicity period: the public part
        return render_template("nominations/public.html", n=n, attachments=visible_attachments(actor, n, whole=False),
                               sessions=publicity_sessions(session, n.id, n.department_id, clock.now())), status
    answers = {a.code: a for a in n.criteria}
    criteria = [(c, answers.get(c.code)) for c in rules.criteria_for(n.subject_type, n.campaign.kind)]
    actors = history_users(session, n)
    irreversible_summary = {
        t.code: f"Hồ sơ sẽ chuyển sang trạng thái “{STATE_LABELS[t.dest]}”. Thao tác này không thể hoàn tác."
        for t in machine.TRIGGERS.values() if t.irreversible
    }
    return render_template(
        "nominations/detail.html", n=n, lifecycle=_lifecycle(n.state), criteria=criteria,
        eligibility=rules.evaluate(session, n), gaps=rules.dossier_gaps(n), actors=actors,
        checklist=rules.dossier_checklist(n), returned=desk.latest_return(n, actors),
        accepted=desk.acceptance(n, actors),
        actions=service.available_actions(session, actor, n), edit_refusals=service.edit_refusals(actor, n),
        attachment_kinds=ATTACHMENT_KINDS, errors=errors or {}, form=form or {},
        irreversible_summary=irreversible_summary,
    ), status


@bp.route("/<int:nomination_id>")
@login_required
def detail(nomination_id: int):
    return _detail_page(nomination_id)


@bp.route("/<int:nomination_id>/transition", methods=["POST"])
@login_required
def transition(nomination_id: int):
    actor = current_actor()
    g.back_url = url_for("nominations.detail", nomination_id=nomination_id)
    action = request.form.get("action", "")
    trig = machine.TRIGGERS.get(action)
    data = forms.transition_data(request.form, trig.requires if trig else ())
    key = f"transition:{action}"
    try:
        if trig is not None and trig.irreversible and request.form.get("confirm") != "yes":
            raise ValidationFailed("Vui lòng đánh dấu ô xác nhận trước khi thực hiện thao tác không thể hoàn tác.",
                                   ["Chưa xác nhận thao tác."], {"confirm": "Bắt buộc xác nhận"})
        _perform(lambda: service.transition(db(), actor, nomination_id, action, request.form.get("version"),
                                            comment=request.form.get("comment", ""), context=request_context(),
                                            **data),
                 f"nomination.{action}" if trig else "nomination.transition", nomination_id)
    except ValidationFailed as err:
        return _detail_page(nomination_id, errors={key: err}, form=request.form, status=422)
    flash(f"Đã thực hiện: {ACTION_LABELS.get(action, action)}.", "success")
    return redirect(g.back_url)


@bp.route("/<int:nomination_id>/accept", methods=["POST"])
@login_required
def accept(nomination_id: int):
    """"Tiếp nhận hồ sơ" (the secretariat): a refusal comes back beside the accept card, like a transition's."""
    actor = current_actor()
    g.back_url = url_for("nominations.detail", nomination_id=nomination_id)
    try:
        _perform(lambda: service.accept_nomination(db(), actor, nomination_id, request.form.get("version"),
                                                   comment=request.form.get("comment", ""),
                                                   context=request_context()),
                 "nomination.accept", nomination_id)
    except ValidationFailed as err:
        return _detail_page(nomination_id, errors={"transition:accept": err}, form=request.form, status=422)
    flash("Đã tiếp nhận hồ sơ. Hồ sơ chờ Hội đồng Thi đua – Khen thưởng xét.", "success")
    return redirect(g.back_url)


# ---------------------------------------------------------------------------------------------------- edit
def _dossier_values(n) -> dict:
    return {"title": n.title, "achievements": n.achievements, "initiatives": n.initiatives,
            "nurture_plan": n.nurture_plan or "", "version": n.version,
            "criteria": {a.code: {"met": a.met, "evidence": a.evidence} for a in n.criteria}}


def _edit_page(n, values: dict, error: DomainError | None = None, status: int = 200, *, current: dict | None = None):
    """The edit form; `current` (after a version conflict) holds the dossier as saved now, shown beside each field the
    user's text differs from, while the form keeps what the user typed."""
    criteria = [(c, values.get("criteria", {}).get(c.code, {}))
                for c in rules.criteria_for(n.subject_type, n.campaign.kind)]
    return render_template("nominations/edit.html", n=n, values=values, criteria=criteria, error=error,
                           field_errors=error.field_errors if error else {}, current=current), status


@bp.route("/<int:nomination_id>/edit", methods=["GET", "POST"])
@login_required
def edit(nomination_id: int):
    actor = current_actor()
    g.back_url = url_for("nominations.detail", nomination_id=nomination_id)
    n = service.load(db(), actor, nomination_id)
    if request.method == "GET":
        refusals = service.edit_refusals(actor, n)
        if refusals:
            raise Forbidden("Không thể chỉnh sửa hồ sơ.", refusals)
        return _edit_page(n, _dossier_values(n))
    values = forms.dossier(request.form, n)
    try:
        _perform(lambda: service.update_nomination(db(), actor, nomination_id, request.form.get("version"),
                                                   context=request_context(), **values),
                 "nomination.update", nomination_id)
    except ValidationFailed as err:
        n = service.load(db(), actor, nomination_id)
        return _edit_page(n, dict(values, version=request.form.get("version")), err, 422)
    except StaleVersion:
        # Someone saved the dossier since this form was opened: nothing is lost. The form comes back with what the
        # user typed, the saved text beside each field that differs, and the current version, so that saving again
        # is a deliberate choice made with both in view.
        n = service.load(db(), actor, nomination_id)
        refusals = service.edit_refusals(actor, n)
        if refusals:  # meanwhile submitted or withdrawn: no longer editable, say why (the 409 page)
            raise
        explained = ValidationFailed(
            "Hồ sơ vừa được người khác cập nhật sau khi anh/chị mở trang này, nên nội dung anh/chị nhập chưa được lưu.",
            ["Nội dung anh/chị đã nhập vẫn được giữ nguyên trong các ô bên dưới.",
             "Bên dưới mỗi ô có khác biệt là nội dung hiện đang được lưu. Hãy đối chiếu, chỉnh lại nếu cần, rồi bấm "
             "“Lưu hồ sơ” để lưu nội dung trong các ô."])
        return _edit_page(n, dict(values, version=n.version), explained, 409, current=_dossier_values(n))
    flash("Đã lưu hồ sơ.", "success")
    return redirect(g.back_url)


# ---------------------------------------------------------------------------------------------------- items
@bp.route("/<int:nomination_id>/checkins", methods=["POST"])
@login_required
def add_checkin(nomination_id: int):
    actor = current_actor()
    g.back_url = url_for("nominations.detail", nomination_id=nomination_id)
    try:
        _perform(lambda: service.add_checkin(db(), actor, nomination_id, date=request.form.get("date", ""),
                                             note=request.form.get("note", ""), context=request_context()),
                 "nomination.add_checkin", nomination_id)
    except ValidationFailed as err:
        return _detail_page(nomination_id, errors={"checkin": err}, form=request.form, status=422)
    flash("Đã ghi nhận theo dõi bồi dưỡng.", "success")
    return redirect(g.back_url + "#theo-doi")


@bp.route("/<int:nomination_id>/attachments", methods=["POST"])
@login_required
def add_attachment(nomination_id: int):
    actor = current_actor()
    g.back_url = url_for("nominations.detail", nomination_id=nomination_id)
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    filename = upload.filename if upload is not None else ""
    try:
        _perform(lambda: service.add_attachment(db(), actor, nomination_id, kind=request.form.get("kind", ""),
                                                filename=filename, data=data,
                                                internal=request.form.get("internal") == "yes",
                                                context=request_context()),
                 "nomination.add_attachment", nomination_id)
    except ValidationFailed as err:
        return _detail_page(nomination_id, errors={"upload": err}, form=request.form, status=422)
    flash(f"Đã đính kèm tệp “{filename}”.", "success")
    return redirect(g.back_url + "#tai-lieu")


@bp.route("/<int:nomination_id>/attachments/<int:attachment_id>")
@login_required
def download(nomination_id: int, attachment_id: int):
    """Streams a stored file to a user who may view the nomination (404 to anyone else, as for the nomination)."""
    actor = current_actor()
    n = service.load(db(), actor, nomination_id)
    item = db().get(Attachment, attachment_id)
    if item is None or item.nomination_id != n.id or (item.internal and not reads_whole_dossier(actor, n)):
        abort(404)
    stored = uploads.stat(db(), item.sha256)
    if stored is None:
        abort(404)
    return send_stored(stored, mimetype=item.content_type, as_attachment=True, download_name=item.filename)


@bp.app_template_global()
def may_register() -> bool:
    """Whether pages offer "Đăng ký điển hình" (the service checks the unit and the campaign again on submit)."""
    actor = current_actor()
    return bool(policy.can(actor, "create", "nomination"))


# ---------------------------------------------------------------------------------------------- export, certificate
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(data: bytes, mimetype: str, filename: str):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/export.xlsx")
@login_required
def export_xlsx():
    """The list's current filters (the same query string as the list page) as .xlsx, in the caller's scope."""
    filters = {k: request.args.get(k, "").strip() or None for k in FILTERS}
    data = exports.nominations_xlsx(db(), current_actor(), today=clock.today(), **filters)
    return _attachment(data, XLSX, f"ho-so-dien-hinh-{clock.today():%Y%m%d}.xlsx")


@bp.route("/<int:nomination_id>/certificate")
@login_required
def certificate(nomination_id: int):
    """The printable certificate (A4 landscape); 404 to whoever may not see the nomination, 422 if not recognised."""
    g.back_url = url_for("nominations.detail", nomination_id=nomination_id)
    n, cert = exports.certificate_of(db(), current_actor(), nomination_id)
    return render_template("nominations/certificate.html", n=n, c=cert)


@bp.route("/<int:nomination_id>/certificate.docx")
@login_required
def certificate_docx(nomination_id: int):
    g.back_url = url_for("nominations.detail", nomination_id=nomination_id)
    data, stem = exports.certificate_docx_of(db(), current_actor(), nomination_id)
    data, ext = downloads.as_requested(data, "docx")
    return _attachment(data, downloads.MIMETYPES[ext], f"{stem}.{ext}")


@bp.app_template_global()
def has_certificate(n) -> bool:
    """Whether the detail page links the certificate (the state of a recognised example)."""
    return certificate_level(n) is not None
