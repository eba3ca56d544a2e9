"""One policy: who may do what to which object, in which scope, and why not — for every object of the system.

The table `POLICY` maps `(object type, verb)` to a `Rule`: the grants (roles and the scope each role acts in) and the
Vietnamese reason shown when none applies. Everything else asks this module:

- `can(actor, verb, obj_or_type, **target)` answers a `Decision` (truthy when allowed, with the reasons otherwise);
  pages, menus, buttons and the API ask it and hold no role list of their own;
- `require(...)` raises `Forbidden` with those reasons; services call it before they act;
- `scope(actor, type)` is the SQL clause of what the actor may read of a type; `load()` and every list of that type
  use it, so what a user can open and what they can list are the same by construction;
- `holders(type, verb, **target)` is the query of the active users a grant reaches: who must be told.

Publicity (issue 14): while a council session's list is public for comments, every account of the department reads
the public part of each dossier on it — the LISTED scope of ("nomination", "view"), so the nomination list, the
detail page and the API open the same dossiers. What a dossier shows beyond its public part (criteria, history,
check-ins, the nurture plan, internal attachments) is ("nomination", "view_dossier"): the grants readers had before.

DOMAIN.md "Who uses it": `admin`, `auditor` and `ministry_reviewer` act across departments; every other role is
scoped to one department, `unit_head` (and `staff`) to one unit. Role names appear here, in the role definitions
(models/accounts.py, workflow/labels.py) and in the demo data only (a test greps the tree for them).
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, exists, false, func, inspect, or_, select, true
from sqlalchemy.orm import Session, joinedload, object_session
from sqlalchemy.orm.exc import DetachedInstanceError

from models import (
    AgendaItem,
    Campaign,
    Council,
    CouncilSession,
    DecisionItem,
    Delegation,
    MonthlyIntroduction,
    Nomination,
    Notification,
    Person,
    PropagandaTheme,
    Proposal,
    Story,
    Unit,
    UnitSuccessor,
    User,
    UserRole,
)
from models import Decision as Recognition  # `Decision` here is the policy's answer
from models.accounts import ROLES
from models.plain import PlainLoad, inner_join
from workflow import clock
from workflow.errors import Forbidden, NotFound
from workflow.nominations.machine import MINISTRY_VISIBLE_STATES, RECOGNISED_STATES

# ------------------------------------------------------------------------------------------------ roles and scopes
ADMIN, AUDITOR, MINISTRY = "admin", "auditor", "ministry_reviewer"
SECRETARIAT, DIRECTOR, MEMBER, EDITOR = "secretariat", "director", "council_member", "editor"
UNIT_HEAD, STAFF = "unit_head", "staff"
DEPARTMENT_ROLES = (SECRETARIAT, DIRECTOR, MEMBER, EDITOR)
GLOBAL_READERS = (ADMIN, AUDITOR)
ACROSS_DEPARTMENTS = (ADMIN, AUDITOR, MINISTRY)
# The role a delegation lends a deputy for its period (actor_for).
DELEGATED_ROLE = DIRECTOR
# Why a deputy director (the director role held as a deputy: `UserRole.deputy`) is refused a signing verb.
UNDELEGATED_DEPUTY = ("Phó Giám đốc Sở chỉ ký khi được Giám đốc Sở ủy quyền (ký thay: KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC); "
                      "hiện không có ủy quyền ký đang hiệu lực.")

ALL, DEPARTMENT, UNIT, SUBJECT, OWN = "all", "department", "unit", "subject", "own"
# PUBLISHED: published and of the actor's department; PUBLIC: published, for anyone (even without an account).
PUBLISHED, PUBLIC = "published", "public"
# LISTED: on the list of a council session of the actor's department whose publicity period runs now.
LISTED = "listed"
ANYONE = None  # a grant open to every signed-in account, whatever its roles

# Which units a role's scope may be set to when an account is created (one rule for the CLI and the admin pages).
UNIT_SCOPED_ROLES = (UNIT_HEAD, SECRETARIAT, DIRECTOR, MEMBER, EDITOR, STAFF)
HEAD_UNIT_KINDS = ("division", "district_office")
ROLE_SCOPES = {ADMIN: ALL, AUDITOR: ALL, MINISTRY: ALL, SECRETARIAT: DEPARTMENT, DIRECTOR: DEPARTMENT,
               MEMBER: DEPARTMENT, EDITOR: DEPARTMENT, UNIT_HEAD: UNIT, STAFF: UNIT}
assert set(ROLE_SCOPES) == set(ROLES)


def _predecessors_on(session: Session | None, unit_id: int, today: dt.date) -> list[int]:
    """The predecessors of `unit_id` whose records it inherits, transitively, by changes in effect on `today`."""
    if session is None:
        return []
    found: list[int] = []
    frontier, seen = [unit_id], {unit_id}
    while frontier:
        rows = session.scalars(select(UnitSuccessor.predecessor_id).where(
            UnitSuccessor.successor_id.in_(frontier), UnitSuccessor.inherits_records.is_(True),
            UnitSuccessor.effective_date <= today).order_by(UnitSuccessor.predecessor_id)).all()
        frontier = [r for r in rows if r not in seen]
        seen.update(frontier)
        found += frontier
    return found


class Who(NamedTuple):
    """A caller's own columns, read with its API token in one plain statement (`caller_columns`): everything the scope
    and the permissions read of the user, without building an ORM User on every API request."""

    id: int
    username: str
    full_name: str
    email: str | None
    department_id: int | None
    unit_id: int | None
    person_id: int | None
    unit_closed_on: dt.date | None
    unit_has_predecessors: bool
    unit_name: str | None
    own_roles: frozenset[str]  # the roles the user holds, without one lent by a delegation (the header lists these)


@dataclass(frozen=True)
class Actor:
    """A user as the workflow sees them: roles include those held through a signing delegation.

    `deputy`: the user holds the director role as a deputy (Phó Giám đốc). A deputy reads what the director reads, but
    signs (the grants marked `signs`) only while a delegation is in force, and then for the director (`on_behalf_of`,
    "KT. GIÁM ĐỐC").

    Built from an ORM User (`actor_for`, a page's caller) or from a Who (an API token's caller): then `user`, which
    few paths need (a delegation's director, a member's recusal), is loaded from the session on first use."""

    loaded_user: User | None
    roles: frozenset[str]
    on_behalf_of: User | None = None  # the director, when a deputy acts under delegation
    delegation_title: str | None = None
    extra: dict = field(default_factory=dict)
    deputy: bool = False
    who: Who | None = None
    session: Session | None = field(default=None, repr=False, compare=False)

    @property
    def user(self) -> User:
        if self.loaded_user is not None:
            return self.loaded_user
        user = self.extra.get("user")
        if user is None:
            user = self.session.get(User, self.who.id)  # the identity map's, else one statement
            self.extra["user"] = user
        return user

    @property
    def profile(self) -> Who | User:
        """The user's own columns as recorded (id, username, full_name, email, department_id, unit_id, person_id):
        the Who the caller came with, else the ORM User."""
        return self.who if self.who is not None else self.user

    @property
    def signs(self) -> bool:
        """May hold a signing grant: anyone but a deputy without a delegation in force."""
        return not self.deputy or self.on_behalf_of is not None

    @property
    def id(self) -> int:
        return self.profile.id

    @property
    def username(self) -> str:
        return self.profile.username

    @property
    def department_id(self) -> int | None:
        return self.profile.department_id

    def _unit(self) -> tuple[dt.date | None, bool]:
        """The user's unit's closing date and whether it has predecessors (as recorded when the unit was never
        loaded and the actor outlived its session)."""
        if self.who is not None:
            return self.who.unit_closed_on, self.who.unit_has_predecessors
        try:
            unit = self.user.unit
        except DetachedInstanceError:  # an actor kept past its session (its unit never loaded): as recorded
            return None, False
        return getattr(unit, "closed_on", None), getattr(unit, "has_predecessors", False)

    @property
    def unit_id(self) -> int | None:
        """The unit of a unit-scoped role; None once that unit has closed (merged, split, dissolved: issue 16): its
        head loses the scope on the effective date, while the successor's head holds the nominations that moved."""
        unit_id = self.profile.unit_id
        if unit_id is None:
            return None
        closed_on, _ = self._unit()
        if closed_on is not None and closed_on <= clock.today():
            return None
        return unit_id

    @property
    def unit_ids(self) -> tuple[int, ...]:
        """The units a unit-scoped role reaches: its own and, once a merger (or a split, a close with a successor)
        has taken effect, the predecessors whose records the unit inherits — their scope passed to its head. One
        query, only for a unit that has predecessors (`Unit.has_predecessors`), once per actor and day."""
        unit_id = self.unit_id
        if unit_id is None:
            return ()
        if not self._unit()[1]:
            return (unit_id,)
        today = clock.today()
        cached = self.extra.get("unit_ids")
        if cached is None or cached[0] != today:
            session = self.session if self.session is not None else object_session(self.user)
            cached = (today, (unit_id, *_predecessors_on(session, unit_id, today)))
            self.extra["unit_ids"] = cached
        return cached[1]

    @property
    def person_id(self) -> int | None:
        return self.profile.person_id

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def _delegated_now(user_id, today):
    """The one rule of a delegation in force: `user_id` is its deputy, `today` lies within its period and the director
    has not ended it (ended today, it stops at once, not at midnight)."""
    return and_(Delegation.deputy_id == user_id, Delegation.starts_on <= today, Delegation.ends_on >= today,
                Delegation.ended_at.is_(None))


def actor_for(session: Session, user: User, today: dt.date | None = None) -> Actor:
    """The Actor of a user already loaded (its roles from `user.roles`, one query for the delegation in force)."""
    today = today or clock.today()
    delegation = session.scalars(select(Delegation).where(_delegated_now(user.id, today))
                                 .order_by(Delegation.id).limit(1)).first()
    return _actor(user, set(user.role_codes), delegation)


def _actor(user: User | None, roles: set[str], delegation: Delegation | None, *, deputy: bool | None = None,
           who: Who | None = None, session: Session | None = None) -> Actor:
    """A delegation in force makes its deputy act for the director: the director role is lent to one who lacks it,
    and a deputy director (who holds it already, without signing) signs for the director. The head director never
    acts under a delegation (the service refuses them as a deputy)."""
    on_behalf_of = None
    title = None
    deputy = user.is_deputy if deputy is None else deputy
    if delegation is not None and (deputy or DELEGATED_ROLE not in roles):
        roles.add(DELEGATED_ROLE)
        on_behalf_of = delegation.director
        title = delegation.deputy_title
    return Actor(loaded_user=user, roles=frozenset(roles), on_behalf_of=on_behalf_of, delegation_title=title,
                 deputy=deputy, who=who, session=session)


def caller_columns(*columns, today) -> Select:
    """The statement a request's caller is loaded with, one row per role: the user's own columns (a `Who`), the unit's
    closing date, predecessors and name, the role and whether it is held as a deputy, the delegation in force, then
    `columns`. Add the FROM and WHERE that find the user (a token's hash, a session's secret) and read its rows, plain
    (`models.plain.PlainSelect`), with `actor_from_columns`. One statement instead of four (user, roles, delegation,
    then the unit the page header shows), and no ORM object built: `Actor.user` loads the User if a path needs it."""
    delegation = (select(Delegation.id).where(_delegated_now(User.id, today)).order_by(Delegation.id).limit(1)
                  .correlate(User).scalar_subquery().label("delegation_id"))
    return (select(User.id, User.username, User.full_name, User.email, User.department_id, User.unit_id,
                   User.person_id, Unit.closed_on, func.coalesce(Unit.has_predecessors, false()), Unit.name,
                   UserRole.role, UserRole.deputy, delegation, *columns)
            .select_from(User).outerjoin(UserRole, UserRole.user_id == User.id)
            .outerjoin(Unit, Unit.id == User.unit_id))


# Where `caller_columns` puts what it reads: a Who's columns (all but `own_roles`, gathered from the rows), then the
# role, whether it is held as a deputy, the delegation in force; the caller's own `columns` from CALLER_COLUMNS on.
_WHO_COLUMNS = len(Who._fields) - 1
_ROLE, _DEPUTY, _DELEGATION = _WHO_COLUMNS, _WHO_COLUMNS + 1, _WHO_COLUMNS + 2
CALLER_COLUMNS = _WHO_COLUMNS + 3


def actor_from_columns(session: Session, rows: list[tuple]) -> Actor:
    """The Actor of the rows of a `caller_columns` statement (one per role; a user without roles gives one row)."""
    first = rows[0]
    roles = {r[_ROLE] for r in rows if r[_ROLE] is not None}
    deputy = any(r[_DEPUTY] for r in rows if r[_ROLE] is not None)
    who = Who(*first[:_WHO_COLUMNS], own_roles=frozenset(roles))
    delegation = session.get(Delegation, first[_DELEGATION]) if first[_DELEGATION] is not None else None
    return _actor(None, roles, delegation, deputy=deputy, who=who, session=session)


# ------------------------------------------------------------------------------------------------ where objects sit
@dataclass(frozen=True)
class Kind:
    """Where an object of one type sits, in Python (for `can` on a loaded object) and in SQL (for `scope`)."""

    model: Any
    not_found: str
    departments: Callable[[Any], set] = lambda o: {getattr(o, "department_id", None)}
    department_sql: Callable[[int], Any] | None = None
    unit: Callable[[Any], Any] = lambda o: getattr(o, "unit_id", None)
    unit_sql: Callable[[int], Any] | None = None
    subject: Callable[[Any], Any] = lambda o: None
    subject_sql: Callable[[int], Any] | None = None
    owners: Callable[[Any], set] = lambda o: {getattr(o, "user_id", None)}
    owner_sql: Callable[[int], Any] | None = None
    published: Callable[[Any], bool] = lambda o: False
    published_sql: Callable[[], Any] | None = None
    listed: Callable[[Any, int, dt.datetime], bool] = lambda o, dep, now: False
    listed_sql: Callable[[Any, Any], Any] | None = None


def _col(model, name):
    return (lambda value: getattr(model, name) == value) if model is not None and hasattr(model, name) else None


def _kind(model, not_found, **kw) -> Kind:
    kw.setdefault("department_sql", _col(model, "department_id"))
    kw.setdefault("unit_sql", _col(model, "unit_id"))
    kw.setdefault("owner_sql", _col(model, "user_id"))
    return Kind(model, not_found, **kw)


def _decision_departments(d) -> set:
    """The issuer's department and, for a Minister's decision, every department with an item in it."""
    deps = {getattr(d, "issuer_id", None)}
    if getattr(d, "level", None) == "nganh":
        deps |= {i.nomination.department_id for i in d.items}
    return deps


def _decision_department_sql(dep: int):
    return or_(Recognition.issuer_id == dep, and_(Recognition.level == "nganh", exists().where(
        DecisionItem.decision_id == Recognition.id, DecisionItem.nomination_id == Nomination.id,
        Nomination.department_id == dep)))


def _decision_units(d) -> set:
    return {i.nomination.unit_id for i in d.items}


def _decision_subjects(d) -> set:
    return {_individual_subject(i.nomination) for i in d.items} - {None}


def _decision_item_sql(*where):
    return exists().where(DecisionItem.decision_id == Recognition.id, DecisionItem.nomination_id == Nomination.id,
                          *where)


def _unit_departments(u) -> set:
    return {getattr(u, "department_id", None), getattr(u, "id", None)}


def _person_departments(p) -> set:
    unit = getattr(p, "unit", None)
    return _unit_departments(unit) if unit is not None else {getattr(p, "department_id", None)}


def _person_department_sql(dep: int):
    return exists().where(Unit.id == Person.unit_id, or_(Unit.department_id == dep, Unit.id == dep))


def _story_public(story) -> bool:
    return story.state == "published" and story.nomination is not None \
        and story.nomination.state in RECOGNISED_STATES


def _story_public_sql():
    return and_(Story.state == "published", exists().where(Nomination.id == Story.nomination_id,
                                                           Nomination.state.in_(RECOGNISED_STATES)))


def publicity_running(now):
    """The one rule of a running publicity period, on CouncilSession: published, and `now` not past the end of the
    comments (the council's service refuses a comment by the same bounds)."""
    return and_(CouncilSession.published_at.is_not(None), CouncilSession.published_at <= now,
                CouncilSession.comments_until >= now)


def _listed_sql(dep, now):
    """Nominations of department `dep` on a session of `dep` whose publicity runs at `now`."""
    return and_(Nomination.department_id == dep, exists().where(
        AgendaItem.nomination_id == Nomination.id, CouncilSession.id == AgendaItem.session_id,
        CouncilSession.department_id == dep, publicity_running(now)))


def _listed(n, dep, now) -> bool:
    """`_listed_sql` for a loaded nomination, asked of its own session (a nomination has no agenda relationship)."""
    state = inspect(n, raiseerr=False)  # a namespace of `can(..., department_id=...)` is listed nowhere
    session = state.session if state is not None else None
    if session is None or n.id is None or n.department_id != dep:
        return False
    return session.scalar(select(_listed_sql(dep, now)).where(Nomination.id == n.id).select_from(Nomination)) \
        is True


def _individual_subject(n):
    return n.subject_person_id if getattr(n, "subject_type", None) == "individual" else None


KINDS: dict[str, Kind] = {
    "nomination": _kind(Nomination, "Không tìm thấy hồ sơ.", subject=_individual_subject,
                        subject_sql=lambda p: and_(Nomination.subject_type == "individual",
                                                   Nomination.subject_person_id == p),
                        listed=_listed, listed_sql=_listed_sql),
    "council": _kind(Council, "Không tìm thấy Hội đồng."),
    "council_session": _kind(CouncilSession, "Không tìm thấy phiên họp.",
                             published=lambda s: s.published_at is not None,
                             published_sql=lambda: CouncilSession.published_at.is_not(None)),
    "ballot": _kind(None, "Không tìm thấy phiên họp."),
    "decision": _kind(Recognition, "Không tìm thấy quyết định.", departments=_decision_departments,
                      department_sql=_decision_department_sql, unit=_decision_units,
                      unit_sql=lambda u: _decision_item_sql(Nomination.unit_id == u), subject=_decision_subjects,
                      subject_sql=lambda p: _decision_item_sql(Nomination.subject_type == "individual",
                                                               Nomination.subject_person_id == p)),
    "proposal": _kind(Proposal, "Không tìm thấy tờ trình."),
    "story": _kind(Story, "Không tìm thấy bài viết.", published=_story_public, published_sql=_story_public_sql),
    "introduction": _kind(MonthlyIntroduction, "Không tìm thấy bản ghi giới thiệu điển hình."),
    "theme": _kind(PropagandaTheme, "Không tìm thấy chủ đề tuyên truyền."),
    "report": _kind(None, "Không tìm thấy báo cáo."),
    "audit": _kind(None, "Không tìm thấy nhật ký."),
    "metrics": _kind(None, "Không tìm thấy."),
    "unit": _kind(Unit, "Không tìm thấy đơn vị.", departments=_unit_departments,
                  department_sql=lambda dep: or_(Unit.department_id == dep, Unit.id == dep),
                  unit=lambda u: getattr(u, "id", None), unit_sql=lambda unit: Unit.id == unit),
    "person": _kind(Person, "Không tìm thấy cá nhân.", departments=_person_departments,
                    department_sql=_person_department_sql),
    "user": _kind(User, "Không tìm thấy tài khoản.", owners=lambda u: {getattr(u, "id", None)},
                  owner_sql=lambda uid: User.id == uid),
    "campaign": _kind(Campaign, "Không tìm thấy phong trào thi đua."),
    "calendar": _kind(None, "Không tìm thấy lịch làm việc."),
    "administration": _kind(None, "Không tìm thấy."),
    "delegation": _kind(Delegation, "Không tìm thấy ủy quyền.", owners=lambda d: {d.director_id, d.deputy_id},
                        owner_sql=lambda uid: or_(Delegation.director_id == uid, Delegation.deputy_id == uid)),
    "notification": _kind(Notification, "Không tìm thấy thông báo."),
}


# ------------------------------------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Grant:
    roles: frozenset[str] | None  # None: any signed-in account
    scope: str = ALL
    states: tuple[str, ...] = ()  # only on objects in these states
    # A signing act of the department's head (decisions, Tờ trình, the director's own calls): a deputy director holds
    # it only under a delegation in force (`Actor.signs`); `holders` never counts a deputy for it.
    signs: bool = False


@dataclass(frozen=True)
class Rule:
    grants: tuple[Grant, ...]
    reason: str
    not_subject: bool = False  # nobody acts on a nomination of which they are the subject (DOMAIN.md)


def _g(roles, scope=ALL, states=(), *, signs: bool = False) -> Grant:
    return Grant(None if roles is ANYONE else frozenset((roles,) if isinstance(roles, str) else roles), scope,
                 tuple(states), signs)


def _signs(roles, scope=ALL, states=()) -> Grant:
    """A grant of a signing act: the head (the director, not a deputy), or a deputy while a delegation runs."""
    return _g(roles, scope, states, signs=True)


def _rule(reason, *grants, not_subject=False) -> Rule:
    return Rule(tuple(grants), reason, not_subject)


_NOM_ACTION = "Tài khoản không có vai trò hoặc phạm vi được thực hiện thao tác này đối với hồ sơ."
_ADMIN_ONLY = "Chỉ quản trị hệ thống được thực hiện chức năng này."
_SEC_ONLY = "Chỉ Văn phòng Sở (Thường trực Hội đồng) của Sở được thực hiện."
_DIR_ONLY = "Chỉ Giám đốc Sở (Chủ tịch Hội đồng) của Sở được thực hiện."


def _nomination_trigger(*grants) -> Rule:
    return _rule(_NOM_ACTION, *grants, not_subject=True)


_DOSSIER_READERS = (_g(GLOBAL_READERS), _g(DEPARTMENT_ROLES, DEPARTMENT), _g(UNIT_HEAD, UNIT),
                    _g(MINISTRY, ALL, MINISTRY_VISIBLE_STATES), _g(ANYONE, SUBJECT))

POLICY: dict[tuple[str, str], Rule] = {
    # ---- nominations (the triggers carry the `who` column of DOMAIN.md's lifecycle table)
    # Open and list: the dossier's readers, and during a publicity period every account of the department (its
    # public part: title, subject, unit, achievements, initiatives, attachments not marked internal).
    ("nomination", "view"): _rule("Không có quyền xem hồ sơ này.", *_DOSSIER_READERS, _g(ANYONE, LISTED)),
    # The whole dossier beyond its public part; statistics count what their reader holds this for.
    ("nomination", "view_dossier"): _rule("Chỉ xem được phần công khai của hồ sơ.", *_DOSSIER_READERS),
    ("nomination", "create"): _rule(
        "Chỉ Thủ trưởng đơn vị (đối với đơn vị mình) hoặc Văn phòng Sở được đăng ký điển hình.",
        _g(UNIT_HEAD, UNIT), _g(SECRETARIAT, DEPARTMENT)),
    ("nomination", "edit"): _rule(_NOM_ACTION, _g(UNIT_HEAD, UNIT), _g(SECRETARIAT, DEPARTMENT), not_subject=True),
    ("nomination", "start_nurturing"): _nomination_trigger(_g(UNIT_HEAD, UNIT), _g(SECRETARIAT, DEPARTMENT)),
    ("nomination", "submit"): _nomination_trigger(_g(UNIT_HEAD, UNIT)),
    ("nomination", "return_for_revision"): _nomination_trigger(_g(SECRETARIAT, DEPARTMENT)),
    # "Tiếp nhận hồ sơ": the secretariat's explicit review of a submitted dossier (no state of its own).
    ("nomination", "accept"): _nomination_trigger(_g(SECRETARIAT, DEPARTMENT)),
    # The director's decisions on a dossier are signed acts (a deputy only under delegation: `_signs`).
    ("nomination", "reject_co_so"): _nomination_trigger(_signs(DIRECTOR, DEPARTMENT)),
    ("nomination", "recognize_co_so"): _nomination_trigger(_signs(DIRECTOR, DEPARTMENT)),
    ("nomination", "propose_nganh"): _nomination_trigger(_signs(DIRECTOR, DEPARTMENT)),
    ("nomination", "recognize_nganh"): _nomination_trigger(_g(MINISTRY)),
    ("nomination", "reject_nganh"): _nomination_trigger(_g(MINISTRY)),
    ("nomination", "withdraw"): _nomination_trigger(_g(UNIT_HEAD, UNIT), _g(SECRETARIAT, DEPARTMENT)),
    ("nomination", "revoke"): _nomination_trigger(_signs(DIRECTOR, DEPARTMENT, ("evaluated_co_so",)),
                                                  _g(MINISTRY, ALL, ("recognized",))),
    # ---- the council, its sessions and ballots
    ("council", "view"): _rule("Không có quyền xem Hội đồng này.", _g(GLOBAL_READERS), _g(ANYONE, DEPARTMENT)),
    ("council", "manage"): _rule("Chỉ quản trị hệ thống được thay đổi cấu hình và thành viên Hội đồng.", _g(ADMIN)),
    ("council_session", "view"): _rule(
        "Không có quyền xem phiên họp này.",
        _g(GLOBAL_READERS), _g((SECRETARIAT, DIRECTOR, MEMBER), DEPARTMENT), _g(ANYONE, PUBLISHED)),
    ("council_session", "see_results"): _rule(
        "Kết quả bình xét dành cho Hội đồng, Văn phòng Sở, Giám đốc Sở và Thanh tra.",
        _g(GLOBAL_READERS), _g((SECRETARIAT, DIRECTOR, MEMBER), DEPARTMENT)),
    ("council_session", "sit"): _rule("Chỉ thành viên Hội đồng của Sở.", _g(MEMBER, DEPARTMENT)),
    ("council_session", "prepare"): _rule(_SEC_ONLY, _g(SECRETARIAT, DEPARTMENT)),
    # The chair (Chủ tịch Hội đồng: the director) opens, closes and signs the Biên bản.
    ("council_session", "chair"): _rule(_DIR_ONLY, _signs(DIRECTOR, DEPARTMENT)),
    # Whether the publicity period is running is the service's check (a 409/422, not a permission).
    ("council_session", "comment"): _rule("Người góp ý phải thuộc Sở.", _g(ANYONE, DEPARTMENT)),
    # Who votes is a fact of the council (its active members, present at the session), checked by the service;
    # the policy bounds it to the session's department.
    ("ballot", "cast"): _rule("Chỉ thành viên Hội đồng của Sở được biểu quyết.", _g(ANYONE, DEPARTMENT)),
    # ---- decisions and proposals
    # The department's register of decisions; a unit head the decisions on their unit, anyone those on themselves
    # (they are told of them: notifications link there).
    ("decision", "view"): _rule("Không có quyền xem quyết định này.", _g(ACROSS_DEPARTMENTS),
                                _g(DEPARTMENT_ROLES, DEPARTMENT), _g(UNIT_HEAD, UNIT), _g(ANYONE, SUBJECT)),
    ("decision", "issue_co_so"): _rule(
        "Chỉ Giám đốc Sở (hoặc Phó Giám đốc được ủy quyền ký) ban hành quyết định công nhận.",
        _signs(DIRECTOR, DEPARTMENT)),
    ("decision", "issue_nganh"): _rule("Chỉ Vụ Thi đua – Khen thưởng, Bộ Tư pháp được ban hành quyết định.",
                                       _g(MINISTRY)),
    ("proposal", "view"): _rule(
        "Tờ trình dành cho Văn phòng Sở, Giám đốc Sở, Hội đồng, Thanh tra và Bộ Tư pháp.",
        _g(GLOBAL_READERS), _g((SECRETARIAT, DIRECTOR, MEMBER), DEPARTMENT), _g(MINISTRY, ALL, ("submitted",))),
    ("proposal", "draft"): _rule("Chỉ Văn phòng Sở của Sở được lập tờ trình.", _g(SECRETARIAT, DEPARTMENT)),
    ("proposal", "sign"): _rule("Chỉ Giám đốc Sở của Sở được ký tờ trình.", _signs(DIRECTOR, DEPARTMENT)),
    # ---- propagation
    ("story", "view"): _rule("Không có quyền xem bài viết này.",
                             _g(GLOBAL_READERS), _g(EDITOR, DEPARTMENT), _g(ANYONE, PUBLIC)),
    ("story", "view_drafts"): _rule(
        "Mục này dành cho Ban biên tập của Sở. Bài đã xuất bản xem tại trang Điển hình tiêu biểu.",
        _g(GLOBAL_READERS), _g(EDITOR, DEPARTMENT)),
    ("story", "write"): _rule(
        "Chỉ Ban biên tập của Sở được viết, sửa và xuất bản bài viết về điển hình tiên tiến của Sở.",
        _g(EDITOR, DEPARTMENT)),
    ("introduction", "view"): _rule(
        "Dành cho Văn phòng Sở, lãnh đạo Sở, Thủ trưởng đơn vị, Thanh tra và Bộ Tư pháp.",
        _g(ACROSS_DEPARTMENTS), _g(DEPARTMENT_ROLES, DEPARTMENT), _g(UNIT_HEAD, UNIT)),
    ("introduction", "record"): _rule(
        "Chỉ Thủ trưởng đơn vị (đơn vị mình) hoặc Văn phòng Sở được ghi nhận giới thiệu điển hình.",
        _g(UNIT_HEAD, UNIT), _g(SECRETARIAT, DEPARTMENT)),
    ("theme", "view"): _rule("Chỉ xem được lịch tuyên truyền của Sở mình.",
                             _g(ACROSS_DEPARTMENTS), _g(ANYONE, DEPARTMENT)),
    ("theme", "edit"): _rule("Chỉ Văn phòng Sở (hoặc quản trị hệ thống) được sửa lịch tuyên truyền của Sở.",
                             _g(ADMIN), _g(SECRETARIAT, DEPARTMENT)),
    # ---- reports: statistics are for those who lead or report; staff see their own dossiers only (DOMAIN.md)
    ("report", "view"): _rule(
        "Báo cáo, thống kê dành cho lãnh đạo, Văn phòng Sở, Thủ trưởng đơn vị, Thanh tra và Bộ Tư pháp.",
        _g(ACROSS_DEPARTMENTS), _g(DEPARTMENT_ROLES, DEPARTMENT), _g(UNIT_HEAD, UNIT)),
    ("report", "draw_up"): _rule(
        "Báo cáo dành cho Văn phòng Sở, Giám đốc Sở, Thủ trưởng đơn vị (báo cáo của đơn vị), Thanh tra và quản trị "
        "hệ thống.", _g(GLOBAL_READERS), _g((SECRETARIAT, DIRECTOR), DEPARTMENT), _g(UNIT_HEAD, UNIT)),
    ("report", "send_yearly"): _rule("Văn phòng Sở tổng hợp và báo cáo Sở Nội vụ.", _g(SECRETARIAT, DEPARTMENT)),
    # ---- audit and operations
    ("audit", "view"): _rule("Chỉ Thanh tra (kiểm toán) hoặc quản trị hệ thống được xem nhật ký.",
                                   _g(GLOBAL_READERS)),
    ("audit", "view_checkpoints"): _rule(
        "Chỉ Thanh tra, quản trị hệ thống hoặc chuyên viên của Bộ được xem các điểm kiểm tra.",
        _g(ACROSS_DEPARTMENTS)),
    ("metrics", "view"): _rule("Chỉ số vận hành dành cho quản trị hệ thống và Thanh tra.", _g(GLOBAL_READERS)),
    # ---- organisation and accounts
    ("unit", "view"): _rule("Chỉ xem được các đơn vị thuộc Sở mình.", _g(ACROSS_DEPARTMENTS), _g(ANYONE, DEPARTMENT)),
    # The units a nomination (or a monthly introduction) may be registered for: the grants of registering.
    ("unit", "register_for"): _rule("Chỉ Thủ trưởng đơn vị (đơn vị mình) hoặc Văn phòng Sở (các đơn vị của Sở).",
                                    _g(UNIT_HEAD, UNIT), _g(SECRETARIAT, DEPARTMENT)),
    ("unit", "manage"): _rule(_ADMIN_ONLY, _g(ADMIN)),
    # rename, merge, split, move, close with an effective date (workflow.administration.units)
    ("unit", "reorganise"): _rule("Chỉ quản trị hệ thống được thay đổi tổ chức đơn vị.", _g(ADMIN)),
    ("person", "view"): _rule("Chỉ xem được cá nhân thuộc Sở mình.", _g(ACROSS_DEPARTMENTS), _g(ANYONE, DEPARTMENT)),
    ("person", "manage"): _rule(_ADMIN_ONLY, _g(ADMIN)),
    ("user", "view"): _rule(_ADMIN_ONLY, _g(ADMIN)),
    ("user", "manage"): _rule(_ADMIN_ONLY, _g(ADMIN)),
    ("campaign", "view"): _rule("Chỉ xem được phong trào thi đua của Sở mình.",
                                _g(ACROSS_DEPARTMENTS), _g(ANYONE, DEPARTMENT)),
    ("campaign", "create"): _rule("Chỉ quản trị hệ thống hoặc Văn phòng Sở (của Sở mình) được tạo phong trào thi đua.",
                                  _g(ADMIN), _g(SECRETARIAT, DEPARTMENT)),
    ("campaign", "manage"): _rule(_ADMIN_ONLY, _g(ADMIN)),
    ("campaign", "evaluate"): _rule("Văn phòng Sở hoàn thành việc bình xét của phong trào.",
                                    _g(SECRETARIAT, DEPARTMENT)),
    ("calendar", "manage"): _rule(_ADMIN_ONLY, _g(ADMIN)),
    # imports write units or people in bulk from an .xlsx: the row of what they write
    ("unit", "import"): _rule("Chỉ quản trị hệ thống được nhập danh sách đơn vị từ tệp.", _g(ADMIN)),
    ("person", "import"): _rule("Chỉ quản trị hệ thống được nhập danh sách cá nhân từ tệp.", _g(ADMIN)),
    ("administration", "view"): _rule("Trang quản trị dành cho quản trị hệ thống.", _g(ADMIN)),
    # The director's own, the deputy's own, every delegation of the department for its director (a successor sees
    # the predecessor's), all of them for the auditors. Who may grant or end: the department's director only; that a
    # deputy acting under a delegation may not delegate again is the service's rule (workflow.administration
    # .delegations), as the role they hold then is the director's.
    ("delegation", "view"): _rule("Không có quyền xem ủy quyền này.", _g(GLOBAL_READERS), _g(DIRECTOR, DEPARTMENT),
                                  _g(ANYONE, OWN)),
    ("delegation", "grant"): _rule("Chỉ Giám đốc Sở được ủy quyền ký cho Phó Giám đốc của Sở mình.",
                                   _signs(DIRECTOR, DEPARTMENT)),
    ("delegation", "end"): _rule("Chỉ Giám đốc Sở được kết thúc ủy quyền ký của Sở mình.",
                                 _signs(DIRECTOR, DEPARTMENT)),
    ("notification", "view"): _rule("Không tìm thấy thông báo.", _g(ANYONE, OWN)),
}


# ------------------------------------------------------------------------------------------------ answering
@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: list[str]

    def __bool__(self) -> bool:
        return self.allowed


def rule(object_type: str, verb: str) -> Rule:
    return POLICY[(object_type, verb)]


def _type_of(obj_or_type) -> tuple[str, Any]:
    if isinstance(obj_or_type, str):
        return obj_or_type, None
    name = _TYPE_NAMES.get(type(obj_or_type))
    if name is None:
        name = _TYPE_NAMES[type(obj_or_type)] = _type_name(obj_or_type)
    return name, obj_or_type


def _type_name(obj) -> str:
    for name, kind in KINDS.items():
        if kind.model is not None and isinstance(obj, kind.model):
            return name
    raise KeyError(type(obj).__name__)


# An object's type name by its class, found once per class: a nomination's detail asks `can` about it for every
# trigger, and each asked the types in turn.
_TYPE_NAMES: dict[type, str] = {}


def _holds(actor: Actor | None, grant: Grant) -> bool:
    if actor is None:
        return grant.roles is None and grant.scope == PUBLIC
    if grant.signs and not actor.signs:
        return False
    return grant.roles is None or actor.has(*grant.roles)


def _within(actor: Actor, grant: Grant, kind: Kind, obj) -> bool:
    """Whether `obj` (an object, a namespace of `department_id`/`unit_id`, or None: "anywhere") is in the grant's
    scope for `actor`."""
    if grant.states and (state := getattr(obj, "state", None)) is not None and state not in grant.states:
        return False
    scope = grant.scope
    if scope == ALL:
        return True
    if scope == PUBLIC:
        return obj is None or kind.published(obj)
    if actor is None:
        return False
    if scope == DEPARTMENT:
        return actor.department_id is not None and (obj is None or actor.department_id in kind.departments(obj))
    if scope == PUBLISHED:
        return actor.department_id is not None and (
            obj is None or (actor.department_id in kind.departments(obj) and kind.published(obj)))
    if scope == UNIT:
        return actor.unit_id is not None and (obj is None or any(_matches(u, kind.unit(obj)) for u in _units(actor)))
    if scope == SUBJECT:
        return actor.person_id is not None and (obj is None or _matches(actor.person_id, kind.subject(obj)))
    if scope == OWN:
        return obj is None or actor.id in kind.owners(obj)
    if scope == LISTED:
        return actor.department_id is not None and (
            obj is None or kind.listed(obj, actor.department_id, clock.now()))
    raise ValueError(scope)


def _units(actor) -> tuple:
    """The actor's own unit and those whose scope passed to it (`Actor.unit_ids`); the bound parameters of a
    prebuilt clause carry theirs (`scope_clause`)."""
    return getattr(actor, "unit_ids", None) or (actor.unit_id,)


def _matches(value, where) -> bool:
    """`where` is one id, or a set of them for objects spanning several (a decision's items)."""
    return value in where if isinstance(where, set) else value == where


def _target(kind: Kind, obj, context: dict):
    if obj is not None:
        return obj
    if not context:
        return None
    ns = SimpleNamespace(**({"department_id": None, "unit_id": None, "state": None} | context))
    if kind is KINDS["decision"]:
        ns.issuer_id, ns.level = ns.department_id, None
    return ns


def can(actor: Actor | None, verb: str, obj_or_type, **context) -> Decision:
    """May `actor` do `verb` to the object (or, given a type name, to an object at `context`'s department_id /
    unit_id / state; with no context: anywhere at all — what a menu asks)."""
    object_type, obj = _type_of(obj_or_type)
    r = POLICY[(object_type, verb)]
    kind = KINDS[object_type]
    target = obj if obj is not None else _target(kind, None, context)
    for g in r.grants:  # a loop, not `any` over a generator: a detail asks this ~10 times
        if _holds(actor, g) and _within(actor, g, kind, target):
            break
    else:
        reasons = [r.reason]
        if actor is not None and not actor.signs and any(
                g.signs and actor.has(*g.roles) and _within(actor, g, kind, target) for g in r.grants):
            reasons.append(UNDELEGATED_DEPUTY)
        return Decision(False, reasons)
    if r.not_subject and obj is not None and actor is not None and is_subject(actor, obj):
        return Decision(False, ["Không được thực hiện thao tác trên hồ sơ mà mình là đối tượng được đề nghị."])
    return Decision(True, [])  # a new list each time: callers append their own reasons to it


def refusal(actor: Actor | None, verb: str, obj_or_type, *, detail: str = "Không có quyền thực hiện thao tác này.",
            **context) -> Forbidden | None:
    """The Forbidden `require` would raise, or None: what an operation's `check_<verb>` returns (workflow.offers), so
    the action offered and the action performed are refused for the same reasons."""
    decision = can(actor, verb, obj_or_type, **context)
    return None if decision else Forbidden(detail, decision.reasons)


def require(actor: Actor | None, verb: str, obj_or_type, *, detail: str = "Không có quyền thực hiện thao tác này.",
            **context) -> None:
    """Raises Forbidden (403, with the reasons) unless `actor` may do `verb`."""
    if error := refusal(actor, verb, obj_or_type, detail=detail, **context):
        raise error


def refusals(actor: Actor | None, verb: str, obj_or_type, **context) -> list[str]:
    return list(can(actor, verb, obj_or_type, **context).reasons)


SCOPE_WIDTH = (ALL, DEPARTMENT, PUBLISHED, UNIT, SUBJECT, OWN, PUBLIC, LISTED)


def widest_scope(actor: Actor | None, verb: str, object_type: str) -> str | None:
    """The widest scope in which `actor` holds `(object_type, verb)` (ALL, DEPARTMENT, UNIT, ...), None if none:
    what a page asks to offer a department filter (ALL) or a unit's own report (UNIT)."""
    held = {g.scope for g in POLICY[(object_type, verb)].grants if _holds(actor, g)}
    return next((s for s in SCOPE_WIDTH if s in held), None)


def reads_in_every_state(actor: Actor | None, verb: str, object_type: str) -> bool:
    """Whether `actor` holds a grant of `(object_type, verb)` not limited to some states."""
    return any(_holds(actor, g) and not g.states for g in POLICY[(object_type, verb)].grants)


def standing(actor: Actor | None) -> tuple | None:
    """What the questions about a type of object, not an object, read of `actor`: `can(actor, verb, type)` with no
    context (what a menu asks), `widest_scope` and `reads_in_every_state`. A grant is held by the roles and, for a
    signing grant, `signs`; "anywhere" is within a grant's scope when the actor has a department (DEPARTMENT,
    PUBLISHED, LISTED), a unit in force (UNIT), a person (SUBJECT), or always (ALL, PUBLIC, OWN). Two actors of equal
    standing get the same answers, so a page may keep what it drew from those answers under it (the header's menu)."""
    if actor is None:
        return None
    return (actor.roles, actor.signs, actor.department_id is not None, actor.unit_id is not None,
            actor.person_id is not None)


def roles_for(object_type: str, verb: str, *, state: str | None = None) -> tuple[str, ...]:
    """The roles a rule names (for an object in `state`), in the order of its grants."""
    named: list[str] = []
    for g in POLICY[(object_type, verb)].grants:
        if g.roles is not None and (state is None or not g.states or state in g.states):
            named += sorted(g.roles - set(named))
    return tuple(named)


def is_subject(actor: Actor, n: Nomination) -> bool:
    return actor.person_id is not None and _matches(actor.person_id, KINDS[_type_of(n)[0]].subject(n))


# ------------------------------------------------------------------------------------------------ SQL
def _grant_sql(actor: Actor, grant: Grant, kind: Kind):
    scope = grant.scope
    if scope == ALL:
        clause = true()
    elif scope in (DEPARTMENT, PUBLISHED):
        if actor.department_id is None or kind.department_sql is None:
            return false()
        clause = kind.department_sql(actor.department_id)
        if scope == PUBLISHED:
            clause = and_(clause, kind.published_sql()) if kind.published_sql is not None else false()
    elif scope == PUBLIC:
        clause = kind.published_sql()
    elif scope == UNIT:
        if actor.unit_id is None or kind.unit_sql is None:
            return false()
        units = _units(actor)
        clause = kind.unit_sql(units[0]) if len(units) == 1 else or_(*(kind.unit_sql(u) for u in units))
    elif scope == SUBJECT:
        if actor.person_id is None or kind.subject_sql is None:
            return false()
        clause = kind.subject_sql(actor.person_id)
    elif scope == OWN:
        clause = kind.owner_sql(actor.id) if kind.owner_sql is not None else false()
    elif scope == LISTED:
        if actor.department_id is None or kind.listed_sql is None:
            return false()
        # A prebuilt clause (scope_clause) binds the time as a parameter; an actor's clause takes the clock's now.
        now = getattr(actor, "scope_now", None)
        clause = kind.listed_sql(actor.department_id, clock.now() if now is None else now)
    else:
        raise ValueError(scope)
    if grant.states:
        clause = and_(clause, kind.model.state.in_(grant.states))
    return clause


def _redundant(actor: Actor | None, grant: Grant, grants) -> bool:
    """A LISTED grant adds nothing for an actor who reads the whole department (or everything) in every state: left
    out of the clause, their lists keep the plain index scan of their scope instead of an OR."""
    return grant.scope == LISTED and any(
        g.scope in (ALL, DEPARTMENT) and not g.states and _holds(actor, g) for g in grants)


def scope(actor: Actor | None, object_type: str, verb: str = "view"):
    """The WHERE clause on the type's model limiting it to what `actor` may `verb` (by default: read). The one clause
    `load` and every list of the type use."""
    kind = KINDS[object_type]
    r = POLICY[(object_type, verb)]
    clauses = []
    for g in r.grants:
        if _holds(actor, g) and not _redundant(actor, g, r.grants):
            clauses.append(_grant_sql(actor, g, kind))
    if not clauses:
        return false()
    return or_(*clauses)


# The actor's value each scope compares a row to, as `_grant_sql` reads it (PUBLIC and ALL compare nothing).
_SCOPE_VALUES = {DEPARTMENT: "department_id", PUBLISHED: "department_id", UNIT: "unit_id", SUBJECT: "person_id",
                 OWN: "id", LISTED: "department_id"}
_SCOPE_PARAMS = SimpleNamespace(**{attr: bindparam(f"scope_{attr}") for attr in set(_SCOPE_VALUES.values())},
                                scope_now=bindparam("scope_now"))


def scope_bound(actor: Actor | None, object_type: str, verb: str = "view") -> tuple[tuple, dict]:
    """`scope(actor, object_type, verb)` as a clause built once per shape (which grants the actor holds), with the
    actor's ids as bound parameters: `(key, params)`; `scope_clause(key)` is the clause (the same object for the same
    key, so a statement built from it can be cached by the key), `params` go with the statement. The same rows as
    `scope` (tests/platform/test_prebuilt_reads.py), for the hottest reads, whose statements are built once
    and bound per request instead of being rebuilt, re-keyed and re-checked by SQLAlchemy on every request."""
    rule = POLICY[(object_type, verb)]
    shape, params = [], {}
    for i, g in enumerate(rule.grants):
        if not _holds(actor, g) or _redundant(actor, g, rule.grants):
            continue
        attr = _SCOPE_VALUES.get(g.scope)
        if attr is not None:
            value = getattr(actor, attr) if actor is not None else None
            if value is None:  # `_grant_sql` gives false(): a term of the OR that adds nothing
                continue
            params[f"scope_{attr}"] = value
        if g.scope == LISTED:
            params["scope_now"] = clock.now()
        units = actor.unit_ids if g.scope == UNIT and actor is not None else ()
        if len(units) > 1:  # a successor's head: its predecessors' units too, one parameter each
            params.update({f"scope_unit_id_{j}": u for j, u in enumerate(units[1:], start=1)})
            shape.append((i, len(units)))
        else:
            shape.append(i)
    return (object_type, verb, tuple(shape)), params


@functools.cache
def scope_clause(key: tuple):
    """The clause of a `scope_bound` key, built once."""
    clauses = scope_clauses(key)
    return or_(*clauses) if clauses else false()


@functools.cache
def scope_clauses(key: tuple) -> tuple:
    """The terms of `scope_clause(key)`'s OR, one per grant the actor holds, in the policy's order (none: nothing is
    in scope): a hot list reads each term along its own index (`workflow/nominations/queries.py`)."""
    object_type, verb, shape = key
    kind, rule = KINDS[object_type], POLICY[(object_type, verb)]
    clauses = []
    for entry in shape:
        i, units = entry if isinstance(entry, tuple) else (entry, 1)
        who = _SCOPE_PARAMS if units == 1 else SimpleNamespace(**vars(_SCOPE_PARAMS), unit_ids=(
            _SCOPE_PARAMS.unit_id, *(bindparam(f"scope_unit_id_{j}") for j in range(1, units))))
        clauses.append(_grant_sql(who, rule.grants[i], kind))
    return tuple(clauses)


def load(session: Session, actor: Actor | None, object_type: str, object_id, *, for_update: bool | str = False,
         parents: tuple[str, ...] = (), options=()):
    """The object with this id if `actor` may read it, else NotFound (its existence is not revealed).
    `for_update="share"` takes a shared lock. `parents`: many-to-one relationships read in the same statement (joined,
    as `joinedload` would). The statement is the scope's prebuilt one (`scope_bound`, the same rows as `scope`), built
    once per shape: every detail and every change opens its object through here.

    Read as plain rows and made into the session's persistent objects (`models.plain.PlainLoad`: the ORM's load cost a
    quarter of a detail's CPU), unless the object is in the session already, loader `options` are given (kept while
    the same tuple is passed, a module's constant), or the class is not a plain one: then the ORM's load of the same
    statement (with `populate_existing` under a lock)."""
    kind = KINDS[object_type]
    if isinstance(object_id, bool) or not isinstance(object_id, int):
        raise NotFound(kind.not_found)
    key, params = scope_bound(actor, object_type)
    params["object_id"] = object_id
    plain = None if options else _plain_load(object_type, key, for_update, parents)
    obj = PlainLoad.HELD if plain is None else plain.one_or_none(session, params, object_id,
                                                                  refresh=bool(for_update))
    if obj is PlainLoad.HELD:
        stmt = _load_statement(object_type, key, for_update, tuple(options), parents)
        obj = session.scalars(stmt, params).unique().first()
    if obj is None:
        raise NotFound(kind.not_found)
    return obj


def load_beside(session: Session, actor: Actor | None, object_type: str, object_id, *, parents: tuple[str, ...],
                beside: Select, order: tuple[str, ...], params: dict) -> tuple[Any, list[tuple] | None]:
    """`load` (the same scope, the same refusal) with the rows of `beside` (bound with `params`) read in the same
    statement, so in the same snapshot as the object's row, and only when the scope lets the caller read it:
    (the object, `beside`'s rows ordered by `order`). None for the rows when the ORM's load read the object (it was in
    the session already): the caller reads them on its own."""
    kind = KINDS[object_type]
    if isinstance(object_id, bool) or not isinstance(object_id, int):
        raise NotFound(kind.not_found)
    key, bound = scope_bound(actor, object_type)
    bound.update(params, object_id=object_id)
    plain = _plain_load(object_type, key, False, parents, beside, order)
    if plain is None:
        return load(session, actor, object_type, object_id, parents=parents), None
    obj, rows = plain.one_beside(session, bound, object_id)
    if obj is PlainLoad.HELD:
        return load(session, actor, object_type, object_id, parents=parents), None
    if obj is None:
        raise NotFound(kind.not_found)
    return obj, rows


@functools.lru_cache(maxsize=256)
def _load_statement(object_type: str, scope_key: tuple, for_update: bool | str, options: tuple, parents: tuple):
    model = KINDS[object_type].model
    stmt = select(model).where(model.id == bindparam("object_id"), scope_clause(scope_key))
    if for_update:
        stmt = stmt.with_for_update(read=for_update == "share", of=model).execution_options(populate_existing=True)
    for name in parents:  # joined as PlainLoad joins them
        prop = inspect(model).relationships[name]
        options += (joinedload(prop.class_attribute, innerjoin=inner_join(prop)),)
    return stmt.options(*options) if options else stmt


@functools.lru_cache(maxsize=256)
def _plain_load(object_type: str, scope_key: tuple, for_update: bool | str, parents: tuple, beside=None,
                order: tuple = ()) -> PlainLoad | None:
    model = KINDS[object_type].model
    if not PlainLoad.simple(model, parents):
        return None
    return PlainLoad(model, and_(model.id == bindparam("object_id"), scope_clause(scope_key)), parents=parents,
                     lock=for_update, beside=beside, beside_order=order)


def not_found(object_type: str) -> NotFound:
    return NotFound(KINDS[object_type].not_found)


def holders(object_type: str, verb: str, **target):
    """The query of active users whom a grant of `(object_type, verb)` reaches at `target` (`department_id`,
    `unit_id`): who must act next, so who is told. Delegated signing is not counted: the director is told.
    A grant open to every account reaches every account of the target's department (all of a department's staff are
    asked to comment on a list made public); elsewhere (its subject, its owner, the public) nobody in particular."""
    clauses, everyone = [], []
    dep, unit = target.get("department_id"), target.get("unit_id")
    for g in POLICY[(object_type, verb)].grants:
        if g.roles is None:
            if g.scope in (DEPARTMENT, PUBLISHED) and dep is not None:
                everyone.append(User.department_id == dep)
            continue
        where = [UserRole.role.in_(sorted(g.roles))]
        if g.signs:
            where.append(UserRole.deputy.is_(False))
        if g.scope in (DEPARTMENT, PUBLISHED) and dep is not None:
            where.append(User.department_id == dep)
        elif g.scope == UNIT and unit is not None:
            where.append(User.unit_id == unit)
        elif g.scope == UNIT and dep is not None:
            where.append(User.department_id == dep)
        clauses.append(and_(*where))
    if clauses:
        everyone.append(exists().where(UserRole.user_id == User.id, or_(*clauses)))
    if not everyone:
        return select(User).where(false())
    return select(User).where(User.active.is_(True), or_(*everyone))


def assignment_errors(roles, unit: Unit | None) -> dict[str, str]:
    """Why roles may not be given with this unit as their scope (one rule for the CLI and the admin pages)."""
    errors = {}
    if unit is None and set(roles) & set(UNIT_SCOPED_ROLES):
        errors["unit_id"] = "Vai trò đã chọn cần gắn với một đơn vị."
    elif UNIT_HEAD in roles and unit is not None and unit.kind not in HEAD_UNIT_KINDS:
        errors["unit_id"] = "Thủ trưởng đơn vị phải gắn với một phòng, đơn vị thuộc Sở."
    return errors


def object_types() -> list[str]:
    return list(dict.fromkeys(t for t, _ in POLICY))


def verbs(object_type: str) -> list[str]:
    return [v for t, v in POLICY if t == object_type]
