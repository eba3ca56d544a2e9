"""A proposal's items as the nomination area sees them: whether a nomination stands in a signed proposal (the guard of
`propose_nganh`) and closing its item once the Ministry decides (the transition service). Kept apart from the
proposal operations, which fire nomination transitions themselves, so the service can use these without a cycle."""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import Nomination, Proposal, ProposalItem
from workflow.lifecycles import PROPOSAL_FINAL_STATES


def listed_in_submitted_proposal(session: Session, n: Nomination) -> bool:
    return bool(session.scalar(select(exists().where(
        ProposalItem.nomination_id == n.id, ProposalItem.live.is_(True),
        ProposalItem.proposal_id == Proposal.id, Proposal.state.in_(PROPOSAL_FINAL_STATES)))))


def close_item(session: Session, n: Nomination) -> None:
    """The Ministry decided on `n` (recognised or not): its proposal item no longer blocks a future proposal."""
    for item in session.scalars(select(ProposalItem).where(ProposalItem.nomination_id == n.id,
                                                           ProposalItem.live.is_(True))):
        item.live = False
