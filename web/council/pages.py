"""Read side of the council and decision pages: what each page shows, loaded in a fixed number of queries (no N+1),
and never a member's choice — the database holds none that a page could read (see models.council)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import (
    AgendaItem,
    Campaign,
    Council,
    CouncilMember,
    CouncilSession,
    Decision,
    DecisionItem,
    Nomination,
    PublicComment,
    User,
)
from workflow import clock
from workflow.council import operations as council
from workflow.nominations import rules
from workflow.policy import Actor

SESSION_COLOURS = {"scheduled": "secondary", "open": "primary", "closed": "dark", "cancelled": "warning"}
OUTCOME_COLOURS = {"passed": "success", "failed": "danger", "quota_exceeded": "warning", "tie": "warning",
                   "no_quorum": "secondary"}
FUNCTION_ORDER = {code: i for i, code in enumerate(council.FUNCTION_LABELS)}
NOMINATION_OPTIONS = (joinedload(Nomination.unit), joinedload(Nomination.subject_person),
                      joinedload(Nomination.campaign))


def percent(value) -> str:
    """A ratio as a Vietnamese percentage without the sign: 0.6667 → "66,67", 0.7 → "70"."""
    if value is None:
        return ""
    number = (Decimal(str(value)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    text = f"{number:f}"
    return text.replace(".", ",")


# ------------------------------------------------------------------------------------------------ sessions
@dataclass
class SessionRow:
    s: CouncilSession
    items: int


def session_rows(session: Session, sessions: list[CouncilSession]) -> list[SessionRow]:
    """The list's rows with their campaign (loaded in one query into the identity map) and agenda sizes."""
    if not sessions:
        return []
    ids = [s.id for s in sessions]
    list(session.scalars(select(Campaign).where(Campaign.id.in_({s.campaign_id for s in sessions}))))
    counts = dict(session.execute(select(AgendaItem.session_id, func.count()).where(AgendaItem.session_id.in_(ids))
                                  .group_by(AgendaItem.session_id)).all())
    return [SessionRow(s, counts.get(s.id, 0)) for s in sessions]


def load_session(session: Session, actor: Actor, session_id: int) -> CouncilSession:
    """The session if the actor may see it (404 otherwise), with its agenda, nominations, attendance and campaign."""
    council.load_session(session, actor, session_id)
    return session.scalars(
        select(CouncilSession).where(CouncilSession.id == session_id)
        .options(selectinload(CouncilSession.items).selectinload(AgendaItem.nomination).options(*NOMINATION_OPTIONS),
                 selectinload(CouncilSession.attendance), joinedload(CouncilSession.campaign),
                 joinedload(CouncilSession.council))
        .execution_options(populate_existing=True)
    ).one()


def members(session: Session, c: Council, *, include_inactive: bool = False) -> list[CouncilMember]:
    """Members with their user and person, chair first, then by function, then the Vietnamese way by name."""
    stmt = select(CouncilMember).where(CouncilMember.council_id == c.id).options(
        joinedload(CouncilMember.user).options(joinedload(User.person), joinedload(User.unit)))
    if not include_inactive:
        stmt = stmt.where(CouncilMember.active.is_(True))
    rows = list(session.scalars(stmt))

    def key(m: CouncilMember):
        person = m.user.person
        return (not m.active, FUNCTION_ORDER.get(m.function, 9), person.sort_key if person else m.user.full_name)

    return sorted(rows, key=key)


def member_of(session: Session, s: CouncilSession, user_id: int) -> CouncilMember | None:
    return session.scalar(select(CouncilMember).where(
        CouncilMember.council_id == s.council_id, CouncilMember.user_id == user_id, CouncilMember.active.is_(True)))


def comments_by_item(session: Session, s: CouncilSession) -> dict[int, list[PublicComment]]:
    out: dict[int, list[PublicComment]] = {}
    for c in session.scalars(select(PublicComment).where(PublicComment.session_id == s.id)
                             .options(joinedload(PublicComment.author)).order_by(PublicComment.created_at,
                                                                                 PublicComment.id)):
        out.setdefault(c.nomination_id, []).append(c)
    return out


@dataclass
class Publicity:
    status: str  # not_published | open | ended
    until: dt.datetime | None
    label: str


def publicity(s: CouncilSession, now: dt.datetime | None = None) -> Publicity:
    now = now or clock.now()
    if s.published_at is None:
        return Publicity("not_published", None, "Chưa công khai danh sách")
    if now <= s.comments_until:
        return Publicity("open", s.comments_until, "Đang công khai lấy ý kiến")
    return Publicity("ended", s.comments_until, "Đã hết thời hạn công khai")


def decisions_of_session(session: Session, s: CouncilSession) -> list[Decision]:
    return list(session.scalars(select(Decision).where(Decision.session_id == s.id).order_by(Decision.id)))


# ------------------------------------------------------------------------------------------------ voting
@dataclass
class BallotItem:
    item: AgendaItem
    nomination: Nomination
    recused: str | None
    voted: bool
    criteria: list = field(default_factory=list)
    eligibility: list = field(default_factory=list)
    comments: list = field(default_factory=list)
    attachments: list = field(default_factory=list)


def ballot_items(session: Session, s: CouncilSession, member_user: User) -> list[BallotItem]:
    """The member's view of each agenda item: the dossier, its rules, the comments, and whether they are recused
    or have voted (THAT they voted, from the receipt; never what)."""
    voted = council.voted_items(session, s, member_user.id)
    comments = comments_by_item(session, s)
    ids = [i.nomination_id for i in s.items]
    # Kept by id while the items are built: the session's identity map holds an object only while it is referred to.
    nominations = {n.id: n for n in session.scalars(
        select(Nomination).where(Nomination.id.in_(ids))
        .options(selectinload(Nomination.criteria), selectinload(Nomination.attachments)))}
    out = []
    for item in s.items:
        n = nominations[item.nomination_id]
        answers = {a.code: a for a in n.criteria}
        out.append(BallotItem(
            item=item, nomination=n, recused=council.recusal_reason(member_user, n), voted=n.id in voted,
            criteria=[(c, answers.get(c.code)) for c in rules.criteria_for(n.subject_type, n.campaign.kind)],
            eligibility=rules.evaluate(session, n, stage="submit"), comments=comments.get(n.id, []),
            attachments=list(n.attachments),
        ))
    return out


# ------------------------------------------------------------------------------------------------ decisions
def decision_rows(session: Session, items: list[Decision]) -> dict[int, int]:
    """How many nominations each decision lists (the signers came with the page: `decisions.list_decisions`)."""
    if not items:
        return {}
    return dict(session.execute(select(DecisionItem.decision_id, func.count())
                                .where(DecisionItem.decision_id.in_([d.id for d in items]))
                                .group_by(DecisionItem.decision_id)).all())


def decision_nominations(session: Session, d: Decision) -> list[Nomination]:
    return list(session.scalars(
        select(Nomination).join(DecisionItem).where(DecisionItem.decision_id == d.id)
        .options(*NOMINATION_OPTIONS).order_by(DecisionItem.id)
    ).unique())
