"""Read side: lists and look-ups, always through the caller's scope (policy.scope)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import Nomination, fold
from workflow import inputs, policy
from workflow.errors import ValidationFailed
from workflow.policy import Actor

MAX_PER_PAGE = 100


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def page_params(page, per_page, default: int = 20) -> tuple[int, int]:
    try:
        page = inputs.integer(page) or 1
        per_page = inputs.integer(per_page) or default
    except inputs.Invalid:
        raise ValidationFailed("Tham số phân trang không hợp lệ.", ["page và per_page phải là số nguyên."]) from None
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationFailed("Tham số phân trang không hợp lệ.",
                               [f"page ≥ 1 và 1 ≤ per_page ≤ {MAX_PER_PAGE}."])
    return page, per_page


def int_filter(value, name: str) -> int | None:
    """A numeric id filter: None when absent, a 422 naming the filter when not a number or outside the ids a
    column can hold (a 20-digit id must not reach PostgreSQL's integer comparison)."""
    return inputs.one(name, inputs.integer, value, detail="Bộ lọc không hợp lệ.", minimum=1)


def nominations_query(actor: Actor, *, state=None, campaign=None, unit=None, subject_type=None, q=None):
    stmt = select(Nomination)
    clause = policy.scope(actor, "nomination")
    if clause is not None:
        stmt = stmt.where(clause)
    if state:
        states = [s for s in str(state).split(",") if s]
        stmt = stmt.where(Nomination.state.in_(states))
    if (cid := int_filter(campaign, "campaign")) is not None:
        stmt = stmt.where(Nomination.campaign_id == cid)
    if (uid := int_filter(unit, "unit")) is not None:
        stmt = stmt.where(Nomination.unit_id == uid)
    if subject_type:
        stmt = stmt.where(Nomination.subject_type == subject_type)
    if q:
        for word in fold(q).split()[:8]:
            stmt = stmt.where(Nomination.search_text.contains(word, autoescape=True))
    return stmt


def paginate(session: Session, stmt, page: int, per_page: int, *order_by, options=()) -> Page:
    """One count and one page of rows of an already scoped statement (page and per_page already validated)."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if order_by:
        stmt = stmt.order_by(*order_by)
    rows = session.scalars(stmt.options(*options).limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(list(rows), total, page, per_page)


def list_nominations(session: Session, actor: Actor, *, page=1, per_page=20, **filters) -> Page:
    page, per_page = page_params(page, per_page)
    stmt = nominations_query(actor, **filters)
    return paginate(session, stmt, page, per_page, Nomination.id.desc(),
                    options=(joinedload(Nomination.unit), joinedload(Nomination.campaign),
                     joinedload(Nomination.subject_person),))


def detail_options():
    return (
        selectinload(Nomination.criteria), selectinload(Nomination.checkins), selectinload(Nomination.attachments),
        selectinload(Nomination.history),
    )
