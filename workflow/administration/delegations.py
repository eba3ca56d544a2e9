"""Delegations of signing: the director grants a deputy the signing for a period and ends it early (issue 14, item 8).

While a delegation is in force the deputy acts as director (`workflow.policy._delegated_now`, `Actor.on_behalf_of`)
and signs "KT. GIÁM ĐỐC" over "PHÓ GIÁM ĐỐC" (`workflow.documents.common`); this module only writes the periods.

The rules (DOMAIN.md, DOCUMENTS.md: a delegation is limited in time and not re-delegable):
- only the department's own director grants or ends (the policy's rows), never a deputy acting under a delegation;
- the deputy is an active user of the same department, neither the director nor one holding the director role;
- the period starts today or later and ends on or after its start (so never in the past);
- no two delegations in force or to come overlap for the same director, nor for the same deputy (a deputy signs
  for one director at a time, and the director's absence is one period);
- ending one in force sets its last day to today and takes it out of force at once; ending one not yet started
  cancels it; a delegation ended (or whose period has run) cannot be ended again (409).

Like every service: a session and an actor, a DomainError when refused, one event, never a commit.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from models import Delegation, User, UserRole
from workflow import clock, events, inputs, policy, signals
from workflow.context import CLI, Context
from workflow.errors import Conflict, DomainError, Forbidden, ValidationFailed
from workflow.nominations.queries import Page, page_params, paginate
from workflow.offers import Offer, enforce, offer
from workflow.policy import Actor

ACTIVE, UPCOMING, ENDED = "active", "upcoming", "ended"
STATE_LABELS = {ACTIVE: "Đang hiệu lực", UPCOMING: "Sắp tới", ENDED: "Đã kết thúc"}
DEPUTY_TITLE = "PHÓ GIÁM ĐỐC"
END_LABEL = "Kết thúc ủy quyền"
NOT_REDELEGABLE = "Người đang được ủy quyền ký không được ủy quyền lại hoặc kết thúc ủy quyền (chỉ Giám đốc Sở)."


def state_of(d: Delegation, today: dt.date | None = None) -> str:
    """"active" (in force today), "upcoming" (starts later) or "ended" (ended early, cancelled, or its period run):
    the same test as `policy._delegated_now`, for one loaded row."""
    today = today or clock.today()
    if d.ended_at is not None or d.ends_on < today:
        return ENDED
    return UPCOMING if d.starts_on > today else ACTIVE


def end_note(d: Delegation) -> str | None:
    """How a delegation ended early, for the list: cancelled before its first day, or ended on a given day."""
    if d.ended_at is None:
        return None
    ended_on = d.ended_at.astimezone(clock.TZ).date()
    return "Đã hủy trước khi bắt đầu" if ended_on < d.starts_on else f"Kết thúc sớm ngày {_fmt(ended_on)}"


def _fmt(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


# ------------------------------------------------------------------------------------------------ read models
def list_delegations(session: Session, actor: Actor, *, page=None, per_page=None) -> Page:
    """The delegations `actor` may read (policy scope), newest period first."""
    page, per_page = page_params(page, per_page)
    stmt = select(Delegation).where(policy.scope(actor, "delegation"))
    return paginate(session, stmt, page, per_page, Delegation.starts_on.desc(), Delegation.id.desc(),
                    options=(selectinload(Delegation.director), selectinload(Delegation.deputy)))


def load(session: Session, actor: Actor, delegation_id, *, for_update: bool = False) -> Delegation:
    return policy.load(session, actor, "delegation", delegation_id, for_update=for_update)


def deputy_choices(session: Session, actor: Actor) -> list[User]:
    """Whom the director may choose: the active users of the department other than the director and any user holding
    the director role as head (a deputy director, `UserRole.deputy`, is the usual choice): the form's list, and the
    rule `grant` checks."""
    if actor.department_id is None:
        return []
    directors = select(UserRole.user_id).where(UserRole.role == policy.DELEGATED_ROLE, UserRole.deputy.is_(False))
    return list(session.scalars(
        select(User).where(User.department_id == actor.department_id, User.active.is_(True), User.id != actor.id,
                           User.id.not_in(directors)).order_by(User.full_name, User.id)))


# ------------------------------------------------------------------------------------------------ checks
def check_grant(actor: Actor) -> DomainError | None:
    """Who may grant: the department's director (the policy), not a deputy acting under a delegation."""
    if refusal := policy.refusal(actor, "grant", "delegation", department_id=actor.department_id,
                                 detail="Không có quyền ủy quyền ký."):
        return refusal
    if actor.on_behalf_of is not None:
        return Forbidden("Không có quyền ủy quyền ký.", [NOT_REDELEGABLE])
    return None


def _who_ends(actor: Actor, d: Delegation) -> DomainError | None:
    if refusal := policy.refusal(actor, "end", d, detail="Không có quyền kết thúc ủy quyền này."):
        return refusal
    if actor.on_behalf_of is not None:
        return Forbidden("Không có quyền kết thúc ủy quyền này.", [NOT_REDELEGABLE])
    return None


def check_end(actor: Actor, d: Delegation, today: dt.date | None = None) -> DomainError | None:
    if refusal := _who_ends(actor, d):
        return refusal
    if state_of(d, today) == ENDED:
        return Conflict("Ủy quyền này đã kết thúc.", [
            "Ủy quyền đã được kết thúc trước đó; không thể kết thúc lần nữa." if d.ended_at is not None
            else f"Thời gian ủy quyền đã hết từ sau ngày {_fmt(d.ends_on)}."])
    return None


def available_actions(actor: Actor, d: Delegation) -> list[Offer]:
    today = clock.today()
    end = offer("end", END_LABEL, _who_ends(actor, d), lambda: check_end(actor, d, today), irreversible=True)
    return [o for o in (end,) if o is not None]


def _overlapping(session: Session, *, director_id: int, deputy_id: int, starts_on: dt.date, ends_on: dt.date):
    return session.scalars(
        select(Delegation).where(or_(Delegation.director_id == director_id, Delegation.deputy_id == deputy_id),
                                 Delegation.ended_at.is_(None), Delegation.starts_on <= ends_on,
                                 Delegation.ends_on >= starts_on)
        .order_by(Delegation.starts_on).options(selectinload(Delegation.deputy)).limit(1)).first()


# ------------------------------------------------------------------------------------------------ operations
def grant(session: Session, actor: Actor, data: dict, *, context: Context = CLI) -> Delegation:
    """The director delegates signing to `deputy_id` from `starts_on` to `ends_on` (dd/mm/yyyy or ISO)."""
    enforce(check_grant(actor))
    # One grant at a time per director: the overlap rule below reads what a concurrent grant would write.
    session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    today = clock.today()
    form = inputs.Form("Chưa ủy quyền được: thông tin chưa hợp lệ.")
    deputy_id = form.integer("deputy_id", data.get("deputy_id"), required=True, minimum=1)
    starts_on = form.date("starts_on", data.get("starts_on"), required=True)
    ends_on = form.date("ends_on", data.get("ends_on"), required=True)
    deputy = session.get(User, deputy_id) if deputy_id is not None else None
    if deputy_id is not None:
        if deputy is None or deputy.department_id != actor.department_id:
            form.add("deputy_id", "Người được ủy quyền phải là người có tài khoản thuộc Sở.")
        elif deputy.id == actor.id:
            form.add("deputy_id", "Không thể tự ủy quyền cho chính mình.")
        elif policy.DELEGATED_ROLE in deputy.role_codes and not deputy.is_deputy:
            form.add("deputy_id", "Người được ủy quyền không được là Giám đốc Sở.")
        elif not deputy.active:
            form.add("deputy_id", "Tài khoản của người được ủy quyền đã bị khóa.")
    if starts_on is not None and starts_on < today:
        form.add("starts_on", f"Ngày bắt đầu không được trước hôm nay ({_fmt(today)}).")
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        form.add("ends_on", "Ngày kết thúc không được trước ngày bắt đầu.")
    elif ends_on is not None and ends_on < today:
        form.add("ends_on", f"Ngày kết thúc không được trước hôm nay ({_fmt(today)}).")
    form.check()
    clash = _overlapping(session, director_id=actor.id, deputy_id=deputy.id, starts_on=starts_on, ends_on=ends_on)
    if clash is not None:
        who = "Giám đốc Sở đã ủy quyền" if clash.director_id == actor.id else "Người này đã được ủy quyền"
        raise ValidationFailed("Thời gian ủy quyền trùng với một ủy quyền khác.", [
            f"{who} cho {clash.deputy.full_name} từ {_fmt(clash.starts_on)} đến {_fmt(clash.ends_on)}: "
            "hãy chọn thời gian khác hoặc kết thúc ủy quyền đó trước."], {"starts_on": "Trùng thời gian ủy quyền."})
    d = Delegation(department_id=actor.department_id, director_id=actor.id, deputy_id=deputy.id,
                   starts_on=starts_on, ends_on=ends_on, deputy_title=DEPUTY_TITLE)
    d.director, d.deputy = actor.user, deputy
    session.add(d)
    session.flush()
    signals.emit(session, events.DelegationGranted(delegation=d, actor=actor, context=context))
    return d


def end(session: Session, actor: Actor, delegation_id, *, context: Context = CLI) -> Delegation:
    """Ends a delegation: in force, its last day becomes today and it stops at once; not yet started, it is
    cancelled. Refused (409) when it has already ended."""
    d = load(session, actor, delegation_id, for_update=True)
    today = clock.today()
    enforce(check_end(actor, d, today))
    before, cancelled = d.ends_on, d.starts_on > today
    if not cancelled:
        d.ends_on = today
    d.ended_at = clock.now()
    d.ended_by_id = actor.id
    session.flush()
    signals.emit(session, events.DelegationEnded(delegation=d, ends_on_before=before, cancelled=cancelled,
                                                 actor=actor, context=context))
    return d

