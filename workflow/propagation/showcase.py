"""The public showcase (no login): recognised examples by year, level and unit, and the published stories.

Only public facts leave here: the example's title, subject name, unit, level, year, decision number and date — never
achievements, drafts or personal data beyond the subject's name. Level `co_so`: Điển hình cấp cơ sở (also while
proposed to the Ministry); level `nganh`: Điển hình ngành Tư pháp. Withdrawn, revoked and not recognised never show.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from models import AwardRecord, Decision, DecisionItem, Nomination, Person, StateChange, Story, Unit
from models.nominations import subject_name_of
from models.planner import broad
from workflow import inputs
from workflow.errors import NotFound, ValidationFailed
from workflow.nominations.machine import RECOGNISED_BY_LEVEL, RECOGNISED_STATES
from workflow.nominations.queries import Page, int_filter, page_ids, page_params
from workflow.propagation import stories

LEVELS = {"co_so": "Điển hình cấp cơ sở", "nganh": "Điển hình ngành Tư pháp"}
LEVEL_STATES = RECOGNISED_BY_LEVEL
AWARD_LEVEL = {"co_so": "co_so", "nganh": "bo"}  # AwardRecord.level written by each recognition
RECOGNISE_ACTION = {"co_so": "recognize_co_so", "nganh": "recognize_nganh"}
FEED_SIZE = 50


@dataclass
class Example:
    """One recognised example as the public sees it."""

    id: int
    title: str
    subject_name: str
    unit_name: str
    department_name: str
    level: str
    year: int | None
    decision_number: str
    decision_date: dt.date | None

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]


def level_of(n: Nomination) -> str:
    return _level(n.state)


def _level(state: str) -> str:
    return "nganh" if state == "recognized" else "co_so"


def _year_clause(year: int):
    """The example was recognised at its current level in `year` (the award record the recognition wrote)."""
    def award(level: str):
        return exists().where(AwardRecord.nomination_id == Nomination.id, AwardRecord.level == AWARD_LEVEL[level],
                              AwardRecord.revoked.is_(False), AwardRecord.year == year)
    return (and_(Nomination.state.in_(LEVEL_STATES["co_so"]), award("co_so"))
            | and_(Nomination.state.in_(LEVEL_STATES["nganh"]), award("nganh")))


def examples(session: Session, *, year=None, level=None, unit=None, page=1, per_page=20) -> Page:
    page, per_page = page_params(page, per_page)
    # Broad: SQLite then walks ix_nominations_updated, which holds exactly these rows in the page's order.
    stmt = select(Nomination).where(broad(Nomination.state.in_(RECOGNISED_STATES)))
    if level not in (None, ""):
        if level not in LEVELS:
            raise ValidationFailed("Bộ lọc không hợp lệ.", ["level: co_so hoặc nganh."])
        stmt = stmt.where(Nomination.state.in_(LEVEL_STATES[level]))
    if (y := int_filter(year, "year")) is not None:
        stmt = stmt.where(_year_clause(y))
    if (u := int_filter(unit, "unit")) is not None:
        stmt = stmt.where(Nomination.unit_id == u)
    order = (Nomination.updated_at.desc(), Nomination.id.desc())
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    # The page's ids chosen on the nominations alone, then their public facts as plain rows (no ORM objects).
    chosen = page_ids(stmt, Nomination.id, order, total, page, per_page)
    rows = session.execute(_FACTS.where(Nomination.id.in_(chosen)).order_by(*order)).all()
    return Page(_present(session, rows), total, page, per_page)


_Department = aliased(Unit)
# What `present` reads of a nomination, as plain columns: id, title, state, whom it is about, its unit, its department.
_FACTS = (select(Nomination.id, Nomination.title, Nomination.state, Nomination.subject_type, Person.full_name,
                 Unit.name, _Department.name)
          .outerjoin(Unit, Unit.id == Nomination.unit_id)
          .outerjoin(_Department, _Department.id == Unit.department_id)
          .outerjoin(Person, Person.id == Nomination.subject_person_id))


def present(session: Session, nominations: list[Nomination]) -> list[Example]:
    """The public facts of each nomination: three queries for the whole page, whatever its size."""
    return _present(session, [
        (n.id, n.title, n.state, n.subject_type, n.subject_person.full_name if n.subject_person else None,
         n.unit.name if n.unit else None, n.unit.department.name if n.unit and n.unit.department else None)
        for n in nominations])


def _present(session: Session, rows) -> list[Example]:
    """`present` of plain rows (id, title, state, subject type, person's name, unit's name, department's name): the
    award records, decisions and recognition steps of the page read as plain columns."""
    if not rows:
        return []
    ids = [r[0] for r in rows]
    awards = {}  # (nomination, level) → (year, decision number): the newest record wins
    for nid, a_level, a_year, a_number in session.execute(
            select(AwardRecord.nomination_id, AwardRecord.level, AwardRecord.year, AwardRecord.decision_number)
            .where(AwardRecord.nomination_id.in_(ids), AwardRecord.revoked.is_(False)).order_by(AwardRecord.id)):
        awards[(nid, a_level)] = (a_year, a_number)
    decisions = {}  # (nomination, level) → (number, date, year)
    for nid, d_level, d_number, d_date, d_year in session.execute(
            select(DecisionItem.nomination_id, Decision.level, Decision.number, Decision.date, Decision.year)
            .join(Decision, Decision.id == DecisionItem.decision_id).where(DecisionItem.nomination_id.in_(ids))
            .order_by(Decision.id)):
        decisions[(nid, d_level)] = (d_number, d_date, d_year)
    steps = {}
    for nid, action, data in session.execute(
            select(StateChange.nomination_id, StateChange.action, StateChange.data).where(
                StateChange.nomination_id.in_(ids),
                StateChange.action.in_(tuple(RECOGNISE_ACTION.values()))).order_by(StateChange.version)):
        steps[(nid, action)] = data
    out = []
    for nid, title, state, subject_type, person_name, unit_name, department_name in rows:
        level = _level(state)
        award = awards.get((nid, AWARD_LEVEL[level]))
        decision = decisions.get((nid, level))
        data = steps.get((nid, RECOGNISE_ACTION[level])) or {}
        number = decision[0] if decision else (award[1] if award and award[1] else data.get("decision_number", ""))
        date = decision[1] if decision else _date(data.get("decision_date"))
        year = award[0] if award else (decision[2] if decision else (date.year if date else None))
        out.append(Example(nid, title, subject_name_of(subject_type, person_name, unit_name), unit_name or "",
                           department_name or "", level, year, number or "", date))
    return out


def _date(value) -> dt.date | None:
    """The decision date a history step recorded (before decisions were recorded as rows): None when unreadable."""
    try:
        return inputs.date(value)
    except inputs.Invalid:
        return None


def filter_choices(session: Session) -> dict:
    """Years and units (id and name, as plain rows) that have a recognised example (the filter selects)."""
    years = sorted(set(session.scalars(select(AwardRecord.year).join(
        Nomination, Nomination.id == AwardRecord.nomination_id).where(
        Nomination.state.in_(RECOGNISED_STATES), AwardRecord.revoked.is_(False)).distinct())), reverse=True)
    units = session.execute(select(Unit.id, Unit.name).where(_HAS_EXAMPLE).order_by(Unit.name)).all()
    return {"years": years, "units": units}


# Asked per unit (a few hundred), each answered from `ix_nominations_unit_state`: as `unit_id IN (the recognised
# examples' units)` SQLite read every recognised example's row for its unit (~21,000 at 100k nominations, 19 ms of
# the public page's 60), where PostgreSQL reads them from its index alone.
_HAS_EXAMPLE = select(Nomination.id).where(Nomination.unit_id == Unit.id,
                                           Nomination.state.in_(RECOGNISED_STATES)).exists()


def published_stories(session: Session, *, page=1, per_page=10, nomination=None) -> Page:
    return stories.list_stories(session, None, page=page, per_page=per_page, state="published",
                                nomination=nomination)


def feed_stories(session: Session, limit: int = FEED_SIZE) -> list[Story]:
    """The newest published stories about examples still recognised, newest first."""
    return list(session.scalars(
        select(Story).join(Nomination, Nomination.id == Story.nomination_id)
        .where(Story.state == "published", Nomination.state.in_(RECOGNISED_STATES))
        .options(joinedload(Story.department), joinedload(Story.nomination).joinedload(Nomination.unit),
                 joinedload(Story.nomination).joinedload(Nomination.subject_person))
        .order_by(Story.published_at.desc(), Story.id.desc()).limit(limit)).unique())


def public_example(session: Session, nomination_id) -> Example:
    """The public page of one example (/showcase/examples/<id>): only a recognised example is public; any other
    nomination (a draft, one in the council, not recognised, withdrawn, revoked) is the same 404 as one that does
    not exist, so the page reveals nothing about the work in progress."""
    n_id = nomination_id if isinstance(nomination_id, int) and 0 < nomination_id < 2**31 else None
    example = example_of(session, n_id) if n_id is not None else None
    if example is None:
        raise NotFound("Không tìm thấy điển hình tiên tiến.")
    return example


def example_of(session: Session, nomination_id: int) -> Example | None:
    n = session.scalar(select(Nomination).where(Nomination.id == nomination_id,
                                                Nomination.state.in_(RECOGNISED_STATES))
                       .options(joinedload(Nomination.unit), joinedload(Nomination.subject_person)))
    return present(session, [n])[0] if n is not None else None

