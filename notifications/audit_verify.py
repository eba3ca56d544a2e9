"""Checks of the audit chain with a stored result (models.AuditVerification), for the audit page and the CLI.

A full check walks the chain from the genesis. An incremental check starts from the last event that an intact check
reached (`last_event_id`, `last_hash` of the latest ok AuditVerification): it first re-checks that anchor event
(still there, same hash, its own hash still matching its content), then walks only what was appended since. What
lies before the anchor is covered by the earlier checks; `dienhinh audit verify` runs a full check by default.

The walk reads plain rows (not ORM objects) in id order, batch by batch, so a million events never sit in memory
and the caller's session keeps its own objects.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent, AuditVerification
from notifications.audit import GENESIS, compute_hash
from workflow import signals
from workflow.context import CLI, Context

_COLUMNS = (AuditEvent.id, AuditEvent.created_at, AuditEvent.actor_id, AuditEvent.actor_username,
            AuditEvent.action, AuditEvent.outcome, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.data,
            AuditEvent.ip, AuditEvent.user_agent, AuditEvent.prev_hash, AuditEvent.hash)

BROKEN_LINK = "liên kết với sự kiện trước bị đứt (prev_hash không khớp)"
EDITED = "nội dung sự kiện đã bị sửa (hash không khớp)"


@dataclass
class Walk:
    ok: bool
    checked: int  # events checked in this walk
    last_id: int | None  # the last event found intact
    last_hash: str | None
    bad_id: int | None = None
    problem: str = ""
    complete: bool = True  # False when `max_events` stopped the walk before the end of the chain


def walk(session: Session, *, after_id: int = 0, prev_hash: str = GENESIS, batch: int = 5000,
         max_events: int | None = None) -> Walk:
    """Walks the chain after event `after_id`, whose hash is `prev_hash` (0 / GENESIS: from the first event)."""
    checked = 0
    last_id, last_hash = (after_id or None), (prev_hash if after_id else None)
    prev = prev_hash
    cursor = after_id
    while True:
        size = batch if max_events is None else min(batch, max_events - checked)
        if size <= 0:
            more = session.scalar(select(AuditEvent.id).where(AuditEvent.id > cursor).limit(1)) is not None
            return Walk(True, checked, last_id, last_hash, complete=not more)
        rows = session.execute(
            select(*_COLUMNS).where(AuditEvent.id > cursor).order_by(AuditEvent.id).limit(size)
        ).all()
        if not rows:
            return Walk(True, checked, last_id, last_hash)
        for ev in rows:
            if ev.prev_hash != prev:
                return Walk(False, checked, last_id, last_hash, ev.id, BROKEN_LINK)
            if compute_hash(prev, ev) != ev.hash:
                return Walk(False, checked, last_id, last_hash, ev.id, EDITED)
            prev = ev.hash
            checked += 1
            last_id, last_hash = ev.id, ev.hash
        cursor = rows[-1].id


def latest(session: Session) -> AuditVerification | None:
    return session.scalar(select(AuditVerification).order_by(AuditVerification.id.desc()).limit(1))


def _anchor(session: Session) -> AuditVerification | None:
    return session.scalar(
        select(AuditVerification)
        .where(AuditVerification.ok.is_(True), AuditVerification.last_event_id.is_not(None))
        .order_by(AuditVerification.id.desc()).limit(1)
    )


def _vn(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def check(session: Session, *, checked_by: str | None, full: bool = False, batch: int = 5000,
          max_events: int | None = None, actor=None, context: Context = CLI) -> AuditVerification:
    """Checks the chain (incrementally unless `full`), records an AuditVerification and audits the check itself
    (action "audit.verify"). Flushes; the caller commits."""
    anchor = None if full else _anchor(session)
    base = 0
    if anchor is not None:
        row = session.execute(select(*_COLUMNS).where(AuditEvent.id == anchor.last_event_id)).first()
        if row is None or row.hash != anchor.last_hash or compute_hash(row.prev_hash, row) != row.hash:
            result = Walk(False, 0, None, None, anchor.last_event_id,
                          "sự kiện đã được xác nhận toàn vẹn ở lần kiểm tra trước không còn hoặc đã bị sửa")
        else:
            base = anchor.events_checked or 0
            result = walk(session, after_id=anchor.last_event_id, prev_hash=anchor.last_hash, batch=batch,
                          max_events=max_events)
    else:
        result = walk(session, batch=batch, max_events=max_events)

    total = base + result.checked
    scope = "toàn bộ chuỗi" if anchor is None else f"từ sau sự kiện #{anchor.last_event_id}"
    if not result.ok:
        message = (f"Chuỗi nhật ký bị phá vỡ tại sự kiện #{result.bad_id}: {result.problem} "
                   f"(kiểm tra {scope}, {_vn(result.checked)} sự kiện trước đó toàn vẹn).")
    elif not result.complete:
        message = (f"Đã kiểm tra {scope} đến sự kiện #{result.last_id} ({_vn(result.checked)} sự kiện): toàn vẹn. "
                   "Còn sự kiện mới hơn chưa kiểm tra; bấm Kiểm tra lại để tiếp tục.")
    else:
        message = f"Chuỗi nhật ký toàn vẹn: {_vn(total)} sự kiện (kiểm tra {scope}: {_vn(result.checked)} sự kiện)."
    record = AuditVerification(
        checked_by=checked_by, full=anchor is None, ok=result.ok, events_checked=total,
        last_event_id=result.last_id, last_hash=result.last_hash, first_bad_id=result.bad_id, message=message,
    )
    session.add(record)
    session.flush()
    signals.admin_changed.send(
        session, actor=actor, action="audit.verify", object_type="audit_verification", object_id=record.id,
        data={"ok": record.ok, "full": record.full, "events_checked": total, "checked_now": result.checked,
              "last_event_id": record.last_event_id, "first_bad_id": record.first_bad_id, "complete": result.complete},
        context=context,
    )
    return record
