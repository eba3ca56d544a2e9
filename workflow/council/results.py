"""Lookups the nomination guards need from the areas that build on it: the council's outcome and the signed proposal
to the Ministry. One seam, so a test can stand in for a council or a proposal it does not want to build."""
from __future__ import annotations

from sqlalchemy.orm import Session

from models import Nomination
from workflow.council.queries import latest_outcome, latest_outcomes
from workflow.proposals import items


def outcome(session: Session, n: Nomination) -> str | None:
    return latest_outcome(session, n.id)


def outcomes(session: Session, ns: list[Nomination]) -> dict[int, str | None]:
    """`outcome` of each of `ns`, in one query."""
    return latest_outcomes(session, [n.id for n in ns])


def listed_in_submitted_proposal(session: Session, n: Nomination, data: dict) -> bool:
    return items.listed_in_submitted_proposal(session, n)
