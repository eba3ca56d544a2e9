"""What waits for a user ("Việc cần làm") and their in-app notifications.

The home page shows one card per kind of pending work for the user's roles. Counting happens here, through the
same scoped query as the nomination list (queries.nominations_query), so a card can never count a nomination the
user could not open.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from models import (
    AgendaItem,
    Campaign,
    CouncilMember,
    CouncilSession,
    Nomination,
    Proposal,
    ProposalItem,
    StateChange,
    Unit,
)
from workflow import clock, links, policy
from workflow.council import operations as council
from workflow.nominations.queries import nominations_query
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


def _nomination_card(session: Session, actor: Actor, spec: _Spec, today: dt.date) -> Card:
    state = ",".join(spec.states) or None
    stmt = nominations_query(actor, state=state, verb="view_dossier")  # work queues: whole dossiers only
    if spec.returned is not None:
        stmt = stmt.where(_returned_clause() if spec.returned else ~_returned_clause())
    deadline_col = _deadline_column(spec.deadline)
    # One statement for the count and the nearest deadline still ahead; one for the preview, whose five rows are
    # chosen on (deadline, id) alone before their unit, campaign and person are joined (joined first, every
    # nomination of the card was joined and sorted in full).
    base = stmt.order_by(None).subquery()
    count, deadline = session.execute(
        select(func.count(), func.min(case((deadline_col >= today, deadline_col))))
        .select_from(base).join(Campaign, Campaign.id == base.c.campaign_id)
    ).one()
    items: list[Nomination] = []
    if count:
        order = (deadline_col.asc().nulls_last(), Nomination.id.desc())
        chosen = stmt.join(Campaign, Campaign.id == Nomination.campaign_id).with_only_columns(Nomination.id) \
            .order_by(*order).limit(PREVIEW)
        items = list(session.scalars(
            select(Nomination).join(Campaign, Campaign.id == Nomination.campaign_id)
            .where(Nomination.id.in_(chosen))
            .options(joinedload(Nomination.unit), joinedload(Nomination.campaign),
                     joinedload(Nomination.subject_person))
            .order_by(*order)
        ).unique())
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
def _sessions(session: Session, department_id: int, *conditions) -> list[CouncilSession]:
    return list(session.scalars(
        select(CouncilSession).where(CouncilSession.department_id == department_id, *conditions)
        .order_by(CouncilSession.date, CouncilSession.id)
    ))


def _session_card(key: str, title: str, hint: str, sessions: list[CouncilSession], *, target: str = "council_session",
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


def _agenda_card(session: Session, actor: Actor, today: dt.date) -> Card | None:
    """Submitted dossiers on no agenda yet: not on a session still to close, nor passed (or tied) in a closed one
    and waiting for the decision. Those of a session without quorum come back here."""
    stmt = nominations_query(actor, state="submitted").where(
        Nomination.department_id == actor.department_id, ~council.held_by_a_session())
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if not count:
        return None
    deadline = session.scalar(
        select(func.min(Campaign.evaluation_deadline)).where(
            Campaign.id.in_(stmt.with_only_columns(Nomination.campaign_id).order_by(None)),
            Campaign.evaluation_deadline >= today))
    items = list(session.scalars(stmt.options(joinedload(Nomination.unit), joinedload(Nomination.subject_person))
                                 .order_by(Nomination.id).limit(PREVIEW)).unique())
    return Card("council_agenda", "Hồ sơ chờ đưa vào phiên họp Hội đồng",
                "Đã trình, chưa thuộc chương trình phiên họp nào: lên lịch phiên họp, lập chương trình và công khai.",
                count, deadline, "Hạn xét khen thưởng", link=links.path("council_sessions"), items=items)


def _decide_card(session: Session, actor: Actor) -> Card | None:
    rows = session.execute(
        select(Nomination, CouncilSession.id).join(AgendaItem, AgendaItem.nomination_id == Nomination.id)
        .join(CouncilSession, CouncilSession.id == AgendaItem.session_id)
        .where(*decisions.awaiting_decision_where(actor.department_id))
        .options(joinedload(Nomination.unit), joinedload(Nomination.subject_person))
        .order_by(CouncilSession.closed_at, Nomination.id)
    ).unique().all()
    if not rows:
        return None
    session_ids = {sid for _, sid in rows}
    single = len(session_ids) == 1
    return Card("council_decide", "Hồ sơ Hội đồng đã thông qua, chờ quyết định công nhận",
                "Ký quyết định công nhận điển hình tiên tiến cấp cơ sở.", len(rows),
                link=links.path("decision_new", session=rows[0][1]) if single else links.path("decision_new"),
                items=[n for n, _ in rows[:PREVIEW]])


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
    if policy.can(actor, "prepare", "council_session"):
        cards.append(_agenda_card(session, actor, today))
        cards.append(_session_card(
            "council_publish", "Phiên họp chưa công khai danh sách",
            "Lập chương trình và công khai danh sách để lấy ý kiến trước ngày họp.",
            _sessions(session, dept, CouncilSession.state == "scheduled", CouncilSession.published_at.is_(None))))
    if policy.can(actor, "chair", "council_session"):
        cards.append(_session_card(
            "council_open", "Phiên họp sẵn sàng khai mạc", "Đã hết thời hạn công khai lấy ý kiến.",
            _sessions(session, dept, CouncilSession.state == "scheduled", CouncilSession.published_at.is_not(None),
                      CouncilSession.comments_until <= now)))
        cards.append(_session_card(
            "council_close", "Phiên họp đang biểu quyết, chờ kết thúc",
            "Khi các thành viên đã biểu quyết, kết thúc phiên họp để kiểm phiếu.",
            _sessions(session, dept, CouncilSession.state == "open")))
        cards.append(_decide_card(session, actor))
        tied = select(AgendaItem.id).where(AgendaItem.session_id == CouncilSession.id,
                                           AgendaItem.outcome == "tie").exists()
        cards.append(_session_card(
            "council_ties", "Hồ sơ bằng phiếu chờ Chủ tịch Hội đồng quyết định",
            "Các hồ sơ bằng tỷ lệ đồng ý tại ngưỡng chỉ tiêu: Chủ tịch Hội đồng chọn hồ sơ được công nhận.",
            _sessions(session, dept, CouncilSession.state == "closed", tied)))
    return [c for c in cards if c is not None]


# ------------------------------------------------------------------------------------------------ proposals
def _proposal_candidates_card(session: Session, actor: Actor) -> Card | None:
    """Cơ sở examples of the department not in a proposal still open for them: material for a Tờ trình."""
    taken = select(ProposalItem.id).where(ProposalItem.nomination_id == Nomination.id,
                                          ProposalItem.live.is_(True)).exists()
    stmt = nominations_query(actor, state="evaluated_co_so").where(
        Nomination.department_id == actor.department_id, ~taken)
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if not count:
        return None
    items = list(session.scalars(stmt.options(joinedload(Nomination.unit), joinedload(Nomination.subject_person))
                                 .order_by(Nomination.id).limit(PREVIEW)).unique())
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


def _ministry_card(session: Session) -> Card | None:
    """Proposed items awaiting the Minister's decision, counted per submitted proposal with its department."""
    rows = session.execute(
        select(Proposal, Unit.name, func.count(ProposalItem.id))
        .join(ProposalItem, ProposalItem.proposal_id == Proposal.id)
        .join(Nomination, Nomination.id == ProposalItem.nomination_id)
        .join(Unit, Unit.id == Proposal.department_id)
        .where(Proposal.state == "submitted", ProposalItem.live.is_(True), Nomination.state == "proposed_nganh")
        .group_by(Proposal.id, Unit.name)
        .order_by(Proposal.submitted_at.desc(), Proposal.id.desc())
    ).all()
    if not rows:
        return None
    return Card("ministry_awaiting", "Hồ sơ các Sở đề nghị, chờ quyết định của Bộ trưởng",
                "Ghi nhận quyết định của Bộ trưởng: công nhận hoặc không công nhận điển hình ngành Tư pháp.",
                sum(n for _, _, n in rows), link=links.path("ministry_inbox"),
                items=[LinkItem(f"Tờ trình số {p.number} — {dept}", links.path("ministry_proposal", p.id),
                                f"{n} hồ sơ chờ quyết định") for p, dept, n in rows[:PREVIEW]])


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
