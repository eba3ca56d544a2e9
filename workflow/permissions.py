"""Who may do what, with scope. Every view, API endpoint and CLI command reaches these through the services.

Scope: admin, auditor and ministry_reviewer see across departments; secretariat, director, council_member and
editor see their department; unit_head sees their unit; staff see the nominations of which they are the subject.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from models import Delegation, Nomination, User
from workflow import clock

DEPARTMENT_ROLES = ("secretariat", "director", "council_member", "editor")
GLOBAL_READERS = ("admin", "auditor")
MINISTRY_VISIBLE_STATES = ("evaluated_co_so", "proposed_nganh", "recognized", "revoked")
EDITABLE_STATES = ("registered", "nurtured")


@dataclass(frozen=True)
class Actor:
    """A user as the workflow sees them: roles include those held through a signing delegation."""

    user: User
    roles: frozenset[str]
    on_behalf_of: User | None = None  # the director, when a deputy acts under delegation
    delegation_title: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def department_id(self) -> int | None:
        return self.user.department_id

    @property
    def unit_id(self) -> int | None:
        return self.user.unit_id

    @property
    def person_id(self) -> int | None:
        return self.user.person_id

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def actor_for(session: Session, user: User, today: dt.date | None = None) -> Actor:
    roles = set(user.role_codes)
    on_behalf_of = None
    title = None
    today = today or clock.today()
    delegation = session.scalars(
        select(Delegation).where(
            Delegation.deputy_id == user.id, Delegation.starts_on <= today, Delegation.ends_on >= today
        )
    ).first()
    if delegation is not None and "director" not in roles:
        roles.add("director")
        on_behalf_of = delegation.director
        title = delegation.deputy_title
    return Actor(user=user, roles=frozenset(roles), on_behalf_of=on_behalf_of, delegation_title=title)


def visibility_clause(actor: Actor):
    """The WHERE clause that limits nominations to what `actor` may read. One place, used by every query."""
    if actor.has(*GLOBAL_READERS):
        return None
    clauses = []
    if actor.has(*DEPARTMENT_ROLES) and actor.department_id is not None:
        clauses.append(Nomination.department_id == actor.department_id)
    if actor.has("unit_head") and actor.unit_id is not None:
        clauses.append(Nomination.unit_id == actor.unit_id)
    if actor.has("ministry_reviewer"):
        clauses.append(Nomination.state.in_(MINISTRY_VISIBLE_STATES))
    if actor.person_id is not None:
        clauses.append(and_(Nomination.subject_type == "individual", Nomination.subject_person_id == actor.person_id))
    return or_(*clauses) if clauses else false()


def can_view(actor: Actor, n: Nomination) -> bool:
    if actor.has(*GLOBAL_READERS):
        return True
    if actor.has(*DEPARTMENT_ROLES) and actor.department_id == n.department_id:
        return True
    if actor.has("unit_head") and actor.unit_id == n.unit_id:
        return True
    if actor.has("ministry_reviewer") and n.state in MINISTRY_VISIBLE_STATES:
        return True
    return actor.person_id is not None and n.subject_person_id == actor.person_id


def _in_scope(actor: Actor, role: str, department_id: int | None, unit_id: int | None) -> bool:
    if not actor.has(role):
        return False
    if role == "unit_head":
        return actor.unit_id is not None and actor.unit_id == unit_id
    if role == "ministry_reviewer":
        return True
    return actor.department_id is not None and actor.department_id == department_id


def is_subject(actor: Actor, n: Nomination) -> bool:
    return n.subject_type == "individual" and actor.person_id is not None and actor.person_id == n.subject_person_id


def action_refusals(actor: Actor, n: Nomination, roles: tuple[str, ...]) -> list[str]:
    """Reasons `actor` may not act on `n` with one of `roles` (empty: allowed). Vietnamese, shown to the user."""
    if not any(_in_scope(actor, r, n.department_id, n.unit_id) for r in roles):
        return ["Tài khoản không có vai trò hoặc phạm vi được thực hiện thao tác này đối với hồ sơ."]
    if is_subject(actor, n):
        return ["Không được thực hiện thao tác trên hồ sơ mà mình là đối tượng được đề nghị."]
    return []


def can_register(actor: Actor, department_id: int | None, unit_id: int) -> list[str]:
    if any(_in_scope(actor, r, department_id, unit_id) for r in ("unit_head", "secretariat")):
        return []
    return ["Chỉ Thủ trưởng đơn vị (đối với đơn vị mình) hoặc Văn phòng Sở được đăng ký điển hình."]


def edit_refusals(actor: Actor, n: Nomination) -> list[str]:
    reasons = action_refusals(actor, n, ("unit_head", "secretariat"))
    if not reasons and n.state not in EDITABLE_STATES:
        reasons.append("Hồ sơ chỉ được chỉnh sửa khi ở trạng thái Đã đăng ký hoặc Đang bồi dưỡng.")
    return reasons
