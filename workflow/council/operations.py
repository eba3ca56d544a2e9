"""The council step (bình xét): sessions, publicity, agenda, attendance, the secret ballot, the close with quorum,
threshold and quota, and the chair's tie-break. Every function performs its action completely or raises a
DomainError, emits a signal for the audit trail and notifications, and never commits.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
import sqlite3
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from models import (
    AgendaItem,
    AnonymousBallot,
    Attendance,
    BallotReceipt,
    BallotSlot,
    Campaign,
    Council,
    CouncilMember,
    CouncilSession,
    Nomination,
    Person,
    PublicComment,
    User,
    plain,
)
from models.plain import PlainSelect
from workflow import clock, events, inputs, offers, policy, signals, workdays
from workflow.context import CLI, Context
from workflow.council import ballots, scheduling, turnout
from workflow.council.queries import active_members, held_on
from workflow.council.recusal import (  # recusal_reason re-exported: callers ask operations
    _member_key,
    _recusal,
    member_key_statement,
    recusal_reason,
)
from workflow.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from workflow.labels import ITEM_OUTCOME_LABELS, SESSION_STATE_LABELS
from workflow.lifecycles import (
    SESSION,
    SESSION_ENDED_STATES,
    SESSION_FINAL_STATES,
    SESSION_LIVE_STATES,
    SESSION_VOTING_STATES,
)
from workflow.nominations import service
from workflow.nominations.machine import RECOGNISED_STATES
from workflow.nominations.queries import page_params, paginate
from workflow.policy import Actor

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
RANDOM = secrets.SystemRandom()
FOUR = Decimal("0.0001")
AWAITING_OUTCOMES = ("passed", "tie")  # a closed session's item that still waits for a decision
OUTCOME_LABELS = ITEM_OUTCOME_LABELS
STATE_LABELS = SESSION_STATE_LABELS
FUNCTION_LABELS = {"chu_tich": "Chủ tịch", "pho_chu_tich": "Phó Chủ tịch", "thuong_truc": "Ủy viên thường trực",
                   "uy_vien": "Ủy viên"}
share = turnout.share  # one rounding for the quorum of the members present and of the ballots in


# ------------------------------------------------------------------------------------------------ scope and roles
def _department_of(actor: Actor) -> int | None:
    return actor.department_id


def can_view_session(actor: Actor, s: CouncilSession) -> bool:
    return bool(policy.can(actor, "view", s))


def can_see_results(actor: Actor, s: CouncilSession) -> bool:
    """Results: the council, the secretariat, the director and auditors (issue 3 §5)."""
    return bool(policy.can(actor, "see_results", s))


def _role_refusal(actor: Actor, s: CouncilSession | None, verb: str, *,
                  department_id: int | None = None) -> Forbidden | None:
    """`verb`: "prepare" (the secretariat) or "chair" (the director), on the session's department (the policy's
    council_session rows)."""
    if s is None:
        return policy.refusal(actor, verb, "council_session", department_id=department_id)
    return policy.refusal(actor, verb, s)


def _require(actor: Actor, s: CouncilSession | None, verb: str, *, department_id: int | None = None) -> None:
    offers.enforce(_role_refusal(actor, s, verb, department_id=department_id))


def load_session(session: Session, actor: Actor, session_id: int, *,
                 for_update: bool | str = False) -> CouncilSession:
    """`for_update=True` locks the session row (SELECT ... FOR UPDATE); "share" takes a shared lock (FOR SHARE):
    votes do not wait for each other but do wait for a close, an attendance change or an opening in progress."""
    return policy.load(session, actor, "council_session", session_id, for_update=for_update)


def councils_query(actor: Actor):
    """The councils `actor` may read: the one place the settings page and the API take their scope from."""
    return select(Council).where(policy.scope(actor, "council"))


def council_for_department(session: Session, department_id: int) -> Council | None:
    return session.scalar(select(Council).where(Council.department_id == department_id))


def _closed_refusal(s: CouncilSession) -> Conflict | None:
    if s.state == "cancelled":
        return Conflict("Phiên họp đã hủy; không thể thay đổi.", [f"Lý do hủy: {s.cancel_reason}."])
    if s.state in SESSION_ENDED_STATES:
        return Conflict("Phiên họp đã kết thúc; không thể thay đổi.", ["Phiên họp đã kết thúc."])
    return None


# ------------------------------------------------------------------------------------------------ checks
_NOT_SCHEDULED = "Phiên họp không ở trạng thái chờ khai mạc."
_NOT_OPEN = "Chỉ kết thúc được phiên họp đang diễn ra."
# Each operation on a session starts with its check (see workflow.offers): the DomainError it raises, or None.
def check_set_agenda(actor: Actor, s: CouncilSession) -> DomainError | None:
    if refusal := _role_refusal(actor, s, "prepare") or _closed_refusal(s):
        return refusal
    if s.published_at is not None:
        return Conflict("Danh sách đã công khai; không thể thay đổi chương trình phiên họp.",
                        ["Muốn thay đổi, hãy lên lịch một phiên họp mới và công khai lại danh sách."])
    return None


def _publicity_until(session: Session, s: CouncilSession, now: dt.datetime) -> dt.datetime:
    days = s.council.publicity_working_days
    if days == 0:
        return now
    start = now.astimezone(TZ).date()
    last_day = workdays.load_calendar(session, (start.year, start.year + 1)).add_working_days(start, days)
    return dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=TZ).astimezone(dt.UTC)


def check_publish(session: Session, actor: Actor, s: CouncilSession, now: dt.datetime) -> DomainError | None:
    if refusal := _role_refusal(actor, s, "prepare") or _closed_refusal(s):
        return refusal
    if s.published_at is not None:
        return Conflict("Danh sách đã được công khai.", [f"Công khai đến {_local(s.comments_until):%d/%m/%Y %H:%M}."])
    if not s.items:
        return ValidationFailed("Chưa có hồ sơ trong chương trình phiên họp.", ["Hãy lập chương trình trước."])
    if too_short := scheduling.publicity_days_error(s.council.publicity_working_days):
        return ValidationFailed("Thời hạn công khai của Hội đồng thấp hơn mức tối thiểu.",
                                [too_short, "Quản trị hệ thống cần sửa thời hạn công khai trong cấu hình Hội đồng."])
    days, until = s.council.publicity_working_days, _publicity_until(session, s, now)
    # The period runs to the end of its last working day, so with a period the meeting comes on a later day (a session
    # dated on the last day could not be opened on its own date: open_session waits for comments_until).
    if s.date < until.astimezone(TZ).date() or (days > 0 and s.date == until.astimezone(TZ).date()):
        return ValidationFailed(
            "Ngày họp sớm hơn thời hạn công khai.",
            [f"Danh sách phải công khai {days} ngày làm việc, đến hết ngày {until.astimezone(TZ):%d/%m/%Y}; "
             f"hãy dời ngày họp (hiện là {s.date:%d/%m/%Y})."],
        )
    return None


def check_record_attendance(actor: Actor, s: CouncilSession) -> DomainError | None:
    return _role_refusal(actor, s, "prepare") or _closed_refusal(s)


def check_open(actor: Actor, s: CouncilSession, now: dt.datetime) -> DomainError | None:
    if refusal := _role_refusal(actor, s, "chair"):
        return refusal
    if not SESSION.can_fire(s, "open"):
        return Conflict(_NOT_SCHEDULED, [f"Trạng thái: {STATE_LABELS[s.state]}."])
    if s.published_at is None:
        return Conflict("Danh sách chưa được công khai để lấy ý kiến.", ["Văn phòng Sở cần công khai danh sách trước."])
    if now < s.comments_until:
        return Conflict("Chưa hết thời hạn công khai danh sách.",
                        [f"Được khai mạc sau {_local(s.comments_until):%H:%M ngày %d/%m/%Y}."])
    if not s.items:
        return ValidationFailed("Chưa có hồ sơ trong chương trình phiên họp.", ["Hãy lập chương trình trước."])
    if not ballots.is_configured():
        return Conflict("Chưa cấu hình khóa niêm phong phiếu bầu (BALLOT_KEY); không thể khai mạc phiên họp.",
                        ["Quản trị hệ thống cần đặt biến môi trường BALLOT_KEY hoặc BALLOT_KEY_FILE cho máy chủ, "
                         "riêng biệt với SECRET_KEY, rồi khởi động lại ứng dụng."])
    return None


def _member_refusal(session: Session, actor: Actor, s: CouncilSession) -> Forbidden | None:
    if refusal := policy.refusal(actor, "cast", "ballot", department_id=s.department_id):
        return refusal
    if _member(session, s, actor.id) is None:
        return _not_a_member()
    return None


def _not_a_member() -> Forbidden:
    return Forbidden("Chỉ thành viên Hội đồng được biểu quyết.", ["Tài khoản không phải thành viên Hội đồng."])


def check_vote(session: Session, actor: Actor, s: CouncilSession) -> DomainError | None:
    """What a member's vote needs beyond the item and the choice: the session open, the member marked present."""
    return _vote_refusal(actor, s, lambda: _voter(session, s, actor.id))


def _vote_refusal(actor: Actor, s: CouncilSession, voter) -> DomainError | None:
    """`check_vote` on the member's row (`_VOTER`), read by `voter()` only when the policy lets the actor vote."""
    if refusal := policy.refusal(actor, "cast", "ballot", department_id=s.department_id):
        return refusal
    row = voter()
    if row is None:
        return _not_a_member()
    if s.state not in SESSION_VOTING_STATES:
        return Conflict("Phiên họp không trong thời gian biểu quyết.", [f"Trạng thái: {STATE_LABELS[s.state]}."])
    if not row[0]:
        return Forbidden("Thành viên chưa được ghi nhận có mặt tại phiên họp.",
                         ["Văn phòng Sở cần điểm danh trước khi biểu quyết."])
    return None


def check_close(actor: Actor, s: CouncilSession, session: Session | None = None) -> DomainError | None:
    """With `session`, also the ballots' rule (workflow/council/turnout.py): not while fewer ballots than the quorum
    are in and the close would judge the items."""
    if refusal := _role_refusal(actor, s, "chair"):
        return refusal
    if not SESSION.can_fire(s, "close"):
        return Conflict(_NOT_OPEN, [f"Trạng thái: {STATE_LABELS[s.state]}."])
    if session is not None:
        return turnout.ballots_refusal(turnout.turnout(session, s))
    return None


def check_resolve_tie(actor: Actor, s: CouncilSession) -> DomainError | None:
    if refusal := _role_refusal(actor, s, "chair"):
        return refusal
    if s.state not in SESSION_FINAL_STATES or not any(i.outcome == "tie" for i in s.items):
        return Conflict("Phiên họp không có hồ sơ bằng phiếu chờ quyết định.", ["Không có hồ sơ bằng phiếu."])
    return None


def _department_refusal(actor: Actor, s: CouncilSession) -> Forbidden | None:
    return policy.refusal(actor, "comment", "council_session", department_id=s.department_id,
                          detail="Chỉ công chức, viên chức của Sở được góp ý.")


def check_comment(actor: Actor, s: CouncilSession, now: dt.datetime) -> DomainError | None:
    if refusal := _department_refusal(actor, s):
        return refusal
    if s.state == "cancelled":
        return Conflict("Phiên họp đã hủy; không nhận góp ý.", [f"Lý do hủy: {s.cancel_reason}."])
    if s.published_at is None or now > s.comments_until:
        return Conflict("Không trong thời gian nhận góp ý.", ["Danh sách chưa công khai hoặc đã hết thời hạn góp ý."])
    return None


ACTION_LABELS = {
    "set_agenda": "Lập chương trình", "publish": "Công khai danh sách", "record_attendance": "Điểm danh thành viên",
    "open": "Khai mạc phiên họp", "vote": "Biểu quyết", "comment": "Góp ý", "close": "Kết thúc phiên họp",
    "resolve_tie": "Quyết định hồ sơ bằng phiếu", "reschedule": "Dời lịch, sửa thông tin", "cancel": "Hủy phiên họp",
}


def available_actions(session: Session, actor: Actor, s: CouncilSession,
                      now: dt.datetime | None = None) -> list[offers.Offer]:
    """The session's actions this actor holds the role for, each allowed now or with the reasons the operation
    would give (the same check functions)."""
    now = now or clock.now()
    secretariat, director = _role_refusal(actor, s, "prepare"), _role_refusal(actor, s, "chair")
    table = [
        ("set_agenda", secretariat, lambda: check_set_agenda(actor, s), False),
        ("publish", secretariat, lambda: check_publish(session, actor, s, now), True),
        ("record_attendance", secretariat, lambda: check_record_attendance(actor, s), False),
        ("comment", _department_refusal(actor, s), lambda: check_comment(actor, s, now), False),
        ("open", director, lambda: check_open(actor, s, now), True),
        ("vote", _member_refusal(session, actor, s), lambda: check_vote(session, actor, s), False),
        ("close", director, lambda: check_close(actor, s, session), True),
        ("resolve_tie", director, lambda: check_resolve_tie(actor, s), True),
        *((code, who, check, irreversible) for code, _, who, check, irreversible in scheduling.offers_for(actor, s)),
    ]
    found = (offers.offer(code, ACTION_LABELS[code], who, check, irreversible=irreversible)
             for code, who, check, irreversible in table)
    return [o for o in found if o is not None]




def _emit(session, event_class, s, actor, context, **fields):
    signals.emit(session, event_class(council_session=s, actor=actor, context=context, **fields))


# ------------------------------------------------------------------------------------------------ council settings
def update_council(session: Session, actor: Actor, council_id: int, *, quorum=None, pass_threshold=None,
                   publicity_working_days=None, name=None, context: Context = CLI) -> Council:
    council = session.get(Council, council_id)
    if council is None:
        raise NotFound("Không tìm thấy Hội đồng.")
    policy.require(actor, "manage", council, detail="Chỉ quản trị hệ thống được thay đổi cấu hình Hội đồng.")
    errors = {}
    changes = {}
    for key, value in (("quorum", quorum), ("pass_threshold", pass_threshold)):
        if value is None:
            continue
        try:
            dec = Decimal(str(value)).quantize(FOUR, rounding=ROUND_HALF_UP)
        except ArithmeticError:
            dec = None
        if isinstance(value, bool) or dec is None or not Decimal(0) < dec <= Decimal(1):
            errors[key] = "Phải là tỷ lệ lớn hơn 0 và không quá 1 (ví dụ 0.6667)."
            continue
        changes[key] = (str(getattr(council, key)), str(dec))
        setattr(council, key, dec)
    if publicity_working_days is not None:
        if isinstance(publicity_working_days, bool) or not isinstance(publicity_working_days, int) \
                or not 0 <= publicity_working_days <= 60:
            errors["publicity_working_days"] = "Số ngày làm việc công khai từ 0 đến 60."
        elif too_short := scheduling.publicity_days_error(publicity_working_days):
            errors["publicity_working_days"] = too_short
        else:
            changes["publicity_working_days"] = (council.publicity_working_days, publicity_working_days)
            council.publicity_working_days = publicity_working_days
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            errors["name"] = "Tên Hội đồng không được để trống."
        else:
            council.name = name.strip()[:300]
    if errors:
        raise ValidationFailed("Cấu hình Hội đồng không hợp lệ.", list(errors.values()), errors)
    session.flush()
    signals.emit(session, events.CouncilUpdated(council_id=council.id, changes=changes, actor=actor, context=context))
    return council


def set_member(session: Session, actor: Actor, council_id: int, *, user_id: int, function: str = "uy_vien",
               active: bool = True, context: Context = CLI) -> CouncilMember:
    council = session.get(Council, council_id)
    if council is None:
        raise NotFound("Không tìm thấy Hội đồng.")
    policy.require(actor, "manage", council, detail="Chỉ quản trị hệ thống được thay đổi thành viên Hội đồng.")
    if function not in FUNCTION_LABELS:
        raise ValidationFailed("Chức danh không hợp lệ.", [f"Chức danh: {', '.join(FUNCTION_LABELS)}."])
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.department_id != council.department_id:
        raise ValidationFailed("Thành viên phải là người dùng của Sở.",
                               ["Người được chọn không thuộc Sở của Hội đồng."])
    member = session.scalar(select(CouncilMember).where(CouncilMember.council_id == council.id,
                                                        CouncilMember.user_id == user.id))
    if function == "chu_tich" and active:
        for other in active_members(session, council):
            if other.function == "chu_tich" and other.user_id != user.id:
                raise ValidationFailed("Hội đồng đã có Chủ tịch.", [f"Chủ tịch hiện tại: {other.user.full_name}."])
    if member is None:
        member = CouncilMember(council_id=council.id, user_id=user.id)
        session.add(member)
    member.function, member.active = function, bool(active)
    session.flush()
    signals.emit(session, events.CouncilMemberSet(council_id=council.id, user_id=user.id, function=function,
                                                  active=bool(active), actor=actor, context=context))
    return member


# ------------------------------------------------------------------------------------------------ sessions
def check_schedule(actor: Actor) -> DomainError | None:
    return _role_refusal(actor, None, "prepare", department_id=actor.department_id)


def schedule_offer(actor: Actor) -> offers.Offer | None:
    """Scheduling acts on no session yet; the sessions list offers it on the same check `schedule` runs."""
    refusal = check_schedule(actor)
    return offers.offer("schedule", "Lên lịch phiên họp", refusal, lambda: refusal)


def schedule(session: Session, actor: Actor, *, title: str, date, campaign_id: int, location: str | None = None,
             start_time=None, now: dt.datetime | None = None, context: Context = CLI) -> CouncilSession:
    """A new session of the actor's council, never dated in the past (`now`: the clock, or a test's moment)."""
    offers.enforce(check_schedule(actor))
    form = inputs.Form("Chưa lên lịch được phiên họp.", {"title": "Tên phiên họp", "date": "Ngày họp"})
    title = form.text("title", title, limit=300, required=True)
    day = form.date("date", date, required=True)
    today = scheduling.local_date(now) if now is not None else clock.today()
    if day is not None and (past := scheduling.past_date_error(day, today)):
        form.add("date", past, past)
    location = form.text("location", location, limit=300)
    start = form.field("start_time", scheduling.parse_time, start_time)
    campaign_id = form.integer("campaign_id", campaign_id, required=True, minimum=1)
    campaign = session.get(Campaign, campaign_id) if campaign_id is not None else None
    if campaign_id is not None and (campaign is None or campaign.department_id != actor.department_id):
        form.add("campaign_id", "Phong trào không thuộc Sở.")
    council = council_for_department(session, actor.department_id)
    if council is None:
        form.add("council", "Sở chưa thành lập Hội đồng Thi đua – Khen thưởng trong hệ thống.")
    form.check()
    s = CouncilSession(council_id=council.id, department_id=council.department_id, campaign_id=campaign.id,
                       title=title, date=day, start_time=start, location=location, created_by_id=actor.id)
    session.add(s)
    session.flush()
    _emit(session, events.SessionScheduled, s, actor, context, date=day.isoformat(), campaign_id=campaign.id)
    return s


def set_agenda(session: Session, actor: Actor, session_id: int, nomination_ids, *,
               context: Context = CLI) -> CouncilSession:
    s = load_session(session, actor, session_id, for_update=True)
    offers.enforce(check_set_agenda(actor, s))
    if not isinstance(nomination_ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                                       for i in nomination_ids):
        raise ValidationFailed("Danh sách hồ sơ không hợp lệ.", ["Danh sách hồ sơ: chọn hồ sơ trong danh sách."])
    ids = list(dict.fromkeys(nomination_ids))
    # Row locks on the nominations: two sessions cannot both take the same item onto their agendas at once.
    found = service.lock_nominations(session, ids)
    taken = _taken_elsewhere(session, s, ids)
    reasons = []
    for i in ids:
        n = found.get(i)
        if n is None or n.department_id != s.department_id:
            reasons.append(f"Hồ sơ số {i}: không tồn tại hoặc không thuộc Sở.")
        else:
            reasons += agenda_refusals(s, n, taken.get(i))
    if reasons:
        raise ValidationFailed("Không lập được chương trình phiên họp.", reasons)
    # A dossier goes on an agenda accepted: those the secretariat has not accepted yet are accepted now, explicitly
    # (history "Tiếp nhận hồ sơ", audit, the unit told) — see service.accept_on_agenda.
    service.accept_on_agenda(session, actor, [found[i] for i in ids], context=context)
    s.items.clear()
    session.flush()
    for pos, i in enumerate(ids, start=1):
        s.items.append(AgendaItem(nomination_id=i, position=pos))
    session.flush()
    _emit(session, events.AgendaSet, s, actor, context, nomination_ids=tuple(ids))
    return s


def held_by_a_session(*, other_than: int | None = None):
    """EXISTS (correlated on Nomination.id): the nomination is on the agenda of a session not closed yet, or a
    closed session passed it (or tied on it) so that it waits for the director's decision or the chair's tie-break.
    Such a nomination is no agenda candidate (`agenda_candidates`, `set_agenda`, the secretariat's dashboard)."""
    return select(AgendaItem.id).join(CouncilSession).where(
        AgendaItem.nomination_id == Nomination.id, *_elsewhere(other_than)).exists()


def not_held_by_a_session():
    """NOT `held_by_a_session()`, as two NOT EXISTS, one per way a session holds a nomination (on the agenda of a
    session not closed yet; passed or tied in any session): PostgreSQL reads each as an anti-join of its own rows
    (the live sessions' items along their session; the items of those outcomes), where the single NOT EXISTS
    joined every agenda item to its session before filtering them."""
    live = select(AgendaItem.id).join(CouncilSession).where(
        AgendaItem.nomination_id == Nomination.id, CouncilSession.state.in_(SESSION_LIVE_STATES)).exists()
    awaiting = select(AgendaItem.id).where(
        AgendaItem.nomination_id == Nomination.id, AgendaItem.outcome.in_(AWAITING_OUTCOMES)).exists()
    return and_(~live, ~awaiting)


def _elsewhere(other_than: int | None) -> tuple:
    return ((CouncilSession.id != other_than,) if other_than is not None else ()) + (
        or_(CouncilSession.state.in_(SESSION_LIVE_STATES), AgendaItem.outcome.in_(AWAITING_OUTCOMES)),)


def _taken_elsewhere(session: Session, s: CouncilSession, ids: list[int]) -> dict[int, tuple[str, str, str | None]]:
    if not ids:
        return {}
    rows = session.execute(
        select(AgendaItem.nomination_id, CouncilSession.title, CouncilSession.state, AgendaItem.outcome)
        .join(CouncilSession).where(AgendaItem.nomination_id.in_(ids), *_elsewhere(s.id))
    ).all()
    return {nid: (title, state, outcome) for nid, title, state, outcome in rows}


def agenda_refusals(s: CouncilSession, n: Nomination, taken: tuple[str, str, str | None] | None) -> list[str]:
    """Why `n` may not stand on the agenda of `s` (empty: it may); `taken` is its row on another session, if any
    (see `_taken_elsewhere`). The one rule behind `agenda_candidates` and `set_agenda`."""
    label = f"Hồ sơ số {n.id} “{n.title}”"
    if n.department_id != s.department_id:
        return [f"Hồ sơ số {n.id}: không tồn tại hoặc không thuộc Sở."]
    if n.state != "submitted":
        return [f"{label}: chỉ đưa vào chương trình hồ sơ đang Chờ Hội đồng xét."]
    if n.campaign_id != s.campaign_id:
        return [f"{label}: thuộc phong trào khác với phiên họp."]
    if taken is not None:
        title, state, outcome = taken
        if state in SESSION_LIVE_STATES:
            return [f"{label}: đã có trong phiên họp “{title}” chưa kết thúc."]
        waits = "Quyết định công nhận" if outcome == "passed" else "quyết định của Chủ tịch Hội đồng"
        return [f"{label}: Hội đồng đã xét tại phiên họp “{title}” ({OUTCOME_LABELS[outcome]}); "
                f"hồ sơ chờ {waits}, không đưa vào phiên họp khác."]
    return []


def agenda_candidates(session: Session, s: CouncilSession) -> list[Nomination]:
    """What the secretariat may put on this session's agenda — the dossiers `set_agenda` accepts: of its
    department and campaign, waiting for the council (submitted), not held by another session (see
    `held_by_a_session`) — plus those already on it, agenda order first."""
    busy = held_by_a_session(other_than=s.id)
    stmt = select(Nomination).where(
        Nomination.department_id == s.department_id, Nomination.campaign_id == s.campaign_id,
        Nomination.state == "submitted", ~busy,
    ).options(joinedload(Nomination.unit), joinedload(Nomination.subject_person),
              joinedload(Nomination.campaign)).order_by(Nomination.subject_type, Nomination.id)
    rows = list(session.scalars(stmt).unique())
    known = {n.id for n in rows}
    rows += [i.nomination for i in s.items if i.nomination_id not in known]
    order = {i.nomination_id: pos for pos, i in enumerate(s.items)}
    return sorted(rows, key=lambda n: (n.id not in order, order.get(n.id, 0), n.subject_type, n.id))


def publish(session: Session, actor: Actor, session_id: int, *, now: dt.datetime | None = None,
            context: Context = CLI) -> CouncilSession:
    """Makes the list of nominees public for comments for the council's period of working days."""
    s = load_session(session, actor, session_id, for_update=True)
    now = now or clock.now()
    offers.enforce(check_publish(session, actor, s, now))
    days, until = s.council.publicity_working_days, _publicity_until(session, s, now)
    s.published_at, s.comments_until = now, until
    session.flush()
    _emit(session, events.ListPublished, s, actor, context, comments_until=until.isoformat(), working_days=days)
    return s


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(TZ) if value is not None else None


COMMENT_LIMIT = 5000  # characters of one comment: the page states it and counts, the API's schema documents it


def add_comment(session: Session, actor: Actor, session_id: int, *, nomination_id: int, text: str,
                now: dt.datetime | None = None, context: Context = CLI) -> PublicComment:
    s = load_session(session, actor, session_id)
    now = now or clock.now()
    offers.enforce(check_comment(actor, s, now))
    if not any(i.nomination_id == nomination_id for i in s.items):
        raise ValidationFailed("Hồ sơ không có trong danh sách công khai.",
                               ["Hồ sơ được chọn không có trong phiên họp."])
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationFailed("Chưa nhập nội dung góp ý.", ["Nội dung góp ý: bắt buộc nhập."],
                               {"text": inputs.REQUIRED})
    if len(text) > COMMENT_LIMIT:  # refused whole, never cut: the author shortens it (issue 14, finding 5)
        limit, typed = f"{COMMENT_LIMIT:,}".replace(",", "."), f"{len(text):,}".replace(",", ".")
        raise ValidationFailed(f"Góp ý dài {typed} ký tự, vượt giới hạn {limit} ký tự. Góp ý chưa được gửi; "
                               "vui lòng rút gọn rồi gửi lại.", [f"Nội dung góp ý: tối đa {limit} ký tự."],
                               {"text": f"Tối đa {limit} ký tự."})
    comment = PublicComment(session_id=s.id, nomination_id=nomination_id, author_id=actor.id, text=text)
    session.add(comment)
    session.flush()
    signals.emit(session, events.CommentAdded(council_session=s, comment=comment, actor=actor, context=context))
    return comment


def record_attendance(session: Session, actor: Actor, session_id: int, present, *,
                      context: Context = CLI) -> CouncilSession:
    s = load_session(session, actor, session_id, for_update=True)
    offers.enforce(check_record_attendance(actor, s))
    if not isinstance(present, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in present):
        raise ValidationFailed("Danh sách có mặt không hợp lệ.", ["present phải là danh sách mã người dùng."])
    members = {m.user_id for m in active_members(session, s.council)}
    strangers = sorted(set(present) - members)
    if strangers:
        raise ValidationFailed("Có người không phải thành viên Hội đồng.",
                               [f"Người dùng số {i} không phải thành viên Hội đồng." for i in strangers])
    voted = set(session.scalars(
        select(BallotReceipt.member_user_id).join(AgendaItem).where(AgendaItem.session_id == s.id)
    ))
    dropped = sorted(voted - set(present))
    if dropped:
        raise ValidationFailed("Không thể ghi vắng mặt thành viên đã biểu quyết.",
                               [f"Người dùng số {i} đã biểu quyết trong phiên họp." for i in dropped])
    rows = {a.user_id: a for a in s.attendance}
    for uid in members:
        row = rows.get(uid)
        if row is None:
            s.attendance.append(Attendance(user_id=uid, present=uid in present))
        else:
            row.present = uid in present
    session.flush()
    _emit(session, events.AttendanceRecorded, s, actor, context, present=tuple(sorted(set(present))),
          members=len(members))
    return s


def open_session(session: Session, actor: Actor, session_id: int, *, now: dt.datetime | None = None,
                 context: Context = CLI) -> CouncilSession:
    s = load_session(session, actor, session_id, for_update=True)
    now = now or clock.now()
    offers.enforce(check_open(actor, s, now))
    SESSION.fire(s, "open", _NOT_SCHEDULED)
    s.opened_at = now
    slots = len(active_members(session, s.council))
    _add_slots(session, [(item.id, slots) for item in s.items])
    session.flush()
    _emit(session, events.SessionOpened, s, actor, context)
    return s


def _shuffle(rows: list) -> None:
    """A uniformly random order from the system's CSPRNG, as `RANDOM.shuffle` gives, drawing all the random bytes in
    one call instead of one call per row (a close shuffles every ballot of its session: 12,500 for 500 x 25)."""
    keys = os.urandom(16 * len(rows))
    order = sorted(range(len(rows)), key=lambda k: keys[16 * k:16 * k + 16])
    rows[:] = [rows[k] for k in order]


def _add_slots(session: Session, wanted: list[tuple[int, int]]) -> None:
    """Empty ballot slots, `count` for each item: random keys, inserted in a random order across items, no time."""
    keys = [(item_id, secrets.token_hex(16)) for item_id, count in wanted for _ in range(count)]
    rows = [{"key": key, "item_id": item_id, "sealed": ballots.seal_slot(item_id, key, ballots.EMPTY)}
            for item_id, key in keys]
    _shuffle(rows)
    if rows:
        session.execute(insert(BallotSlot), rows)


# ------------------------------------------------------------------------------------------------ voting
def _member(session: Session, s: CouncilSession, user_id: int) -> CouncilMember | None:
    return session.scalar(_MEMBER, {"council_id": s.council_id, "user_id": user_id})


# The statements of a vote, built once (building a statement costs more than running its cached SQL on SQLite), and
# read as plain rows (models/plain.py): a vote builds no ORM object but the session it locks.
_MEMBER = select(CouncilMember).where(CouncilMember.council_id == bindparam("council_id"),
                                      CouncilMember.user_id == bindparam("user_id"), CouncilMember.active.is_(True))
# The member (none: not an active member), marked present or not, and what the recusal rule reads of them
# (recusal.member_key_statement): a vote's checks in one statement, where the member, the attendance, and the ORM
# User and Person the rule read took four.
_VOTER = PlainSelect(
    member_key_statement(Attendance.present)
    .join(CouncilMember, CouncilMember.user_id == User.id)
    .outerjoin(Attendance, and_(Attendance.session_id == bindparam("session_id"), Attendance.user_id == User.id))
    .where(CouncilMember.council_id == bindparam("council_id"), CouncilMember.user_id == bindparam("user_id"),
           CouncilMember.active.is_(True)))
# The one item voted on and what the recusal rule reads of its nomination (not the whole agenda), its row locked.
_ITEM_FOR_VOTE = PlainSelect(
    select(AgendaItem.id, AgendaItem.nomination_id, Nomination.subject_type, Nomination.subject_person_id,
           Nomination.unit_id)
    .join(Nomination, Nomination.id == AgendaItem.nomination_id)
    .where(AgendaItem.session_id == bindparam("session_id"), AgendaItem.nomination_id == bindparam("nomination_id"))
    .with_for_update(of=AgendaItem))
_SLOTS = PlainSelect(select(BallotSlot.key, BallotSlot.sealed).where(BallotSlot.item_id == bindparam("item_id")))
_RESEAL = (update(BallotSlot.__table__).where(BallotSlot.__table__.c.key == bindparam("k"))
           .values(sealed=bindparam("sealed")))
# PostgreSQL: every slot of the item rewritten by one statement, the new values as two arrays (an executemany is one
# UPDATE per row, each run by the server on its own: 25 for a council of 25).
_RESEAL_PG = (
    "UPDATE ballot_slots SET sealed = v.sealed "
    "FROM unnest(CAST(%(keys)s AS varchar[]), CAST(%(sealed)s AS varchar[])) AS v(key, sealed) "
    "WHERE ballot_slots.key = v.key AND ballot_slots.item_id = %(item_id)s RETURNING 1")
_RECEIPT = {name: dialect.insert(BallotReceipt.__table__).values(item_id=bindparam("item_id"),
                                                                 member_user_id=bindparam("user_id"))
            .on_conflict_do_nothing().returning(BallotReceipt.__table__.c.id)
            for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


@dataclass(frozen=True)
class VotedItem:
    """The agenda item a vote went to, as its event (`events.VoteCast`) carries it: the item and its nomination."""

    id: int
    nomination_id: int


def _voter(session: Session, s: CouncilSession, user_id: int) -> tuple | None:
    """The member's row of `_VOTER` (present, then their recusal key), None when they are no active member."""
    return _VOTER.one_or_none(session, {"session_id": s.id, "council_id": s.council_id, "user_id": user_id})


def cast_vote(session: Session, actor: Actor, session_id: int, *, nomination_id: int, choice: str,
              context: Context = CLI) -> None:
    # A shared lock: a close that has tallied cannot miss a ballot committed after it (the vote waits, then sees
    # the session closed), and attendance cannot drop a member whose vote is in flight.
    s = load_session(session, actor, session_id, for_update="share")
    if choice not in ballots.CHOICES:
        raise ValidationFailed("Lựa chọn không hợp lệ.", ["choice: agree, disagree hoặc abstain."],
                               {"choice": "Không hợp lệ"})
    voter = None

    def read_voter():
        nonlocal voter
        voter = _voter(session, s, actor.id)
        return voter

    offers.enforce(_vote_refusal(actor, s, read_voter))  # check_vote, keeping the member's row for the recusal
    # The one item voted on, with its nomination, in one statement (not the whole agenda), and locked: the item's row
    # lock serialises the votes on one item (each rewrites all its slots); votes on other items and the session's
    # shared lock are untouched. A refusal below rolls the request back, and the lock with it.
    key = _as_id(nomination_id)
    row = None if key is None else _ITEM_FOR_VOTE.one_or_none(session, {"session_id": s.id, "nomination_id": key})
    if row is None:
        raise ValidationFailed("Hồ sơ không có trong chương trình phiên họp.",
                               ["Hồ sơ được chọn không có trong chương trình phiên họp."])
    reason = _recusal(voter[1:], row[2:])  # recusal_reason's rule, on the member's and the nomination's columns
    if reason:
        raise Forbidden("Thành viên không tham gia biểu quyết hồ sơ này.", [reason])
    item = VotedItem(row[0], row[1])
    if not _add_receipt(session, item.id, actor.id):
        raise Conflict("Thành viên đã biểu quyết hồ sơ này.", ["Mỗi thành viên chỉ biểu quyết một lần."])
    _fill_a_slot(session, item.id, choice, council_id=s.council_id)
    signals.emit(session, events.VoteCast(council_session=s, item=item, actor=actor, context=context))


def _as_id(value) -> int | None:
    """`value` as the integer it equals (what comparing it with an item's nomination id matched), else None."""
    try:
        return int(value) if value == int(value) else None
    except (TypeError, ValueError, OverflowError):
        return None


def _add_receipt(session: Session, item_id: int, user_id: int) -> bool:
    """The member's receipt for the item; False when there is one already (the unique (item, member) pair). One
    INSERT ... ON CONFLICT DO NOTHING, where a savepoint around a plain INSERT took three statements."""
    stmt = _RECEIPT[session.get_bind().dialect.name]
    return session.execute(stmt, {"item_id": item_id, "user_id": user_id}).first() is not None


def _unreadable(exc: Exception) -> Conflict:
    return Conflict("Không mở được phiếu biểu quyết: khóa niêm phong phiếu (BALLOT_KEY) chưa cấu hình, đã thay đổi "
                    "sau khi khai mạc phiên họp, hoặc phiếu đã bị sửa trong cơ sở dữ liệu.", [str(exc)])


def _open_slots(session: Session, item_id: int) -> dict[str, str]:
    """The contents of the item's slots by key; a Conflict naming BALLOT_KEY when they cannot be opened."""
    rows = _SLOTS.all(session, {"item_id": item_id})
    try:
        return {key: ballots.open_slot(item_id, key, sealed) for key, sealed in rows}
    except (ValueError, ballots.KeyMissing) as exc:
        raise _unreadable(exc) from exc


def _fill_a_slot(session: Session, item_id: int, choice: str, *, council_id: int) -> None:
    """Writes `choice` into a random empty slot of the item and re-seals EVERY slot of the item with fresh nonces,
    in a random order: after the vote all the item's slots carry this transaction's id and a new place on disk,
    and nothing tells which one changed. An item without an empty slot (a member added to the council after the
    opening, or a session opened before slots existed) is first topped up to one slot per active member, or one more."""
    if not ballots.is_configured():
        raise _unreadable(ballots.KeyMissing("ballot key not configured (BALLOT_KEY)"))
    contents = _open_slots(session, item_id)
    empty = [key for key, content in contents.items() if content == ballots.EMPTY]
    if not empty:
        members = session.scalar(select(func.count()).select_from(CouncilMember)
                                 .where(CouncilMember.council_id == council_id, CouncilMember.active.is_(True)))
        _add_slots(session, [(item_id, max(1, members - len(contents)))])
        contents = _open_slots(session, item_id)
        empty = [key for key, content in contents.items() if content == ballots.EMPTY]
    contents[RANDOM.choice(empty)] = choice
    rows = [{"k": key, "sealed": ballots.seal_slot(item_id, key, content)} for key, content in contents.items()]
    RANDOM.shuffle(rows)
    if session.get_bind().dialect.name == "postgresql":
        plain.execute(session.connection(), _RESEAL_PG, {
            "keys": [r["k"] for r in rows], "sealed": [r["sealed"] for r in rows], "item_id": item_id})
    else:
        session.execute(_RESEAL, rows)  # a Core executemany: one UPDATE per row, in the shuffled order of `rows`


@dataclass(frozen=True)
class ItemProgress:
    item: AgendaItem
    voted: int
    entitled: int
    recused_names: tuple[str, ...]


@dataclass(frozen=True)
class Progress:
    members: int
    present: int
    quorum_met: bool
    items: list[ItemProgress]


def progress(session: Session, s: CouncilSession) -> Progress:
    """How many have voted on each item and whether quorum is reached: never a choice."""
    members = active_members(session, s.council)
    present_ids = {a.user_id for a in s.attendance if a.present}
    counts = dict(session.execute(
        select(BallotReceipt.item_id, func.count()).join(AgendaItem).where(AgendaItem.session_id == s.id)
        .group_by(BallotReceipt.item_id)
    ).all())
    items = []
    for item in s.items:
        recused = [m.user.full_name for m in members if recusal_reason(m.user, item.nomination)]
        items.append(ItemProgress(item, counts.get(item.id, 0), len(members) - len(recused), tuple(recused)))
    present = len(present_ids & {m.user_id for m in members})
    return Progress(len(members), present, share(present, len(members)) >= s.council.quorum, items)


def voted_items(session: Session, s: CouncilSession, user_id: int) -> set[int]:
    """The agenda items this member has voted on (to show "đã bỏ phiếu"; the choice is not recorded with it)."""
    return set(session.scalars(
        select(AgendaItem.nomination_id).join(BallotReceipt, BallotReceipt.item_id == AgendaItem.id)
        .where(AgendaItem.session_id == s.id, BallotReceipt.member_user_id == user_id)
    ))


# ------------------------------------------------------------------------------------------------ closing
# Every slot of a session, read as plain tuples (12,500 rows for 500 items x 25 members: no SQLAlchemy row objects).
_SESSION_SLOTS = PlainSelect(select(BallotSlot.item_id, BallotSlot.key, BallotSlot.sealed).join(AgendaItem)
                             .where(AgendaItem.session_id == bindparam("session_id")))


def _tally(session: Session, s: CouncilSession) -> dict[int, list[str]]:
    """The choices sealed in each item's slots (in no meaningful order), checked against its receipts: all the
    session's slots in one query, the receipts counted in SQL (GROUP BY), item by item in agenda order for the
    refusal. 500 items x 25 members are 12,500 slots: one statement, not 1,000."""
    rows = _SESSION_SLOTS.all(session, {"session_id": s.id})
    choices: dict[int, list[str]] = {item.id: [] for item in s.items}
    try:
        for item_id, key, sealed in rows:
            content = ballots.open_slot(item_id, key, sealed)
            if content != ballots.EMPTY:
                choices[item_id].append(content)
    except (ValueError, ballots.KeyMissing) as exc:
        raise _unreadable(exc) from exc
    receipts = dict(session.execute(
        select(BallotReceipt.item_id, func.count()).join(AgendaItem).where(AgendaItem.session_id == s.id)
        .group_by(BallotReceipt.item_id)).all())
    for item in s.items:
        found, voted = len(choices[item.id]), receipts.get(item.id, 0)
        if found != voted:
            raise Conflict("Số phiếu niêm phong không khớp với số thành viên đã biểu quyết; không thể kết thúc phiên "
                           "họp.", [f"Hồ sơ số {item.nomination_id}: {found} phiếu, {voted} lượt biểu quyết."])
    return choices


def recount(session: Session, item: AgendaItem) -> dict[str, int]:
    """The tally of a closed session's item, counted again from its anonymous ballots."""
    counts = dict.fromkeys(ballots.CHOICES, 0)
    counts.update(session.execute(select(AnonymousBallot.choice, func.count()).where(AnonymousBallot.item_id == item.id)
                                  .group_by(AnonymousBallot.choice)).all())
    return counts


# PostgreSQL: the shuffled ballots as two arrays, one statement in one round trip (an executemany is one row per
# round trip in psycopg's pipeline); the rows go in in the arrays' order (ORDER BY the ordinality), ids following.
_INSERT_BALLOTS_PG = text(
    "INSERT INTO anonymous_ballots (item_id, choice) SELECT b.item_id, b.choice "
    "FROM unnest(CAST(:items AS integer[]), CAST(:choices AS varchar[])) WITH ORDINALITY AS b(item_id, choice, n) "
    "ORDER BY b.n")


def _seal_into_anonymous_ballots(session: Session, opened: list[tuple[int, str]], item_ids: list[int]) -> None:
    """The opened ballots become anonymous ballots, inserted in a shuffled order (so ids and the physical order
    follow the shuffle, not the votes) in the transaction that deletes the sealed slots. Core statements (one
    multi-row INSERT, one DELETE): thousands of rows, no ORM objects."""
    _shuffle(opened)
    if opened and session.get_bind().dialect.name == "postgresql":
        session.execute(_INSERT_BALLOTS_PG, {"items": [i for i, _ in opened], "choices": [c for _, c in opened]})
    elif opened:
        session.execute(insert(AnonymousBallot.__table__), [{"item_id": i, "choice": c} for i, c in opened])
    session.execute(delete(BallotSlot).where(BallotSlot.item_id.in_(item_ids))
                    .execution_options(synchronize_session=False))


def _remaining_quota(session: Session, s: CouncilSession, subject_type: str) -> int | None:
    quota = s.campaign.quotas.get(subject_type)
    if quota is None:
        return None
    used = session.scalar(select(func.count()).select_from(Nomination).where(
        Nomination.campaign_id == s.campaign_id, Nomination.subject_type == subject_type,
        Nomination.state.in_(RECOGNISED_STATES)))
    # Passed by an earlier session and awaiting the decision: each nomination once, and not those this session judges
    # again (a passed item put on a new agenda would otherwise compete with its own earlier pass).
    own = select(AgendaItem.nomination_id).where(AgendaItem.session_id == s.id)
    waiting = session.scalar(
        select(func.count(func.distinct(Nomination.id))).select_from(AgendaItem).join(CouncilSession).join(Nomination)
        .where(CouncilSession.campaign_id == s.campaign_id, CouncilSession.id != s.id,
               CouncilSession.state.in_(SESSION_FINAL_STATES), AgendaItem.outcome == "passed",
               Nomination.state == "submitted", Nomination.subject_type == subject_type, Nomination.id.not_in(own)))
    return max(quota - used - waiting, 0)


def close_session(session: Session, actor: Actor, session_id: int, *, now: dt.datetime | None = None,
                  confirm_missing: bool = False, context: Context = CLI) -> CouncilSession:
    """Tallies every item, checks quorum (below it nothing is applied and the items may go to a new session),
    applies the pass threshold and the campaign's quota per subject type (highest share first; a tie at the cut
    is left to the chair), and fires `reject_co_so` for the items that fail.

    A constant number of statements whatever the size of the agenda (tests/council/test_council_close_scale.py):
    the locks, the slots and the receipts in one query each, the members' people loaded once, the tallies written
    in one flush, the rejections through `service.transition_many` (one lock, one guard query, one flush, one
    multi-row audit insert) and the results told in one flush.

    Refused while fewer ballots than the quorum are in, and, while present members have not voted, unless
    `confirm_missing` (workflow/council/turnout.py); the minutes then count them."""
    s = load_session(session, actor, session_id, for_update=True)
    offers.enforce(check_close(actor, s))
    # Everything the close changes is locked first, in one order: the session (above), then its nominations by id
    # (a transition of one of them elsewhere takes only its own row: no lock cycle), then the items by id. The
    # nominations are kept referenced: the session holds its objects weakly, and `item.nomination` below then finds
    # them in the session instead of loading them again one by one (each load also flushing the items changed so far).
    nominations = service.lock_nominations(session, [i.nomination_id for i in s.items])
    session.scalars(select(AgendaItem.id).where(AgendaItem.session_id == s.id).order_by(AgendaItem.id)
                    .with_for_update()).all()
    council = s.council
    members = active_members(session, council)
    _load_people(session, [m.user for m in members])
    # The ballots' rule (check_close's with a session), on the members just loaded: one more statement, not three.
    ballots_in = turnout.turnout(session, s, members=members)
    offers.enforce(turnout.ballots_refusal(ballots_in))
    offers.enforce(turnout.missing_refusal(ballots_in, confirm_missing))
    present_ids = {a.user_id for a in s.attendance if a.present} & {m.user_id for m in members}
    s.members_total, s.present_count = len(members), len(present_ids)
    s.quorum_required, s.pass_threshold_applied = council.quorum, council.pass_threshold
    s.quorum_met = share(len(present_ids), len(members)) >= council.quorum
    live = []
    opened: list[tuple[int, str]] = []
    tallies = _tally(session, s)
    with session.no_autoflush:  # the items are written once, below (`_write_results`)
        _judge(session, s, members, tallies, opened, live)
        _write_results(session, s.items)
    _seal_into_anonymous_ballots(session, opened, [i.id for i in s.items])
    SESSION.fire(s, "close", _NOT_OPEN)
    s.closed_at = now or clock.now()
    _number_minutes(session, s)
    session.flush()
    rejected = [service.Step(i.nomination_id, i.nomination.version, OUTCOME_LABELS[i.outcome])
                for i in s.items if i.outcome in ("failed", "quota_exceeded")]
    service.transition_many(session, actor, rejected, "reject_co_so", context=context, session_id=s.id)
    _emit(session, events.SessionClosed, s, actor, context, quorum_met=s.quorum_met, present=s.present_count,
          members=s.members_total, not_voted=ballots_in.not_voted,
          results={str(i.nomination_id): {"agree": i.agree, "disagree": i.disagree, "abstain": i.abstain,
                                          "entitled": i.entitled, "outcome": i.outcome} for i in s.items})
    del nominations
    return s


def _number_minutes(session: Session, s: CouncilSession) -> None:
    """The Biên bản's number, the next in its council's register for the year of the meeting (DOCUMENTS.md: numbers
    restart each year per body). The council's row is locked first, so two sessions of one council closing at once
    take two numbers; the unique constraint is the backstop."""
    session.scalars(select(Council.id).where(Council.id == s.council_id).with_for_update()).all()
    year = held_on(s).year  # the year the meeting was held, which the minutes' header prints
    last = session.scalar(select(func.max(CouncilSession.minutes_seq)).where(
        CouncilSession.council_id == s.council_id, CouncilSession.minutes_year == year))
    s.minutes_year, s.minutes_seq = year, (last or 0) + 1


def _judge(session: Session, s: CouncilSession, members: list[CouncilMember], tallies: dict[int, list[str]],
           opened: list[tuple[int, str]], live: list[AgendaItem]) -> None:
    """Each item's counts, share and outcome (threshold and quota included), set on the items."""
    member_keys = [_member_key(m.user) for m in members]
    for item in s.items:
        choices = tallies[item.id]
        opened.extend((item.id, c) for c in choices)
        counts = {c: choices.count(c) for c in ballots.CHOICES}
        n = item.nomination
        subject = (n.subject_type, n.subject_person_id, n.unit_id)
        recused = sum(1 for key in member_keys if _recusal(key, subject))
        item.agree, item.disagree, item.abstain = counts["agree"], counts["disagree"], counts["abstain"]
        item.recused, item.entitled = recused, len(members) - recused
        item.share = share(item.agree, item.entitled)
        if item.nomination.state != "submitted":
            item.outcome, item.outcome_note = None, "Hồ sơ không còn ở trạng thái Chờ Hội đồng xét khi kết thúc."
        elif not s.quorum_met:
            item.outcome = "no_quorum"
        else:
            live.append(item)
    if s.quorum_met:
        _apply_threshold_and_quota(session, s, live)


RESULT_COLUMNS = ("agree", "disagree", "abstain", "recused", "entitled", "share", "outcome", "outcome_note", "rank")
# PostgreSQL: every item's results from one array per column, one statement (an executemany is one UPDATE per item,
# each run by the server on its own: 500 for an agenda of 500).
_RESULT_TYPES = {"agree": "integer", "disagree": "integer", "abstain": "integer", "recused": "integer",
                 "entitled": "integer", "share": "numeric", "outcome": "varchar", "outcome_note": "text",
                 "rank": "integer"}
_WRITE_RESULTS_PG = (
    "UPDATE agenda_items SET " + ", ".join(f"{c} = v.{c}" for c in RESULT_COLUMNS)
    + " FROM unnest(CAST(%(item)s AS integer[]), "
    + ", ".join(f"CAST(%({c})s AS {_RESULT_TYPES[c]}[])" for c in RESULT_COLUMNS)
    + ") AS v(item, " + ", ".join(RESULT_COLUMNS) + ") WHERE agenda_items.id = v.item RETURNING 1")


def _write_results(session: Session, items: list[AgendaItem]) -> None:
    """The items' results in one statement (PostgreSQL), else one executemany UPDATE of every result column. The ORM
    would write each item with the columns that changed on it — several shapes of UPDATE interleaved, so one
    statement per item — and the values are set on the objects as loaded, so nothing is written twice."""
    if not items:
        return
    rows = [{"item": item.id, **{c: getattr(item, c) for c in RESULT_COLUMNS}} for item in items]
    if session.get_bind().dialect.name == "postgresql":
        plain.execute(session.connection(), _WRITE_RESULTS_PG, {c: [row[c] for row in rows] for c in rows[0]})
    else:
        table = AgendaItem.__table__
        session.execute(update(table).where(table.c.id == bindparam("item"))
                        .values({c: bindparam(c) for c in RESULT_COLUMNS}), rows)
    for item, row in zip(items, rows, strict=True):
        for c in RESULT_COLUMNS:
            set_committed_value(item, c, row[c])


def _load_people(session: Session, users: list[User]) -> None:
    """The members' people in one query, set on the users: the recusal rule reads `user.person` of every member
    (one lazy load each otherwise)."""
    ids = {u.person_id for u in users if u.person_id is not None}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    for u in users:
        if u.person_id in people:
            set_committed_value(u, "person", people[u.person_id])


def purge_ballot_remnants(engine, *, wait_ms: int = 1000) -> bool:
    """Best effort, after a close has committed and outside any transaction: removes the old versions of sealed slots
    from the database's files, so a closed session's ballot history cannot be read back even with BALLOT_KEY.
    PostgreSQL keeps every version of a slot (one per vote) as a dead tuple until a vacuum, and a plain VACUUM may
    leave their bytes in the page: `VACUUM FULL ballot_slots` rewrites the (small) table into a new file. SQLite
    zeroes deleted content (secure_delete) but keeps old pages in its write-ahead log until a checkpoint: the log is
    checkpointed and truncated. Waits at most `wait_ms` for locks; False when the table or the log was busy (run
    `dienhinh ballots purge` later). The WAL archives and backups of PostgreSQL are beyond its reach (README)."""
    table = BallotSlot.__tablename__
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f"SET lock_timeout = {int(wait_ms)}")
                try:
                    conn.exec_driver_sql(f"VACUUM FULL {table}")
                finally:
                    conn.exec_driver_sql("RESET lock_timeout")
            return True
        raw = engine.raw_connection()
        try:
            cursor = raw.driver_connection.cursor()  # autocommit (models.base): no BEGIN around the pragmas
            cursor.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
            try:
                busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                cursor.execute("PRAGMA busy_timeout=15000")
            return busy == 0
        finally:
            raw.close()
    except (DBAPIError, sqlite3.Error):
        return False


# How long the purge after a close may wait for its lock. A process-wide setting so that the test suite, whose
# rolled-back transaction always holds the table's lock, does not wait a full second in every close on PostgreSQL.
PURGE_AFTER_CLOSE_WAIT_MS = 1000


def purge_after_close(engine) -> None:
    """Called by the page and the API right after a close committed. PostgreSQL only: on SQLite the request still
    holds the write lock, so the log waits for `dienhinh ballots purge` (its deleted content is zeroed already)."""
    if engine.dialect.name == "postgresql":
        purge_ballot_remnants(engine, wait_ms=PURGE_AFTER_CLOSE_WAIT_MS)


def _apply_threshold_and_quota(session: Session, s: CouncilSession, items: list[AgendaItem]) -> None:
    threshold = s.council.pass_threshold
    for subject_type in ("collective", "individual"):
        group = [i for i in items if i.nomination.subject_type == subject_type]
        qualified = []
        for item in group:
            if item.share >= threshold:
                qualified.append(item)
            else:
                item.outcome = "failed"
        qualified.sort(key=lambda i: (-i.share, i.position))
        for rank, item in enumerate(qualified, start=1):
            item.rank = rank
        remaining = _remaining_quota(session, s, subject_type)
        if remaining is None or len(qualified) <= remaining:
            for item in qualified:
                item.outcome = "passed"
            continue
        if remaining == 0:
            for item in qualified:
                item.outcome, item.outcome_note = "quota_exceeded", "Chỉ tiêu của phong trào đã sử dụng hết."
            continue
        cut = qualified[remaining - 1].share
        above = [i for i in qualified if i.share > cut]
        at_cut = [i for i in qualified if i.share == cut]
        for item in qualified:
            if item.share > cut:
                item.outcome = "passed"
            elif item.share < cut:
                item.outcome, item.outcome_note = "quota_exceeded", f"Chỉ tiêu còn {remaining}; xếp hạng {item.rank}."
        if len(above) + len(at_cut) <= remaining:
            for item in at_cut:
                item.outcome = "passed"
        else:
            slots = remaining - len(above)
            for item in at_cut:
                item.outcome = "tie"
                item.outcome_note = (f"{len(at_cut)} hồ sơ bằng tỷ lệ {item.share:.2%} cho {slots} chỉ tiêu còn lại; "
                                     "Chủ tịch Hội đồng quyết định.")


def resolve_tie(session: Session, actor: Actor, session_id: int, nomination_ids, *,
                context: Context = CLI) -> CouncilSession:
    """The chair's decision on items tied at the quota's cut: the chosen pass, the others exceed the quota."""
    s = load_session(session, actor, session_id, for_update=True)
    _require(actor, s, "chair")
    tied = [i for i in s.items if i.outcome == "tie"]
    # The tied items' nominations locked (by id) before their states are read or any of them changes.
    service.lock_nominations(session, [i.nomination_id for i in tied])
    offers.enforce(check_resolve_tie(actor, s))
    if not isinstance(nomination_ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                                       for i in nomination_ids):
        raise ValidationFailed("Danh sách hồ sơ không hợp lệ.", ["Danh sách hồ sơ: chọn hồ sơ trong danh sách."])
    chosen = set(nomination_ids)
    tied_ids = {i.nomination_id for i in tied}
    reasons = [] if chosen <= tied_ids else ["Chỉ chọn trong số các hồ sơ bằng phiếu."]
    # Quotas are per subject type: ties of collectives and of individuals are each resolved with their own free slots.
    for subject_type in sorted({i.nomination.subject_type for i in tied}):
        remaining = _remaining_quota(session, s, subject_type) or 0
        already = sum(1 for i in s.items if i.outcome == "passed" and i.nomination.subject_type == subject_type
                      and i.nomination.state == "submitted")
        slots = max(remaining - already, 0)
        picked = chosen & {i.nomination_id for i in tied if i.nomination.subject_type == subject_type}
        if len(picked) != slots:
            kind = "tập thể" if subject_type == "collective" else "cá nhân"
            reasons.append(f"Chọn đúng {slots} hồ sơ {kind} trong số các hồ sơ {kind} bằng phiếu.")
    if reasons:
        raise ValidationFailed("Lựa chọn không hợp lệ.", reasons)
    for item in tied:
        if item.nomination_id in chosen:
            item.outcome, item.outcome_note = "passed", "Chủ tịch Hội đồng quyết định khi bằng phiếu."
        else:
            item.outcome, item.outcome_note = "quota_exceeded", "Chủ tịch Hội đồng quyết định khi bằng phiếu."
    session.flush()
    for item in tied:
        if item.outcome == "quota_exceeded":
            n = item.nomination
            service.transition(session, actor, n.id, "reject_co_so", n.version, context=context,
                               comment=OUTCOME_LABELS["quota_exceeded"], session_id=s.id)
    _emit(session, events.TieResolved, s, actor, context, chosen=tuple(sorted(chosen)), tied=tuple(sorted(tied_ids)))
    return s


def list_sessions(session: Session, actor: Actor, *, page: int, per_page: int, state: str | None = None):
    """The sessions the actor may see, newest first; `state`: one state of the session's lifecycle (another is
    refused, never read as "none")."""
    page, per_page = page_params(page, per_page)
    stmt = select(CouncilSession).where(policy.scope(actor, "council_session"))
    if state not in (None, ""):
        if state not in SESSION.states:
            raise ValidationFailed("Trạng thái phiên họp không hợp lệ.",
                                   [f"Trạng thái: {', '.join(SESSION.states)}."], {"state": "Không hợp lệ"})
        stmt = stmt.where(CouncilSession.state == state)
    return paginate(session, stmt, page, per_page, CouncilSession.date.desc(), CouncilSession.id.desc())
