"""Signal receivers: the audit trail, in-app notifications and the e-mail outbox.

`install()` connects them to the workflow's signals; the app factory and the CLI call it. Receivers run in the
sender's transaction (the sender is the SQLAlchemy session), so they commit or roll back with the change.
"""
from __future__ import annotations

from notifications import audit, inbox
from workflow import signals

_CONNECTIONS = [
    (signals.nominations_locked, audit.on_nominations_locked),
    (signals.nomination_created, audit.on_created),
    (signals.nomination_updated, audit.on_updated),
    (signals.nomination_transitioned, audit.on_transitioned),
    (signals.nomination_transitioned, inbox.on_transitioned),
    (signals.nomination_item_added, audit.on_item_added),
    (signals.action_refused, audit.on_refused),
    (signals.login_succeeded, audit.on_login),
    (signals.login_failed, audit.on_login_failed),
    (signals.admin_changed, audit.on_admin_changed),
    (signals.council_event, audit.on_council_event),
    (signals.council_event, inbox.on_council_event),
    (signals.comment_added, audit.on_comment_added),
    (signals.vote_cast, audit.on_vote_cast),
    (signals.decision_issued, audit.on_decision_issued),
    (signals.decision_issued, inbox.on_decision_issued),
    (signals.proposal_event, audit.on_proposal_event),
    (signals.proposal_event, inbox.on_proposal_event),
]


def install() -> None:
    """Idempotent: blinker ignores a receiver connected twice."""
    for signal, receiver in _CONNECTIONS:
        signal.connect(receiver, weak=False)
