"""Stories about recognised examples (bài viết tuyên truyền): the department's editor writes a draft (HTML body,
sanitised on every save; the answer's `sanitised_removed` says what was dropped), publishes it on a channel and may
take it down. An edit of a published story waits as a revision (`pending_revision`) until it is published
(`/revision/publish`) or discarded (`/revision/discard`); `revisions` lists every save. Published stories also appear
on the public showcase (/showcase, with a page per example) and its Atom feed (/showcase/feed.atom). Schemas and
presenters of this area live here."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from models import STORY_CHANNELS, Story, StoryImage
from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import (
    MAX_ID,
    JsonId,
    OfferSchema,
    PageArgsSchema,
    ProblemSchema,
    State,
    StateFilter,
    Text,
    page_of,
)
from web.db import db
from workflow import offers
from workflow.propagation import stories

blp = api_blueprint("api_stories", __name__,
                    "Bài viết tuyên truyền về điển hình tiên tiến đã được công nhận (Ban biên tập của Sở).")

SID = f"<int(max={MAX_ID}):story_id>"
PROBLEM = {"schema": ProblemSchema, "content_type": "application/problem+json"}


# ------------------------------------------------------------------------------------------------ schemas
class StoryArgsSchema(PageArgsSchema):
    state = StateFilter("story")
    channel = fields.String(validate=validate.OneOf(STORY_CHANNELS))
    nomination = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class StoryCreateSchema(Schema):
    nomination_id = JsonId(required=True)
    title = Text(stories.MAX_TITLE, required=True)
    summary = Text(stories.MAX_SUMMARY)
    body = Text(stories.MAX_BODY, metadata={"description": "HTML; sanitised (allowlist) before it is stored"})
    channel = fields.String(load_default="portal", validate=validate.OneOf(STORY_CHANNELS),
                            metadata={"description": "portal (Cổng TTĐT), bulletin (Bản tin Tư pháp), social"})


class StoryUpdateSchema(Schema):
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    nomination_id = JsonId()
    title = Text(stories.MAX_TITLE)
    summary = Text(stories.MAX_SUMMARY)
    body = Text(stories.MAX_BODY)
    channel = fields.String(validate=validate.OneOf(STORY_CHANNELS))


class StoryActionSchema(Schema):
    version = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID),
                             metadata={"description": "optional: refuse (409) if the story changed since"})


class StoryImageUploadSchema(Schema):
    """The multipart body: the image and its optional caption (location "multipart")."""

    image = Upload(required=True)
    caption = Text(stories.MAX_CAPTION)


class StoryImageSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    caption = fields.String()
    url = fields.String()


class StoryRevisionSchema(Schema):
    number = fields.Integer()
    title = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String(metadata={"description": "full name of who saved it"})
    published_at = fields.DateTime(allow_none=True, metadata={"description": "when it was first made public"})
    published_by = fields.String()
    status = fields.String(metadata={"enum": list(stories.REVISION_STATUS)})
    status_label = fields.String()


class StoryRevisionDetailSchema(StoryRevisionSchema):
    summary = fields.String()
    body = fields.String(metadata={"description": "sanitised HTML, as saved"})
    channel = fields.String()


class PendingRevisionSchema(Schema):
    number = fields.Integer()
    title = fields.String()
    summary = fields.String()
    body = fields.String(metadata={"description": "sanitised HTML"})
    channel = fields.String()


class StorySchema(Schema):
    id = fields.Integer()
    nomination_id = fields.Integer()
    department_id = fields.Integer()
    subject_name = fields.String()
    title = fields.String()
    summary = fields.String()
    body = fields.String(metadata={"description": "sanitised HTML"})
    channel = fields.String(metadata={"enum": list(STORY_CHANNELS)})
    channel_label = fields.String()
    state = State("story")
    state_label = fields.String()
    version = fields.Integer()
    revision = fields.Integer(metadata={"description": "the revision the story shows (the public one if published)"})
    pending_revision = fields.Nested(PendingRevisionSchema, allow_none=True, metadata={
        "description": "an edit of the published story waiting to be published (the detail only)"})
    revised_at = fields.DateTime(allow_none=True,
                                 metadata={"description": "when a later revision was last made public"})
    revisions = fields.List(fields.Nested(StoryRevisionSchema),
                            metadata={"description": "every saved revision, newest first (the detail only)"})
    sanitised_removed = fields.List(fields.String(), metadata={
        "description": "what the sanitiser removed from the `body` sent (create and update answers only), e.g. "
                       "\"<script>\", \"thuộc tính onclick\", \"liên kết javascript:\""})
    author_id = fields.Integer(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    published_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    public_url = fields.String(allow_none=True)
    example_url = fields.String(allow_none=True, metadata={"description": "the example's public page"})
    images = fields.List(fields.Nested(StoryImageSchema))
    available_actions = fields.List(fields.Nested(OfferSchema),
                                    metadata={"description": "for the caller (the detail only)"})


StoryPageSchema = page_of(StorySchema, "StoryPage")


# ------------------------------------------------------------------------------------------------ presenters
def present_image(i: StoryImage) -> dict:
    return {"id": i.id, "filename": i.filename, "content_type": i.content_type, "size": i.size, "caption": i.caption,
            "url": f"/stories/{i.story_id}/images/{i.id}"}


def present_story(s: Story) -> dict:
    return {
        "id": s.id, "nomination_id": s.nomination_id, "department_id": s.department_id,
        "subject_name": s.nomination.subject_name if s.nomination else "", "title": s.title, "summary": s.summary,
        "body": s.body_html, "channel": s.channel, "channel_label": stories.CHANNEL_LABELS.get(s.channel, s.channel),
        "state": s.state, "state_label": stories.STATE_LABELS.get(s.state, s.state), "version": s.version,
        "revision": s.revision, "revised_at": s.revised_at,
        "author_id": s.author_id, "published_at": s.published_at, "published_by_id": s.published_by_id,
        "created_at": s.created_at, "updated_at": s.updated_at,
        "public_url": f"/showcase/stories/{s.id}" if stories.is_public(s) else None,
        "example_url": f"/showcase/examples/{s.nomination_id}" if stories.is_public(s) else None,
        "images": [present_image(i) for i in s.images],
    }


def present_revision(r: stories.RevisionRow) -> dict:
    return {"number": r.number, "title": r.title, "created_at": r.created_at, "created_by": r.created_by,
            "published_at": r.published_at, "published_by": r.published_by, "status": r.status,
            "status_label": r.status_label}


def _detail(story_id: int, body=None) -> dict:
    """The story as the caller may read it; after a create or an update, `body` is the HTML that was sent."""
    session = db()
    session.expire_all()
    who = actor()
    story = stories.load(session, who, story_id)
    drafts = stories.may_read_drafts(who, story)  # the waiting revision and the list are the editors', not public
    pending = None
    if story.pending_revision is not None and drafts:
        content = stories.editable_content(session, story)
        pending = {"number": story.pending_revision, "title": content["title"], "summary": content["summary"],
                   "body": content["body_html"], "channel": content["channel"]}
    return present_story(story) | {
        "pending_revision": pending,
        "revisions": [present_revision(r) for r in stories.revisions(session, story)] if drafts else [],
        "available_actions": [offers.as_dict(o) for o in stories.available_actions(session, who, story)],
    } | ({"sanitised_removed": stories.removed_markup(body)} if body is not None else {})


def present_revision_text(story, r) -> dict:
    return {"number": r.number, "title": r.title, "summary": r.summary, "body": r.body_html, "channel": r.channel,
            "created_at": r.created_at, "created_by": r.created_by.full_name if r.created_by else "",
            "published_at": r.published_at, "published_by": r.published_by.full_name if r.published_by else "",
            "status": (status := stories.revision_status(story, r.number)),
            "status_label": stories.REVISION_STATUS[status]}


# ------------------------------------------------------------------------------------------------ routes
@blp.route("/stories")
@blp.arguments(StoryArgsSchema, location="query")
@blp.response(200, StoryPageSchema)
def list_stories(args):
    """Bài viết: Ban biên tập thấy mọi bài của Sở mình; quản trị và Thanh tra thấy tất cả; tài khoản khác chỉ thấy
    bài đã xuất bản. Lọc theo `state`, `channel`, `nomination`"""
    return {**_page(stories.list_stories(db(), actor(), **args))}


def _page(p) -> dict:
    return {"items": [present_story(s) for s in p.items], "total": p.total, "page": p.page, "per_page": p.per_page}


@blp.route("/stories", methods=["POST"])
@blp.arguments(StoryCreateSchema)
@blp.response(201, StorySchema)
@blp.alt_response(403, description="Chỉ Ban biên tập của Sở", **PROBLEM)
@blp.alt_response(422, description="Hồ sơ không phải điển hình đã được công nhận, hoặc dữ liệu không hợp lệ",
                  **PROBLEM)
def create_story(args):
    """Viết bài (bản nháp) về một điển hình đã được công nhận của Sở: `nomination_id`, `title`, `summary`, `body`
    (HTML, được lọc an toàn), `channel`"""
    session, who = db(), actor()
    s = run(lambda: stories.create(session, who, context=ctx(), **args), action="story.create", object_type="story")
    return _detail(s.id, args.get("body") or "")


@blp.route(f"/stories/{SID}")
@blp.response(200, StorySchema)
@blp.alt_response(404, description="Không có, hoặc bản nháp ngoài phạm vi của tài khoản", **PROBLEM)
def get_story(story_id):
    """Một bài viết"""
    return _detail(story_id)


@blp.route(f"/stories/{SID}/revisions/<int(max={MAX_ID}):number>")
@blp.response(200, StoryRevisionDetailSchema)
@blp.alt_response(404, description="Không có phiên bản này, hoặc không thuộc Ban biên tập của Sở (quản trị, Thanh "
                                   "tra vẫn đọc được)", **PROBLEM)
def get_story_revision(story_id, number):
    """Nội dung một phiên bản đã lưu của bài viết (Ban biên tập của Sở, quản trị, Thanh tra)"""
    story, kept = stories.revision_of(db(), actor(), story_id, number)
    return present_revision_text(story, kept)


@blp.route(f"/stories/{SID}", methods=["PATCH"])
@blp.arguments(StoryUpdateSchema)
@blp.response(200, StorySchema)
@blp.alt_response(403, description="Chỉ Ban biên tập của Sở", **PROBLEM)
@blp.alt_response(409, description="`version` cũ, hoặc bài đã xuất bản (gỡ bài trước khi sửa)", **PROBLEM)
@blp.alt_response(422, description="Dữ liệu không hợp lệ", **PROBLEM)
def update_story(args, story_id):
    """Sửa bài (kèm `version` đã đọc). Bản nháp được sửa ngay; bài đã xuất bản được lưu thành bản sửa chờ xuất bản
    (`pending_revision`), trang công khai giữ nguyên cho đến khi bản sửa được xuất bản"""
    session, who = db(), actor()
    version = args.pop("version")
    run(lambda: stories.update(session, who, story_id, version=version, context=ctx(), **args),
        action="story.update", object_type="story", object_id=story_id)
    return _detail(story_id, args.get("body") or "")


@blp.route(f"/stories/{SID}/publish", methods=["POST"])
@blp.arguments(StoryActionSchema, required=False)  # the version is optional: so is the body
@blp.response(200, StorySchema)
@blp.alt_response(403, description="Chỉ Ban biên tập của Sở", **PROBLEM)
@blp.alt_response(409, description="Đã xuất bản, hoặc `version` cũ", **PROBLEM)
@blp.alt_response(422, description="Điển hình không còn được công nhận, hoặc bài chưa có nội dung", **PROBLEM)
def publish_story(args, story_id):
    """Xuất bản: bài hiện trên trang công khai /showcase và bản tin Atom"""
    session, who = db(), actor()
    run(lambda: stories.publish(session, who, story_id, version=args.get("version"), context=ctx()),
        action="story.publish", object_type="story", object_id=story_id)
    return _detail(story_id)


@blp.route(f"/stories/{SID}/revision/publish", methods=["POST"])
@blp.arguments(StoryActionSchema, required=False)  # the version is optional: so is the body
@blp.response(200, StorySchema)
@blp.alt_response(403, description="Chỉ Ban biên tập của Sở", **PROBLEM)
@blp.alt_response(409, description="Không có bản sửa chờ xuất bản, hoặc `version` cũ", **PROBLEM)
@blp.alt_response(422, description="Điển hình không còn được công nhận, hoặc bản sửa chưa có nội dung", **PROBLEM)
def publish_story_revision(args, story_id):
    """Xuất bản bản sửa: nội dung công khai được thay bằng bản sửa chờ xuất bản; bài vẫn xuất bản suốt quá trình"""
    session, who = db(), actor()
    run(lambda: stories.publish_revision(session, who, story_id, version=args.get("version"), context=ctx()),
        action="story.publish_revision", object_type="story", object_id=story_id)
    return _detail(story_id)


@blp.route(f"/stories/{SID}/revision/discard", methods=["POST"])
@blp.arguments(StoryActionSchema, required=False)  # the version is optional: so is the body
@blp.response(200, StorySchema)
@blp.alt_response(403, description="Chỉ Ban biên tập của Sở", **PROBLEM)
@blp.alt_response(409, description="Không có bản sửa chờ xuất bản, hoặc `version` cũ", **PROBLEM)
def discard_story_revision(args, story_id):
    """Hủy bản sửa chờ xuất bản: bài đã xuất bản giữ nguyên; bản sửa vẫn có trong danh sách phiên bản"""
    session, who = db(), actor()
    run(lambda: stories.discard_revision(session, who, story_id, version=args.get("version"), context=ctx()),
        action="story.discard_revision", object_type="story", object_id=story_id)
    return _detail(story_id)


@blp.route(f"/stories/{SID}/unpublish", methods=["POST"])
@blp.arguments(StoryActionSchema, required=False)  # the version is optional: so is the body
@blp.response(200, StorySchema)
@blp.alt_response(403, description="Chỉ Ban biên tập của Sở", **PROBLEM)
@blp.alt_response(409, description="Bài chưa xuất bản, hoặc `version` cũ", **PROBLEM)
def unpublish_story(args, story_id):
    """Gỡ bài: về bản nháp, không còn hiện công khai"""
    session, who = db(), actor()
    run(lambda: stories.unpublish(session, who, story_id, version=args.get("version"), context=ctx()),
        action="story.unpublish", object_type="story", object_id=story_id)
    return _detail(story_id)


@blp.route(f"/stories/{SID}/images", methods=["POST"])
@blp.arguments(StoryImageUploadSchema, location="multipart")
@blp.response(201, StoryImageSchema)
@blp.alt_response(422, description="Không phải ảnh PNG/JPEG (theo nội dung) hoặc quá 5 MB", **PROBLEM)
def add_image(form, story_id):
    """Thêm ảnh vào bản nháp (multipart: `image`, `caption`); loại ảnh được kiểm tra theo nội dung"""
    session, who = db(), actor()
    upload = form["image"]
    data = upload.read(stories.MAX_IMAGE_BYTES + 1)
    image = run(lambda: stories.add_image(session, who, story_id, data=data, filename=upload.filename or "",
                                          caption=form.get("caption", ""), context=ctx()),
                action="story.add_image", object_type="story", object_id=story_id)
    return present_image(image)
