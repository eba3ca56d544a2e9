"""Thin views over workflow.propagation.stories. POSTs go through web.db.perform (a refusal is rolled back and
audited); a 422 re-renders the page with the reasons beside the form that was sent. After a save, the editor is told
what the sanitiser removed from the body (stories.removed_markup), and whether the public page changed."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import login_required

from web.current import current_actor
from web.db import db, perform, request_context
from web.files import send_stored
from web.propagation.stories import bp
from workflow import policy, uploads
from workflow.errors import Forbidden, NotFound, ValidationFailed
from workflow.propagation import stories

LABELS = {"state_labels": stories.STATE_LABELS, "state_colours": stories.STATE_COLOURS,
          "channel_labels": stories.CHANNEL_LABELS}


@bp.app_template_global()
def stories_nav() -> bool:
    """Whether the header offers "Bài viết tuyên truyền" to this user."""
    actor = current_actor()
    return bool(policy.can(actor, "view_drafts", "story"))


def _perform(fn, verb: str, story_id: int | None = None):
    return perform(fn, action=f"story.{verb}", actor=current_actor(), object_type="story", object_id=story_id)


def _require_reader(actor) -> None:
    policy.require(actor, "view_drafts", "story", detail="Không có quyền xem bài viết tuyên truyền.")


def _require_editor(actor) -> None:
    policy.require(actor, "write", "story", detail="Không có quyền viết bài tuyên truyền.")


# ---------------------------------------------------------------------------------------------------- list
@bp.route("")
@login_required
def index():
    actor = current_actor()
    _require_reader(actor)
    state = request.args.get("state") or None
    channel = request.args.get("channel") or None
    state = state if state in stories.STATE_LABELS else None
    channel = channel if channel in stories.CHANNEL_LABELS else None
    page = stories.list_stories(db(), actor, page=request.args.get("page"), per_page=request.args.get("per_page"),
                                state=state, channel=channel)
    return render_template("stories/list.html", page=page, state=state, channel=channel,
                           can_create=stories.is_editor(actor), **LABELS)


# ---------------------------------------------------------------------------------------------------- form
def _form_values(form) -> dict:
    return {k: form.get(k, "") for k in ("nomination_id", "title", "summary", "body", "channel", "version")}


def _form_page(values: dict, story=None, error: ValidationFailed | None = None, status: int = 200):
    actor = current_actor()
    return render_template("stories/form.html", story=story, values=values, error=error,
                           field_errors=error.field_errors if error else {},
                           choices=stories.recognised_choices(db(), actor), **LABELS), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    actor = current_actor()
    _require_editor(actor)
    if request.method == "GET":
        return _form_page({"nomination_id": request.args.get("nomination", ""), "channel": "portal"})
    g.back_url = url_for("stories.new")
    form = request.form
    try:
        story = _perform(lambda: stories.create(db(), actor, nomination_id=form.get("nomination_id"),
                                                title=form.get("title", ""), summary=form.get("summary", ""),
                                                body=form.get("body", ""), channel=form.get("channel", ""),
                                                context=request_context()), "create")
    except ValidationFailed as err:
        return _form_page(_form_values(form), error=err, status=422)
    flash("Đã lưu bản nháp bài viết. Xem trước rồi bấm “Xuất bản” khi sẵn sàng.", "success")
    _flash_removed(form.get("body", ""))
    return redirect(url_for("stories.detail", story_id=story.id))


def _flash_removed(body: str) -> None:
    if notice := stories.removed_notice(stories.removed_markup(body)):
        flash(notice, "warning")


@bp.route("/<int:story_id>/edit", methods=["GET", "POST"])
@login_required
def edit(story_id: int):
    """A draft is edited in place; a published story's edit is saved as a revision waiting for "Xuất bản bản sửa"."""
    actor = current_actor()
    g.back_url = url_for("stories.detail", story_id=story_id)
    if request.method == "GET":
        story = stories.load(db(), actor, story_id)
        if not stories.may_write(actor, story.department_id):
            raise Forbidden("Không có quyền sửa bài viết.", ["Chỉ Ban biên tập của Sở được sửa bài viết của Sở."])
        content = stories.editable_content(db(), story)
        return _form_page({"nomination_id": story.nomination_id, "title": content["title"],
                           "summary": content["summary"], "body": content["body_html"],
                           "channel": content["channel"], "version": story.version}, story)
    form = request.form
    try:
        story = _perform(lambda: stories.update(db(), actor, story_id, version=form.get("version"),
                                                nomination_id=form.get("nomination_id") or None,
                                                title=form.get("title", ""), summary=form.get("summary", ""),
                                                body=form.get("body", ""), channel=form.get("channel", ""),
                                                context=request_context()), "update", story_id)
    except ValidationFailed as err:
        return _form_page(_form_values(form), stories.load(db(), actor, story_id), err, 422)
    if story.pending_revision is not None:
        flash(f"Đã lưu bản sửa (phiên bản {story.pending_revision}). Trang công khai vẫn hiển thị bài đã xuất bản "
              "cho đến khi bấm “Xuất bản bản sửa”.", "success")
    else:
        flash("Đã lưu bài viết.", "success")
    _flash_removed(form.get("body", ""))
    return redirect(g.back_url)


# ---------------------------------------------------------------------------------------------------- detail
def _detail_page(story_id: int, *, errors: dict | None = None, status: int = 200):
    actor = current_actor()
    story = stories.load(db(), actor, story_id)
    if not stories.may_read_drafts(actor, story):
        _require_reader(actor)
    pending = stories.editable_content(db(), story) if story.pending_revision else None
    return render_template("stories/detail.html", story=story, errors=errors or {},
                           actions={o.code: o for o in stories.available_actions(db(), actor, story)},
                           public=stories.is_public(story), pending=pending,
                           revisions=stories.revisions(db(), story), **LABELS), status


@bp.route("/<int:story_id>")
@login_required
def detail(story_id: int):
    return _detail_page(story_id)


@bp.route("/<int:story_id>/revisions/<int:number>")
@login_required
def revision(story_id: int, number: int):
    """The text of one kept revision (read only), for the editors who read the story's drafts."""
    story, kept = stories.revision_of(db(), current_actor(), story_id, number)
    return render_template("stories/revision.html", story=story, revision=kept,
                           status=stories.REVISION_STATUS[stories.revision_status(story, kept.number)], **LABELS)


def _act(story_id: int, key: str, verb: str, call, success: str):
    g.back_url = url_for("stories.detail", story_id=story_id)
    try:
        _perform(call, verb, story_id)
    except ValidationFailed as err:
        return _detail_page(story_id, errors={key: err}, status=422)
    flash(success, "success")
    return redirect(g.back_url)


@bp.route("/<int:story_id>/publish", methods=["POST"])
@login_required
def publish(story_id: int):
    form = request.form

    def call():
        _confirmed(form)
        return stories.publish(db(), current_actor(), story_id, version=form.get("version") or None,
                               context=request_context())

    return _act(story_id, "publish", "publish", call,
                "Đã xuất bản bài viết: bài hiện trên trang Điển hình tiêu biểu và bản tin Atom.")


def _confirmed(form) -> None:
    if form.get("confirm") != "yes":
        raise ValidationFailed("Vui lòng đánh dấu ô xác nhận trước khi xuất bản.", ["Chưa xác nhận thao tác."],
                               {"confirm": "Bắt buộc xác nhận"})


@bp.route("/<int:story_id>/revision/publish", methods=["POST"])
@login_required
def publish_revision(story_id: int):
    form = request.form

    def call():
        _confirmed(form)
        return stories.publish_revision(db(), current_actor(), story_id, version=form.get("version") or None,
                                        context=request_context())

    return _act(story_id, "revision", "publish_revision", call,
                "Đã xuất bản bản sửa: trang công khai và bản tin Atom hiển thị nội dung mới.")


@bp.route("/<int:story_id>/revision/discard", methods=["POST"])
@login_required
def discard_revision(story_id: int):
    return _act(story_id, "revision", "discard_revision",
                lambda: stories.discard_revision(db(), current_actor(), story_id,
                                                 version=request.form.get("version") or None,
                                                 context=request_context()),
                "Đã hủy bản sửa: bài đã xuất bản giữ nguyên; bản sửa vẫn còn trong danh sách phiên bản.")


@bp.route("/<int:story_id>/unpublish", methods=["POST"])
@login_required
def unpublish(story_id: int):
    return _act(story_id, "publish", "unpublish",
                lambda: stories.unpublish(db(), current_actor(), story_id, version=request.form.get("version") or None,
                                          context=request_context()),
                "Đã gỡ bài: bài viết trở về bản nháp, không còn hiện công khai.")


@bp.route("/<int:story_id>/images", methods=["POST"])
@login_required
def add_image(story_id: int):
    upload = request.files.get("image")
    data = upload.read(stories.MAX_IMAGE_BYTES + 1) if upload is not None else b""
    filename = upload.filename if upload is not None else ""
    return _act(story_id, "image", "add_image",
                lambda: stories.add_image(db(), current_actor(), story_id, data=data, filename=filename or "",
                                          caption=request.form.get("caption", ""), context=request_context()),
                "Đã thêm ảnh.")


@bp.route("/<int:story_id>/images/<int:image_id>/delete", methods=["POST"])
@login_required
def remove_image(story_id: int, image_id: int):
    return _act(story_id, "image", "remove_image",
                lambda: stories.remove_image(db(), current_actor(), story_id, image_id, context=request_context()),
                "Đã xóa ảnh.")


@bp.route("/<int:story_id>/images/<int:image_id>")
def image(story_id: int, image_id: int):
    """The image of a published story (anyone, no login), or of a draft (its department's editor, admin, auditor)."""
    story, item = stories.image_of(db(), current_actor(), story_id, image_id)
    stored = uploads.stat(db(), item.sha256)
    if stored is None:
        raise NotFound("Không tìm thấy ảnh.")
    response = send_stored(stored, mimetype=item.content_type)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "public, max-age=300" if stories.is_public(story) else "private, no-store"
    return response
