"""marshmallow schemas of the JSON API: they validate what comes in and document (OpenAPI) what goes out."""
from __future__ import annotations

import datetime as dt

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate

from models import ATTACHMENT_KINDS, CAMPAIGN_KINDS, MEMBER_FUNCTIONS, SUBJECT_TYPES, UNIT_KINDS
from web import downloads
from workflow import inputs, lifecycles
from workflow.council.operations import COMMENT_LIMIT
from workflow.nominations.machine import TRIGGERS
from workflow.nominations.queries import MAX_PER_PAGE

MAX_ID = 2**31 - 1
# Each lifecycle's states, from its table (workflow/lifecycles.py; the nomination's machine): every state-valued field
# and filter of the document lists them from here, so a state added to a table is documented without a second list.
LIFECYCLE_STATES = {view.key: list(view.states) for view in lifecycles.ALL}
NOMINATION_STATES = LIFECYCLE_STATES["nomination"]


def State(lifecycle: str, **kwargs):  # noqa: N802 - reads like a field class
    """A state of `lifecycle` in a response, documented as the enum of its table's states."""
    metadata = {"enum": LIFECYCLE_STATES[lifecycle], **kwargs.pop("metadata", {})}
    return fields.String(metadata=metadata, **kwargs)


def StateFilter(lifecycle: str, **kwargs):  # noqa: N802
    """A query filter on one state of `lifecycle`: an unknown state is refused (422), documented as the enum."""
    return fields.String(validate=validate.OneOf(LIFECYCLE_STATES[lifecycle]), **kwargs)


# A downloaded file's bytes: the response's media type says what they are (generated clients read them as a file).
BINARY = {"type": "string", "format": "binary"}
MAX_PAGE = 1_000_000
DOCX, PDF, XLSX = downloads.DOCX, downloads.PDF, downloads.XLSX


class DocumentFormatArgsSchema(Schema):
    """`?format=` of an official document's download: the .docx, or its PDF made by LibreOffice (web.downloads
    decides, for the pages as for the API)."""

    format = fields.String(validate=validate.OneOf(downloads.FORMATS), metadata={
        "description": "docx (mặc định) hoặc pdf: bản PDF do LibreOffice tạo từ văn bản .docx (cũng được khi gửi "
                       "`Accept: application/pdf`); máy chủ không có LibreOffice trả 404 kèm lý do"})


def Id(**kwargs):  # noqa: N802 - reads like a field class
    """A database id: a positive 32-bit integer (JSON bodies: a real integer, not "5" or 5.0)."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def JsonId(**kwargs):  # noqa: N802
    return Id(strict=True, **kwargs)


def Text(max_length: int, **kwargs):  # noqa: N802
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


class Day(fields.Date):
    """A calendar day read like every page reads it (`workflow.inputs.date`): ISO 8601 `2025-10-30` or `30/10/2025`,
    with the same Vietnamese message when it is neither. Written back as ISO."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return inputs.date(value, required=True)
        except inputs.Invalid as exc:
            raise ValidationError(exc.message) from None


class ISODateTime(fields.Field):
    """A query bound: an ISO date (`2025-01-31`) or date-time (`2025-01-31T08:00:00+07:00`); naive means UTC.
    A bare date used as `until` covers that whole day."""

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        kwargs.setdefault("metadata", {}).update(type="string", format="date-time",
                                                 description="ISO 8601 date or date-time (UTC if no offset)")
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("Thời điểm phải theo định dạng ISO 8601.")
        text = value.strip()
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
                moment = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
                return moment + dt.timedelta(days=1) if self.end_of_day else moment
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("Thời điểm phải theo định dạng ISO 8601.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)


_ANY_STATE = "|".join(NOMINATION_STATES)
STATE_LIST_PATTERN = f"^(?:{_ANY_STATE})?(?:,(?:{_ANY_STATE})?)*$"  # what _states accepts, for the document


def _states(value: str) -> None:
    bad = [s for s in value.split(",") if s and s not in NOMINATION_STATES]
    if bad:
        raise ValidationError(f"Trạng thái không hợp lệ: {', '.join(bad[:5])}. "
                              f"Hợp lệ: {', '.join(NOMINATION_STATES)}.")


# ------------------------------------------------------------------------------------------------ common
class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """The list envelope of CONTRACT.md: {"items": [...], "total": N, "page": P, "per_page": K}."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "total": fields.Integer(required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
    }, name=name)


class ProblemSchema(Schema):
    """application/problem+json"""

    type = fields.String()
    title = fields.String(metadata={"description": "Tiêu đề lỗi (tiếng Việt)"})
    status = fields.Integer()
    detail = fields.String(metadata={"description": "Mô tả lỗi (tiếng Việt)"})
    instance = fields.String()
    reasons = fields.List(fields.String(), metadata={"description": "Từng điều kiện/quy tắc không đạt"})
    errors = fields.Dict(keys=fields.String(), metadata={"description": "Lỗi theo từng trường dữ liệu"})
    current_version = fields.Integer(metadata={
        "description": "Khi xung đột phiên bản (409): phiên bản hiện tại của đối tượng, để tải lại và gửi lại"})


class UserRefSchema(Schema):
    id = fields.Integer(allow_none=True)
    username = fields.String(allow_none=True)
    full_name = fields.String(allow_none=True)


# ------------------------------------------------------------------------------------------------ auth, me
class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class TokenSchema(Schema):
    token = fields.String(required=True)
    token_type = fields.String(dump_default="Bearer")


class ScopeSchema(Schema):
    kind = fields.String(metadata={"description": "all | department | unit | self"})
    department_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    description = fields.String()


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    email = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    role_labels = fields.List(fields.String())
    department_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    on_behalf_of = fields.Nested(UserRefSchema, allow_none=True)
    scope = fields.Nested(ScopeSchema)
    deputy = fields.Boolean(metadata={"description": "Phó Giám đốc Sở: vai trò Giám đốc Sở, chỉ ký khi được ủy quyền"})
    signs = fields.Boolean(metadata={"description": "Có thể ký quyết định, tờ trình lúc này"})


# ------------------------------------------------------------------------------------------------ org
class UnitArgsSchema(PageArgsSchema):
    kind = fields.String(validate=validate.OneOf(UNIT_KINDS))
    active = fields.Boolean()
    department = Id()
    q = Text(200)


class UnitSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"enum": list(UNIT_KINDS)})
    parent_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    closed_on = Day(allow_none=True)
    former_name = fields.String(allow_none=True, metadata={"description": "tên trước lần đổi tên gần nhất"})
    replaced_by_id = fields.Integer(allow_none=True, metadata={"description": "đơn vị kế thừa (sáp nhập, giải thể)"})


class PeopleArgsSchema(PageArgsSchema):
    unit = Id()
    q = Text(200)
    active = fields.Boolean()


class PersonSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()
    unit_id = fields.Integer()
    position = fields.String(allow_none=True)
    employment_type = fields.String()
    is_unit_head = fields.Boolean()
    active = fields.Boolean()


# ------------------------------------------------------------------------------------------------ campaigns
class CampaignCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(required=True, validate=validate.OneOf(CAMPAIGN_KINDS))
    start_date = Day(required=True)
    end_date = Day(required=True)
    registration_deadline = Day(required=True)
    evaluation_deadline = Day(allow_none=True)
    midterm_review_date = Day(allow_none=True, metadata={"description": "ngày sơ kết (giữa kỳ)"})
    final_review_date = Day(allow_none=True, metadata={"description": "ngày tổng kết"})
    subject_types = fields.List(fields.String(validate=validate.OneOf(SUBJECT_TYPES)), required=True,
                                validate=validate.Length(min=1, max=2))
    quotas = fields.Dict(keys=fields.String(validate=validate.OneOf(SUBJECT_TYPES)),
                         values=fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=10000)),
                         load_default=dict, metadata={"description": "{\"collective\": 1, \"individual\": 2}; "
                                                                     "absent = no limit"})
    legal_basis = Text(5000, allow_none=True)
    award_forms = Text(5000, allow_none=True)
    department_id = JsonId(allow_none=True, metadata={"description": "admin only; default: the caller's department"})


class CampaignSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String(metadata={"enum": list(CAMPAIGN_KINDS)})
    start_date = Day()
    end_date = Day()
    registration_deadline = Day()
    evaluation_deadline = Day(allow_none=True)
    midterm_review_date = Day(allow_none=True)
    final_review_date = Day(allow_none=True)
    subject_types = fields.List(fields.String())
    quotas = fields.Dict(keys=fields.String(), values=fields.Integer())
    legal_basis = fields.String(allow_none=True)
    award_forms = fields.String(allow_none=True)
    department_id = fields.Integer()


# ------------------------------------------------------------------------------------------------ nominations
class NominationArgsSchema(PageArgsSchema):
    state = fields.String(validate=[validate.Length(max=300), _states],
                          metadata={"description": "one state or several separated by commas",
                                    "pattern": STATE_LIST_PATTERN})
    campaign = Id()
    unit = Id()
    subject_type = fields.String(validate=validate.OneOf(SUBJECT_TYPES))
    q = Text(200, metadata={"description": "accent-insensitive search in title and subject name"})
    before_id = Id(metadata={"description": "keyset cursor for reading far: only nominations with a smaller id (the "
                                        "`next_before_id` of the previous page); `total` stays the filters' total"})


class NominationCreateSchema(Schema):
    campaign_id = JsonId(required=True)
    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    unit_id = JsonId(allow_none=True, metadata={"description": "the collective (subject_type=collective)"})
    person_id = JsonId(allow_none=True, metadata={"description": "the individual (subject_type=individual)"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    achievements = Text(20000, load_default="")
    initiatives = Text(20000, load_default="")


class CriterionAnswerSchema(Schema):
    met = fields.Boolean(required=True, allow_none=True)
    evidence = Text(20000, load_default="")


class NominationUpdateSchema(Schema):
    version = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_ID))
    title = fields.String(validate=validate.Length(min=1, max=500))
    achievements = Text(20000)
    initiatives = Text(20000)
    nurture_plan = Text(20000)
    criteria = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)),
                           values=fields.Nested(CriterionAnswerSchema),
                           metadata={"description": "{code: {\"met\": true, \"evidence\": \"...\"}}"})


class TransitionSchema(Schema):
    action = fields.String(required=True, validate=validate.Length(min=1, max=40),
                           metadata={"enum": [*TRIGGERS, "accept"]})
    version = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_ID))
    comment = Text(5000, load_default="")
    reason = Text(5000, allow_none=True)
    nurture_plan = Text(20000, allow_none=True)
    decision_number = Text(50, allow_none=True)
    decision_date = Day(allow_none=True)


class AcceptSchema(Schema):
    """"Tiếp nhận hồ sơ" by the secretariat: the version read, and an optional remark for the history."""

    version = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_ID))
    comment = Text(5000, load_default="")


class CheckinCreateSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    date = Day(allow_none=True, metadata={"description": "default: today"})


class CheckinSchema(Schema):
    id = fields.Integer()
    date = Day()
    note = fields.String()
    author_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class AttachmentUploadSchema(Schema):
    """The multipart body of an upload: the file and its kind, both required (location "multipart")."""

    file = Upload(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ATTACHMENT_KINDS))
    internal = fields.Boolean(load_default=False, metadata={
        "description": "tài liệu nội bộ: không thuộc phần công khai của hồ sơ trong thời gian công khai lấy ý kiến"})


class AttachmentSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(ATTACHMENT_KINDS)})
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    internal = fields.Boolean()
    created_at = fields.DateTime()
    url = fields.String()


class RefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()


class PersonRefSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()


class SubjectUnitSchema(RefSchema):
    """The subject's unit; the list's items (`GET /nominations`) add how the list names it (issue 16)."""

    former_name = fields.String(allow_none=True, metadata={
        "description": "list items only: the unit's former name, or its own once merged or closed into a successor "
                       "(then `listed_name` leads with the successor's); null if it never changed"})
    listed_name = fields.String(metadata={
        "description": "list items only: \"Tên mới (trước đây: Tên cũ)\" as the list page shows the unit"})


class SubjectSchema(Schema):
    type = fields.String()
    name = fields.String()
    unit = fields.Nested(SubjectUnitSchema)
    person = fields.Nested(PersonRefSchema, allow_none=True)


class NominationSummarySchema(Schema):
    id = fields.Integer()
    state = State("nomination")
    state_label = fields.String()
    version = fields.Integer()
    subject_type = fields.String(metadata={"enum": list(SUBJECT_TYPES)})
    title = fields.String()
    campaign_id = fields.Integer()
    unit_id = fields.Integer()
    department_id = fields.Integer()
    subject = fields.Nested(SubjectSchema)
    campaign = fields.Nested(RefSchema)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CriterionSchema(Schema):
    code = fields.String()
    label = fields.String()
    met = fields.Boolean(allow_none=True)
    evidence = fields.String()


class RuleResultSchema(Schema):
    rule = fields.String()
    label = fields.String()
    result = fields.String(metadata={"enum": ["pass", "fail", "judgement"]})
    result_label = fields.String()
    reason = fields.String()
    hard = fields.Boolean()
    citation = fields.String()
    stage = fields.String(metadata={"enum": ["submit", "propose"]})


class ActionSchema(Schema):
    action = fields.String()
    label = fields.String()
    allowed = fields.Boolean()
    reasons = fields.List(fields.String())
    requires = fields.List(fields.String())
    irreversible = fields.Boolean()
    to_state = State("nomination")


class OfferSchema(Schema):
    """An action on a council session, a proposal, a decision or a story: allowed now, or the reasons the service
    would refuse it with (workflow.offers)."""

    action = fields.String()
    label = fields.String()
    allowed = fields.Boolean()
    reasons = fields.List(fields.String())
    irreversible = fields.Boolean()


class HistorySchema(Schema):
    version = fields.Integer()
    action = fields.String()
    action_label = fields.String()
    from_state = fields.String(allow_none=True, metadata={"enum": [*NOMINATION_STATES, None]})  # None: created
    to_state = State("nomination")
    actor = fields.Nested(UserRefSchema, allow_none=True)
    on_behalf_of = fields.Nested(UserRefSchema, allow_none=True)
    at = fields.DateTime()
    comment = fields.String()
    data = fields.Dict(metadata={"description": "reason, decision_number, …; resubmission: \"1\" khi nộp lại "
                                                 "sau khi bị trả lại"})


class ReturnReasonSchema(Schema):
    """The latest return for revision, while the dossier is back with the unit ("Đang bồi dưỡng")."""

    at = fields.DateTime()
    author = fields.String(metadata={"description": "Người trả lại (họ tên)"})
    reason = fields.String()


class AcceptanceSchema(Schema):
    """The secretariat's "Tiếp nhận hồ sơ" of the current submission."""

    at = fields.DateTime()
    author = fields.String(metadata={"description": "Người tiếp nhận (họ tên)"})


class PublicitySessionSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    comments_until = fields.DateTime()
    url = fields.String()


class NominationDetailSchema(NominationSummarySchema):
    return_reason = fields.Nested(ReturnReasonSchema, allow_none=True, metadata={
        "description": "Lý do trả lại gần nhất, khi hồ sơ đang được đơn vị bổ sung sau khi bị trả lại; null nếu không"})
    accepted = fields.Nested(AcceptanceSchema, allow_none=True, metadata={
        "description": "Văn phòng Sở đã tiếp nhận hồ sơ (lần trình hiện tại); null nếu chưa"})
    achievements = fields.String()
    initiatives = fields.String()
    nurture_plan = fields.String(allow_none=True)
    criteria = fields.List(fields.Nested(CriterionSchema))
    eligibility = fields.List(fields.Nested(RuleResultSchema))
    dossier_gaps = fields.List(fields.String())
    available_actions = fields.List(fields.Nested(ActionSchema))
    history = fields.List(fields.Nested(HistorySchema))
    checkins = fields.List(fields.Nested(CheckinSchema))
    attachments = fields.List(fields.Nested(AttachmentSchema))
    part = fields.String(metadata={"enum": ["whole", "public"], "description": (
        "whole: toàn bộ hồ sơ; public: phần công khai (tiêu đề, đối tượng, đơn vị, thành tích, sáng kiến, tài liệu "
        "không nội bộ) mà công chức của Sở đọc trong thời gian công khai lấy ý kiến")})
    publicity_sessions = fields.List(fields.Nested(PublicitySessionSchema))


# ------------------------------------------------------------------------------------------------ audit, inbox
class AuditArgsSchema(PageArgsSchema):
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))
    object_type = Text(40)
    object_id = fields.Integer(validate=validate.Range(min=0, max=MAX_ID))
    actor = Text(80, metadata={"description": "username or user id"})
    action = Text(60, metadata={"description": "exact action, or a prefix ending with '.' (e.g. 'nomination.')"})
    outcome = fields.String(validate=validate.OneOf(("ok", "refused", "failed")),
                            metadata={"description": "ok | refused | failed"})
    since = ISODateTime()
    until = ISODateTime(end_of_day=True)
    before_id = Id(metadata={"description": "keyset paging: only events with a smaller id"})


class AuditActorSchema(Schema):
    id = fields.Integer(allow_none=True)
    username = fields.String(allow_none=True)


class AuditEventSchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    actor = fields.Nested(AuditActorSchema)
    action = fields.String()
    action_label = fields.String(metadata={"description": "the action's Vietnamese label (as on the /audit page)"})
    outcome = fields.String()
    object_type = fields.String(allow_none=True)
    object_type_label = fields.String(allow_none=True)
    object_id = fields.Integer(allow_none=True)
    data = fields.Dict()
    ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    hash = fields.String()


class NotificationArgsSchema(PageArgsSchema):
    unread = fields.Boolean()


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    object_type = fields.String(allow_none=True)
    object_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read = fields.Boolean()


UnitPageSchema = page_of(UnitSchema, "UnitPage")
PersonPageSchema = page_of(PersonSchema, "PersonPage")
CampaignPageSchema = page_of(CampaignSchema, "CampaignPage")
class NominationPageSchema(page_of(NominationSummarySchema, "NominationPageBase")):
    next_before_id = fields.Integer(allow_none=True, metadata={
        "description": "the `before_id` cursor of the next page (null on the last page)"})
AuditEventPageSchema = page_of(AuditEventSchema, "AuditEventPage")
NotificationPageSchema = page_of(NotificationSchema, "NotificationPage")


# ------------------------------------------------------------------------------------------------ councils
COUNCIL_FUNCTIONS = MEMBER_FUNCTIONS  # the council members' functions the database allows
VOTE_CHOICES = ("agree", "disagree", "abstain")
DECISION_LEVELS = ("co_so", "nganh")
MAX_LIST = 200


def IdList(**kwargs):  # noqa: N802
    """A JSON list of ids (each a real integer), at most MAX_LIST of them."""
    kwargs.setdefault("validate", validate.Length(max=MAX_LIST))
    return fields.List(JsonId(), **kwargs)


class Share(fields.Float):
    """A share in (0, 1] with 4 decimals (0.6667 = two thirds); a JSON number, not a string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(exclusiveMinimum=0)  # OpenAPI 3.1: the bound itself
        super().__init__(validate=validate.Range(min=0, max=1, min_inclusive=False), **kwargs)

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._validated(value)


class CouncilMemberSchema(Schema):
    user_id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    function = fields.String(metadata={"enum": list(COUNCIL_FUNCTIONS)})
    function_label = fields.String()
    active = fields.Boolean()


class CouncilSchema(Schema):
    id = fields.Integer()
    department_id = fields.Integer()
    name = fields.String()
    quorum = fields.Float(metadata={"description": "share of the members who must be present, e.g. 0.6667"})
    pass_threshold = fields.Float(metadata={"description": "share of agree votes among those entitled, e.g. 0.7"})
    publicity_working_days = fields.Integer()
    members = fields.List(fields.Nested(CouncilMemberSchema))


class CouncilUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=300))
    quorum = Share()
    pass_threshold = Share()
    publicity_working_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=60))


class CouncilMemberSetSchema(Schema):
    user_id = JsonId(required=True)
    function = fields.String(load_default="uy_vien", validate=validate.OneOf(COUNCIL_FUNCTIONS))
    active = fields.Boolean(load_default=True)


SESSION_TIME = {"description": "giờ họp, HH:MM (giờ Việt Nam)", "example": "08:00"}
class CouncilSessionArgsSchema(PageArgsSchema):
    state = StateFilter("council_session")


class CouncilSessionCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    date = Day(required=True, metadata={"description": "not in the past"})
    campaign_id = JsonId(required=True)
    location = Text(300, allow_none=True)
    start_time = Text(5, allow_none=True, metadata=SESSION_TIME)


class CouncilSessionUpdateSchema(Schema):
    """Reschedule or rename a session not yet opened: only the fields sent change."""

    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "the session's `version` the edit starts from; 409 if older"})
    title = fields.String(validate=validate.Length(min=1, max=300))
    date = Day(metadata={"description": "not in the past; once published, not before the publicity period ends"})
    start_time = Text(5, allow_none=True, metadata=SESSION_TIME)
    location = Text(300, allow_none=True)


class CouncilSessionCancelSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    version = fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "optional: refused (409) if the session changed since"})


class CouncilSessionSummarySchema(Schema):
    id = fields.Integer()
    council_id = fields.Integer()
    department_id = fields.Integer()
    campaign_id = fields.Integer()
    title = fields.String()
    date = Day()
    location = fields.String(allow_none=True)
    start_time = fields.String(allow_none=True, metadata=SESSION_TIME)
    state = State("council_session")
    state_label = fields.String()
    version = fields.Integer(metadata={"description": "send it back with PATCH"})
    held_on = Day(metadata={"description": "the day it was held (opened); the scheduled day until then"})
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    comments_until = fields.DateTime(allow_none=True, metadata={"description": "end of the publicity period"})
    opened_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class CommentCreateSchema(Schema):
    nomination_id = JsonId(required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=COMMENT_LIMIT),
                         metadata={"description": "tối đa 5.000 ký tự; dài hơn bị từ chối (422), không bị cắt bớt"})


class CommentSchema(Schema):
    id = fields.Integer()
    nomination_id = fields.Integer()
    text = fields.String()
    author = fields.String(allow_none=True)
    created_at = fields.DateTime()


class AgendaItemSchema(Schema):
    nomination_id = fields.Integer()
    title = fields.String()
    subject_name = fields.String()
    subject_type = fields.String(metadata={"enum": list(SUBJECT_TYPES)})
    unit = fields.String()
    state = State("nomination")
    position = fields.Integer()
    voted = fields.Integer(metadata={"description": "how many members have voted on the item (never their choice)"})
    entitled = fields.Integer()
    recused = fields.List(fields.String(), metadata={"description": "names of the members recused from the item"})
    comments = fields.List(fields.Nested(CommentSchema))


class AttendanceSchema(Schema):
    user_id = fields.Integer()
    full_name = fields.String()
    function = fields.String(allow_none=True, metadata={"enum": [*COUNCIL_FUNCTIONS, None],
                                                        "description": "null: no longer a member of the council"})
    present = fields.Boolean()


class ProgressSchema(Schema):
    members = fields.Integer()
    present = fields.Integer()
    quorum_met = fields.Boolean()


class BallotsInSchema(Schema):
    """How many ballots are in, never what: the chair's count before the close."""

    present = fields.Integer(metadata={"description": "members present"})
    submitted = fields.Integer(metadata={"description": "present members whose ballot is in"})
    not_voted = fields.Integer(metadata={"description": "present members who have not voted"})
    needed = fields.Integer(metadata={"description": "ballots the quorum asks for before the close"})
    label = fields.String(metadata={"description": "\"Đã nộp phiếu: 5/7 thành viên có mặt\""})


class ItemResultSchema(Schema):
    nomination_id = fields.Integer()
    title = fields.String()
    agree = fields.Integer(allow_none=True)
    disagree = fields.Integer(allow_none=True)
    abstain = fields.Integer(allow_none=True)
    entitled = fields.Integer(allow_none=True)
    recused = fields.Integer(allow_none=True)
    share = fields.Float(allow_none=True)
    outcome = fields.String(allow_none=True,
                            metadata={"enum": ["passed", "failed", "quota_exceeded", "tie", "no_quorum"]})
    outcome_label = fields.String(allow_none=True)
    outcome_note = fields.String(allow_none=True)
    rank = fields.Integer(allow_none=True)


class AgendaCandidateSchema(Schema):
    nomination_id = fields.Integer()
    title = fields.String()
    subject_name = fields.String()
    subject_type = fields.String(metadata={"enum": list(SUBJECT_TYPES)})
    unit = fields.String()


class CouncilSessionDetailSchema(CouncilSessionSummarySchema):
    agenda = fields.List(fields.Nested(AgendaItemSchema))
    attendance = fields.List(fields.Nested(AttendanceSchema))
    progress = fields.Nested(ProgressSchema)
    ballots = fields.Nested(BallotsInSchema)
    my_votes = fields.List(fields.Integer(), metadata={"description": "nomination ids the caller has voted on"})
    my_ballot_submitted = fields.Boolean(metadata={"description": "the caller's ballot is in (sheet or votes)"})
    results = fields.List(fields.Nested(ItemResultSchema),
                          metadata={"description": "once closed; only for the council, secretariat, director, "
                                                   "auditors"})
    quorum_met = fields.Boolean(allow_none=True)
    present_count = fields.Integer(allow_none=True)
    members_total = fields.Integer(allow_none=True)
    quorum_required = fields.Float(allow_none=True)
    pass_threshold_applied = fields.Float(allow_none=True)
    minutes_number = fields.String(allow_none=True, metadata={
        "description": "\"3/BB-HĐTĐKT\": the Biên bản's number in its council's register (given at the close), as "
                       "GET .../minutes prints it; with the results"})
    available_actions = fields.List(fields.Nested(OfferSchema), metadata={"description": "for the caller"})
    agenda_candidates = fields.List(fields.Nested(AgendaCandidateSchema), metadata={
        "description": "while the agenda may be set (secretariat): what POST .../agenda accepts"})


class AgendaSetSchema(Schema):
    nomination_ids = IdList(required=True)


class AttendanceSetSchema(Schema):
    present = IdList(required=True, metadata={"description": "user ids of the members present"})


class VoteSchema(Schema):
    nomination_id = JsonId(required=True)
    choice = fields.String(required=True, validate=validate.OneOf(VOTE_CHOICES))


class VoteReceiptSchema(Schema):
    nomination_id = fields.Integer()
    voted = fields.Boolean()


class BallotSheetSchema(Schema):
    choices = fields.Dict(keys=fields.String(), values=fields.String(), required=True, metadata={
        "description": "{\"<nomination_id>\": \"agree\" | \"disagree\" | \"abstain\"} for every item the member "
                       "may vote on, nothing else"})


class BallotReceiptSchema(Schema):
    submitted = fields.Boolean()
    nomination_ids = fields.List(fields.Integer(), metadata={"description": "the items voted on; never a choice"})


class CloseSessionSchema(Schema):
    confirm_missing = fields.Boolean(load_default=False, metadata={
        "description": "true to close while some present members have not voted (the minutes record how many)"})


class TieBreakSchema(Schema):
    nomination_ids = IdList(required=True)


# ------------------------------------------------------------------------------------------------ decisions
class DecisionNumber(fields.Field):
    """12 or "12/QĐ-STP"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(
            oneOf=[{"type": "integer", "minimum": 1, "maximum": 999999}, {"type": "string", "maxLength": 50}],
            description="12 or \"12/QĐ-STP\"")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 999_999:
            return value
        if isinstance(value, str) and 1 <= len(value.strip()) <= 50:
            return value.strip()
        raise ValidationError("Số quyết định, ví dụ 12 hoặc \"12/QĐ-STP\".")


class DecisionCreateSchema(Schema):
    level = fields.String(required=True, validate=validate.OneOf(DECISION_LEVELS))
    number = DecisionNumber(required=True)
    date = Day(required=True)
    nomination_ids = fields.List(JsonId(), required=True, validate=validate.Length(min=1, max=MAX_LIST))
    session_id = JsonId(allow_none=True, metadata={
        "description": "level `co_so` only, optional: the closed council session the decision carries out; "
                       "`nomination_ids` must then be items it passed that await a decision"})
    signer_name = fields.String(allow_none=True, metadata={
        "maxLength": 200, "description": "level `nganh` only: the name printed under the signature (the Minister, or "
                                         "the Deputy Minister with `signer_deputy`); blank if not given"})
    signer_deputy = fields.Boolean(truthy={True}, falsy={False}, metadata={
        "description": "level `nganh` only: a Deputy Minister signed \"KT. BỘ TRƯỞNG\" over \"THỨ TRƯỞNG\""})


class DecisionNominationSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    subject_name = fields.String()
    subject_type = fields.String(metadata={"enum": list(SUBJECT_TYPES)})
    state = State("nomination")
    state_label = fields.String()


class DecisionSchema(Schema):
    id = fields.Integer()
    level = fields.String(metadata={"enum": list(DECISION_LEVELS)})
    number = fields.String()
    date = Day()
    summary = fields.String()
    issuer = fields.Nested(RefSchema)
    signer = fields.Nested(UserRefSchema)
    on_behalf_of = fields.Nested(UserRefSchema, allow_none=True)
    signer_title = fields.String()
    signed_by_name = fields.String(allow_none=True, metadata={
        "description": "the name printed under the signature; null: the signing user's (co_so) or blank (nganh)"})
    signed_as_deputy = fields.Boolean(metadata={"description": "a Deputy Minister signed \"KT. BỘ TRƯỞNG\""})
    nominations = fields.List(fields.Nested(DecisionNominationSchema))
    created_at = fields.DateTime()
    available_actions = fields.List(fields.Nested(OfferSchema), metadata={"description": "for the caller"})


class NextNumberArgsSchema(Schema):
    level = fields.String(load_default="co_so", validate=validate.OneOf(DECISION_LEVELS))
    year = fields.Integer(validate=validate.Range(min=1900, max=2999),
                          metadata={"description": "default: the current year"})


class NextNumberSchema(Schema):
    next = fields.Integer()
    formatted = fields.String()


CouncilPageSchema = page_of(CouncilSchema, "CouncilPage")
CouncilSessionPageSchema = page_of(CouncilSessionSummarySchema, "CouncilSessionPage")
DecisionPageSchema = page_of(DecisionSchema, "DecisionPage")


# ------------------------------------------------------------------------------------------------ proposals
class ProposalNumber(DecisionNumber):
    """46 or "46/TTr-STP"."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata["description"] = "46 or \"46/TTr-STP\""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            raise ValidationError("Số tờ trình, ví dụ 46 hoặc \"46/TTr-STP\".") from None


class ProposalArgsSchema(PageArgsSchema):
    state = StateFilter("proposal")
    department = Id(metadata={"description": "department (Sở) id"})


class ProposalCreateSchema(Schema):
    nomination_ids = fields.List(JsonId(), required=True, validate=validate.Length(min=1, max=MAX_LIST))
    title = Text(500, allow_none=True)


class ProposalItemsSchema(Schema):
    nomination_ids = fields.List(JsonId(), required=True, validate=validate.Length(min=1, max=MAX_LIST))


class ProposalSubmitSchema(Schema):
    number = ProposalNumber(required=True)
    date = Day(required=True)


class ProposalNextNumberArgsSchema(Schema):
    year = fields.Integer(validate=validate.Range(min=1900, max=2999),
                          metadata={"description": "default: the current year"})


class ProposalRuleSchema(Schema):
    rule = fields.String()
    label = fields.String()
    result = fields.String(metadata={"enum": ["pass", "fail", "judgement"]})
    reason = fields.String()
    hard = fields.Boolean()
    citation = fields.String()


class ItemDecisionSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    date = fields.Date(allow_none=True)


class ProposalItemSchema(Schema):
    nomination_id = fields.Integer()
    title = fields.String()
    subject_name = fields.String()
    unit = fields.String()
    state = State("nomination")
    state_label = fields.String()
    eligibility = fields.List(fields.Nested(ProposalRuleSchema),
                              metadata={"description": "the ngành rules (stage `propose`) evaluated now"})
    refusals = fields.List(fields.String(), metadata={"description": "a draft's item: why it may not be submitted"})
    outcome = fields.String(allow_none=True, metadata={
        "enum": ["proposed", "recognized", "rejected", "revoked"],
        "description": "a submitted proposal's item: the Minister's answer (null for a draft)"})
    outcome_label = fields.String(allow_none=True)
    reason = fields.String(metadata={"description": "the Ministry's reason when the item was not recognised"})
    decided_at = fields.DateTime(allow_none=True)
    decision = fields.Nested(ItemDecisionSchema, allow_none=True,
                             metadata={"description": "the Minister's decision recorded for a recognised item"})


class ProposalSchema(Schema):
    id = fields.Integer()
    department_id = fields.Integer()
    department = fields.Nested(RefSchema)
    campaign_id = fields.Integer()
    title = fields.String()
    state = State("proposal")
    state_label = fields.String()
    number = fields.String(allow_none=True)
    date = Day(allow_none=True)
    signer = fields.Nested(UserRefSchema, allow_none=True)
    on_behalf_of = fields.Nested(UserRefSchema, allow_none=True)
    signer_title = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    items = fields.List(fields.Nested(ProposalItemSchema))
    available_actions = fields.List(fields.Nested(OfferSchema), metadata={"description": "for the caller"})


ProposalPageSchema = page_of(ProposalSchema, "ProposalPage")
