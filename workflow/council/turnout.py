"""How many ballots are in, and the close's rule on them (issue 14, finding 4: "Kết thúc phiên họp" was enabled at
0 of 12 ballots, one tick from failing every dossier).

A member's ballot is "in" once they have voted in the session: the ballot sheet puts all of a member's votes in at
once; the per-item `/votes` of the API counts from the member's first vote. It is read from the receipts (THAT a
member voted on an item, never what), so the count the chair sees and the rule the close applies come from one query
and reveal no choice.

The rule (the close, `available_actions` and the pages call the same functions):
- while the members present meet the quorum (so the close would judge every item), the close is refused until at
  least the quorum's number of ballots are in;
- with fewer members present than the quorum nothing is judged (the items are marked "no quorum" and may go to a new
  session), so that close stays possible;
- closing while some present members have not voted needs the chair's explicit confirmation, and the minutes say how
  many present members did not vote.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from models import AgendaItem, BallotReceipt, CouncilMember, CouncilSession, User
from workflow.council.recusal import _member_key, _recusal
from workflow.errors import Conflict

FOUR = Decimal("0.0001")


def share(numerator: int, denominator: int) -> Decimal:
    """A ratio rounded to the 4 decimals of the settings, so exactly 2/3 meets a quorum set as 0.6667."""
    if denominator <= 0:
        return Decimal(0)
    return (Decimal(numerator) / Decimal(denominator)).quantize(FOUR, rounding=ROUND_HALF_UP)


def needed(members: int, quorum: Decimal) -> int:
    """The fewest members whose share of `members` meets `quorum` (the same rounding as the close's)."""
    return next((k for k in range(members + 1) if share(k, members) >= quorum), members)


@dataclass(frozen=True)
class Turnout:
    """The chair's view of the ballot: counts only."""

    members: int  # active members of the council
    present: int  # of them, marked present
    submitted: int  # of the present, those whose ballot is in
    needed: int  # ballots the quorum asks for
    quorum_met: bool  # the members present meet the quorum: the close would judge the items
    recused_from_all: int = 0  # present members who may vote on no item: nobody waits for their ballot

    @property
    def not_voted(self) -> int:
        return self.present - self.recused_from_all - self.submitted

    @property
    def enough_ballots(self) -> bool:
        return self.submitted >= self.needed

    @property
    def label(self) -> str:
        text = f"Đã nộp phiếu: {self.submitted}/{self.present} thành viên có mặt"
        if self.recused_from_all:
            text += f" ({self.recused_from_all} thành viên không tham gia biểu quyết hồ sơ nào)"
        return text


def voters(session: Session, s: CouncilSession) -> set[int]:
    """The members who have voted in the session (from the receipts; no choice is stored with them)."""
    return set(session.scalars(
        select(func.distinct(BallotReceipt.member_user_id)).join(AgendaItem).where(AgendaItem.session_id == s.id)))


def _recused_from_all(users: list[User], s: CouncilSession) -> set[int]:
    """The users among `users` whom the recusal rule keeps from every item of the agenda."""
    items = [(i.nomination.subject_type, i.nomination.subject_person_id, i.nomination.unit_id) for i in s.items]
    return {u.id for u in users if items and all(_recusal(_member_key(u), item) for item in items)}


def turnout(session: Session, s: CouncilSession, *, members: list[CouncilMember] | None = None) -> Turnout:
    """Counts for the chair, the close and the API: members, present, ballots in, ballots the quorum needs. A
    constant number of statements (the members with their people in one, the receipts in one); `members`: the
    council's active members with their people, when the caller (the close) has loaded them already."""
    if members is None:
        members = list(session.scalars(
            select(CouncilMember).where(CouncilMember.council_id == s.council_id, CouncilMember.active.is_(True))
            .options(joinedload(CouncilMember.user).joinedload(User.person))))
    member_ids = {m.user_id for m in members}
    present = {a.user_id for a in s.attendance if a.present} & member_ids
    quorum = s.council.quorum
    return Turnout(members=len(member_ids), present=len(present), submitted=len(voters(session, s) & present),
                   needed=needed(len(member_ids), quorum), quorum_met=share(len(present), len(member_ids)) >= quorum,
                   recused_from_all=len(_recused_from_all([m.user for m in members if m.user_id in present], s)))


def present_not_voted(session: Session, s: CouncilSession) -> int:
    """For the minutes of a closed session: members recorded present who cast no vote though they could vote on some
    item (attendance and receipts both stay after the close, and neither can change once it is closed)."""
    present = {a.user_id for a in s.attendance if a.present}
    users = list(session.scalars(select(User).where(User.id.in_(present)).options(joinedload(User.person))))
    return len(present - voters(session, s) - _recused_from_all(users, s))


def ballots_refusal(t: Turnout) -> Conflict | None:
    """Why the close is refused for want of ballots (None: enough are in, or the close will judge nothing)."""
    if t.quorum_met and not t.enough_ballots:
        return Conflict(
            "Chưa đủ số phiếu theo tỷ lệ tối thiểu; chưa thể kết thúc phiên họp.",
            [f"{t.label}; cần ít nhất {t.needed} phiếu của {t.members} thành viên Hội đồng.",
             "Kết thúc lúc này sẽ làm mọi hồ sơ không đạt vì thiếu phiếu; hãy chờ các thành viên nộp phiếu."])
    return None


def missing_refusal(t: Turnout, confirm_missing: bool) -> Conflict | None:
    """Closing while present members have not voted needs the chair's explicit confirmation."""
    if t.not_voted > 0 and not confirm_missing:
        return Conflict(
            f"Còn {t.not_voted} thành viên có mặt chưa bỏ phiếu; cần xác nhận để kết thúc phiên họp.",
            [f"{t.label}. Nếu kết thúc, biên bản ghi {t.not_voted} thành viên có mặt không bỏ phiếu "
             "(gửi confirm_missing: true, hoặc đánh dấu ô xác nhận trên trang)."])
    return None
