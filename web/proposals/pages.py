"""What the proposal pages show, read from the models: each item with its ngành rule results and the Ministry's
outcome (taken from the nomination's history), candidates for a draft, and the counts of the lists."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import Decision, Nomination, Proposal, ProposalItem, Unit
from workflow import proposals, rules

STATE_COLOURS = {"draft": "secondary", "submitted": "primary"}
OUTCOME_LABELS = {
    "proposed": "Đã đề nghị cấp ngành",
    "recognized": "Điển hình ngành Tư pháp",
    "rejected": "Không công nhận cấp ngành",
    "revoked": "Đã thu hồi",
}
OUTCOME_COLOURS = {"proposed": "info", "recognized": "success", "rejected": "danger", "revoked": "dark"}


@dataclass
class ItemRow:
    n: Nomination
    results: list = field(default_factory=list)  # rules.RuleResult of stage "propose"
    refusals: list[str] = field(default_factory=list)  # why it may not stand in a proposal (empty: it may)
    outcome: str | None = None  # proposed | recognized | rejected | revoked (submitted proposals only)
    reason: str = ""  # the Ministry's reason for a refusal
    decision_number: str = ""
    decision_date: dt.date | None = None
    decided_at: dt.datetime | None = None
    decision_id: int | None = None  # the Minister's decision recorded in the system

    @property
    def awaiting(self) -> bool:
        return self.outcome == "proposed" and self.n.state == "proposed_nganh"


def _outcome(row: ItemRow, p: Proposal) -> None:
    """The Ministry's answer for this proposal: the step after the `propose_nganh` that this proposal made."""
    history = row.n.history
    start = next((c for c in reversed(history) if c.action == "propose_nganh"
                  and str((c.data or {}).get("proposal_id")) == str(p.id)), None)
    if start is None:
        return
    row.outcome = "proposed"
    for c in history:
        if c.version <= start.version:
            continue
        if c.action == "recognize_nganh":
            row.outcome, row.decided_at = "recognized", c.created_at
            row.decision_number = (c.data or {}).get("decision_number", "")
            try:
                row.decision_date = dt.date.fromisoformat((c.data or {}).get("decision_date", ""))
            except ValueError:
                row.decision_date = None
        elif c.action == "reject_nganh":
            row.outcome, row.decided_at = "rejected", c.created_at
            row.reason = (c.data or {}).get("reason") or c.comment
            return
        elif c.action == "revoke" and row.outcome == "recognized":
            row.outcome = "revoked"
            return


def item_rows(session: Session, p: Proposal, *, with_rules: bool = True) -> list[ItemRow]:
    ids = [i.nomination_id for i in p.items]
    found = {n.id: n for n in session.scalars(
        select(Nomination).where(Nomination.id.in_(ids))
        .options(joinedload(Nomination.unit), joinedload(Nomination.subject_person),
                 selectinload(Nomination.history))).unique()} if ids else {}
    rows = []
    for item in p.items:
        n = found[item.nomination_id]
        row = ItemRow(n, rules.evaluate(session, n, "propose") if with_rules else [])
        if p.state == "draft":
            row.refusals = proposals.item_refusals(session, n, p)
        else:
            _outcome(row, p)
        rows.append(row)
    numbers = {r.decision_number for r in rows if r.outcome in ("recognized", "revoked") and r.decision_number}
    if numbers:
        found = {(d.number, d.date): d.id for d in session.scalars(
            select(Decision).where(Decision.level == "nganh", Decision.number.in_(numbers)))}
        for r in rows:
            r.decision_id = found.get((r.decision_number, r.decision_date))
    return rows


def candidates(session: Session, department_id: int, proposal: Proposal | None = None) -> list[ItemRow]:
    """The department's cơ sở examples not in another live proposal, each with its ngành rules and refusals."""
    others = [ProposalItem.proposal_id != proposal.id] if proposal is not None else []
    taken = exists().where(ProposalItem.nomination_id == Nomination.id, ProposalItem.live.is_(True), *others)
    stmt = (select(Nomination).where(Nomination.department_id == department_id,
                                     Nomination.state == "evaluated_co_so", ~taken)
            .options(joinedload(Nomination.unit), joinedload(Nomination.subject_person),
                     joinedload(Nomination.campaign))
            .order_by(Nomination.campaign_id.desc(), Nomination.id))
    rows = []
    for n in session.scalars(stmt).unique():
        results = rules.evaluate(session, n, "propose")
        refusals = [f"{r.label}: {r.reason}" for r in results if r.hard and r.result == "fail"]
        if proposal is not None and n.campaign_id != proposal.campaign_id:
            refusals.append("Không cùng phong trào, đợt thi đua với tờ trình.")
        rows.append(ItemRow(n, results, refusals))
    return rows


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
