"""Signal receivers: the audit trail, in-app notifications and the e-mail outbox.

`install()` connects them to the workflow's signals (one per event, payload a frozen dataclass of workflow.events);
the app factory and the CLI call it. Receivers run in the sender's transaction (the sender is the SQLAlchemy
session), so they commit or roll back with the change. The audit trail takes every event its table (audit.AUDITED)
names; the inbox subscribes to the few that tell someone to act.
"""
from __future__ import annotations

from notifications import audit, inbox
from workflow import signals

_AUDIT_SIGNALS = [signal for signal, payload in signals.PAYLOADS.items() if payload in audit.AUDITED]

_CONNECTIONS = [
    (signals.nominations_locked, audit.on_nominations_locked),
    *((signal, audit.on_event) for signal in _AUDIT_SIGNALS),
    (signals.nomination_transitioned, inbox.on_transitioned),
    (signals.nominations_transitioned, inbox.on_many_transitioned),
    (signals.nomination_accepted, inbox.on_accepted),
    (signals.session_scheduled, inbox.on_session_scheduled),
    (signals.session_rescheduled, inbox.on_session_rescheduled),
    (signals.session_cancelled, inbox.on_session_cancelled),
    (signals.session_opened, inbox.on_session_opened),
    (signals.list_published, inbox.on_list_published),
    (signals.proposal_created, inbox.on_proposal_created),
    (signals.example_recognised, inbox.on_example_recognised),
    (signals.session_closed, inbox.on_session_closed),
    (signals.tie_resolved, inbox.on_tie_resolved),
    (signals.decision_issued, inbox.on_decision_issued),
    (signals.proposal_submitted, inbox.on_proposal_submitted),
    (signals.delegation_granted, inbox.on_delegation_granted),
    (signals.delegation_ended, inbox.on_delegation_ended),
    (signals.unit_reorganised, inbox.on_unit_reorganised),
]


def install() -> None:
    """Idempotent: blinker ignores a receiver connected twice."""
    for signal, receiver in _CONNECTIONS:
        signal.connect(receiver, weak=False)
