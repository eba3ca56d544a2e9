"""Read side of the audit trail for auditors and administrators: the API list (`GET /api/v1/audit`), the review page
(`/audit`: keyset paging, filters by Vietnamese calendar days, an event's detail with its before/after) and the
exports of a filtered set (.csv with a UTF-8 BOM, .xlsx written row by row).

Paging over a million events: the review page never runs OFFSET nor an unbounded COUNT(*). It reads `per_page + 1`
rows below a cursor (`before_id`, newest first, through the primary key or the (column, id) indexes of the filters),
and its total is a *bounded* count: at most COUNT_CAP + 1 ids are read, so the page says the exact number when the
filtered set is small and "hơn 10.000" otherwise, at the same bounded cost whatever the table's size.

The API's `page=N` of a filter by kind alone (action, object type, outcome: `COUNTED`) is read from the events'
counts per chain, bucket of ids and kind (`models.AuditCount`, kept by an insert trigger): the exact total, and the
page from the bucket where it starts, an OFFSET of less than one bucket (`counted_page`). Other filters page by
OFFSET with the bounded count and an estimate past it.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, case, cast, func, or_, select, text, true
from sqlalchemy.orm import Session

from models import AuditCheckpoint, AuditCount, AuditEvent, User
from models.audit import COUNT_BUCKET
from workflow import clock, inputs, labels, policy
from workflow.clock import TZ
from workflow.documents.common import _safe_cell, _xlsx_cell, print_one_page_wide, row_height
from workflow.errors import NotFound, ValidationFailed
from workflow.inputs import xml_safe
from workflow.nominations.queries import Page, page_params, paginate
from workflow.policy import Actor

COUNT_CAP = 10_000  # above this the page says "hơn 10.000 sự kiện" instead of counting on
EXPORT_CAP = 100_000  # rows in one export; a larger set must be narrowed by the filters
EXPORT_BATCH = 1_000
MAX_PAGE_SIZE = 100

OUTCOME_LABELS = {"ok": "Thành công", "refused": "Bị từ chối", "failed": "Thất bại"}
OUTCOME_COLOURS = {"ok": "success", "refused": "warning", "failed": "danger"}

OBJECT_TYPE_LABELS = {
    "nomination": "Hồ sơ điển hình",
    "proposal": "Tờ trình",
    "decision": "Quyết định",
    "council_session": "Phiên họp Hội đồng",
    "council": "Hội đồng",
    "campaign": "Phong trào, đợt thi đua",
    "delegation": "Ủy quyền ký",
    "unit": "Đơn vị",
    "person": "Cán bộ",
    "user": "Tài khoản",
    "audit_verification": "Kiểm tra chuỗi nhật ký",
    "notification": "Thông báo",
    **labels.AUDIT_OBJECT_TYPE_LABELS,
}

# Families of actions (the part before the dot), for the grouped select and "nomination." prefix filters.
FAMILY_LABELS = {
    "auth": "Đăng nhập",
    "nomination": "Hồ sơ điển hình",
    "council_session": "Phiên họp Hội đồng",
    "council": "Hội đồng",
    "decision": "Quyết định",
    "proposal": "Tờ trình",
    "campaign": "Phong trào, đợt thi đua",
    "delegation": "Ủy quyền ký",
    "admin": "Quản trị",
    "user": "Tài khoản",
    "notification": "Thông báo",
    "audit": "Nhật ký hệ thống",
    **labels.AUDIT_FAMILY_LABELS,
}

# Actions the code emits (and the names under which a refused action is recorded), with their Vietnamese label.
# An action not listed here is shown by its code; the select lists whatever the trail really holds.
ACTION_LABELS = {
    "auth.login": "Đăng nhập",
    "auth.login_failed": "Đăng nhập thất bại",
    **{f"nomination.{k}": v for k, v in labels.ACTION_LABELS.items()},
    "nomination.transition": "Chuyển trạng thái hồ sơ",
    "council_session.scheduled": "Lên lịch phiên họp",
    "council_session.rescheduled": "Dời lịch, sửa thông tin phiên họp",
    "council_session.cancelled": "Hủy phiên họp",
    "council_session.agenda_set": "Lập danh sách xét tại phiên họp",
    "council_session.published": "Công khai danh sách",
    "council_session.attendance": "Điểm danh thành viên",
    "council_session.opened": "Khai mạc phiên họp",
    "council_session.closed": "Kết thúc phiên họp",
    "council_session.tie_resolved": "Quyết định trường hợp bằng phiếu",
    "council_session.settings_changed": "Thay đổi cấu hình phiên họp",
    "council_session.members_changed": "Thay đổi thành viên phiên họp",
    "council_session.comment": "Góp ý hồ sơ",
    "council_session.vote_cast": "Bỏ phiếu",
    "council_session.ballot": "Nộp phiếu biểu quyết",
    "council.update": "Cấu hình Hội đồng",
    "council.member_set": "Thay đổi thành viên Hội đồng",
    "decision.issue": "Ban hành quyết định",
    "proposal.create": "Lập tờ trình",
    "proposal.set_items": "Cập nhật danh sách tờ trình",
    "proposal.submit": "Ký, trình Bộ Tư pháp",
    "delegation.grant": "Ủy quyền ký (KT. Giám đốc)",
    "delegation.end": "Kết thúc ủy quyền ký",
    "campaign.create": "Tạo phong trào, đợt thi đua",
    "campaign.update": "Cập nhật phong trào, đợt thi đua",
    "admin.unit_create": "Thêm đơn vị",
    "admin.unit_update": "Sửa đơn vị",
    "admin.person_create": "Thêm cán bộ",
    "admin.person_update": "Sửa thông tin cán bộ",
    "admin.user_create": "Tạo tài khoản",
    "admin.user_update": "Sửa tài khoản",
    "admin.user_password_reset": "Đặt lại mật khẩu",
    "user.create": "Tạo tài khoản (dòng lệnh)",
    "account.token_issue": "Cấp mã truy cập API",
    "account.token_revoke": "Thu hồi mã truy cập API",
    "account.tokens_revoke_all": "Thu hồi mọi mã truy cập API",
    "notification.read": "Đánh dấu đã đọc thông báo",
    "notification.read_all": "Đánh dấu đã đọc mọi thông báo",
    "audit.verify": "Kiểm tra chuỗi nhật ký",
    **labels.AUDIT_ACTION_LABELS,
}
# Names under which the pages and the API record a refused attempt (the verb they call) where the event of the same
# action, when it succeeds, writes another name. One action has one label and one option in the filter; filtering by
# it finds both names (issue 14, finding 12: "Bỏ phiếu", "Công khai danh sách", "Lên lịch phiên họp" were listed twice).
ACTION_ALIASES = {
    "council_session.schedule": "council_session.scheduled",
    "council_session.agenda": "council_session.agenda_set",
    "council_session.set_agenda": "council_session.agenda_set",
    "council_session.publish": "council_session.published",
    "council_session.record_attendance": "council_session.attendance",
    "council_session.open": "council_session.opened",
    "council_session.close": "council_session.closed",
    "council_session.tie": "council_session.tie_resolved",
    "council_session.tie_break": "council_session.tie_resolved",
    "council_session.resolve_tie": "council_session.tie_resolved",
    "council_session.vote": "council_session.vote_cast",
    "council_session.reschedule": "council_session.rescheduled",
    "council_session.cancel": "council_session.cancelled",
}
assert not set(ACTION_ALIASES) & set(ACTION_LABELS) and set(ACTION_ALIASES.values()) <= set(ACTION_LABELS)


def canonical_action(action: str) -> str:
    """The action a recorded name stands for (itself, unless it is one of ACTION_ALIASES)."""
    return ACTION_ALIASES.get(action, action)


def action_names(action: str) -> list[str]:
    """Every name recorded for the action `action` stands for: the canonical one and its aliases."""
    action = canonical_action(action)
    return [action, *(alias for alias, target in ACTION_ALIASES.items() if target == action)]

# Pages that show an audited object, by object type: (endpoint, its URL parameter).
OBJECT_ENDPOINTS = {
    "nomination": ("nominations.detail", "nomination_id"),
    "proposal": ("proposals.detail", "proposal_id"),
    "decision": ("decisions.detail", "decision_id"),
    "council_session": ("council.detail", "session_id"),
}


def time_date(value: dt.datetime | None) -> str:
    """"HH:mm dd/mm/yyyy" in Hà Nội time (the verification status line)."""
    return value.astimezone(TZ).strftime("%H:%M %d/%m/%Y") if value is not None else ""


CHECKPOINT_MAX_AGE = dt.timedelta(hours=36)  # a daily timer that missed a run shows in red


def age_text(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """"5 phút trước", "3 giờ trước", "2 ngày trước"."""
    seconds = max(int(((now or clock.now()) - value).total_seconds()), 0)
    if seconds < 3600:
        return f"{seconds // 60} phút trước" if seconds >= 60 else "vừa xong"
    if seconds < 86400:
        return f"{seconds // 3600} giờ trước"
    return f"{seconds // 86400} ngày trước"


def checkpoint_stale(value: dt.datetime, now: dt.datetime | None = None) -> bool:
    return (now or clock.now()) - value > CHECKPOINT_MAX_AGE


def action_label(action: str | None) -> str:
    if not action:
        return ""
    return ACTION_LABELS.get(canonical_action(action), action)


def require_audit_reader(actor: Actor) -> None:
    policy.require(actor, "view", "audit", detail="Không có quyền xem nhật ký hệ thống.")


def require_checkpoint_reader(actor: Actor) -> None:
    # The signed checkpoints and the verification key: also the Ministry's reviewers, who archive them elsewhere.
    policy.require(actor, "view_checkpoints", "audit", detail="Không có quyền xem các điểm kiểm tra nhật ký.")


def list_checkpoints(session: Session, viewer: Actor, *, chain: str | None = None, after_id: int = 0, page: int = 1,
                     per_page: int = 100):
    """Signed checkpoints in the order they were written, one page of the list envelope (`after_id` to fetch only
    those written since an archive's newest)."""
    require_checkpoint_reader(viewer)
    page, per_page = page_params(page, per_page)
    stmt = select(AuditCheckpoint).where(AuditCheckpoint.id > after_id)
    if chain:
        stmt = stmt.where(AuditCheckpoint.chain == chain)
    return paginate(session, stmt, page, per_page, AuditCheckpoint.id)


def audit_query(*, object_type=None, object_id=None, actor=None, action=None, since: dt.datetime | None = None,
                until: dt.datetime | None = None, before_id: int | None = None, outcome=None, columns=None,
                actor_id: int | None = None):
    """The filtered events. `actor` is a username or a user id (digits match either); `actor_id` the id alone (what
    `narrow_actor` makes of digits that are nobody's username)."""
    stmt = select(*columns) if columns is not None else select(AuditEvent)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    stmt = stmt.where(*kind_conditions(AuditEvent, object_type=object_type, action=action, outcome=outcome))
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if actor not in (None, ""):
        actor = str(actor).strip()
        if actor.isdigit() and len(actor) < 10:
            stmt = stmt.where(or_(AuditEvent.actor_id == int(actor), AuditEvent.actor_username == actor))
        else:
            stmt = stmt.where(AuditEvent.actor_username == actor)
    if since is not None:
        stmt = stmt.where(AuditEvent.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.created_at < until)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    return stmt


def kind_conditions(table, *, object_type=None, action=None, outcome=None) -> list:
    """The filters by kind of event, on the events (`AuditEvent`) or on their counts (`AuditCount`, which has the
    same three columns): one meaning for both."""
    conditions = []
    if outcome:
        conditions.append(table.outcome == outcome)
    if object_type:
        conditions.append(table.object_type == object_type)
    if action:
        # "nomination.submit" matches exactly; "nomination." (trailing dot) matches the whole family.
        if action.endswith("."):
            conditions.append(table.action.startswith(action, autoescape=True))
        else:
            names = action_names(action)
            conditions.append(table.action == action if len(names) == 1 else table.action.in_(names))
    return conditions


@dataclass
class AuditEventPage(Page):
    """A page of the API list. `total_exact` is False when more than COUNT_CAP events match a filter the counts do
    not cover (not `counted`): `total` is then the
    database's estimate (PostgreSQL's planner; at least the events known to exist up to this page), as the review
    page says "hơn 10.000" rather than count a million rows for every page."""

    total_exact: bool = True


def narrow_actor(session: Session, filters: dict) -> dict:
    """The same filters, cheaper: an `actor` of digits matches the user with that id *or* the username made of those
    digits; when no event bears that username (one index seek) it is the id alone, which the (actor_id, id) index
    serves in id order — the OR of two indexes must read and sort every event of the actor for each page."""
    actor = str(filters.get("actor") or "").strip()
    if not (actor.isdigit() and len(actor) < 10) or filters.get("actor_id") is not None:
        return filters
    if session.scalar(select(AuditEvent.id).where(AuditEvent.actor_username == actor).limit(1)) is not None:
        return filters
    return {**filters, "actor": None, "actor_id": int(actor)}


def list_audit_events(session: Session, viewer: Actor, /, *, page=1, per_page=50, **filters) -> AuditEventPage:
    """Newest first (id desc). `filters` are those of `audit_query` (its `actor` is the username or id to filter
    on; `viewer` is who reads). `before_id` gives keyset paging for long exports: pass the last id seen.

    A filter by kind alone (`counted`): one statement whatever the page, the exact total with the page's rows
    (`counted_page`). Any other: two statements whatever the page, the page's rows, found through their ids (the
    OFFSET walks the (filter, id) index alone, not a million rows of the table), and a bounded count
    (`page_total`)."""
    require_audit_reader(viewer)
    page, per_page = page_params(page, per_page, default=50)
    filters = narrow_actor(session, filters)
    offset = (page - 1) * per_page
    if counted(filters):
        return counted_page(session, offset, page, per_page, filters)
    base = audit_query(**filters)
    ids = base.with_only_columns(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(per_page).offset(offset)
    rows = list(session.scalars(select(AuditEvent).where(AuditEvent.id.in_(ids)).order_by(AuditEvent.id.desc())))
    total, exact = page_total(session, base, offset, len(rows), per_page)
    return AuditEventPage(rows, total, page, per_page, exact)


COUNTED = frozenset(("object_type", "action", "outcome"))  # the filters `audit_counts` answers


def counted(filters: dict) -> bool:
    """Whether `audit_counts` answers this filter: by kind of event alone (or none), no cursor."""
    return all(value in (None, "") for key, value in filters.items() if key not in COUNTED)


def counted_page(session: Session, offset: int, page: int, per_page: int, filters: dict) -> AuditEventPage:
    """Page N of a filter by kind, newest first, and its exact total, in one statement (one snapshot) at any depth.

    The total is the sum of the filter's counts (`audit_counts`: per chain, bucket of COUNT_BUCKET ids and kind).
    Summed per bucket from the newest, the running count crosses `offset` in one bucket: the page's first event is
    in it, `offset` minus the events of the newer buckets down from its upper bound. So the OFFSET walks less than
    one bucket of the filter's index whatever the page, where it walked every newer event (834k at 1M events).

    Counts that disagree with the rows (events deleted behind the application's back, which `audit_verify`
    reports) shift the page or shorten it; never an error: the skip is never negative, the bound a bigint."""
    kinds = {key: filters.get(key) for key in COUNTED}
    buckets = (select(AuditCount.bucket, func.sum(AuditCount.n).label("n"))
               .where(*kind_conditions(AuditCount, **kinds)).group_by(AuditCount.bucket).cte("buckets"))
    running = select(buckets.c.bucket, buckets.c.n,
                     func.sum(buckets.c.n).over(order_by=buckets.c.bucket.desc(), rows=(None, 0)).label("upto")
                     ).cte("running")
    start = (select(running.c.bucket, (running.c.upto - running.c.n).label("newer")).where(running.c.upto > offset)
             .order_by(running.c.bucket.desc()).limit(1).cte("start"))
    upper = select((cast(start.c.bucket, BigInteger) + 1) * COUNT_BUCKET).scalar_subquery()
    skip = select(case((start.c.newer < offset, offset - start.c.newer), else_=0)).scalar_subquery()
    ids = (audit_query(**kinds, columns=[AuditEvent.id]).where(AuditEvent.id < upper)
           .order_by(AuditEvent.id.desc()).limit(per_page).offset(func.coalesce(skip, 0)).subquery("ids"))
    total = select(func.coalesce(func.sum(buckets.c.n), 0).label("total")).subquery("total")
    rows = session.execute(select(total.c.total, AuditEvent).select_from(total).outerjoin(ids, true())
                           .outerjoin(AuditEvent, AuditEvent.id == ids.c.id).order_by(ids.c.id.desc())).all()
    items = [event for _, event in rows if event is not None]
    return AuditEventPage(items, int(rows[0].total), page, per_page, True)


def page_total(session: Session, stmt, offset: int, found: int, per_page: int) -> tuple[int, bool]:
    """(total, exact) of a filtered set of events: counted when at most COUNT_CAP (reading at most COUNT_CAP + 1
    ids), else estimated, never below what this page proves to exist; a short page past the cap is exact."""
    if 0 < found < per_page or (found == 0 and offset == 0):
        return offset + found, True  # the last page: everything before it exists, nothing after it
    count = bounded_count(session, stmt, COUNT_CAP)
    if count <= COUNT_CAP:
        return count, True
    known = max(COUNT_CAP + 1, offset + found + (1 if found == per_page else 0))
    return max(known, estimated_count(session, stmt)), False


def estimated_count(session: Session, stmt) -> int:
    """The planner's estimate of how many rows `stmt` matches (PostgreSQL: EXPLAIN, from the statistics ANALYZE
    keeps); 0 where the database gives none (SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    query = stmt.with_only_columns(AuditEvent.id).order_by(None)
    compiled = query.compile(dialect=session.get_bind().dialect)
    plan = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


# ------------------------------------------------------------------------------------------------ the page's filters
@dataclass
class AuditFilters:
    """The review page's filters, as typed (`values`, shown back in the form) and as parsed."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    outcome: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    values: dict = field(default_factory=dict)

    def query_kwargs(self) -> dict:
        """`audit_query` keyword arguments: calendar days in Hà Nội become UTC bounds [from 00:00, to+1 00:00)."""
        since, until = day_bounds(self.date_from, self.date_to)
        return {"actor": self.actor, "action": self.action, "object_type": self.object_type,
                "object_id": self.object_id, "outcome": self.outcome, "since": since, "until": until}

    def url_args(self) -> dict:
        """The non-empty filters as query parameters (for links that keep them: paging, exports, detail)."""
        return {k: v for k, v in self.values.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return bool(self.url_args())


FILTER_FIELDS = ("actor", "action", "outcome", "object_type", "object_id", "from", "to")


def day_bounds(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Vietnamese calendar days (Asia/Ho_Chi_Minh) as UTC instants: the start of `date_from` and the start of the day
    after `date_to` (exclusive). 05/03/2025 in Hà Nội runs from 04/03/2025 17:00 UTC to 05/03/2025 17:00 UTC."""
    since = until = None
    if date_from is not None:
        since = dt.datetime.combine(date_from, dt.time.min, tzinfo=TZ).astimezone(dt.UTC)
    if date_to is not None:
        until = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=TZ).astimezone(dt.UTC)
    return since, until


def parse_filters(args) -> AuditFilters:
    """The page's query string → AuditFilters; a bad value is a ValidationFailed naming its field (422)."""
    values = {k: (args.get(k) or "").strip()[:100] for k in FILTER_FIELDS}
    f = AuditFilters(values=values)
    errors: dict[str, str] = {}
    f.actor = values["actor"][:80] or None
    f.action = values["action"][:60] or None
    f.object_type = values["object_type"][:40] or None
    if values["outcome"] and values["outcome"] not in OUTCOME_LABELS:
        errors["outcome"] = "Kết quả phải là: " + ", ".join(OUTCOME_LABELS.values()) + "."
    else:
        f.outcome = values["outcome"] or None
    if values["object_id"]:
        try:
            f.object_id = inputs.integer(values["object_id"], minimum=1)
        except inputs.Invalid:
            errors["object_id"] = "Mã đối tượng phải là số nguyên dương."
    for key, label in (("from", "Từ ngày"), ("to", "Đến ngày")):
        if values[key]:
            try:
                day = inputs.date(values[key])
            except inputs.Invalid:
                day = None
            if day is None or not 2000 <= day.year <= 2999:
                errors[key] = f"{label} phải theo định dạng ngày/tháng/năm, ví dụ 30/10/2025."
            elif key == "from":
                f.date_from = day
            else:
                f.date_to = day
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors["to"] = "Đến ngày phải sau hoặc bằng Từ ngày."
    if errors:
        raise ValidationFailed("Bộ lọc không hợp lệ.", list(errors.values()), errors)
    return f


def parse_cursor(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return inputs.integer(value, minimum=1)
    except inputs.Invalid:
        raise ValidationFailed("Tham số phân trang không hợp lệ.", ["before_id phải là số nguyên dương."],
                               {"before_id": "Không hợp lệ"}) from None


# ------------------------------------------------------------------------------------------------ keyset paging
@dataclass
class KeysetPage:
    items: list
    per_page: int
    before_id: int | None  # the cursor this page was read below (None: the newest page)
    next_before_id: int | None  # the cursor of the next (older) page; None when this is the last one
    total: int | None  # exact number of matching events when at most COUNT_CAP, else None
    more_than: int | None = None  # COUNT_CAP when there are more than that

    @property
    def is_first(self) -> bool:
        return self.before_id is None


def bounded_count(session: Session, stmt, cap: int) -> int:
    """How many rows `stmt` matches, reading at most `cap + 1` ids (so a result of cap + 1 means "more than cap")."""
    ids = stmt.with_only_columns(AuditEvent.id).order_by(None).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(ids)) or 0


def browse_events(session: Session, viewer: Actor, filters: AuditFilters, *, before_id: int | None = None,
                  per_page: int = 50) -> KeysetPage:
    """One page of the filtered trail, newest first, below `before_id`; with a bounded total."""
    require_audit_reader(viewer)
    per_page = max(1, min(int(per_page), MAX_PAGE_SIZE))
    base = audit_query(**narrow_actor(session, filters.query_kwargs()))
    stmt = base.where(AuditEvent.id < before_id) if before_id is not None else base
    rows = list(session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(per_page + 1)))
    next_before = rows[per_page - 1].id if len(rows) > per_page else None
    count = bounded_count(session, base, COUNT_CAP)
    if count > COUNT_CAP:
        return KeysetPage(rows[:per_page], per_page, before_id, next_before, None, COUNT_CAP)
    return KeysetPage(rows[:per_page], per_page, before_id, next_before, count)


def actor_names(session: Session, events) -> dict[int, str]:
    """Full names of the actors of these events, in one query."""
    ids = {e.actor_id for e in events if e.actor_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def known_usernames(session: Session, limit: int = 500) -> list[str]:
    """Usernames for the actor field's suggestions (accounts are few; the failed-login names are not listed)."""
    return list(session.scalars(select(User.username).order_by(User.username).limit(limit)))


def action_choices(session: Session) -> list[tuple[str, list[tuple[str, str]]]]:
    """The actions the trail holds, grouped by family: [(family label, [(value, label), ...]), ...]. Each group
    starts with the whole family ("nomination." = every nomination action).

    The distinct actions come from a loose index scan of ix_audit_events_action (a recursive query that seeks to
    the next greater action each step): one index seek per distinct action, not a scan of a million rows."""
    found = session.scalars(text(
        "WITH RECURSIVE t(action) AS ("
        " SELECT (SELECT action FROM audit_events ORDER BY action LIMIT 1)"
        " UNION ALL"
        " SELECT (SELECT e.action FROM audit_events e WHERE e.action > t.action ORDER BY e.action LIMIT 1)"
        " FROM t WHERE t.action IS NOT NULL"
        ") SELECT action FROM t WHERE action IS NOT NULL"
    )).all()
    groups: dict[str, list[tuple[str, str]]] = {}
    for action in dict.fromkeys(canonical_action(a) for a in found):  # an action and its aliases: one option
        family = action.split(".", 1)[0] if "." in action else ""
        groups.setdefault(family, []).append((action, action_label(action)))
    order = list(FAMILY_LABELS)
    result = []
    for family in sorted(groups, key=lambda f: (order.index(f) if f in order else len(order), f)):
        options = sorted(groups[family], key=lambda o: o[1])
        if family:
            label = FAMILY_LABELS.get(family, family)
            options = [(f"{family}.", f"{label} — tất cả"), *options]
        else:
            label = "Khác"
        result.append((label, options))
    return result


def filter_options(session: Session, viewer: Actor) -> dict:
    """The audit filter's choices as the page offers them, for the API: the actions the trail holds (grouped, each
    action once with its label), every object type and outcome with theirs."""
    require_audit_reader(viewer)
    return {
        "actions": [{"label": label, "options": [{"value": v, "label": text} for v, text in options]}
                    for label, options in action_choices(session)],
        "object_types": [{"value": v, "label": text} for v, text in OBJECT_TYPE_LABELS.items()],
        "outcomes": [{"value": v, "label": text} for v, text in OUTCOME_LABELS.items()],
    }


# ------------------------------------------------------------------------------------------------ detail
def load_event(session: Session, viewer: Actor, event_id: int) -> AuditEvent:
    require_audit_reader(viewer)
    event = session.get(AuditEvent, event_id) if isinstance(event_id, int) else None
    if event is None:
        raise NotFound("Không tìm thấy sự kiện trong nhật ký.")
    return event


@dataclass
class DiffRow:
    field: str
    before: object
    after: object


def event_diff(event: AuditEvent) -> list[DiffRow]:
    """Before/after of an event whose data carries them: `changes` ({field: {before, after}} or {field: [before,
    after]}) of updates, and `before`/`after` ({state: ...}) of transitions. Empty when the event has neither."""
    data = event.data or {}
    rows: list[DiffRow] = []
    changes = data.get("changes")
    if isinstance(changes, dict):
        for key, change in changes.items():
            if isinstance(change, dict) and ("before" in change or "after" in change):
                rows.append(DiffRow(str(key), change.get("before"), change.get("after")))
            elif isinstance(change, list | tuple) and len(change) == 2:
                rows.append(DiffRow(str(key), change[0], change[1]))
            else:
                rows.append(DiffRow(str(key), None, change))
    before, after = data.get("before"), data.get("after")
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
        for key in sorted(set(before) | set(after)):
            rows.append(DiffRow(str(key), before.get(key), after.get(key)))
    return rows


def value_text(value) -> str:
    """A before/after value as shown: states by their label, structures as indented JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return labels.STATE_LABELS.get(value, value) if value in labels.STATE_LABELS else value
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def pretty_data(data) -> str:
    return json.dumps(data or {}, ensure_ascii=False, indent=2, sort_keys=True, default=str)


# ------------------------------------------------------------------------------------------------ exports
EXPORT_HEADER = ["ID", "Thời điểm (giờ Việt Nam)", "Thời điểm (UTC, ISO 8601)", "Người thực hiện", "ID người dùng",
                 "Hành động", "Mã hành động", "Kết quả", "Loại đối tượng", "ID đối tượng", "Địa chỉ IP",
                 "Trình duyệt (User-Agent)", "Dữ liệu (JSON)", "prev_hash", "hash"]
_EXPORT_COLUMNS = (AuditEvent.id, AuditEvent.created_at, AuditEvent.actor_username, AuditEvent.actor_id,
                   AuditEvent.action, AuditEvent.outcome, AuditEvent.object_type, AuditEvent.object_id,
                   AuditEvent.ip, AuditEvent.user_agent, AuditEvent.data, AuditEvent.prev_hash, AuditEvent.hash)


def check_export(session: Session, viewer: Actor, query_filters: dict, cap: int | None = None) -> int:
    """The number of rows the export will hold; a set larger than `cap` is refused with what to do (422)."""
    require_audit_reader(viewer)
    cap = EXPORT_CAP if cap is None else cap
    count = bounded_count(session, audit_query(**narrow_actor(session, query_filters)), cap)
    if count > cap:
        raise ValidationFailed(
            f"Tập kết quả có hơn {cap:,} sự kiện, vượt giới hạn một lần xuất.".replace(",", "."),
            [f"Mỗi lần xuất tối đa {cap:,} sự kiện. Hãy thu hẹp bộ lọc (khoảng ngày, người thực hiện, hành động) "
             "rồi xuất từng phần.".replace(",", ".")])
    return count


def export_rows(session: Session, query_filters: dict, *, batch: int = EXPORT_BATCH,
                limit: int = EXPORT_CAP) -> Iterator[list]:
    """The filtered events, newest first, as export rows; read in batches by keyset (id < last id), as plain rows
    (no ORM objects piling up in the session). Text cells are neutralised against formula injection."""
    last_id = None
    sent = 0
    query_filters = narrow_actor(session, query_filters)
    while sent < limit:
        stmt = audit_query(**query_filters, before_id=last_id, columns=_EXPORT_COLUMNS)
        rows = session.execute(stmt.order_by(AuditEvent.id.desc()).limit(min(batch, limit - sent))).all()
        if not rows:
            return
        for r in rows:
            local = r.created_at.astimezone(TZ)
            values = [r.id, local.strftime("%d/%m/%Y %H:%M:%S"), r.created_at.isoformat(), r.actor_username,
                      r.actor_id, action_label(r.action), r.action, OUTCOME_LABELS.get(r.outcome, r.outcome),
                      OBJECT_TYPE_LABELS.get(r.object_type, r.object_type), r.object_id, r.ip, r.user_agent,
                      json.dumps(r.data or {}, ensure_ascii=False, sort_keys=True, default=str), r.prev_hash, r.hash]
            yield [xml_safe(v) for v in values]
        sent += len(rows)
        last_id = rows[-1].id


def csv_chunks(rows: Iterator[list]) -> Iterator[str]:
    """CSV text in chunks, starting with a UTF-8 BOM so Excel reads the Vietnamese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(EXPORT_HEADER)
    for i, row in enumerate(rows, 1):
        writer.writerow(["" if v is None else _safe_cell(v) for v in row])
        if i % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def stream_csv(session_factory, query_filters: dict) -> Iterator[str]:
    """The CSV of a streamed response, read through its own session (the request's is closed once the view returns):
    closed when the response is exhausted or closed by the server."""
    session = session_factory()
    try:
        yield from csv_chunks(export_rows(session, query_filters))
    finally:
        session.rollback()
        session.close()


# Column widths of the .xlsx (Excel's units), one per EXPORT_HEADER column: the JSON and the hashes wrap.
EXPORT_WIDTHS = (8, 12, 16, 14, 8, 24, 18, 10, 16, 8, 13, 24, 48, 24, 24)


def xlsx_file(rows: Iterator[list]):
    """An .xlsx (openpyxl write-only: rows go to disk as they come), returned as an in-memory file, rewound. Text is
    kept as typed (`_xlsx_cell`: formula-like text gets the quote-prefix style), wrapped in columns of fixed widths,
    each row as high as its text, printed one A4 landscape page wide with the header repeated."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Nhật ký")
    for col, width in enumerate(EXPORT_WIDTHS, start=1):
        ws.column_dimensions[chr(64 + col)].width = width
    ws.freeze_panes = "A2"
    print_one_page_wide(ws, header_row=1)
    wrap, bold = Alignment(vertical="top", wrap_text=True), Font(bold=True)

    def line(values: list, font=None) -> list:
        cells = []
        for v in values:
            c = _xlsx_cell(WriteOnlyCell(ws), v)
            c.alignment = wrap
            if font is not None:
                c.font = font
            cells.append(c)
        return cells

    for index, values in enumerate(itertools.chain([EXPORT_HEADER], rows), start=1):
        ws.row_dimensions[index].height = row_height(
            [(v, w, 11, index == 1) for v, w in zip(values, EXPORT_WIDTHS, strict=True) if isinstance(v, str)], 11)
        ws.append(line(values, bold if index == 1 else None))
    with tempfile.TemporaryFile() as tmp:  # write-only rows are streamed to disk; the zip is read back once
        wb.save(tmp)
        tmp.seek(0)
        return io.BytesIO(tmp.read())


def export_filename(ext: str) -> str:
    return f"nhat-ky-he-thong-{clock.today().isoformat()}.{ext}"
