"""The options a form or a filter offers, already limited to the actor's scope.

Offering only what the actor may use saves a refused round trip; the services still check every choice.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, joinedload

from models import Campaign, Person, Unit
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


def filter_campaigns(session: Session, actor: Actor) -> list:
    """Campaigns worth filtering by: the actor's department's, or every one for readers across departments. Rows of
    (id, name): a filter shows nothing else, and a reader across departments has hundreds of them on every list page
    (whole ORM objects cost more to load than the list itself)."""
    stmt = select(Campaign.id, Campaign.name).where(policy.scope(actor, "campaign")).order_by(
        Campaign.start_date.desc(), Campaign.id.desc())
    return list(session.execute(stmt))


def filter_units(session: Session, actor: Actor) -> list:
    """Units worth filtering by: the actor's own unit (unit head), their department's, or all nominee units. Rows of
    (id, name), as filter_campaigns."""
    stmt = select(Unit.id, Unit.name).where(Unit.kind.in_(NOMINEE_UNIT_KINDS)).order_by(Unit.name)
    widest = policy.widest_scope(actor, "view", "nomination")
    if widest == policy.ALL:
        return list(session.execute(stmt))
    if widest == policy.DEPARTMENT and actor.department_id is not None:
        return list(session.execute(stmt.where(Unit.department_id == actor.department_id)))
    if actor.unit_id is not None:
        return list(session.execute(stmt.where(Unit.id == actor.unit_id)))
    return []
