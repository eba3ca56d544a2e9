"""The secretariat's desk as the dossier shows it: the latest return reason pinned while the unit revises, and the
acceptance ("Tiếp nhận hồ sơ") with its completeness checklist. Read from the history the detail already loaded
(`queries.load_detail`, `queries.history_users`): no statement of its own. The step itself is
`service.accept_nomination`; the checklist is `rules.dossier_checklist`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models import Nomination


@dataclass(frozen=True)
class ReturnReason:
    """Why the secretariat sent the dossier back, shown at the top of the dossier (and `return_reason` in the API)
    while it is back in "Đang bồi dưỡng": the unit revises against it instead of digging through the history."""

    at: dt.datetime
    author: str
    reason: str


@dataclass(frozen=True)
class Acceptance:
    at: dt.datetime
    author: str


def _name(users: dict, user_id: int | None) -> str:
    ref = users.get(user_id) if user_id is not None else None
    return ref.full_name if ref is not None else "Hệ thống"


def latest_return(n: Nomination, users: dict) -> ReturnReason | None:
    """The return that sent `n` back, while it is still back: its state is "nurtured" and the last step of its
    history is that return (edits, check-ins and attachments add no step). None otherwise: once resubmitted, the
    return is history."""
    if n.state != "nurtured" or not n.history:
        return None
    last = max(n.history, key=lambda h: h.version)
    if last.action != "return_for_revision":
        return None
    return ReturnReason(last.created_at, _name(users, last.actor_id),
                        (last.data or {}).get("reason") or last.comment or "")


def acceptance(n: Nomination, users: dict) -> Acceptance | None:
    """When and by whom the current submission was accepted (None: not accepted, or returned since)."""
    if n.accepted_at is None:
        return None
    return Acceptance(n.accepted_at, _name(users, n.accepted_by_id))
