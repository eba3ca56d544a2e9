"""Read side of the organisation: units and people, within the caller's scope.

Global roles (admin, auditor, ministry reviewer) see every department; everyone else sees the units and people of
their own department (the department unit itself included).
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Person, Unit, fold
from workflow import policy
from workflow.nominations.queries import Page, page_params, paginate
from workflow.policy import Actor


def _page(session: Session, stmt, order_by, page, per_page) -> Page:
    page, per_page = page_params(page, per_page)
    return paginate(session, stmt, page, per_page, *order_by)


def unit_scope_clause(actor: Actor):
    """The WHERE clause on Unit: the policy's scope of units (also the scope of people, through their unit)."""
    return policy.scope(actor, "unit")


def list_units(session: Session, actor: Actor, *, page=1, per_page=20, kind=None, active=None, q=None,
               department=None) -> Page:
    stmt = select(Unit).where(policy.scope(actor, "unit"))
    if kind:
        stmt = stmt.where(Unit.kind == kind)
    if active is not None:
        stmt = stmt.where(Unit.active.is_(bool(active)))
    if department is not None:
        stmt = stmt.where(or_(Unit.department_id == department, Unit.id == department))
    for word in fold(q).split()[:8]:
        stmt = stmt.where(Unit.search_text.contains(word, autoescape=True))
    return _page(session, stmt, (Unit.id,), page, per_page)


def list_people(session: Session, actor: Actor, *, page=1, per_page=20, unit=None, q=None, active=None) -> Page:
    """People sorted the Vietnamese way (given name first, then the rest: `Person.sort_key`); `q` is
    accent-insensitive ("nguyen thi lan" finds "Nguyễn Thị Lan")."""
    stmt = select(Person).where(policy.scope(actor, "person"))
    if unit is not None:
        stmt = stmt.where(Person.unit_id == unit)
    if active is not None:
        stmt = stmt.where(Person.active.is_(bool(active)))
    for word in fold(q).split()[:8]:
        stmt = stmt.where(Person.search_text.contains(word, autoescape=True))
    return _page(session, stmt, (Person.sort_key, Person.id), page, per_page)


def within(candidate: Unit, unit: Unit) -> bool:
    """Whether `candidate` is `unit` or one of its descendants: making it `unit`'s parent would close a cycle (the
    unit form's parent and a unit's move both refuse it)."""
    node, seen = candidate, set()
    while node is not None and node.id not in seen:
        if node.id == unit.id:
            return True
        seen.add(node.id)
        node = node.parent
    return False
