"""Read models of the council that other areas ask for: its active members (who is told of a session) and the
outcome of the latest session that judged a nomination (what the recognition guards check). Nothing here changes a
row, so the nomination guards and the notifications read it without importing the council's operations."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import AgendaItem, Council, CouncilMember, CouncilSession
from workflow import policy
from workflow.lifecycles import SESSION_FINAL_STATES


def held_on(s: CouncilSession) -> dt.date:
    """The day the meeting was held: the day it opened (Viet Nam time), which may differ from the day it was
    scheduled for; the scheduled day until it opens. The minutes (header and body), their number's year and the
    decisions that rest on the session all cite this day."""
    if s.opened_at is None:
        return s.date
    return s.opened_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def active_members(session: Session, council: Council) -> list[CouncilMember]:
    return list(session.scalars(
        select(CouncilMember).where(CouncilMember.council_id == council.id, CouncilMember.active.is_(True))
        .options(selectinload(CouncilMember.user)).order_by(CouncilMember.id)
    ))


def chair_of(session: Session, council: Council) -> CouncilMember | None:
    return next((m for m in active_members(session, council) if m.function == "chu_tich"), None)


def _judged(*where):
    """The items of closed, quorate sessions that gave an outcome, latest first (per nomination)."""
    return (select(AgendaItem.nomination_id, AgendaItem.outcome).join(CouncilSession)
            .where(*where, CouncilSession.state.in_(SESSION_FINAL_STATES), CouncilSession.quorum_met.is_(True),
                   AgendaItem.outcome.is_not(None))
            .order_by(CouncilSession.closed_at.desc(), AgendaItem.id.desc()))


def _verdict(outcome: str | None) -> str | None:
    if outcome == "passed":
        return "passed"
    if outcome in ("failed", "quota_exceeded"):
        return "failed"
    return None


def latest_outcome(session: Session, nomination_id: int) -> str | None:
    """'passed' or 'failed' from the latest closed, quorate session that judged the nomination; else None."""
    row = session.execute(_judged(AgendaItem.nomination_id == nomination_id).limit(1)).first()
    return _verdict(row.outcome if row else None)


def latest_outcomes(session: Session, nomination_ids) -> dict[int, str | None]:
    """`latest_outcome` of each nomination, in one query (a close rejecting hundreds of items checks them all)."""
    ids = sorted(set(nomination_ids))
    found: dict[int, str | None] = {}
    if ids:
        for nomination_id, outcome in session.execute(_judged(AgendaItem.nomination_id.in_(ids))):
            found.setdefault(nomination_id, _verdict(outcome))
    return {i: found.get(i) for i in ids}


def publicity_sessions(session: Session, nomination_id: int, department_id: int, now) -> list[CouncilSession]:
    """The sessions of `department_id` whose list, public for comments at `now`, holds this nomination: where a reader
    of the dossier's public part comments on it (the same bounds as the policy's LISTED scope)."""
    return list(session.scalars(
        select(CouncilSession).join(AgendaItem, AgendaItem.session_id == CouncilSession.id)
        .where(AgendaItem.nomination_id == nomination_id, CouncilSession.department_id == department_id,
               policy.publicity_running(now))
        .order_by(CouncilSession.comments_until, CouncilSession.id)))
