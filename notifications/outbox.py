"""Queues e-mail beside an in-app notification, in the same transaction. Delivery is the worker's job."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import EmailOptOut, Notification, OutboxMessage, User
from notifications.categories import category_of

# Set by the app (or the CLI) from SMTP_HOST: without it notifications are in-app only (CONTRACT.md).
SETTINGS = {"email_enabled": False, "mail_domain": "dienhinh.local"}


def configure(*, email_enabled: bool, mail_domain: str | None = None) -> None:
    SETTINGS["email_enabled"] = email_enabled
    if mail_domain:
        SETTINGS["mail_domain"] = mail_domain


def email_enabled() -> bool:
    return SETTINGS["email_enabled"]


def opted_out(session: Session, user_ids, kind: str) -> set[int]:
    """Those of `user_ids` who do not want this kind of notification by e-mail (one query for all recipients)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(session.scalars(select(EmailOptOut.user_id).where(
        EmailOptOut.user_id.in_(ids), EmailOptOut.category == category_of(kind))))


def queue_email(session: Session, user: User, notification: Notification, *,
                muted: set[int] | None = None) -> OutboxMessage | None:
    """`muted`: the recipients known to have opted out of this kind (computed once by the caller for a batch)."""
    if not SETTINGS["email_enabled"] or not user.email:
        return None
    if muted is None:
        muted = opted_out(session, [user.id], notification.kind)
    if user.id in muted:
        return None
    msg = OutboxMessage(
        notification_id=notification.id, to_address=user.email, subject=f"[Điển hình] {notification.title}",
        body=f"{notification.body}\n\n{notification.link or ''}".strip(),
        message_id=f"<{uuid.uuid4().hex}@{SETTINGS['mail_domain']}>",
    )
    session.add(msg)
    return msg
