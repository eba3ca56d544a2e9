"""What the proposal pages show beside workflow.proposals.operations' read models (item_rows, candidates): colours and
the counts of the lists."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Nomination, Proposal, ProposalItem, Unit

STATE_COLOURS = {"draft": "secondary", "submitted": "primary"}
OUTCOME_COLOURS = {"proposed": "info", "recognized": "success", "rejected": "danger", "revoked": "dark"}


def item_counts(session: Session, proposal_ids: list[int]) -> dict[int, int]:
    if not proposal_ids:
        return {}
    return dict(session.execute(select(ProposalItem.proposal_id, func.count()).where(
        ProposalItem.proposal_id.in_(proposal_ids)).group_by(ProposalItem.proposal_id)).all())


def awaiting_counts(session: Session, proposal_ids: list[int]) -> dict[int, int]:
    """Items of submitted proposals still waiting for the Minister's decision."""
    if not proposal_ids:
        return {}
    return dict(session.execute(
        select(ProposalItem.proposal_id, func.count()).join(Nomination, Nomination.id == ProposalItem.nomination_id)
        .where(ProposalItem.proposal_id.in_(proposal_ids), ProposalItem.live.is_(True),
               Nomination.state == "proposed_nganh")
        .group_by(ProposalItem.proposal_id)).all())


def departments_with_submissions(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.id.in_(
        select(Proposal.department_id).where(Proposal.state == "submitted"))).order_by(Unit.name)))
