"""A refused action, recorded after the caller rolled it back: the edges (web.db.perform) report it here, so the
signal is still emitted by the workflow and the audit trail shows what was attempted even though nothing changed."""
from __future__ import annotations

from workflow import events, signals
from workflow.context import Context


def record(session, *, actor, action: str, object_type: str | None, object_id: int | None, error: Exception,
           context: Context) -> None:
    signals.emit(session, events.ActionRefused(actor=actor, action=action, object_type=object_type,
                                               object_id=object_id, error=error, context=context))
