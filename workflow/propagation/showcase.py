"""The public showcase (no login): recognised examples by year, level and unit, and the published stories.

Only public facts leave here: the example's title, subject name, unit, level, year, decision number and date — never
achievements, drafts or personal data beyond the subject's name. Level `co_so`: Điển hình cấp cơ sở (also while
proposed to the Ministry); level `nganh`: Điển hình ngành Tư pháp. Withdrawn, revoked and not recognised never show.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, joinedload

from models import AwardRecord, Decision, DecisionItem, Nomination, StateChange, Story, Unit
from workflow import inputs
from workflow.errors import NotFound, ValidationFailed
from workflow.nominations.machine import RECOGNISED_BY_LEVEL, RECOGNISED_STATES
from workflow.nominations.queries import Page, int_filter, page_params, paginate
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
    return "nganh" if n.state == "recognized" else "co_so"


def _year_clause(year: int):
    """The example was recognised at its current level in `year` (the award record the recognition wrote)."""
    def award(level: str):
        return exists().where(AwardRecord.nomination_id == Nomination.id, AwardRecord.level == AWARD_LEVEL[level],
                              AwardRecord.revoked.is_(False), AwardRecord.year == year)
    return (and_(Nomination.state.in_(LEVEL_STATES["co_so"]), award("co_so"))
            | and_(Nomination.state.in_(LEVEL_STATES["nganh"]), award("nganh")))


def examples(session: Session, *, year=None, level=None, unit=None, page=1, per_page=20) -> Page:
    page, per_page = page_params(page, per_page)
    stmt = select(Nomination).where(Nomination.state.in_(RECOGNISED_STATES))
    if level not in (None, ""):
        if level not in LEVELS:
            raise ValidationFailed("Bộ lọc không hợp lệ.", ["level: co_so hoặc nganh."])
        stmt = stmt.where(Nomination.state.in_(LEVEL_STATES[level]))
    if (y := int_filter(year, "year")) is not None:
        stmt = stmt.where(_year_clause(y))
    if (u := int_filter(unit, "unit")) is not None:
        stmt = stmt.where(Nomination.unit_id == u)
    result = paginate(session, stmt, page, per_page, Nomination.updated_at.desc(), Nomination.id.desc(),
                      options=(joinedload(Nomination.unit).joinedload(Unit.department),
                               joinedload(Nomination.subject_person)), ids_first=Nomination.id)
    result.items = present(session, result.items)
    return result


def present(session: Session, nominations: list[Nomination]) -> list[Example]:
    """The public facts of each nomination: three queries for the whole page, whatever its size."""
    if not nominations:
        return []
    ids = [n.id for n in nominations]
    awards = {}
    for a in session.scalars(select(AwardRecord).where(AwardRecord.nomination_id.in_(ids),
                                                       AwardRecord.revoked.is_(False)).order_by(AwardRecord.id)):
        awards[(a.nomination_id, a.level)] = a
    decisions = {}
    for item_nid, d in session.execute(select(DecisionItem.nomination_id, Decision).join(
            Decision, Decision.id == DecisionItem.decision_id).where(DecisionItem.nomination_id.in_(ids))
            .order_by(Decision.id)):
        decisions[(item_nid, d.level)] = d
    steps = {}
    for c in session.scalars(select(StateChange).where(
            StateChange.nomination_id.in_(ids),
            StateChange.action.in_(tuple(RECOGNISE_ACTION.values()))).order_by(StateChange.version)):
        steps[(c.nomination_id, c.action)] = c
    out = []
    for n in nominations:
        level = level_of(n)
        award = awards.get((n.id, AWARD_LEVEL[level]))
        decision = decisions.get((n.id, level))
        step = steps.get((n.id, RECOGNISE_ACTION[level]))
        data = (step.data or {}) if step is not None else {}
        number = decision.number if decision else (award.decision_number if award and award.decision_number
                                                    else data.get("decision_number", ""))
        date = decision.date if decision else _date(data.get("decision_date"))
        year = award.year if award else (decision.year if decision else (date.year if date else None))
        out.append(Example(n.id, n.title, n.subject_name, n.unit.name if n.unit else "",
                           n.unit.department.name if n.unit and n.unit.department else "", level, year,
                           number or "", date))
    return out


def _date(value) -> dt.date | None:
    """The decision date a history step recorded (before decisions were recorded as rows): None when unreadable."""
    try:
        return inputs.date(value)
    except inputs.Invalid:
        return None


def filter_choices(session: Session) -> dict:
    """Years and units that have a recognised example (the filter selects)."""
    years = sorted(set(session.scalars(select(AwardRecord.year).join(
        Nomination, Nomination.id == AwardRecord.nomination_id).where(
        Nomination.state.in_(RECOGNISED_STATES), AwardRecord.revoked.is_(False)).distinct())), reverse=True)
    units = list(session.scalars(select(Unit).where(Unit.id.in_(
        select(Nomination.unit_id).where(Nomination.state.in_(RECOGNISED_STATES)))).order_by(Unit.name)))
    return {"years": years, "units": units}


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

