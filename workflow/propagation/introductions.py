"""Monthly introductions of examples (004 §V.1: "giới thiệu tối thiểu 01 gương điển hình tiên tiến tiêu biểu vào ngày
10 hàng tháng"): recording one, deleting one, and the compliance table per unit for a month.

Who: a unit head for their own unit; the secretariat for any unit of their department. The nomination must belong to
that unit and be a live example (not withdrawn, refused or revoked). The day of introduction lies in the month and is
not in the future. A month is met when the unit introduced at least one example on or before the 10th; until the
10th has passed a unit without one is "not yet due".

Each write emits its event (workflow.events; the audit trail records it in the same transaction); nothing commits here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import DEAD_STATES, MonthlyIntroduction, Nomination, Person, Unit
from models.nominations import subject_name_of
from workflow import clock, events, inputs, policy, signals
from workflow.choices import NOMINEE_UNIT_KINDS, registrable_units
from workflow.context import CLI, Context
from workflow.errors import Forbidden, NotFound, ValidationFailed
from workflow.nominations.queries import Page, page_params
from workflow.policy import Actor

DEADLINE_DAY = 10
REPORTING_KINDS = NOMINEE_UNIT_KINDS
STATUS_LABELS = {"met": "Đạt", "missed": "Không đạt", "not_due": "Chưa đến hạn"}
STATUS_MARKS = {"met": "✓", "missed": "✗", "not_due": "…"}
MAX_FORM, MAX_NOTE = 200, 2000


# ------------------------------------------------------------------------------------------------ parsing
def parse_month(value, *, default: dt.date | None = None) -> dt.date:
    """"2026-03" (or "2026-03-01") → date(2026, 3, 1); empty → the month of `default` (today)."""
    if value in (None, ""):
        d = default or clock.today()
        return d.replace(day=1)
    text = str(value).strip()
    try:
        if len(text) == 7:
            year, month = text.split("-")
            d = dt.date(int(year), int(month), 1)
        else:
            d = dt.date.fromisoformat(text).replace(day=1)
    except (TypeError, ValueError):
        # In the user's words (issue 14): the page's month picker sends 2026-03; an API client reads the schema.
        raise ValidationFailed("Tháng không hợp lệ.", ["Tháng: chọn một tháng, ví dụ tháng 03/2026."],
                               {"month": "Chọn một tháng, ví dụ tháng 03/2026."}) from None
    if not 2000 <= d.year <= 2100:
        raise ValidationFailed("Tháng không hợp lệ.", ["Năm phải trong khoảng 2000–2100."], {"month": "Ngoài phạm vi"})
    return d


def deadline(month: dt.date) -> dt.date:
    return month.replace(day=DEADLINE_DAY)


def month_end(month: dt.date) -> dt.date:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


# ------------------------------------------------------------------------------------------------ permissions
def may_record_for(actor: Actor, unit: Unit) -> bool:
    return bool(policy.can(actor, "record", "introduction", department_id=unit.department_id, unit_id=unit.id))


def recordable_units(session: Session, actor: Actor) -> list[Unit]:
    """The units for which `actor` may record introductions (the form's choices): the same as those it may register
    nominations for — their own unit for a unit head, the department's divisions and offices for the secretariat."""
    return registrable_units(session, actor)


class Candidate(NamedTuple):
    """A nomination the form offers to introduce, as the form shows it (plain values, not a `Nomination`)."""

    id: int
    unit_code: str
    subject_name: str  # `Nomination.subject_name`, said by `subject_name_of`
    title: str
    state: str


def candidate_nominations(session: Session, actor: Actor, limit: int = 300, *,
                          units: list[Unit] | None = None) -> list[Candidate]:
    """Live nominations of the units `actor` may record for (`units`: the `recordable_units` the caller already read),
    the most advanced first (the form's choices). Plain rows of what the form shows: the secretariat's form offers 300
    nominations, which as objects with their unit and person were a third of the page's CPU at 100k (issue 13)."""
    unit_ids = [u.id for u in (recordable_units(session, actor) if units is None else units)]
    if not unit_ids:
        return []
    rows = session.execute(
        select(Nomination.id, Unit.code, Nomination.subject_type, Person.full_name, Unit.name, Nomination.title,
               Nomination.state)
        .join(Unit, Unit.id == Nomination.unit_id).outerjoin(Person, Person.id == Nomination.subject_person_id)
        .where(Nomination.unit_id.in_(unit_ids), Nomination.state.not_in(DEAD_STATES))
        .order_by(Nomination.unit_id, Nomination.id.desc()).limit(limit))
    return [Candidate(nid, code, subject_name_of(subject_type, person, unit_name), title, state)
            for nid, code, subject_type, person, unit_name, title, state in rows]


def _visible(actor: Actor, intro: MonthlyIntroduction) -> bool:
    return bool(policy.can(actor, "view", intro))


# ------------------------------------------------------------------------------------------------ writes
def _data(intro: MonthlyIntroduction) -> dict:
    return {"unit_id": intro.unit_id, "nomination_id": intro.nomination_id, "month": intro.month.isoformat()[:7],
            "introduced_on": intro.introduced_on.isoformat(), "form": intro.form, "note": intro.note}


def record(session: Session, actor: Actor, *, unit_id, nomination_id, introduced_on, month=None, form: str = "",
           note: str = "", context: Context = CLI, today: dt.date | None = None) -> MonthlyIntroduction:
    today = today or clock.today()
    fields = inputs.Form("Dữ liệu không hợp lệ.")
    unit_id = fields.integer("unit_id", unit_id, required=True, minimum=1)
    nomination_id = fields.integer("nomination_id", nomination_id, required=True, minimum=1)
    day = fields.date("introduced_on", introduced_on, required=True)
    form, note = fields.text("form", form, limit=MAX_FORM) or "", fields.text("note", note, limit=MAX_NOTE) or ""
    fields.check()
    unit = session.get(Unit, unit_id)
    if unit is None or unit.kind not in REPORTING_KINDS:
        raise ValidationFailed("Đơn vị không hợp lệ.", [f"Không có phòng, đơn vị thuộc Sở mã số {unit_id}."],
                               {"unit_id": "Không hợp lệ"})
    if not may_record_for(actor, unit):
        raise Forbidden("Không có quyền ghi nhận giới thiệu điển hình cho đơn vị này.",
                        ["Thủ trưởng đơn vị ghi nhận cho đơn vị mình; Văn phòng Sở ghi nhận cho các đơn vị thuộc Sở."])
    reasons, errors = [], {}
    n = session.get(Nomination, nomination_id)
    if n is None or n.unit_id != unit.id:
        reasons.append(f"Hồ sơ số {nomination_id} không phải là hồ sơ của {unit.name}.")
        errors["nomination_id"] = "Không thuộc đơn vị"
    elif n.state in DEAD_STATES:
        reasons.append(f"Hồ sơ số {n.id} “{n.title}” đã rút, không được công nhận hoặc đã bị thu hồi: không giới thiệu "
                       "làm điển hình.")
        errors["nomination_id"] = "Không còn là điển hình"
    target = parse_month(month) if month not in (None, "") else day.replace(day=1)
    if day.replace(day=1) != target:
        reasons.append(f"Ngày giới thiệu {day:%d/%m/%Y} không thuộc tháng {target:%m/%Y}.")
        errors["introduced_on"] = "Không thuộc tháng"
    elif day > today:
        reasons.append(f"Ngày giới thiệu {day:%d/%m/%Y} chưa đến (hôm nay là {today:%d/%m/%Y}).")
        errors["introduced_on"] = "Ngày trong tương lai"
    if reasons:
        raise ValidationFailed("Không ghi nhận được việc giới thiệu điển hình.", reasons, errors)
    duplicate = ValidationFailed(
        "Điển hình này đã được ghi nhận giới thiệu trong tháng.",
        [f"{unit.name} đã ghi nhận giới thiệu hồ sơ số {n.id} “{n.title}” trong tháng {target:%m/%Y}."],
        {"nomination_id": "Đã ghi nhận trong tháng"})
    if session.scalar(select(MonthlyIntroduction.id).where(
            MonthlyIntroduction.unit_id == unit.id, MonthlyIntroduction.month == target,
            MonthlyIntroduction.nomination_id == n.id)) is not None:
        raise duplicate
    intro = MonthlyIntroduction(department_id=unit.department_id, unit_id=unit.id, nomination_id=n.id, month=target,
                                introduced_on=day, form=form, note=note, created_by_id=actor.id)
    try:
        with session.begin_nested():  # a concurrent twin waits on the unique index and fails here
            session.add(intro)
            session.flush()
    except IntegrityError:
        raise duplicate from None
    signals.emit(session, events.IntroductionCreated(introduction_id=intro.id, introduction=_data(intro), actor=actor,
                                                     context=context))
    return intro


def load(session: Session, actor: Actor, intro_id: int) -> MonthlyIntroduction:
    intro = session.get(MonthlyIntroduction, intro_id)
    if intro is None or not _visible(actor, intro):
        raise NotFound("Không tìm thấy việc giới thiệu điển hình.")
    return intro


def delete(session: Session, actor: Actor, intro_id: int, *, context: Context = CLI) -> None:
    intro = load(session, actor, intro_id)
    unit = session.get(Unit, intro.unit_id)
    if not may_record_for(actor, unit):
        raise Forbidden("Không có quyền xóa việc giới thiệu điển hình này.",
                        ["Thủ trưởng đơn vị xóa của đơn vị mình; Văn phòng Sở xóa của các đơn vị thuộc Sở."])
    data = _data(intro)
    session.delete(intro)
    session.flush()
    signals.emit(session, events.IntroductionDeleted(introduction_id=intro_id, introduction=data, actor=actor,
                                                     context=context))


# ------------------------------------------------------------------------------------------------ the table
class ReportingUnit(NamedTuple):
    """What the compliance table shows of a unit, the page and the API alike: plain values, not a `Unit` (the
    Ministry's table is 100 units on every view of the reports page)."""

    id: int
    code: str
    name: str
    department_id: int | None


class IntroducedNomination(NamedTuple):
    """What the compliance table shows of an introduced nomination."""

    id: int
    title: str
    subject_name: str  # `Nomination.subject_name`, said by `subject_name_of`
    state: str


class Introduction(NamedTuple):
    """A month's introduction as the compliance table shows it, the page and the API alike (the columns of a
    `MonthlyIntroduction` they read, and its nomination): plain values, not objects — by the 10th the Ministry's table
    shows one or more for most of its 100 units, each an introduction, a nomination, a unit and a person as objects."""

    id: int
    unit_id: int
    department_id: int
    nomination_id: int
    month: dt.date
    introduced_on: dt.date
    form: str
    note: str
    nomination: IntroducedNomination


@dataclass
class Row:
    unit: ReportingUnit
    introductions: list[Introduction] = field(default_factory=list)
    status: str = "not_due"

    @property
    def count(self) -> int:
        return len(self.introductions)

    @property
    def met(self) -> bool | None:
        return {"met": True, "missed": False}.get(self.status)

    @property
    def late(self) -> bool:
        return self.status == "missed" and bool(self.introductions)

    @property
    def label(self) -> str:
        if self.late:
            return "Không đạt (giới thiệu sau ngày 10)"
        return STATUS_LABELS[self.status]

    @property
    def mark(self) -> str:
        return STATUS_MARKS[self.status]


@dataclass
class Compliance:
    month: dt.date
    deadline: dt.date
    due: bool  # the 10th has passed
    page: Page  # of Row
    department_id: int | None

    @property
    def met_count(self) -> int:
        return sum(1 for r in self.page.items if r.status == "met")


def _status(intros: list[Introduction], month: dt.date, today: dt.date) -> str:
    if any(i.introduced_on <= deadline(month) for i in intros):
        return "met"
    return "missed" if today > deadline(month) else "not_due"


def _units_query(actor: Actor, department_id: int | None, month: dt.date):
    """Reporting units (divisions, district offices) active during the month, in the actor's scope."""
    stmt = select(Unit.id, Unit.code, Unit.name, Unit.department_id).where(
        Unit.kind.in_(REPORTING_KINDS), or_(Unit.active.is_(True), Unit.closed_on >= month))
    widest = policy.widest_scope(actor, "view", "introduction")
    if widest == policy.ALL:
        if department_id is not None:
            stmt = stmt.where(Unit.department_id == department_id)
        return stmt
    if widest == policy.DEPARTMENT and actor.department_id is not None:
        if department_id not in (None, actor.department_id):
            raise Forbidden("Không có quyền xem đơn vị của Sở khác.", ["Chỉ xem được các đơn vị thuộc Sở mình."])
        return stmt.where(Unit.department_id == actor.department_id)
    if widest == policy.UNIT and actor.unit_id is not None:
        return stmt.where(Unit.id == actor.unit_id)
    raise Forbidden("Không có quyền xem bảng theo dõi giới thiệu điển hình.",
                    [policy.rule("introduction", "view").reason])


def compliance(session: Session, actor: Actor, *, month=None, department=None, page=1, per_page=100,
               today: dt.date | None = None) -> Compliance:
    """The compliance table: one row per reporting unit in scope (paginated), with its introductions of the month."""
    today = today or clock.today()
    first = parse_month(month, default=today)
    department_id = None
    if department not in (None, ""):
        department_id = inputs.one("department", inputs.integer, department, detail="Dữ liệu không hợp lệ.",
                                   minimum=1)
    page, per_page = page_params(page, per_page, default=100)
    stmt = _units_query(actor, department_id, first)
    # The page of units with the total beside each row (one statement; a page past the end counts apart), then the
    # month's introductions of the same page chosen again by the database: the page's 100 ids as an IN list were a
    # statement SQLAlchemy rendered and psycopg parsed anew on every request (issue 13).
    page_of = stmt.order_by(Unit.department_id, Unit.kind.desc(), Unit.name, Unit.id) \
        .limit(per_page).offset((page - 1) * per_page)
    found = session.execute(page_of.add_columns(func.count().over())).all()
    units = [ReportingUnit(*r[:4]) for r in found]
    total = found[0][4] if found else session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    by_unit: dict[int, list[Introduction]] = {u.id: [] for u in units}
    if units:
        page_ids = page_of.with_only_columns(Unit.id).scalar_subquery()
        i = MonthlyIntroduction
        for *intro, nid, title, subject_type, person, unit_name, state in session.execute(
                select(i.id, i.unit_id, i.department_id, i.nomination_id, i.month, i.introduced_on, i.form, i.note,
                       Nomination.id, Nomination.title, Nomination.subject_type, Person.full_name, Unit.name,
                       Nomination.state)
                .join(Nomination, Nomination.id == i.nomination_id).join(Unit, Unit.id == Nomination.unit_id)
                .outerjoin(Person, Person.id == Nomination.subject_person_id)
                .where(i.month == first, i.unit_id.in_(page_ids)).order_by(i.introduced_on, i.id)):
            shown = by_unit.get(intro[1])
            if shown is not None:  # a unit added or renamed between the two statements moved the page
                shown.append(Introduction(*intro, IntroducedNomination(
                    nid, title, subject_name_of(subject_type, person, unit_name), state)))
    rows = [Row(u, by_unit[u.id], _status(by_unit[u.id], first, today)) for u in units]
    return Compliance(first, deadline(first), today > deadline(first), Page(rows, total, page, per_page),
                      department_id)


def year_overview(session: Session, department_id: int, year: int, *, unit_id: int | None = None,
                  today: dt.date | None = None) -> list[dict]:
    """Per month of `year`: reporting units, units that met the 10th, introductions recorded (for the yearly report).
    Two GROUP BY queries."""
    today = today or clock.today()
    units = select(Unit.id).where(Unit.department_id == department_id, Unit.kind.in_(REPORTING_KINDS),
                                  Unit.active.is_(True))
    if unit_id is not None:
        units = units.where(Unit.id == unit_id)
    unit_count = session.scalar(select(func.count()).select_from(units.subquery())) or 0
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 1)
    base = select(MonthlyIntroduction).where(MonthlyIntroduction.department_id == department_id,
                                             MonthlyIntroduction.month >= start, MonthlyIntroduction.month <= end)
    if unit_id is not None:
        base = base.where(MonthlyIntroduction.unit_id == unit_id)
    base = base.subquery()
    counts = dict(session.execute(select(base.c.month, func.count()).group_by(base.c.month)).all())
    on_time = (select(base.c.month, base.c.unit_id)
               .where(func.extract("day", base.c.introduced_on) <= DEADLINE_DAY)
               .group_by(base.c.month, base.c.unit_id).subquery())
    met = dict(session.execute(select(on_time.c.month, func.count()).group_by(on_time.c.month)).all())
    result = []
    for m in range(1, 13):
        first = dt.date(year, m, 1)
        result.append({"month": m, "units": unit_count, "met": met.get(first, 0), "introductions": counts.get(first, 0),
                       "due": today > deadline(first)})
    return result
