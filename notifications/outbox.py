"""Queues e-mail beside an in-app notification, in the same transaction. Delivery is the worker's job."""
from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from models import Notification, OutboxMessage, User

# Set by the app (or the CLI) from SMTP_HOST: without it notifications are in-app only (CONTRACT.md).
SETTINGS = {"email_enabled": False, "mail_domain": "dienhinh.local"}


def configure(*, email_enabled: bool, mail_domain: str | None = None) -> None:
    SETTINGS["email_enabled"] = email_enabled
    if mail_domain:
        SETTINGS["mail_domain"] = mail_domain


def queue_email(session: Session, user: User, notification: Notification) -> OutboxMessage | None:
    if not SETTINGS["email_enabled"] or not user.email:
        return None
    msg = OutboxMessage(
        notification_id=notification.id, to_address=user.email, subject=f"[Điển hình] {notification.title}",
        body=f"{notification.body}\n\n{notification.link or ''}".strip(),
        message_id=f"<{uuid.uuid4().hex}@{SETTINGS['mail_domain']}>",
    )
    session.add(msg)
    return msg
