"""A user's own choice of which notifications also come by e-mail (in-app notifications always arrive).

Stored as opt-outs (`email_opt_outs`): a new user, or a new category, is mailed until the user says otherwise."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import EmailOptOut
from workflow import events, signals
from workflow.context import CLI, Context
from workflow.errors import ValidationFailed
from workflow.notification_categories import CATEGORIES
from workflow.policy import Actor


def email_preferences(session: Session, actor: Actor) -> dict[str, bool]:
    """{category: True when mailed} for every category, in display order."""
    muted = set(session.scalars(select(EmailOptOut.category).where(EmailOptOut.user_id == actor.id)))
    return {code: code not in muted for code in CATEGORIES}


def set_email_preferences(session: Session, actor: Actor, choices: dict, *, context: Context = CLI) -> dict[str, bool]:
    """`choices` maps categories to booleans; categories left out keep their setting. Unknown categories or
    non-boolean values are refused whole (nothing is written)."""
    if not isinstance(choices, dict):
        raise ValidationFailed("Lựa chọn nhận e-mail không hợp lệ.", ["Phải là {nhóm thông báo: true/false}."])
    errors = {}
    for code, value in choices.items():
        if code not in CATEGORIES:
            errors[str(code)[:40]] = "Nhóm thông báo không tồn tại"
        elif not isinstance(value, bool):
            errors[code] = "Phải là true hoặc false"
    if errors:
        raise ValidationFailed("Lựa chọn nhận e-mail không hợp lệ.",
                               [f"{k}: {v}" for k, v in errors.items()] + [f"Các nhóm: {', '.join(CATEGORIES)}."],
                               errors)
    before = email_preferences(session, actor)
    after = {**before, **choices}
    if after == before:
        return after
    session.execute(delete(EmailOptOut).where(EmailOptOut.user_id == actor.id))
    session.add_all(EmailOptOut(user_id=actor.id, category=code) for code, on in after.items() if not on)
    session.flush()
    changes = {code: [before[code], after[code]] for code in CATEGORIES if before[code] != after[code]}
    signals.emit(session, events.EmailPreferencesChanged(user_id=actor.id, changes=changes, actor=actor,
                                                         context=context))
    return after
