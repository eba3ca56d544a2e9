"""What an actor may do with an object now, as pages, the API and the tests read it: the `available_actions` of
council sessions, proposals, decisions and stories (nominations have service.available_actions).

Every operation of those areas is written as `refusal = check_<verb>(...)` then the change, and `check_<verb>`
returns the DomainError the operation raises (None: it may go ahead). An offer is built from that same refusal, so
an action offered as allowed is accepted with valid data and a refused one is refused with the same reasons.
Actions whose role or scope the actor lacks (the `who` part of a check) are left out, as for nominations."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workflow.errors import DomainError

Check = Callable[[], DomainError | None]


@dataclass(frozen=True)
class Offer:
    code: str
    label: str
    allowed: bool
    reasons: tuple[str, ...]
    irreversible: bool = False


def offer(code: str, label: str, who: DomainError | None, check: Check, *, irreversible: bool = False) -> Offer | None:
    """None when `who` refuses (the actor has no such action); else the action, allowed or with the reasons."""
    if who is not None:
        return None
    refusal = check()
    return Offer(code, label, refusal is None, tuple(refusal.reasons) if refusal is not None else (), irreversible)


def enforce(refusal: DomainError | None) -> None:
    if refusal is not None:
        raise refusal


def as_dict(o: Offer) -> dict:
    """The API's shape of an offer (the nomination's `available_actions` items, without `requires`/`to_state`)."""
    return {"action": o.code, "label": o.label, "allowed": o.allowed, "reasons": list(o.reasons),
            "irreversible": o.irreversible}
