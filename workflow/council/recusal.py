"""Who may not vote on what (recusal): a member does not vote on an item about themselves or about the unit they
belong to or head. The council's operations, the ballot sheet and the count of ballots the close relies on
(workflow/council/turnout.py) all apply this one rule; it sits apart so that they can without importing each other.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.sql import Select

from models import Nomination, Person, User


def recusal_reason(member_user: User, n: Nomination) -> str | None:
    """A member is recused from an item about themselves or about the unit they belong to or head."""
    return _recusal(_member_key(member_user), (n.subject_type, n.subject_person_id, n.unit_id))


def _member_key(member_user: User) -> tuple[int | None, int | None, int | None]:
    """What the recusal rule reads of a member: their person, that person's unit, their account's unit."""
    person = member_user.person
    return member_user.person_id, person.unit_id if person is not None else None, member_user.unit_id


def member_key_statement(*columns) -> Select:
    """`_member_key` read in SQL: a SELECT of `columns` then the member's person, that person's unit and their
    account's unit (in `_member_key`'s order, last), FROM users outer-joined to people. Add the WHERE that finds the
    user; a hot path (a vote) reads the member's key with its other checks in one statement instead of loading the
    ORM User and Person."""
    return (select(*columns, User.person_id, Person.unit_id, User.unit_id).select_from(User)
            .outerjoin(Person, Person.id == User.person_id))


def _recusal(member: tuple[int | None, int | None, int | None], item: tuple[str, int | None, int]) -> str | None:
    """The rule of `recusal_reason` on plain values (a close applies it to every member and item: 12,500 times)."""
    person_id, person_unit_id, user_unit_id = member
    subject_type, subject_person_id, unit_id = item
    if subject_type == "individual" and person_id is not None and person_id == subject_person_id:
        return "Là cá nhân được đề nghị."
    if person_unit_id is not None and person_unit_id == unit_id:
        return "Là thành viên hoặc người đứng đầu đơn vị được đề nghị."
    if user_unit_id is not None and user_unit_id == unit_id:
        return "Là thành viên hoặc người đứng đầu đơn vị được đề nghị."
    return None
