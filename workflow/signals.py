"""Every event the workflow emits. Receivers live in `notifications` and run inside the caller's transaction.

All signals are sent with `sender=session` (the SQLAlchemy session of the unit of work) so receivers write
their rows in the same transaction as the change.
"""
from blinker import Namespace

_signals = Namespace()

nomination_created = _signals.signal("nomination-created", doc="kwargs: nomination, actor, context")
nomination_updated = _signals.signal("nomination-updated", doc="kwargs: nomination, actor, changes, context")
nomination_transitioned = _signals.signal(
    "nomination-transitioned", doc="kwargs: nomination, change (StateChange), actor, context"
)
nomination_item_added = _signals.signal(
    "nomination-item-added", doc="kwargs: nomination, item (Checkin | Attachment), kind, actor, context"
)
action_refused = _signals.signal(
    "action-refused",
    doc="kwargs: actor (may be None), action, object_type, object_id, error, context. Sent by the caller AFTER it "
    "rolled back the refused action, in a fresh transaction, so the refusal is recorded even though the action is not.",
)
nominations_locked = _signals.signal(
    "nominations-locked",
    doc="kwargs: nominations (in id order). Sent by service.lock_nominations once the rows are locked and before any "
    "is changed, so receivers that serialise on rows of their own (the audit chains' heads) lock them now.",
)
login_succeeded = _signals.signal("login-succeeded", doc="kwargs: user, context")
login_failed = _signals.signal("login-failed", doc="kwargs: username, context")
admin_changed = _signals.signal(
    "admin-changed", doc="kwargs: actor, action, object_type, object_id, data, context (units, people, users, ...)"
)

council_event = _signals.signal(
    "council-event",
    doc="kwargs: council_session, action (scheduled | agenda_set | published | attendance | opened | closed | "
    "tie_resolved | settings_changed | members_changed), actor, data, context",
)
comment_added = _signals.signal("comment-added", doc="kwargs: council_session, comment, actor, context")
vote_cast = _signals.signal(
    "vote-cast",
    doc="kwargs: council_session, item, actor, context. Never carries the choice: only that a vote was cast.",
)
decision_issued = _signals.signal("decision-issued", doc="kwargs: decision, nominations, actor, context")
proposal_event = _signals.signal("proposal-event", doc="kwargs: proposal, action (create | set_items | submit), actor, "
                                 "data, context")
