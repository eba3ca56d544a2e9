"""Stories (bài viết tuyên truyền) about recognised examples: the department's editor writes a draft, publishes it
on a channel (Cổng TTĐT, Bản tin Tư pháp, mạng xã hội) and may take it down again ("Gỡ bài").

Only the editor of the nomination's department writes; the body is sanitised with nh3 on every save (what the table
holds is what the public page prints) and `removed_markup` tells the editor what the sanitiser dropped; a story is
only about a recognised example (cơ sở or ngành, never withdrawn, revoked or not recognised). Every write emits its
own event (StoryCreated, StoryPublished, ...: workflow.events), so it is audited.

Revisions, as a portal's editor expects them: every save is a numbered revision (who, when), kept. A draft's save
becomes the draft. An edit of a *published* story never takes it down and never reaches the public by itself: it is
saved as the story's waiting revision ("bản sửa chờ xuất bản"), the public page keeps the published text, and the
editor publishes the revision ("Xuất bản bản sửa", the same confirmation as a first publication) or discards it.
Taking the story down keeps the latest work: a waiting revision becomes the draft.
"""
from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from models import STORY_CHANNELS, Nomination, Story, StoryImage, StoryRevision
from workflow import clock, events, inputs, offers, policy, signals, uploads
from workflow.context import CLI, Context
from workflow.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from workflow.labels import STORY_STATE_LABELS
from workflow.lifecycles import STORY, STORY_EDITABLE_STATES, STORY_PUBLIC_STATES
from workflow.nominations.machine import RECOGNISED_STATES
from workflow.nominations.queries import Page, page_ids, page_params
from workflow.policy import Actor

STATE_LABELS = STORY_STATE_LABELS
STATE_COLOURS = {"draft": "secondary", "published": "success"}
CHANNEL_LABELS = {"portal": "Cổng thông tin điện tử", "bulletin": "Bản tin Tư pháp", "social": "Mạng xã hội"}
assert set(CHANNEL_LABELS) == set(STORY_CHANNELS)

MAX_TITLE = 300
MAX_SUMMARY = 2000
MAX_BODY = 200_000
MAX_CAPTION = 300
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = ("image/png", "image/jpeg")

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "a",
                "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"colspan", "rowspan", "scope"}, "td": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# ------------------------------------------------------------------------------------------------ text
def sanitize_html(html) -> str:
    """The allowlist of a story body: paragraphs, emphasis, lists, headings h2–h4, quotes, links (http, https,
    mailto; rel="noopener noreferrer") and plain tables. Scripts and styles go with their content."""
    if html is None:
        return ""
    if not isinstance(html, str):
        raise ValidationFailed("Nội dung bài viết không hợp lệ.", ["body phải là chuỗi HTML."],
                               {"body": "Không hợp lệ"})
    if len(html) > MAX_BODY:
        raise ValidationFailed("Nội dung bài viết quá dài.", [f"Tối đa {MAX_BODY:,} ký tự.".replace(",", ".")],
                               {"body": "Quá dài"})
    return _clean(_CONTROL.sub("", html)).strip()


def _clean(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, clean_content_tags={"script", "style"}, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=URL_SCHEMES, link_rel="noopener noreferrer", strip_comments=True)


_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_URL_NOISE = re.compile(r"[\x00-\x20]")  # browsers ignore these inside a scheme ("java\tscript:")


class _Removals(HTMLParser):
    """Walks the HTML as sent and notes, in order and once each, what `sanitize_html` drops: tags outside the
    allowlist, attributes outside it, links whose scheme is not http, https or mailto, comments. `rel` of a link is
    not reported: the sanitiser replaces it with its own "noopener noreferrer"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def _note(self, what: str) -> None:
        if what not in self.found:
            self.found.append(what)

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self._note(f"<{tag}>")
            return
        allowed = ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if tag == "a" and name == "rel":
                continue
            if name not in allowed:
                self._note(f"thuộc tính {name}")
            elif name == "href" and not _link_survives(value or ""):
                scheme = _SCHEME.match(_URL_NOISE.sub("", value or ""))
                self._note(f"liên kết {scheme.group(1).lower()}:" if scheme else "liên kết không hợp lệ")

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self._note("chú thích HTML <!-- -->")

    def handle_decl(self, decl):
        self._note(f"<!{decl.split()[0] if decl.split() else decl}>")

    def handle_pi(self, data):
        self._note("<?…>")


def _link_survives(href: str) -> bool:
    """The sanitiser's own verdict on one link (its URL parser, not a guess): does `href` stay?"""
    return "href=" in _clean(f'<a href="{htmllib.escape(href, quote=True)}">x</a>')


def removed_markup(html) -> list[str]:
    """What saving `html` as a story body drops, in words for the editor's notice and the API's `sanitised_removed`
    ("<script>", "thuộc tính onclick", "liên kết javascript:"). Empty when nothing was removed or `html` is not text
    (the save itself refuses that)."""
    if not isinstance(html, str) or not html or len(html) > MAX_BODY:
        return []
    walker = _Removals()
    walker.feed(_CONTROL.sub("", html))
    walker.close()
    return walker.found


def removed_notice(removed: list[str]) -> str:
    """The sentence the form shows after a save that dropped something."""
    return "Đã loại bỏ khi lưu (không an toàn hoặc không được hỗ trợ): " + ", ".join(removed) + "." if removed else ""


def plain_text(value, field: str, label: str, max_length: int, *, required: bool = False) -> str:
    """A title, summary or caption: plain text (escaped where printed), control characters removed."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{label} không hợp lệ.", [f"{field} phải là chuỗi."], {field: "Không hợp lệ"})
    text = _CONTROL.sub("", value).strip()
    if field != "summary":
        text = " ".join(text.split())
    if required and not text:
        raise ValidationFailed(f"Chưa nhập {label.lower()}.", [f"{label} là bắt buộc."], {field: "Bắt buộc"})
    if len(text) > max_length:
        raise ValidationFailed(f"{label} quá dài.", [f"{label} tối đa {max_length} ký tự."], {field: "Quá dài"})
    return text


def _channel(value) -> str:
    if value not in STORY_CHANNELS:
        raise ValidationFailed("Kênh đăng không hợp lệ.",
                               ["Chọn một trong: " + ", ".join(CHANNEL_LABELS.values()) + "."],
                               {"channel": "Không hợp lệ"})
    return value


# ------------------------------------------------------------------------------------------------ scope
def is_recognised(n: Nomination) -> bool:
    return n.state in RECOGNISED_STATES


def may_write(actor: Actor | None, department_id: int | None) -> bool:
    """The editor (Ban biên tập) of the department, nobody else."""
    return bool(policy.can(actor, "write", "story", department_id=department_id)) and department_id is not None


def is_editor(actor: Actor | None) -> bool:
    return bool(policy.can(actor, "write", "story"))


def may_read_drafts(actor: Actor | None, story: Story) -> bool:
    return bool(policy.can(actor, "view_drafts", story))


def is_public(story: Story) -> bool:
    return story.state in STORY_PUBLIC_STATES and story.nomination is not None and is_recognised(story.nomination)


def _forbidden() -> Forbidden:
    msg = "Chỉ Ban biên tập của Sở được viết, sửa và xuất bản bài viết về điển hình tiên tiến của Sở."
    return Forbidden("Không có quyền viết bài tuyên truyền.", [msg])


def load(session: Session, actor: Actor | None, story_id: int, *, for_update: bool = False) -> Story:
    options = () if for_update else (joinedload(Story.nomination).joinedload(Nomination.unit),
                                     joinedload(Story.nomination).joinedload(Nomination.subject_person),
                                     selectinload(Story.images))
    return policy.load(session, actor, "story", story_id, for_update=for_update, options=options)


def _load_for_write(session: Session, actor: Actor, story_id: int) -> Story:
    story = load(session, actor, story_id, for_update=True)
    offers.enforce(_writer_refusal(actor, story))
    return story


# Each operation on a story starts with its check (see workflow.offers): the DomainError it raises, or None.
def _writer_refusal(actor: Actor | None, story: Story) -> Forbidden | None:
    return None if may_write(actor, story.department_id) else _forbidden()


def _draft_refusal(story: Story, verb: str) -> Conflict | None:
    if story.state not in STORY_EDITABLE_STATES:
        return Conflict(f"Bài viết đã xuất bản; không thể {verb}.", ["Gỡ bài trước khi chỉnh sửa."])
    return None


def check_update(actor: Actor | None, story: Story) -> DomainError | None:
    """A draft is edited in place; a published story too, as a waiting revision (see the module's docstring)."""
    return _writer_refusal(actor, story)


def check_add_image(actor: Actor | None, story: Story) -> DomainError | None:
    return _writer_refusal(actor, story) or _draft_refusal(story, "thêm ảnh")


def _recognised_refusal(session: Session, story: Story) -> list[str]:
    n = session.get(Nomination, story.nomination_id)
    return [] if is_recognised(n) else [f"Hồ sơ số {n.id} không còn là điển hình được công nhận."]


def check_publish(session: Session, actor: Actor | None, story: Story) -> DomainError | None:
    if refusal := _writer_refusal(actor, story):
        return refusal
    if not STORY.can_fire(story, "publish"):
        return Conflict("Bài viết đã được xuất bản.", ["Bài viết đang ở trạng thái Đã xuất bản."])
    reasons = _recognised_refusal(session, story)
    if not story.title:
        reasons.append("Bài viết chưa có tiêu đề.")
    if not story.body_html:
        reasons.append("Bài viết chưa có nội dung.")
    if reasons:
        return ValidationFailed("Chưa xuất bản được bài viết.", reasons)
    return None


def _pending_refusal(story: Story, verb: str) -> Conflict | None:
    if story.state not in STORY_PUBLIC_STATES or story.pending_revision is None:
        return Conflict(f"Không có bản sửa nào để {verb}.",
                        ["Bản sửa chỉ có khi bài đã xuất bản được sửa và lưu lại."])
    return None


def check_publish_revision(session: Session, actor: Actor | None, story: Story) -> DomainError | None:
    if refusal := _writer_refusal(actor, story) or _pending_refusal(story, "xuất bản"):
        return refusal
    pending = _revision(session, story, story.pending_revision)
    reasons = _recognised_refusal(session, story)
    if not pending.body_html:
        reasons.append("Bản sửa chưa có nội dung.")
    if reasons:
        return ValidationFailed("Chưa xuất bản được bản sửa.", reasons)
    return None


def check_discard_revision(actor: Actor | None, story: Story) -> DomainError | None:
    return _writer_refusal(actor, story) or _pending_refusal(story, "hủy")


def check_unpublish(actor: Actor | None, story: Story) -> DomainError | None:
    if refusal := _writer_refusal(actor, story):
        return refusal
    if not STORY.can_fire(story, "unpublish"):
        return Conflict("Bài viết chưa được xuất bản.", ["Chỉ gỡ được bài đã xuất bản."])
    return None


ACTION_LABELS = {"update": "Sửa bài viết", "add_image": "Thêm ảnh", "publish": "Xuất bản",
                 "publish_revision": "Xuất bản bản sửa", "discard_revision": "Hủy bản sửa", "unpublish": "Gỡ bài"}


def available_actions(session: Session, actor: Actor | None, story: Story) -> list[offers.Offer]:
    who = _writer_refusal(actor, story)
    table = [
        ("update", lambda: check_update(actor, story)),
        ("add_image", lambda: check_add_image(actor, story)),
        ("publish", lambda: check_publish(session, actor, story)),
        ("publish_revision", lambda: check_publish_revision(session, actor, story)),
        ("discard_revision", lambda: check_discard_revision(actor, story)),
        ("unpublish", lambda: check_unpublish(actor, story)),
    ]
    found = (offers.offer(code, ACTION_LABELS[code], who, check) for code, check in table)
    return [o for o in found if o is not None]


def _check_version(story: Story, version) -> None:
    expected = inputs.one("version", inputs.integer, version, detail="Phiên bản bài viết không hợp lệ.",
                          required=True)
    if expected != story.version:
        raise Conflict("Bài viết đã được người khác thay đổi. Vui lòng tải lại trang.",
                       [f"Phiên bản gửi lên {expected}, phiên bản hiện tại {story.version}."])


def _nomination(session: Session, actor: Actor, nomination_id) -> Nomination:
    nid = inputs.one("nomination_id", inputs.integer, nomination_id, detail="Hồ sơ điển hình không hợp lệ.",
                     required=True)
    n = session.get(Nomination, nid)
    if n is None or not may_write(actor, n.department_id):
        # Another department's nomination is invisible to this editor: the same answer as an absent one.
        if n is None or is_editor(actor):
            raise ValidationFailed("Không tìm thấy hồ sơ điển hình của Sở.",
                                   [f"Hồ sơ số {nid}: không tồn tại hoặc không thuộc Sở."],
                                   {"nomination_id": "Không hợp lệ"})
        raise _forbidden()
    if not is_recognised(n):
        raise ValidationFailed("Chỉ viết bài về điển hình đã được công nhận.",
                               [f"Hồ sơ số {n.id} “{n.title}” chưa được công nhận là điển hình tiên tiến "
                                "(hoặc đã bị thu hồi, không được công nhận, đã rút)."],
                               {"nomination_id": "Chưa được công nhận"})
    return n


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("Bài viết vừa được người khác thay đổi. Vui lòng tải lại trang.") from None


def _emit(session: Session, event_class, story: Story, actor: Actor, context: Context, **fields) -> None:
    signals.emit(session, event_class(story=story, actor=actor, context=context, **fields))


# ------------------------------------------------------------------------------------------------ revisions
CONTENT = ("title", "summary", "body_html", "channel")  # what a revision holds


# The lookups of revisions never flush the story's pending changes: a flush in the middle of an operation would
# move its version twice.
def _revision(session: Session, story: Story, number: int) -> StoryRevision:
    with session.no_autoflush:
        return session.scalar(select(StoryRevision).where(StoryRevision.story_id == story.id,
                                                          StoryRevision.number == number))


def _record_revision(session: Session, story: Story, actor: Actor, content: dict) -> StoryRevision:
    """The next numbered revision of `story` holding `content`; numbers follow the highest one kept."""
    with session.no_autoflush:
        last = session.scalar(select(func.max(StoryRevision.number))
                              .where(StoryRevision.story_id == story.id)) or 0
    revision = StoryRevision(story_id=story.id, number=last + 1, created_by_id=actor.id, created_at=clock.now(),
                             **content)
    session.add(revision)
    return revision


def _apply(story: Story, revision: StoryRevision) -> None:
    for attr in CONTENT:
        setattr(story, attr, getattr(revision, attr))
    story.revision = revision.number


def editable_content(session: Session, story: Story) -> dict:
    """What the edit form starts from: the waiting revision of a published story, else the story itself."""
    source = _revision(session, story, story.pending_revision) if story.pending_revision else story
    return {attr: getattr(source, attr) for attr in CONTENT}


REVISION_STATUS = {"public": "Đang hiển thị công khai", "pending": "Bản sửa chờ xuất bản", "draft": "Bản nháp hiện tại",
                   "earlier": "Bản trước"}


@dataclass(frozen=True)
class RevisionRow:
    """One line of a story's list of revisions (who saved it, when, and what became of it)."""

    number: int
    title: str
    created_at: object
    created_by: str
    published_at: object
    published_by: str
    status: str

    @property
    def status_label(self) -> str:
        return REVISION_STATUS[self.status]


def revision_status(story: Story, number: int) -> str:
    if number == story.pending_revision:
        return "pending"
    if number == story.revision:
        return "public" if story.state in STORY_PUBLIC_STATES else "draft"
    return "earlier"


def revision_of(session: Session, actor: Actor | None, story_id: int, number) -> tuple[Story, StoryRevision]:
    """One kept revision, to read its text: for those who read the story's drafts (its department's editors, admin,
    auditor). For anyone else, as for a revision that does not exist, 404: an unpublished text is not public."""
    story = load(session, actor, story_id)
    n = number if isinstance(number, int) and 0 < number < 2**31 else None
    revision = _revision(session, story, n) if n is not None and may_read_drafts(actor, story) else None
    if revision is None:
        raise NotFound("Không tìm thấy phiên bản của bài viết.")
    return story, revision


def revisions(session: Session, story: Story) -> list[RevisionRow]:
    """Every revision of `story`, newest first (the caller has already opened the story through the policy)."""
    rows = session.scalars(select(StoryRevision).where(StoryRevision.story_id == story.id)
                           .options(joinedload(StoryRevision.created_by), joinedload(StoryRevision.published_by))
                           .order_by(StoryRevision.number.desc())).all()
    return [RevisionRow(r.number, r.title, r.created_at, r.created_by.full_name if r.created_by else "",
                        r.published_at, r.published_by.full_name if r.published_by else "",
                        revision_status(story, r.number)) for r in rows]


# ------------------------------------------------------------------------------------------------ writes
def create(session: Session, actor: Actor, *, nomination_id, title, body="", channel="portal", summary="",
           context: Context = CLI) -> Story:
    if not is_editor(actor):
        raise _forbidden()
    n = _nomination(session, actor, nomination_id)
    story = Story(department_id=n.department_id, nomination_id=n.id,
                  title=plain_text(title, "title", "Tiêu đề", MAX_TITLE, required=True),
                  summary=plain_text(summary, "summary", "Tóm tắt", MAX_SUMMARY),
                  body_html=sanitize_html(body), channel=_channel(channel or "portal"), state=STORY.initial,
                  author_id=actor.id)
    session.add(story)
    _flush(session)
    _record_revision(session, story, actor, {attr: getattr(story, attr) for attr in CONTENT})
    _flush(session)
    _emit(session, events.StoryCreated, story, actor, context, title=story.title, channel=story.channel,
          removed=tuple(removed_markup(body)))
    return story


UPDATABLE = ("nomination_id", "title", "summary", "body", "channel")


def update(session: Session, actor: Actor, story_id: int, *, version, context: Context = CLI, **fields) -> Story:
    """Saves an edit as a new revision; `version` must be the one the editor read. A draft takes the edit at once;
    a published story keeps its public text and holds the edit as its waiting revision (StoryRevised)."""
    unknown = set(fields) - set(UPDATABLE)
    if unknown:
        raise ValidationFailed("Trường không được hỗ trợ.", [f"Không sửa được: {', '.join(sorted(unknown))}."])
    story = _load_for_write(session, actor, story_id)
    _check_version(story, version)
    offers.enforce(check_update(actor, story))
    published = story.state in STORY_PUBLIC_STATES
    changed = []
    if "nomination_id" in fields and fields["nomination_id"] is not None:
        n = _nomination(session, actor, fields["nomination_id"])
        if n.id != story.nomination_id:
            if published:
                raise ValidationFailed("Không đổi được điển hình của bài đã xuất bản.",
                                       ["Gỡ bài trước khi đổi điển hình được giới thiệu."],
                                       {"nomination_id": "Không đổi được khi đã xuất bản"})
            story.nomination_id, story.department_id = n.id, n.department_id
            changed.append("nomination_id")
    values = {}
    if "title" in fields:
        values["title"] = plain_text(fields["title"], "title", "Tiêu đề", MAX_TITLE, required=True)
    if "summary" in fields:
        values["summary"] = plain_text(fields["summary"], "summary", "Tóm tắt", MAX_SUMMARY)
    if "body" in fields:
        values["body_html"] = sanitize_html(fields["body"])
    if "channel" in fields:
        values["channel"] = _channel(fields["channel"])
    base = editable_content(session, story)
    content = base | values
    changed += ["body" if attr == "body_html" else attr for attr in CONTENT if content[attr] != base[attr]]
    if not changed:
        return story
    story.updated_at = clock.now()
    if published:
        revision = _record_revision(session, story, actor, content)
        story.pending_revision = revision.number
        _flush(session)
        _emit(session, events.StoryRevised, story, actor, context, fields=tuple(changed), version=story.version,
              revision=revision.number, removed=tuple(removed_markup(fields.get("body"))))
        return story
    if any(content[attr] != base[attr] for attr in CONTENT):
        _apply(story, _record_revision(session, story, actor, content))
    _flush(session)
    _emit(session, events.StoryUpdated, story, actor, context, fields=tuple(changed), version=story.version,
          revision=story.revision, removed=tuple(removed_markup(fields.get("body"))))
    return story


def publish(session: Session, actor: Actor, story_id: int, *, version=None, context: Context = CLI) -> Story:
    story = _load_for_write(session, actor, story_id)
    if version is not None:
        _check_version(story, version)
    offers.enforce(check_publish(session, actor, story))
    STORY.fire(story, "publish", "Bài viết đã được xuất bản.")
    story.published_at, story.published_by_id = clock.now(), actor.id
    _mark_published(session, story, actor)
    _flush(session)
    _emit(session, events.StoryPublished, story, actor, context, channel=story.channel, version=story.version,
          revision=story.revision)
    return story


def _mark_published(session: Session, story: Story, actor: Actor) -> None:
    """The revision the story now shows was made public (the first time only: it keeps its first date)."""
    revision = _revision(session, story, story.revision)
    if revision is not None and revision.published_at is None:
        revision.published_at, revision.published_by_id = clock.now(), actor.id


def publish_revision(session: Session, actor: Actor, story_id: int, *, version=None,
                     context: Context = CLI) -> Story:
    """"Xuất bản bản sửa": the waiting revision replaces the public text; the story stays published throughout."""
    story = _load_for_write(session, actor, story_id)
    if version is not None:
        _check_version(story, version)
    offers.enforce(check_publish_revision(session, actor, story))
    previous = story.revision
    _apply(story, _revision(session, story, story.pending_revision))
    story.pending_revision = None
    story.revised_at = story.updated_at = clock.now()
    _mark_published(session, story, actor)
    _flush(session)
    _emit(session, events.StoryRevisionPublished, story, actor, context, version=story.version,
          revision=story.revision, previous=previous)
    return story


def discard_revision(session: Session, actor: Actor, story_id: int, *, version=None,
                     context: Context = CLI) -> Story:
    """"Hủy bản sửa": the waiting revision is dropped (it stays in the list, never published)."""
    story = _load_for_write(session, actor, story_id)
    if version is not None:
        _check_version(story, version)
    offers.enforce(check_discard_revision(actor, story))
    dropped = story.pending_revision
    story.pending_revision = None
    story.updated_at = clock.now()
    _flush(session)
    _emit(session, events.StoryRevisionDiscarded, story, actor, context, version=story.version, revision=dropped)
    return story


def unpublish(session: Session, actor: Actor, story_id: int, *, version=None, context: Context = CLI) -> Story:
    """"Gỡ bài": back to draft, off the showcase and the feed. A waiting revision becomes the draft: the editor's
    latest work is what they find when they open the draft again."""
    story = _load_for_write(session, actor, story_id)
    if version is not None:
        _check_version(story, version)
    offers.enforce(check_unpublish(actor, story))
    STORY.fire(story, "unpublish", "Bài viết chưa được xuất bản.")
    if story.pending_revision is not None:
        _apply(story, _revision(session, story, story.pending_revision))
        story.pending_revision = None
    story.published_at, story.published_by_id = None, None
    _flush(session)
    _emit(session, events.StoryUnpublished, story, actor, context, version=story.version, revision=story.revision)
    return story


def add_image(session: Session, actor: Actor, story_id: int, *, data: bytes, filename: str = "", caption="",
              context: Context = CLI) -> StoryImage:
    """A PNG or JPEG (checked by content, at most 5 MB), stored in the database under its SHA-256."""
    story = _load_for_write(session, actor, story_id)
    offers.enforce(check_add_image(actor, story))
    if len(data or b"") > MAX_IMAGE_BYTES:
        raise ValidationFailed("Ảnh vượt quá dung lượng cho phép (5 MB).", ["Dung lượng ảnh tối đa 5 MB."],
                               {"image": "Quá lớn"})
    if not data:
        raise ValidationFailed("Chưa chọn ảnh.", ["Tệp ảnh rỗng."], {"image": "Bắt buộc"})
    try:
        mime = uploads.sniff(data)
    except ValidationFailed:
        mime = None
    if mime not in IMAGE_TYPES:
        raise ValidationFailed("Loại ảnh không được chấp nhận.", ["Chỉ chấp nhận ảnh PNG hoặc JPEG (kiểm tra theo "
                                                                 "nội dung tệp)."], {"image": "Không hợp lệ"})
    caption = plain_text(caption, "caption", "Chú thích ảnh", MAX_CAPTION)
    name = plain_text((filename or "").replace("\\", "/").rsplit("/", 1)[-1], "filename", "Tên tệp", 255) or \
        f"anh{uploads.ALLOWED[mime]}"
    stored = uploads.store(session, data)
    image = StoryImage(story_id=story.id, filename=name, content_type=stored.content_type, size=stored.size,
                       sha256=stored.sha256, caption=caption, uploaded_by_id=actor.id)
    session.add(image)
    story.updated_at = clock.now()  # the story's version moves: an open edit form is now stale
    _flush(session)
    _emit(session, events.StoryImageAdded, story, actor, context, image_id=image.id, sha256=image.sha256,
          size=image.size)
    return image


def remove_image(session: Session, actor: Actor, story_id: int, image_id: int, *, context: Context = CLI) -> None:
    story = _load_for_write(session, actor, story_id)
    offers.enforce(_draft_refusal(story, "xóa ảnh"))
    image = session.get(StoryImage, image_id)
    if image is None or image.story_id != story.id:
        raise NotFound("Không tìm thấy ảnh.")
    session.delete(image)
    story.updated_at = clock.now()
    _flush(session)
    _emit(session, events.StoryImageRemoved, story, actor, context, image_id=image_id)


def image_of(session: Session, actor: Actor | None, story_id: int, image_id: int) -> tuple[Story, StoryImage]:
    """An image to serve: the story is published (public) or the viewer may read the draft; 404 otherwise."""
    story = load(session, actor, story_id)
    image = next((i for i in story.images if i.id == image_id), None)
    if image is None:
        raise NotFound("Không tìm thấy ảnh.")
    return story, image


# ------------------------------------------------------------------------------------------------ reads
def list_stories(session: Session, actor: Actor | None, *, page=1, per_page=20, state=None, channel=None,
                 nomination=None):
    """Editors see their department's stories (every state); admin and auditor all; anyone else (and the public)
    only published stories about examples still recognised."""
    page, per_page = page_params(page, per_page)
    stmt = select(Story)
    stmt = stmt.where(policy.scope(actor, "story"))
    if state not in (None, ""):
        if state not in STATE_LABELS:
            raise ValidationFailed("Bộ lọc không hợp lệ.", ["state: draft hoặc published."])
        stmt = stmt.where(Story.state == state)
    if channel not in (None, ""):
        if channel not in STORY_CHANNELS:
            raise ValidationFailed("Bộ lọc không hợp lệ.", [f"channel: {', '.join(STORY_CHANNELS)}."])
        stmt = stmt.where(Story.channel == channel)
    if nomination not in (None, ""):
        nomination_id = inputs.one("nomination", inputs.integer, nomination, detail="Bộ lọc hồ sơ không hợp lệ.")
        stmt = stmt.where(Story.nomination_id == nomination_id)
    order = (Story.published_at.desc(), Story.id.desc()) if state == "published" else \
        (Story.updated_at.desc(), Story.id.desc())
    # The page's ids are chosen on the story's own columns (its (updated_at, id) or (state, published_at, id)
    # index) before the nomination, unit and person are joined: joined first, a deep page joined every story it
    # skipped (13,000 of them for an editor's last page at a national scale).
    page, per_page = page_params(page, per_page)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    chosen = page_ids(stmt, Story.id, order, total, page, per_page)
    rows = session.scalars(
        select(Story).where(Story.id.in_(chosen)).order_by(*order)
        .options(joinedload(Story.nomination).joinedload(Nomination.unit),
                 joinedload(Story.nomination).joinedload(Nomination.subject_person), selectinload(Story.images))
    ).unique().all()
    return Page(list(rows), total, page, per_page)


def recognised_choices(session: Session, actor: Actor) -> list[Nomination]:
    """The department's recognised examples an editor may write about (the form's select)."""
    if not is_editor(actor):
        return []
    return list(session.scalars(
        select(Nomination).where(Nomination.department_id == actor.department_id,
                                 Nomination.state.in_(RECOGNISED_STATES))
        .options(joinedload(Nomination.unit), joinedload(Nomination.subject_person))
        .order_by(Nomination.id.desc())).unique())
