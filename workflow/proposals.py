"""Proposals (Tờ trình) to the Minister: the secretariat drafts one from cơ sở examples that pass the ngành rules,
the director signs and submits it (number, date) and every item moves to `proposed_nganh` at once, or none does.
A submitted proposal is locked; the Ministry then decides item by item (decisions level `nganh`, `reject_nganh`).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Campaign, Nomination, Proposal, ProposalItem, Unit, utcnow
from workflow import numbering, policy, rules, service, signals
from workflow.context import CLI, Context
from workflow.errors import Conflict, DomainError, ValidationFailed
from workflow.policy import Actor
from workflow.queries import page_params, paginate

STATE_LABELS = {"draft": "Dự thảo", "submitted": "Đã trình Bộ"}


symbol = numbering.body_symbol


# ------------------------------------------------------------------------------------------------ scope
def can_view(actor: Actor, p: Proposal) -> bool:
    return bool(policy.can(actor, "view", p))


def load(session: Session, actor: Actor, proposal_id: int, *, for_update: bool = False) -> Proposal:
    return policy.load(session, actor, "proposal", proposal_id, for_update=for_update)


def list_proposals(session: Session, actor: Actor, *, page, per_page, state=None, department=None):
    page, per_page = page_params(page, per_page)
    stmt = select(Proposal).where(policy.scope(actor, "proposal"))
    if state:
        stmt = stmt.where(Proposal.state == state)
    if department not in (None, ""):
        try:
            stmt = stmt.where(Proposal.department_id == int(department))
        except (TypeError, ValueError):
            raise ValidationFailed("Bộ lọc không hợp lệ.", ["department phải là số."]) from None
    return paginate(session, stmt, page, per_page, Proposal.submitted_at.desc().nulls_first(), Proposal.id.desc())


# ------------------------------------------------------------------------------------------------ items
def item_refusals(session: Session, n: Nomination, proposal: Proposal | None = None) -> list[str]:
    """Why `n` may not stand in a proposal: not a cơ sở example, another department, already proposed, or a hard
    ngành rule fails (each rule named). The rule "listed in a signed proposal" is what submitting provides."""
    label = f"Hồ sơ số {n.id} “{n.title}”"
    if proposal is not None and n.department_id != proposal.department_id:
        return [f"{label}: không thuộc Sở."]
    if n.state != "evaluated_co_so":
        return [f"{label}: chỉ đề nghị hồ sơ là Điển hình cấp cơ sở."]
    others = [ProposalItem.proposal_id != proposal.id] if proposal is not None and proposal.id else []
    if session.scalar(select(exists().where(ProposalItem.nomination_id == n.id, ProposalItem.live.is_(True),
                                            *others))):
        return [f"{label}: đã có trong một tờ trình khác."]
    return [f"{label}: {r}" for r in rules.hard_failures(rules.evaluate(session, n, "propose"))]


def _ids(value) -> list[int]:
    if not isinstance(value, list) or not value or not all(isinstance(i, int) and not isinstance(i, bool)
                                                          for i in value):
        raise ValidationFailed("Danh sách hồ sơ không hợp lệ.", ["nomination_ids phải là danh sách số, không rỗng."])
    return list(dict.fromkeys(value))


def _nominations(session: Session, actor: Actor, ids: list[int]) -> tuple[list[Nomination], list[str]]:
    found, reasons = [], []
    rows = service.lock_nominations(session, ids)
    for i in ids:
        n = rows.get(i)
        if n is None or n.department_id != actor.department_id:
            reasons.append(f"Hồ sơ số {i}: không tồn tại hoặc không thuộc Sở.")
        else:
            found.append(n)
    return found, reasons


def create(session: Session, actor: Actor, *, nomination_ids, title: str | None = None,
           context: Context = CLI) -> Proposal:
    policy.require(actor, "draft", "proposal", department_id=actor.department_id,
                   detail="Chỉ Văn phòng Sở được lập tờ trình.")
    ids = _ids(nomination_ids)
    nominations, reasons = _nominations(session, actor, ids)
    campaigns = {n.campaign_id for n in nominations}
    if len(campaigns) > 1:
        reasons.append("Các hồ sơ trong một tờ trình phải thuộc cùng một phong trào, đợt thi đua.")
    proposal = Proposal(department_id=actor.department_id, campaign_id=nominations[0].campaign_id if nominations
                        else 0, title="", created_by_id=actor.id)
    for n in nominations:
        reasons += item_refusals(session, n, proposal)
    if reasons:
        raise ValidationFailed("Không lập được tờ trình: có hồ sơ không đủ điều kiện.", reasons)
    campaign = session.get(Campaign, nominations[0].campaign_id)
    default = f"Đề nghị Bộ trưởng Bộ Tư pháp công nhận điển hình tiên tiến ngành Tư pháp — {campaign.name}"
    proposal.title = ((title or "").strip() or default)[:500]
    session.add(proposal)
    session.flush()
    for pos, n in enumerate(nominations, start=1):
        proposal.items.append(ProposalItem(nomination_id=n.id, position=pos))
    session.flush()
    _emit(session, proposal, "create", actor, context, nomination_ids=ids)
    return proposal


def set_items(session: Session, actor: Actor, proposal_id: int, nomination_ids, *,
              context: Context = CLI) -> Proposal:
    p = load(session, actor, proposal_id, for_update=True)
    policy.require(actor, "draft", p)
    _draft(p)
    ids = _ids(nomination_ids)
    nominations, reasons = _nominations(session, actor, ids)
    if {n.campaign_id for n in nominations} - {p.campaign_id}:
        reasons.append("Các hồ sơ trong một tờ trình phải thuộc cùng một phong trào, đợt thi đua.")
    for n in nominations:
        reasons += item_refusals(session, n, p)
    if reasons:
        raise ValidationFailed("Không cập nhật được danh sách đề nghị.", reasons)
    p.items.clear()
    session.flush()
    for pos, n in enumerate(nominations, start=1):
        p.items.append(ProposalItem(nomination_id=n.id, position=pos))
    session.flush()
    _emit(session, p, "set_items", actor, context, nomination_ids=ids)
    return p


def _draft(p: Proposal) -> None:
    if p.state != "draft":
        raise Conflict("Tờ trình đã trình Bộ; không thể thay đổi.", [f"Tờ trình số {p.number} đã khóa."])


def next_number(session: Session, department_id: int, year: int) -> int:
    last = session.scalar(select(func.max(Proposal.seq)).where(Proposal.department_id == department_id,
                                                                Proposal.year == year))
    return (last or 0) + 1


def _parse_number(number, department: Unit) -> int:
    return numbering.parse(number, doc_type="TTr", issuer=department)


def _duplicate_number(session: Session, department: Unit, seq: int, year: int) -> ValidationFailed:
    return ValidationFailed("Số tờ trình đã được sử dụng.",
                            [f"Số {seq}/TTr-{symbol(department)} năm {year} đã có; số tiếp theo là "
                             f"{next_number(session, department.id, year)}."], {"number": "Trùng số"})


def submit(session: Session, actor: Actor, proposal_id: int, *, number, date, context: Context = CLI) -> Proposal:
    """The director signs and submits: every item becomes `proposed_nganh` in this transaction, or none does."""
    p = load(session, actor, proposal_id, for_update=True)
    policy.require(actor, "sign", p)
    _draft(p)
    try:
        day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))
    except (TypeError, ValueError):
        raise ValidationFailed("Ngày tờ trình không hợp lệ.", ["date phải theo định dạng YYYY-MM-DD."],
                               {"date": "Không hợp lệ"}) from None
    department = session.get(Unit, p.department_id)
    seq = _parse_number(number, department)
    if session.scalar(select(Proposal.id).where(Proposal.department_id == p.department_id,
                                                Proposal.year == day.year, Proposal.seq == seq)) is not None:
        raise _duplicate_number(session, department, seq, day.year)
    if not p.items:
        raise ValidationFailed("Tờ trình chưa có hồ sơ đề nghị.", ["Hãy chọn hồ sơ trước khi trình."])
    # The proposal first (above), then every item by id, before any is checked or changed (service.lock_nominations).
    service.lock_nominations(session, [item.nomination_id for item in p.items])
    reasons = []
    for item in p.items:
        reasons += item_refusals(session, item.nomination, p)
    if reasons:
        raise ValidationFailed("Không trình được: có hồ sơ không đủ điều kiện.", reasons)
    try:
        # Another draft of the department may take the same number at the same moment: on PostgreSQL the unique
        # (department, year, seq) index then waits for it and fails here; refuse it like any duplicate.
        with session.begin_nested():
            p.state, p.year, p.seq, p.date = "submitted", day.year, seq, day
            p.number = f"{seq}/TTr-{symbol(department)}"
            p.signer_id = actor.id
            p.on_behalf_of_id = actor.on_behalf_of.id if actor.on_behalf_of else None
            p.signer_title = actor.delegation_title or "GIÁM ĐỐC"
            p.submitted_at = utcnow()
            session.flush()
    except IntegrityError:
        raise _duplicate_number(session, department, seq, day.year) from None
    for item in p.items:
        n = item.nomination
        try:
            service.transition(session, actor, n.id, "propose_nganh", n.version, context=context, proposal_id=p.id)
        except DomainError as err:
            raise ValidationFailed(f"Không trình được: hồ sơ số {n.id} không chuyển được.",
                                   [err.detail, *err.reasons]) from err
    _emit(session, p, "submit", actor, context, number=p.number, date=day.isoformat(),
          nomination_ids=[i.nomination_id for i in p.items])
    return p


def listed_in_submitted_proposal(session: Session, n: Nomination) -> bool:
    return bool(session.scalar(select(exists().where(
        ProposalItem.nomination_id == n.id, ProposalItem.live.is_(True),
        ProposalItem.proposal_id == Proposal.id, Proposal.state == "submitted"))))


def close_item(session: Session, n: Nomination) -> None:
    """The Ministry decided on `n` (recognised or not): its proposal item no longer blocks a future proposal."""
    for item in session.scalars(select(ProposalItem).where(ProposalItem.nomination_id == n.id,
                                                           ProposalItem.live.is_(True))):
        item.live = False


def _emit(session, p, action, actor, context, **data):
    signals.proposal_event.send(session, proposal=p, action=action, actor=actor, data=data, context=context)
