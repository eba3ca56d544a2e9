"""The options a form or a filter offers, already limited to the actor's scope.

Offering only what the actor may use saves a refused round trip; the services still check every choice.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import String, exists, func, literal, select, union_all
from sqlalchemy.orm import Session, joinedload

from models import Campaign, DataStamp, Person, Unit
from models.plain import PlainSelect
from models.stamps import CHOICES
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
    """What the nominations list page offers beside its rows: filter_campaigns, filter_units, may_register_somewhere
    (tuples: one answer may be kept and served to many requests)."""

    campaigns: tuple
    units: tuple
    can_register: bool


FILTER_STATEMENTS_KEPT = 256
_filter_statements: dict[tuple, object] = {}
FILTERS_KEPT = 1024
_filters_kept: dict[tuple, ListFilters] = {}


def list_filters(session: Session, actor: Actor, stamp: str | None = None) -> ListFilters:
    """filter_campaigns, filter_units and may_register_somewhere in one statement (a UNION ALL of the three, each
    part numbering its rows in its own order): the list page ran three, a round trip and a statement's Python cost
    each, on every view. The same statements as the three functions, so the page offers what they would.

    They read only `units` and `campaigns`, whose every change writes a new random stamp in its own transaction
    (`models.stamps`). The statement reads the stamp beside the choices (one snapshot), and what it found is kept
    under that stamp and the actor's scope; `stamp` is the stamp as the caller read it in this session before
    (`accounts.caller_for_session`, in the same statement as the caller): an equal stamp means the same units and
    campaigns, so the kept choices are the ones the statement would give, and no statement is run. A stamp read
    before a change of this session's own would be older than what the session sees: pass one only from a request
    that changed nothing (the list page is a GET)."""
    key = _scope_key(actor)
    if stamp is not None:
        kept = _filters_kept.get((stamp, key))
        if kept is not None:
            return kept
    campaigns, units, can_register, read_stamp = [], [], False, None
    for row_id, name, part, _ in _list_filters_statement(actor, key).all(session, {}):
        if part == "c":
            campaigns.append(Choice(row_id, name))
        elif part == "u":
            units.append(Choice(row_id, name))
        elif part == "r":
            can_register = True
        elif part == "s":
            read_stamp = name
    found = ListFilters(tuple(campaigns), tuple(units), can_register)
    if read_stamp is not None:
        if len(_filters_kept) >= FILTERS_KEPT:
            _filters_kept.clear()
        _filters_kept[(read_stamp, key)] = found
    return found


def _scope_key(actor: Actor) -> tuple:
    """What the policy's scope clauses of the three parts read of the actor (`policy.scope`, `widest_scope`): its
    id, roles, whether it may hold a signing grant, department, unit, the units its unit's scope reaches (a merger's
    predecessors, `Actor.unit_ids`: date-dependent) and person."""
    unit_id = actor.unit_id
    return (actor.id, actor.roles, actor.signs, actor.department_id, unit_id,
            actor.unit_ids if unit_id is not None else (), actor.person_id)


def _list_filters_statement(actor: Actor, key: tuple) -> PlainSelect:
    """The statement of list_filters, built once per scope (`_scope_key`) and kept (up to FILTER_STATEMENTS_KEPT):
    building a union of three scoped parts cost more CPU than the three statements it replaces."""
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
    parts.append(select(literal(0).label("id"), DataStamp.stamp.label("name"), literal("s").label("part"),
                        literal(0).label("pos")).where(DataStamp.name == CHOICES))
    both = union_all(*parts).subquery("choices")
    return select(both).order_by(both.c.part, both.c.pos)
