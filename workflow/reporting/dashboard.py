"""What waits for a user ("Việc cần làm") and their in-app notifications.

The home page shows one card per kind of pending work for the user's roles. Counting happens here, through the
same scope as the nomination list (`policy.scope_bound`, the clause `queries.nominations_query` applies), so a card
can never count a nomination the user could not open.

A card of nominations is one statement (`_preview`): its count, its nearest deadline and its first rows, the count
and the deadline computed over every matching row as window aggregates before the LIMIT, the unit's and the
subject's names joined to the chosen rows only. The statement is built once per shape (the scope's grants held, the
card) and bound per request, read as plain rows (`models.plain.PlainSelect`): the cards show a nomination's title,
state and subject, not a whole dossier.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from sqlalchemy import Date, and_, bindparam, case, func, null, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from models import (
    AgendaItem,
    Campaign,
    CouncilMember,
    CouncilSession,
    Nomination,
    Person,
    Proposal,
    ProposalItem,
    StateChange,
    Unit,
)
from models.nominations import subject_name_of
from models.plain import PlainSelect
from models.planner import broad
from workflow import clock, links, policy
from workflow.council import operations as council
from workflow.policy import Actor
from workflow.proposals import decisions

PREVIEW = 5  # nominations listed under each card


@dataclass
class Card:
    """One kind of pending work. `filters` are the query string of the nomination list that shows all of it."""

    key: str
    title: str
    hint: str
    count: int | None = None
    deadline: dt.date | None = None
    deadline_label: str = ""
    filters: dict = field(default_factory=dict)
    link: str | None = None  # the path of a page other than the nomination list (workflow.links)
    items: list = field(default_factory=list)


@dataclass(frozen=True)
class LinkItem:
    """A line under a card that is not a nomination (a council session): its page and a short note."""

    title: str
    url: str  # its path (workflow.links)
    note: str = ""


@dataclass(frozen=True, slots=True)
class CardItem:
    """A nomination under a card: what the card shows of it (its page, title, subject and state), read as plain
    values. `subject_name` reads as it does on a Nomination."""

    id: int
    title: str
    state: str
    subject_type: str
    unit_name: str | None
    person_name: str | None

    @property
    def subject_name(self) -> str:
        return subject_name_of(self.subject_type, self.person_name, self.unit_name)


@dataclass(frozen=True)
class _Spec:
    key: str
    duty: tuple[str, str]  # the (object type, verb) of the policy whose holders do this work
    states: tuple[str, ...]
    title: str
    hint: str
    deadline: str = "evaluation"  # which campaign deadline bounds the work: evaluation | registration
    returned: bool | None = None  # True: only nominations returned for revision; False: none of them


SUBMITS, CHECKS = ("nomination", "submit"), ("nomination", "return_for_revision")
DECIDES, PROPOSES, PUBLISHES = ("nomination", "recognize_co_so"), ("nomination", "propose_nganh"), ("story", "write")
# The order is the order of the cards on the page.
SPECS: tuple[_Spec, ...] = (
    _Spec("returned", SUBMITS, ("nurtured",), "Hồ sơ bị trả lại để bổ sung",
          "Văn phòng Sở đã trả lại: bổ sung theo ý kiến rồi trình lại Hội đồng.", returned=True),
    _Spec("to_nurture", SUBMITS, ("registered",), "Hồ sơ cần lập kế hoạch bồi dưỡng",
          "Đã đăng ký, chưa bắt đầu bồi dưỡng: ghi kế hoạch bồi dưỡng để bắt đầu."),
    _Spec("to_submit", SUBMITS, ("nurtured",), "Hồ sơ đang bồi dưỡng, cần hoàn thiện để trình",
          "Theo dõi, hoàn thiện hồ sơ và trình Hội đồng xét trước hạn.", returned=False),
    _Spec("to_check", CHECKS, ("submitted",), "Hồ sơ chờ kiểm tra",
          "Kiểm tra hồ sơ đã trình: tiếp nhận hồ sơ đủ thành phần, trả lại hồ sơ chưa đầy đủ kèm lý do; "
          "đưa hồ sơ đã tiếp nhận vào phiên họp Hội đồng."),
    _Spec("secretariat_registered", CHECKS, ("registered", "nurtured"), "Hồ sơ đang được các đơn vị chuẩn bị",
          "Theo dõi tiến độ đăng ký và bồi dưỡng của các đơn vị."),
    _Spec("council_items", ("council_session", "sit"), ("submitted",), "Hồ sơ chờ Hội đồng xét",
          "Nghiên cứu hồ sơ trước phiên họp Hội đồng Thi đua – Khen thưởng."),
    _Spec("director_decide", DECIDES, ("submitted",), "Hồ sơ chờ Hội đồng xét và quyết định công nhận",
          "Sau phiên họp, ký quyết định công nhận điển hình cấp cơ sở."),
    _Spec("director_propose", PROPOSES, ("evaluated_co_so",), "Điển hình cấp cơ sở có thể đề nghị Bộ",
          "Xem xét đề nghị Bộ trưởng công nhận điển hình ngành Tư pháp."),
    _Spec("editor_publish", PUBLISHES, ("evaluated_co_so", "recognized"), "Điển hình cần tuyên truyền, nhân rộng",
          "Viết bài giới thiệu điển hình đã được công nhận."),
    _Spec("staff_own", ("nomination", "view"), (), "Hồ sơ của tôi", "Các hồ sơ mà bạn là đối tượng được đề nghị."),
)


def _returned_clause():
    """The nomination's latest step was a return for revision (check-ins and edits add no step)."""
    latest = aliased(StateChange)
    # Correlated to the outer query's nomination explicitly: left to auto-correlation (which only looks one level
    # up) the subquery took `nominations` into its own FROM and compared with the highest version of any
    # nomination, scanning every state change for every card.
    last_version = (
        select(func.max(latest.version)).where(latest.nomination_id == Nomination.id).correlate(Nomination)
        .scalar_subquery()
    )
    return select(StateChange.id).where(
        StateChange.nomination_id == Nomination.id, StateChange.version == last_version,
        StateChange.action == "return_for_revision",
    ).exists()


def _deadline_column(kind: str):
    return Campaign.registration_deadline if kind == "registration" else Campaign.evaluation_deadline


def _sorted(column, descending: bool = False, nulls_last: bool = False):
    ordered = column.desc() if descending else column.asc()
    return ordered.nulls_last() if nulls_last else ordered


def _preview(where: tuple, order: tuple, deadline=None) -> PlainSelect:
    """One statement for a card of nominations: a row per nomination of its first `PREVIEW`, each with the count of
    every matching row and, with `deadline` (a campaign's date column), the nearest one still ahead (`:today`) among
    them — window aggregates, computed over every matching row before the LIMIT. No row: nothing matches. `order`:
    (column of `nominations` or `campaigns`, descending, nulls last) triples. The unit's and the person's names are
    joined to the chosen rows only."""
    nearest = (func.min(case((deadline >= bindparam("today", type_=Date), deadline))).over() if deadline is not None
               else null())
    # Every matching row is read for the count: the rows are matched first, fenced (`OFFSET 0`, PostgreSQL's
    # documented fence), then sorted for the first five. Unfenced, `ORDER BY id LIMIT 5` was planned as a walk of
    # the primary key in order (as if it could stop after five rows), filtering all 100k nominations: 20 ms. Only
    # the ids and the sort keys are carried through the count and the sort; the five rows' columns are read after.
    matching = (
        select(Nomination.id, func.count().over().label("total"), nearest.label("nearest"),
               *(column.label(f"key_{i}") for i, (column, _, _) in enumerate(order)))
        .join(Campaign, Campaign.id == Nomination.campaign_id).where(*where).offset(0).subquery("matching")
    )
    chosen = (
        select(matching)
        .order_by(*(_sorted(matching.c[f"key_{i}"], desc, last) for i, (_, desc, last) in enumerate(order)))
        .limit(PREVIEW).subquery("chosen")
    )
    return PlainSelect(
        select(chosen.c.total, chosen.c.nearest, _SHOWN.id, _SHOWN.title, _SHOWN.state, _SHOWN.subject_type,
               Unit.name, Person.full_name)
        .select_from(chosen).join(_SHOWN, _SHOWN.id == chosen.c.id)
        .outerjoin(Unit, Unit.id == _SHOWN.unit_id).outerjoin(Person, Person.id == _SHOWN.subject_person_id)
        .order_by(*(_sorted(chosen.c[f"key_{i}"], desc, last) for i, (_, desc, last) in enumerate(order))),
        inline=True,
    )


_SHOWN = aliased(Nomination, name="shown")


def _read_preview(session: Session, stmt: PlainSelect, params: dict) -> tuple[int, dt.date | None, list[CardItem]]:
    """(count, nearest deadline, the first rows) of a `_preview` statement."""
    rows = stmt.all(session, params)
    if not rows:
        return 0, None, []
    return rows[0][0], rows[0][1], [CardItem(*r[2:]) for r in rows]


@functools.lru_cache(maxsize=256)
def _nomination_card_statement(spec: _Spec, scope: tuple) -> PlainSelect:
    """The statement of a work queue's card (`_preview`), built once per spec and shape of the reader's scope."""
    where = [policy.scope_clause(scope)]
    if spec.states:
        where.append(broad(Nomination.state.in_(spec.states)))  # SQLite: seek by the scope, not the state
    if spec.returned is not None:
        where.append(_returned_clause() if spec.returned else ~_returned_clause())
    deadline_col = _deadline_column(spec.deadline)
    # The five rows are chosen on (deadline, id) alone; their unit and person joined after the LIMIT.
    return _preview(tuple(where), ((deadline_col, False, True), (Nomination.id, True, False)), deadline_col)


def _nomination_card(session: Session, actor: Actor, spec: _Spec, today: dt.date) -> Card:
    scope, params = policy.scope_bound(actor, "nomination", "view_dossier")  # work queues: whole dossiers only
    count, deadline, items = _read_preview(session, _nomination_card_statement(spec, scope), {**params, "today": today})
    state = ",".join(spec.states) or None
    return Card(spec.key, spec.title, spec.hint, count, deadline,
                "Hạn xét khen thưởng" if spec.deadline == "evaluation" else "Hạn đăng ký",
                {"state": state} if state else {}, items=items)


def open_campaigns(session: Session, actor: Actor, today: dt.date | None = None) -> list[Campaign]:
    """Campaigns of the actor's department that take registrations today, nearest deadline first."""
    today = today or clock.today()
    if actor.department_id is None:
        return []
    return list(session.scalars(
        select(Campaign).where(Campaign.department_id == actor.department_id, Campaign.start_date <= today,
                               Campaign.registration_deadline >= today)
        .order_by(Campaign.registration_deadline, Campaign.id)
    ))


def pending_work(session: Session, actor: Actor, today: dt.date | None = None) -> list[Card]:
    """The cards of the home page: only kinds of work the actor's roles do, and only those with something waiting
    (reference cards for admin and auditor always show, since their work is not a queue)."""
    today = today or clock.today()
    cards: list[Card] = []
    if policy.can(actor, "create", "nomination"):
        campaigns = open_campaigns(session, actor, today)
        if campaigns:
            cards.append(Card("register", "Phong trào đang nhận đăng ký điển hình",
                              "Đăng ký tập thể, cá nhân điển hình tiên tiến của đơn vị trước hạn.",
                              len(campaigns), campaigns[0].registration_deadline, "Hạn đăng ký",
                              link=links.path("nomination_new"), items=campaigns))
    cards += council_cards(session, actor)
    cards += proposal_cards(session, actor)
    for spec in SPECS:
        if not policy.can(actor, spec.duty[1], spec.duty[0]):
            continue
        if spec.key == "staff_own" and policy.widest_scope(actor, "view", "nomination") != policy.SUBJECT:
            continue  # whoever reads more than their own nominations finds them in the cards of their main role
        card = _nomination_card(session, actor, spec, today)
        if card.count:
            cards.append(card)
    if policy.can(actor, "manage", "user"):
        cards.append(Card("admin", "Quản trị hệ thống", "Đơn vị, cá nhân, tài khoản và phong trào thi đua.",
                          link=links.path("administration")))
    if policy.widest_scope(actor, "view", "nomination") == policy.ALL \
            and policy.reads_in_every_state(actor, "view", "nomination"):
        cards.append(Card("all_nominations", "Tra cứu hồ sơ điển hình", "Xem toàn bộ hồ sơ và lịch sử xử lý.",
                          link=links.path("nominations")))
    return cards


# ------------------------------------------------------------------------------------------------ council
@dataclass(frozen=True, slots=True)
class _SessionRow:
    id: int
    title: str
    date: dt.date


# Which card each of the department's sessions belongs on (a session is on at most one), as SQL conditions: one
# statement reads the sessions of every session card, in the order of the cards' lists.
_TIED = select(AgendaItem.id).where(AgendaItem.session_id == CouncilSession.id, AgendaItem.outcome == "tie").exists()
_SESSION_CARDS = {
    "council_publish": and_(CouncilSession.state == "scheduled", CouncilSession.published_at.is_(None)),
    "council_open": and_(CouncilSession.state == "scheduled", CouncilSession.published_at.is_not(None),
                         CouncilSession.comments_until <= bindparam("now", type_=CouncilSession.comments_until.type)),
    "council_close": CouncilSession.state == "open",
    "council_ties": and_(CouncilSession.state == "closed", _TIED),
}
_SESSIONS = PlainSelect(
    select(CouncilSession.id, CouncilSession.title, CouncilSession.date,
           case(*((cond, key) for key, cond in _SESSION_CARDS.items())).label("card"))
    .where(CouncilSession.department_id == bindparam("department_id"), or_(*_SESSION_CARDS.values()))
    .order_by(CouncilSession.date, CouncilSession.id)
)


def _sessions(session: Session, department_id: int, now: dt.datetime) -> dict[str, list[_SessionRow]]:
    """The department's sessions on each session card (`_SESSION_CARDS`), in (date, id) order."""
    cards: dict[str, list[_SessionRow]] = {key: [] for key in _SESSION_CARDS}
    for sid, title, date, card in _SESSIONS.all(session, {"department_id": department_id, "now": now}):
        cards[card].append(_SessionRow(sid, title, date))
    return cards


def _session_card(key: str, title: str, hint: str, sessions: list, *, target: str = "council_session",
                  note=None) -> Card | None:
    if not sessions:
        return None
    items = [LinkItem(s.title, links.path(target, s.id), note(s) if note else f"ngày họp {s.date:%d/%m/%Y}")
             for s in sessions[:PREVIEW]]
    single = len(sessions) == 1
    return Card(key, title, hint, len(sessions), min(s.date for s in sessions), "Ngày họp",
                link=links.path(target, sessions[0].id) if single else links.path("council_sessions"), items=items)


def _vote_card(session: Session, actor: Actor) -> Card | None:
    """Open sessions of a council the actor sits on, counted as the agenda items they have not voted on yet
    (nor are recused from)."""
    sessions = list(session.scalars(
        select(CouncilSession).join(CouncilMember, CouncilMember.council_id == CouncilSession.council_id)
        .where(CouncilSession.department_id == actor.department_id, CouncilSession.state == "open",
               CouncilMember.user_id == actor.id, CouncilMember.active.is_(True))
        .options(selectinload(CouncilSession.items).selectinload(AgendaItem.nomination))
        .order_by(CouncilSession.date, CouncilSession.id)
    ))
    pending: list[tuple[CouncilSession, int]] = []
    for s in sessions:
        voted = council.voted_items(session, s, actor.id)
        left = sum(1 for i in s.items if i.nomination_id not in voted
                   and not council.recusal_reason(actor.user, i.nomination))
        if left:
            pending.append((s, left))
    if not pending:
        return None
    single = len(pending) == 1
    return Card("council_vote", "Phiên họp đang chờ bạn biểu quyết",
                "Hồ sơ bạn chưa biểu quyết trong phiên họp đang diễn ra (phiếu kín; mỗi hồ sơ một lần).",
                sum(left for _, left in pending),
                link=links.path("council_ballot", pending[0][0].id) if single else links.path("council_sessions"),
                items=[LinkItem(s.title, links.path("council_ballot", s.id), f"còn {left} hồ sơ chưa biểu quyết")
                       for s, left in pending[:PREVIEW]])


@functools.lru_cache(maxsize=64)
def _agenda_statement(scope: tuple) -> PlainSelect:
    return _preview((policy.scope_clause(scope), Nomination.state == "submitted",
                     Nomination.department_id == bindparam("department_id"), council.not_held_by_a_session()),
                    ((Nomination.id, False, False),), Campaign.evaluation_deadline)


def _agenda_card(session: Session, actor: Actor, today: dt.date) -> Card | None:
    """Submitted dossiers on no agenda yet: not on a session still to close, nor passed (or tied) in a closed one
    and waiting for the decision. Those of a session without quorum come back here."""
    scope, params = policy.scope_bound(actor, "nomination", "view")
    count, deadline, items = _read_preview(session, _agenda_statement(scope),
                                           {**params, "department_id": actor.department_id, "today": today})
    if not count:
        return None
    return Card("council_agenda", "Hồ sơ chờ đưa vào phiên họp Hội đồng",
                "Đã trình, chưa thuộc chương trình phiên họp nào: lên lịch phiên họp, lập chương trình và công khai.",
                count, deadline, "Hạn xét khen thưởng", link=links.path("council_sessions"), items=items)


_DECIDE_CHOSEN = (
    select(Nomination.id, Nomination.title, Nomination.state, Nomination.subject_type, Nomination.unit_id,
           Nomination.subject_person_id, CouncilSession.id.label("session_id"),
           CouncilSession.closed_at, func.count().over().label("total"),
           func.min(CouncilSession.id).over().label("first_session"),
           func.max(CouncilSession.id).over().label("last_session"))
    .join(AgendaItem, AgendaItem.nomination_id == Nomination.id)
    .join(CouncilSession, CouncilSession.id == AgendaItem.session_id)
    .where(*decisions.awaiting_decision_where(bindparam("department_id")))
    .order_by(CouncilSession.closed_at, Nomination.id).limit(PREVIEW).subquery("chosen")
)
# The passes awaiting the director's decision: their count, whether they are of one session, and the first five
# (with the session of each), in one statement.
_DECIDE = PlainSelect(
    select(_DECIDE_CHOSEN.c.total, _DECIDE_CHOSEN.c.first_session, _DECIDE_CHOSEN.c.last_session,
           _DECIDE_CHOSEN.c.session_id, _DECIDE_CHOSEN.c.id, _DECIDE_CHOSEN.c.title, _DECIDE_CHOSEN.c.state,
           _DECIDE_CHOSEN.c.subject_type, Unit.name, Person.full_name)
    .select_from(_DECIDE_CHOSEN).outerjoin(Unit, Unit.id == _DECIDE_CHOSEN.c.unit_id)
    .outerjoin(Person, Person.id == _DECIDE_CHOSEN.c.subject_person_id)
    .order_by(_DECIDE_CHOSEN.c.closed_at, _DECIDE_CHOSEN.c.id),
    inline=True,
)


def _decide_card(session: Session, actor: Actor) -> Card | None:
    rows = _DECIDE.all(session, {"department_id": actor.department_id})
    if not rows:
        return None
    count, first_session, last_session = rows[0][:3]
    single = first_session == last_session
    return Card("council_decide", "Hồ sơ Hội đồng đã thông qua, chờ quyết định công nhận",
                "Ký quyết định công nhận điển hình tiên tiến cấp cơ sở.", count,
                link=links.path("decision_new", session=rows[0][3]) if single else links.path("decision_new"),
                items=[CardItem(*r[4:]) for r in rows])


def council_cards(session: Session, actor: Actor, now: dt.datetime | None = None) -> list[Card]:
    """The council's work: a member's open ballots; the secretariat's dossiers without a session and sessions
    whose list is not public yet; the director's sessions to open and to close, passes to decide and ties."""
    if actor.department_id is None:
        return []
    now = now or clock.now()
    today = now.astimezone(council.TZ).date()
    dept = actor.department_id
    cards: list[Card | None] = []
    if policy.can(actor, "sit", "council_session"):
        cards.append(_vote_card(session, actor))
    prepares, chairs = policy.can(actor, "prepare", "council_session"), policy.can(actor, "chair", "council_session")
    sessions = _sessions(session, dept, now) if prepares or chairs else {}
    if prepares:
        cards.append(_agenda_card(session, actor, today))
        cards.append(_session_card(
            "council_publish", "Phiên họp chưa công khai danh sách",
            "Lập chương trình và công khai danh sách để lấy ý kiến trước ngày họp.", sessions["council_publish"]))
    if chairs:
        cards.append(_session_card(
            "council_open", "Phiên họp sẵn sàng khai mạc", "Đã hết thời hạn công khai lấy ý kiến.",
            sessions["council_open"]))
        cards.append(_session_card(
            "council_close", "Phiên họp đang biểu quyết, chờ kết thúc",
            "Khi các thành viên đã biểu quyết, kết thúc phiên họp để kiểm phiếu.", sessions["council_close"]))
        cards.append(_decide_card(session, actor))
        cards.append(_session_card(
            "council_ties", "Hồ sơ bằng phiếu chờ Chủ tịch Hội đồng quyết định",
            "Các hồ sơ bằng tỷ lệ đồng ý tại ngưỡng chỉ tiêu: Chủ tịch Hội đồng chọn hồ sơ được công nhận.",
            sessions["council_ties"]))
    return [c for c in cards if c is not None]


# ------------------------------------------------------------------------------------------------ proposals
@functools.lru_cache(maxsize=64)
def _proposal_candidates_statement(scope: tuple) -> PlainSelect:
    taken = select(ProposalItem.id).where(ProposalItem.nomination_id == Nomination.id,
                                          ProposalItem.live.is_(True)).exists()
    return _preview((policy.scope_clause(scope), Nomination.state == "evaluated_co_so",
                     Nomination.department_id == bindparam("department_id"), ~taken),
                    ((Nomination.id, False, False),))


def _proposal_candidates_card(session: Session, actor: Actor) -> Card | None:
    """Cơ sở examples of the department not in a proposal still open for them: material for a Tờ trình."""
    scope, params = policy.scope_bound(actor, "nomination", "view")
    count, _, items = _read_preview(session, _proposal_candidates_statement(scope),
                                    {**params, "department_id": actor.department_id})
    if not count:
        return None
    return Card("proposal_candidates", "Điển hình cấp cơ sở chưa có trong tờ trình",
                "Lập tờ trình đề nghị Bộ trưởng công nhận điển hình tiên tiến ngành Tư pháp.", count,
                link=links.path("proposal_new"), items=items)


def _proposals_to_sign_card(session: Session, actor: Actor) -> Card | None:
    drafts = list(session.scalars(
        select(Proposal).where(Proposal.department_id == actor.department_id, Proposal.state == "draft")
        .options(selectinload(Proposal.items)).order_by(Proposal.created_at, Proposal.id)))
    if not drafts:
        return None
    single = len(drafts) == 1
    return Card("proposals_to_sign", "Tờ trình chờ ký, trình Bộ",
                "Văn phòng Sở đã lập dự thảo: ký và trình Bộ trưởng Bộ Tư pháp.", len(drafts),
                link=links.path("proposal", drafts[0].id) if single else links.path("proposals", state="draft"),
                items=[LinkItem(p.title, links.path("proposal", p.id), f"{len(p.items)} hồ sơ")
                       for p in drafts[:PREVIEW]])


# Proposed items awaiting the Minister's decision, per submitted proposal with its department, newest first: plain
# rows of the four values the card shows (every proposal's count is summed, five are listed).
_MINISTRY = PlainSelect(
    select(Proposal.id, Proposal.number, Unit.name, func.count(ProposalItem.id))
    .join(ProposalItem, ProposalItem.proposal_id == Proposal.id)
    .join(Nomination, Nomination.id == ProposalItem.nomination_id)
    .join(Unit, Unit.id == Proposal.department_id)
    .where(Proposal.state == "submitted", ProposalItem.live.is_(True), Nomination.state == "proposed_nganh")
    .group_by(Proposal.id, Unit.name)
    .order_by(Proposal.submitted_at.desc(), Proposal.id.desc())
)


def _ministry_card(session: Session) -> Card | None:
    """Proposed items awaiting the Minister's decision, counted per submitted proposal with its department."""
    rows = _MINISTRY.all(session, {})
    if not rows:
        return None
    return Card("ministry_awaiting", "Hồ sơ các Sở đề nghị, chờ quyết định của Bộ trưởng",
                "Ghi nhận quyết định của Bộ trưởng: công nhận hoặc không công nhận điển hình ngành Tư pháp.",
                sum(n for *_, n in rows), link=links.path("ministry_inbox"),
                items=[LinkItem(f"Tờ trình số {number} — {dept}", links.path("ministry_proposal", pid),
                                f"{n} hồ sơ chờ quyết định") for pid, number, dept, n in rows[:PREVIEW]])


def proposal_cards(session: Session, actor: Actor) -> list[Card]:
    """The proposal's work: the secretariat's cơ sở examples to propose, the director's drafts to sign, the
    Ministry's proposed items awaiting the Minister's decision."""
    cards: list[Card | None] = []
    if policy.can(actor, "draft", "proposal"):
        cards.append(_proposal_candidates_card(session, actor))
    if policy.can(actor, "sign", "proposal"):
        cards.append(_proposals_to_sign_card(session, actor))
    if policy.can(actor, "issue_nganh", "decision"):
        cards.append(_ministry_card(session))
    return [c for c in cards if c is not None]
