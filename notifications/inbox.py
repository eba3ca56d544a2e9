"""Who is told what: in-app notifications to whoever must act next, written in the change's transaction."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Notification, User, UserRole
from notifications.outbox import queue_email
from workflow.labels import ACTION_LABELS, STATE_LABELS


def users_with_role(session: Session, role: str, *, department_id=None, unit_id=None) -> list[User]:
    stmt = select(User).join(UserRole).where(UserRole.role == role, User.active.is_(True))
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    return list(session.scalars(stmt.order_by(User.id)))


def notify(session: Session, users, *, kind: str, title: str, body: str = "", link: str | None = None,
           object_type: str | None = None, object_id: int | None = None, exclude_id: int | None = None) -> list:
    created = []
    seen = set()
    for user in users:
        if user.id in seen or user.id == exclude_id:
            continue
        seen.add(user.id)
        note = Notification(user_id=user.id, kind=kind, title=title[:300], body=body, link=link,
                            object_type=object_type, object_id=object_id)
        session.add(note)
        session.flush()
        queue_email(session, user, note)
        created.append(note)
    return created


def _recipients(session: Session, nomination, action: str) -> list[User]:
    if action == "submit":
        return users_with_role(session, "secretariat", department_id=nomination.department_id)
    if action in ("return_for_revision", "withdraw", "reject_co_so", "recognize_co_so", "reject_nganh",
                  "recognize_nganh", "revoke"):
        return users_with_role(session, "unit_head", unit_id=nomination.unit_id)
    return []


def on_transitioned(session, *, nomination, change, actor, context, **_):
    users = _recipients(session, nomination, change.action)
    if not users:
        return
    title = f"{ACTION_LABELS[change.action]}: {nomination.title}"
    body = f"Hồ sơ “{nomination.title}” chuyển sang trạng thái “{STATE_LABELS[change.to_state]}”."
    if change.comment:
        body += f"\nÝ kiến: {change.comment}"
    notify(session, users, kind=f"nomination.{change.action}", title=title, body=body,
           link=f"/nominations/{nomination.id}", object_type="nomination", object_id=nomination.id,
           exclude_id=actor.id)
