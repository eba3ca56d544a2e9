"""Lookups the guards need from features that build on the foundation (the council, the proposals).

Until those land these answer "nothing recorded", so the guards of `recognize_co_so`, `reject_co_so` and
`propose_nganh` fail closed.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from models import Nomination


def outcome(session: Session, n: Nomination) -> str | None:
    return None


def listed_in_submitted_proposal(session: Session, n: Nomination, data: dict) -> bool:
    return False
