"""Read side of the organisation's changes (issue 16): a unit's name, code and parent as of a date, its history,
its former name beside the current one in lists, and the predecessors whose records it inherits.

One home for "as of a date": documents (decisions, certificates), lists and the eligibility rules ask here, never
the `unit_names` table themselves. A unit's current name is its own column; `unit_names` holds each former one until
the effective date of the change that ended it (exclusive).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, aliased

from models import Unit, UnitChange, UnitName, UnitSuccessor


@dataclass(frozen=True)
class UnitAsOf:
    id: int
    name: str
    code: str
    parent_id: int | None
    parent_name: str | None


def unit_name_on(session: Session, unit_id: int, date: dt.date | None) -> UnitAsOf | None:
    """The unit as it was on `date` (today's unit with None): name, code, parent and the parent's name then."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        return None
    name, code, parent_id = unit.name, unit.code, unit.parent_id
    if date is not None:
        former = session.scalars(select(UnitName).where(UnitName.unit_id == unit_id, UnitName.valid_to > date)
                                 .order_by(UnitName.valid_to, UnitName.id).limit(1)).first()
        if former is not None:
            name, code, parent_id = former.name, former.code, former.parent_id
    parent_name = None
    if parent_id is not None:
        parent = unit_name_on(session, parent_id, date) if parent_id != unit_id else None
        parent_name = parent.name if parent is not None else None
    return UnitAsOf(unit_id, name, code, parent_id, parent_name)


def names_as_of(session: Session, unit_ids, date: dt.date | None) -> dict[int, str]:
    """Each unit's name as it was on `date` (today's with None), in two statements whatever the number of units: what
    a report's tables need for every unit they list (`unit_name_on` answers one unit, with its parent)."""
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    result = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    if date is None:
        return result
    rows = session.execute(select(UnitName.unit_id, UnitName.name)
                           .where(UnitName.unit_id.in_(ids), UnitName.valid_to > date)
                           .order_by(UnitName.unit_id, UnitName.valid_to.desc(), UnitName.id.desc())).all()
    for unit_id, name in rows:
        result[unit_id] = name  # the last one wins: the earliest name still valid after `date`
    return result


def former_names(session: Session, unit_ids) -> dict[int, str]:
    """The latest former name of each unit that was renamed (for "current name (formerly …)" in lists)."""
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    rows = session.execute(select(UnitName.unit_id, UnitName.name).where(UnitName.unit_id.in_(ids))
                           .order_by(UnitName.unit_id, UnitName.valid_to, UnitName.id)).all()
    current = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    result: dict[int, str] = {}
    for unit_id, name in rows:
        if name != current.get(unit_id):
            result[unit_id] = name  # the last one wins: ordered by valid_to
    return result


# ---------------------------------------------------------------------------------------------- lists
# Lists show a unit's current name with the former one beside it: a renamed unit as "Tên mới (trước đây: Tên cũ)",
# a unit merged or closed into a successor as "Successor (trước đây: the unit)" — the row stays the unit's (a
# recognised example keeps the unit it was recognised for), the label says what it is called now. Lists read the
# two inputs in their own statement (`former_name_column`, a successor join on `Unit.replaced_by_id`): never a
# statement more per row or per page.
def former_name_column(unit=Unit):
    """The unit's latest former name as a correlated scalar subquery (NULL for a unit never renamed): one probe of
    `ix_unit_names_unit_valid_to` per listed row, inside the list's own statement."""
    return (select(UnitName.name).where(UnitName.unit_id == unit.id)
            .order_by(UnitName.valid_to.desc(), UnitName.id.desc()).limit(1)
            .correlate(unit).scalar_subquery())


def previous_name(name: str, former: str | None, successor: str | None) -> str | None:
    """The name shown beside the current one, or None: the unit's own name when a successor carries it on, else its
    latest former name when it differs (a change of code alone keeps the name)."""
    if successor and successor != name:
        return name
    if former and former != name:
        return former
    return None


def current_name(name: str, successor: str | None) -> str:
    """What the unit is called now: its successor's name once merged or closed into one, else its own."""
    return successor if successor and successor != name else name


def listed_name(name: str, former: str | None = None, successor: str | None = None) -> str:
    """"Tên mới (trước đây: Tên cũ)" for a renamed or merged unit, the name alone otherwise."""
    previous = previous_name(name, former, successor)
    if previous is None:
        return name
    return f"{current_name(name, successor)} (trước đây: {previous})"


def listed_names(session: Session) -> dict[int, str]:
    """`listed_name` of every unit that was renamed or carried on by a successor, in one statement (an export's rows
    look theirs up here; units that never changed are not in it and print their name)."""
    successor = aliased(Unit)
    rows = session.execute(
        select(Unit.id, Unit.name, former_name_column(Unit), successor.name)
        .outerjoin(successor, successor.id == Unit.replaced_by_id)
        .where(or_(Unit.replaced_by_id.is_not(None), exists().where(UnitName.unit_id == Unit.id)))).all()
    return {uid: listed_name(name, former, succ) for uid, name, former, succ in rows
            if previous_name(name, former, succ) is not None}


@dataclass(frozen=True)
class Inherited:
    """A predecessor whose records a unit inherits, and the change that made it so (what a rule cites)."""

    unit_id: int
    name: str
    effective_date: dt.date
    kind: str


def predecessors(session: Session, unit_id: int) -> list[Inherited]:
    """Every unit whose award records count for `unit_id` (through merges, the inheriting part of a split, a close
    with a successor), transitively, oldest change last; the unit itself is not in the list."""
    found: list[Inherited] = []
    seen = {unit_id}
    frontier = [unit_id]
    while frontier:
        rows = session.execute(
            select(UnitSuccessor.predecessor_id, Unit.name, UnitSuccessor.effective_date, UnitChange.kind)
            .join(Unit, Unit.id == UnitSuccessor.predecessor_id)
            .join(UnitChange, UnitChange.id == UnitSuccessor.change_id)
            .where(UnitSuccessor.successor_id.in_(frontier), UnitSuccessor.inherits_records.is_(True))
            .order_by(UnitSuccessor.effective_date.desc(), UnitSuccessor.predecessor_id)).all()
        frontier = []
        for pred_id, name, date, kind in rows:
            if pred_id not in seen:
                seen.add(pred_id)
                frontier.append(pred_id)
                found.append(Inherited(pred_id, name, date, kind))
    return found


def record_unit_ids(session: Session, unit_id: int) -> list[int]:
    """The unit and the predecessors whose records it inherits."""
    return [unit_id, *(p.unit_id for p in predecessors(session, unit_id))]


@dataclass(frozen=True)
class HistoryEntry:
    change: UnitChange
    role: str  # "changed" (the unit itself), "successor" (it received others), "predecessor" (it went into others)


def history(session: Session, unit_id: int) -> list[HistoryEntry]:
    """The changes a unit took part in, newest first: its own (rename, move, close, split) and the merges and splits
    that made it a successor or a predecessor."""
    linked = select(UnitSuccessor.change_id).where(or_(UnitSuccessor.successor_id == unit_id,
                                                       UnitSuccessor.predecessor_id == unit_id))
    changes = session.scalars(select(UnitChange).where(or_(UnitChange.unit_id == unit_id, UnitChange.id.in_(linked)))
                              .order_by(UnitChange.effective_date.desc(), UnitChange.id.desc())).all()
    preds = set(session.scalars(select(UnitSuccessor.change_id).where(UnitSuccessor.predecessor_id == unit_id)))
    succs = set(session.scalars(select(UnitSuccessor.change_id).where(UnitSuccessor.successor_id == unit_id)))
    return [HistoryEntry(c, "predecessor" if c.id in preds else "successor" if c.id in succs else "changed")
            for c in changes]


def names(session: Session, unit_id: int) -> list[UnitName]:
    """The unit's former names, codes and parents, oldest first."""
    return list(session.scalars(select(UnitName).where(UnitName.unit_id == unit_id)
                                .order_by(UnitName.valid_to, UnitName.id)))
