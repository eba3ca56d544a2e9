"""Proposals (Tờ trình) to the Minister: the secretariat drafts one from cơ sở examples that pass the ngành rules,
the director signs and submits it (number, date) and every item moves to `proposed_nganh` at once, or none does.
A submitted proposal is locked; the Ministry then decides item by item (decisions level `nganh`, `reject_nganh`).
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from models import (
    Campaign,
    Decision,
    DecisionItem,
    Nomination,
    Person,
    Proposal,
    ProposalItem,
    StateChange,
    Unit,
    User,
)
from models.nominations import PROPOSAL_STEPS, subject_name_of
from models.plain import PlainSelect
from workflow import clock, events, inputs, numbering, offers, policy, signals
from workflow.context import CLI, Context
from workflow.errors import Conflict, DomainError, Forbidden, ValidationFailed
from workflow.labels import PROPOSAL_STATE_LABELS
from workflow.lifecycles import PROPOSAL, PROPOSAL_EDITABLE_STATES
from workflow.nominations import rules, service
from workflow.nominations.queries import UnitRef, page_params, paginate
from workflow.policy import Actor

STATE_LABELS = PROPOSAL_STATE_LABELS
# The Ministry's answer on one item of a submitted proposal (see `item_rows`).
OUTCOME_LABELS = {
    "proposed": "Đã đề nghị cấp ngành",
    "recognized": "Điển hình ngành Tư pháp",
    "rejected": "Không công nhận cấp ngành",
    "revoked": "Đã thu hồi",
}


symbol = numbering.body_symbol


# ------------------------------------------------------------------------------------------------ scope
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
    # The list shows each one's department and signer (the items: `items_of`, for the whole page at once), joined to
    # the page's own statement (`PAGE_PARENTS`).
    return paginate(session, stmt, page, per_page, Proposal.submitted_at.desc().nulls_first(), Proposal.id.desc(),
                    options=PAGE_PARENTS)


# A page of proposals with the parents it shows, in its own statement: the department, and the signer and the director
# signed for as the list names them (id, username, name; not their roles, which a User otherwise loads in two
# statements more). Three selectin loads and the users' roles were five statements and ~4 ms of CPU per page at 100k.
PAGE_PARENTS = (joinedload(Proposal.department), joinedload(Proposal.signer).lazyload(User.roles),
                joinedload(Proposal.on_behalf_of).lazyload(User.roles))


# ------------------------------------------------------------------------------------------------ items
def item_refusals(session: Session, n: Nomination | ItemNomination, proposal: Proposal | None = None) -> list[str]:
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
    reasons = [f"{label}: {r}" for r in rules.hard_failures(rules.evaluate(session, n, "propose"))]
    if proposal is not None and proposal.campaign_id and n.campaign_id != proposal.campaign_id:
        reasons.append(f"{label}: không cùng phong trào, đợt thi đua với tờ trình.")
    return reasons


# ------------------------------------------------------------------------------------------------ read models
@dataclass
class ItemRow:
    """One nomination of a proposal (or a candidate for one) as the pages and the API show it."""

    n: Nomination | ItemNomination  # a proposal's item as read by `items_of`, a candidate as the ORM loads it
    results: list = field(default_factory=list)  # rules.RuleResult of stage "propose"
    refusals: list[str] = field(default_factory=list)  # why it may not stand in the proposal (item_refusals)
    outcome: str | None = None  # proposed | recognized | rejected | revoked (submitted proposals only)
    reason: str = ""  # the Ministry's reason for a refusal
    decision_number: str = ""
    decision_date: dt.date | None = None
    decided_at: dt.datetime | None = None
    decision_id: int | None = None  # the Minister's decision recorded in the system

    @property
    def awaiting(self) -> bool:
        return self.outcome == "proposed" and self.n.state == "proposed_nganh"


def _ministry_outcome(row: ItemRow, p: Proposal, history: list) -> None:
    """The Ministry's answer for this proposal: the steps after the `propose_nganh` that this proposal made (a later
    proposal of the same example has its own answer). `history`: the nomination's `Step`s in order."""
    start = next((c for c in reversed(history) if c.action == "propose_nganh"
                  and str(c.proposal_id) == str(p.id)), None)
    if start is None:
        return
    row.outcome = "proposed"
    for c in history:
        if c.version <= start.version:
            continue
        if c.action == "recognize_nganh":
            row.outcome, row.decided_at = "recognized", c.created_at
            row.decision_number = c.decision_number or ""
            try:
                row.decision_date = dt.date.fromisoformat(c.decision_date or "")
            except ValueError:
                row.decision_date = None
        elif c.action == "reject_nganh":
            row.outcome, row.decided_at = "rejected", c.created_at
            row.reason = c.reason or c.comment
            return
        elif c.action == "revoke" and row.outcome == "recognized":
            row.outcome = "revoked"
            return


def item_rows(session: Session, p: Proposal, *, with_rules: bool = True) -> list[ItemRow]:
    """The proposal's items: a draft's with why each may not be submitted, a submitted one's with the Minister's
    per-item outcome (and the decision recorded for it). The proposal pages, the Ministry's pages and the API read
    this one model; `awaiting` is what the Ministry may still decide."""
    return items_of(session, [p], with_rules=with_rules)[p.id]


def items_of(session: Session, proposals: list[Proposal], *, with_rules: bool = True) -> dict[int, list[ItemRow]]:
    """`item_rows` of several proposals (a page of the list) in a fixed number of statements, read as plain rows:
    their items with their nominations, units and people in one statement (`ItemNomination`), the campaigns they
    belong to, the steps the Minister's outcome reads, and the Minister's decisions: each one statement for the
    whole page, not per proposal. The ngành rules are evaluated on those rows (`rules.evaluate` takes a row that has
    what the rules of stage "propose" read, `rules.ProposeSubject`)."""
    proposals = list(proposals)
    if not proposals:
        return {}
    by_item: dict[int, ItemNomination] = {}
    items: dict[int, list[ItemNomination]] = {p.id: [] for p in proposals}
    read_items, read_steps = _page_reads(len(items))
    page = {f"p{i}": pid for i, pid in enumerate(items)}
    for (item_id, proposal_id, nid, title, state, version, subject_type, department_id, campaign_id, unit_id,
         person_id, unit_code, unit_name, unit_kind, person_name) in read_items.all(session, page):
        n = ItemNomination(nid, title, state, version, subject_type, department_id, campaign_id, unit_id, person_id,
                           UnitRef(unit_id, unit_code, unit_name, unit_kind),
                           subject_name_of(subject_type, person_name, unit_name))
        by_item[item_id] = n
        items[proposal_id].append(n)
    if by_item:
        campaigns = {c.id: c for c in session.scalars(select(Campaign).where(
            Campaign.id.in_({n.campaign_id for n in by_item.values()})))}
        for n in by_item.values():
            n.campaign = campaigns[n.campaign_id]
    steps: dict[int, list[Step]] = {}
    if by_item:
        for row in read_steps.all(session, page):
            steps.setdefault(row[0], []).append(Step._make(row[1:]))
    recognised = {n.id: any(c.action == "recognize_co_so" for c in steps.get(n.id, ())) for n in by_item.values()}
    result: dict[int, list[ItemRow]] = {}
    with rules.recognised_co_so_known(session, recognised):
        for p in proposals:
            rows = []
            ordered = _in_item_order(p, items[p.id], by_item)
            evaluated = rules.evaluate_many(session, ordered, "propose") if with_rules else [[] for _ in ordered]
            for n, results in zip(ordered, evaluated, strict=True):
                row = ItemRow(n, results)
                if p.state in PROPOSAL_EDITABLE_STATES:
                    row.refusals = item_refusals(session, n, p)
                else:
                    _ministry_outcome(row, p, steps.get(n.id, []))
                rows.append(row)
            result[p.id] = rows
    numbers = {r.decision_number for rows in result.values() for r in rows
               if r.outcome in ("recognized", "revoked") and r.decision_number}
    if numbers:
        decided = {(d.number, d.date): d.id for d in session.scalars(
            select(Decision).where(Decision.level == "nganh", Decision.number.in_(numbers)))}
        for rows in result.values():
            for r in rows:
                r.decision_id = decided.get((r.decision_number, r.decision_date))
    return result


@dataclass(slots=True)
class ItemNomination:
    """A proposal item's nomination as the proposals' read model shows it (`ItemRow.n`: what the pages, the API and
    `awaiting` read of it) and as the ngành rules read it (`rules.ProposeSubject`): plain values of the items'
    statement, not an ORM object. `campaign` is the session's Campaign (a page names a few)."""

    id: int
    title: str
    state: str
    version: int
    subject_type: str
    department_id: int
    campaign_id: int
    unit_id: int
    subject_person_id: int | None
    unit: UnitRef
    subject_name: str
    campaign: Campaign | None = None


class Step(NamedTuple):
    """One of those steps of an item's nomination, as `_ministry_outcome` reads it: the values of its data the outcome
    reads (the service records each as text) are read out of the JSON by the database, not decoded here."""

    version: int
    action: str
    proposal_id: str | None
    decision_number: str | None
    decision_date: str | None
    reason: str | None
    comment: str
    created_at: dt.datetime


@functools.lru_cache(maxsize=32)
def _page_reads(count: int) -> tuple[PlainSelect, PlainSelect]:
    """The two statements of `items_of` for a page of `count` proposals (their ids bound as p0, p1, …), built once
    per page size and read as plain rows; `inline`: a page read again (the Ministry's first page) sends the same
    text, which psycopg prepares and PostgreSQL no longer plans.

    - the items, in order, with their nominations, units and people (`ItemNomination`);
    - the `PROPOSAL_STEPS` of those nominations, in order (`Step`). They are named by the page's proposal ids, not
      by their own: a list of hundreds of ids (~600 for the Ministry's page) would be a text per page that
      PostgreSQL plans anew."""
    ids = [bindparam(f"p{i}", type_=Integer) for i in range(count)]
    items = (select(ProposalItem.id, ProposalItem.proposal_id, Nomination.id, Nomination.title, Nomination.state,
                    Nomination.version, Nomination.subject_type, Nomination.department_id, Nomination.campaign_id,
                    Nomination.unit_id, Nomination.subject_person_id, Unit.code, Unit.name, Unit.kind,
                    Person.full_name)
             .join(Nomination, Nomination.id == ProposalItem.nomination_id)
             .join(Unit, Unit.id == Nomination.unit_id)
             .outerjoin(Person, Person.id == Nomination.subject_person_id)
             .where(ProposalItem.proposal_id.in_(ids))
             .order_by(ProposalItem.proposal_id, ProposalItem.position, ProposalItem.id))
    of_page = select(ProposalItem.nomination_id).where(ProposalItem.proposal_id.in_(ids))
    steps = (select(StateChange.nomination_id, StateChange.version, StateChange.action,
                    *(StateChange.data[key].as_string() for key in ("proposal_id", "decision_number", "decision_date",
                                                                    "reason")),
                    StateChange.comment, StateChange.created_at)
             .where(StateChange.nomination_id.in_(of_page), StateChange.action.in_(PROPOSAL_STEPS))
             .order_by(StateChange.nomination_id, StateChange.version))
    return PlainSelect(items, inline=True), PlainSelect(steps, inline=True)


def _in_item_order(p: Proposal, read: list[ItemNomination], by_item: dict[int, ItemNomination]) \
        -> list[ItemNomination]:
    """The items' nominations in the order of the proposal's own collection (when already loaded, it may hold
    changes the items' statement flushed first), else as read."""
    return [by_item[i.id] for i in p.items] if "items" in p.__dict__ else read


def candidates(session: Session, department_id: int, proposal: Proposal | None = None) -> list[ItemRow]:
    """The department's cơ sở examples not in another live proposal, each with its ngành rules and the refusals
    `create`, `set_items` and `submit` give (`item_refusals`)."""
    others = [ProposalItem.proposal_id != proposal.id] if proposal is not None else []
    taken = exists().where(ProposalItem.nomination_id == Nomination.id, ProposalItem.live.is_(True), *others)
    stmt = (select(Nomination).where(Nomination.department_id == department_id,
                                     Nomination.state == "evaluated_co_so", ~taken)
            .options(joinedload(Nomination.unit), joinedload(Nomination.subject_person),
                     joinedload(Nomination.campaign))
            .order_by(Nomination.campaign_id.desc(), Nomination.id))
    return [ItemRow(n, rules.evaluate(session, n, "propose"), item_refusals(session, n, proposal))
            for n in session.scalars(stmt).unique()]


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


def check_create(actor: Actor) -> DomainError | None:
    return policy.refusal(actor, "draft", "proposal", department_id=actor.department_id,
                          detail="Chỉ Văn phòng Sở được lập tờ trình.")


def create_offer(actor: Actor) -> offers.Offer | None:
    """Drafting acts on no proposal yet; the proposals list offers it on the same check `create` runs."""
    refusal = check_create(actor)
    return offers.offer("create", "Lập tờ trình", refusal, lambda: refusal)


def create(session: Session, actor: Actor, *, nomination_ids, title: str | None = None,
           context: Context = CLI) -> Proposal:
    offers.enforce(check_create(actor))
    ids = inputs.one("nomination_ids", inputs.ids, nomination_ids, detail="Danh sách hồ sơ không hợp lệ.")
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
    signals.emit(session, events.ProposalCreated(proposal=proposal, nomination_ids=tuple(ids), actor=actor,
                                                 context=context))
    return proposal


def set_items(session: Session, actor: Actor, proposal_id: int, nomination_ids, *,
              context: Context = CLI) -> Proposal:
    p = load(session, actor, proposal_id, for_update=True)
    offers.enforce(check_set_items(actor, p))
    ids = inputs.one("nomination_ids", inputs.ids, nomination_ids, detail="Danh sách hồ sơ không hợp lệ.")
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
    signals.emit(session, events.ProposalItemsSet(proposal=p, nomination_ids=tuple(ids), actor=actor, context=context))
    return p


def _department_refusal(actor: Actor, p: Proposal, verb: str) -> Forbidden | None:
    """`verb`: "draft" (the secretariat) or "sign" (the director), on the proposal's department."""
    return policy.refusal(actor, verb, p)


_LOCKED = "Tờ trình đã trình Bộ; không thể thay đổi."


def _draft_refusal(p: Proposal) -> Conflict | None:
    if p.state not in PROPOSAL_EDITABLE_STATES:
        return Conflict(_LOCKED, [f"Tờ trình số {p.number} đã khóa."])
    return None


# Each operation on a proposal starts with its check (see workflow.offers): the DomainError it raises, or None.
def check_set_items(actor: Actor, p: Proposal) -> DomainError | None:
    return _department_refusal(actor, p, "draft") or _draft_refusal(p)


def check_submit(session: Session, actor: Actor, p: Proposal) -> DomainError | None:
    """What signing needs beyond a valid number and date: a draft with items that may all be proposed (lock the
    items first, as `submit` does, when it is about to change them)."""
    if refusal := _department_refusal(actor, p, "sign") or _draft_refusal(p):
        return refusal
    if not p.items:
        return ValidationFailed("Tờ trình chưa có hồ sơ đề nghị.", ["Hãy chọn hồ sơ trước khi trình."])
    reasons = [r for item in p.items for r in item_refusals(session, item.nomination, p)]
    if reasons:
        return ValidationFailed("Không trình được: có hồ sơ không đủ điều kiện.", reasons)
    return None


ACTION_LABELS = {"set_items": "Cập nhật danh sách đề nghị", "submit": "Ký và trình Bộ"}


def available_actions(session: Session, actor: Actor, p: Proposal) -> list[offers.Offer]:
    table = [
        ("set_items", _department_refusal(actor, p, "draft"), lambda: check_set_items(actor, p), False),
        ("submit", _department_refusal(actor, p, "sign"), lambda: check_submit(session, actor, p), True),
    ]
    found = (offers.offer(code, ACTION_LABELS[code], who, check, irreversible=irreversible)
             for code, who, check, irreversible in table)
    return [o for o in found if o is not None]


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


def date_refusal(session: Session, p: Proposal, day: dt.date) -> ValidationFailed | None:
    """A Tờ trình cites the cơ sở decisions that recognised its items: it is dated on or after the latest of them
    (a proposal dated before a decision it cites would cite a decision that did not exist yet)."""
    ids = [item.nomination_id for item in p.items]
    if not ids:
        return None
    rows = session.execute(
        select(Decision.number, Decision.date).join(DecisionItem, DecisionItem.decision_id == Decision.id)
        .where(DecisionItem.nomination_id.in_(ids), Decision.level == "co_so", Decision.date > day)
        .order_by(Decision.date.desc(), Decision.id)).all()
    if not rows:
        return None
    latest = rows[0].date
    message = (f"Ngày tờ trình ({day:%d/%m/%Y}) trước ngày của quyết định được dẫn; chọn từ ngày "
               f"{latest:%d/%m/%Y} trở đi.")
    return ValidationFailed("Ngày tờ trình không hợp lệ.",
                            [message] + [f"Quyết định số {number} ngày {date:%d/%m/%Y}."
                                                             for number, date in dict.fromkeys(rows)],
                            {"date": message})


def submit(session: Session, actor: Actor, proposal_id: int, *, number, date, context: Context = CLI) -> Proposal:
    """The director signs and submits: every item becomes `proposed_nganh` in this transaction, or none does."""
    p = load(session, actor, proposal_id, for_update=True)
    offers.enforce(_department_refusal(actor, p, "sign") or _draft_refusal(p))
    day = inputs.one("date", inputs.date, date, detail="Ngày tờ trình không hợp lệ.", required=True)
    department = session.get(Unit, p.department_id)
    seq = _parse_number(number, department)
    if session.scalar(select(Proposal.id).where(Proposal.department_id == p.department_id,
                                                Proposal.year == day.year, Proposal.seq == seq)) is not None:
        raise _duplicate_number(session, department, seq, day.year)
    # The proposal first (above), then every item by id, before any is checked or changed (service.lock_nominations).
    service.lock_nominations(session, [item.nomination_id for item in p.items])
    offers.enforce(check_submit(session, actor, p))
    offers.enforce(date_refusal(session, p, day))
    try:
        # Another draft of the department may take the same number at the same moment: on PostgreSQL the unique
        # (department, year, seq) index then waits for it and fails here; refuse it like any duplicate.
        with session.begin_nested():
            PROPOSAL.fire(p, "submit", _LOCKED)
            p.year, p.seq, p.date = day.year, seq, day
            p.number = f"{seq}/TTr-{symbol(department)}"
            p.signer_id = actor.id
            p.on_behalf_of_id = actor.on_behalf_of.id if actor.on_behalf_of else None
            p.signer_title = actor.delegation_title or "GIÁM ĐỐC"
            p.submitted_at = clock.now()
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
    signals.emit(session, events.ProposalSubmitted(proposal=p, number=p.number, date=day.isoformat(),
                                                   nomination_ids=tuple(i.nomination_id for i in p.items),
                                                   actor=actor, context=context))
    return p
