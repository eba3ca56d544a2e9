"""Queues e-mail beside an in-app notification, in the same transaction. Delivery is the worker's job."""
from __future__ import annotations

import uuid
from email.utils import parseaddr
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import EmailOptOut, Notification, OutboxMessage, User
from workflow.notification_categories import category_of

# Set by the app (or the CLI) from SMTP_HOST, MAIL_FROM and BASE_URL: without SMTP_HOST notifications are in-app
# only (CONTRACT.md). Message-IDs take the domain of MAIL_FROM; links in the body are made absolute with BASE_URL.
SETTINGS = {"email_enabled": False, "mail_domain": "localhost", "base_url": "http://127.0.0.1:5000"}


def address_domain(mail_from: str | None) -> str | None:
    """The domain of an address such as "dienhinh@stp.gov.vn" or "Sở Tư pháp <dienhinh@stp.gov.vn>" (lower case),
    None when there is none."""
    _, address = parseaddr(mail_from or "")
    local, at, domain = address.rpartition("@")
    domain = domain.strip().lower()
    if not (at and local and domain) or any(c in domain for c in "<>@ \t"):
        return None
    return domain


def configure(*, email_enabled: bool, mail_from: str | None = None, base_url: str | None = None,
              mail_domain: str | None = None) -> None:
    SETTINGS["email_enabled"] = email_enabled
    domain = mail_domain or address_domain(mail_from)
    if domain:
        SETTINGS["mail_domain"] = domain
    if base_url:
        SETTINGS["base_url"] = base_url.rstrip("/")


def absolute_link(link: str | None) -> str:
    """An in-app link ("/nominations/12") as an absolute URL under BASE_URL; an absolute URL is kept."""
    if not link:
        return ""
    if urlsplit(link).scheme in ("http", "https"):
        return link
    return f"{SETTINGS['base_url']}/{link.lstrip('/')}"


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
        body=f"{notification.body}\n\n{absolute_link(notification.link)}".strip(),
        message_id=f"<{uuid.uuid4().hex}@{SETTINGS['mail_domain']}>",
    )
    session.add(msg)
    return msg
