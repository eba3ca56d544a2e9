"""The options a form or a filter offers, already limited to the actor's scope.

Offering only what the actor may use saves a refused round trip; the services still check every choice.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import String, exists, func, literal, select, union_all
from sqlalchemy.orm import Session, joinedload

from models import Campaign, Person, Unit
from models.plain import PlainSelect
from workflow import policy
from workflow.policy import Actor
from workflow.reporting.dashboard import open_campaigns

NOMINEE_UNIT_KINDS = ("division", "district_office")


def _registrable(actor: Actor) -> tuple:
    """The units the actor may register a nomination for: their own (unit head) or all of the department
    (secretariat), active, of a kind that nominates."""
    return (policy.scope(actor, "unit", "register_for"), Unit.active.is_(True), Unit.kind.in_(NOMINEE_UNIT_KINDS))


def registrable_units(session: Session, actor: Actor) -> list[Unit]:
    return list(session.scalars(select(Unit).where(*_registrable(actor)).order_by(Unit.name)))


def may_register_somewhere(session: Session, actor: Actor) -> bool:
    """Whether registrable_units has any unit for the actor (one EXISTS, not the units): the list page's offer."""
    return bool(session.scalar(select(exists().where(*_registrable(actor)))))


def registrable_people(session: Session, actor: Actor) -> list[Person]:
    """Active people of those units, in Vietnamese order (given name first); the actor themself is left out."""
    unit_ids = [u.id for u in registrable_units(session, actor)]
    if not unit_ids:
        return []
    stmt = select(Person).options(joinedload(Person.unit)).where(Person.unit_id.in_(unit_ids),
                                                                  Person.active.is_(True))
    if actor.person_id is not None:
        stmt = stmt.where(Person.id != actor.person_id)
    return list(session.scalars(stmt.order_by(Person.sort_key, Person.id)))


def registration_campaigns(session: Session, actor: Actor, today: dt.date | None = None) -> list[Campaign]:
    return open_campaigns(session, actor, today)


def _campaigns_stmt(actor: Actor):
    return select(Campaign.id, Campaign.name).where(policy.scope(actor, "campaign"))


CAMPAIGN_ORDER = (Campaign.start_date.desc(), Campaign.id.desc())


def _units_stmt(actor: Actor):
    """The units a filter offers (see filter_units), or None when it offers none."""
    stmt = select(Unit.id, Unit.name).where(Unit.kind.in_(NOMINEE_UNIT_KINDS))
    widest = policy.widest_scope(actor, "view", "nomination")
    if widest == policy.ALL:
        return stmt
    if widest == policy.DEPARTMENT and actor.department_id is not None:
        return stmt.where(Unit.department_id == actor.department_id)
    if actor.unit_id is not None:
        return stmt.where(Unit.id == actor.unit_id)
    return None


def filter_campaigns(session: Session, actor: Actor) -> list:
    """Campaigns worth filtering by: the actor's department's, or every one for readers across departments. Rows of
    (id, name): a filter shows nothing else, and a reader across departments has hundreds of them on every list page
    (whole ORM objects cost more to load than the list itself)."""
    return list(session.execute(_campaigns_stmt(actor).order_by(*CAMPAIGN_ORDER)))


def filter_units(session: Session, actor: Actor) -> list:
    """Units worth filtering by: the actor's own unit (unit head), their department's, or all nominee units. Rows of
    (id, name), as filter_campaigns."""
    stmt = _units_stmt(actor)
    return [] if stmt is None else list(session.execute(stmt.order_by(Unit.name)))


class Choice(NamedTuple):
    id: int
    name: str


class ListFilters(NamedTuple):
    """What the nominations list page offers beside its rows: filter_campaigns, filter_units, may_register_somewhere."""

    campaigns: list
    units: list
    can_register: bool


FILTER_STATEMENTS_KEPT = 256
_filter_statements: dict[tuple, object] = {}


def list_filters(session: Session, actor: Actor) -> ListFilters:
    """filter_campaigns, filter_units and may_register_somewhere in one statement (a UNION ALL of the three, each
    part numbering its rows in its own order): the list page ran three, a round trip and a statement's Python cost
    each, on every view. The same statements as the three functions, so the page offers what they would."""
    found = ListFilters([], [], False)
    for row_id, name, part, _ in _list_filters_statement(actor).all(session, {}):
        if part == "c":
            found.campaigns.append(Choice(row_id, name))
        elif part == "u":
            found.units.append(Choice(row_id, name))
        else:
            found = found._replace(can_register=True)
    return found


def _list_filters_statement(actor: Actor) -> PlainSelect:
    """The statement of list_filters, built once per scope and kept (up to FILTER_STATEMENTS_KEPT): building a union
    of three scoped parts cost more CPU than the three statements it replaces. The policy's scope clauses are a
    function of the actor's id, roles, department, unit and person, so these are the key."""
    key = (actor.id, actor.roles, actor.department_id, actor.unit_id, actor.person_id)
    stmt = _filter_statements.get(key)
    if stmt is None:
        if len(_filter_statements) >= FILTER_STATEMENTS_KEPT:
            _filter_statements.clear()
        stmt = _filter_statements[key] = PlainSelect(_build_list_filters(actor))
    return stmt


def _build_list_filters(actor: Actor):
    campaigns = _campaigns_stmt(actor).add_columns(
        literal("c").label("part"), func.row_number().over(order_by=CAMPAIGN_ORDER).label("pos"))
    parts = [campaigns]
    units = _units_stmt(actor)
    if units is not None:
        parts.append(units.add_columns(literal("u").label("part"),
                                       func.row_number().over(order_by=Unit.name).label("pos")))
    registrable = select(Unit.id).where(*_registrable(actor)).limit(1).subquery("registrable")
    parts.append(select(registrable.c.id, literal(None, String).label("name"), literal("r").label("part"),
                        literal(0).label("pos")))
    both = union_all(*parts).subquery("choices")
    return select(both).order_by(both.c.part, both.c.pos)
