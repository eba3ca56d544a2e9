"""The ballot sheet (phiếu biểu quyết): a member's whole ballot submitted once, every item they may vote on at once,
after a review (issue 14, finding 3: on a phone one tap cast an irreversible secret vote).

The sheet is the per-item vote of workflow/council/operations.py (`cast_vote`) done for every item in one
transaction: a receipt per item (THAT the member voted on it) and the choice written into a random empty slot of the
item, every slot of the item re-sealed (`_fill_a_slot`). Nothing links the member to a choice: the receipts hold no
choice, the slots no member, and a sheet leaves on each item exactly the trace one vote leaves. The items are locked
in id order (a per-item vote locks one item), so sheets and votes running at once cannot deadlock.

It goes in whole or not at all: a missing, extra or invalid item refuses it (422, one reason per item), and a member
with any vote already in this session (a sheet, or a vote through the API's per-item `/votes`) is refused (409).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, joinedload, object_session

from models import AgendaItem, BallotReceipt, CouncilSession, Nomination, User
from workflow import signals
from workflow.context import CLI, Context
from workflow.council import ballots
from workflow.council.operations import (
    _add_receipt,
    _fill_a_slot,
    check_vote,
    load_session,
    recusal_reason,
)
from workflow.errors import Conflict, DomainError, ValidationFailed
from workflow.events import VoteCast
from workflow.policy import Actor

CHOICE_LABELS = {"agree": "Đồng ý", "disagree": "Không đồng ý", "abstain": "Không ý kiến"}
_ALREADY = Conflict("Bạn đã nộp phiếu biểu quyết của phiên họp này.",
                    ["Mỗi thành viên nộp phiếu một lần; phiếu đã nộp không sửa được."])


@dataclass(frozen=True)
class SheetLine:
    """One line of a member's sheet: an agenda item and, when the member may not vote on it, why."""

    item: AgendaItem
    recused: str | None


def sheet(s: CouncilSession, member_user: User) -> list[SheetLine]:
    """The agenda in order, each item with the member's recusal reason (None: they vote on it). The recusal reads
    each item's nomination: those not loaded yet are read in one statement (into the session's identity map, where
    `item.nomination` then finds them), not one per item."""
    items = s.items
    unloaded = [i.nomination_id for i in items if "nomination" in inspect(i).unloaded]
    # Held while the lines are built: the identity map keeps objects only while something refers to them.
    read = object_session(s).scalars(select(Nomination).where(Nomination.id.in_(unloaded))).all() if unloaded else []
    lines = [SheetLine(item, recusal_reason(member_user, item.nomination)) for item in items]
    del read
    return lines


def has_submitted(session: Session, s: CouncilSession, user_id: int) -> bool:
    """THAT the member has voted in this session (a sheet, or a per-item vote): their ballot is in."""
    return session.scalar(select(BallotReceipt.id).join(AgendaItem).where(
        AgendaItem.session_id == s.id, BallotReceipt.member_user_id == user_id).limit(1)) is not None


def check_submit(session: Session, actor: Actor, s: CouncilSession) -> DomainError | None:
    """What a sheet needs beyond its choices: what a vote needs (member, session open, present), no ballot of the
    member in yet, and at least one item the member may vote on."""
    if refusal := check_vote(session, actor, s):
        return refusal
    if has_submitted(session, s, actor.id):
        return _ALREADY
    if all(line.recused for line in sheet(s, actor.user)):
        return Conflict("Bạn không tham gia biểu quyết hồ sơ nào của phiên họp này.",
                        [f"Hồ sơ số {line.item.nomination_id}: {line.recused}" for line in sheet(s, actor.user)])
    return None


def _nomination_id(key) -> int | None:
    """A sheet's key as a nomination id: JSON object keys and form fields are strings ("12"), a caller's may be int."""
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 12:
        return int(key)
    return None


def parse_choices(s: CouncilSession, member_user: User, choices) -> dict[int, str]:
    """`choices` ({nomination id: choice}) checked against the member's sheet: every item they vote on exactly once,
    nothing else, each choice agree/disagree/abstain. One reason (and one field error) per wrong item."""
    if not isinstance(choices, Mapping):
        raise ValidationFailed("Phiếu biểu quyết không hợp lệ.",
                               ["choices phải là bảng {mã hồ sơ: agree/disagree/abstain}."],
                               {"choices": "Không hợp lệ"})
    lines = {line.item.nomination_id: line for line in sheet(s, member_user)}
    wanted = [nid for nid, line in lines.items() if line.recused is None]
    reasons, fields, parsed = [], {}, {}
    for key, choice in choices.items():
        nid = _nomination_id(key)
        if nid is None or nid not in lines:
            reasons.append(f"Hồ sơ “{key}”: không có trong chương trình phiên họp.")
            fields[f"choice-{key}"] = "Không có trong chương trình"
        elif lines[nid].recused:
            reasons.append(f"Hồ sơ số {nid}: bạn không tham gia biểu quyết ({lines[nid].recused})")
            fields[f"choice-{nid}"] = "Không tham gia biểu quyết"
        elif nid in parsed:
            reasons.append(f"Hồ sơ số {nid}: có hơn một lựa chọn.")
            fields[f"choice-{nid}"] = "Có hơn một lựa chọn"
        elif choice not in ballots.CHOICES:
            reasons.append(f"Hồ sơ số {nid}: lựa chọn không hợp lệ (Đồng ý, Không đồng ý hoặc Không ý kiến; "
                           "agree, disagree hoặc abstain).")
            fields[f"choice-{nid}"] = "Chọn Đồng ý, Không đồng ý hoặc Không ý kiến"
            parsed[nid] = None
        else:
            parsed[nid] = choice
    for nid in wanted:
        if nid not in parsed:
            reasons.append(f"Hồ sơ số {nid} “{lines[nid].item.nomination.title}”: chưa chọn.")
            fields[f"choice-{nid}"] = "Chưa chọn"
    if reasons:
        raise ValidationFailed("Phiếu biểu quyết chưa hợp lệ; chưa nộp phiếu.", reasons, fields)
    return parsed


def submit_ballot(session: Session, actor: Actor, session_id: int, choices, *,
                  context: Context = CLI) -> CouncilSession:
    """The member's whole sheet in one transaction: a receipt and a sealed choice per item, one VoteCast each
    (the audit trail records THAT they voted on the item, as for a per-item vote)."""
    # The session's shared lock, as for a vote: a close waits for the sheet, attendance cannot drop the member.
    s = load_session(session, actor, session_id, for_update="share")
    if refusal := check_submit(session, actor, s):
        raise refusal
    parsed = parse_choices(s, actor.user, choices)
    items = session.scalars(
        select(AgendaItem).where(AgendaItem.session_id == s.id, AgendaItem.nomination_id.in_(parsed))
        .options(joinedload(AgendaItem.nomination)).order_by(AgendaItem.id).with_for_update(of=AgendaItem)).all()
    for item in items:
        # A per-item vote of the same member committed since the check: the whole sheet is refused.
        if not _add_receipt(session, item.id, actor.id):
            raise _ALREADY
        _fill_a_slot(session, item.id, parsed[item.nomination_id], council_id=s.council_id)
    session.flush()
    for item in items:
        signals.emit(session, VoteCast(council_session=s, item=item, actor=actor, context=context))
    return s
