"""Lookups the guards need from the features that build on the foundation: the council's outcome (issue 3) and the
signed proposal to the Ministry (issue 4)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from models import Nomination


def outcome(session: Session, n: Nomination) -> str | None:
    from workflow.council.operations import latest_outcome

    return latest_outcome(session, n.id)


def listed_in_submitted_proposal(session: Session, n: Nomination, data: dict) -> bool:
    from workflow.proposals.operations import listed_in_submitted_proposal

    return listed_in_submitted_proposal(session, n)
