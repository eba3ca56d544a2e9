"""The caller's in-app notifications: listing them, the header's unread count, marking one or all read."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Notification
from workflow import clock
from workflow.errors import NotFound
from workflow.nominations.queries import Page, page_params, paginate
from workflow.policy import Actor


def list_notifications(session: Session, actor: Actor, *, page=1, per_page=20, unread: bool | None = None) -> Page:
    page, per_page = page_params(page, per_page)
    stmt = select(Notification).where(Notification.user_id == actor.id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return paginate(session, stmt, page, per_page, Notification.id.desc())


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ) or 0


def mark_read(session: Session, actor: Actor, notification_id: int) -> Notification:
    """Marks one of the actor's notifications read (idempotent); another user's is 404."""
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != actor.id:
        raise NotFound("Không tìm thấy thông báo.")
    if note.read_at is None:
        note.read_at = clock.now()
        session.flush()
    return note


def mark_all_read(session: Session, actor: Actor) -> int:
    """Marks every unread notification of the actor read (one UPDATE); returns how many were unread."""
    stmt = (update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
            .values(read_at=clock.now()))
    return session.execute(stmt).rowcount or 0
