"""Read side of the audit trail for auditors and administrators (`GET /api/v1/audit`)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import AuditEvent
from workflow.errors import Forbidden
from workflow.permissions import Actor
from workflow.queries import Page, page_params, paginate

AUDIT_READERS = ("auditor", "admin")


def require_audit_reader(actor: Actor) -> None:
    if not actor.has(*AUDIT_READERS):
        raise Forbidden("Không có quyền xem nhật ký hệ thống.",
                        ["Chỉ Thanh tra (kiểm toán) hoặc quản trị hệ thống được xem nhật ký."])


def audit_query(*, object_type=None, object_id=None, actor=None, action=None, since: dt.datetime | None = None,
                until: dt.datetime | None = None, before_id: int | None = None):
    stmt = select(AuditEvent)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if actor not in (None, ""):
        actor = str(actor).strip()
        if actor.isdigit() and len(actor) < 10:
            stmt = stmt.where(or_(AuditEvent.actor_id == int(actor), AuditEvent.actor_username == actor))
        else:
            stmt = stmt.where(AuditEvent.actor_username == actor)
    if action:
        # "nomination.submit" matches exactly; "nomination." (trailing dot) matches the whole family.
        if action.endswith("."):
            stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == action)
    if since is not None:
        stmt = stmt.where(AuditEvent.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.created_at < until)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    return stmt


def list_audit_events(session: Session, viewer: Actor, /, *, page=1, per_page=50, **filters) -> Page:
    """Newest first (id desc). `filters` are those of `audit_query` (its `actor` is the username or id to filter
    on; `viewer` is who reads). `before_id` gives keyset paging for long exports: pass the last id seen."""
    require_audit_reader(viewer)
    page, per_page = page_params(page, per_page, default=50)
    stmt = audit_query(**filters)
    return paginate(session, stmt, page, per_page, AuditEvent.id.desc())
