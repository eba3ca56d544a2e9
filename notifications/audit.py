"""The hash-chained audit trail: every event stores SHA-256(previous hash + canonical JSON of the event).

Rows are appended inside the caller's transaction. On PostgreSQL a transaction-scoped advisory lock serialises
appenders so two transactions never read the same tail; the unique `prev_hash` makes a fork impossible anyway.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models import AuditEvent, utcnow
from workflow.context import CLI, Context

GENESIS = "0" * 64
_LOCK_KEY = 727_001


def canonical(event: AuditEvent) -> str:
    return json.dumps(
        {
            "created_at": event.created_at.isoformat(),
            "actor_id": event.actor_id,
            "actor_username": event.actor_username,
            "action": event.action,
            "outcome": event.outcome,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "data": event.data,
            "ip": event.ip,
            "user_agent": event.user_agent,
        },
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode()).hexdigest()


def _jsonable(data) -> dict:
    return json.loads(json.dumps(data or {}, default=str, ensure_ascii=False))


def append(
    session: Session, *, action: str, actor=None, actor_username: str | None = None, object_type: str | None = None,
    object_id: int | None = None, data: dict | None = None, outcome: str = "ok", context: Context = CLI,
) -> AuditEvent:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    user = getattr(actor, "user", actor)
    now = utcnow()
    event = AuditEvent(
        created_at=now, actor_id=getattr(user, "id", None),
        actor_username=actor_username or getattr(user, "username", None), action=action, outcome=outcome,
        object_type=object_type, object_id=object_id, data=_jsonable(dict(data or {}, via=context.via)),
        ip=context.ip, user_agent=(context.user_agent or None) and context.user_agent[:500], prev_hash=prev,
    )
    event.hash = compute_hash(prev, event)
    # No flush of its own: the next append's tail SELECT autoflushes this row first, and the caller's commit
    # writes the last one — one flush per action instead of two.
    session.add(event)
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    bad_id: int | None = None
    problem: str = ""


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walks the chain in id order, streaming, so a million events never sit in memory at once."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return VerifyResult(True, checked)
        for ev in rows:
            if ev.prev_hash != prev:
                return VerifyResult(False, checked, ev.id, "liên kết với sự kiện trước bị đứt (prev_hash không khớp)")
            if compute_hash(prev, ev) != ev.hash:
                return VerifyResult(False, checked, ev.id, "nội dung sự kiện đã bị sửa (hash không khớp)")
            prev = ev.hash
            checked += 1
            last_id = ev.id
        for ev in rows:  # only the rows it loaded: the caller's own objects stay in their session
            session.expunge(ev)


# ------------------------------------------------------------------------------------------------ receivers
def on_created(session, *, nomination, actor, context, **_):
    append(session, action="nomination.create", actor=actor, object_type="nomination", object_id=nomination.id,
           data={"state": nomination.state, "title": nomination.title, "unit_id": nomination.unit_id,
                 "subject_type": nomination.subject_type, "campaign_id": nomination.campaign_id,
                 "on_behalf_of": _behalf(actor)}, context=context)


def on_updated(session, *, nomination, actor, changes, context, **_):
    append(session, action="nomination.update", actor=actor, object_type="nomination", object_id=nomination.id,
           data={"changes": changes, "version": nomination.version}, context=context)


def on_transitioned(session, *, nomination, change, actor, context, **_):
    append(session, action=f"nomination.{change.action}", actor=actor, object_type="nomination",
           object_id=nomination.id,
           data={"before": {"state": change.from_state}, "after": {"state": change.to_state},
                 "version": change.version, "comment": change.comment, "data": change.data,
                 "on_behalf_of": _behalf(actor)}, context=context)


def on_item_added(session, *, nomination, item, kind, actor, context, **_):
    data = {"item_id": item.id}
    if kind == "attachment":
        data.update(filename=item.filename, sha256=item.sha256, size=item.size, kind=item.kind)
    append(session, action=f"nomination.add_{kind}", actor=actor, object_type="nomination", object_id=nomination.id,
           data=data, context=context)


def on_refused(session, *, actor, action, object_type, object_id, error, context, **_):
    append(session, action=action, actor=actor, object_type=object_type, object_id=object_id, outcome="refused",
           data={"status": getattr(error, "status", None), "detail": getattr(error, "detail", str(error)),
                 "reasons": getattr(error, "reasons", [])}, context=context)


def on_login(session, *, user, context, **_):
    append(session, action="auth.login", actor=user, object_type="user", object_id=user.id, context=context)


def on_login_failed(session, *, username, context, **_):
    append(session, action="auth.login_failed", actor_username=username, outcome="refused", context=context)


def on_admin_changed(session, *, actor, action, object_type, object_id, data, context, **_):
    append(session, action=action, actor=actor, object_type=object_type, object_id=object_id, data=data,
           context=context)


def _behalf(actor):
    behalf = getattr(actor, "on_behalf_of", None)
    return behalf.username if behalf is not None else None


def on_council_event(session, *, council_session, action, actor, data, context, **_):
    append(session, action=f"council_session.{action}", actor=actor, object_type="council_session",
           object_id=council_session.id, data=data, context=context)


def on_comment_added(session, *, council_session, comment, actor, context, **_):
    append(session, action="council_session.comment", actor=actor, object_type="council_session",
           object_id=council_session.id, data={"nomination_id": comment.nomination_id, "comment_id": comment.id},
           context=context)


def on_vote_cast(session, *, council_session, item, actor, context, **_):
    """That a vote was cast on an item, by whom: never what was chosen."""
    append(session, action="council_session.vote_cast", actor=actor, object_type="council_session",
           object_id=council_session.id, data={"nomination_id": item.nomination_id}, context=context)


def on_decision_issued(session, *, decision, nominations, actor, context, **_):
    append(session, action="decision.issue", actor=actor, object_type="decision", object_id=decision.id,
           data={"level": decision.level, "number": decision.number, "date": decision.date.isoformat(),
                 "session_id": decision.session_id, "signer_title": decision.signer_title,
                 "signed_by_name": decision.signed_by_name, "signed_as_deputy": decision.signed_as_deputy,
                 "nomination_ids": [n.id for n in nominations], "on_behalf_of": _behalf(actor)}, context=context)


def on_proposal_event(session, *, proposal, action, actor, data, context, **_):
    append(session, action=f"proposal.{action}", actor=actor, object_type="proposal", object_id=proposal.id,
           data=dict(data, on_behalf_of=_behalf(actor)), context=context)
